// threadleak-cv-lost-wakeup false positive (rule b, "flag set after the
// notify"): the exit flag is reset after every waiter has been joined, to
// make the pool restartable.
//
//   /tmp/tl-val/bin/threadleak --checks='-*,threadleak-cv-lost-wakeup' \
//       rearm-after-join.cpp -- -std=c++20
//   -> warning at `exit_all = false;`: "'exit_all' is changed after 'cv' was
//      notified; a waiter woken by that notify may already have checked it
//      and gone back to sleep, and nothing notifies it again"
//
// Why it is wrong: two things rule b does not look at. (1) The value: the
// waiters leave when exit_all is true; storing false after the notify can
// only keep a waiter asleep, it is not a wake-up that the notify was
// supposed to announce (the announced write, `exit_all = true`, is under
// the mutex and before the notify). (2) The joins: every thread that waits
// on cv has been joined before the write, so no waiter exists any more.
// Rule b should at least require the late write to be able to make the
// predicate true (not a reset to the initial value), and should not report
// a write that follows joining the waiters.
//
// Seen in: RocksDB 7.8.3 util/threadpool_imp.cc:207,
// ThreadPoolImpl::Impl::JoinThreads(): exit_all_threads_ = true under mu_,
// bgsignal_.notify_all(), join every bgthread, then
// `exit_all_threads_ = false;`.
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

struct Pool {
  std::mutex mu;
  std::condition_variable cv;
  bool exit_all = false;
  std::vector<std::thread> threads;

  void worker() {
    std::unique_lock<std::mutex> lock(mu);
    while (!exit_all)
      cv.wait(lock);
  }
  void start(int n) {
    for (int i = 0; i < n; ++i)
      threads.emplace_back([this] { worker(); });
  }
  void join_all() {
    {
      std::lock_guard<std::mutex> g(mu);
      exit_all = true;
    }
    cv.notify_all();
    for (auto &t : threads)
      t.join();
    threads.clear();
    exit_all = false; // re-arm for the next start()
  }
};
