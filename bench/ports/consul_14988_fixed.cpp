// Port: hashicorp/consul#14988 ("proxycfg: fix goroutine leak when service is re-registered")
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
//   proxycfg runs one state.run() goroutine per registered proxy; it selects
//   on ctx.Done(), on watch updates (s.ch) and on an unbuffered sendCh. Once
//   the snapshot is valid, an update arms a coalesce timer with
//   time.AfterFunc, whose callback sends on sendCh so that the loop delivers
//   the coalesced snapshot. When the service is re-registered, the Manager
//   closes the old state, which cancels its context. If that happens while
//   the timer is pending, run() has returned by the time the callback fires,
//   and the callback's plain `sendCh <- struct{}{}` waits forever: one leaked
//   goroutine per re-registration with a pending update.
// Style: (d) standard library only (std::thread for the run() goroutine and the AfterFunc callback, a hand-written unbuffered Chan<T> whose channels share one mutex + std::condition_variable_any so that run() can select on them, std::stop_source/std::stop_token for the context)
// Bug class: chan send, receiver gone: a timer callback's send on an unbuffered channel whose only receiver returned on the context's cancellation
// Shape: the proxy's state handles the updates that make its snapshot valid
//   and arms the coalesce timer. Before the timer fires, the service is
//   re-registered: Register() closes the old state, run() returns on
//   ctx.Done(), then the timer fires and its send on sendCh never completes.
//   The port's Close() waits for the state's goroutines (where Go would
//   only leak the timer's) and hangs on the timer's.
// Fix: the AfterFunc callback selects on ctx.Done() as well as on the send.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

struct Hub {
  std::mutex mu;
  std::condition_variable_any cv;
};

// Go's unbuffered `chan T`; the channels of one Hub can be selected on together.
template <typename T> class Chan {
public:
  explicit Chan(Hub &h) : h(h) {}
  void Send(T v) { (void)send(std::move(v), nullptr); } // ch <- v
  // select { case ch <- v: return true; case <-ctx.Done(): return false }
  bool Send(T v, std::stop_token ctx) { return send(std::move(v), &ctx); }
  bool Ready() const { return slot.has_value(); } // under h.mu
  T Take() {                                       // under h.mu
    T v = std::move(*slot);
    slot.reset();
    ++taken;
    h.cv.notify_all();
    return v;
  }

private:
  bool send(T v, std::stop_token *ctx) {
    std::unique_lock lk(h.mu);
    auto wait = [&](auto pred) {
      if (ctx)
        return h.cv.wait(lk, *ctx, pred);
      h.cv.wait(lk, pred);
      return true;
    };
    if (!wait([&] { return !slot.has_value(); }))
      return false;
    slot = std::move(v);
    const uint64_t mine = ++offered;
    h.cv.notify_all();
    if (!wait([&] { return taken >= mine; })) {
      slot.reset(); // withdraw the offer
      h.cv.notify_all();
      return false;
    }
    return true;
  }
  Hub &h;
  std::optional<T> slot;
  uint64_t offered = 0, taken = 0;
};

struct UpdateEvent {
  std::string CorrelationID;
};
struct ConfigSnapshot {
  bool roots = false, leaf = false;
  bool Valid() const { return roots && leaf; }
};

constexpr auto coalesceTimeout = 50ms;

class state {
public:
  void Watch() {
    running = std::thread([this, ctx = cancel.get_token()] { run(ctx); });
  }
  void Notify(UpdateEvent u) { ch.Send(std::move(u)); } // a cache watch fires
  void Close() {
    cancel.request_stop();
    running.join();
    for (auto &t : timers)
      t.join();
  }

private:
  void run(std::stop_token ctx) {
    ConfigSnapshot snap;
    bool coalesceTimer = false;
    auto scheduleUpdate = [&] {
      coalesceTimer = true;
      timers.emplace_back([this, ctx] { // time.AfterFunc(coalesceTimeout, ...)
        std::this_thread::sleep_for(coalesceTimeout);
        // select { case sendCh <- struct{}{}: case <-ctx.Done(): }
        sendCh.Send(Unit{}, ctx);
      });
    };
    for (;;) {
      std::unique_lock lk(hub.mu);
      hub.cv.wait(lk, ctx, [&] { return ch.Ready() || sendCh.Ready(); });
      if (ctx.stop_requested()) // case <-ctx.Done()
        return;
      if (sendCh.Ready()) { // case <-sendCh: deliver the coalesced snapshot
        sendCh.Take();
        coalesceTimer = false;
        if (!snapCh) // select { case s.snapCh <- snap: default: }
          snapCh = snap;
        continue;
      }
      UpdateEvent u = ch.Take(); // case u := <-s.ch
      lk.unlock();
      handleUpdate(u, snap);
      if (snap.Valid() && !coalesceTimer)
        scheduleUpdate();
    }
  }
  void handleUpdate(const UpdateEvent &u, ConfigSnapshot &snap) {
    if (u.CorrelationID == "roots")
      snap.roots = true;
    else if (u.CorrelationID == "leaf")
      snap.leaf = true;
  }

  struct Unit {}; // struct{}
  Hub hub;
  Chan<UpdateEvent> ch{hub};
  Chan<Unit> sendCh{hub}; // run()'s local in Go; the timer goroutine keeps it alive there
  std::optional<ConfigSnapshot> snapCh; // buffered(1), under hub.mu
  std::stop_source cancel;
  std::thread running;
  std::vector<std::thread> timers;
};

class Manager {
public:
  state &Register(const std::string &proxyID) {
    if (auto it = proxies.find(proxyID); it != proxies.end()) {
      it->second->Close(); // the service is re-registered: drop the old state
      proxies.erase(it);
    }
    auto &s = proxies[proxyID] = std::make_unique<state>();
    s->Watch();
    return *s;
  }
  ~Manager() {
    for (auto &[id, s] : proxies)
      s->Close();
  }

private:
  std::map<std::string, std::unique_ptr<state>> proxies;
};

int main() {
  Manager m;
  state &s = m.Register("web-sidecar-proxy");
  s.Notify({"roots"});
  s.Notify({"leaf"}); // the snapshot is valid: the coalesce timer is armed
  std::this_thread::sleep_for(10ms);
  m.Register("web-sidecar-proxy"); // re-registered while the update is pending
}
