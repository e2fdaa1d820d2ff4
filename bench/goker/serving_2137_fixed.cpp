// GoKer port: gobench/goker/blocking/serving/2137 (knative/serving#2137)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (e) oneTBB (tbb::concurrent_bounded_queue as the breaker's token queues and the result slot) with std::thread, std::binary_semaphore, std::latch
// Bug class: chan send (queue full) + lock: the breaker's active slot is held by a request waiting for a gate the test opens only after another request's result
// Shape: the breaker admits a request by pushing a token into the pending
//   queue (non-blocking: full means rejected) and then into the active queue
//   (capacity 1, blocking), runs it, and pops both. The test starts two
//   requests, each gated by a locked semaphore, then for each in turn opens
//   its gate and waits for its result. The second request takes the active
//   slot first and waits at its gate; the first waits for the active slot;
//   the test opened the first gate and waits for the first result.
// Fix: (reconstructed) unlockAll() opens every request's gate before it
//   waits for any result.
#include <tbb/concurrent_queue.h>

#include <chrono>
#include <functional>
#include <latch>
#include <memory>
#include <semaphore>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

struct Token {};

class Breaker {
public:
  Breaker(int queueDepth, int maxConcurrency) {
    pendingRequests_.set_capacity(queueDepth + maxConcurrency);
    activeRequests_.set_capacity(maxConcurrency);
  }

  bool Maybe(const std::function<void()> &thunk) {
    Token t;
    if (!pendingRequests_.try_push(t))
      return false; // the pending request queue is full: report failure
    // wait for capacity in the active queue
    activeRequests_.push(t);
    thunk();
    // release capacity in the active and pending request queues
    activeRequests_.pop(t);
    std::this_thread::yield();
    pendingRequests_.pop(t);
    return true;
  }

private:
  tbb::concurrent_bounded_queue<Token> pendingRequests_;
  tbb::concurrent_bounded_queue<Token> activeRequests_;
};

struct Request {
  std::shared_ptr<std::binary_semaphore> gate = std::make_shared<std::binary_semaphore>(1);
  std::shared_ptr<tbb::concurrent_bounded_queue<bool>> accepted = std::make_shared<tbb::concurrent_bounded_queue<bool>>();
};

class BreakerTest {
public:
  explicit BreakerTest(Breaker &b) : b_(b) {}
  ~BreakerTest() {
    for (auto &t : threads_)
      t.join();
  }

  Request concurrentRequest(int i) {
    Request r;
    r.accepted->set_capacity(1);
    r.gate->acquire();
    std::latch start(1);
    threads_.emplace_back([this, r, &start, i] { // G2, G3
      start.count_down();
      std::this_thread::sleep_for(i == 0 ? 20ms : 5ms); // the later request reaches the breaker first
      bool ok = b_.Maybe([&r] {
        r.gate->acquire();
        std::this_thread::yield();
        r.gate->release();
      });
      r.accepted->push(ok);
    });
    start.wait(); // ensure that the thread has had a chance to start
    return r;
  }

  // perform n requests against the breaker
  std::vector<Request> concurrentRequests(int n) {
    std::vector<Request> requests;
    for (int i = 0; i < n; ++i)
      requests.push_back(concurrentRequest(i));
    return requests;
  }

private:
  Breaker &b_;
  std::vector<std::thread> threads_;
};

void waitAccepted(Request &req) {
  std::this_thread::yield();
  bool ok;
  req.accepted->pop(ok); // verify that the function has completed
  std::this_thread::yield();
  req.accepted->push(ok); // requeue for the next usage
}

void unlockAll(std::vector<Request> &requests) {
  for (auto &r : requests)
    r.gate->release();
  for (auto &r : requests)
    waitAccepted(r);
}

int main() {
  std::vector<std::thread> tests;
  for (int i = 0; i < 10; ++i) {
    tests.emplace_back([] {
      Breaker b(1, 1);
      BreakerTest test(b);
      auto locks = test.concurrentRequests(2); // G1
      unlockAll(locks);
    });
  }
  for (auto &t : tests)
    t.join();
}
