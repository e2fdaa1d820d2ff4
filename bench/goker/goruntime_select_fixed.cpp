// Go runtime pattern: src/runtime/testdata/testgoroutineleakprofile/simple.go, Select
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (a) Boost.Asio experimental channels + C++20 coroutines + awaitable operators
// Bug class: select with no partner on any case (objects private to the blocked context)
// Shape: a coroutine races a send and a receive on two channels it just made
//   and shares with no one.
// Fix (no upstream fix: a micro-test): a second coroutine sends on the
//   receive case's channel.
#include "asio_go.h"
#include <memory>

awaitable<void> selector() {
  auto ex = co_await asio::this_coro::executor;
  auto a = std::make_shared<chan<int>>(ex), b = std::make_shared<chan<int>>(ex);
  co_spawn(ex, [b]() -> awaitable<void> { // the fix: a partner
    co_await b->async_send(error_code{}, 1, use_awaitable);
  }, detached);
  co_await (a->async_send(error_code{}, 0, use_awaitable) || b->async_receive(use_awaitable));
}

int main() {
  asio::io_context io;
  co_spawn(io, selector(), detached);
  io.run();
}
