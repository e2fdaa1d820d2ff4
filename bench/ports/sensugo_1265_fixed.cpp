// Port: sensu/sensu-go#1265 ("Fix a deadlock in the monitor.")
//   (fixes sensu/sensu-go#1264, "Deadlock in the monitor".) The backend keeps
//   one monitor.Monitor per agent session: a managed timer that is reset by
//   every keepalive and fires the keepalive failure handler when the agent
//   goes quiet. Only the monitor's own goroutine touches the time.Timer;
//   everybody else asks it for a reset through the unbuffered resetChan.
//   Monitor.reset() takes m.mu (to guard against sending on the channel that
//   Stop() closes) and then does `m.resetChan <- t` while still holding it.
//   The monitor goroutine selects on resetChan and on timer.C; in the timer
//   branch it runs HandleFailure(), which locks m.mu to set `failing` and,
//   in a deferred Stop(), locks it again. If a keepalive arrives while the
//   goroutine is in the timer branch, the keepalive's reset() holds m.mu and
//   waits for a receive that only the goroutine would do, and the goroutine
//   waits for m.mu: the keepalive worker and the monitor both block forever.
// Style: (c) Go-style library (gochan.h: go::chan for resetChan and the
//   timer channel, go::select in the monitor loop, go::Mutex for m.mu,
//   go::spawn for the goroutines, go::wait_all_goroutines as goleak; a small
//   time.Timer with Stop()/Reset() over a go::chan of capacity one)
// Bug class: a channel send made while holding a mutex that the only
//   receiver needs before it can receive again
// Shape: the agent's monitor (timeout 100 ms) fires at 100 ms; the failure
//   handler then spends 100 ms writing the keepalive event to the store. At
//   150 ms the agent's next keepalive reaches the keepalived worker, whose
//   HandleUpdate() -> reset() locks m.mu and blocks sending on resetChan. At
//   200 ms the failure handler returns and the deferred Stop() blocks on
//   m.mu: both goroutines are stuck and main's goleak check hangs.
// Fix: resetChan gets a buffer of one (`make(chan time.Duration, 1)`), so
//   reset()'s send completes without the monitor goroutine and releases m.mu.
#include "gochan.h"

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

using error = std::string; // "" is nil
using Duration = long;     // milliseconds in this port

// ---- time.Timer: C has a buffer of one; Stop() reports whether it was pending ----
class Timer {
  struct state {
    std::mutex mu;
    unsigned long long gen = 0;
    bool active = false;
  };
  std::shared_ptr<state> st_ = std::make_shared<state>();

public:
  go::chan<go::unit> C{1};
  explicit Timer(Duration d) { Reset(d); }
  bool Stop() {
    std::lock_guard lk(st_->mu);
    bool was = st_->active;
    st_->active = false;
    st_->gen++;
    return was;
  }
  bool Reset(Duration d) {
    std::lock_guard lk(st_->mu);
    bool was = st_->active;
    st_->active = true;
    unsigned long long g = ++st_->gen;
    std::thread([st = st_, c = C, d, g] {
      std::this_thread::sleep_for(std::chrono::milliseconds(d));
      {
        std::lock_guard lk(st->mu);
        if (st->gen != g || !st->active)
          return;
        st->active = false;
      }
      go::select(go::case_send(c, go::unit{}), go::case_default()); // sendTime
    }).detach();
    return was;
  }
};

namespace types {
struct Entity { std::string ID; };
struct Event { std::string Check; };
} // namespace types

// backend/monitor/monitor.go
class Monitor {
public:
  struct UpdateHandler { virtual error HandleUpdate(const types::Event &) = 0; };
  struct FailureHandler { virtual error HandleFailure(const types::Entity &, const types::Event &) = 0; };

  types::Entity Entity;
  types::Event Event;
  Duration Timeout;
  FailureHandler *failureHandler;
  UpdateHandler *updateHandler;

