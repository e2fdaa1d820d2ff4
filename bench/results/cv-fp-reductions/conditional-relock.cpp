// threadleak-cv-lost-wakeup false positive: the mutex is re-taken with
// `if (!l.owns_lock()) l.lock();` before the helper that writes and
// notifies.
//
//   /tmp/tl-val/bin/threadleak --checks='-*,threadleak-cv-lost-wakeup' \
//       conditional-relock.cpp -- -std=c++20
//   -> warning at `--pending;`: "'pending' is changed without holding 'm'"
//
// Why it is wrong: after `if (!l.owns_lock()) l.lock();` the lock is held on
// every path. The analysis is path-insensitive: "Held" is a must-fact joined
// over both arms of the `if`, and the arm where owns_lock() was true
// carries Held == false from the path that unlocked earlier, so the join
// says "maybe not held" at the call. owns_lock() is not modelled as a test
// of the lock state.
//
// Seen in: libtorrent-rasterbar 2.0.8 src/file_view_pool.cpp (every catch
// handler of file_view_pool::open_file does `if (!l.owns_lock()) l.lock();`
// before notify_file_open(); there, the catch-handler shape hides it first).
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
  bool step();
  void run_one() {
    std::unique_lock<std::mutex> l(m);
    if (step())
      l.unlock();
    if (!l.owns_lock())
      l.lock();
    finished();
  }
  void wait_all() {
    std::unique_lock<std::mutex> lock(m);
    while (pending > 0)
      cv.wait(lock);
  }
};
