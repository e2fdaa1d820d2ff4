// GoKer port: gobench/goker/blocking/kubernetes/11298 (kubernetes/kubernetes#11298)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (c) Go-style library, include/gochan.h (go::chan, go::select, go::Mutex, go::Cond, go::spawn)
// Bug class: cond + chan: a signal sent before anyone waits is lost, and the
//   signaller then waits for the waiter on a channel
// Shape: the notifier's serviceLoop runs each cond.Wait() on a goroutine
//   (After) and selects on its done channel and on `finished`. When the
//   notifications stop, `finished` is closed and serviceLoop calls
//   cond.Signal() once and waits for the waiter's channel; if the waiter had
//   not reached Wait() yet, the signal is lost: the waiter waits forever and
//   serviceLoop, Notify() and the test with them.
// Fix (reconstructed; the upstream patch is not in the corpus): serviceLoop
//   keeps broadcasting until the waiter's channel is closed.
// (Go's Cond.Wait() may unlock a mutex another goroutine locked: go::Mutex
//   and go::Cond keep that; std::condition_variable could not.)
#include "gochan.h"
#include <chrono>
#include <functional>
#include <memory>

using Signal = go::chan<go::unit>;
using ms = std::chrono::milliseconds;

Signal After(std::function<void()> f) {
  Signal ch;
  go::spawn([ch, f] {
    if (f)
      f();
    ch.close();
  });
  return ch;
}

void Until(const std::function<void()> &f, ms period, Signal stopCh) {
  if (!f)
    return;
  for (;;) {
    if (go::select(go::case_recv(stopCh), go::case_default()) == 0)
      return;
    f();
    go::select(go::case_recv(stopCh), go::case_recv(go::after(period)));
  }
}

struct Notifier {
  go::Mutex lock;
  go::Cond cond{&lock};

  void serviceLoop(Signal abort) { // abort will be closed no matter what
    lock.lock();
    for (;;) {
      if (go::select(go::case_recv(abort), go::case_default()) == 0)
        break;
      Signal ch = After([this] {
        go::sleep_ms(30); // the waiter is scheduled late
        cond.Wait();
      });
      if (go::select(go::case_recv(abort), go::case_recv(ch)) == 0) {
        for (;;) { // the fix: wake the waiter until it has left
          cond.Broadcast();
          if (go::select(go::case_recv(ch), go::case_recv(go::after(ms(1)))) == 0)
            break;
        }
        break;
      }
    }
    lock.unlock();
  }
};

void Notify(Signal abort) {
  auto n = std::make_shared<Notifier>();
  Signal finished = After([n, abort] {
    Until([n, abort] {
      for (;;) {
        if (go::select(go::case_recv(abort), go::case_default()) == 0)
          return;
        n->lock.lock();
        n->cond.Signal();
        n->lock.unlock();
        go::sleep_ms(1);
      }
    }, ms(0), abort);
  });
  Until([n, finished] { n->serviceLoop(finished); }, ms(0), abort);
}

int main() {
  go::spawn([] {
    Signal done;
    Signal notifyDone = After([done] { Notify(done); });
    go::spawn([done] {
      go::sleep_ms(1);
      done.close();
    });
    notifyDone.recv();
  });
  go::wait_all_goroutines();
}
