#pragma once
// Stub of <boost/asio/use_awaitable.hpp> for threadleak's lit tests.
// co_await op(..., use_awaitable) yields the completion arguments after a
// leading error_code / exception_ptr (which is thrown as
// boost::system::system_error / rethrown if set).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/detail/type_traits.hpp>
namespace boost {
namespace asio {
template <typename Executor = any_io_executor> struct use_awaitable_t {
  constexpr use_awaitable_t() {}
  constexpr use_awaitable_t(const char *file_name, int line, const char *function_name) {}
  template <typename InnerExecutor> struct executor_with_default : InnerExecutor {
    typedef use_awaitable_t default_completion_token_type;
    template <typename InnerExecutor1>
    executor_with_default(const InnerExecutor1 &ex,
                          typename constraint<!is_same<InnerExecutor1, executor_with_default>::value &&
                                              is_convertible<InnerExecutor1, InnerExecutor>::value>::type = 0) noexcept
        : InnerExecutor(ex) {}
  };
  template <typename T>
  using as_default_on_t = typename T::template rebind_executor<executor_with_default<typename T::executor_type>>::other;
  template <typename T>
  static typename decay<T>::type::template rebind_executor<
      executor_with_default<typename decay<T>::type::executor_type>>::other
  as_default_on(T &&object);
};
constexpr use_awaitable_t<> use_awaitable(0, 0, 0);

namespace detail {
template <typename Executor, typename... Ts> class awaitable_handler {
public:
  typedef typename stub_awaitable_value<Ts...>::type value_type;
  typedef awaitable<value_type, Executor> awaitable_type;
};
} // namespace detail

// As in Asio, use_awaitable supports exactly one completion signature.
template <typename Executor, typename... Signatures> class async_result<use_awaitable_t<Executor>, Signatures...> {};
template <typename Executor, typename R, typename... Args> class async_result<use_awaitable_t<Executor>, R(Args...)> {
public:
  typedef typename detail::awaitable_handler<Executor, typename decay<Args>::type...> handler_type;
  typedef typename handler_type::awaitable_type return_type;
  template <typename Initiation, typename... InitArgs>
  static return_type initiate(Initiation initiation, use_awaitable_t<Executor> u, InitArgs... args);
};
} // namespace asio
} // namespace boost
