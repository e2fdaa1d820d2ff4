// Port: grpc/grpc#37459 ("[RlsLB] Fix Deadlock")
//   (closed on GitHub; its backports #37502-#37505 were merged; #37408 "[RLS]
//   Avoid unreffing while holding lock to avoid deadlock" was a first try):
//   a lock-order inversion between the OpenTelemetry plugin's callback mutex
//   and RlsLb::mu_. The metrics exporter collects gauges with the plugin's
//   mutex held and runs every RegisteredMetricCallback::Run(); the RLS
//   policy's callback takes RlsLb::mu_. The RLS policy, for its part,
//   dropped child-policy references while holding mu_; dropping the last one
//   orphans the child policy and its GrpcXdsClient, whose
//   ~RegisteredMetricCallback calls OpenTelemetryPluginImpl::RemoveCallback(),
//   which takes the plugin's mutex.
// Style: (d) standard library only, C++-native (gRPC core's idiom reduced: a stats plugin with AddCallback/RemoveCallback/Collect, an RAII RegisteredMetricCallback, RlsLb with mu_, a cache whose entries hold shared_ptr<ChildPolicyWrapper>, a child policy that owns a ref to the GrpcXdsClient)
// Bug class: lock: AB-BA (plugin mutex then RlsLb::mu_ in the exporter; RlsLb::mu_ then plugin mutex through a destructor chain in the cache cleanup)
// Shape: a Prometheus scrape runs Collect(): it holds the plugin's mutex and
//   runs the xDS client's gauge callback, then the RLS one. Meanwhile the RLS
//   cache cleanup timer fires: OnCleanupTimer() locks RlsLb::mu_ and erases
//   an expired entry holding the last reference to a ChildPolicyWrapper; the
//   wrapper, the child policy and the GrpcXdsClient are destroyed under mu_,
//   and the client's RegisteredMetricCallback destructor waits for the
//   plugin's mutex. The scrape reaches the RLS callback and waits for mu_.
// Fix: child-policy wrapper references are no longer dropped while
//   RlsLb::mu_ is held (in the port: the cleanup moves the evicted entries
//   out under the lock and drops them after unlocking).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace grpc_core {

class CallbackMetricReporter {
public:
  void Report(const std::string &name, int64_t value) { last_[name] = value; }

private:
  std::map<std::string, int64_t> last_;
};

class RegisteredMetricCallback;

// OpenTelemetryPluginImpl, as far as callbacks go.
class StatsPlugin {
public:
  void AddCallback(RegisteredMetricCallback *callback) {
    std::lock_guard<std::mutex> lock(mu_);
    callbacks_.push_back(callback);
  }
  void RemoveCallback(RegisteredMetricCallback *callback) {
    std::lock_guard<std::mutex> lock(mu_); // LEAK: the exporter holds mu_ and waits for RlsLb::mu_, which this thread holds
    callbacks_.erase(std::remove(callbacks_.begin(), callbacks_.end(), callback), callbacks_.end());
  }
  // Called by the exporter (MetricReader::Collect) on its own thread.
  void Collect(CallbackMetricReporter &reporter);

private:
  std::mutex mu_;
  std::vector<RegisteredMetricCallback *> callbacks_;
};

class RegisteredMetricCallback {
public:
  RegisteredMetricCallback(StatsPlugin &plugin, std::function<void(CallbackMetricReporter &)> callback)
      : plugin_(plugin), callback_(std::move(callback)) {
    plugin_.AddCallback(this);
  }
  ~RegisteredMetricCallback() { plugin_.RemoveCallback(this); }
  void Run(CallbackMetricReporter &reporter) { callback_(reporter); }

private:
  StatsPlugin &plugin_;
  std::function<void(CallbackMetricReporter &)> callback_;
};

void StatsPlugin::Collect(CallbackMetricReporter &reporter) {
  std::lock_guard<std::mutex> lock(mu_);
  for (RegisteredMetricCallback *callback : callbacks_)
    callback->Run(reporter);
}

