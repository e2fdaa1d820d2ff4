#pragma once
// Stub of <boost/asio/experimental/awaitable_operators.hpp> for threadleak's
// lit tests. `a || b` runs both awaitables and, when one completes
// successfully, cancels the other; it yields a std::variant with one
// alternative per operand (std::monostate for awaitable<void>), index() says
// which operand won. `a && b` waits for both (cancelling the other if one
// fails) and yields a std::tuple of the non-void results.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/cancellation_condition.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <optional>
#include <tuple>
#include <variant>
namespace boost {
namespace asio {
namespace experimental {
namespace awaitable_operators {
template <typename Executor>
awaitable<void, Executor> operator&&(awaitable<void, Executor> t, awaitable<void, Executor> u);
template <typename U, typename Executor>
awaitable<U, Executor> operator&&(awaitable<void, Executor> t, awaitable<U, Executor> u);
template <typename T, typename Executor>
awaitable<T, Executor> operator&&(awaitable<T, Executor> t, awaitable<void, Executor> u);
template <typename T, typename U, typename Executor>
awaitable<std::tuple<T, U>, Executor> operator&&(awaitable<T, Executor> t, awaitable<U, Executor> u);
template <typename... T, typename Executor>
awaitable<std::tuple<T..., std::monostate>, Executor> operator&&(awaitable<std::tuple<T...>, Executor> t,
                                                                 awaitable<void, Executor> u);
template <typename... T, typename U, typename Executor>
awaitable<std::tuple<T..., U>, Executor> operator&&(awaitable<std::tuple<T...>, Executor> t,
                                                    awaitable<U, Executor> u);

template <typename Executor>
awaitable<std::variant<std::monostate, std::monostate>, Executor> operator||(awaitable<void, Executor> t,
                                                                            awaitable<void, Executor> u);
template <typename U, typename Executor>
awaitable<std::variant<std::monostate, U>, Executor> operator||(awaitable<void, Executor> t, awaitable<U, Executor> u);
template <typename T, typename Executor>
awaitable<std::variant<T, std::monostate>, Executor> operator||(awaitable<T, Executor> t, awaitable<void, Executor> u);
template <typename T, typename U, typename Executor>
awaitable<std::variant<T, U>, Executor> operator||(awaitable<T, Executor> t, awaitable<U, Executor> u);
template <typename... T, typename Executor>
awaitable<std::variant<T..., std::monostate>, Executor> operator||(awaitable<std::variant<T...>, Executor> t,
                                                                   awaitable<void, Executor> u);
template <typename... T, typename U, typename Executor>
awaitable<std::variant<T..., U>, Executor> operator||(awaitable<std::variant<T...>, Executor> t,
                                                      awaitable<U, Executor> u);
} // namespace awaitable_operators
} // namespace experimental
} // namespace asio
} // namespace boost
