// Port: tailscale/tailscale#10668 ("net/netmon: fix goroutine leak in winMon if the monitor is never started") -- FIXED version
//   (updates tailscale/tailscale#9864): netmon.New() builds the portable
//   Monitor and, through newOSMon(), the Windows winMon, which registers an
//   address-change and a route-change callback with Windows (winipcfg). Each
//   callback, run on a Windows thread, starts a goroutine,
//   somethingChanged(), that sends the event into winMon.messagec (capacity
//   1) or gives up when the winMon's context is cancelled, and returns to
//   Windows at once. Only the Monitor's pump, started by Monitor.Start(),
//   reads messagec through winMon.Receive(). The tailscaled service process
//   creates a Monitor but never starts it, and keeps it until it exits: the
//   first change event fills messagec's buffer and every later one leaves a
//   goroutine blocked on the send for the life of the process (thousands of
//   goroutines and a large memory growth on Windows machines with frequent
//   address/route changes).
// Style: (d) standard library only (detached std::thread counted by a small
//   goroutine tracker for `go`, std::stop_source/std::stop_token for the
//   winMon's context, a hand-written buffered Chan<T> whose send and receive
//   wait on a std::condition_variable_any with the stop_token, the way Go's
//   select on ctx.Done() and the channel does; std::function callbacks
//   stored in a fake winipcfg notification table)
// Bug class: channel send with no receiver: goroutines spawned from stored OS
//   callbacks send to a channel whose only consumer is never started
// Shape: the service process creates the Monitor and never starts it; the
//   "OS" thread then reports two address changes and a route change. The
//   first notifier fills messagec and returns, the second and third block
//   on the send. main, standing for the service's lifetime and checking like
//   goleak that no notifier goroutine is left before it tears the monitor
//   down, waits for them forever.
// Fix: winMon keeps its Monitor, and both callbacks return immediately
//   unless the Monitor is active (started and not closed), so no goroutine
//   is started when nobody will ever call Receive().
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>

// ---------------------------------------------------------------------------
// Small concurrency helpers.

// Tracks the detached threads that play Go's goroutines.
class goroutineTracker {
public:
  template <typename F> void go(F f) {
    {
      std::lock_guard lk(mu_);
      ++live_;
    }
    std::thread([this, f = std::move(f)]() mutable {
      f();
      std::lock_guard lk(mu_);
      if (--live_ == 0)
        cv_.notify_all();
    }).detach();
  }
  // Blocks until every goroutine has returned (goleak.VerifyNone without a timeout).
  void waitAll() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [this] { return live_ == 0; });
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  int live_ = 0;
};

goroutineTracker goroutines;

// A buffered channel whose operations also give up when a stop_token fires.
template <typename T> class Chan {
public:
  explicit Chan(std::size_t cap) : cap_(cap) {}

  // select { case <-ctx.Done(): return false; case ch <- v: return true }
  bool send(T v, std::stop_token ctx) {
    std::unique_lock lk(mu_);
    if (!cv_.wait(lk, ctx, [this] { return buf_.size() < cap_; }))
      return false;
    buf_.push_back(std::move(v));
    cv_.notify_all();
    return true;
  }

  // select { case v := <-ch: return v; case <-ctx.Done(): return nullopt }
  std::optional<T> recv(std::stop_token ctx) {
    std::unique_lock lk(mu_);
    if (!cv_.wait(lk, ctx, [this] { return !buf_.empty(); }))
      return std::nullopt;
    T v = std::move(buf_.front());
    buf_.pop_front();
    cv_.notify_all();
    return v;
  }

private:
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<T> buf_;
  std::size_t cap_;
};

using Logf = std::function<void(const std::string &)>;

