// GoKer port: gobench/goker/blocking/kubernetes/38669 (kubernetes/kubernetes#38669)
// Style: (a) Boost.Asio experimental channels + C++20 coroutines + awaitable operators
// Bug class: chan send, partner returns early (the watcher is stopped before
//   anyone reads its results)
// Shape: newCacheWatcher() starts process(), which first sends every initial
//   event on the unbuffered `result`. The test stops the watcher without ever
//   reading `result`: Stop() closes `input`, but process() is stuck in the
//   first send and never reaches the loop that would see the close.
// Fix: the watcher gets a `done` channel that stop() closes, and every send on
//   `result` is a select with `<-done`.
#include "asio_go.h"
#include <memory>
#include <vector>

struct CacheWatcher {
  chan<int> input, result;
  bool stopped = false;
  CacheWatcher(asio::any_io_executor ex, std::size_t n) : input(ex, n), result(ex, n) {}

  awaitable<void> sendWatchCacheEvent(int event) {
    co_await result.async_send(error_code{}, event, use_awaitable); // LEAK
  }
  awaitable<void> process(std::vector<int> initEvents) {
    for (int e : initEvents)
      co_await sendWatchCacheEvent(e);
    for (;;) {
      auto [ec, v] = co_await input.async_receive(asio::as_tuple(use_awaitable));
      if (ec)
        break; // input closed
    }
    Stop();
    result.close();
  }
  void Stop() {
    if (!stopped) {
      stopped = true;
      input.close();
    }
  }
};

int main() {
  asio::io_context io;
  auto w = std::make_shared<CacheWatcher>(io.get_executor(), 0);
  co_spawn(io, w->process({1, 2}), detached);
  co_spawn(io, [w]() -> awaitable<void> { w->Stop(); co_return; }, detached);
  io.run();
}
