// RUN: not %threadleak --checks='-*,threadleak-detached-no-stop' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-detached-no-stop' %s -- %stubflags | %check-all %s

// threadleak-detached-no-stop on fire-and-forget coroutines: a coroutine
// whose promise starts it at once (initial_suspend() never suspends) and
// whose return object carries nothing it could be awaited or joined with is
// a detached context from the call on. So is a coroutine handed to libcoro's
// spawn functions, to a cppcoro::async_scope that is never joined, or
// returning concurrencpp::null_result. A lazy coroutine, one whose return
// object can be awaited or joined, and a scope that is joined are not
// detached.

#include <atomic>
#include <concurrencpp/concurrencpp.h>
#include <coro/coro.hpp>
#include <coroutine>
#include <cppcoro/async_scope.hpp>
#include <cppcoro/task.hpp>
#include <stop_token>
#include <utility>

void flush();
bool more();

// The classic fire-and-forget type: eager, and its return object is empty.
struct fire_and_forget {
  struct promise_type {
    fire_and_forget get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept {}
  };
};

// Eager through an awaiter of its own whose await_ready() is constant true.
struct starts_now {
  constexpr bool await_ready() const noexcept { return true; }
  void await_suspend(std::coroutine_handle<>) const noexcept {}
  void await_resume() const noexcept {}
};
struct oneway {
  struct promise_type {
    oneway get_return_object() noexcept { return {}; }
    starts_now initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept {}
  };
};

// A coroutine returning void, through a coroutine_traits specialization.
struct void_promise {
  void get_return_object() noexcept {}
  std::suspend_never initial_suspend() noexcept { return {}; }
  std::suspend_never final_suspend() noexcept { return {}; }
  void return_void() noexcept {}
  void unhandled_exception() noexcept {}
};
struct Tag {};
template <class... Args> struct std::coroutine_traits<void, Tag, Args...> {
  using promise_type = void_promise;
};

// Something to await that suspends: the frame waits for somebody to resume
// it.
struct tick {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<>) const noexcept;
  void await_resume() const noexcept {}
};

//===-- Positive -------------------------------------------------------------===//

fire_and_forget ticker() {
  for (;;) {
    co_await tick{};
    flush();
  }
}

oneway pump() {
  while (true) {
    co_await tick{};
    flush();
  }
}

void tagged(Tag) {
  for (;;) {
    co_await tick{};
    flush();
  }
}

coro::task<void> poller(coro::thread_pool &tp) {
  for (;;) {
    co_await tp.schedule();
    flush();
  }
}

cppcoro::task<void> listener() {
  for (;;) {
    co_await tick{};
    flush();
  }
}

concurrencpp::null_result on_executor(concurrencpp::executor_tag,
                                      concurrencpp::thread_pool_executor *ex) {
  for (;;) {
    co_await tick{};
    flush();
  }
}

concurrencpp::null_result inline_start() {
  for (;;) {
    co_await tick{};
    flush();
  }
}

void start(coro::thread_pool &tp, coro::scheduler &sched,
           concurrencpp::thread_pool_executor *ex) {
  ticker();
  // CHECK: :[[@LINE-1]]:3: warning: detached coroutine can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-53]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes cancellation
  pump();
  // CHECK: :[[@LINE-1]]:3: warning: detached coroutine can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-49]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes cancellation
  tagged(Tag{});
  // CHECK: :[[@LINE-1]]:3: warning: detached coroutine can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-45]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes cancellation
  [&]() -> fire_and_forget {
  // CHECK: :[[@LINE-1]]:3: warning: detached coroutine can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE+1]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes cancellation
    for (;;) {
      co_await tick{};
      flush();
    }
  }();
  // Stored: the object carries nothing to join it with.
  fire_and_forget kept = ticker();
  // CHECK: :[[@LINE-1]]:26: warning: detached coroutine can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-71]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes cancellation
  tp.spawn(
  // CHECK: :[[@LINE-1]]:3: warning: detached coroutine can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE+2]]:7: note: coroutine started here
  // CHECK: :[[@LINE-54]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes cancellation
      poller(tp));
  sched.spawn_detached(poller(tp));
  // CHECK: :[[@LINE-1]]:3: warning: detached coroutine can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-58]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes cancellation
  auto task = poller(tp);
  sched.spawn_detached(std::move(task));
  // CHECK: :[[@LINE-1]]:3: warning: detached coroutine can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-3]]:15: note: coroutine started here
  // CHECK: :[[@LINE-63]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes cancellation
  on_executor({}, ex);
  // CHECK: :[[@LINE-1]]:3: warning: detached coroutine can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-51]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes cancellation
  inline_start();
  // CHECK: :[[@LINE-1]]:3: warning: detached coroutine can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-47]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes cancellation
}

