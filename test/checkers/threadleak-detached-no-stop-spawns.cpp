// RUN: not %threadleak --checks='-*,threadleak-detached-no-stop' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-detached-no-stop' %s -- %stubflags | %check-all %s

// Detach sites the check traces back to their spawn: detached fibers,
// threads detached by iterating the container they were emplaced into; and
// Boost interruption points, which are ways out only where somebody can
// still call interrupt() on the thread.

#include <boost/fiber/all.hpp>
#include <boost/thread.hpp>
#include <chrono>
#include <functional>
#include <pthread.h>
#include <thread>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

void work();
bool next_item();

//===-- Detached fibers ----------------------------------------------------===//

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

void fiber_spin() {
  for (;;)
    boost::this_fiber::sleep_for(10ms);
}

void detached_temporary_fiber() {
  boost::fibers::fiber(fiber_spin).detach();
  // CHECK: :[[@LINE-1]]:36: warning: detached fiber can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-7]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void detached_fiber_finite_work() {
  boost::fibers::fiber(work).detach();
  boost::fibers::fiber f([] {
    while (next_item())
      work();
  });
  f.detach();
}

//===-- Threads detached by iterating their container -----------------------===//

void spin() {
  for (;;)
    work();
}

void local_container_range_for() {
  std::vector<std::thread> threads;
  threads.emplace_back(work);
  threads.emplace_back([] { for (;;) work(); });
  for (auto &t : threads)
    t.detach();
  // CHECK: :[[@LINE-1]]:7: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-4]]:3: note: thread started here
  // CHECK: :[[@LINE-5]]:29: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void local_container_index_loop() {
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.push_back(std::thread(spin));
  for (std::size_t i = 0; i < threads.size(); ++i)
    threads[i].detach();
  // CHECK: :[[@LINE-1]]:16: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-4]]:23: note: thread started here
  // CHECK: :[[@LINE-23]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void local_container_moved_in() {
  std::vector<std::thread> threads;
  std::thread t(spin);
  threads.push_back(std::move(t));
  threads.back().detach();
  // CHECK: :[[@LINE-1]]:18: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-4]]:15: note: thread started here
  // CHECK: :[[@LINE-33]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

class Pool {
public:
  void start(int n) {
    for (int i = 0; i < n; ++i)
      workers_.emplace_back(std::bind(&Pool::run, this));
    monitor_.emplace_back(&Pool::watch, this);
  }
  ~Pool() {
    for (auto &t : workers_)
      t.detach();
    // CHECK: :[[@LINE-1]]:9: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
    // CHECK: :[[@LINE-7]]:7: note: thread started here
    // CHECK: :[[@LINE+10]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
    for (std::size_t i = 0; i < monitor_.size(); ++i)
      monitor_[i].detach();
    // CHECK: :[[@LINE-1]]:19: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
    // CHECK: :[[@LINE-11]]:5: note: thread started here
    // CHECK: :[[@LINE+9]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
  }

private:
  void run() {
    for (;;)
      work();
  }
  void watch() {
    while (true)
      work();
  }
  std::vector<std::thread> workers_;
  std::vector<std::thread> monitor_;
};

void bound_free_function(int n) {
  std::vector<std::thread> threads;
  threads.emplace_back(std::bind(spin));
  for (auto &&t : threads)
    t.detach();
  // CHECK: :[[@LINE-1]]:7: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-4]]:3: note: thread started here
  // CHECK: :[[@LINE-76]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void iterator_loop() {
  std::vector<std::thread> threads;
  threads.emplace_back(spin);
  for (auto it = threads.begin(); it != threads.end(); ++it)
    it->detach();
  // CHECK: :[[@LINE-1]]:9: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-4]]:3: note: thread started here
  // CHECK: :[[@LINE-86]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

// Negative: finite work, joined containers, the last element only.
void container_finite_work() {
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back(work);
  threads.emplace_back(std::bind(&next_item));
  for (auto &t : threads)
    t.detach();
}

void container_joined() {
  std::vector<std::thread> threads;
  threads.emplace_back(spin);
  for (auto &t : threads)
    t.join();
}

void back_is_the_last_one() {
  std::vector<std::thread> threads;
  threads.emplace_back(spin);
  threads.emplace_back(work);
  threads.back().detach(); // work(): finite
  threads.front().join();
}

void container_from_elsewhere(std::vector<std::thread> &threads) {
  // Filled by code we cannot see.
  for (auto &t : threads)
    t.detach();
  for (auto it = threads.begin(); it != threads.end(); ++it)
    (*it).detach();
}

void moved_round_and_round() {
  // The thread goes from the container to a local and back: followed a
  // bounded number of times, not forever.
  std::vector<std::thread> threads;
  threads.emplace_back(work);
  std::thread t = std::move(threads.back());
  threads.push_back(std::move(t));
  for (auto &x : threads)
    x.detach();
}

class JoinedPool {
public:
  void start() { workers_.emplace_back([this] { run(); }); }
  ~JoinedPool() {
    for (auto &t : workers_)
      t.join();
  }

private:
  void run() {
    while (!stop_)
      work();
  }
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

//===-- Interruption points nobody can trigger -------------------------------===//

void detached_boost_thread_interruption_point() {
  // Detached: no handle is left to call interrupt() on.
  boost::thread b([] {
    for (;;) {
      boost::this_thread::interruption_point();
      work();
    }
  });
  b.detach();
  // CHECK: :[[@LINE-1]]:5: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-8]]:17: note: thread started here
  // CHECK: :[[@LINE-8]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void std_thread_boost_sleep() {
  // A std::thread is no boost::thread: Boost's interruption points are
  // no-ops in it.
  std::thread([] {
    for (;;) {
      work();
      boost::this_thread::sleep_for(100ms);
    }
  }).detach();
  // CHECK: :[[@LINE-1]]:6: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-7]]:3: note: thread started here
  // CHECK: :[[@LINE-7]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void *boost_sleeping_routine(void *) {
  for (;;)
    boost::this_thread::sleep_for(1s);
}

void pthread_is_no_boost_thread() {
  pthread_t tid;
  pthread_create(&tid, nullptr, boost_sleeping_routine, nullptr);
  pthread_detach(tid);
  // CHECK: :[[@LINE-1]]:3: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-3]]:3: note: thread started here
  // CHECK: :[[@LINE-10]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void detached_boost_threads_in_container() {
  std::vector<boost::thread> threads;
  threads.emplace_back([] {
    for (;;)
      boost::this_thread::sleep_for(1s);
  });
  for (auto &t : threads)
    t.detach();
  // CHECK: :[[@LINE-1]]:7: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-7]]:3: note: thread started here
  // CHECK: :[[@LINE-7]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

// Negative: somebody can call interrupt() on the thread before it is
// detached.
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

class InterruptibleGroup {
public:
  void start() {
    threads_.emplace_back([] {
      for (;;)
        boost::this_thread::sleep_for(1s);
    });
  }
  void stop() {
    for (auto &t : threads_)
      t.interrupt();
  }
  void abandon() {
    for (auto &t : threads_)
      t.detach();
  }

private:
  std::vector<boost::thread> threads_;
};

void handle_escapes(void (*keep)(boost::thread &)) {
  boost::thread t([] {
    for (;;)
      boost::this_thread::sleep_for(1s);
  });
  keep(t); // whoever gets it may interrupt it
  t.detach();
}

void *self_detaching_routine(void *) {
  // The running thread may be a boost::thread that somebody interrupts.
  pthread_detach(pthread_self());
  for (;;)
    boost::this_thread::interruption_point();
}
