// GoKer port: gobench/goker/blocking/etcd/7492 (etcd-io/etcd#7492, fix 1b1fabe)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (b) Boost.Fiber channels and fibers (boost::fibers::mutex)
// Bug class: lock+chan: blocking send (buffer full) while holding the mutex
//   the receiver needs
// Shape: assignSimpleTokenToUser() holds simpleTokensMu while sending on the
//   keeper's addSimpleTokenCh (one slot). The keeper's loop, on a tick, calls
//   deleteTokenFunc, which takes simpleTokensMu: the loop waits for the mutex,
//   the slot stays full, and the next assign blocks holding the mutex.
// Fix: the channel is gone: the keeper shares simpleTokensMu, addSimpleToken()
//   inserts directly (the caller holds the mutex) and the tick takes the mutex
//   around the deletions; deleteTokenFunc no longer locks. stop() closes stopc
//   and waits for donec.
// (Boost.Fiber has no select: the keeper's loop polls its cases with try_pop,
//   the nanosecond ticker being always due; Go's `make(chan T, 1)` is buffered_channel(2).)
#include <boost/fiber/all.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace fibers = boost::fibers;
using Op = fibers::channel_op_status;

struct SimpleTokenTTLKeeper {
  std::map<std::string, int> tokens;
  fibers::buffered_channel<int> addSimpleTokenCh{2}; // make(chan struct{}, 1)
  fibers::buffered_channel<int> stopCh{2};
  std::function<void(const std::string &)> deleteTokenFunc;
  fibers::mutex *mu = nullptr; // the fix: the keeper shares simpleTokensMu
  fibers::fiber loop;

  void run() {
    for (;;) { // select { addSimpleTokenCh, tokenTicker.C (every nanosecond), stopCh }
      int v;
      if (stopCh.try_pop(v) != Op::empty) {
        return;
      } else if (addSimpleTokenCh.try_pop(v) == Op::success) {
        boost::this_fiber::yield(); // runtime.Gosched()
        tokens["1"] = 1;            // making tm.tokens non-empty is enough
      } else {                      // the ticker is always due
        boost::this_fiber::yield(); // runtime.Gosched()
        std::lock_guard lk(*mu);    // the fix: the tick takes the mutex itself
        for (auto &t : tokens)
          deleteTokenFunc(t.first);
        tokens.clear();
      }
    }
  }
  void addSimpleToken() {
    tokens["1"] = 1; // the fix: no channel; the caller holds simpleTokensMu
    boost::this_fiber::yield();
  }
  void stop() {
    stopCh.close();
    loop.join();
  }
};

struct TokenSimple {
  std::unique_ptr<SimpleTokenTTLKeeper> keeper;
  fibers::mutex simpleTokensMu;

  void assign() {
    std::lock_guard lk(simpleTokensMu);
    boost::this_fiber::yield();
    keeper->addSimpleToken();
  }
  void enable() {
    keeper = std::make_unique<SimpleTokenTTLKeeper>();
    keeper->deleteTokenFunc = [](const std::string &) {}; // the fix: called with the mutex held
    keeper->mu = &simpleTokensMu;
    keeper->loop = fibers::fiber([k = keeper.get()] { k->run(); }); // G1
  }
  void disable() {
    if (keeper) {
      keeper->stop();
      keeper.reset();
    }
    std::lock_guard lk(simpleTokensMu);
  }
};

int main() {
  TokenSimple ts;
  ts.enable();
  std::vector<fibers::fiber> gs;
  for (int i = 0; i < 3; ++i)
    gs.emplace_back([&] { ts.assign(); }); // G2: as.Authenticate()
  for (auto &g : gs) // wg.Wait()
    g.join();
  ts.disable(); // defer tearDown()
}
