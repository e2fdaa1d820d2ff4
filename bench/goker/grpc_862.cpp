// GoKer port: gobench/goker/blocking/grpc/862 (grpc/grpc-go#862, fix dd5645b)
// Style: (a) Boost.Asio experimental channels + C++20 coroutines + awaitable operators
// Bug class: context never cancelled on a path (chan & context)
// Shape: DialContext() starts resetAddrConn(), which blocks on the ClientConn's
//   done signal (ctx.Done()). When the dial context is cancelled, the deferred
//   cleanup only closes the ClientConn if `conn != nil`; on that path conn is
//   nil, the ClientConn is never closed and the coroutine waits forever.
// Fix: the deferred cleanup closes `cc` itself (cc.Close()) instead of `conn`.
#include "asio_go.h"
#include <memory>

struct ClientConn {
  signal_chan done; // cc.ctx.Done(): closed by Close()
  explicit ClientConn(asio::any_io_executor ex) : done(ex) {}
  void Close() { done.close(); }
  awaitable<void> resetAddrConn() { // -> addrConn.resetTransport()
    co_await sleep_ms(1);           // one dial attempt, then wait to be torn down
    co_await done.async_receive(asio::as_tuple(use_awaitable)); // LEAK
  }
};

// Returns the connection, or nullptr when the dial context was cancelled.
awaitable<std::shared_ptr<ClientConn>> DialContext(signal_chan &ctxDone) {
  auto ex = co_await asio::this_coro::executor;
  auto cc = std::make_shared<ClientConn>(ex);
  std::shared_ptr<ClientConn> conn;
  co_spawn(ex, [cc]() -> awaitable<void> { co_await cc->resetAddrConn(); }, detached); // G2
  co_await sleep_ms(5);
  // defer: select { case <-ctx.Done(): ...; default: }
  if (!ctxDone.is_open()) {
    if (conn)
      conn->Close();
    conn = nullptr;
  }
  co_return conn;
}

int main() {
  asio::io_context io;
  signal_chan ctxDone(io);
  co_spawn(io, [&]() -> awaitable<void> { co_await DialContext(ctxDone); }, detached); // G1
  co_spawn(io, [&]() -> awaitable<void> { ctxDone.close(); co_return; }, detached);    // cancel()
  io.run();
}
