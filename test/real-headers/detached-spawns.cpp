// REQUIRES: boost, libstdcxx
// RUN: not %threadleak --checks='-*,threadleak-detached-no-stop' %s -- %realflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-detached-no-stop' %s -- %realflags | %check-all %s

// threadleak-detached-no-stop's spawn tracing on the real headers: Boost
// 1.81's boost::fibers::fiber (a constructor template constrained with
// disable_overload, an out-of-line detach()), libstdc++'s std::vector
// (emplace_back constructs the thread inside the library, range-for over
// __normal_iterator, operator[]) and std::bind (a _Bind_helper return type).

#include <boost/fiber/all.hpp>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

void work();

void detached_fiber() {
  boost::fibers::fiber f([] {
    for (;;) {
      work();
      boost::this_fiber::yield();
    }
  });
  f.detach();
  // CHECK: :[[@LINE-1]]:5: warning: detached fiber can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-8]]:24: note: fiber started here
  // CHECK: :[[@LINE-8]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

class Pool {
public:
  void start(int n) {
    for (int i = 0; i < n; ++i)
      workers_.emplace_back(std::bind(&Pool::run, this));
  }
  ~Pool() {
    for (auto &t : workers_)
      t.detach();
    // CHECK: :[[@LINE-1]]:9: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
    // CHECK: :[[@LINE-6]]:7: note: thread started here
    // CHECK: :[[@LINE+5]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
  }

private:
  void run() {
    for (;;)
      work();
  }
  std::vector<std::thread> workers_;
};

void index_loop() {
  std::vector<std::thread> threads;
  threads.push_back(std::thread([] { while (true) work(); }));
  for (std::size_t i = 0; i < threads.size(); ++i)
    threads[i].detach();
  // CHECK: :[[@LINE-1]]:16: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-4]]:21: note: thread started here
  // CHECK: :[[@LINE-5]]:38: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

//===-- Negative -----------------------------------------------------------===//

void finite_fiber() {
  boost::fibers::fiber(work).detach();
}

void finite_threads() {
  std::vector<std::thread> threads;
  threads.emplace_back(std::bind(work));
  for (auto &t : threads)
    t.detach();
}
