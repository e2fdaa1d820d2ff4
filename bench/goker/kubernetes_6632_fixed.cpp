// GoKer port: gobench/goker/blocking/kubernetes/6632 (kubernetes/kubernetes#6632, fix 82afb7a)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (b) Boost.Fiber channels and fibers (boost::fibers::mutex)
// Bug class: lock+chan: blocking send while holding the mutex the closer needs
// Shape: WriteFrame() takes writeLock and sends on the unbuffered resetChan,
//   which nobody reads once the connection is closing. monitor() would close
//   resetChan when the connection closes, but must take writeLock first.
// Fix: monitor() starts a goroutine that drains resetChan before it takes
//   writeLock, so WriteFrame()'s send completes.
#include <boost/fiber/all.hpp>
#include <memory>
#include <mutex>

namespace fibers = boost::fibers;
using BoolChan = fibers::unbuffered_channel<bool>;

struct Connection {
  BoolChan closeChan;
};

struct IdleAwareFramer {
  std::shared_ptr<BoolChan> resetChan = std::make_shared<BoolChan>();
  fibers::mutex writeLock;
  Connection conn;

  void monitor() {
    auto rc = resetChan;
    bool v;
    conn.closeChan.pop(v); // select { case <-i.conn.closeChan: ... }
    fibers::fiber([rc] { // the fix: drain resetChan so WriteFrame() can finish
      for (bool b : *rc)
        (void)b;
    }).detach();
    std::lock_guard lk(writeLock);
    rc->close();
    resetChan = nullptr;
  }
  void WriteFrame() {
    std::lock_guard lk(writeLock);
    if (!resetChan)
      return;
    resetChan->push(true);
  }
};

int main() {
  IdleAwareFramer i;
  fibers::fiber g1([&] { i.monitor(); });    // G1: waits for the connection to close
  fibers::fiber g2([&] { i.WriteFrame(); }); // G2: takes writeLock, sends on resetChan
  fibers::fiber helper([&] { i.conn.closeChan.push(true); });
  helper.join();
  g1.join();
  g2.join();
}
