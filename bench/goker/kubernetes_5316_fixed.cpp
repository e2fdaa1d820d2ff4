// GoKer port: gobench/goker/blocking/kubernetes/5316 (kubernetes/kubernetes#5316, fix cc3a433)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (c) Go-style library, include/gochan.h (go::chan, go::select, go::after, go::spawn)
// Bug class: chan send, partner returns early (select takes the timeout case)
// Shape: finishRequest() runs fn on a goroutine that reports on unbuffered
//   `ch` or `errCh`, and selects on both and a timeout. When the timeout
//   wins, the goroutine blocks forever on its send.
// Fix: both channels get a buffer of one.
#include "gochan.h"
#include <chrono>
#include <functional>
#include <string>

void finishRequest(std::chrono::milliseconds timeout, std::function<bool()> fn) {
  go::chan<bool> ch(1);           // the fix
  go::chan<std::string> errCh(1); // the fix
  go::spawn([=] { // G2
    if (!fn())
      errCh.send("error");
    else
      ch.send(true);
  });
  go::select(go::case_recv(ch), go::case_recv(errCh), go::case_recv(go::after(timeout)));
}

int main() {
  go::spawn([] { // G1
    auto fn = [] {
      go::sleep_ms(20); // slower than the request timeout
      return true;
    };
    finishRequest(std::chrono::milliseconds(1), fn);
  });
  go::wait_all_goroutines();
}
