#pragma once
// Stub of <boost/asio/experimental/detail/channel_send_functions.hpp> for
// threadleak's lit tests. As in Asio, try_send, try_send_n and async_send
// are members of this base class of basic_channel and
// basic_concurrent_channel (one partial specialisation per signature, each
// deriving from the next), not of the channel classes themselves.
#include <boost/asio/async_result.hpp>
#include <boost/asio/detail/type_traits.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
namespace boost {
namespace asio {
namespace experimental {
namespace detail {
// Stands in for is_constructible<channel_message<R(Args...)>, int, Args2...>.
template <typename Signature, typename... Args2> struct stub_channel_message_constructible : false_type {};
template <typename R, typename... Args, typename... Args2>
  requires(sizeof...(Args) == sizeof...(Args2))
struct stub_channel_message_constructible<R(Args...), Args2...>
    : integral_constant<bool, (__is_constructible(Args, Args2) && ...)> {};

template <typename Derived, typename Executor, typename... Signatures> class channel_send_functions;

template <typename Derived, typename Executor, typename R, typename... Args>
class channel_send_functions<Derived, Executor, R(Args...)> {
public:
  template <typename... Args2>
  typename enable_if<stub_channel_message_constructible<R(Args...), Args2...>::value, bool>::type
  try_send(Args2 &&...args) {
    return false;
  }

  template <typename... Args2>
  typename enable_if<stub_channel_message_constructible<R(Args...), Args2...>::value, std::size_t>::type
  try_send_n(std::size_t count, Args2 &&...args) {
    return 0;
  }

  template <typename CompletionToken = typename default_completion_token<Executor>::type>
  auto async_send(Args... args, CompletionToken &&token = typename default_completion_token<Executor>::type())
      -> boost::asio::detail::stub_async_result_t<CompletionToken, void(boost::system::error_code)> {
    return boost::asio::detail::stub_async_result_t<CompletionToken, void(boost::system::error_code)>();
  }
};

template <typename Derived, typename Executor, typename R, typename... Args, typename... Signatures>
class channel_send_functions<Derived, Executor, R(Args...), Signatures...>
    : public channel_send_functions<Derived, Executor, Signatures...> {
public:
  using channel_send_functions<Derived, Executor, Signatures...>::try_send;
  using channel_send_functions<Derived, Executor, Signatures...>::async_send;

  template <typename... Args2>
  typename enable_if<stub_channel_message_constructible<R(Args...), Args2...>::value, bool>::type
  try_send(Args2 &&...args) {
    return false;
  }

  template <typename... Args2>
  typename enable_if<stub_channel_message_constructible<R(Args...), Args2...>::value, std::size_t>::type
  try_send_n(std::size_t count, Args2 &&...args) {
    return 0;
  }

  template <typename CompletionToken = typename default_completion_token<Executor>::type>
  auto async_send(Args... args, CompletionToken &&token = typename default_completion_token<Executor>::type())
      -> boost::asio::detail::stub_async_result_t<CompletionToken, void(boost::system::error_code)> {
    return boost::asio::detail::stub_async_result_t<CompletionToken, void(boost::system::error_code)>();
  }
};
} // namespace detail
} // namespace experimental
} // namespace asio
} // namespace boost