  // New creates a new monitor from an entity, time duration, and handlers.
  static std::shared_ptr<Monitor> New(types::Entity e, types::Event ev, Duration t, UpdateHandler *u, FailureHandler *f) {
    auto m = std::shared_ptr<Monitor>(new Monitor{std::move(e), std::move(ev), t, f, u});
    m->start();
    return m;
  }

  // HandleUpdate causes the Monitor to observe the event.
  error HandleUpdate(const types::Event &event) {
    if (IsStopped()) // once stopped, the reset channel is closed
      return "";
    {
      std::lock_guard lk(mu);
      failing = false;
    }
    reset(Timeout);
    return updateHandler->HandleUpdate(event);
  }

  // HandleFailure flips the monitor's status to failing and handles the failing entity.
  error HandleFailure(const types::Entity &entity, const types::Event &event) {
    {
      std::lock_guard lk(mu);
      failing = true;
    }
    error err = failureHandler->HandleFailure(entity, event);
    Stop(); // defer m.Stop()
    return err;
  }

  // Stop the Monitor. Once the monitor has been stopped it can no longer be used.
  void Stop() {
    std::lock_guard lk(mu);
    if (stopped)
      return;
    stopped = true;
    resetChan.close();
  }

  bool IsStopped() {
    std::lock_guard lk(mu);
    return stopped;
  }

private:
  Monitor(types::Entity e, types::Event ev, Duration t, FailureHandler *f, UpdateHandler *u)
      : Entity(std::move(e)), Event(std::move(ev)), Timeout(t), failureHandler(f), updateHandler(u) {}

  // start initializes the monitor and starts its monitoring goroutine.
  void start() {
    std::lock_guard lk(mu);
    if (stopped)
      return;
    timer = std::make_shared<Timer>(Timeout);
    resetChan = go::chan<Duration>(1); // make(chan time.Duration, 1)
    started = true;
    go::spawn([this, timer = timer, resetChan = resetChan] {
      for (;;) {
        // Access to the timer has to be constrained to a single goroutine,
        // so every reset is requested through resetChan.
        Duration d = 0;
        switch (go::select(go::case_recv(resetChan, &d), go::case_recv(timer->C))) {
        case 0:
          timer->Reset(d == 0 ? Timeout : d);
          break;
        case 1:
          std::printf("monitor %s: keepalive timed out\n", Entity.ID.c_str());
          HandleFailure(Entity, Event);
          timer->Reset(Timeout);
          break;
        }
        if (IsStopped())
          return;
      }
    });
  }

  // Reset the Monitor's timer to emit an event at a given time.
  void reset(Duration t) {
    std::lock_guard lk(mu);
    if (stopped)
      return;
    resetChan.send(t);
  }

  go::chan<Duration> resetChan;
  std::shared_ptr<Timer> timer;
  bool started = false, stopped = false, failing = false;
  go::Mutex mu;
};

// backend/keepalived: the keepalive update and failure handlers
struct Keepalived : Monitor::UpdateHandler, Monitor::FailureHandler {
  error HandleUpdate(const types::Event &e) override {
    std::printf("keepalived: %s updated\n", e.Check.c_str());
    return "";
  }
  error HandleFailure(const types::Entity &entity, const types::Event &) override {
    go::sleep_ms(100); // store.UpdateEvent(): write the failing keepalive to etcd
    std::printf("keepalived: %s keepalive failure stored\n", entity.ID.c_str());
    return "";
  }
};

int main() {
  Keepalived k;
  auto m = Monitor::New(types::Entity{"agent-42"}, types::Event{"keepalive"}, 100, &k, &k);

  go::chan<types::Event> keepalives(16); // the keepalived worker's input
  go::spawn([m, keepalives] {
    for (types::Event ev : keepalives)
      m->HandleUpdate(ev);
  });

  go::sleep_ms(150); // the agent reconnects and sends its next keepalive
  keepalives.send(types::Event{"keepalive"});
  keepalives.close();

  go::wait_all_goroutines();
  std::printf("done\n");
  return 0;
}