class GrpcXdsClient {
public:
  explicit GrpcXdsClient(StatsPlugin &plugin)
      : registered_metric_callback_(std::make_unique<RegisteredMetricCallback>(
            plugin, [this](CallbackMetricReporter &reporter) {
              std::this_thread::sleep_for(30ms); // (forces the schedule: the RLS cache cleanup runs now)
              reporter.Report("grpc.xds_client.connected", connected_ ? 1 : 0);
            })) {}
  // Orphaned(): stop reporting.
  ~GrpcXdsClient() { registered_metric_callback_.reset(); }

private:
  bool connected_ = true;
  std::unique_ptr<RegisteredMetricCallback> registered_metric_callback_;
};

// The cds/xds_cluster_impl child policy: holds a ref to the xDS client.
class ChildPolicy {
public:
  explicit ChildPolicy(std::shared_ptr<GrpcXdsClient> xds_client) : xds_client_(std::move(xds_client)) {}

private:
  std::shared_ptr<GrpcXdsClient> xds_client_;
};

class RlsLb {
public:
  class ChildPolicyWrapper {
  public:
    ChildPolicyWrapper(std::string target, std::unique_ptr<ChildPolicy> child_policy)
        : target_(std::move(target)), child_policy_(std::move(child_policy)) {}
    // Orphaned(): shut the child policy down.
    ~ChildPolicyWrapper() { child_policy_.reset(); }

  private:
    std::string target_;
    std::unique_ptr<ChildPolicy> child_policy_;
  };

  RlsLb(StatsPlugin &plugin)
      : registered_metric_callback_(std::make_unique<RegisteredMetricCallback>(
            plugin, [this](CallbackMetricReporter &reporter) {
              std::lock_guard<std::mutex> lock(mu_); // LEAK: the cache cleanup holds mu_ and waits for the plugin's mutex, which this thread holds
              reporter.Report("grpc.lb.rls.cache_entries", static_cast<int64_t>(cache_.size()));
            })) {}

  ~RlsLb() { registered_metric_callback_.reset(); }

  void AddCacheEntry(const std::string &key, std::shared_ptr<ChildPolicyWrapper> wrapper,
                     std::chrono::steady_clock::time_point expiration) {
    std::lock_guard<std::mutex> lock(mu_);
    cache_[key] = Entry{{std::move(wrapper)}, expiration};
  }

  // Cache::OnCleanupTimer(): drop the expired entries.
  void OnCleanupTimer() {
    std::lock_guard<std::mutex> lock(mu_);
    auto now = std::chrono::steady_clock::now();
    for (auto it = cache_.begin(); it != cache_.end();) {
      if (it->second.data_expiration_time < now) {
        it = cache_.erase(it);
      } else {
        ++it;
      }
    }
  }

private:
  struct Entry {
    std::vector<std::shared_ptr<ChildPolicyWrapper>> child_policy_wrappers;
    std::chrono::steady_clock::time_point data_expiration_time;
  };

  std::mutex mu_;
  std::map<std::string, Entry> cache_;
  std::unique_ptr<RegisteredMetricCallback> registered_metric_callback_;
};

} // namespace grpc_core

int main() {
  using namespace grpc_core;
  StatsPlugin plugin;
  {
    auto xds_client = std::make_shared<GrpcXdsClient>(plugin);
    RlsLb rls(plugin);
    rls.AddCacheEntry("/foo.Service/Get",
                      std::make_shared<RlsLb::ChildPolicyWrapper>(
                          "xds:///target-a", std::make_unique<ChildPolicy>(std::move(xds_client))),
                      std::chrono::steady_clock::now());

    std::thread exporter([&] { // a Prometheus scrape
      CallbackMetricReporter reporter;
      plugin.Collect(reporter);
    });
    std::this_thread::sleep_for(10ms);
    rls.OnCleanupTimer(); // the timer fires on the control plane
    exporter.join();
  }
  return 0;
}
