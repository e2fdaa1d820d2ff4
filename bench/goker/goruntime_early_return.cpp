// Go runtime pattern: src/runtime/testdata/testgoroutineleakprofile/commonpatterns.go, EarlyReturn
// Style: (a) Boost.Asio experimental channels + C++20 coroutines + awaitable operators
// Bug class: chan send, partner returns early (error path)
// Shape: earlyReturn() starts a sender on an unbuffered channel and returns on
//   its error path before receiving: the sender blocks forever.
// Fix (the pattern's usual cure): the channel gets a buffer of one, so the
//   sender completes whether or not anyone receives.
#include "asio_go.h"
#include <memory>

awaitable<void> earlyReturn(bool err) {
  auto ex = co_await asio::this_coro::executor;
  auto ch = std::make_shared<chan<int>>(ex); // synchronous
  co_spawn(ex, [ch]() -> awaitable<void> {
    co_await ch->async_send(error_code{}, 1, use_awaitable); // LEAK
  }, detached);
  if (err)
    co_return; // the sender leaks
  co_await ch->async_receive(use_awaitable);
}

int main() {
  asio::io_context io;
  co_spawn(io, earlyReturn(true), detached);
  io.run();
}
