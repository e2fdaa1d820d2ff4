// GoKer port: gobench/goker/blocking/kubernetes/30872 (kubernetes/kubernetes#30872)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (c) Go-style library, include/gochan.h (go::chan, go::select, go::spawn) with std::mutex
// Bug class: lock: AB-BA between the federated informer's lock (L1) and the
//   DeltaFIFO's lock (L2), which then also blocks the stop path
// Shape: the informer's controller loop pops from the DeltaFIFO holding L2 and
//   its handler adds the cluster, taking L1. The namespace controller's
//   handler checks ClustersSynced(), holding L1 while asking the controller's
//   queue HasSynced(), which takes L2. Stop() needs L1 too, so closing the
//   stop channel cannot end the controller loop either.
// Fix (reconstructed): ClustersSynced() reads the informer under L1 and asks
//   HasSynced() after releasing it.
#include "gochan.h"
#include <functional>
#include <mutex>

using Signal = go::chan<go::unit>;

void JitterUntil(std::function<void()> f, Signal stopCh) {
  for (;;) {
    if (go::select(go::case_recv(stopCh), go::case_default()) == 0)
      return;
    f();
  }
}

struct DeltaFIFO {
  std::mutex lock; // L2
  void HasSynced() {
    std::lock_guard lk(lock);
  }
  void Pop(const std::function<void()> &process) {
    std::lock_guard lk(lock);
    go::sleep_ms(5); // the handler runs while the FIFO is locked
    process();
  }
};

struct Controller {
  DeltaFIFO queue;
  std::function<void()> process;
  void Run(Signal stopCh) { JitterUntil([this] { queue.Pop(process); }, stopCh); }
  void HasSynced() { queue.HasSynced(); }
};

struct FederatedInformer {
  std::mutex mu; // L1
  Controller controller;
  Signal stopChan;
  void ClustersSynced() {
    {
      std::lock_guard lk(mu);
      go::sleep_ms(5);
    }
    controller.HasSynced(); // the fix: not under L1
  }
  void addCluster() {
    std::lock_guard lk(mu);
  }
  void Start() {
    std::lock_guard lk(mu);
    stopChan = Signal();
    go::spawn([this, s = stopChan] { controller.Run(s); }); // G2
  }
  void Stop() {
    std::lock_guard lk(mu);
    stopChan.close();
  }
};

struct NamespaceController {
  FederatedInformer informer;
  NamespaceController() {
    informer.controller.process = [this] { informer.addCluster(); }; // OnAdd
  }
  void reconcileNamespace() { informer.ClustersSynced(); }
  void Run(Signal stopChan) {
    informer.Start();
    go::spawn([this, stopChan] { // G3
      stopChan.recv();
      informer.Stop();
    });
    go::spawn([this] { reconcileNamespace(); }); // G4: the deliverer's handler
  }
};

int main() {
  go::spawn([] { // G1
    auto *nc = new NamespaceController(); // lives as long as its goroutines
    Signal stop;
    nc->Run(stop);
    stop.close();
  });
  go::wait_all_goroutines();
}