// A scope that nobody joins: the coroutine is detached.
void never_joined() {
  cppcoro::async_scope scope;
  scope.spawn(listener());
  // CHECK: :[[@LINE-1]]:3: warning: detached coroutine can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-70]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes cancellation
}

class Service {
public:
  void start() { scope_.spawn(listener()); }
  // CHECK: :[[@LINE-1]]:18: warning: detached coroutine can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-77]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes cancellation

private:
  cppcoro::async_scope scope_;
};

//===-- Negative -------------------------------------------------------------===//

// The same shapes with a way out.
fire_and_forget stoppable(std::stop_token st) {
  while (!st.stop_requested()) {
    co_await tick{};
    flush();
  }
}

std::atomic<bool> g_stop;
fire_and_forget flagged() {
  while (!g_stop) {
    co_await tick{};
    flush();
  }
}

fire_and_forget finite() {
  co_await tick{};
  flush();
}

fire_and_forget breaks() {
  for (;;) {
    co_await tick{};
    if (!more())
      co_return;
  }
}

// Lazy: nothing runs until its return object resumes or awaits it.
struct lazy_task {
  struct promise_type {
    lazy_task get_return_object() noexcept;
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept {}
  };
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<>) noexcept;
  void await_resume() noexcept {}
  std::coroutine_handle<promise_type> handle;
};

lazy_task lazy_forever() {
  for (;;) {
    co_await tick{};
    flush();
  }
}

lazy_task lazy_parent() { co_await lazy_forever(); }

// Eager, but the return object holds the frame and can join it.
struct eager_task {
  struct promise_type {
    eager_task get_return_object() noexcept;
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept {}
  };
  void join();
  std::coroutine_handle<promise_type> handle;
};

eager_task eager_forever() {
  for (;;) {
    co_await tick{};
    flush();
  }
}

// Eager, empty, but awaitable: whoever awaits it waits for it.
struct eager_awaitable {
  struct promise_type {
    eager_awaitable get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept {}
  };
  bool await_ready() const noexcept;
  void await_suspend(std::coroutine_handle<>) noexcept;
  void await_resume() noexcept {}
};

eager_awaitable awaitable_forever() {
  for (;;) {
    co_await tick{};
    flush();
  }
}

// Eager and empty, but awaitable through a hidden friend.
struct befriended {
  struct promise_type {
    befriended get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept {}
  };
  friend tick operator co_await(befriended) noexcept { return {}; }
};

befriended befriended_forever() {
  for (;;) {
    co_await tick{};
    flush();
  }
}

// Eager and empty, but awaitable through an operator co_await beside it.
namespace lib {
struct beside {
  struct promise_type {
    beside get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept {}
  };
};
tick operator co_await(beside) noexcept;
} // namespace lib

lib::beside beside_forever() {
  for (;;) {
    co_await tick{};
    flush();
  }
}

// Empty, but whether it starts at once depends on state: not known.
struct maybe_now {
  bool ready;
  constexpr bool await_ready() const noexcept { return ready; }
  void await_suspend(std::coroutine_handle<>) const noexcept {}
  void await_resume() const noexcept {}
};
struct maybe_eager {
  struct promise_type {
    maybe_eager get_return_object() noexcept { return {}; }
    maybe_now initial_suspend() noexcept { return {true}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept {}
  };
};

maybe_eager maybe_forever() {
  for (;;) {
    co_await tick{};
    flush();
  }
}

void start_ok(std::stop_token st, coro::scheduler &sched,
              coro::thread_pool &tp) {
  stoppable(st);
  flagged();
  finite();
  breaks();
  lazy_forever();
  lazy_parent();
  eager_task t = eager_forever();
  t.join();
  awaitable_forever();
  befriended_forever();
  beside_forever();
  maybe_forever();
  // Joinable: the returned task is awaited.
  coro::sync_wait(sched.spawn_joinable(poller(tp)));
}

// Named in unevaluated operands: nothing is started.
using Ticker = decltype(ticker());
constexpr bool TickerNothrow = noexcept(ticker());
constexpr auto TickerSize = sizeof(ticker());
template <class T>
concept Startable = requires(T t) { ticker(); };

// A scope that is joined owns what it spawned.
cppcoro::task<void> joined() {
  cppcoro::async_scope scope;
  scope.spawn(listener());
  co_await scope.join();
}

class JoinedService {
public:
  void start() { scope_.spawn(listener()); }
  cppcoro::task<void> stop() { co_await scope_.join(); }

private:
  cppcoro::async_scope scope_;
};

// A scope we cannot see all of: somebody else may join it.
void into(cppcoro::async_scope &scope) { scope.spawn(listener()); }

void handed_over(void (*keep)(cppcoro::async_scope &)) {
  cppcoro::async_scope scope;
  scope.spawn(listener());
  keep(scope);
}

// Started by main(): the process's lifetime.
int main() {
  ticker();
  coro::thread_pool tp;
  tp.spawn(poller(tp));
}
