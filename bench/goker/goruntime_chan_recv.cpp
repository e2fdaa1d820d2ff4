// Go runtime pattern: src/runtime/testdata/testgoroutineleakprofile/simple.go, ChanRecv
// Style: (a) Boost.Asio experimental channels + C++20 coroutines + awaitable operators
// Bug class: chan recv, no partner anywhere (object private to the blocked context)
// Shape: a coroutine receives from a channel it just made and shares with no one.
// Fix (no upstream fix: a micro-test): the channel is shared with a second
//   coroutine that sends on it.
#include "asio_go.h"
#include <memory>

awaitable<void> receiver() {
  auto ex = co_await asio::this_coro::executor;
  auto ch = std::make_shared<chan<int>>(ex);
  co_await ch->async_receive(use_awaitable); // LEAK
}

int main() {
  asio::io_context io;
  co_spawn(io, receiver(), detached);
  io.run();
}
