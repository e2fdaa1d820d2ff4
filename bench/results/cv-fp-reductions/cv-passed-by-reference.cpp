// threadleak-cv-lost-wakeup false positive (rule c, "announced on a
// different condition variable"): the condition variable and the mutex are
// handed to the thread function by reference, so the parameter `cv` and the
// caller's local `cv` are two declarations of ONE object.
//
//   /tmp/tl-val/bin/threadleak --checks='-*,threadleak-cv-lost-wakeup' \
//       cv-passed-by-reference.cpp -- -std=c++20
//   -> warning at `ready = 1;`: "'ready' is changed and 'cv' is notified,
//      but the waiter that checks 'ready' sleeps on 'cv', which is not
//      notified after the change"  (and the same at `go = 1;`)
//
// Why it is wrong: conditions variables and mutexes are identified by their
// ValueDecl. worker()'s `cv` (a reference parameter) and handshake()'s `cv`
// (the local it is bound to through std::ref) are different decls, so the
// notify in worker() counts as a notify of "another" condition variable
// (rule c), and worker()'s lock on its `m` does not count as holding
// handshake()'s `m` (so waitsOn()/Held do not help either). The message
// itself shows the confusion: it names 'cv' twice. A reference parameter
// (or a reference member) of condition-variable type aliases whatever it is
// bound to; rule c should only compare two condition variables that are
// both non-reference, distinct objects (e.g. two fields of one class, two
// globals).
//
// Seen in: Boost.Fiber tests test_condition_variable{,_any}_{post,dispatch}.cpp,
// 20 findings each (80 in all): fn1..fn5(mutex &m, condition_variable &cv)
// set test1 and notify their `cv`; do_test_condition_wait*() set test2 and
// notify the local `cv` they passed with std::ref.
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

int ready = 0; // set by the worker, read by handshake()
int go = 0;    // set by handshake(), read by the worker

void worker(std::mutex &m, std::condition_variable &cv) {
  std::unique_lock<std::mutex> lk(m);
  ready = 1;
  cv.notify_one(); // the same object as handshake()'s cv
  while (go == 0)
    cv.wait(lk);
}

void handshake() {
  std::mutex m;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lk(m);
  std::thread t(worker, std::ref(m), std::ref(cv));
  while (ready == 0)
    cv.wait(lk);
  go = 1;
  lk.unlock();
  cv.notify_one();
  t.join();
}
