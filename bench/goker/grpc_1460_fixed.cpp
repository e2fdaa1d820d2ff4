// GoKer port: gobench/goker/blocking/grpc/1460 (grpc/grpc-go#1460, fix e605a1e)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (b) Boost.Fiber channels and fibers (boost::fibers::mutex)
// Bug class: lock+chan: blocking receive while holding the mutex the partner needs
// Shape: keepalive() takes t.mu and, with no active stream, waits on
//   `awakenKeepalive` still holding t.mu. The only sender, NewStream(), must
//   take t.mu first: each waits for the other.
// Fix: keepalive() releases t.mu before waiting, and awakenKeepalive gets a
//   buffer of one so NewStream()'s non-blocking send is not lost.
#include <boost/fiber/all.hpp>
#include <mutex>
#include <vector>

namespace fibers = boost::fibers;

struct Http2Client {
  fibers::mutex mu;
  fibers::buffered_channel<int> awakenKeepalive{2}; // the fix: make(chan struct{}, 1)
  std::vector<int> activeStreams;

  void keepalive() {
    mu.lock();
    if (activeStreams.empty()) {
      mu.unlock(); // the fix: wait without holding mu
      int v;
      awakenKeepalive.pop(v);
    } else {
      mu.unlock();
    }
  }
  void NewStream() {
    std::lock_guard lk(mu);
    activeStreams.push_back(1);
    if (activeStreams.size() == 1)
      awakenKeepalive.try_push(0); // select { case ch <- x: default: }
  }
};

int main() {
  Http2Client client;
  fibers::fiber g1([&] { client.keepalive(); }); // G1
  fibers::fiber g2([&] { client.NewStream(); }); // G2
  g1.join();
  g2.join();
}
