// Go runtime pattern: src/runtime/testdata/testgoroutineleakprofile/simple.go, ChanSend
// Style: (a) Boost.Asio experimental channels + C++20 coroutines + awaitable operators
// Bug class: chan send, no partner anywhere (object private to the blocked context)
// Shape: a coroutine sends on an unbuffered channel it just made and shares
//   with no one.
// Fix (no upstream fix: a micro-test): a second coroutine receives.
#include "asio_go.h"
#include <memory>

awaitable<void> sender() {
  auto ex = co_await asio::this_coro::executor;
  auto ch = std::make_shared<chan<int>>(ex);
  co_await ch->async_send(error_code{}, 0, use_awaitable); // LEAK
}

int main() {
  asio::io_context io;
  co_spawn(io, sender(), detached);
  io.run();
}
