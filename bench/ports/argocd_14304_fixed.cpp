// Port: argoproj/argo-cd#14304 ("fix: deadlock in controller")
//   The application controller keeps one gitops-engine clusterCache per
//   destination cluster. Its watch goroutine applies each Kubernetes watch
//   event in processEvent() under the cache's write lock (c.lock.Lock()) and,
//   still holding it, calls onNodeUpdated(), which runs every registered
//   OnResourceUpdated handler. Argo CD's liveStateCache.getCluster() installs
//   such a handler; with resource.ignoreResourceUpdatesEnabled=true an update
//   that only touches ignored fields is skipped, and at debug log level the
//   handler logs it with "server": clusterCache.GetClusterInfo().Server.
//   GetClusterInfo() takes c.lock.RLock() on the very RWMutex the watch
//   goroutine already holds for writing, so the watch goroutine blocks on
//   itself forever and the cluster's cache never processes another event.
// Style: (c) Go-style library gochan.h (go::RWMutex with Go's semantics, go::chan for the
//   watch stream and the app refresh queue, go::spawn)
// Bug class: self-deadlock: a callback invoked under a write lock re-enters the owner and read-locks it
// Shape: main registers cluster https://kubernetes.default.svc, then feeds
//   the watch channel an ADDED Deployment (refreshes app guestbook) and a
//   MODIFIED event that only bumps status.observedGeneration (ignored). The
//   ignored update takes the debug-log path; the watch goroutine blocks in
//   GetClusterInfo's RLock under its own Lock and main's wait for it hangs.
// Fix: the debug log uses the server URL of the cluster object captured by the
//   handler's closure (cluster.Server) instead of calling back into the
//   cluster cache, so no lock is taken from inside the handler.
#include "gochan.h"

#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

enum class LogLevel { Info, Debug };
static LogLevel g_logLevel = LogLevel::Debug;

struct ResourceKey {
  std::string Group, Kind, Namespace, Name;
  bool operator<(const ResourceKey &o) const {
    return std::tie(Group, Kind, Namespace, Name) < std::tie(o.Group, o.Kind, o.Namespace, o.Name);
  }
};

struct Resource {
  ResourceKey Ref;
  std::string AppName;       // argocd.argoproj.io/instance label
  std::string SpecHash;      // the watched fields
  long ObservedGeneration = 0; // an ignored field
};
using ResourcePtr = std::shared_ptr<Resource>;

struct WatchEvent {
  std::string Type; // ADDED / MODIFIED / DELETED
  ResourcePtr Obj;
};

struct ClusterInfo {
  std::string Server;
  int APIsCount = 0;
  long ResourcesCount = 0;
};

namespace clustercache {
using OnResourceUpdatedHandler =
    std::function<void(ResourcePtr newRes, ResourcePtr oldRes, const std::map<ResourceKey, ResourcePtr> &nsResources)>;

// gitops-engine pkg/cache/cluster.go
class ClusterCache {
public:
  explicit ClusterCache(std::string server) : server_(std::move(server)) {}

  void OnResourceUpdated(OnResourceUpdatedHandler h) {
    lock_.lock();
    handlers_.push_back(std::move(h));
    lock_.unlock();
  }

  ClusterInfo GetClusterInfo() {
    lock_.rlock();
    ClusterInfo info{server_, 42, static_cast<long>(resources_.size())};
    lock_.runlock();
    return info;
  }

  // The watch goroutine of one API resource.
  void watchEvents(go::chan<WatchEvent> events) {
    for (WatchEvent ev : events)
      processEvent(ev);
  }

private:
  void processEvent(const WatchEvent &ev) {
    lock_.lock();
    ResourcePtr oldRes;
    auto it = resources_.find(ev.Obj->Ref);
    if (it != resources_.end())
      oldRes = it->second;
    if (ev.Type == "DELETED")
      resources_.erase(ev.Obj->Ref);
    else
      resources_[ev.Obj->Ref] = ev.Obj;
    onNodeUpdated(oldRes, ev.Type == "DELETED" ? nullptr : ev.Obj);
    lock_.unlock();
  }

