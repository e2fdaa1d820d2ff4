// Go runtime pattern: src/runtime/testdata/testgoroutineleakprofile/commonpatterns.go, NCastLeak
// Style: (a) Boost.Asio experimental channels + C++20 coroutines + awaitable operators
// Bug class: counts: N senders spawned in a loop, one receive (and, with no
//   items, a receive with no sender at all)
// Shape: nCastLeak() starts one sender per item on an unbuffered channel and
//   takes only the first result: the other N-1 senders block forever; with no
//   items the receiver itself blocks forever.
// Fix: the channel is buffered with one slot per item, and no receive is made
//   when there are no items.
#include "asio_go.h"
#include <memory>
#include <vector>

awaitable<void> nCastLeak(std::vector<int> items) {
  auto ex = co_await asio::this_coro::executor;
  auto ch = std::make_shared<chan<int>>(ex); // synchronous
  for (int item : items) {
    co_spawn(ex, [ch, item]() -> awaitable<void> {
      co_await ch->async_send(error_code{}, item, use_awaitable); // LEAK
    }, detached);
  }
  co_await ch->async_receive(use_awaitable); // LEAK: first result only
}

int main() {
  asio::io_context io;
  co_spawn(io, nCastLeak({}), detached);
  co_spawn(io, nCastLeak({1, 2, 3, 4, 5}), detached);
  io.run();
}
