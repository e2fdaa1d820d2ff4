// GoKer port: gobench/goker/blocking/kubernetes/26980 (kubernetes/kubernetes#26980)
// Style: (b) Boost.Fiber channels and fibers (boost::fibers::mutex, condition_variable)
// Bug class: lock+chan: blocking receive (on the stop channel) while holding
//   the mutex everyone else needs
// Shape: processorListener.pop() takes p.lock and, once a notification is
//   pending, waits on `<-stopCh` still holding p.lock. The test's helper
//   needs p.lock before it can signal the test, and only the test's deferred
//   close(stopCh) would release pop().
// Fix: pop() takes the notification under p.lock and waits on stopCh (the
//   hand-off select) after releasing it.
#include <boost/fiber/all.hpp>
#include <deque>
#include <mutex>

namespace fibers = boost::fibers;
using Signal = fibers::unbuffered_channel<int>; // chan struct{}, closed to signal

bool closed(Signal &c) { // select { case <-c: ...; default: }
  int v;
  return c.pop_wait_for(v, std::chrono::seconds(0)) == fibers::channel_op_status::closed;
}

struct ProcessorListener {
  fibers::mutex lock;
  fibers::condition_variable cond;
  std::deque<int> pendingNotifications;

  void add(int n) {
    std::lock_guard lk(lock);
    pendingNotifications.push_back(n);
    cond.notify_all();
  }
  void pop(Signal &stopCh) {
    std::unique_lock lk(lock);
    boost::this_fiber::yield();
    for (;;) {
      while (pendingNotifications.empty()) {
        if (closed(stopCh))
          return;
        cond.wait(lk);
      }
      int v;
      stopCh.pop(v); // LEAK: select { case <-stopCh: return } holding p.lock
      return;
    }
  }
};

void test() {
  ProcessorListener pl;
  Signal stopCh;
  pl.add(1);
  boost::this_fiber::yield();
  fibers::fiber pop([&] { pl.pop(stopCh); });
  Signal resultCh;
  fibers::fiber helper([&] {
    std::lock_guard lk(pl.lock);
    resultCh.close();
  });
  boost::this_fiber::yield();
  int v;
  resultCh.pop(v);
  stopCh.close(); // defer close(stopCh)
  pop.join();
  helper.join();
}

int main() {
  fibers::fiber g(test);
  g.join();
}
