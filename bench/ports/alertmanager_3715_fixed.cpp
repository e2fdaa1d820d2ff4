// Port: prometheus/alertmanager#3715 ("Fix for deadlock issue #3682")
//   The in-memory alert provider (provider/mem.Alerts) keeps its alerts in a
//   store.Alerts, which has its own mutex and a GC loop: every gcInterval
//   store.Alerts.gc() locks the store, removes the resolved alerts and, still
//   holding the store lock, hands them to the GC callback that mem.NewAlerts()
//   installed. That callback deletes the alerts from the marker, tells the
//   alert-store callback (PostDelete) and then locks mem.Alerts.mtx to reap
//   the listeners whose iterator was closed. mem.Alerts.Subscribe(), called by
//   the dispatcher and the inhibitor, takes mem.Alerts.mtx first and then
//   calls store.Alerts.List(), which locks the store. A GC run and a
//   Subscribe() that overlap take the two mutexes in opposite orders: the GC
//   goroutine waits for mem.Alerts.mtx and Subscribe() waits for the store
//   lock, forever (issue #3682: alertmanager stops serving alerts).
// Style: (d) standard library only (std::thread for the GC loop with a
//   std::condition_variable as the ticker and stop signal, std::mutex for
//   store.Alerts' embedded sync.Mutex and mem.Alerts.mtx, std::function for
//   the GC callback, a small mutex/condition_variable queue for the
//   listener's alert channel)
// Bug class: lock-order inversion (AB-BA) through a callback invoked while a
//   lock is held
// Shape: three alerts are put, one of them already resolved; the GC interval
//   is 50 ms. The first GC run removes the resolved alert and its callback
//   spends 100 ms in PostDelete() (forcing: a slow per-alertname limits
//   update) while it still holds the store lock. At 80 ms an API handler
//   subscribes: it holds mem.Alerts.mtx and blocks in List(); at 150 ms the
//   callback asks for mem.Alerts.mtx. Neither returns; main hangs in
//   Subscribe().
// Fix: store.Alerts.gc() releases the store lock after collecting the
//   resolved alerts and calls the callback without it, so the callback never
//   holds both locks; the twin does the same.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Fingerprint = std::string;

namespace types {
struct Alert {
  std::string alertname;
  std::string instance;
  Clock::time_point endsAt;
  Fingerprint fingerprint() const { return alertname + "{instance=" + instance + "}"; }
  bool resolved() const { return endsAt <= Clock::now(); }
};

// Marker keeps the silenced/inhibited status of each alert.
class MemMarker {
 public:
  void setActive(const Fingerprint& fp) {
    std::lock_guard<std::mutex> lk(mtx_);
    status_[fp] = "active";
  }
  void Delete(const Fingerprint& fp) {
    std::lock_guard<std::mutex> lk(mtx_);
    status_.erase(fp);
  }

 private:
  std::mutex mtx_;
  std::map<Fingerprint, std::string> status_;
};
}  // namespace types

namespace store {
// Alerts: lock-coordinated in-memory map of alerts with a periodic GC.
class Alerts {
 public:
  using GCCallback = std::function<void(const std::vector<types::Alert>&)>;

  explicit Alerts(std::chrono::milliseconds gcInterval) : gcInterval_(gcInterval) {}
  ~Alerts() { stop(); }

  void SetGCCallback(GCCallback cb) {
    std::lock_guard<std::mutex> lk(mtx_);
    cb_ = std::move(cb);
  }

  void Run() {
    gcThread_ = std::thread([this] {
      std::unique_lock<std::mutex> lk(runMtx_);
      while (!runCv_.wait_for(lk, gcInterval_, [this] { return stopped_; })) {
        lk.unlock();
        gc();
        lk.lock();
      }
    });
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lk(runMtx_);
      stopped_ = true;
    }
    runCv_.notify_all();
    if (gcThread_.joinable()) gcThread_.join();
  }

  void Set(const types::Alert& a) {
    std::lock_guard<std::mutex> lk(mtx_);
    c_[a.fingerprint()] = a;
  }

  std::vector<types::Alert> List() {
    std::lock_guard<std::mutex> lk(mtx_);
    std::vector<types::Alert> out;
    for (auto& [fp, a] : c_) out.push_back(a);
    return out;
  }

 private:
  void gc() {
    std::unique_lock<std::mutex> lk(mtx_);
    std::vector<types::Alert> resolved;
    for (auto it = c_.begin(); it != c_.end();) {
      if (it->second.resolved()) {
        resolved.push_back(it->second);
        it = c_.erase(it);
      } else {
        ++it;
      }
    }
    lk.unlock();  // release the store lock before running the callback
    if (cb_) cb_(resolved);
  }

