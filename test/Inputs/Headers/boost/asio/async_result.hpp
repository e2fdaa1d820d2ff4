#pragma once
// Stub of <boost/asio/async_result.hpp> for threadleak's lit tests. An
// asynchronous operation's return type is
// async_result<decay_t<CompletionToken>, Signature>::return_type, as in Asio:
// void for plain callbacks and detached, awaitable<...> for use_awaitable,
// deferred_async_operation<...> for deferred.
#include <boost/asio/detail/type_traits.hpp>
namespace boost {
namespace asio {
template <typename CompletionToken, typename... Signatures> class async_result {
public:
  typedef void return_type;
  template <typename Initiation, typename RawCompletionToken, typename... Args>
  static return_type initiate(Initiation &&initiation, RawCompletionToken &&token, Args &&...args);
};
namespace detail {
template <typename T, typename = void> struct default_completion_token_impl { typedef void type; };
template <typename T>
struct default_completion_token_impl<T, typename void_type<typename T::default_completion_token_type>::type> {
  typedef typename T::default_completion_token_type type;
};
} // namespace detail
// void (no default token) unless the I/O executor was adapted with e.g.
// use_awaitable_t<>::as_default_on / executor_with_default.
template <typename T> struct default_completion_token : detail::default_completion_token_impl<T> {};
template <typename T> using default_completion_token_t = typename default_completion_token<T>::type;

// Specialised for each stub asynchronous-operation type (deferred).
template <typename T, typename... Args> struct completion_signature_of {};
template <typename T, typename... Args>
using completion_signature_of_t = typename completion_signature_of<T, Args...>::type;

namespace detail {
template <typename T, typename = void> struct stub_has_completion_signature : false_type {};
template <typename T>
struct stub_has_completion_signature<T, typename void_type<typename completion_signature_of<T>::type>::type>
    : true_type {};
// The return type of an initiating function called with `CompletionToken`.
template <typename CompletionToken, typename... Signatures>
using stub_async_result_t =
    typename async_result<typename std::decay<CompletionToken>::type, Signatures...>::return_type;
} // namespace detail

template <typename T, typename... Args>
struct is_async_operation
    : integral_constant<bool, detail::stub_has_completion_signature<typename std::decay<T>::type>::value> {};

template <typename CompletionToken, typename... Signatures, typename Initiation, typename... Args>
detail::stub_async_result_t<CompletionToken, Signatures...> async_initiate(Initiation &&initiation,
                                                                          CompletionToken &token, Args &&...args);
} // namespace asio
} // namespace boost