// ---------------------------------------------------------------------------
// winipcfg: the Windows IP helper notification API.
namespace winipcfg {

enum class MibNotificationType { ParameterNotification, AddInstance, DeleteInstance };
struct MibUnicastIPAddressRow {
  std::string address;
};
struct MibIPforwardRow2 {
  std::string destinationPrefix;
};

using AddressChangeFn = std::function<void(MibNotificationType, const MibUnicastIPAddressRow &)>;
using RouteChangeFn = std::function<void(MibNotificationType, const MibIPforwardRow2 &)>;

// The OS side: the registered callbacks, invoked from OS threads.
class notificationTable {
public:
  int addAddressCallback(AddressChangeFn fn) {
    std::lock_guard lk(mu_);
    addr_[++next_] = std::move(fn);
    return next_;
  }
  int addRouteCallback(RouteChangeFn fn) {
    std::lock_guard lk(mu_);
    route_[++next_] = std::move(fn);
    return next_;
  }
  void remove(int id) {
    std::lock_guard lk(mu_);
    addr_.erase(id);
    route_.erase(id);
  }
  void notifyAddressChange(MibNotificationType t, const MibUnicastIPAddressRow &row) {
    std::lock_guard lk(mu_);
    for (auto &[id, fn] : addr_)
      fn(t, row);
  }
  void notifyRouteChange(MibNotificationType t, const MibIPforwardRow2 &row) {
    std::lock_guard lk(mu_);
    for (auto &[id, fn] : route_)
      fn(t, row);
  }

private:
  std::mutex mu_;
  int next_ = 0;
  std::map<int, AddressChangeFn> addr_;
  std::map<int, RouteChangeFn> route_;
};

notificationTable os;

struct Callback {
  int id;
  void Unregister() const { os.remove(id); }
};

inline std::unique_ptr<Callback> RegisterUnicastAddressChangeCallback(AddressChangeFn fn) {
  return std::make_unique<Callback>(Callback{os.addAddressCallback(std::move(fn))});
}
inline std::unique_ptr<Callback> RegisterRouteChangeCallback(RouteChangeFn fn) {
  return std::make_unique<Callback>(Callback{os.addRouteCallback(std::move(fn))});
}

} // namespace winipcfg

// ---------------------------------------------------------------------------
// netmon
namespace netmon {

inline bool isTailscaleIP(const std::string &s) { return s.rfind("100.", 0) == 0; }

struct eventMessage {
  std::string eventType;
};

struct receiveResult {
  std::optional<eventMessage> msg;
  std::string err; // "" is nil
};

class osMon {
public:
  virtual ~osMon() = default;
  virtual void Close() = 0;
  virtual receiveResult Receive() = 0;
};

class Monitor;
std::unique_ptr<osMon> newOSMon(Logf logf, Monitor *m);

// Monitor is the portable network monitor; its pump reads from the osMon.
class Monitor {
public:
  static std::unique_ptr<Monitor> New(Logf logf) {
    auto m = std::unique_ptr<Monitor>(new Monitor(logf));
    m->om_ = newOSMon(logf, m.get());
    return m;
  }

  void Start() {
    std::lock_guard lk(mu_);
    if (started_ || closed_)
      return;
    started_ = true;
    pump_ = std::thread([this] { pump(); });
  }

  void Close() {
    {
      std::lock_guard lk(mu_);
      if (closed_)
        return;
      closed_ = true;
    }
    om_->Close();
    if (pump_.joinable())
      pump_.join();
  }

  // isActive reports whether this monitor has been started and not yet closed.
  bool isActive() {
    std::lock_guard lk(mu_);
    return started_ && !closed_;
  }

private:
  explicit Monitor(Logf logf) : logf_(std::move(logf)) {}

  void pump() {
    for (;;) {
      receiveResult r = om_->Receive();
      if (!r.err.empty())
        return;
      logf_("monitor: link change: " + r.msg->eventType);
    }
  }

  Logf logf_;
  std::unique_ptr<osMon> om_;
  std::thread pump_;
  std::mutex mu_;
  bool started_ = false;
  bool closed_ = false;
};

const std::string errClosed = "closed";

class winMon : public osMon {
public:
  winMon(Logf logf, Monitor *mon) : logf_(std::move(logf)), mon_(mon) {}

