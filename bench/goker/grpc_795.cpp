// GoKer port: gobench/goker/blocking/grpc/795 (grpc/grpc-go#795)
// Style: (c) Go-style library, include/gochan.h (go::spawn) with std::mutex
// Bug class: lock: double locking on an early-return path
// Shape: Server.GracefulStop() locks s.mu and, when the server is already
//   draining, locks it again instead of unlocking before returning: the
//   second call of a test that stops the server three times blocks forever.
// Fix: the early return unlocks s.mu.
#include "gochan.h"
#include <memory>
#include <mutex>

struct Server {
  std::mutex mu;
  bool drain = false;
  void GracefulStop() {
    mu.lock();
    if (drain) {
      mu.lock(); // LEAK
      return;
    }
    drain = true;
    mu.unlock();
  }
  void Serve() {
    std::lock_guard lk(mu);
  }
};

struct Test {
  std::shared_ptr<Server> srv;
  void startServer() {
    srv = std::make_shared<Server>();
    go::spawn([s = srv] { s->Serve(); });
  }
};

void testServerGracefulStopIdempotent() {
  Test te;
  te.startServer();
  for (int i = 0; i < 3; ++i)
    te.srv->GracefulStop();
}

int main() {
  go::spawn(testServerGracefulStopIdempotent);
  go::wait_all_goroutines();
}
