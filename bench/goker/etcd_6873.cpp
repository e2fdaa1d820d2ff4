// GoKer port: gobench/goker/blocking/etcd/6873 (etcd-io/etcd commit 7618fdd)
// Style: (b) Boost.Fiber channels and fibers (boost::fibers::mutex)
// Bug class: lock+chan: blocking receive while holding the mutex the partner needs
// Shape: the broadcast goroutine ranges over `updatec` and takes `mu` for each
//   update (coalesce), then closes `donec`. stop() takes `mu`, closes
//   `updatec` and waits on `donec` while still holding `mu`: if the goroutine
//   is between receiving an update and coalescing it, each waits for the other.
// Fix: stop() releases `mu` before waiting on `donec`.
// (Go's `make(chan T, 1)` is buffered_channel<T>(2): a Boost.Fiber buffered
//   channel of capacity N holds N-1 values.)
#include <boost/fiber/all.hpp>
#include <chrono>
#include <memory>
#include <mutex>

namespace fibers = boost::fibers;
using namespace std::chrono_literals;

struct WatchBroadcasts {
  fibers::mutex mu;
  fibers::buffered_channel<int> updatec{2}; // make(chan *watchBroadcast, 1)
  fibers::unbuffered_channel<int> donec;    // closed when the loop ends
  fibers::fiber loop;

  WatchBroadcasts() {
    loop = fibers::fiber([this] { // G2
      for (int wb : updatec) {
        (void)wb;
        boost::this_fiber::sleep_for(5ms); // between receiving and coalescing
        coalesce();
      }
      donec.close();
    });
  }
  void coalesce() {
    std::lock_guard lk(mu);
  }
  void stop() {
    std::unique_lock lk(mu);
    updatec.close();
    int v;
    donec.pop(v); // LEAK: waits for G2 while holding mu
  }
  void update(int wb) {
    updatec.try_push(wb); // select { case updatec <- wb: default: }
  }
};

int main() {
  auto wbs = std::make_shared<WatchBroadcasts>(); // G1
  wbs->update(1);
  fibers::fiber g3([wbs] { wbs->stop(); }); // G3
  g3.join();
  wbs->loop.join();
}