  void onNodeUpdated(ResourcePtr oldRes, ResourcePtr newRes) {
    for (auto &h : handlers_)
      h(newRes, oldRes, resources_);
  }

  std::string server_;
  go::RWMutex lock_;
  std::map<ResourceKey, ResourcePtr> resources_;
  std::vector<OnResourceUpdatedHandler> handlers_;
};
} // namespace clustercache

struct Cluster { // appv1.Cluster
  std::string Server;
  std::string Name;
};

struct cacheSettings {
  bool ignoreResourceUpdatesEnabled = false;
};

// argo-cd controller/cache/cache.go
class liveStateCache {
public:
  liveStateCache(cacheSettings s, go::chan<std::string> appRefreshQueue)
      : settings_(s), appRefreshQueue_(appRefreshQueue) {}

  clustercache::ClusterCache *getCluster(const Cluster &cluster) {
    lock_.lock();
    auto it = clusters_.find(cluster.Server);
    if (it != clusters_.end()) {
      lock_.unlock();
      return it->second.get();
    }
    auto cc = std::make_unique<clustercache::ClusterCache>(cluster.Server);
    clustercache::ClusterCache *clusterCache = cc.get();
    clusters_[cluster.Server] = std::move(cc);
    lock_.unlock();

    clusterCache->OnResourceUpdated([this, cluster](ResourcePtr newRes, ResourcePtr oldRes,
                                                     const std::map<ResourceKey, ResourcePtr> &) {
      lock_.rlock();
      cacheSettings settings = settings_;
      lock_.runlock();

      const ResourceKey &ref = newRes ? newRes->Ref : oldRes->Ref;
      if (settings.ignoreResourceUpdatesEnabled && oldRes && newRes && skipResourceUpdate(*oldRes, *newRes)) {
        if (g_logLevel >= LogLevel::Debug) {
          std::string server = cluster.Server;
          std::printf("level=debug msg=\"Ignoring change of object because none of the watched resource fields "
                      "have changed\" server=%s name=%s kind=%s\n",
                      server.c_str(), ref.Name.c_str(), ref.Kind.c_str());
        }
        return;
      }
      std::string app = newRes ? newRes->AppName : oldRes->AppName;
      if (!app.empty())
        appRefreshQueue_.send(app); // onObjectUpdated -> requestAppRefresh
    });
    return clusterCache;
  }

private:
  static bool skipResourceUpdate(const Resource &oldRes, const Resource &newRes) {
    return oldRes.SpecHash == newRes.SpecHash; // only ignored fields differ
  }

  go::RWMutex lock_;
  cacheSettings settings_;
  std::map<std::string, std::unique_ptr<clustercache::ClusterCache>> clusters_;
  go::chan<std::string> appRefreshQueue_;
};

int main() {
  go::chan<std::string> appRefreshQueue(16);
  liveStateCache cache(cacheSettings{true}, appRefreshQueue);

  Cluster inCluster{"https://kubernetes.default.svc", "in-cluster"};
  clustercache::ClusterCache *cc = cache.getCluster(inCluster);

  go::chan<WatchEvent> deployments; // the apps/v1 Deployment watch
  go::spawn([cc, deployments] { cc->watchEvents(deployments); });

  ResourceKey key{"apps", "Deployment", "default", "guestbook-ui"};
  auto v1 = std::make_shared<Resource>(Resource{key, "guestbook", "spec-7f9c", 1});
  auto v2 = std::make_shared<Resource>(Resource{key, "guestbook", "spec-7f9c", 2}); // status only
  deployments.send(WatchEvent{"ADDED", v1});
  std::printf("app refresh requested: %s\n", appRefreshQueue.recv()->c_str());
  go::sleep_ms(50);
  deployments.send(WatchEvent{"MODIFIED", v2});
  go::sleep_ms(50);
  deployments.close();

  go::wait_all_goroutines();
  std::printf("watch stopped, resources seen: %ld\n", cc->GetClusterInfo().ResourcesCount);
  return 0;
}
