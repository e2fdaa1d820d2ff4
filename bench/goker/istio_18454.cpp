// GoKer port: gobench/goker/blocking/istio/18454 (istio/istio#18454)
// Style: (c) Go-style channels, include/gochan.h (go::chan, go::select, go::Context, go::spawn), with a time.Timer written on them
// Bug class: chan recv: draining a timer channel that was already drained (and the sender of the reset then blocks on the full reset channel)
// Shape: the strategy's event loop selects on the timer's channel, the reset
//   channel (buffer 1) and its context. On a reset it stops the timer and,
//   when Stop() reports that the timer already fired, receives from the
//   timer's channel; but the loop's own timer case has already taken that
//   value, so the receive waits forever. The processor's loop keeps calling
//   OnChange(), whose send on the reset channel blocks once the buffer is
//   full; the processor's Stop() cancels a context that loop no longer
//   watches, and the strategy's context is only cancelled when it returns.
// Fix: (reconstructed) the event loop drains the timer's channel without
//   blocking (a select with a default case) after a failed Stop().
// (Ported in style (c): the event loop is a three-way select over a timer's
//   channel, a buffered channel and a context.)
#include "gochan.h"

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>

using namespace std::chrono_literals;

// time.Timer: C gets a value (buffer 1) when the timer fires; Stop() reports
// whether it stopped a timer that had not fired yet.
class Timer {
  struct State {
    std::mutex mu;
    bool active = false;
    unsigned long gen = 0;
    go::chan<go::unit> C{1};
  };
  std::shared_ptr<State> s_ = std::make_shared<State>();

public:
  explicit Timer(std::chrono::microseconds d) { Reset(d); }
  go::chan<go::unit> C() const { return s_->C; }
  bool Stop() {
    std::lock_guard lk(s_->mu);
    const bool wasActive = s_->active;
    s_->active = false;
    ++s_->gen;
    return wasActive;
  }
  bool Reset(std::chrono::microseconds d) {
    std::lock_guard lk(s_->mu);
    const bool wasActive = s_->active;
    s_->active = true;
    const unsigned long g = ++s_->gen;
    std::thread([s = s_, d, g] {
      std::this_thread::sleep_for(d);
      {
        std::lock_guard lk(s->mu);
        if (s->gen != g || !s->active)
          return;
        s->active = false;
      }
      go::select(go::case_send(s->C, go::unit{}), go::case_default());
    }).detach();
    return wasActive;
  }
};

struct Worker {
  go::Context ctx;
  void Start(const std::function<void()> &setupFn, std::function<void(go::Context)> runFn) {
    if (setupFn)
      setupFn();
    go::spawn([ctx = ctx, runFn = std::move(runFn)] { runFn(ctx); });
  }
  void Stop() { ctx.cancel(); }
};

struct Strategy {
  std::unique_ptr<Timer> timer;
  std::chrono::microseconds timerFrequency{1};
  std::mutex stateLock;
  go::chan<go::unit> resetChan{1};
  std::shared_ptr<Worker> worker = std::make_shared<Worker>();

  void OnChange() {
    stateLock.lock();
    if (timer) {
      stateLock.unlock();
      resetChan.send(go::unit{}); // LEAK: the event loop no longer receives and the buffer is full
      return;
    }
    startTimer();
    stateLock.unlock();
  }

  void startTimer() {
    timer = std::make_unique<Timer>(timerFrequency);
    auto eventLoop = [this](go::Context ctx) {
      for (;;) {
        go::unit u;
        int i = go::select(go::case_recv(timer->C(), &u), go::case_recv(resetChan, &u),
                           go::case_recv(ctx.done(), &u));
        if (i == 0) { // the timer fired
          // the strategy's action runs here
        } else if (i == 1) { // reset
          if (!timer->Stop())
            timer->C().recv(u); // LEAK: the timer case above already took the value
          timer->Reset(timerFrequency);
        } else { // ctx.Done()
          timer->Stop();
          return;
        }
      }
    };
    worker->Start(nullptr, eventLoop);
  }

  void Close() { worker->Stop(); }
};

constexpr int eventChCap = 1024;

struct Processor {
  std::shared_ptr<Strategy> stateStrategy;
  std::shared_ptr<Worker> worker = std::make_shared<Worker>();
  go::chan<int> eventCh{eventChCap};

  void processEvent() { stateStrategy->OnChange(); }

  void Start() {
    auto setupFn = [this] {
      for (int i = 0; i < eventChCap; ++i)
        eventCh.send(0);
    };
    auto runFn = [this](go::Context ctx) {
      for (;;) {
        int ev;
        go::unit u;
        int i = go::select(go::case_recv(ctx.done(), &u), go::case_recv(eventCh, &ev));
        if (i == 0)
          break;
        processEvent();
        go::sleep_ms(1); // handling the event: the timer fires meanwhile
      }
      stateStrategy->Close(); // defer
    };
    worker->Start(setupFn, runFn);
  }

  void Stop() { worker->Stop(); }
};

int main() {
  std::vector<std::shared_ptr<Processor>> ps;
  for (int i = 0; i < 10; ++i) {
    auto strategy = std::make_shared<Strategy>();
    auto p = std::make_shared<Processor>();
    p->stateStrategy = strategy;
    p->Start();
    ps.push_back(p);
  }
  go::sleep_ms(20); // the processors handle a few events
  for (auto &p : ps)
    p->Stop(); // defer p.Stop()
  go::wait_all_goroutines();
}
