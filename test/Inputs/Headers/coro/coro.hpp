#pragma once
// Stub of libcoro (jbaldwin/libcoro) for threadleak's lit tests: the shapes
// of coro::task, coro::thread_pool, coro::scheduler, coro::io_scheduler and
// coro::event, declarations only where the tests need no body.
#include <coroutine>
#include <cstddef>
#include <memory>

namespace coro {

template <typename return_type = void> class task {
public:
  struct promise_type {
    task get_return_object() noexcept;
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept {}
  };
  using coroutine_handle = std::coroutine_handle<promise_type>;

  task() noexcept = default;
  explicit task(coroutine_handle handle) : m_coroutine(handle) {}
  task(task &&other) noexcept : m_coroutine(other.m_coroutine) { other.m_coroutine = nullptr; }
  ~task();

  bool is_ready() const noexcept;
  bool resume();
  struct awaitable {
    bool await_ready() const noexcept;
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept;
    void await_resume();
  };
  awaitable operator co_await() && noexcept;
  coroutine_handle handle() { return m_coroutine; }

private:
  coroutine_handle m_coroutine{nullptr};
};

class event {
public:
  explicit event(bool initially_set = false) noexcept;
  bool is_set() const noexcept;
  void set() noexcept;
  void reset() noexcept;
  struct awaiter {
    bool await_ready() const noexcept;
    bool await_suspend(std::coroutine_handle<> awaiting) noexcept;
    void await_resume() noexcept {}
  };
  awaiter operator co_await() const noexcept;
};

class thread_pool {
public:
  struct options {
    unsigned thread_count = 1;
  };
  thread_pool();
  explicit thread_pool(options opts);
  ~thread_pool();
  struct operation {
    bool await_ready() noexcept { return false; }
    void await_suspend(std::coroutine_handle<> awaiting) noexcept;
    void await_resume() noexcept {}
  };
  [[nodiscard]] operation schedule();
  /// Detached: the pool owns the task from now on.
  bool spawn(coro::task<void> &&task) noexcept;
  template <typename return_type>
  [[nodiscard]] task<return_type> schedule(task<return_type> task);
  void shutdown() noexcept;
};

class scheduler {
public:
  static std::unique_ptr<scheduler> make_unique();
  virtual ~scheduler();
  struct schedule_operation {
    bool await_ready() noexcept { return false; }
    void await_suspend(std::coroutine_handle<> awaiting) noexcept;
    void await_resume() noexcept {}
  };
  schedule_operation schedule() { return schedule_operation{}; }
  bool spawn_detached(coro::task<void> &&task);
  coro::task<void> spawn_joinable(coro::task<void> &&task);
  [[nodiscard]] schedule_operation yield() { return schedule_operation{}; }
  void shutdown() noexcept;
};

class io_scheduler {
public:
  static std::shared_ptr<io_scheduler> make_shared();
  struct schedule_operation {
    bool await_ready() noexcept { return false; }
    void await_suspend(std::coroutine_handle<> awaiting) noexcept;
    void await_resume() noexcept {}
  };
  schedule_operation schedule();
  bool spawn(coro::task<void> &&task);
};

template <typename awaitable_type> auto sync_wait(awaitable_type &&a) -> void;

} // namespace coro
