// Port: arangodb/arangodb#18607 ("Drain all syncer queues.")
//   ClusterInfo lets threads wait until its local copy of the agency's Plan
//   or Current has reached a raft index or a version: waitForPlan(),
//   waitForPlanVersion(), waitForCurrent() and waitForCurrentVersion() each
//   park a promise in their own multimap (_waitPlan, _waitPlanVersion,
//   _waitCurrent, _waitCurrentVersion), and the Plan/Current syncer threads
//   fulfil the promises whose target has been reached after every load. On
//   shutdown the syncers stop and the remaining promises must be resolved
//   with TRI_ERROR_SHUTTING_DOWN, but only two of the four queues were
//   drained. A maintenance thread that waits synchronously on a future from
//   an undrained queue (SynchronizeShard waiting for a Current version that
//   will never be reached) keeps waiting after the syncers are gone, and the
//   server's shutdown, which joins the maintenance workers, hangs.
// Style: (d) standard library (std::promise/std::future in std::multimap queues guarded by std::mutex, std::thread for the syncer and maintenance threads, a condition-variable agency cache)
// Bug class: promise never fulfilled on the shutdown path (a drain that forgets some of the waiter queues)
// Shape: the agency cache publishes Current versions 1..3 (t=0..60 ms), then
//   the shard leader is gone and no more versions come. The maintenance
//   worker's SynchronizeShard calls waitForCurrentVersion(5).get(). At
//   t=200 ms main shuts down: the syncers stop and drain _waitPlan and
//   _waitCurrent only; the get() never returns and main's join of the
//   maintenance worker hangs.
// Fix: the shutdown drains all four queues (_waitPlan, _waitPlanVersion,
//   _waitCurrent, _waitCurrentVersion), so every parked waiter gets
//   TRI_ERROR_SHUTTING_DOWN.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <future>
#include <map>
#include <mutex>
#include <thread>

namespace arangodb {

enum ErrorCode { TRI_ERROR_NO_ERROR = 0, TRI_ERROR_SHUTTING_DOWN = 30 };
struct Result {
  ErrorCode code = TRI_ERROR_NO_ERROR;
  bool fail() const { return code != TRI_ERROR_NO_ERROR; }
};
using WaitQueue = std::multimap<uint64_t, std::promise<Result>>;

// The local agency cache: Plan and Current versions, and a notification.
class AgencyCache {
  std::mutex _mu;
  std::condition_variable _cv;
  uint64_t _planVersion = 0, _currentVersion = 0, _epoch = 0;
  bool _stopping = false;

 public:
  void publish(uint64_t plan, uint64_t current) {
    std::lock_guard g(_mu);
    _planVersion = plan;
    _currentVersion = current;
    ++_epoch;
    _cv.notify_all();
  }
  // Returns false once stopping; otherwise waits for a change after `seen`.
  bool waitForChange(uint64_t& seen, uint64_t& plan, uint64_t& current) {
    std::unique_lock lk(_mu);
    _cv.wait(lk, [&] { return _stopping || _epoch != seen; });
    if (_stopping) return false;
    seen = _epoch;
    plan = _planVersion;
    current = _currentVersion;
    return true;
  }
  void beginShutdown() {
    std::lock_guard g(_mu);
    _stopping = true;
    _cv.notify_all();
  }
};

class ClusterInfo {
  AgencyCache& _agencyCache;
  std::atomic<uint64_t> _planVersion{0}, _currentVersion{0};
  std::thread _planSyncer, _curSyncer;

  std::mutex _waitPlanLock;
  WaitQueue _waitPlan;
  std::mutex _waitPlanVersionLock;
  WaitQueue _waitPlanVersion;
  std::mutex _waitCurrentLock;
  WaitQueue _waitCurrent;
  std::mutex _waitCurrentVersionLock;
  WaitQueue _waitCurrentVersion;

