// GoKer port: gobench/goker/blocking/kubernetes/1321 (kubernetes/kubernetes#1321, fix 435e0b7)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (c) Go-style library, include/gochan.h (go::chan, go::select, go::spawn) with std::mutex
// Bug class: lock+chan: blocking send while holding the mutex the closer needs
// Shape: Mux.distribute() holds m.lock while sending each event on a
//   watcher's unbuffered `result`. A watcher that stops instead of receiving
//   calls stopWatching(), which must take m.lock to close `result`.
// Fix: each watcher gets a `stopped` channel; distribute() selects between
//   sending on `result` and `<-stopped`, and Stop() closes `stopped` before
//   taking m.lock.
#include "gochan.h"
#include <map>
#include <memory>
#include <mutex>

struct Mux;
struct MuxWatcher {
  go::chan<go::unit> result;
  Mux *m;
  long id;
  go::chan<go::unit> stopped; // the fix
  void Stop();
};

struct Mux {
  std::mutex lock;
  std::map<long, std::shared_ptr<MuxWatcher>> watchers;

  std::shared_ptr<MuxWatcher> Watch() {
    std::lock_guard lk(lock);
    auto mw = std::make_shared<MuxWatcher>(MuxWatcher{go::chan<go::unit>(), this, long(watchers.size())});
    watchers[mw->id] = mw;
    return mw;
  }
  void loop() {
    go::sleep_ms(2);
    for (int i = 0; i < 3; ++i)
      distribute();
  }
  void distribute() {
    std::lock_guard lk(lock);
    for (auto &[id, w] : watchers)
      go::select(go::case_send(w->result, go::unit{}), go::case_recv(w->stopped)); // the fix
  }
  void stopWatching(long id) {
    std::lock_guard lk(lock);
    auto it = watchers.find(id);
    if (it == watchers.end())
      return;
    auto w = it->second;
    watchers.erase(it);
    w->result.close();
  }
};

void MuxWatcher::Stop() {
  stopped.close(); // the fix: release distribute() without m.lock
  m->stopWatching(id);
}

void testMuxWatcherClose() {
  static Mux m;
  go::spawn([] { m.loop(); }); // G2
  auto w = m.Watch();
  go::sleep_ms(5); // runtime.Gosched(): distribute() is already sending
  w->Stop();
}

int main() {
  go::spawn(testMuxWatcherClose); // G1
  go::wait_all_goroutines();
}
