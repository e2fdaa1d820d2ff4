// Port: hellofresh/health-go#225 ("Fix Goroutine Leak in Case Check Timeouts")
//   (fixes hellofresh/health-go#224, "Goroutine Leak when the Check Timeout
//   happens".) Health.Measure() runs every registered check in its own
//   goroutine, at most maxConcurrent at a time (limiterCh). Each of these
//   starts a further goroutine that runs the check function and sends its
//   result on resCh, an unbuffered channel, while the check's goroutine
//   selects between resCh and a timer of the check's Timeout. When the timer
//   fires first, the check is reported as "Timeout during health check" and
//   Measure() moves on; nobody receives on resCh any more, so when the slow
//   check finally returns, its goroutine blocks on the send forever. Every
//   /status request that hits a slow dependency leaks one goroutine.
// Style: (c) gochan.h (go::chan for resCh and limiterCh, go::select over
//   resCh and go::after(Timeout) as the timer, go::WaitGroup, go::spawn for
//   the goroutines, go::Context passed to the checks, go::wait_all_goroutines
//   as the goleak check of the PR's regression test), std::mutex for the
//   shared status and failures
// Bug class: send with no receiver: the only receiver stopped waiting after
//   a timeout, and the result channel has no buffer
// Shape: two checks: "postgres" (timeout 100 ms) takes 300 ms to answer,
//   "rabbitmq" answers in 10 ms. The /status handler's Measure() reports
//   postgres as timed out at 100 ms and returns; at 300 ms the postgres
//   check's goroutine blocks forever on the send, and main's goroutine-leak
//   check never returns.
// Fix: resCh is made with a buffer of one (make(chan error, 1)), so the late
//   result goes into the buffer and the goroutine exits; the twin gives the
//   channel a capacity of 1.
#include "gochan.h"

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace health {

using error = std::string; // "" is nil
using namespace std::chrono_literals;

enum class Status { OK, PartiallyAvailable, Unavailable, Timeout };
const char *str(Status s) {
  switch (s) {
  case Status::OK:
    return "OK";
  case Status::PartiallyAvailable:
    return "Partially Available";
  case Status::Unavailable:
    return "Unavailable";
  case Status::Timeout:
    return "Timeout during health check";
  }
  return "";
}

// CheckFunc is the func which executes the check.
using CheckFunc = std::function<error(go::Context)>;

// Config carries the parameters to run the check.
struct Config {
  std::string Name;
  std::chrono::milliseconds Timeout{0};
  bool SkipOnErr = false;
  CheckFunc Check;
};

struct Component {
  std::string Name, Version;
};

// Check represents the health check response.
struct Check {
  Status status;
  std::map<std::string, std::string> Failures;
  Component component;
};

Status getAvailability(Status s, bool skipOnErr) {
  if (skipOnErr && s != Status::Unavailable)
    return Status::PartiallyAvailable;
  return Status::Unavailable;
}

// Health is the health-checks container.
class Health {
public:
  Health(Component component, int maxConcurrent) : component(std::move(component)), maxConcurrent(maxConcurrent) {}

  // Register registers a check config to be performed.
  error Register(Config c) {
    if (c.Timeout == 0ms)
      c.Timeout = 2s;
    if (c.Name.empty())
      return "health check must have a name to be registered";
    std::lock_guard lk(mu);
    if (checks.count(c.Name))
      return "health check \"" + c.Name + "\" is already registered";
    checks[c.Name] = std::move(c);
    return "";
  }

  // Measure runs all the registered health checks and returns summary status.
  Check Measure(go::Context ctx) {
    std::lock_guard lk(mu);
    Status status = Status::OK;
    std::map<std::string, std::string> failures;

    go::chan<bool> limiterCh(maxConcurrent);
    go::WaitGroup wg;
    std::mutex resMu;
    for (auto &[name, c] : checks) {
      limiterCh.send(true);
      wg.add(1);

      go::spawn([&, c = c] {
        go::chan<error> resCh;

        go::spawn([c, resCh, ctx] {
          resCh.send(c.Check(ctx)); // LEAK
          resCh.close();
        });

        go::chan<go::unit> timeout = go::after(c.Timeout);
        error res;
        if (go::select(go::case_recv(timeout), go::case_recv(resCh, &res)) == 0) {
          std::lock_guard rl(resMu);
          failures[c.Name] = str(Status::Timeout);
          status = getAvailability(status, c.SkipOnErr);
        } else {
          std::lock_guard rl(resMu);
          if (!res.empty()) {
            failures[c.Name] = res;
            status = getAvailability(status, c.SkipOnErr);
          }
        }
        limiterCh.recv(); // <-limiterCh
        wg.done();
      });
    }

    wg.wait();
    limiterCh.close();
    return Check{status, failures, component};
  }

private:
  std::mutex mu;
  std::map<std::string, Config> checks;
  Component component;
  int maxConcurrent;
};

} // namespace health

int main() {
  using namespace std::chrono_literals;
  health::Health h({"order-service", "v1.4.2"}, int(std::thread::hardware_concurrency()));

  h.Register({"postgres", 100ms, false, [](go::Context) -> health::error {
                go::sleep_ms(300); // SELECT 1 against an overloaded primary
                return "";
              }});
  h.Register({"rabbitmq", 100ms, true, [](go::Context) -> health::error {
                go::sleep_ms(10);
                return "";
              }});

  // GET /status
  health::Check c = h.Measure(go::background());
  std::printf("{\"status\":\"%s\",\"component\":{\"name\":\"%s\"},\"failures\":{", health::str(c.status),
              c.component.Name.c_str());
  for (auto &[name, msg] : c.Failures)
    std::printf("\"%s\":\"%s\"", name.c_str(), msg.c_str());
  std::puts("}}");

  go::wait_all_goroutines(); // goleak.VerifyNone
  std::puts("no leaked goroutines");
  return 0;
}
