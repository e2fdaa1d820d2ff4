// threadleak-cv-lost-wakeup false positive, found by probing (not in the
// validated packages): the guard comes from a member function that returns
// a std::unique_lock.
//
//   /tmp/tl-val/bin/threadleak --checks='-*,threadleak-cv-lost-wakeup' \
//       guard-from-helper.cpp -- -std=c++20
//   -> warning at `done = true;`: "'done' is changed without holding 'm'"
//
// Why it is wrong: `auto l = lock();` holds m until the end of the block
// (the unique_lock that lock() constructs is moved out into finish()'s
// local `l`, whose destructor releases m). The lock model does not see `l`
// as a guard of m: it is initialised from a call that returns an owning
// unique_lock, not constructed from the mutex, and lock()'s own guard does
// not survive its return in the callee summary.
#include <condition_variable>
#include <mutex>

struct Q {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  std::unique_lock<std::mutex> lock() { return std::unique_lock<std::mutex>(m); }
  void wait() {
    std::unique_lock<std::mutex> l(m);
    cv.wait(l, [this] { return done; });
  }
  void finish() {
    {
      auto l = lock();
      done = true;
    }
    cv.notify_all();
  }
};
