// GoKer port: gobench/goker/blocking/kubernetes/13135 (kubernetes/kubernetes#13135, fix a12b7ed)
// Style: (b) Boost.Fiber channels and fibers (boost::fibers::mutex, promise/future)
// Bug class: lock: AB-BA through callbacks run under the watch cache's lock
// Shape: the cacher's caching loop takes the cacher lock and replaces the
//   watch cache's contents; Replace() takes the watch cache's lock and calls
//   onReplace, which releases the cacher lock. An event (Add) takes the watch
//   cache's lock and calls onEvent, which takes the cacher lock: the loop
//   holds the cacher lock and waits for the cache's, the event the reverse.
// Fix (reconstructed; the upstream patch is not in the corpus): the watch
//   cache calls onReplace/onEvent after releasing its own lock.
// (The `initialized` WaitGroup, Add(1)/Done()/Wait() once, is a
//   promise/future pair; the stop channel is an unbuffered channel closed to
//   signal, tested with a zero-timeout pop.)
#include <boost/fiber/all.hpp>
#include <chrono>
#include <functional>
#include <mutex>

namespace fibers = boost::fibers;
using Signal = fibers::unbuffered_channel<int>;

bool closed(Signal &c) { // select { case <-c: ...; default: }
  int v;
  return c.pop_wait_for(v, std::chrono::seconds(0)) == fibers::channel_op_status::closed;
}

void Until(const std::function<void()> &f, Signal &stopCh) {
  for (;;) {
    if (closed(stopCh))
      return;
    f();
    boost::this_fiber::yield(); // time.Sleep(period) with period 0
  }
}

struct WatchCache {
  fibers::mutex mu;
  std::function<void()> onReplace, onEvent;
  void processEvent() {
    std::lock_guard lk(mu);
    boost::this_fiber::yield();
    if (onEvent)
      onEvent();
  }
  void Add() { processEvent(); }
  void Replace() {
    std::lock_guard lk(mu); // LEAK: the caching loop holds the cacher lock
    if (onReplace)
      onReplace();
  }
};

struct Cacher {
  fibers::mutex mu;
  fibers::promise<void> initialized; // WaitGroup with Add(1)
  bool initDone = false;             // initOnce
  WatchCache watchCache;
  fibers::fiber caching;

  void processEvent() {
    std::lock_guard lk(mu); // LEAK: the event holds the watch cache's lock
  }
  void startCaching() {
    mu.lock(); // released by onReplace
    boost::this_fiber::yield();
    watchCache.Replace(); // reflector.ListAndWatch() -> syncWith()
  }
  explicit Cacher(Signal &stopCh) {
    watchCache.onReplace = [this] {
      if (!initDone) {
        initDone = true;
        initialized.set_value();
      }
      mu.unlock();
    };
    watchCache.onEvent = [this] { processEvent(); };
    caching = fibers::fiber([this, &stopCh] { Until([this] { startCaching(); }, stopCh); }); // G2
    initialized.get_future().wait();
  }
};

int main() {
  fibers::fiber g1([] { // G1
    Signal stopCh;
    Cacher c(stopCh);
    fibers::fiber g3([&] { c.watchCache.Add(); }); // G3
    fibers::fiber closer([&] { stopCh.close(); });
    g3.join();
    closer.join();
    c.caching.join();
  });
  g1.join();
}
