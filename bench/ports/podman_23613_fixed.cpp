// Port: containers/podman#23613 ("ABBA deadlock in podman volume rm --force")
//   libpod gives every container and every volume its own lock (a lock.Locker
//   from the SHM lock manager). Nearly every code path that needs both takes
//   the container's lock first and then the volume's: starting a container
//   locks the container, and its mountStorage() -> mountNamedVolume() locks
//   each named volume around the mount. Runtime.removeVolume() did the
//   opposite: it locked the volume first, and with --force then removed
//   every container using the volume through removeContainer(), which locks
//   the container. A `podman volume rm --force test` racing a
//   `podman run -v test:/test ...` deadlocks both commands (and every later
//   podman command that touches the container or the volume).
// Style: (d) standard library only (std::thread for the two podman
//   processes, a std::mutex for each container's and volume's lock,
//   std::this_thread::sleep_for for the slow storage mount)
// Bug class: lock-order inversion (ABBA) between a container lock and a
//   volume lock
// Shape: `podman run -d -v test:/test` locks its container and mounts the
//   container's storage (100 ms). At 50 ms `podman volume rm --force test`
//   locks the volume, finds the container among its users and, in
//   removeContainer(), waits for the container's lock. The run command then
//   reaches mountNamedVolume() and waits for the volume's lock. main's joins
//   never return.
// Fix: removeVolume() no longer locks the volume up front: it removes the
//   dependent containers first (taking only their locks) and locks the volume
//   afterwards, re-reading its state, so the container -> volume order holds
//   everywhere.
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

enum class ContainerState { Created, Running, Stopped };

struct Volume {
  std::string name;
  std::mutex lock; // v.lock
  int mountCount = 0;
  bool valid = true;
};

struct Container {
  std::string id;
  std::mutex lock; // c.lock
  ContainerState state = ContainerState::Created;
  std::vector<std::shared_ptr<Volume>> namedVolumes;
  bool valid = true;
};

// the libpod database (boltdb/sqlite): its own locking, never held across calls
class State {
public:
  void AddVolume(std::shared_ptr<Volume> v) {
    std::lock_guard lk(mu);
    volumes[v->name] = v;
  }
  void AddContainer(std::shared_ptr<Container> c) {
    std::lock_guard lk(mu);
    containers[c->id] = c;
    for (auto &v : c->namedVolumes)
      users[v->name].insert(c->id);
  }
  std::vector<std::string> VolumeInUse(const std::string &vol) {
    std::lock_guard lk(mu);
    return {users[vol].begin(), users[vol].end()};
  }
  std::shared_ptr<Container> Ctr(const std::string &id) {
    std::lock_guard lk(mu);
    auto it = containers.find(id);
    return it == containers.end() ? nullptr : it->second;
  }
  void RemoveContainer(Container &c) {
    std::lock_guard lk(mu);
    containers.erase(c.id);
    for (auto &v : c.namedVolumes)
      users[v->name].erase(c.id);
  }
  void RemoveVolume(Volume &v) {
    std::lock_guard lk(mu);
    volumes.erase(v.name);
  }

private:
  std::mutex mu;
  std::map<std::string, std::shared_ptr<Volume>> volumes;
  std::map<std::string, std::shared_ptr<Container>> containers;
  std::map<std::string, std::set<std::string>> users; // volume -> containers using it
};

class Runtime {
public:
  State state;

  // container_api.go: Start (podman run -d)
  void StartContainer(Container &c) {
    std::lock_guard lk(c.lock);
    std::this_thread::sleep_for(100ms); // mountStorage(): c/storage mounts the rootfs
    for (auto &v : c.namedVolumes)
      mountNamedVolume(*v);
    c.state = ContainerState::Running;
    std::printf("run: container %s started\n", c.id.c_str());
  }

  // runtime_ctr.go: removeContainer (the container is not locked by the caller)
  void removeContainer(Container &c, bool force) {
    std::lock_guard lk(c.lock);
    if (!c.valid)
      return;
    if (c.state == ContainerState::Running) {
      if (!force)
        throw std::runtime_error("container is running");
      c.state = ContainerState::Stopped; // stop with the timeout, then kill
    }
    state.RemoveContainer(c);
    c.valid = false;
    std::printf("volume rm: removed container %s\n", c.id.c_str());
  }

  // runtime_volume_common.go: removeVolume
  void removeVolume(Volume &v, bool force) {
    // Do not lock the volume yet: the containers using it must be removed
    // first, and the container lock is always taken before a volume lock.
    if (!v.valid)
      return;
    std::vector<std::string> deps = state.VolumeInUse(v.name);
    if (!deps.empty()) {
      if (!force)
        throw std::runtime_error("volume " + v.name + " is being used");
      // We need to remove all containers using the volume
      for (const std::string &dep : deps) {
        std::shared_ptr<Container> ctr = state.Ctr(dep);
        if (!ctr)
          continue;
        removeContainer(*ctr, force);
      }
    }
    // Ok now we are good to lock.
    std::lock_guard lk(v.lock);
    if (!v.valid) // v.update(): pick up a removal made in the meantime
      return;
    v.mountCount = 0; // v.unmount(true)
    state.RemoveVolume(v);
    v.valid = false;
    std::printf("volume rm: removed volume %s\n", v.name.c_str());
  }

private:
  // container_internal.go: mountNamedVolume, called with the container locked
  void mountNamedVolume(Volume &v) {
    std::lock_guard lk(v.lock);
    v.mountCount++;
  }
};

int main() {
  Runtime r;
  auto vol = std::make_shared<Volume>();
  vol->name = "test";
  r.state.AddVolume(vol);
  auto ctr = std::make_shared<Container>();
  ctr->id = "cb054c09134c";
  ctr->namedVolumes = {vol};
  r.state.AddContainer(ctr); // podman run -v test:/test: the container is created

  std::thread run([&] { r.StartContainer(*ctr); }); // ... and started
  std::thread volumeRm([&] {
    std::this_thread::sleep_for(50ms);
    r.removeVolume(*vol, true); // podman volume rm --force test
  });

  run.join();
  volumeRm.join();
  std::printf("done\n");
  return 0;
}
