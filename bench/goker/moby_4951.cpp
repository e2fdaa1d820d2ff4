// GoKer port: gobench/goker/blocking/moby/4951 (moby/moby#4951, fix 2ffef1b)
// Style: (d) standard library only (std::thread, std::mutex)
// Bug class: lock: AB-BA (the device's lock taken under the device set's lock, which removeDeviceAndWait() drops and retakes)
// Shape: DeleteDevice() locks the DeviceSet and then the device's own lock;
//   removeDeviceAndWait() releases the DeviceSet lock while it waits for the
//   device to go away and then takes it again, still holding the device's
//   lock. A second DeleteDevice() of the same device takes the DeviceSet lock
//   in that window and waits for the device's lock: each thread holds the
//   lock the other waits for.
// Fix: DeleteDevice() looks the device up under the DeviceSet lock, releases
//   it, and takes the device's lock before the DeviceSet lock (one order:
//   device, then set), as devmapper's DeleteDevice does since.
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

struct DevInfo {
  std::mutex lock;
  std::string name;
  const std::string &Name() const { return name; }
};

class DeviceSet {
public:
  DeviceSet() {
    for (const char *n : {"info1", "info2"}) {
      auto info = std::make_unique<DevInfo>();
      info->name = n;
      infos_[n] = std::move(info);
    }
  }

  void DeleteDevice(const std::string &hash) {
    std::lock_guard<std::mutex> guard(mu_);
    DevInfo *info = lookupDevice(hash);
    if (!info)
      return;
    info->lock.lock(); // LEAK: the second deletion waits here holding the set's lock
    std::this_thread::sleep_for(1ms); // runtime.Gosched()
    deleteDevice(*info);
    info->lock.unlock();
  }

private:
  DevInfo *lookupDevice(const std::string &hash) {
    auto it = infos_.find(hash);
    return it == infos_.end() ? nullptr : it->second.get();
  }
  void deleteDevice(DevInfo &info) { removeDeviceAndWait(info.Name()); }
  void removeDeviceAndWait(const std::string &devname) {
    // remove the device by name, waiting for it without the set's lock
    (void)devname;
    mu_.unlock();
    std::this_thread::sleep_for(20ms);
    mu_.lock(); // LEAK: the first deletion waits here holding the device's lock
  }

  std::mutex mu_;
  std::map<std::string, std::unique_ptr<DevInfo>> infos_;
  int nrDeletedDevices_ = 0;
};

int main() {
  std::thread g([] {
    DeviceSet ds;
    // delete the same device twice
    std::thread a([&] { ds.DeleteDevice("info1"); });
    std::this_thread::sleep_for(5ms); // the second starts while the first waits for the device
    std::thread b([&] { ds.DeleteDevice("info1"); });
    a.join();
    b.join();
  });
  g.join();
}
