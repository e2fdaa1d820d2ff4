// GoKer port: gobench/goker/blocking/kubernetes/30872 (kubernetes/kubernetes#30872)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (b) Boost.Fiber channels and fibers (boost::fibers::mutex)
// Bug class: lock: AB-BA between the federated informer's lock (L1) and the
//   DeltaFIFO's lock (L2), which then also blocks the stop path
// Shape: the informer's controller loop pops from the DeltaFIFO holding L2 and
//   its handler adds the cluster, taking L1. The namespace controller's
//   handler checks ClustersSynced(), holding L1 while asking the controller's
//   queue HasSynced(), which takes L2. Stop() needs L1 too, so closing the
//   stop channel cannot end the controller loop either.
// Fix (reconstructed; the upstream patch is not in the corpus):
//   ClustersSynced() reads the informer under L1 and asks HasSynced() after
//   releasing it.
// (A stop channel is an unbuffered channel closed to signal; Go's
//   `select { case <-stopCh: return; default: }` is a zero-timeout pop.)
#include <boost/fiber/all.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace fibers = boost::fibers;
using namespace std::chrono_literals;
using Signal = fibers::unbuffered_channel<int>;

bool closed(Signal &c) {
  int v;
  return c.pop_wait_for(v, std::chrono::seconds(0)) == fibers::channel_op_status::closed;
}

void JitterUntil(const std::function<void()> &f, Signal &stopCh) {
  for (;;) {
    if (closed(stopCh))
      return;
    f();
  }
}

struct DeltaFIFO {
  fibers::mutex lock; // L2
  void HasSynced() {
    std::lock_guard lk(lock);
  }
  void Pop(const std::function<void()> &process) {
    std::lock_guard lk(lock);
    boost::this_fiber::sleep_for(5ms); // the handler runs while the FIFO is locked
    process();
  }
};

struct Controller {
  DeltaFIFO queue;
  std::function<void()> process;
  void Run(Signal &stopCh) { JitterUntil([this] { queue.Pop(process); }, stopCh); }
  void HasSynced() { queue.HasSynced(); }
};

struct FederatedInformer {
  fibers::mutex mu; // L1
  Controller controller;
  std::unique_ptr<Signal> stopChan;
  std::vector<fibers::fiber> *fibers_;
  void ClustersSynced() {
    {
      std::lock_guard lk(mu);
      boost::this_fiber::sleep_for(5ms);
    }
    controller.HasSynced(); // the fix: not under L1
  }
  void addCluster() {
    std::lock_guard lk(mu);
  }
  void Start() {
    std::lock_guard lk(mu);
    stopChan = std::make_unique<Signal>();
    fibers_->emplace_back([this, s = stopChan.get()] { controller.Run(*s); }); // G2
  }
  void Stop() {
    std::lock_guard lk(mu);
    stopChan->close();
  }
};

struct NamespaceController {
  std::vector<fibers::fiber> fibers_;
  FederatedInformer informer;
  NamespaceController() {
    informer.fibers_ = &fibers_;
    informer.controller.process = [this] { informer.addCluster(); }; // OnAdd
  }
  void reconcileNamespace() { informer.ClustersSynced(); }
  void Run(Signal &stopChan) {
    informer.Start();
    fibers_.emplace_back([this, &stopChan] { // G3
      int v;
      stopChan.pop(v);
      informer.Stop();
    });
    fibers_.emplace_back([this] { reconcileNamespace(); }); // G4: the deliverer's handler
  }
};

int main() {
  NamespaceController nc; // G1
  Signal stop;
  nc.Run(stop);
  stop.close();
  for (auto &f : nc.fibers_)
    f.join();
}
