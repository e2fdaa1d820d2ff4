#pragma once
// Stub of <boost/asio/as_tuple.hpp> for threadleak's lit tests:
// co_await op(..., as_tuple(use_awaitable)) yields std::tuple<error_code, T...>
// and never throws for an error code.
#include <boost/asio/async_result.hpp>
#include <boost/asio/detail/type_traits.hpp>
#include <tuple>
namespace boost {
namespace asio {
template <typename CompletionToken> class as_tuple_t {
public:
  constexpr as_tuple_t() : token_() {}
  template <typename T> constexpr explicit as_tuple_t(T &&completion_token) : token_(static_cast<T &&>(completion_token)) {}
  CompletionToken token_;
};
template <typename CompletionToken>
[[nodiscard]] inline constexpr as_tuple_t<typename decay<CompletionToken>::type> as_tuple(CompletionToken &&completion_token) {
  return as_tuple_t<typename decay<CompletionToken>::type>(static_cast<CompletionToken &&>(completion_token));
}
namespace detail {
template <typename Signature> struct stub_as_tuple_signature;
template <typename R, typename... Args> struct stub_as_tuple_signature<R(Args...)> {
  typedef R type(std::tuple<typename decay<Args>::type...>);
};
} // namespace detail
template <typename CompletionToken, typename... Signatures>
class async_result<as_tuple_t<CompletionToken>, Signatures...>
    : public async_result<CompletionToken, typename detail::stub_as_tuple_signature<Signatures>::type...> {};
} // namespace asio
} // namespace boost
