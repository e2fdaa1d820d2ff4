// GoKer port: goker/cockroach584.go in the Go runtime's testgoroutineleakprofile (cockroachdb/cockroach#584)
// Style: (d) standard library only (std::thread, std::mutex)
// Bug class: lock: a mutex leaked on a loop's early exit (double locking in the next method)
// Shape: the gossip worker runs bootstrap() then manage(); each loops taking
//   g.mu and breaks out when the gossip is closed, without unlocking. The
//   gossip starts closed, so bootstrap() leaves g.mu locked and manage(), on
//   the same thread, blocks forever on g.mu.
// Fix: both loops unlock g.mu before breaking out.
#include <mutex>
#include <thread>

class Gossip {
public:
  explicit Gossip(bool closed) : closed_(closed) {}

  void bootstrap() {
    for (;;) {
      mu_.lock();
      if (closed_) {
        // missing mu_.unlock()
        break;
      }
      mu_.unlock();
    }
  }

  void manage() {
    for (;;) {
      mu_.lock(); // LEAK: bootstrap() left mu_ locked
      if (closed_) {
        // missing mu_.unlock()
        break;
      }
      mu_.unlock();
    }
  }

private:
  std::mutex mu_; // L1
  bool closed_ = false;
};

int main() {
  Gossip g(/*closed=*/true);
  std::thread g1([&g] { // G1
    g.bootstrap();
    g.manage();
  });
  g1.join();
}
