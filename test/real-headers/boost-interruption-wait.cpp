// REQUIRES: boost
// RUN: %threadleak --checks='-*,threadleak-*' %s -- %realflags | count 0
// RUN: %tidy --checks='-*,threadleak-*' %s -- %realflags | count 0
// RUN: not %threadleak --checks='-*,threadleak-*' %s -- %realflags -DDETACHED_NO_HANDLE | FileCheck --check-prefix=GONE %s

// Regression: boost::condition_variable(_any)::wait and boost::thread::join
// are Boost.Thread interruption points (they throw boost::thread_interrupted
// after boost::thread::interrupt()), like interruption_point() and
// sleep_for(): a loop that waits on one can be stopped by whoever holds the
// handle (here it escapes to keep()), so it is not reported. Once the
// handle is gone (detached, kept by nobody), they stop nothing: the GONE
// run reports the three loops.

#include <boost/thread.hpp>

void work();
#ifdef DETACHED_NO_HANDLE
#define keep(t)
#else
void keep(boost::thread &t);
#endif

void interruptible_condition_wait(boost::mutex &m, boost::condition_variable &cv) {
  boost::thread t([&] {
    for (;;) {
      boost::unique_lock<boost::mutex> lk(m);
      cv.wait(lk);
      work();
    }
  });
  keep(t);
  t.detach();
}

void interruptible_condition_any_wait(boost::mutex &m, boost::condition_variable_any &cv) {
  boost::thread t([&] {
    for (;;) {
      boost::unique_lock<boost::mutex> lk(m);
      cv.wait(lk);
      work();
    }
  });
  keep(t);
  t.detach();
}

void interruptible_join(boost::thread &other) {
  boost::thread t([&] {
    for (;;) {
      other.join();
      work();
    }
  });
  keep(t);
  t.detach();
}

// GONE-COUNT-3: warning: detached thread can never stop