  static void triggerWaiting(WaitQueue& q, uint64_t reached) {
    auto it = q.begin();
    while (it != q.end() && it->first <= reached) {
      it->second.set_value(Result{});
      it = q.erase(it);
    }
  }
  static void drain(std::mutex& m, WaitQueue& q) {
    std::lock_guard g(m);
    for (auto& [idx, p] : q) p.set_value(Result{TRI_ERROR_SHUTTING_DOWN});
    q.clear();
  }
  static std::future<Result> park(std::mutex& m, WaitQueue& q, uint64_t target, std::atomic<uint64_t> const& now) {
    std::lock_guard g(m);
    std::promise<Result> p;
    auto f = p.get_future();
    if (now.load() >= target) {
      p.set_value(Result{});
    } else {
      q.emplace(target, std::move(p));
    }
    return f;
  }

  void syncerRun(bool isPlan) {
    uint64_t seen = 0, plan = 0, current = 0;
    while (_agencyCache.waitForChange(seen, plan, current)) {
      if (isPlan) {
        _planVersion = plan;  // loadPlan()
        { std::lock_guard g(_waitPlanLock); triggerWaiting(_waitPlan, plan); }
        { std::lock_guard g(_waitPlanVersionLock); triggerWaiting(_waitPlanVersion, plan); }
      } else {
        _currentVersion = current;  // loadCurrent()
        { std::lock_guard g(_waitCurrentLock); triggerWaiting(_waitCurrent, current); }
        { std::lock_guard g(_waitCurrentVersionLock); triggerWaiting(_waitCurrentVersion, current); }
      }
    }
  }

 public:
  explicit ClusterInfo(AgencyCache& ac) : _agencyCache(ac) {}

  void startSyncers() {
    _planSyncer = std::thread([this] { syncerRun(true); });
    _curSyncer = std::thread([this] { syncerRun(false); });
  }

  std::future<Result> waitForPlan(uint64_t i) { return park(_waitPlanLock, _waitPlan, i, _planVersion); }
  std::future<Result> waitForPlanVersion(uint64_t v) { return park(_waitPlanVersionLock, _waitPlanVersion, v, _planVersion); }
  std::future<Result> waitForCurrent(uint64_t i) { return park(_waitCurrentLock, _waitCurrent, i, _currentVersion); }
  std::future<Result> waitForCurrentVersion(uint64_t v) {
    return park(_waitCurrentVersionLock, _waitCurrentVersion, v, _currentVersion);
  }

  void shutdownSyncers() {
    _planSyncer.join();
    _curSyncer.join();
    // Resolve every promise left behind by the syncers.
    drain(_waitPlanLock, _waitPlan);
    drain(_waitCurrentLock, _waitCurrent);
  }
};

// MaintenanceFeature with one worker running a SynchronizeShard action.
class MaintenanceFeature {
  ClusterInfo& _ci;
  std::thread _worker;

 public:
  explicit MaintenanceFeature(ClusterInfo& ci) : _ci(ci) {}
  void start() {
    _worker = std::thread([this] {
      // SynchronizeShard: wait until Current shows the leader's new version.
      Result r = _ci.waitForCurrentVersion(5).get();  // LEAK
      std::printf("SynchronizeShard s100042: %s\n", r.fail() ? "shutting down" : "in sync");
    });
  }
  void stop() { _worker.join(); }
};

}  // namespace arangodb

int main() {
  using namespace arangodb;
  AgencyCache agencyCache;
  ClusterInfo ci(agencyCache);
  MaintenanceFeature maintenance(ci);
  ci.startSyncers();
  maintenance.start();

  for (uint64_t v = 1; v <= 3; ++v) {
    agencyCache.publish(v, v);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // The shard leader is gone: Current stays at version 3.
  std::this_thread::sleep_for(std::chrono::milliseconds(140));

  // ClusterFeature::stop(), then MaintenanceFeature::stop().
  agencyCache.beginShutdown();
  ci.shutdownSyncers();
  maintenance.stop();
  std::printf("server stopped\n");
  return 0;
}
