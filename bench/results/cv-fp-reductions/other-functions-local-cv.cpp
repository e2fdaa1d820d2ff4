// threadleak-cv-lost-wakeup false positive (rule c): the "waiter that is not
// notified" sleeps on a condition variable that is a LOCAL of another
// function, which the writer cannot reach.
//
//   /tmp/tl-reval/bin/threadleak --checks='-*,threadleak-cv-lost-wakeup' \
//       other-functions-local-cv.cpp -- -std=c++20
//   -> warning at `ready = true;` in testA(): "'ready' is changed and 'cv'
//      is notified, but the waiter that checks 'ready' sleeps on 'cv', which
//      is not notified after the change" (waiter note in testB), and the
//      mirror image at testB's `ready = true;` (waiter note in testA).
//
// What the analysis misunderstands: rule c pairs a write to a global with
// every waiter in the TU whose predicate reads it. testB's `cv` is an
// automatic variable of testB: testA cannot notify it (nobody can, except
// code testB hands a reference to, here signal()), and testA's own notify
// is for testA's own waiter. Two tests that reuse one global flag are not
// one producer and one consumer. Since the cv-passed-by-reference fix the
// two `cv`s are compared as objects, and here they really are different
// objects, but a local cv of another function is no evidence that the
// writer "notified the wrong condition variable". Rule c should only pair
// a write with waiters whose cv the writing function could name (a global,
// a member of the same class, a parameter) and skip other functions' locals.
// (With `int` flags reset to 0 the reset is also reported by rule a; see
// int-reset-makes-predicate-false.cpp.)
//
// Seen in: Boost.Fiber 1.81 test/test_condition_variable{,_any}_{post,
// dispatch}.cpp: 5 findings per file (20), `test1 = 0;` at the start of
// each do_test_*() against the `while (test1 == 0) cv.wait(lk);` of another.
#include <condition_variable>
#include <mutex>
#include <thread>

bool ready = false; // one global flag, reused by two independent tests

void signal(std::mutex &m, std::condition_variable &cv) {
  std::lock_guard<std::mutex> g(m);
  ready = true;
  cv.notify_one();
}

void testA() {
  ready = true; // reported (as is testB's)
  std::mutex m;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lk(m);
  std::thread t(signal, std::ref(m), std::ref(cv));
  while (!ready)
    cv.wait(lk);
  lk.unlock();
  cv.notify_one();
  t.join();
}

void testB() {
  ready = true;
  std::mutex m;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lk(m);
  std::thread t(signal, std::ref(m), std::ref(cv));
  while (!ready)
    cv.wait(lk);
  lk.unlock();
  cv.notify_one();
  t.join();
}

int main() { testA(); testB(); }
