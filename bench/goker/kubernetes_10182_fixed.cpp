// GoKer port: gobench/goker/blocking/kubernetes/10182 (kubernetes/kubernetes#10182, fix 64ad3e1)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (b) Boost.Fiber channels and fibers (boost::fibers::mutex)
// Bug class: lock+chan: blocking send while holding the mutex the receiver needs
// Shape: SetPodStatus() takes podStatusesLock and sends on the unbuffered
//   podStatusChannel. The sync loop receives one request, then DeletePodStatus()
//   takes the same lock: a second SetPodStatus() now holds the lock while
//   waiting for the loop to receive, and the loop waits for the lock.
// Fix: podStatusChannel is buffered (1000 requests), so SetPodStatus() no
//   longer waits for the loop while holding the lock.
#include <boost/fiber/all.hpp>
#include <mutex>

namespace fibers = boost::fibers;

struct StatusManager {
  fibers::mutex podStatusesLock;
  fibers::buffered_channel<bool> podStatusChannel{1024}; // the fix: make(chan ..., 1000)
  fibers::fiber syncLoop;

  void Start() {
    syncLoop = fibers::fiber([this] {
      for (int i = 0; i < 2; ++i)
        syncBatch();
    });
  }
  void syncBatch() {
    boost::this_fiber::yield();
    bool v;
    podStatusChannel.pop(v);
    DeletePodStatus();
  }
  void DeletePodStatus() {
    std::lock_guard lk(podStatusesLock);
  }
  void SetPodStatus() {
    std::lock_guard lk(podStatusesLock);
    podStatusChannel.push(true);
  }
};

int main() {
  StatusManager s;
  s.Start();
  fibers::fiber g2([&] { s.SetPodStatus(); });
  fibers::fiber g3([&] { s.SetPodStatus(); });
  g2.join();
  g3.join();
  s.syncLoop.join();
}