  std::chrono::milliseconds gcInterval_;
  std::mutex mtx_;  // the embedded sync.Mutex
  std::map<Fingerprint, types::Alert> c_;
  GCCallback cb_;

  std::mutex runMtx_;
  std::condition_variable runCv_;
  bool stopped_ = false;
  std::thread gcThread_;
};
}  // namespace store

namespace provider {
// A buffered alert channel handed to a subscriber, plus its done flag.
struct AlertChannel {
  std::mutex m;
  std::deque<types::Alert> q;
  bool closed = false;
  bool done = false;
};

class AlertIterator {
 public:
  explicit AlertIterator(std::shared_ptr<AlertChannel> ch) : ch_(std::move(ch)) {}
  bool Next(types::Alert& a) {
    std::lock_guard<std::mutex> lk(ch_->m);
    if (ch_->q.empty()) return false;
    a = ch_->q.front();
    ch_->q.pop_front();
    return true;
  }
  void Close() {
    std::lock_guard<std::mutex> lk(ch_->m);
    ch_->done = true;
  }

 private:
  std::shared_ptr<AlertChannel> ch_;
};

// AlertStoreCallback is notified of alert lifecycle events (limits, metrics).
struct AlertStoreCallback {
  void PostDelete(const types::Alert& a) {
    std::this_thread::sleep_for(100ms);  // forcing: updating per-alertname limits is slow
    std::printf("limits: released %s\n", a.fingerprint().c_str());
  }
};
}  // namespace provider

namespace mem {
class Alerts {
 public:
  Alerts(types::MemMarker& m, std::chrono::milliseconds intervalGC, provider::AlertStoreCallback& cb)
      : alerts_(intervalGC), marker_(m), callback_(cb) {
    alerts_.SetGCCallback([this](const std::vector<types::Alert>& resolved) {
      for (const auto& alert : resolved) {
        // As we don't persist alerts, we no longer consider them after they are resolved.
        marker_.Delete(alert.fingerprint());
        callback_.PostDelete(alert);
      }
      std::lock_guard<std::mutex> lk(mtx_);
      for (auto it = listeners_.begin(); it != listeners_.end();) {
        std::lock_guard<std::mutex> chl(it->second->m);
        if (it->second->done) {
          it->second->closed = true;
          it = listeners_.erase(it);
        } else {
          ++it;
        }
      }
    });
    alerts_.Run();
  }

  void Close() { alerts_.stop(); }

  void Put(const std::vector<types::Alert>& as) {
    for (const auto& a : as) {
      alerts_.Set(a);
      marker_.setActive(a.fingerprint());
      std::lock_guard<std::mutex> lk(mtx_);
      for (auto& [id, l] : listeners_) {
        std::lock_guard<std::mutex> chl(l->m);
        l->q.push_back(a);
      }
    }
  }

  // Subscribe returns an iterator over active alerts that have not been
  // resolved and successfully notified about.
  provider::AlertIterator Subscribe() {
    std::lock_guard<std::mutex> lk(mtx_);
    auto ch = std::make_shared<provider::AlertChannel>();
    for (const auto& a : alerts_.List()) ch->q.push_back(a);
    listeners_[next_++] = ch;
    return provider::AlertIterator(ch);
  }

 private:
  store::Alerts alerts_;
  types::MemMarker& marker_;
  provider::AlertStoreCallback& callback_;
  std::mutex mtx_;
  std::map<int, std::shared_ptr<provider::AlertChannel>> listeners_;
  int next_ = 0;
};
}  // namespace mem

int main() {
  types::MemMarker marker;
  provider::AlertStoreCallback limits;
  mem::Alerts alerts(marker, 50ms, limits);

  auto now = Clock::now();
  alerts.Put({
      {"HighLatency", "api-1:9090", now + 1h},
      {"DiskFull", "db-2:9100", now - 1s},  // already resolved
      {"HighLatency", "api-2:9090", now + 1h},
  });

  std::this_thread::sleep_for(80ms);  // GET /api/v2/alerts arrives during the GC run
  provider::AlertIterator it = alerts.Subscribe();
  types::Alert a;
  while (it.Next(a)) std::printf("active: %s\n", a.fingerprint().c_str());
  it.Close();

  std::this_thread::sleep_for(100ms);  // the next GC run reaps the closed listener
  alerts.Close();
  std::printf("alertmanager stopped\n");
  return 0;
}
