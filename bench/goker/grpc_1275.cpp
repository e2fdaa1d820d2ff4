// GoKer port: gobench/goker/blocking/grpc/1275 (grpc/grpc-go#1275, fix 0669f3f)
// Style: (a) Boost.Asio experimental channels + C++20 coroutines + awaitable operators
// Bug class: chan recv, partner never sends (the close path forgets to signal)
// Shape: a reader coroutine blocks in stream.Read() on the stream's receive
//   buffer; CloseStream() should wake it but sends nothing. The test waits for
//   the reader with a timeout, gives up, and the reader stays blocked.
// Fix: CloseStream() sends on the stream's receive buffer (the upstream patch
//   "sends out this message").
#include "asio_go.h"

struct Stream {
  chan<bool> recv; // recvBuffer.c
  explicit Stream(asio::any_io_executor ex) : recv(ex) {}
  awaitable<void> Read() { // recvBufferReader.Read via io.ReadFull
    co_await recv.async_receive(use_awaitable); // LEAK
  }
};

struct Http2Client {
  awaitable<void> CloseStream(Stream &s) {
    (void)s; // the message that would end the in-flight Read() is never sent
    co_return;
  }
};

awaitable<void> testInflightStreamClosing() {
  auto ex = co_await asio::this_coro::executor;
  Http2Client client;
  auto stream = std::make_shared<Stream>(ex);
  auto donec = std::make_shared<signal_chan>(ex);
  co_spawn(ex, [stream, donec]() -> awaitable<void> { // G2
    co_await stream->Read();
    donec->close();
  }, detached);
  co_await sleep_ms(5);
  co_await client.CloseStream(*stream);
  asio::steady_timer timeout(ex, std::chrono::milliseconds(50));
  co_await (donec->async_receive(asio::as_tuple(use_awaitable)) || timeout.async_wait(use_awaitable));
}

int main() {
  asio::io_context io;
  co_spawn(io, testInflightStreamClosing(), detached); // G1
  io.run();
}
