// threadleak-cv-lost-wakeup false positive, found by probing (not in the
// validated packages): the writer locks the waiter's mutex through an
// accessor that returns a reference to it.
//
//   /tmp/tl-val/bin/threadleak --checks='-*,threadleak-cv-lost-wakeup' \
//       mutex-via-accessor.cpp -- -std=c++20
//   -> warning at `done = true;`: "'done' is changed without holding 'm_'"
//
// Why it is wrong: std::lock_guard g(mtx()) locks m_ (mtx() returns
// `m_` by reference). Lock events are matched to the waiter's mutex by the
// ValueDecl named in the guard's argument; a call returning a reference
// names none, so the acquisition is of "some other mutex". Following a
// trivially-inlinable accessor (`return m_;`), or treating an unknown
// mutex acquisition as "may be M" (clearing the pending writes, as
// mayLockOpaquely does for opaque calls), would avoid it.
#include <condition_variable>
#include <mutex>

struct Q {
  std::mutex m_;
  std::condition_variable cv;
  bool done = false;
  std::mutex &mtx() { return m_; }
  void wait() {
    std::unique_lock<std::mutex> l(m_);
    cv.wait(l, [this] { return done; });
  }
  void finish() {
    {
      std::lock_guard<std::mutex> g(mtx());
      done = true;
    }
    cv.notify_all();
  }
};
