// threadleak-cv-lost-wakeup false positive (rule a): a write that can only
// make the waiter's predicate FALSE, followed by a notify without the mutex.
//
//   /tmp/tl-val/bin/threadleak --checks='-*,threadleak-cv-lost-wakeup' \
//       write-makes-predicate-false.cpp -- -std=c++20
//   -> warning at `stop = false;` (in rearm()): "'stop' is changed without
//      holding 'm'"
//
// Why it is wrong: a lost wake-up needs a change that would have let the
// waiter proceed. The waiter waits for `stop == true`; storing the constant
// `false` keeps (or puts) it asleep, so a waiter between its check and its
// sleep that misses this notify loses nothing. The analysis treats every
// write to a key as "the state the waiter waits for changed", without
// evaluating the stored constant against the predicate (the check already
// knows the write is a constant "flag" write: WriteInfo::Flag).
//
// Seen in: oneTBB 2021.8 test/tbb/test_eh_thread.cpp:101 (`stop = false;`
// at the start of the test body, before any waiter thread exists, which
// reaches the notify in the `finalize` lambda). The neighbouring finding at
// :103 (`stop = true;` without the mutex, then notify_all) is a true
// positive; the one at :101 is this shape.
#include <atomic>
#include <condition_variable>
#include <mutex>

std::mutex m;
std::condition_variable cv;
std::atomic<bool> stop{false};

void waiter() {
  std::unique_lock<std::mutex> lock(m);
  cv.wait(lock, [] { return stop == true; });
}

void shutdown() {
  {
    std::lock_guard<std::mutex> g(m);
    stop = true;
  }
  cv.notify_all();
}

void rearm() {
  stop = false; // only makes the predicate false
  cv.notify_all();
}
