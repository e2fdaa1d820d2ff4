#pragma once
// Stub of cppcoro's task<T> for threadleak's lit tests: a lazy coroutine
// whose awaiter resumes it.
#include <coroutine>

namespace cppcoro {
template <typename T = void> class task {
public:
  struct promise_type {
    task get_return_object() noexcept;
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept {}
  };
  task(task &&) noexcept;
  ~task();
  struct awaitable_base {
    bool await_ready() const noexcept;
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept;
    void await_resume();
  };
  awaitable_base operator co_await() const & noexcept;
  bool is_ready() const noexcept;

private:
  std::coroutine_handle<promise_type> m_coroutine;
};

struct single_consumer_event {
  void set() noexcept;
  bool is_set() const noexcept;
  struct awaiter {
    bool await_ready() const noexcept;
    bool await_suspend(std::coroutine_handle<> awaiting) noexcept;
    void await_resume() noexcept {}
  };
  awaiter operator co_await() const noexcept;
};

template <typename AWAITABLE> auto sync_wait(AWAITABLE &&awaitable) -> void;
} // namespace cppcoro
