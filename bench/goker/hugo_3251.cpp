// GoKer port: gobench/goker/blocking/hugo/3251 (gohugoio/hugo#3251)
// Style: (b) Boost.Fiber fibers (boost::fibers::mutex)
// Bug class: lock: AB-BA (a per-URL mutex taken under the map's lock)
// Shape: URLLock() locks the map (L1) and then the URL's mutex (L2) before
//   releasing L1. URLUnlock() takes L1 (a read lock in Go) to find L2. One
//   fiber holds L2 and waits for L1 in URLUnlock(); another holds L1 in
//   URLLock() and waits for L2.
// Fix: URLLock() releases L1 before locking the URL's mutex.
// (Boost.Fiber has no RWMutex: L1 is a plain fibers::mutex, and the RLock()
//   of URLUnlock() a lock(); with two fibers the deadlock is the same.)
#include <boost/fiber/all.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace fibers = boost::fibers;
using namespace std::chrono_literals;

struct RemoteLock {
  fibers::mutex mu;                                        // L1 (sync.RWMutex)
  std::map<std::string, std::unique_ptr<fibers::mutex>> m; // L2 per URL

  void URLLock(const std::string &url) {
    mu.lock();
    auto &um = m[url];
    if (!um)
      um = std::make_unique<fibers::mutex>();
    um->lock(); // LEAK: waits for L2 holding L1
    mu.unlock();
  }
  void URLUnlock(const std::string &url) {
    std::lock_guard lk(mu); // LEAK: waits for L1 holding L2 (RLock in Go)
    if (auto it = m.find(url); it != m.end())
      it->second->unlock();
  }
};

void resGetRemote(RemoteLock &l, const std::string &url) {
  l.URLLock(url);
  boost::this_fiber::sleep_for(5ms); // fetching the resource
  l.URLUnlock(url);
}

int main() {
  fibers::fiber g1([] { // G1
    const std::string url = "http://Foo.Bar/foo_Bar-Foo";
    RemoteLock remoteURLLock;
    std::vector<fibers::fiber> gs; // the WaitGroup
    for (int i = 0; i < 2; ++i) {
      gs.emplace_back([&, i] { // G2, G3
        boost::this_fiber::sleep_for(i * 1ms); // the second fetch starts while the first holds L2
        resGetRemote(remoteURLLock, url);
      });
    }
    for (auto &g : gs)
      g.join();
  });
  g1.join();
}
