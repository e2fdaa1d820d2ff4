// GoKer port: gobench/goker/blocking/etcd/7902 (etcd-io/etcd#7902, fix 87d99fe)
// Style: (b) Boost.Fiber channels and fibers (boost::fibers::mutex)
// Bug class: lock+chan: blocking receive while holding the mutex the partner needs
// Shape: three round clients loop: validate() under `mu` records the round's
//   `nextc`; release() under `mu` waits on it. Only the leader closes `nextc`,
//   in its own release(), which needs `mu`: a follower that reaches release()
//   first waits on `nextc` holding `mu`, and the leader can never close it.
// Fix: release() is called without `mu`.
#include <boost/fiber/all.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace fibers = boost::fibers;
using Chan = fibers::unbuffered_channel<bool>;

struct RoundClient {
  int progress = 0;
  std::function<void()> acquire, validate, release;
};

void doRounds(std::vector<RoundClient> &rcs, int rounds) {
  fibers::mutex mu;
  std::vector<fibers::fiber> gs;
  for (std::size_t i = 0; i < rcs.size(); ++i) {
    gs.emplace_back([&mu, &rcs, i, rounds] { // G2, G3
      RoundClient &rc = rcs[i];
      while (rc.progress < rounds) {
        rc.acquire();
        mu.lock();
        rc.validate();
        mu.unlock();
        // the leader is the slowest: a follower reaches release() first
        boost::this_fiber::sleep_for(std::chrono::milliseconds(i == 0 ? 20 : 10));
        rc.progress++;
        mu.lock();
        rc.release();
        mu.unlock();
      }
    });
  }
  for (auto &g : gs) // wg.Wait()
    g.join();
}

void runElection() {
  std::vector<RoundClient> rcs(3);
  auto nextc = std::make_shared<std::shared_ptr<Chan>>(std::make_shared<Chan>());
  std::vector<std::shared_ptr<Chan>> rcNextc(rcs.size());
  for (std::size_t i = 0; i < rcs.size(); ++i) {
    rcs[i].acquire = [] {};
    rcs[i].validate = [&rcNextc, nextc, i] { rcNextc[i] = *nextc; };
    rcs[i].release = [&rcNextc, nextc, i] {
      if (i == 0) { // the leader
        (*nextc)->close();
        *nextc = std::make_shared<Chan>();
      }
      bool v;
      rcNextc[i]->pop(v); // LEAK: the follower waits here holding mu
    };
  }
  doRounds(rcs, 3);
}

int main() {
  fibers::fiber g1(runElection); // G1
  g1.join();
}
