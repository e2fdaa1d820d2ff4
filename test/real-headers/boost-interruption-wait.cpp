// REQUIRES: boost
// RUN: %threadleak --checks='-*,threadleak-*' %s -- %realflags | count 0
// RUN: %tidy --checks='-*,threadleak-*' %s -- %realflags | count 0

// Regression: boost::condition_variable(_any)::wait and boost::thread::join
// are Boost.Thread interruption points (they throw boost::thread_interrupted
// after boost::thread::interrupt()), like interruption_point() and
// sleep_for(): a loop that waits on one can be stopped, so it is not reported.

#include <boost/thread.hpp>

void work();

void interruptible_condition_wait(boost::mutex &m, boost::condition_variable &cv) {
  boost::thread t([&] {
    for (;;) {
      boost::unique_lock<boost::mutex> lk(m);
      cv.wait(lk);
      work();
    }
  });
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
  t.detach();
}

void interruptible_join(boost::thread &other) {
  boost::thread t([&] {
    for (;;) {
      other.join();
      work();
    }
  });
  t.detach();
}
