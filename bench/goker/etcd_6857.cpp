// GoKer port: gobench/goker/blocking/etcd/6857 (etcd-io/etcd#6857, fix 7afc490)
// Style: (a) Boost.Asio experimental channels + C++20 coroutines + awaitable operators
// Bug class: chan send, partner's loop has left (select without stop case)
// Shape: node.run() serves `status` requests in a select loop until `stop`,
//   then closes `done` and returns. Status() sends its reply channel on
//   `status` with no way out: called after Stop(), it blocks forever.
// Fix: Status() selects between sending on `status` and `<-n.done`.
#include "asio_go.h"
#include <memory>

struct Status {};

struct Node {
  chan<std::shared_ptr<chan<Status>>> status;
  signal_chan stop, done;
  explicit Node(asio::any_io_executor ex) : status(ex), stop(ex), done(ex) {}

  awaitable<Status> GetStatus() {
    auto c = std::make_shared<chan<Status>>(co_await asio::this_coro::executor);
    co_await status.async_send(error_code{}, c, use_awaitable); // LEAK
    co_return co_await c->async_receive(use_awaitable);
  }

  awaitable<void> run() {
    for (;;) {
      auto r = co_await (status.async_receive(use_awaitable) || stop.async_receive(asio::as_tuple(use_awaitable)));
      if (r.index() == 0) {
        co_await std::get<0>(r)->async_send(error_code{}, Status{}, use_awaitable);
      } else {
        done.close();
        co_return;
      }
    }
  }

  awaitable<void> Stop() {
    auto r = co_await (stop.async_send(error_code{}, use_awaitable) || done.async_receive(asio::as_tuple(use_awaitable)));
    if (r.index() == 1)
      co_return;
    co_await done.async_receive(asio::as_tuple(use_awaitable));
  }
};

int main() {
  asio::io_context io;
  Node n(io.get_executor());
  co_spawn(io, n.run(), detached);  // G1
  co_spawn(io, n.Stop(), detached); // G3
  co_spawn(io, [&]() -> awaitable<void> { // G2: asks for the status after the node stopped
    co_await sleep_ms(10);
    co_await n.GetStatus();
  }, detached);
  io.run();
}
