// GoKer port: goker/cockroach2448.go in the Go runtime's testgoroutineleakprofile (cockroachdb/cockroach#2448)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (c) Go-style library, include/gochan.h (go::chan, go::select with default, go::spawn): the kernel is selects over three channels
// Bug class: chan: circular wait between two unbuffered channels (each loop sends to the other while it is not receiving)
// Shape: the raft state loop (start()) polls stop / callbackChan / default,
//   and on default hands a membership-change event to the store through
//   sendEvent(), a send on Events (or stop). The store's loop (processRaft())
//   receives the event and runs its callback, which sends a function back on
//   callbackChan (or stop). While the callback waits for the state loop to
//   receive on callbackChan, the state loop is in its next sendEvent(),
//   waiting for the store to receive on Events: both wait forever, and the
//   membership change is never applied. (The Go test never stops the
//   stopper; here the test waits for the first change to be applied and
//   then stops it.)
// Fix (reconstructed; the upstream patch is not in the corpus): sendEvent()
//   keeps serving callbackChan while it waits to hand off its event.
#include "gochan.h"

#include <any>
#include <functional>
#include <memory>

struct Stopper {
  go::chan<bool> Done;
  go::chan<bool> ShouldStop() const { return Done; }
};

struct EventMembershipChangeCommitted {
  std::function<void()> Callback;
};

struct MultiRaft {
  Stopper *stopper;
  go::chan<std::any> Events;
  go::chan<std::function<void()>> callbackChan;
  go::chan<go::unit> applied{1}; // the test's view: a membership change was applied

  // sendEvent can be invoked many times
  void sendEvent(std::any event) {
    for (;;) {
      std::function<void()> cb;
      // the fix: run the callbacks the store sends while waiting to hand off the event
      if (go::select(go::case_send(Events, event), go::case_recv(callbackChan, &cb),
                     go::case_recv(stopper->ShouldStop())) != 1)
        return;
      cb();
    }
  }
};

struct State {
  MultiRaft *m;

  void start() {
    for (;;) {
      std::function<void()> cb;
      switch (go::select(go::case_recv(m->stopper->ShouldStop()), go::case_recv(m->callbackChan, &cb),
                         go::case_default())) {
      case 0:
        return;
      case 1:
        cb();
        break;
      default:
        handleWriteResponse();
        std::this_thread::sleep_for(std::chrono::microseconds(100)); // time.Sleep(100 * time.Microsecond)
        break;
      }
    }
  }

  void handleWriteResponse() {
    MultiRaft *m = this->m;
    m->sendEvent(EventMembershipChangeCommitted{[m] {
      go::select(go::case_send(m->callbackChan, std::function<void()>([m] {
                   go::select(go::case_send(m->applied, go::unit{}), go::case_default());
                 })),
                 go::case_recv(m->stopper->ShouldStop()));
    }});
  }
};

struct Store {
  MultiRaft *multiraft;

  void processRaft() {
    for (;;) {
      std::any e;
      if (go::select(go::case_recv(multiraft->Events, &e), go::case_recv(multiraft->stopper->ShouldStop())) == 1)
        return;
      if (auto *ev = std::any_cast<EventMembershipChangeCommitted>(&e)) {
        auto callback = ev->Callback;
        go::sleep_ms(10); // runtime.Gosched(): the state loop is already in its next sendEvent()
        if (callback)
          callback();
      }
    }
  }
};

int main() {
  Stopper stopper{go::chan<bool>()};
  MultiRaft mr{&stopper, go::chan<std::any>(), go::chan<std::function<void()>>()};
  State st{&mr};
  Store s{&mr};
  go::spawn([&s] { s.processRaft(); }); // G1
  go::spawn([&st] { st.start(); });     // G2
  mr.applied.recv();                    // the membership change is applied
  stopper.Done.close();
  go::wait_all_goroutines();
}
