// GoKer port: gobench/goker/blocking/grpc/1424 (grpc/grpc-go#1424, fix 64bd0b0)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (a) Boost.Asio experimental channels + C++20 coroutines + awaitable operators
// Bug class: chan recv, partner returns without signalling
// Shape: DialContext()'s goroutine starts lbWatcher(doneChan) and waits on
//   `<-doneChan`. lbWatcher ranges over the balancer's notify channel; when it
//   is closed lbWatcher returns without closing doneChan, so the waiter
//   blocks forever.
// Fix: lbWatcher closes doneChan when it returns.
#include "asio_go.h"
#include <memory>
#include <mutex>
#include <vector>

struct AddrConn {
  std::mutex mu;
  void tearDown() { std::lock_guard lk(mu); }
};

struct ClientConn {
  chan<bool> addrCh; // roundRobin.addrCh, the balancer's Notify()
  std::vector<std::shared_ptr<AddrConn>> conns;
  explicit ClientConn(asio::any_io_executor ex) : addrCh(ex) {}

  awaitable<void> lbWatcher(std::shared_ptr<signal_chan> doneChan) {
    for (;;) { // for addr := range Notify()
      auto [ec, addr] = co_await addrCh.async_receive(asio::as_tuple(use_awaitable));
      if (ec)
        break;
      for (auto &c : conns)
        c->tearDown();
    }
    doneChan->close(); // the fix
  }
};

awaitable<void> DialContext() {
  auto ex = co_await asio::this_coro::executor;
  auto cc = std::make_shared<ClientConn>(ex);
  auto waitC = std::make_shared<signal_chan>(ex);
  co_spawn(ex, [cc, waitC, ex]() -> awaitable<void> { // G2
    auto doneChan = std::make_shared<signal_chan>(ex);
    co_spawn(ex, cc->lbWatcher(doneChan), detached); // G3
    co_await doneChan->async_receive(asio::as_tuple(use_awaitable));
    waitC->close();
  }, detached);
  co_await sleep_ms(5);
  cc->addrCh.close(); // the balancer is closed
}

int main() {
  asio::io_context io;
  co_spawn(io, DialContext(), detached); // G1
  io.run();
}
