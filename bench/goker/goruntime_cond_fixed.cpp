// Go runtime pattern: src/runtime/testdata/testgoroutineleakprofile/simple.go, Cond
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (b) Boost.Fiber (boost::fibers::condition_variable)
// Bug class: cond: a wait nobody signals (object private to the blocked context)
// Shape: a fiber makes a condition variable, locks its mutex and waits; no
//   other context can ever reach the condition variable.
// Fix (no upstream fix: a micro-test): the wait has a predicate and the
//   condition variable is shared with a second fiber that sets it and notifies.
#include <boost/fiber/all.hpp>
#include <memory>
#include <mutex>

namespace fibers = boost::fibers;

struct Cond {
  fibers::mutex L;
  fibers::condition_variable cv;
  bool ready = false;
};

int main() {
  fibers::fiber g([] {
    auto cond = std::make_shared<Cond>();
    fibers::fiber signaller([cond] { // the fix: a partner that signals
      std::lock_guard lk(cond->L);
      cond->ready = true;
      cond->cv.notify_one();
    });
    std::unique_lock lk(cond->L);
    cond->cv.wait(lk, [&] { return cond->ready; });
    lk.unlock();
    signaller.join();
  });
  g.join();
}
