// GoKer port: gobench/goker/blocking/moby/28462 (moby/moby#28462, fix 89b1234; issue moby/moby#28405)
// Style: (d) standard library only (std::thread, std::mutex, a hand-written unbuffered StopChannel on std::condition_variable)
// Bug class: lock+chan: blocking send while holding the mutex the receiver needs
// Shape: the health monitor thread polls its stop channel (a non-blocking
//   receive) and otherwise handles a probe result, which locks the container.
//   StateChanged() locks the container and stops the monitor by sending on
//   the unbuffered stop channel: the send waits for the monitor's next poll,
//   and the monitor waits for the container's lock.
// Fix: CloseMonitorChannel() closes the stop channel instead of sending on it
//   (a close does not wait for the receiver).
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

using namespace std::chrono_literals;

// an unbuffered channel of "stop" tokens: send() hands one over and returns
// only once a receiver took it; close() wakes everybody for good
class StopChannel {
public:
  void send() {
    std::unique_lock lk(mu_);
    ++offered_;
    const unsigned long ticket = offered_;
    cv_.notify_all();
    cv_.wait(lk, [&] { return taken_ >= ticket || closed_; });
  }
  // select { case <-stop: ...; default: ... }
  bool try_receive() {
    std::lock_guard lk(mu_);
    if (closed_)
      return true;
    if (taken_ < offered_) {
      ++taken_;
      cv_.notify_all();
      return true;
    }
    return false;
  }
  void close() {
    {
      std::lock_guard lk(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  unsigned long offered_ = 0, taken_ = 0;
  bool closed_ = false;
};

struct Health {
  std::shared_ptr<StopChannel> stop = std::make_shared<StopChannel>();

  std::shared_ptr<StopChannel> OpenMonitorChannel() { return stop; }
  void CloseMonitorChannel() {
    if (stop)
      stop->send(); // LEAK: the monitor is waiting for the container lock this thread holds
  }
};

struct State {
  Health health;
};

struct Container {
  std::mutex mu;
  State state;
};

void handleProbeResult(Container &c) {
  std::this_thread::sleep_for(20ms); // runtime.Gosched(): the probe runs while StateChanged() takes the lock
  std::lock_guard lk(c.mu); // LEAK: StateChanged() holds the lock while it waits for this thread
}

void monitor(Container &c, std::shared_ptr<StopChannel> stop) {
  for (;;) {
    if (stop->try_receive())
      return;
    handleProbeResult(c);
  }
}

class Daemon {
public:
  explicit Daemon(Container &c) : c_(c) {}
  void StateChanged() {
    std::lock_guard lk(c_.mu);
    updateHealthMonitor(c_);
  }

private:
  void updateHealthMonitor(Container &c) { c.state.health.CloseMonitorChannel(); }
  Container &c_;
};

int main() {
  std::thread g([] {
    Container c;
    Daemon d(c);
    std::thread g1([&] { monitor(c, c.state.health.OpenMonitorChannel()); });
    std::this_thread::sleep_for(5ms); // the container changes state while the monitor probes
    std::thread g2([&] { d.StateChanged(); });
    g1.join();
    g2.join();
  });
  g.join();
}
