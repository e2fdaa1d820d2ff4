#pragma once
// Stub of <boost/asio/experimental/channel.hpp> for threadleak's lit tests.
// channel<void(error_code, T)> is basic_channel<any_io_executor,
// channel_traits<>, void(error_code, T)>; channel<Executor, Sig> uses Executor.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/detail/type_traits.hpp>
#include <boost/asio/experimental/basic_channel.hpp>
#include <boost/asio/experimental/channel_traits.hpp>
#include <boost/asio/is_executor.hpp>
namespace boost {
namespace asio {
namespace experimental {
namespace detail {
template <typename ExecutorOrSignature, typename = void> struct channel_type {
  template <typename... Signatures> struct inner {
    typedef basic_channel<any_io_executor, channel_traits<>, ExecutorOrSignature, Signatures...> type;
  };
};
template <typename ExecutorOrSignature>
struct channel_type<ExecutorOrSignature,
                    typename enable_if<is_executor<ExecutorOrSignature>::value ||
                                       execution::is_executor<ExecutorOrSignature>::value>::type> {
  template <typename... Signatures> struct inner {
    typedef basic_channel<ExecutorOrSignature, channel_traits<>, Signatures...> type;
  };
};
} // namespace detail
template <typename ExecutorOrSignature, typename... Signatures>
using channel = typename detail::channel_type<ExecutorOrSignature>::template inner<Signatures...>::type;
} // namespace experimental
} // namespace asio
} // namespace boost
