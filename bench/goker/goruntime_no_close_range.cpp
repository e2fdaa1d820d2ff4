// Go runtime pattern: src/runtime/testdata/testgoroutineleakprofile/commonpatterns.go, NoCloseRange
// Style: (a) Boost.Asio experimental channels + C++20 coroutines + awaitable operators
// Bug class: chan recv until closed, owner never closes (and, with no
//   workers, a send with no receiver)
// Shape: noCloseRange() starts `workers` consumers that range over `ch`, sends
//   the items and returns without closing `ch`: the consumers block forever.
//   With zero workers the first send blocks forever.
// Fix: close `ch` after the last item, and do not send when there are no workers.
#include "asio_go.h"
#include <memory>
#include <vector>

awaitable<void> noCloseRange(std::vector<int> list, int workers) {
  auto ex = co_await asio::this_coro::executor;
  auto ch = std::make_shared<chan<int>>(ex);
  for (int i = 0; i < workers; ++i) {
    co_spawn(ex, [ch]() -> awaitable<void> {
      for (;;) { // for item := range ch
        auto [ec, item] = co_await ch->async_receive(asio::as_tuple(use_awaitable)); // LEAK
        if (ec)
          break;
        (void)item;
      }
    }, detached);
  }
  for (int item : list)
    co_await ch->async_send(error_code{}, item, use_awaitable); // LEAK: no workers
  // ch is never closed
}

int main() {
  asio::io_context io;
  co_spawn(io, noCloseRange({1, 2, 3}, 0), detached);
  co_spawn(io, noCloseRange({1, 2, 3}, 3), detached);
  io.run();
}
