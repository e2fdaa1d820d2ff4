// GoKer port: gobench/goker/blocking/kubernetes/70277 (kubernetes/kubernetes#70277)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (c) Go-style library, include/gochan.h (go::chan, go::select, go::after, go::Context, go::spawn)
// Bug class: chan recv on a done channel the owner closes only after the wait
//   (a context waiting for what only its own later code releases)
// Shape: WaitFor(wait, fn, done) hands the caller's `done` to the poller and
//   returns as soon as fn() is true. The test captured that `done` (doneCh)
//   and waits on it, but `done` is the test's own stopCh, closed only by the
//   test's deferred close: the test blocks forever.
// Fix: WaitFor() derives its own done channel from the caller's
//   (contextForChannel) and cancels it when it returns, so the poller and
//   anyone holding that channel are released.
// (time.NewTicker is approximated by a fresh go::after per loop round.)
#include "gochan.h"
#include <chrono>
#include <functional>

using Signal = go::chan<go::unit>;
using WaitFunc = std::function<Signal(Signal done)>;
using ms = std::chrono::milliseconds;

// the fix: a done channel of WaitFor's own, closed when the caller's is or when WaitFor returns
bool WaitFor(WaitFunc wait, std::function<bool()> fn, Signal done) {
  auto [ctx, cancel] = go::with_cancel();
  go::spawn([done, ctx = ctx] {
    go::select(go::case_recv(done), go::case_recv(ctx.done()));
    ctx.cancel();
  });
  Signal c = wait(ctx.done());
  bool result = false;
  for (;;) {
    bool open = c.recv().has_value();
    if (fn()) {
      result = true;
      break;
    }
    if (!open)
      break;
  }
  cancel(); // defer cancel()
  return result;
}

WaitFunc poller(ms interval, ms timeout) {
  return [=](Signal done) {
    Signal ch;
    go::spawn([=] {
      Signal after = go::after(timeout);
      for (;;) {
        int i = go::select(go::case_recv(go::after(interval)), go::case_recv(after), go::case_recv(done));
        if (i == 0) {
          go::select(go::case_send(ch, go::unit{}), go::case_default());
        } else {
          ch.close();
          return;
        }
      }
    });
    return ch;
  };
}

int main() {
  go::spawn([] {
    Signal stopCh;
    WaitFunc waitFunc = poller(ms(1), ms(80));
    Signal doneCh;
    WaitFor([&](Signal done) { doneCh = done; return waitFunc(done); },
            [] { go::sleep_ms(10); return true; }, stopCh);
    doneCh.recv();
    stopCh.close(); // defer close(stopCh)
  });
  go::wait_all_goroutines();
}
