// GoKer port: gobench/goker/blocking/kubernetes/25331 (kubernetes/kubernetes#25331, fix 97f4647)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (a) Boost.Asio experimental channels + C++20 coroutines + awaitable operators
// Bug class: chan send, partner returns early (chan & context)
// Shape: watchChan.run() selects on errChan || ctx.Done(). Stop() sends an
//   error and cancels. run() takes the error, cancels the context itself and
//   then sends the result on the unbuffered resultChan, which nobody reads:
//   run() blocks forever.
// Fix: run() no longer cancels, and sends the result in a select with
//   ctx.Done(), so Stop()'s cancel() releases it.
#include "asio_go.h"
#include <string>

struct WatchChan {
  signal_chan ctxDone; // ctx.Done(), closed by cancel()
  chan<bool> resultChan;
  chan<std::string> errChan;
  explicit WatchChan(asio::any_io_executor ex) : ctxDone(ex), resultChan(ex), errChan(ex) {}
  void cancel() { ctxDone.close(); }

  awaitable<void> Stop() {
    co_await errChan.async_send(error_code{}, "Error", use_awaitable);
    cancel();
  }

  awaitable<void> run() {
    auto r = co_await (errChan.async_receive(use_awaitable) || ctxDone.async_receive(asio::as_tuple(use_awaitable)));
    if (r.index() == 0) {
      bool errResult = !std::get<0>(r).empty();
      // the fix: no cancel() here, and the send gives up when the context is done
      co_await (resultChan.async_send(error_code{}, errResult, use_awaitable) ||
                ctxDone.async_receive(asio::as_tuple(use_awaitable)));
    }
  }
};

int main() {
  asio::io_context io;
  WatchChan wc(io.get_executor());
  co_spawn(io, wc.run(), detached);  // G1
  co_spawn(io, wc.Stop(), detached); // G2
  io.run();
}
