// GoKer port: gobench/goker/blocking/grpc/1353 (grpc/grpc-go#1353, fix 0662e89)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (b) Boost.Fiber channels and fibers (boost::fibers::mutex)
// Bug class: lock+chan: blocking send while holding the mutex the receiver needs
// Shape: roundRobin.watchAddrUpdates() sends each update on the unbuffered
//   addrCh while holding rr.mu. lbWatcher() receives an update and tears down
//   connections, whose down() takes rr.mu: the watcher then waits for rr.mu
//   and the updater waits for the watcher to receive.
// Fix: addrCh is buffered (one slot) and watchAddrUpdates() drains a stale
//   update before sending, so its send never blocks while holding rr.mu.
#include <boost/fiber/all.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace fibers = boost::fibers;

struct RoundRobin {
  fibers::mutex mu;
  fibers::buffered_channel<bool> addrCh{2}; // the fix: make(chan bool, 1)
  fibers::fiber updates;

  void Start() {
    updates = fibers::fiber([this] { // G2
      for (int i = 0; i < 100; ++i)
        watchAddrUpdates();
      Close(); // HelpCond.Signal() -> balancer.Close()
    });
  }
  std::function<void()> Up() {
    return [this] { down(); };
  }
  void Close() {
    std::lock_guard lk(mu);
    addrCh.close();
  }
  void watchAddrUpdates() {
    std::lock_guard lk(mu);
    bool stale;
    addrCh.try_pop(stale); // the fix: drain the pending update
    addrCh.push(true);
  }
  void down() {
    std::lock_guard lk(mu);
  }
};

struct AddrConn {
  fibers::mutex mu;
  std::function<void()> down;
  void tearDown() {
    std::lock_guard lk(mu);
    if (down)
      down();
  }
};

struct ClientConn {
  RoundRobin balancer;
  std::vector<std::shared_ptr<AddrConn>> conns;
  void lbWatcher() {
    for (bool addr : balancer.addrCh) { // G3
      (void)addr;
      boost::this_fiber::yield(); // let the updater take rr.mu again
      for (auto &c : conns)
        c->tearDown();
    }
  }
};

int main() {
  ClientConn cc;
  for (int i = 0; i < 2; ++i) {
    auto ac = std::make_shared<AddrConn>();
    ac->down = cc.balancer.Up();
    cc.conns.push_back(ac);
  }
  cc.balancer.Start(); // G1
  fibers::fiber g3([&] { cc.lbWatcher(); });
  g3.join();
  cc.balancer.updates.join();
}
