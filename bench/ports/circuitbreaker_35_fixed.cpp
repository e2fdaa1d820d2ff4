// Port: rubyist/circuitbreaker#35 ("Fix goroutine leak when using timeouts.")
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
//   Breaker.Call(circuit, timeout) runs the protected function in a
//   goroutine that sends its error on an unbuffered channel, and selects on
//   that channel against a timer. When the timer wins, Call() records a
//   timeout failure and returns; the goroutine's send has no receiver left
//   and blocks forever, one leaked goroutine per timed-out call.
// Style: (b) Boost.Fiber channels and fibers (unbuffered_channel, buffered_channel, pop_wait_for as the timed select)
// Bug class: chan send, receiver gave up on a timeout
// Shape: Call() starts a fiber running the circuit and waits for its result
//   with pop_wait_for(timeout). The circuit is slower than the timeout, so
//   Call() returns ErrBreakerTimeout; the fiber then pushes its result on the
//   unbuffered channel, where no one will ever pop it. The breaker's
//   destructor joins the fibers it started and waits with it.
// Fix: the result channel gets a buffer of one (Go's `make(chan error, 1)`,
//   here buffered_channel<T>(2), which holds one value), so the late send
//   completes and the fiber ends.
#include <boost/fiber/all.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace fibers = boost::fibers;
using namespace std::chrono_literals;

using Error = std::string; // "" is nil
const Error ErrBreakerTimeout = "breaker time out";

class Breaker {
public:
  ~Breaker() {
    for (auto &f : calls_)
      f.join();
  }

  // Call wraps a function the Breaker will protect. A failure is recorded
  // whenever the function returns an error or takes longer than timeout.
  Error Call(std::function<Error()> circuit, std::chrono::milliseconds timeout) {
    Error err;
    if (timeout == 0ms) {
      err = circuit();
    } else {
      auto c = std::make_shared<fibers::buffered_channel<Error>>(2); // make(chan error, 1)
      calls_.emplace_back([c, circuit] {
        c->push(circuit());
        c->close();
      });
      Error e;
      if (c->pop_wait_for(e, timeout) == fibers::channel_op_status::success)
        err = e;
      else
        err = ErrBreakerTimeout;
    }
    if (!err.empty()) {
      ++failures_;
      return err;
    }
    failures_ = 0;
    return "";
  }

private:
  int failures_ = 0;
  std::vector<fibers::fiber> calls_; // the goroutines Call() started
};

int main() {
  Breaker cb;
  cb.Call(
      [] {
        boost::this_fiber::sleep_for(50ms); // a slow backend
        return Error();
      },
      10ms);
}
