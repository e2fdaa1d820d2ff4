// GoKer port: gobench/goker/blocking/moby/36114 (moby/moby#36114, fix a44fcd3)
// Style: (d) standard library only (std::thread, std::mutex, std::lock_guard)
// Bug class: lock: double locking (a method that locks calls another that locks the same mutex)
// Shape: serviceVM::hotAddVHDsAtStart() locks the service VM and, on its
//   error path, calls hotRemoveVHDsAtStart(), which locks the same
//   (non-recursive) mutex again: the thread waits for itself.
// Fix: (upstream, as we know it) the nested call goes to a variant that
//   expects the caller to hold the lock (hotRemoveVHDsNoLock()); the public
//   method keeps locking.
#include <mutex>
#include <thread>
#include <vector>

class ServiceVM {
public:
  void hotAddVHDsAtStart() {
    std::lock_guard<std::mutex> lk(mu_);
    // adding a disk failed: remove the ones already added
    hotRemoveVHDsAtStart();
  }

  void hotRemoveVHDsAtStart() {
    std::lock_guard<std::mutex> lk(mu_); // LEAK: the caller already holds mu_
  }

private:
  std::mutex mu_;
};

int main() {
  std::vector<std::thread> gs;
  for (int i = 0; i < 100; ++i) {
    gs.emplace_back([] {
      ServiceVM s;
      std::thread t([&s] { s.hotAddVHDsAtStart(); });
      t.join();
    });
  }
  for (auto &g : gs)
    g.join();
}
