// Go runtime pattern: src/runtime/testdata/testgoroutineleakprofile/commonpatterns.go, MethodContractViolation
// Style: (a) Boost.Asio experimental channels + C++20 coroutines + awaitable operators
// Bug class: select loop whose stop case is never triggered (Stop() not called)
// Shape: worker.Start() runs a loop selecting on `ch` || `done`; only Stop()
//   closes `done`. workerLifecycle() starts a worker, feeds it and returns
//   without calling Stop(): the loop waits forever.
// Fix: workerLifecycle() stops the worker before returning (defer w.Stop()).
#include "asio_go.h"
#include <memory>
#include <vector>

struct Worker {
  chan<int> ch;
  signal_chan done;
  explicit Worker(asio::any_io_executor ex) : ch(ex), done(ex) {}
};

void Start(std::shared_ptr<Worker> w, asio::any_io_executor ex) {
  co_spawn(ex, [w]() -> awaitable<void> {
    for (;;) {
      auto r = co_await (w->ch.async_receive(use_awaitable) || // LEAK
                         w->done.async_receive(asio::as_tuple(use_awaitable)));
      if (r.index() == 1)
        co_return; // shut down
    }
  }, detached);
}
void Stop(Worker &w) { w.done.close(); }

awaitable<void> workerLifecycle(std::vector<int> items) {
  auto ex = co_await asio::this_coro::executor;
  auto w = std::make_shared<Worker>(ex);
  Start(w, ex);
  for (int item : items)
    co_await w->ch.async_send(error_code{}, item, use_awaitable);
  // exits without calling Stop()
}

int main() {
  asio::io_context io;
  co_spawn(io, workerLifecycle(std::vector<int>(10)), detached);
  io.run();
}
