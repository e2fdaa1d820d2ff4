// GoKer port: gobench/goker/blocking/grpc/3017 (grpc/grpc-go#3017)
// Style: (c) Go-style library, include/gochan.h (go::spawn, go::chan) with std::mutex
// Bug class: lock: a mutex leaked on an early return (in a timer callback)
// Shape: RemoveSubConn() caches the sub-connection and arms a timer whose
//   callback takes ccc.mu and deletes it. NewSubConn() reuses the entry and
//   cancels the timer; when the timer already fired, it sets abortDeleting,
//   and the callback then returns without unlocking ccc.mu: the next
//   RemoveSubConn() blocks forever, and the test waiting on `done` with it.
// Fix: the callback unlocks ccc.mu on its early return.
#include "gochan.h"
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

// time.AfterFunc: runs f on its own goroutine after `ms`, unless Stop() came first.
struct Timer {
  std::shared_ptr<std::atomic<int>> state = std::make_shared<std::atomic<int>>(0); // 0 armed, 1 fired, 2 stopped
  bool Stop() {
    int armed = 0;
    return state->compare_exchange_strong(armed, 2);
  }
};
Timer AfterFunc(int ms, std::function<void()> f) {
  Timer t;
  go::spawn([st = t.state, ms, f] {
    go::sleep_ms(ms);
    int armed = 0;
    if (st->compare_exchange_strong(armed, 1))
      f();
  });
  return t;
}

struct SubConnCacheEntry {
  int sc = 0;
  std::function<void()> cancel;
  bool abortDeleting = false;
};

struct LbCacheClientConn {
  std::mutex mu;
  std::map<int, std::shared_ptr<SubConnCacheEntry>> subConnCache; // addr -> entry
  std::map<int, int> subConnToAddr;                                // sc -> addr

  int NewSubConn(int addr) {
    std::lock_guard lk(mu);
    if (auto it = subConnCache.find(addr); it != subConnCache.end()) {
      auto entry = it->second;
      entry->cancel();
      subConnCache.erase(it);
      return entry->sc;
    }
    subConnToAddr[1] = addr;
    return 1;
  }

  void RemoveSubConn(int sc) {
    std::lock_guard lk(mu); // LEAK: the timer callback kept the mutex
    auto a = subConnToAddr.find(sc);
    if (a == subConnToAddr.end())
      return;
    int addr = a->second;
    if (auto it = subConnCache.find(addr); it != subConnCache.end()) {
      if (it->second->sc != sc)
        subConnToAddr.erase(sc);
      return;
    }
    auto entry = std::make_shared<SubConnCacheEntry>();
    entry->sc = sc;
    subConnCache[addr] = entry;
    Timer timer = AfterFunc(1, [this, entry, sc, addr] { // G3
      go::sleep_ms(5); // runtime.Gosched(): NewSubConn runs meanwhile
      mu.lock();
      if (entry->abortDeleting)
        return; // missing unlock
      subConnToAddr.erase(sc);
      subConnCache.erase(addr);
      mu.unlock();
    });
    entry->cancel = [timer, entry]() mutable {
      if (!timer.Stop())
        entry->abortDeleting = true;
    };
  }
};

int main() {
  go::spawn([] { // G1
    auto ccc = std::make_shared<LbCacheClientConn>();
    go::chan<go::unit> done;
    int sc = ccc->NewSubConn(1);
    go::spawn([ccc, sc, done]() mutable { // G2
      for (int i = 0; i < 3; ++i) {
        ccc->RemoveSubConn(sc);
        go::sleep_ms(2); // the timer fires before the sub-connection is reused
        sc = ccc->NewSubConn(1);
      }
      done.close();
    });
    done.recv();
  });
  go::wait_all_goroutines();
}
