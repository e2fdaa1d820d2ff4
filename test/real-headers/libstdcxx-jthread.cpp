// REQUIRES: libstdcxx
// RUN: not %threadleak --checks='-*,threadleak-*' %s -- %realflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-*' %s -- %realflags | %check-all %s

// threadleak-jthread-ignores-stop on libstdc++'s real std::jthread (a
// variadic template constructor that forwards a std::stop_token first when
// the callable accepts one), std::stop_token / std::stop_callback, and the
// real blocking calls: std::future<T>::get, std::condition_variable::wait
// (a member template for the predicate overload) and
// std::condition_variable_any, which libstdc++ declares in the inline
// namespace std::_V2. std::future::wait, which libstdc++ inherits from
// std::__basic_future, is missed: see libstdcxx-future-wait.cpp (XFAIL).

#include <atomic>
#include <barrier>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <latch>
#include <mutex>
#include <semaphore>
#include <stop_token>
#include <thread>

void work();
void poll_once();

//===-- Positive -----------------------------------------------------------===//

void no_token() {
  std::jthread poller([] { while (true) { poll_once(); } });
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable never observes its stop token; ~jthread() will request stop and then wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:28: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void token_unnamed_and_unused() {
  std::jthread t([](std::stop_token) {
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable takes a std::stop_token but never checks it; ~jthread() will request stop and then wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:21: note: the std::stop_token parameter is never used
  // CHECK: :[[@LINE+1]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
    for (;;)
      work();
  });
}

void token_named_and_unused() {
  std::jthread t([](std::stop_token st) {
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable takes a std::stop_token but never checks it; ~jthread() will request stop and then wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:37: note: stop token 'st' is never used
  // CHECK: :[[@LINE+1]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
    while (true)
      work();
  });
}

void free_function_body(std::stop_token st) {
  for (;;)
    poll_once();
}

void free_function() {
  std::jthread t(free_function_body);
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable takes a std::stop_token but never checks it; ~jthread() will request stop and then wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-8]]:41: note: stop token 'st' is never used
  // CHECK: :[[@LINE-8]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void blocks_on_future(std::future<int> &f) {
  // Takes a token, never checks it, and blocks where a stop cannot reach.
  std::jthread t([&f](std::stop_token st) {
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable takes a std::stop_token but never checks it; a stop request cannot interrupt its blocking wait and ~jthread() may wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:39: note: stop token 'st' is never used
  // CHECK: :[[@LINE+1]]:13: note: blocks here with no timeout and no stop token
    int v = f.get();
    (void)v;
  });
}

void blocks_on_condition_variable(std::mutex &m, std::condition_variable &cv,
                                  bool &ready) {
  std::jthread t([&](std::stop_token) {
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable takes a std::stop_token but never checks it; a stop request cannot interrupt its blocking wait and ~jthread() may wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:22: note: the std::stop_token parameter is never used
  // CHECK: :[[@LINE+2]]:5: note: blocks here with no timeout and no stop token
    std::unique_lock<std::mutex> lk(m);
    cv.wait(lk, [&] { return ready; });
  });
}

void blocks_on_condition_variable_no_predicate(std::mutex &m,
                                               std::condition_variable &cv) {
  std::jthread t([&](std::stop_token st) {
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable takes a std::stop_token but never checks it; a stop request cannot interrupt its blocking wait and ~jthread() may wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:38: note: stop token 'st' is never used
  // CHECK: :[[@LINE+2]]:5: note: blocks here with no timeout and no stop token
    std::unique_lock<std::mutex> lk(m);
    cv.wait(lk);
  });
}

void blocks_on_shared_future(std::shared_future<void> f) {
  std::jthread t([f](std::stop_token st) { f.get(); });
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable takes a std::stop_token but never checks it; a stop request cannot interrupt its blocking wait and ~jthread() may wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:38: note: stop token 'st' is never used
  // CHECK: :[[@LINE-3]]:44: note: blocks here with no timeout and no stop token
}

void blocks_on_latch(std::latch &l) {
  std::jthread t([&l](std::stop_token st) { l.wait(); });
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable takes a std::stop_token but never checks it; a stop request cannot interrupt its blocking wait and ~jthread() may wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:39: note: stop token 'st' is never used
  // CHECK: :[[@LINE-3]]:45: note: blocks here with no timeout and no stop token
}

void blocks_on_semaphore(std::counting_semaphore<8> &s) {
  // A member of the class template specialisation counting_semaphore<8>.
  std::jthread t([&s](std::stop_token st) { s.acquire(); });
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable takes a std::stop_token but never checks it; a stop request cannot interrupt its blocking wait and ~jthread() may wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:39: note: stop token 'st' is never used
  // CHECK: :[[@LINE-3]]:45: note: blocks here with no timeout and no stop token
}

void blocks_on_binary_semaphore(std::binary_semaphore &s) {
  // binary_semaphore is an alias of counting_semaphore<1>.
  std::jthread t([&s](std::stop_token st) { s.acquire(); });
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable takes a std::stop_token but never checks it; a stop request cannot interrupt its blocking wait and ~jthread() may wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:39: note: stop token 'st' is never used
  // CHECK: :[[@LINE-3]]:45: note: blocks here with no timeout and no stop token
}

