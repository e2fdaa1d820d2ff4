#pragma once
// Stub of concurrencpp's null_result coroutines for threadleak's lit tests:
// a coroutine returning null_result runs at once on the caller's thread, or
// on an executor when its first argument is executor_tag{}; nobody can
// await or join it.
#include <coroutine>
#include <memory>
#include <type_traits>

namespace concurrencpp {
class null_result {};
struct executor_tag {};

class executor {
public:
  virtual ~executor();
};
class thread_pool_executor : public executor {};
class runtime {
public:
  std::shared_ptr<thread_pool_executor> thread_pool_executor();
};

namespace details {
struct initial_scheduling_awaiter : std::suspend_always {
  void await_suspend(std::coroutine_handle<> handle) const;
};
template <class initial_awaiter> struct null_result_promise {
  null_result get_return_object() const noexcept { return {}; }
  initial_awaiter initial_suspend() const noexcept { return {}; }
  std::suspend_never final_suspend() const noexcept { return {}; }
  void return_void() const noexcept {}
  void unhandled_exception() const noexcept {}
};
template <class... arguments> struct initial_awaiter_of {
  using type = std::suspend_never;
};
template <class executor_type, class... arguments>
struct initial_awaiter_of<executor_tag, executor_type, arguments...> {
  using type = initial_scheduling_awaiter;
};
} // namespace details
} // namespace concurrencpp

template <class... arguments>
struct std::coroutine_traits<::concurrencpp::null_result, arguments...> {
  using promise_type = concurrencpp::details::null_result_promise<
      typename concurrencpp::details::initial_awaiter_of<
          std::decay_t<arguments>...>::type>;
};
