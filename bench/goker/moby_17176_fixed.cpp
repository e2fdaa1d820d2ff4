// GoKer port: gobench/goker/blocking/moby/17176 (moby/moby#17176, fix 2f16895)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (d) standard library only (std::thread, std::mutex, std::promise/std::future)
// Bug class: lock: a mutex leaked on an early return (the next locker waits forever)
// Shape: cleanupDeletedDevices() locks the DeviceSet and returns early, without
//   unlocking, when there is nothing to clean up. The test then checks the
//   lock was released: a thread locks the DeviceSet and reports on a promise,
//   and the test waits for that report with a timeout. The timeout fires, the
//   test gives up, and the checking thread waits for the lock forever.
// Fix: the early return unlocks the DeviceSet.
#include <chrono>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

struct DeviceSet {
  std::mutex mu;
  int nrDeletedDevices = 0;

  bool cleanupDeletedDevices() {
    mu.lock();
    if (nrDeletedDevices == 0) {
      mu.unlock();
      return true;
    }
    mu.unlock();
    return false;
  }
};

void testDevmapperLockReleasedDeviceDeletion(std::vector<std::thread> &spawned, std::mutex &spawnedMu) {
  auto ds = std::make_shared<DeviceSet>();
  ds->cleanupDeletedDevices();
  std::promise<void> done;
  std::future<void> doneF = done.get_future();
  {
    std::lock_guard lk(spawnedMu);
    spawned.emplace_back([ds, done = std::move(done)]() mutable {
      std::lock_guard<std::mutex> lk(ds->mu);
      done.set_value();
    });
  }
  if (doneF.wait_for(1ms) == std::future_status::timeout) {
    // "Could not acquire devices lock after call to cleanupDeletedDevices()"
    return;
  }
}

int main() {
  std::vector<std::thread> spawned;
  std::mutex spawnedMu;
  std::vector<std::thread> tests;
  for (int i = 0; i < 100; ++i)
    tests.emplace_back([&] { testDevmapperLockReleasedDeviceDeletion(spawned, spawnedMu); });
  for (auto &t : tests)
    t.join();
  for (auto &t : spawned)
    t.join();
}
