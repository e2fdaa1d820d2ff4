// GoKer port: gobench/goker/blocking/moby/33781 (moby/moby#33781, fix 67297ba)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (c) Go-style channels, include/gochan.h (go::chan, go::select, go::Context, go::after, go::spawn)
// Bug class: chan send, partner returns early (select takes the stop case)
// Shape: the health monitor starts a probe goroutine per interval that
//   reports on an unbuffered `results`, then selects on `stop`, `results` and
//   the probe's timeout. When `stop` wins, the monitor cancels the probe and
//   returns without draining `results`: the probe goroutine blocks forever
//   sending its result.
// Fix: the stop case waits for the probe to exit (receives from `results`)
//   before returning.
// (Ported in style (c): the kernel is a three-way select, stop / result /
//   timeout, inside a two-way select loop.)
#include "gochan.h"

#include <chrono>

using namespace std::chrono_literals;

// context.WithTimeout(context.Background(), d)
std::pair<go::Context, std::function<void()>> withTimeout(std::chrono::milliseconds d) {
  auto [ctx, cancel] = go::with_cancel();
  go::spawn([cancel = cancel, d] {
    std::this_thread::sleep_for(d);
    cancel();
  });
  return {ctx, cancel};
}

void monitor(go::chan<bool> stop) {
  const auto probeInterval = 1ms;
  const auto probeTimeout = 100ms;
  for (;;) {
    bool v;
    go::unit tick;
    int i = go::select(go::case_recv(stop, &v), go::case_recv(go::after(probeInterval), &tick));
    if (i == 0)
      return;
    go::chan<bool> results; // unbuffered
    auto [ctx, cancelProbe] = withTimeout(probeTimeout);
    go::spawn([results] { // G3: the probe
      go::sleep_ms(50);   // the probe runs longer than it takes to stop the monitor
      results.send(true);
      results.close();
    });
    go::unit u;
    int j = go::select(go::case_recv(stop, &v), go::case_recv(results, &v), go::case_recv(ctx.done(), &u));
    switch (j) {
    case 0: // stop
      cancelProbe();
      // wait for the probe to exit (dying probes must not pile up)
      results.recv(v);
      return;
    case 1: // the probe's result
      cancelProbe();
      break;
    case 2: // the probe timed out
      cancelProbe();
      results.recv(v);
      break;
    }
  }
}

int main() {
  for (int i = 0; i < 10; ++i) {
    go::chan<bool> stop;                   // unbuffered
    go::spawn([stop] { monitor(stop); }); // G1
    go::spawn([stop] {                    // G2: the container stops
      go::sleep_ms(5);
      stop.send(true);
    });
  }
  go::wait_all_goroutines();
}
