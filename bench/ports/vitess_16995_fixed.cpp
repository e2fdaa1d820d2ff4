// Port: vitessio/vitess#16995 ("Fix deadlock between health check and topology watcher")
//   (fixes vitessio/vitess#16994) vtgate's TopologyWatcher goroutine loops:
//   loadTablets() lists the cell's tablets from the topo server and calls
//   HealthCheckImpl.AddTablet/RemoveTablet for what changed (both take hc.mu),
//   then waits in a select on its context, the refresh ticker and the health
//   check's loadTabletsTrigger channel. HealthCheckImpl.updateHealth() runs on
//   a tablet's checkConn goroutine and holds hc.mu for the whole update; when
//   the update demotes the shard's only PRIMARY it asks the watcher to reload
//   by sending on the unbuffered loadTabletsTrigger, still holding hc.mu. If
//   the watcher is inside loadTablets() at that moment it is not at its
//   select: it reaches AddTablet() and blocks on hc.mu, and updateHealth()
//   blocks forever on the send whose only receiver is that watcher.
// Style: (c) gochan.h (go::chan for loadTabletsTrigger, go::select with go::after for the ticker, go::Mutex for hc.mu, go::with_cancel for the watcher's context, go::WaitGroup, go::spawn); vitess' discovery package reduced: HealthCheckImpl, TopologyWatcher, a fake topo server, one checkConn stream
// Bug class: lock held while blocking on an unbuffered channel send; the only receiver needs the lock first
// Shape: the watcher's second refresh (ticker after 300 ms) lists tablets, a
//   topo call that takes 300 ms and returns a new replica. At 750 ms the
//   PRIMARY's health stream reports it was demoted: updateHealth() locks
//   hc.mu, finds no primary left and blocks sending the trigger. The watcher
//   comes back from the topo at 900 ms and blocks in AddTablet() on hc.mu.
//   main's tw.Stop() waits for the watcher forever.
// Fix: loadTabletsTrigger gets a buffer of one and updateHealth() sends with
//   `select { case hc.loadTabletsTrigger <- struct{}{}: default: }`, so it
//   never blocks (a pending trigger already schedules a reload).
#include "gochan.h"

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

enum class TabletType { UNKNOWN, PRIMARY, REPLICA };

struct Tablet {
  std::string alias;
  std::string keyspace;
  std::string shard;
  TabletType type;
};

struct TabletHealth {
  Tablet tablet;
  TabletType targetType;
  bool serving;
};

static std::string keyFor(const std::string &ks, const std::string &shard, TabletType t) {
  return ks + "." + shard + "." + (t == TabletType::PRIMARY ? "primary" : "replica");
}

// go/vt/discovery/healthcheck.go
class HealthCheckImpl {
public:
  HealthCheckImpl() : loadTabletsTrigger_(1) {} // make(chan struct{}, 1)

  void AddTablet(const Tablet &t) {
    mu_.lock();
    healthByAlias_[t.alias] = TabletHealth{t, t.type, true};
    healthData_[keyFor(t.keyspace, t.shard, t.type)].insert(t.alias);
    mu_.unlock();
    std::printf("healthcheck: added tablet %s\n", t.alias.c_str());
  }

  // Called by the tablet's checkConn goroutine for every StreamHealth response.
  void updateHealth(const TabletHealth &th, TabletType prevType) {
    mu_.lock();
    const Tablet &t = th.tablet;
    std::string oldKey = keyFor(t.keyspace, t.shard, prevType);
    std::string newKey = keyFor(t.keyspace, t.shard, th.targetType);
    if (oldKey != newKey)
      healthData_[oldKey].erase(t.alias);
    healthData_[newKey].insert(t.alias);
    healthByAlias_[t.alias] = th;
    // If the previous tablet type was primary, check whether the next primary
    // is already known; if not, ask the topology watcher to reload tablets.
    if (prevType == TabletType::PRIMARY && healthData_[oldKey].empty()) {
      std::printf("healthcheck: no primary left for %s/%s, triggering loadTablets\n", t.keyspace.c_str(),
                  t.shard.c_str());
      // A pending trigger already schedules a reload: never block here.
      go::select(go::case_send(loadTabletsTrigger_, go::unit{}), go::case_default());
    }
    mu_.unlock();
  }

