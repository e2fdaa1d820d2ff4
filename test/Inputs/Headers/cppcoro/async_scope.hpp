#pragma once
// Stub of cppcoro::async_scope for threadleak's lit tests: spawn() starts an
// awaitable that the scope owns until `co_await scope.join()` completes.
#include <atomic>
#include <coroutine>
#include <cstddef>

namespace cppcoro {
class async_scope {
public:
  async_scope() noexcept;
  ~async_scope();

  template <typename AWAITABLE> void spawn(AWAITABLE &&awaitable);

  struct join_awaiter {
    bool await_ready() noexcept;
    bool await_suspend(std::coroutine_handle<> continuation) noexcept;
    void await_resume() noexcept {}
  };
  [[nodiscard]] join_awaiter join() noexcept;

private:
  std::atomic<std::size_t> m_count;
  std::coroutine_handle<> m_continuation;
};
} // namespace cppcoro
