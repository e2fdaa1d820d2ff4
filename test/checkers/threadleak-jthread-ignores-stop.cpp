// RUN: not %threadleak --checks='-*,threadleak-jthread-ignores-stop' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-jthread-ignores-stop' %s -- %stubflags | %check-all %s

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <stop_token>
#include <thread>

using namespace std::chrono_literals;

void poll_once();
void work();
bool external_should_stop(std::stop_token);
void process(std::stop_token);

//===-- Positive -----------------------------------------------------------===//

void spec_example() {
  // The SPEC's example: no token, loops forever; ~jthread() hangs in join().
  std::jthread poller([&] { while (true) { poll_once(); } });
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable never observes its stop token; ~jthread() will request stop and then wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:29: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
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

void ignores(std::stop_token) {}

void token_passed_to_helper_that_ignores_it() {
  std::jthread t([](std::stop_token st) {
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable takes a std::stop_token but never checks it; ~jthread() will request stop and then wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:37: note: stop token 'st' is never used
  // CHECK: :[[@LINE+2]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
    ignores(st);
    for (;;)
      work();
  });
}

void token_consulted_but_loop_never_exits() {
  // The callback fires on stop, but nothing leaves the loop.
  std::jthread t([](std::stop_token st) {
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable runs a loop that a stop request cannot end; ~jthread() will wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE+2]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
    std::stop_callback cb(st, [] { work(); });
    for (;;)
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

struct Ticker {
  void run() {
    for (;;)
      work();
  }
  void start_through_call() {
    std::jthread t([this] { run(); });
    // CHECK: :[[@LINE-1]]:18: warning: std::jthread's callable never observes its stop token; ~jthread() will request stop and then wait forever in join() [threadleak-jthread-ignores-stop]
    // CHECK: :[[@LINE-2]]:29: note: the thread's body calls 'run' here
    // CHECK: :[[@LINE-7]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
  }
  // A member jthread: destroyed (and joined) with the Ticker.
  std::jthread worker_{[this] { for (;;) work(); }};
  // CHECK: :[[@LINE-1]]:23: warning: std::jthread's callable never observes its stop token; ~jthread() will request stop and then wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:33: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
};

void unchanging_condition() {
  std::jthread t([](std::stop_token st) {
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable takes a std::stop_token but never checks it; ~jthread() will request stop and then wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:37: note: stop token 'st' is never used
  // CHECK: :[[@LINE+2]]:5: note: this loop never exits: its condition 'go' cannot change while the loop runs
    bool go = true;
    while (go)
      work();
  });
}

void blocks_without_token(std::future<int> &f) {
  // Takes a token, never checks it, and blocks where a stop cannot reach.
  std::jthread t([&f](std::stop_token st) {
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable takes a std::stop_token but never checks it; a stop request cannot interrupt its blocking wait and ~jthread() may wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:39: note: stop token 'st' is never used
  // CHECK: :[[@LINE+1]]:13: note: blocks here with no timeout and no stop token
    int v = f.get();
    (void)v;
  });
}

void blocks_on_inherited_wait(std::shared_future<int> f) {
  // shared_future::wait() is declared in a base class, as in libstdc++.
  std::jthread t([f](std::stop_token st) { f.wait(); });
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable takes a std::stop_token but never checks it; a stop request cannot interrupt its blocking wait and ~jthread() may wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:38: note: stop token 'st' is never used
  // CHECK: :[[@LINE-3]]:44: note: blocks here with no timeout and no stop token
}

void blocks_on_condition_variable(std::mutex &m, std::condition_variable &cv, bool &ready) {
  std::jthread t([&](std::stop_token) {
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable takes a std::stop_token but never checks it; a stop request cannot interrupt its blocking wait and ~jthread() may wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:22: note: the std::stop_token parameter is never used
  // CHECK: :[[@LINE+2]]:5: note: blocks here with no timeout and no stop token
    std::unique_lock<std::mutex> lk(m);
    cv.wait(lk, [&] { return ready; });
  });
}

//===-- Negative -----------------------------------------------------------===//

struct Poller {
  std::atomic<bool> running_{true};
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
    std::jthread t([this](std::stop_token st) {
      std::unique_lock<std::mutex> lk(m_);
      for (;;) {
        if (!cv_.wait(lk, st, [this] { return ready_; }))
          return;
        work();
      }
    });
  }
  void own_atomic_flag() {
    // The jthread's token is unused, but its own flag stops it.
    std::jthread t([this] { while (running_) poll_once(); });
  }
  void token_to_unknown_code() {
    // process() may throw when a stop is requested.
    std::jthread t([](std::stop_token st) {
      for (;;)
        process(st);
    });
  }
  void token_to_unknown_predicate() {
    std::jthread t([](std::stop_token st) {
      while (!external_should_stop(st))
        work();
    });
  }
};

void finite_work() {
  std::jthread a([] { work(); });
  std::jthread b([](std::stop_token) { work(); });
  std::jthread c([] { for (int i = 0; i < 3; ++i) work(); });
}

void timed_wait(std::future<int> &f) {
  std::jthread t([&f](std::stop_token) { f.wait_for(100ms); });
}

void detached_is_other_check() {
  // Detached: never joined; threadleak-detached-no-stop reports it.
  std::jthread t([] { for (;;) work(); });
  t.detach();
}

void moved_and_default() {
  std::jthread a;
  std::jthread b([](std::stop_token st) { while (!st.stop_requested()) work(); });
  std::jthread c(std::move(b));
}

void body_elsewhere() {
  extern void external_body();
  std::jthread t(external_body);
}