  go::chan<go::unit> GetLoadTabletsTrigger() const { return loadTabletsTrigger_; }

  bool knows(const std::string &alias) {
    mu_.lock();
    bool ok = healthByAlias_.count(alias) != 0;
    mu_.unlock();
    return ok;
  }

private:
  go::Mutex mu_;
  std::map<std::string, TabletHealth> healthByAlias_;
  std::map<std::string, std::set<std::string>> healthData_;
  go::chan<go::unit> loadTabletsTrigger_;
};

// A topo server whose GetTabletsByCell is slow; the cell gains a replica
// after the first listing.
class FakeTopoServer {
public:
  std::vector<Tablet> GetTabletsByCell(const std::string &) {
    go::sleep_ms(300);
    std::vector<Tablet> out = {{"zone1-100", "commerce", "0", TabletType::PRIMARY},
                               {"zone1-101", "commerce", "0", TabletType::REPLICA}};
    if (++calls_ > 1)
      out.push_back({"zone1-102", "commerce", "0", TabletType::REPLICA});
    return out;
  }

private:
  int calls_ = 0; // only the watcher goroutine calls it
};

// go/vt/discovery/topology_watcher.go
class TopologyWatcher {
public:
  TopologyWatcher(FakeTopoServer *topo, HealthCheckImpl *hc, std::string cell, int refreshMs)
      : topo_(topo), healthcheck_(hc), cell_(std::move(cell)), refreshMs_(refreshMs) {
    auto [ctx, cancel] = go::with_cancel();
    ctx_ = ctx;
    cancelFunc_ = cancel;
  }

  void Start() {
    wg_.add(1);
    go::spawn([this] {
      for (;;) {
        loadTablets();
        int fired = go::select(go::case_recv(ctx_.done()), go::case_recv(healthcheck_->GetLoadTabletsTrigger()),
                               go::case_recv(go::after(std::chrono::milliseconds(refreshMs_))));
        if (fired == 0)
          break;
      }
      wg_.done();
    });
  }

  // Stop stops the watcher and waits for its goroutine.
  void Stop() {
    cancelFunc_();
    wg_.wait();
  }

private:
  void loadTablets() {
    std::vector<Tablet> tablets = topo_->GetTabletsByCell(cell_);
    for (const Tablet &t : tablets) {
      if (known_.count(t.alias))
        continue;
      healthcheck_->AddTablet(t);
      known_.insert(t.alias);
    }
  }

  FakeTopoServer *topo_;
  HealthCheckImpl *healthcheck_;
  std::string cell_;
  int refreshMs_;
  go::Context ctx_;
  std::function<void()> cancelFunc_;
  go::WaitGroup wg_;
  std::set<std::string> known_;
};

int main() {
  FakeTopoServer topo;
  HealthCheckImpl hc;
  TopologyWatcher tw(&topo, &hc, "zone1", 300);
  tw.Start(); // first listing: 0..300 ms; ticker: 600 ms; second listing 600..900 ms

  // checkConn for zone1-100: a PlannedReparentShard demotes it at 750 ms,
  // while the watcher is inside its second topo listing.
  go::spawn([&hc] {
    go::sleep_ms(750);
    Tablet t{"zone1-100", "commerce", "0", TabletType::REPLICA};
    hc.updateHealth(TabletHealth{t, TabletType::REPLICA, true}, TabletType::PRIMARY);
  });

  go::sleep_ms(1300);
  tw.Stop();
  go::wait_all_goroutines();
  std::printf("zone1-102 known: %s\n", hc.knows("zone1-102") ? "yes" : "no");
  return 0;
}
