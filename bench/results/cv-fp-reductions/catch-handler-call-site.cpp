// threadleak-cv-lost-wakeup false positive: a helper that changes the
// predicate state and notifies is called with the mutex held at every call
// site, but one call site is in a catch handler.
//
//   /tmp/tl-val/bin/threadleak --checks='-*,threadleak-cv-lost-wakeup' \
//       catch-handler-call-site.cpp -- -std=c++20
//   -> warning at `--pending;` in finished(): "'pending' is changed
//      without holding 'm'"
//
// Why it is wrong: finished() runs with `m` held (the helper relies on its
// callers; both re-lock first). entryHeld() accepts that only if *every*
// call site in the TU has HeldAtCall == true, but the CFG is built without
// exception edges, so the catch handler's block is unreachable, its call is
// never recorded in HeldAtCall, and "not recorded" counts as "not held".
// Without the try/catch (the same calls in straight-line code) there is no
// finding.
//
// Seen in: Boost.Asio example cpp11/cpp14 executors/fork_join.cpp:112,114
// (do_work_finished, called from execute()'s try and its catch (...)), and
// libtorrent-rasterbar 2.0.8 src/file_view_pool.cpp:252,253
// (notify_file_open, called from open_file's try and four catch handlers).
#include <condition_variable>
#include <mutex>

struct Pool {
  std::mutex m;
  std::condition_variable cv;
  int pending = 0;
  void finished() { // runs with m held
    --pending;
    cv.notify_all();
  }
  void run_one(std::unique_lock<std::mutex> &lock, void (*f)()) {
    lock.unlock();
    try {
      f();
      lock.lock();
      finished();
    } catch (...) {
      lock.lock();
      finished();
      throw;
    }
  }
  void wait_all() {
    std::unique_lock<std::mutex> lock(m);
    while (pending > 0)
      cv.wait(lock);
  }
};
