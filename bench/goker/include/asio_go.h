// asio_go.h - the few Boost.Asio names the style-(a) ports share: Go's
// `chan T` as an experimental channel carrying (error_code, T), a coroutine
// sleep, and the awaitable operators (`||` is Go's select over two cases).
#pragma once
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <chrono>

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using asio::awaitable;
using asio::co_spawn;
using asio::detached;
using asio::use_awaitable;
using error_code = boost::system::error_code;

// chan<T> ch(ex) is make(chan T); chan<T> ch(ex, n) is make(chan T, n).
template <typename T> using chan = asio::experimental::channel<void(error_code, T)>;
// chan<void> for `chan struct{}`
using signal_chan = asio::experimental::channel<void(error_code)>;

inline awaitable<void> sleep_ms(int ms) {
  asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
  co_await t.async_wait(use_awaitable);
}
