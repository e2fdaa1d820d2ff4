// threadleak-cv-lost-wakeup false positive (rule a): an INTEGER flag reset to
// the value the waiter keeps waiting on, then a notify without the mutex.
//
//   /tmp/tl-reval/bin/threadleak --checks='-*,threadleak-cv-lost-wakeup' \
//       int-reset-makes-predicate-false.cpp -- -std=c++20
//   -> warning at `ready = 0;` (in rearm()): "'ready' is changed without
//      holding 'm'"
//
// What the analysis misunderstands: the write-makes-predicate-false fix
// (write-makes-predicate-false.cpp) evaluates a constant store against the
// predicate only when the key is tested as a truth value (`flag`, `!flag`,
// `flag == true`). The waiter here loops `while (ready == 0)`, i.e. waits
// for `ready != 0`; storing 0 can only keep it asleep, so a waiter that
// misses this notify loses nothing. The lambda forms
// `cv.wait(lk, [] { return ready != 0; })` and `... ready == 1; ...` are
// reported too. The same program with `bool ready`, `while (!ready)` and
// `ready = false;` is silent with the new binary.
//
// Seen in: Boost.Fiber 1.81 test/test_condition_variable{,_any}_{post,
// dispatch}.cpp (`test1 = 0;` against `while (test1 == 0) cv.wait(lk);`),
// together with other-functions-local-cv.cpp.
#include <condition_variable>
#include <mutex>
#include <thread>

std::mutex m;
std::condition_variable cv;
int ready = 0;

void waiter() {
  std::unique_lock<std::mutex> lk(m);
  while (ready == 0) // waits for ready != 0
    cv.wait(lk);
}

void rearm() {
  ready = 0; // reported: can only make the wait continue
  cv.notify_all();
}

void fire() {
  {
    std::lock_guard<std::mutex> g(m);
    ready = 1;
  }
  cv.notify_all();
}

int main() {
  std::thread t(waiter);
  rearm();
  fire();
  t.join();
}
