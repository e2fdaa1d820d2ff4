// REQUIRES: libstdcxx
// RUN: not %threadleak --checks='-*,threadleak-detached-no-stop' %s -- %realflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-detached-no-stop' %s -- %realflags | %check-all %s

// Fire-and-forget coroutines on libstdc++'s <coroutine>: its
// std::suspend_never (await_ready() constexpr, in std::__n4861), its
// coroutine_traits (a nested promise_type, or a specialization), and its
// coroutine_handle as the member that makes a return object joinable.

#include <atomic>
#include <coroutine>

void flush();

struct fire_and_forget {
  struct promise_type {
    fire_and_forget get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept {}
  };
};

struct owned_task {
  struct promise_type {
    owned_task get_return_object() noexcept {
      return {std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept {}
  };
  std::coroutine_handle<promise_type> handle;
};

struct tick {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<>) const noexcept;
  void await_resume() const noexcept {}
};

fire_and_forget forever() {
  for (;;) {
    co_await tick{};
    flush();
  }
}

std::atomic<bool> stop;
fire_and_forget until_stopped() {
  while (!stop) {
    co_await tick{};
    flush();
  }
}

owned_task held() {
  for (;;) {
    co_await tick{};
    flush();
  }
}

void start() {
  forever();
  // CHECK: :[[@LINE-1]]:3: warning: detached coroutine can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-24]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes cancellation
  until_stopped();
  owned_task t = held();
  t.handle.destroy();
}
