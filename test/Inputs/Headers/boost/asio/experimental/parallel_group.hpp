#pragma once
// Stub of <boost/asio/experimental/parallel_group.hpp> for threadleak's lit
// tests. make_parallel_group(op...) takes deferred operations (e.g.
// ch.async_receive(deferred), timer.async_wait(deferred),
// co_spawn(ex, aw, deferred)); async_wait(condition, token) completes with
// (std::array<std::size_t, N> order, args of op 0..., args of op 1..., ...),
// so with use_awaitable it yields a std::tuple of those.
#include <array>
#include <boost/asio/async_result.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detail/type_traits.hpp>
#include <boost/asio/experimental/cancellation_condition.hpp>
#include <cstddef>
#include <tuple>
#include <utility>
namespace boost {
namespace asio {
namespace detail {
using std::array;
} // namespace detail
namespace experimental {
namespace detail {
template <std::size_t N, typename... Signatures> struct parallel_group_signature;
template <std::size_t N, typename R0, typename... Args0> struct parallel_group_signature<N, R0(Args0...)> {
  typedef boost::asio::detail::array<std::size_t, N> order_type;
  typedef R0 raw_type(Args0...);
  typedef R0 type(order_type, Args0...);
};
template <std::size_t N, typename R0, typename... Args0, typename R1, typename... Args1>
struct parallel_group_signature<N, R0(Args0...), R1(Args1...)> {
  typedef boost::asio::detail::array<std::size_t, N> order_type;
  typedef R0 raw_type(Args0..., Args1...);
  typedef R0 type(order_type, Args0..., Args1...);
};
template <std::size_t N, typename Sig0, typename Sig1, typename... SigN>
struct parallel_group_signature<N, Sig0, Sig1, SigN...> {
  typedef boost::asio::detail::array<std::size_t, N> order_type;
  typedef typename parallel_group_signature<N, typename parallel_group_signature<N, Sig0, Sig1>::raw_type,
                                            SigN...>::raw_type raw_type;
  typedef typename parallel_group_signature<N, typename parallel_group_signature<N, Sig0, Sig1>::raw_type,
                                            SigN...>::type type;
};
} // namespace detail

template <typename... Ops> class parallel_group {
public:
  explicit parallel_group(Ops... ops) : ops_(std::move(ops)...) {}
  typedef typename detail::parallel_group_signature<sizeof...(Ops),
                                                    typename completion_signature_of<Ops>::type...>::type signature;
  template <typename CancellationCondition, typename CompletionToken>
  auto async_wait(CancellationCondition cancellation_condition, CompletionToken &&token)
      -> boost::asio::detail::stub_async_result_t<CompletionToken, signature> {
    return boost::asio::detail::stub_async_result_t<CompletionToken, signature>();
  }

private:
  std::tuple<Ops...> ops_;
};
template <typename... Ops> [[nodiscard]] inline parallel_group<Ops...> make_parallel_group(Ops... ops) {
  return parallel_group<Ops...>(std::move(ops)...);
}
} // namespace experimental
} // namespace asio
} // namespace boost
