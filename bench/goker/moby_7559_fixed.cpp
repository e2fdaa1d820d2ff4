// GoKer port: gobench/goker/blocking/moby/7559 (moby/moby#7559, fix 6cbb8e0)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (d) standard library only (std::thread, std::mutex)
// Bug class: lock: a mutex leaked on an error path (`continue` skips the unlock), relocked by the same thread
// Shape: UDPProxy::Run() locks connTrackLock for each datagram and unlocks
//   it once the connection is tracked. When dialing the backend fails the
//   loop `continue`s without unlocking, and the next datagram locks the mutex
//   the thread already holds. (The Go kernel unlocks after the loop; here the
//   unlock is in the loop, as in the proxy.)
// Fix: the error path unlocks connTrackLock before `continue`.
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

struct UDPConn {};

// net.DialUDP("udp", nil, nil): no remote address, it always fails
std::error_code dialUDP(UDPConn *&out) {
  out = nullptr;
  return std::make_error_code(std::errc::destination_address_required);
}

class UDPProxy {
public:
  void Run() {
    for (int i = 0; i < 2; ++i) { // two datagrams from a client with no connection yet
      connTrackLock_.lock();
      UDPConn *conn;
      if (std::error_code ec = dialUDP(conn)) {
        // "Can't proxy a datagram to udp/..."
        connTrackLock_.unlock();
        continue;
      }
      connTrackTable_.push_back(conn);
      connTrackLock_.unlock();
    }
  }

private:
  std::mutex connTrackLock_;
  std::vector<UDPConn *> connTrackTable_;
};

int main() {
  std::vector<std::thread> proxies;
  std::vector<UDPProxy> ps(20);
  for (auto &p : ps)
    proxies.emplace_back([&p] { p.Run(); });
  for (auto &t : proxies)
    t.join();
}
