#pragma once
// Stub of <boost/asio/is_executor.hpp> and execution::is_executor for
// threadleak's lit tests. A stub executor type is one that declares the
// nested type `stub_is_executor_tag`.
#include <boost/asio/detail/type_traits.hpp>
namespace boost {
namespace asio {
namespace detail {
template <typename T, typename = void> struct stub_is_executor : false_type {};
template <typename T> struct stub_is_executor<T, typename void_type<typename T::stub_is_executor_tag>::type> : true_type {};
} // namespace detail
template <typename T> struct is_executor : detail::stub_is_executor<typename std::decay<T>::type> {};
namespace execution {
template <typename T> struct is_executor : detail::stub_is_executor<typename std::decay<T>::type> {};
} // namespace execution
} // namespace asio
} // namespace boost
