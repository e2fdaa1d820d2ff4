// GoKer port: gobench/goker/blocking/grpc/660 (grpc/grpc-go#660, fix ceacfbc)
// Style: (c) Go-style channels, include/gochan.h (go::chan, go::select, go::spawn)
// Bug class: chan send, partner returns early (select takes the stop case)
// Shape: doCloseLoopUnary() starts a goroutine per request that reports on an
//   unbuffered `done`, then selects on `stop` and `done`. When `stop` wins the
//   loop returns and the request goroutine blocks forever sending on `done`.
// Fix: `done` gets a buffer of one, so the send never waits for the loop
//   ("the parent function could return without draining the done channel").
// (Ported in style (c), not (a): with Boost 1.81's asio channels a receive
//   cancelled by `||` leaves the channel unable to accept a later send, which
//   would hang the fixed twin; see README.md.)
#include "gochan.h"

struct BenchmarkClient {
  go::chan<bool> stop;
};

void doCloseLoopUnary(BenchmarkClient bc) {
  for (;;) {
    go::chan<bool> done; // unbuffered
    go::spawn([done] {   // G2: the unary call
      go::sleep_ms(20);  // the RPC is slower than the stop request
      done.send(true);   // LEAK
    });
    bool v;
    int i = go::select(go::case_recv(bc.stop, &v), go::case_recv(done, &v));
    if (i == 0)
      return; // stop: nobody will ever receive from `done`
  }
}

int main() {
  BenchmarkClient bc{go::chan<bool>()};
  go::spawn([bc] { doCloseLoopUnary(bc); }); // G1
  go::spawn([bc] { bc.stop.send(true); });   // helper: the benchmark ends
  go::wait_all_goroutines();                 // goleak: every goroutine must end
}
