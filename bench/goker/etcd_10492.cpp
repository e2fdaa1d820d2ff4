// GoKer port: gobench/goker/blocking/etcd/10492 (etcd-io/etcd#10492)
// Style: (c) Go-style library, include/gochan.h (go::spawn) with std::mutex
// Bug class: lock: double locking through a callback
// Shape: lessor.Renew() locks le.mu and calls the checkpointer, whose
//   Checkpoint() locks le.mu again: the goroutine waits for itself.
// Fix: Renew() unlocks le.mu before calling the checkpointer (the deferred
//   unlock becomes a no-op: that is why `unlock` is a variable).
#include "gochan.h"
#include <functional>
#include <mutex>

struct Lessor {
  std::mutex mu;
  std::function<void()> cp; // Checkpointer
  void Checkpoint() {
    std::lock_guard lk(mu); // LEAK: acquired a second time
  }
  void SetCheckpointer(std::function<void()> f) {
    std::lock_guard lk(mu);
    cp = std::move(f);
  }
  void Renew() {
    mu.lock();
    std::function<void()> unlock = [this] { mu.unlock(); };
    if (cp)
      cp();
    unlock(); // defer func() { unlock() }()
  }
};

int main() {
  go::spawn([] { // G1
    Lessor le;
    le.SetCheckpointer([&le] { le.Checkpoint(); });
    le.mu.lock();
    le.mu.unlock();
    le.Renew();
  });
  go::wait_all_goroutines();
}
