// REQUIRES: libstdcxx
// RUN: not %threadleak --checks='-*,threadleak-*' %s -- %realflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-*' %s -- %realflags | %check-all %s

// threadleak-detached-no-stop on libstdc++'s real std::thread: a variadic
// template constructor (`template<typename _Callable, typename... _Args,
// typename = _Require<__not_same<_Callable>>> explicit thread(_Callable&&,
// _Args&&...)`), detach() declared out of line in the library, std::bind's
// _Bind<> wrapper, and std::jthread from <stop_token>/<thread>.

#include <atomic>
#include <chrono>
#include <functional>
#include <stop_token>
#include <thread>
#include <utility>

using namespace std::chrono_literals;

void work();
void flush();

//===-- Positive: detached bodies that loop forever with no stop signal ---===//

struct Flusher {
  void start() {
    // A temporary thread, detached; std::this_thread::sleep_for is no stop
    // signal for a std::thread.
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

void named_thread() {
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

void named_function_object() {
  Pump p;
  std::thread t(p);
  t.detach();
  // CHECK: :[[@LINE-1]]:5: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-3]]:15: note: thread started here
  // CHECK: :[[@LINE-18]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void moved_handle() {
  std::thread t([] { for (;;) work(); });
  std::thread u = std::move(t);
  u.detach();
  // CHECK: :[[@LINE-1]]:5: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-4]]:15: note: thread started here
  // CHECK: :[[@LINE-5]]:22: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void through_std_function() {
  // libstdc++'s std::function<void()> built from a function by its
  // constrained converting-constructor template.
  std::function<void()> f = spin_forever;
  std::thread(f).detach();
  // CHECK: :[[@LINE-1]]:18: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-70]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void through_bind_front(Worker &w) {
  std::thread(std::bind_front(&Worker::run, &w)).detach();
  // CHECK: :[[@LINE-1]]:50: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-61]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void brace_initialised() {
  std::thread t{spin_forever};
  t.detach();
  // CHECK: :[[@LINE-1]]:5: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-3]]:15: note: thread started here
  // CHECK: :[[@LINE-84]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void lambda_with_arguments() {
  // The extra arguments select the variadic constructor.
  auto t = std::thread([](int n) { while (n > 0) work(); }, 5);
  t.detach();
  // CHECK: :[[@LINE-1]]:5: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-3]]:12: note: thread started here
  // CHECK: :[[@LINE-4]]:36: note: this loop never exits: its condition 'n > 0' cannot change while the loop runs
}

void detached_jthread_without_token() {
  // A detached jthread is never joined: nothing will ever ask it to stop.
  std::jthread j([] { for (;;) work(); });
  j.detach();
  // CHECK: :[[@LINE-1]]:5: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-3]]:16: note: thread started here
  // CHECK: :[[@LINE-4]]:23: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

//===-- Negative -----------------------------------------------------------===//

struct Service {
  std::atomic<bool> stop_{false};
  std::atomic<bool> running_{true};

  void atomic_flag_in_condition() {
    std::thread([this] { while (!stop_) work(); }).detach();
  }
  void atomic_flag_load() {
    std::thread([this] { while (running_.load(std::memory_order_acquire)) work(); }).detach();
  }
};

void stop_token_jthread_detached() {
  // A stop-token loop detached from a jthread can still be stopped through
  // its stop_source.
  std::jthread j([](std::stop_token st) {
    while (!st.stop_requested())
      work();
  });
  std::stop_source src = j.get_stop_source();
  j.detach();
  src.request_stop();
}

void finite_work() {
  std::thread([] { work(); }).detach();
  std::thread([] { for (int i = 0; i < 10; ++i) work(); }).detach();
  std::thread t([] { std::this_thread::sleep_for(10ms); work(); });
  t.detach();
}

void joined_not_detached() {
  // Joined, not detached: not this check's business.
  std::thread t(spin_forever);
  t.join();
}
