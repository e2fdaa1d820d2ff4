// RUN: not %threadleak --checks='-*,threadleak-detached-no-stop' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-detached-no-stop' %s -- %stubflags | %check-all %s

#include <atomic>
#include <boost/thread.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <pthread.h>
#include <stop_token>
#include <thread>
#include <utility>

using namespace std::chrono_literals;

void flush();
void work();
void keep_handle(boost::thread &);
bool next_item();
bool cancelled();
std::thread make_thread();

//===-- Positive: detached bodies that loop forever with no stop signal ---===//

struct Flusher {
  void start() {
    // The SPEC's example: a temporary thread, detached.
    std::thread([this] { for (;;) { flush(); std::this_thread::sleep_for(1s); } }).detach();
    // CHECK: :[[@LINE-1]]:84: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
    // CHECK: :[[@LINE-2]]:26: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
  }
};

void spin_forever() {
  while (true) {
    work();
  }
}

void named_thread_free_function() {
  std::thread t(spin_forever);
  t.detach();
  // CHECK: :[[@LINE-1]]:5: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-3]]:15: note: thread started here
  // CHECK: :[[@LINE-10]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

struct Worker {
  void run() {
    for (;;)
      work();
  }
  void start_member_pointer() {
    std::thread t(&Worker::run, this);
    t.detach();
    // CHECK: :[[@LINE-1]]:7: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
    // CHECK: :[[@LINE-3]]:17: note: thread started here
    // CHECK: :[[@LINE-8]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
  }
  void start_bind() {
    std::thread(std::bind(&Worker::run, this)).detach();
    // CHECK: :[[@LINE-1]]:48: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
    // CHECK: :[[@LINE-13]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
  }
  void start_through_call() {
    // The body is analysed through the calls it makes.
    std::thread([this] { run(); }).detach();
    // CHECK: :[[@LINE-1]]:36: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
    // CHECK: :[[@LINE-2]]:26: note: the thread's body calls 'run' here
    // CHECK: :[[@LINE-20]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
  }

  std::thread member_;
  void start_member_handle() {
    member_ = std::thread([] { for (;;) work(); });
    member_.detach();
    // CHECK: :[[@LINE-1]]:13: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
    // CHECK: :[[@LINE-3]]:15: note: thread started here
    // CHECK: :[[@LINE-4]]:32: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
  }
};

struct Pump {
  void operator()() const {
    while (1) {
      work();
    }
  }
};

void function_object() {
  std::thread(Pump{}).detach();
  // CHECK: :[[@LINE-1]]:23: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-9]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void function_pointer() {
  void (*fp)() = &spin_forever;
  std::thread(fp).detach();
  // CHECK: :[[@LINE-1]]:19: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-66]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void unchanging_local_condition() {
  std::thread([] {
    bool running = true; // Never written: the loop cannot end.
    while (running)
      work();
  }).detach();
  // CHECK: :[[@LINE-1]]:6: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-6]]:3: note: thread started here
  // CHECK: :[[@LINE-5]]:5: note: this loop never exits: its condition 'running' cannot change while the loop runs
}

void unchanging_captured_copy(bool enabled) {
  // A by-copy capture is the thread's own: nobody else can clear it.
  std::thread t([enabled] { while (enabled) work(); });
  t.detach();
  // CHECK: :[[@LINE-1]]:5: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-3]]:15: note: thread started here
  // CHECK: :[[@LINE-4]]:29: note: this loop never exits: its condition 'enabled' cannot change while the loop runs
}

void moved_handle() {
  std::thread t([] { for (;;) work(); });
  std::thread u = std::move(t);
  u.detach();
  // CHECK: :[[@LINE-1]]:5: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-4]]:15: note: thread started here
  // CHECK: :[[@LINE-5]]:22: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void nested_loops_inner_break() {
  // The inner break only leaves the inner loop.
  std::thread([] {
    for (;;) {
      while (true) {
        if (next_item())
          break;
      }
      work();
    }
  }).detach();
  // CHECK: :[[@LINE-1]]:6: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-10]]:3: note: thread started here
  // CHECK: :[[@LINE-10]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void swallowed_exceptions() {
  std::thread([] {
    for (;;) {
      try {
        work();
      } catch (...) {
      }
    }
  }).detach();
  // CHECK: :[[@LINE-1]]:6: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-9]]:3: note: thread started here
  // CHECK: :[[@LINE-9]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void goto_loop() {
  std::thread([] {
  again:
    work();
    goto again;
  }).detach();
  // CHECK: :[[@LINE-1]]:6: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-6]]:3: note: thread started here
  // CHECK: :[[@LINE-6]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void *pthread_body(void *) {
  for (;;)
    work();
  return nullptr;
}

void *self_detaching(void *) {
  pthread_detach(pthread_self());
  // CHECK: :[[@LINE-1]]:3: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE+1]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
  for (;;)
    work();
}

void pthread_create_then_detach() {
  pthread_t tid;
  pthread_create(&tid, nullptr, pthread_body, nullptr);
  pthread_detach(tid);
  // CHECK: :[[@LINE-1]]:3: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-3]]:3: note: thread started here
  // CHECK: :[[@LINE-19]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void pthread_detached_attribute() {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t tid;
  pthread_create(&tid, &attr, pthread_body, nullptr);
  // CHECK: :[[@LINE-1]]:3: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-29]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void boost_thread() {
  boost::thread t([] { for (;;) work(); });
  t.detach();
  // CHECK: :[[@LINE-1]]:5: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-3]]:17: note: thread started here
  // CHECK: :[[@LINE-4]]:24: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void detached_jthread() {
  // A detached jthread is never joined: its stop token is moot.
  std::jthread j([] { for (;;) work(); });
  j.detach();
  // CHECK: :[[@LINE-1]]:5: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-3]]:16: note: thread started here
  // CHECK: :[[@LINE-4]]:23: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void param_never_changes(int n) {
  while (n > 0)
    work();
}

void by_value_argument() {
  std::thread(param_never_changes, 5).detach();
  // CHECK: :[[@LINE-1]]:39: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-7]]:3: note: this loop never exits: its condition 'n > 0' cannot change while the loop runs
}

//===-- Negative: the idiomatic fixes and finite work ----------------------===//

struct Service {
  std::atomic<bool> stop_{false};
  std::atomic<bool> running_{true};
  bool plain_flag_ = false;
  std::mutex m_;
  std::condition_variable cv_;

  void atomic_flag_in_condition() {
    std::thread([this] { while (!stop_) work(); }).detach();
  }
  void atomic_flag_load() {
    std::thread([this] { while (running_.load()) work(); }).detach();
  }
  void member_flag_break() {
    std::thread([this] {
      for (;;) {
        if (plain_flag_)
          break;
        work();
      }
    }).detach();
  }
  void timed_wait_leads_out() {
    std::thread([this] {
      std::unique_lock<std::mutex> lk(m_);
      for (;;) {
        if (cv_.wait_for(lk, 100ms) == std::cv_status::timeout)
          return;
        work();
      }
    }).detach();
  }
};

bool g_shutdown = false;

void negatives() {
  // Finite work.
  std::thread([] { work(); }).detach();
  std::thread([] { for (int i = 0; i < 10; ++i) work(); }).detach();
  // A global flag.
  std::thread([] { while (!g_shutdown) work(); }).detach();
  // A flag captured by reference: the owner can clear it.
  bool stop = false;
  std::thread([&stop] { while (!stop) work(); }).detach();
  // The loop ends on a status from the queue / channel.
  std::thread([] {
    for (;;) {
      if (!next_item())
        return;
    }
  }).detach();
  // An exception leaves the loop.
  std::thread([] {
    for (;;) {
      if (cancelled())
        throw 1;
      work();
    }
  }).detach();
  // The whole loop sits in a try block: exceptions are its way out.
  std::thread([] {
    try {
      for (;;)
        work();
    } catch (...) {
    }
  }).detach();
  // The thread ends the process or itself.
  std::thread([] {
    for (;;) {
      if (cancelled())
        std::exit(0);
      work();
    }
  }).detach();
  // Interruption points observe boost::thread::interrupt(), which the
  // handle that escapes here may reach. (Once detached with no handle left,
  // they are no way out: threadleak-detached-no-stop-spawns.cpp.)
  boost::thread b([] {
    for (;;) {
      boost::this_thread::interruption_point();
      work();
    }
  });
  keep_handle(b);
  b.detach();
  // The condition is written inside the loop.
  std::thread([] {
    bool more = true;
    while (more)
      more = next_item();
  }).detach();
  // Its address escapes: someone else may write it.
  std::thread([] {
    bool done = false;
    extern void register_flag(bool *);
    register_flag(&done);
    while (!done)
      work();
  }).detach();
  // do-while: the first iteration runs regardless; no claim is made.
  std::thread([] {
    bool again = false;
    do
      work();
    while (again);
  }).detach();
  // A stop-token loop detached from a jthread is still stoppable.
  std::jthread j([](std::stop_token st) {
    while (!st.stop_requested())
      work();
  });
  j.detach();
}

void not_detached() {
  // Joined, not detached: not this check's business.
  std::thread t([] { for (;;) work(); });
  t.join();
}

void unknown_body() {
  // The body is defined in another translation unit.
  extern void elsewhere();
  std::thread(elsewhere).detach();
  // The handle comes from code we cannot see.
  std::thread t = make_thread();
  t.detach();
}

void cancellation_point() {
  std::thread([] {
    for (;;) {
      pthread_testcancel();
      work();
    }
  }).detach();
}

void *joinable_attr_body(void *) {
  for (;;)
    work();
}

void pthread_joinable() {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_JOINABLE);
  pthread_t tid;
  pthread_create(&tid, &attr, joinable_attr_body, nullptr);
  pthread_join(tid, nullptr);
}

void recursion_a();
void recursion_b() { recursion_a(); }
void recursion_a() { recursion_b(); }
void recursive_body() { std::thread(recursion_a).detach(); }

// A condition variable gets a new value on every iteration (found in i2pd's
// AddressBook.cpp: `while (size_t len = stream->ReadSome(...))`).
std::size_t read_some();
void consume_bytes(std::size_t);
void read_until_empty() {
  while (std::size_t len = read_some())
    consume_bytes(len);
  for (; std::size_t len = read_some();)
    consume_bytes(len);
}
void start_reader() { std::thread(read_until_empty).detach(); }