  void registerCallbacks() {
    addressChangeCallback_ = winipcfg::RegisterUnicastAddressChangeCallback(
        [this](winipcfg::MibNotificationType t, const winipcfg::MibUnicastIPAddressRow &row) {
          unicastAddressChanged(t, row);
        });
    routeChangeCallback_ = winipcfg::RegisterRouteChangeCallback(
        [this](winipcfg::MibNotificationType t, const winipcfg::MibIPforwardRow2 &row) { routeChanged(t, row); });
  }

  void Close() override {
    ctx_.request_stop(); // cancel()
    if (addressChangeCallback_) {
      addressChangeCallback_->Unregister();
      addressChangeCallback_.reset();
    }
    if (routeChangeCallback_) {
      routeChangeCallback_->Unregister();
      routeChangeCallback_.reset();
    }
  }

  receiveResult Receive() override {
    if (ctx_.stop_requested()) {
      logf_("Receive call on closed monitor");
      return {std::nullopt, errClosed};
    }
    std::optional<eventMessage> msg = messagec_.recv(ctx_.get_token());
    if (!msg)
      return {std::nullopt, errClosed};
    logf_("got windows change event: evt=" + msg->eventType);
    return {msg, ""};
  }

private:
  // unicastAddressChanged is the callback registered with Windows for unicast address changes.
  void unicastAddressChanged(winipcfg::MibNotificationType, const winipcfg::MibUnicastIPAddressRow &row) {
    if (!mon_->isActive()) {
      // Nobody reads messagec until the monitor is started: do not start a
      // goroutine that would block on it (forever, if it is never started).
      return;
    }
    std::string what = isTailscaleIP(row.address) ? "tsaddr" : "addr";
    // start a goroutine to finish our work, to return to Windows out of this callback
    goroutines.go([this, what] { somethingChanged(what); });
  }

  // routeChanged is the callback registered with Windows for route changes.
  void routeChanged(winipcfg::MibNotificationType, const winipcfg::MibIPforwardRow2 &row) {
    if (!mon_->isActive()) {
      // Nobody reads messagec until the monitor is started: do not start a
      // goroutine that would block on it (forever, if it is never started).
      return;
    }
    std::string what = isTailscaleIP(row.destinationPrefix) ? "tsroute" : "route";
    // start a goroutine to finish our work, to return to Windows out of this callback
    goroutines.go([this, what] { somethingChanged(what); });
  }

  // somethingChanged runs on its own goroutine for every OS notification.
  void somethingChanged(const std::string &evt) {
    messagec_.send(eventMessage{evt}, ctx_.get_token());
  }

  Logf logf_;
  Monitor *mon_;
  std::stop_source ctx_;
  Chan<eventMessage> messagec_{1};
  std::unique_ptr<winipcfg::Callback> addressChangeCallback_;
  std::unique_ptr<winipcfg::Callback> routeChangeCallback_;
};

std::unique_ptr<osMon> newOSMon(Logf logf, Monitor *mon) {
  auto m = std::make_unique<winMon>(std::move(logf), mon);
  m->registerCallbacks();
  return m;
}

} // namespace netmon

int main() {
  Logf logf = [](const std::string &s) { std::printf("%s\n", s.c_str()); };

  // The tailscaled service process creates a Monitor but never starts it
  // (only the tailscaled subprocess it spawns calls Start).
  std::unique_ptr<netmon::Monitor> mon = netmon::Monitor::New(logf);

  // Windows reports network changes on its own threads.
  std::thread osThread([] {
    using winipcfg::MibNotificationType;
    winipcfg::os.notifyAddressChange(MibNotificationType::AddInstance, {"192.168.1.23"});
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    winipcfg::os.notifyRouteChange(MibNotificationType::AddInstance, {"100.64.0.0/10"});
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    winipcfg::os.notifyAddressChange(MibNotificationType::DeleteInstance, {"192.168.1.23"});
  });
  osThread.join();

  // No notifier goroutine may outlive its notification.
  goroutines.waitAll();
  mon->Close();
  std::printf("service stopped\n");
  return 0;
}
