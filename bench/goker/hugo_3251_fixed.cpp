// GoKer port: gobench/goker/blocking/hugo/3251 (gohugoio/hugo#3251)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (c) Go-style library, include/gochan.h (go::RWMutex, go::WaitGroup, go::spawn)
// Bug class: lock: AB-BA (a per-URL mutex taken under the map's RWMutex)
// Shape: URLLock() write-locks the map (L1) and locks the URL's mutex (L2)
//   before releasing L1. URLUnlock() read-locks L1 to find L2. One goroutine
//   holds L2 and waits for L1 in URLUnlock(); another holds L1 in URLLock()
//   and waits for L2.
// Fix: URLLock() releases L1 before locking the URL's mutex.
#include "gochan.h"
#include <map>
#include <memory>
#include <mutex>
#include <string>

struct RemoteLock {
  go::RWMutex mu;                                        // L1
  std::map<std::string, std::unique_ptr<std::mutex>> m; // L2 per URL

  void URLLock(const std::string &url) {
    mu.lock();
    auto &um = m[url];
    if (!um)
      um = std::make_unique<std::mutex>();
    std::mutex *l2 = um.get();
    mu.unlock(); // the fix: release L1 before waiting for L2
    l2->lock();
  }
  void URLUnlock(const std::string &url) {
    mu.rlock();
    if (auto it = m.find(url); it != m.end())
      it->second->unlock();
    mu.runlock();
  }
};

void resGetRemote(RemoteLock &l, const std::string &url, int delayMs) {
  l.URLLock(url);
  go::sleep_ms(delayMs); // fetching the resource
  l.URLUnlock(url);
}

int main() {
  go::spawn([] { // G1
    const std::string url = "http://Foo.Bar/foo_Bar-Foo";
    RemoteLock remoteURLLock;
    go::WaitGroup wg;
    for (int i = 0; i < 2; ++i) {
      wg.add(1);
      go::spawn([&, i] { // G2, G3
        go::sleep_ms(i);  // the second fetch starts while the first holds L2
        resGetRemote(remoteURLLock, url, 5);
        wg.done();
      });
    }
    wg.wait();
  });
  go::wait_all_goroutines();
}
