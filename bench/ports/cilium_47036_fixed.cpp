// Port: cilium/cilium#47036 ("operator: prevent deadlock when stopping node taint sync")
//   (issue #47015, "operator: shutdown deadlocks between node taint sync and
//   CiliumNode GC"). CiliumNodeGCCell and NodeTaintSyncCell share the
//   operator's package-level Node informer and its work queue, nodeQueue;
//   nodesInit() runs once (sync.Once), from whichever cell starts first, and
//   its informer goroutine shuts nodeQueue down when that cell's stop channel
//   closes. CiliumNodeGCCell starts first, so it owns the informer. The hive
//   stops cells in reverse order: NodeTaintSyncCell's stop hook cancels its
//   context and waits for its taint-sync workers, which sit in
//   nodeQueue.Get() until the queue is shut down, and that only happens in
//   CiliumNodeGCCell's stop hook, which runs after this one returns.
// Style: (c) Go-style gochan.h (go::Mutex/go::Cond for client-go's workqueue, go::WaitGroup, go::Context/with_cancel, go::spawn); the hive Lifecycle with OnStart/OnStop std::function hooks and a sync.Once nodesInit() written in the port
// Bug class: shutdown order: a stop hook joins workers blocked on a queue whose shutdown belongs to a component stopped later
// Shape: the GC cell starts and runs nodesInit(); the taint-sync cell starts
//   two workers, which process the nodes the informer adds and park in
//   nodeQueue.Get(). Lifecycle::Stop() runs the taint-sync stop hook first:
//   cancel() does not reach Get(), and wg.Wait() waits for workers waiting
//   on the queue's condition variable forever; the GC stop hook never runs.
// Fix: the taint-sync stop hook calls nodeQueue.ShutDown() before
//   wg.Wait(), releasing the workers blocked in Get().
#include "gochan.h"

#include <cstdio>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

// ---- client-go workqueue.Type, reduced ----
class workQueue {
  go::Mutex mu_;
  go::Cond cond_{&mu_};
  std::deque<std::string> queue_;
  std::set<std::string> dirty_, processing_;
  bool shuttingDown_ = false;

public:
  void Add(const std::string &item) {
    mu_.lock();
    if (shuttingDown_ || dirty_.count(item)) {
      mu_.unlock();
      return;
    }
    dirty_.insert(item);
    if (!processing_.count(item)) {
      queue_.push_back(item);
      cond_.Signal();
    }
    mu_.unlock();
  }
  // Get blocks until it can return an item to be processed; shutdown is true
  // once the queue has been shut down and drained.
  std::pair<std::string, bool> Get() {
    mu_.lock();
    while (queue_.empty() && !shuttingDown_)
      cond_.Wait();
    if (queue_.empty()) {
      mu_.unlock();
      return {"", true};
    }
    std::string item = queue_.front();
    queue_.pop_front();
    processing_.insert(item);
    dirty_.erase(item);
    mu_.unlock();
    return {item, false};
  }
  void Done(const std::string &item) {
    mu_.lock();
    processing_.erase(item);
    if (dirty_.count(item)) {
      queue_.push_back(item);
      cond_.Signal();
    }
    mu_.unlock();
  }
  void ShutDown() {
    mu_.lock();
    shuttingDown_ = true;
    cond_.Broadcast();
    mu_.unlock();
  }
};

// ---- hive lifecycle ----
struct Hook {
  std::function<void()> OnStart, OnStop;
};
class Lifecycle {
  std::vector<Hook> hooks_;

public:
  void Append(Hook h) { hooks_.push_back(std::move(h)); }
  void Start() {
    for (auto &h : hooks_)
      h.OnStart();
  }
  void Stop() { // reverse order of start
    for (auto it = hooks_.rbegin(); it != hooks_.rend(); ++it)
      it->OnStop();
  }
};

// ---- operator/watchers/node.go: package-level informer state ----
static std::once_flag nodeSyncOnce;
static workQueue nodeQueue;
static const std::vector<std::string> clusterNodes = {"kind-control-plane", "kind-worker", "kind-worker2"};

// nodesInit starts up a node watcher to handle node events, once.
static void nodesInit(go::WaitGroup *wg, go::chan<go::unit> stopCh) {
  std::call_once(nodeSyncOnce, [&] {
    wg->add(1);
    go::spawn([wg, stopCh] {
      for (auto &n : clusterNodes) // informer AddFunc
        nodeQueue.Add(n);
      stopCh.recv(); // nodeController.Run(stopCh)
      nodeQueue.ShutDown(); // defer nodeQueue.ShutDown()
      wg->done();
    });
  });
}

// ---- CiliumNodeGCCell ----
struct ciliumNodeGC {
  go::Context ctx;
  go::WaitGroup wg;
  void start() { nodesInit(&wg, ctx.done()); }
  void stop() {
    ctx.cancel();
    wg.wait();
  }
};

// ---- NodeTaintSyncCell ----
struct nodeTaintSync {
  int TaintSyncWorkers = 2;
  go::Context ctx;
  go::WaitGroup wg;
  std::atomic<int> synced{0};

  bool processNextNode() {
    auto [key, quit] = nodeQueue.Get();
    if (quit)
      return false;
    go::sleep_ms(5); // checkTaintForNextNodeItem: patch taints / CiliumIsUp condition
    synced++;
    nodeQueue.Done(key);
    return true;
  }
  void start() {
    nodesInit(&wg, ctx.done()); // no-op: the GC cell already started the informer
    for (int i = 0; i < TaintSyncWorkers; i++) {
      wg.add(1);
      go::spawn([this] {
        while (processNextNode()) {
        }
        wg.done();
      });
    }
  }
  void stop() {
    ctx.cancel();
    // Release the workers blocked in Get() before waiting for them.
    nodeQueue.ShutDown();
    wg.wait();
  }
};

int main() {
  Lifecycle lc;
  ciliumNodeGC gc;
  nodeTaintSync taints;
  lc.Append({[&] { gc.start(); }, [&] { gc.stop(); }});
  lc.Append({[&] { taints.start(); }, [&] { taints.stop(); }});

  lc.Start();
  go::sleep_ms(100); // the workers drain the three nodes and park in Get()
  lc.Stop();

  go::wait_all_goroutines();
  std::printf("operator stopped, %d node taint syncs\n", taints.synced.load());
  return 0;
}
