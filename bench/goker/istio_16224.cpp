// GoKer port: gobench/goker/blocking/istio/16224 (istio/istio#16224)
// Style: (d) standard library only (std::thread, std::mutex, std::stop_source, a hand-written unbuffered Chan<T> on std::condition_variable_any)
// Bug class: lock+chan: blocking send while holding the mutex the receiver takes before receiving
// Shape: the test registers an event handler that locks the test's mutex
//   and, holding it, reports on an unbuffered `done` channel. The test
//   creates a config (the monitor thread receives the event and runs the
//   handler), then locks the same mutex before receiving from `done`: the
//   handler waits for the receive holding the mutex, the test waits for the
//   mutex. (The monitor's stop case has a second leak: it waits for one more
//   event that nobody sends.)
// Fix: (reconstructed) the handler releases the mutex before sending on
//   `done`; and the monitor's stop case returns without waiting for another
//   event.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

// An unbuffered channel: send() returns once a receiver has taken the value.
template <typename T> class Chan {
public:
  void send(T v) {
    std::unique_lock lk(mu_);
    items_.push_back(std::move(v));
    const unsigned long ticket = ++sent_;
    cv_.notify_all();
    cv_.wait(lk, [&] { return received_ >= ticket || closed_; });
  }
  std::optional<T> receive() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return !items_.empty() || closed_; });
    return take(lk);
  }
  // receive, or give up when `st` is stopped (select { case <-stop: case v := <-ch: })
  std::optional<T> receive(std::stop_token st) {
    std::unique_lock lk(mu_);
    if (!cv_.wait(lk, st, [&] { return !items_.empty() || closed_; }))
      return std::nullopt;
    return take(lk);
  }
  void close() {
    std::lock_guard lk(mu_);
    closed_ = true;
    cv_.notify_all();
  }

private:
  std::optional<T> take(std::unique_lock<std::mutex> &) {
    if (items_.empty())
      return std::nullopt;
    T v = std::move(items_.front());
    items_.pop_front();
    ++received_;
    cv_.notify_all();
    return v;
  }
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<T> items_;
  unsigned long sent_ = 0, received_ = 0;
  bool closed_ = false;
};

using Event = int;
using Handler = std::function<void(Event)>;

class ConfigStoreMonitor {
public:
  void Run(std::stop_token stop) {
    for (;;) {
      std::optional<Event> ce = eventCh_.receive(stop);
      if (stop.stop_requested() && !ce) {
        if (eventCh_.receive()) // waits for one more event
          eventCh_.close();
        return;
      }
      if (ce)
        processConfigEvent(*ce);
    }
  }
  void AppendEventHandler(Handler h) { handlers_.push_back(std::move(h)); }
  void ScheduleProcessEvent(Event e) { eventCh_.send(e); }

private:
  void processConfigEvent(Event ce) {
    for (auto &f : handlers_)
      f(ce);
  }
  std::vector<Handler> handlers_;
  Chan<Event> eventCh_;
};

class Controller {
public:
  explicit Controller(std::unique_ptr<ConfigStoreMonitor> m) : monitor_(std::move(m)) {}
  void RegisterEventHandler(Handler f) { monitor_->AppendEventHandler(std::move(f)); }
  void Run(std::stop_token stop) { monitor_->Run(stop); }
  void Create() { monitor_->ScheduleProcessEvent(Event{0}); }

private:
  std::unique_ptr<ConfigStoreMonitor> monitor_;
};

void testController() {
  Controller controller(std::make_unique<ConfigStoreMonitor>());
  Chan<bool> done;
  std::mutex lock;
  controller.RegisterEventHandler([&](Event) {
    std::lock_guard lk(lock);
    done.send(true); // LEAK: the test waits for `lock` before it receives
  });

  std::stop_source stop;
  std::thread run([&] { controller.Run(stop.get_token()); });

  controller.Create();
  std::this_thread::sleep_for(10ms); // the handler takes the lock first

  lock.lock(); // LEAK: the handler holds the lock until someone receives from `done`
  lock.unlock();
  done.receive();

  stop.request_stop();
  run.join();
}

int main() {
  std::vector<std::thread> tests;
  for (int i = 0; i < 10; ++i)
    tests.emplace_back(testController);
  for (auto &t : tests)
    t.join();
}
