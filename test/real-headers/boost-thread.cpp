// REQUIRES: boost
// RUN: not %threadleak --checks='-*,threadleak-*' %s -- %realflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-*' %s -- %realflags | %check-all %s

// threadleak-detached-no-stop on Boost 1.81's real <boost/thread.hpp>:
// boost::thread's constructor templates (BOOST_THREAD_RV_REF(F) and the
// variadic F, Arg, Args... form), its out-of-line detach(), and the
// interruption points boost::this_thread::interruption_point() and
// boost::this_thread::sleep_for(), which throw boost::thread_interrupted
// once boost::thread::interrupt() was called: a way out only while somebody
// can still call interrupt() on the thread.

#include <boost/thread.hpp>
#include <boost/chrono.hpp>

void work();

//===-- Positive -----------------------------------------------------------===//

void spin() {
  for (;;)
    work();
}

void named_thread() {
  boost::thread t([] { for (;;) work(); });
  t.detach();
  // CHECK: :[[@LINE-1]]:5: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-3]]:17: note: thread started here
  // CHECK: :[[@LINE-4]]:24: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void temporary_thread() {
  boost::thread(spin).detach();
  // CHECK: :[[@LINE-1]]:23: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-15]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void thread_with_arguments() {
  boost::thread t([](int n) { while (true) work(); }, 3);
  t.detach();
  // CHECK: :[[@LINE-1]]:5: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-3]]:17: note: thread started here
  // CHECK: :[[@LINE-4]]:31: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

// Detached: no handle is left to call interrupt() on, so the interruption
// points are no way out.
void interruption_point_in_loop() {
  boost::thread t([] {
    for (;;) {
      boost::this_thread::interruption_point();
      work();
    }
  });
  t.detach();
  // CHECK: :[[@LINE-1]]:5: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-8]]:17: note: thread started here
  // CHECK: :[[@LINE-8]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void sleep_for_in_loop() {
  boost::thread t([] {
    for (;;) {
      work();
      boost::this_thread::sleep_for(boost::chrono::milliseconds(100));
    }
  });
  t.detach();
  // CHECK: :[[@LINE-1]]:5: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-8]]:17: note: thread started here
  // CHECK: :[[@LINE-8]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

//===-- Negative -----------------------------------------------------------===//

// interrupt() reaches the member before it is detached.
class Interruptible {
public:
  void start() {
    t_ = boost::thread([] {
      for (;;) {
        boost::this_thread::interruption_point();
        work();
      }
    });
  }
  void stop() { t_.interrupt(); }
  void abandon() { t_.detach(); }

private:
  boost::thread t_;
};

void finite_work() {
  boost::thread(work).detach();
}

void joined() {
  boost::thread t(spin);
  t.join();
}