void blocks_on_barrier(std::barrier<> &b) {
  std::jthread t([&b](std::stop_token st) { b.arrive_and_wait(); });
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable takes a std::stop_token but never checks it; a stop request cannot interrupt its blocking wait and ~jthread() may wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:39: note: stop token 'st' is never used
  // CHECK: :[[@LINE-3]]:45: note: blocks here with no timeout and no stop token
}

void blocks_joining_a_thread(std::thread &other) {
  std::jthread t([&other](std::stop_token st) { other.join(); });
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable takes a std::stop_token but never checks it; a stop request cannot interrupt its blocking wait and ~jthread() may wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:43: note: stop token 'st' is never used
  // CHECK: :[[@LINE-3]]:49: note: blocks here with no timeout and no stop token
}

struct Worker {
  void run() {
    for (;;)
      work();
  }
};

void member_pointer(Worker &w) {
  // Through a member pointer jthread passes no token (it would have to be
  // the first argument): the body cannot observe a stop.
  std::jthread t(&Worker::run, &w);
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable never observes its stop token; ~jthread() will request stop and then wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-10]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void bound_member(Worker &w) {
  std::jthread t(std::bind(&Worker::run, &w));
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable never observes its stop token; ~jthread() will request stop and then wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-16]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

struct TokenPump {
  void operator()(std::stop_token st) const {
    for (;;)
      work();
  }
};

void function_object_with_token() {
  std::jthread t{TokenPump{}};
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable takes a std::stop_token but never checks it; ~jthread() will request stop and then wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-9]]:35: note: stop token 'st' is never used
  // CHECK: :[[@LINE-9]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void generic_lambda() {
  // jthread instantiates the call operator with std::stop_token.
  std::jthread t([](auto st) { for (;;) work(); });
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable takes a std::stop_token but never checks it; ~jthread() will request stop and then wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:26: note: stop token 'st' is never used
  // CHECK: :[[@LINE-3]]:32: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void token_by_const_reference() {
  std::jthread t([](const std::stop_token &st) { for (;;) work(); });
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable takes a std::stop_token but never checks it; ~jthread() will request stop and then wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:44: note: stop token 'st' is never used
  // CHECK: :[[@LINE-3]]:50: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

struct Ticker {
  // A member jthread: destroyed (and joined) with the Ticker.
  std::jthread worker_{[] { for (;;) work(); }};
  // CHECK: :[[@LINE-1]]:23: warning: std::jthread's callable never observes its stop token; ~jthread() will request stop and then wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:29: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
};

//===-- Negative -----------------------------------------------------------===//

struct Poller {
  std::mutex m_;
  std::condition_variable_any cv_;
  bool ready_ = false;

  void token_in_condition() {
    std::jthread t([](std::stop_token st) {
      while (!st.stop_requested())
        poll_once();
    });
  }
  void token_breaks() {
    std::jthread t([](std::stop_token st) {
      for (;;) {
        if (st.stop_requested())
          break;
        poll_once();
      }
    });
  }
  void stop_aware_wait_leads_out() {
    // condition_variable_any::wait(lock, stop_token, pred) returns false
    // when a stop was requested; the loop returns on it.
    std::jthread t([this](std::stop_token st) {
      std::unique_lock<std::mutex> lk(m_);
      for (;;) {
        if (!cv_.wait(lk, st, [this] { return ready_; }))
          return;
        ready_ = false;
        work();
      }
    });
  }
};

void stop_callback_sets_flag() {
  // A stop callback raises the loop's own flag; the loop ends on it.
  std::jthread t([](std::stop_token st) {
    std::atomic<bool> stop{false};
    std::stop_callback cb(st, [&stop] { stop = true; });
    while (!stop.load())
      work();
  });
}

void stop_callback_then_exit() {
  std::jthread t([](std::stop_token st) {
    std::atomic<bool> stop{false};
    std::stop_callback cb(st, [&stop] { stop.store(true); });
    for (;;) {
      if (stop)
        return;
      work();
    }
  });
}

void finite_work() {
  std::jthread a([] { work(); });
  std::jthread b([](std::stop_token) { work(); });
  std::jthread c([] { for (int i = 0; i < 3; ++i) work(); });
}

void timed_waits(std::future<int> &f, std::mutex &m,
                 std::condition_variable &cv) {
  using namespace std::chrono_literals;
  std::jthread a([&f](std::stop_token) { f.wait_for(100ms); });
  std::jthread b([&](std::stop_token) {
    std::unique_lock<std::mutex> lk(m);
    cv.wait_for(lk, 100ms);
  });
}

void detached_is_other_check() {
  // Detached, and the token is checked: neither check reports it.
  std::jthread t([](std::stop_token st) { while (!st.stop_requested()) work(); });
  t.detach();
}

void moved_and_default() {
  std::jthread a;
  std::jthread b([](std::stop_token st) { while (!st.stop_requested()) work(); });
  std::jthread c(std::move(b));
}
