#pragma once
// Stub of <boost/asio/experimental/basic_concurrent_channel.hpp> for
// threadleak's lit tests: the thread-safe twin of basic_channel. As in Asio:
// async_send / try_send / try_send_n come from the base class
// detail::channel_send_functions; async_receive, try_receive, close, cancel,
// reset, is_open, ready, capacity and get_executor are members of
// basic_concurrent_channel itself.
// Boost 1.81 semantics (not modelled by the stub) are those of basic_channel:
// see basic_channel.hpp.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/detail/type_traits.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/experimental/channel_error.hpp>
#include <boost/asio/experimental/channel_traits.hpp>
#include <boost/asio/experimental/detail/channel_send_functions.hpp>
#include <cstddef>
namespace boost {
namespace asio {
namespace experimental {
template <typename Executor, typename Traits, typename... Signatures>
class basic_concurrent_channel
    : public detail::channel_send_functions<basic_concurrent_channel<Executor, Traits, Signatures...>, Executor, Signatures...> {
public:
  typedef Executor executor_type;
  template <typename Executor1> struct rebind_executor {
    typedef basic_concurrent_channel<Executor1, Traits, Signatures...> other;
  };
  typedef typename Traits::template rebind<Signatures...>::other traits_type;

private:
  // As in Asio (payload_type), instantiating the channel requires traits that
  // give the closed / cancelled signatures.
  typedef typename detail::stub_payload_signatures<Traits, Signatures...>::type stub_payload_signatures_type;

public:
  basic_concurrent_channel(const executor_type &ex, std::size_t max_buffer_size = 0);
  template <typename ExecutionContext>
  basic_concurrent_channel(ExecutionContext &context, std::size_t max_buffer_size = 0,
                typename constraint<is_convertible<ExecutionContext &, execution_context &>::value,
                                    defaulted_constraint>::type = defaulted_constraint());
  basic_concurrent_channel(basic_concurrent_channel &&other);
  basic_concurrent_channel &operator=(basic_concurrent_channel &&other);
  template <typename Executor1>
  basic_concurrent_channel(basic_concurrent_channel<Executor1, Traits, Signatures...> &&other,
                typename constraint<is_convertible<Executor1, Executor>::value>::type = 0);
  ~basic_concurrent_channel();

  const executor_type &get_executor() noexcept;
  std::size_t capacity() noexcept;
  bool is_open() const noexcept;
  void reset();
  void close();
  void cancel();
  bool ready() const noexcept;

  template <typename Handler> bool try_receive(Handler &&handler) { return false; }

  template <typename CompletionToken = typename default_completion_token<Executor>::type>
  auto async_receive(CompletionToken &&token = typename default_completion_token<Executor>::type())
      -> typename detail::stub_receive_result<CompletionToken, stub_payload_signatures_type>::type {
    return typename detail::stub_receive_result<CompletionToken, stub_payload_signatures_type>::type();
  }

private:
  basic_concurrent_channel(const basic_concurrent_channel &) = delete;
  basic_concurrent_channel &operator=(const basic_concurrent_channel &) = delete;
  template <typename, typename, typename...> friend class detail::channel_send_functions;
};
} // namespace experimental
} // namespace asio
} // namespace boost
