#pragma once
// Stub of <boost/asio/detached.hpp> for threadleak's lit tests. An operation
// started with `detached` returns void and its result is discarded.
#include <boost/asio/async_result.hpp>
#include <boost/asio/detail/type_traits.hpp>
namespace boost {
namespace asio {
class detached_t {
public:
  constexpr detached_t() {}
  template <typename InnerExecutor> struct executor_with_default : InnerExecutor {
    typedef detached_t default_completion_token_type;
    executor_with_default(const InnerExecutor &ex) noexcept : InnerExecutor(ex) {}
  };
  template <typename T>
  using as_default_on_t = typename T::template rebind_executor<executor_with_default<typename T::executor_type>>::other;
};
constexpr detached_t detached;
// As in Asio, detached supports exactly one completion signature.
template <typename... Signatures> class async_result<detached_t, Signatures...> {};
template <typename Signature> class async_result<detached_t, Signature> {
public:
  typedef void return_type;
};
} // namespace asio
} // namespace boost
