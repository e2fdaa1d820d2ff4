// Go runtime pattern: src/runtime/testdata/testgoroutineleakprofile/commonpatterns.go, DoubleSend
// Style: (a) Boost.Asio experimental channels + C++20 coroutines + awaitable operators
// Bug class: counts: two sends on the error path, one receive
// Shape: doubleSend() reports an error with a send but does not return, so it
//   sends a second time; the caller receives once and the second send blocks
//   forever.
// Fix: return after the error send.
#include "asio_go.h"
#include <memory>

awaitable<void> doubleSend(std::shared_ptr<chan<int>> ch, bool err) {
  if (err) {
    co_await ch->async_send(error_code{}, 0, use_awaitable); // the error result
    // return is missing here
  }
  co_await ch->async_send(error_code{}, 1, use_awaitable); // LEAK
}

awaitable<void> caller() {
  auto ex = co_await asio::this_coro::executor;
  auto ch = std::make_shared<chan<int>>(ex);
  co_spawn(ex, doubleSend(ch, false), detached);
  co_await ch->async_receive(use_awaitable);
  co_spawn(ex, doubleSend(ch, true), detached);
  co_await ch->async_receive(use_awaitable);
}

int main() {
  asio::io_context io;
  co_spawn(io, caller(), detached);
  io.run();
}
