#pragma once
// Stub of <boost/asio/deferred.hpp> for threadleak's lit tests: op(...,
// deferred) returns a deferred_async_operation<Signature, ...>, which can be
// launched later with a completion token, co_awaited inside an awaitable
// coroutine, or passed to experimental::make_parallel_group.
#include <boost/asio/async_result.hpp>
#include <boost/asio/detail/type_traits.hpp>
namespace boost {
namespace asio {
namespace detail {
struct stub_deferred_initiation {};
} // namespace detail
template <typename Signature, typename Initiation, typename... InitArgs> class [[nodiscard]] deferred_async_operation {
public:
  template <typename CompletionToken>
  auto operator()(CompletionToken &&token) && -> detail::stub_async_result_t<CompletionToken, Signature> {
    return detail::stub_async_result_t<CompletionToken, Signature>();
  }
};
template <typename Signature, typename Initiation, typename... InitArgs>
struct completion_signature_of<deferred_async_operation<Signature, Initiation, InitArgs...>> {
  typedef Signature type;
};
class deferred_t {
public:
  constexpr deferred_t() {}
  template <typename InnerExecutor> struct executor_with_default : InnerExecutor {
    typedef deferred_t default_completion_token_type;
    executor_with_default(const InnerExecutor &ex) noexcept : InnerExecutor(ex) {}
  };
  template <typename T>
  using as_default_on_t = typename T::template rebind_executor<executor_with_default<typename T::executor_type>>::other;
};
constexpr deferred_t deferred;
// As in Asio 1.81, deferred supports exactly one completion signature.
template <typename... Signatures> class async_result<deferred_t, Signatures...> {};
template <typename Signature> class async_result<deferred_t, Signature> {
public:
  typedef deferred_async_operation<Signature, detail::stub_deferred_initiation> return_type;
};
} // namespace asio
} // namespace boost
