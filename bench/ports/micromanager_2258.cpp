// Port: micro-manager/micro-manager#2258 ("SnapOnMove: Avoid deadlock. Always terminate monitoringthread.")
//   (fixes micro-manager/micro-manager#2256, "Deadlock in the \"Snap On
//   Move\" plugin".) The Snap-on-Move plugin's MainController runs a
//   monitor thread (monitorLoop) that snaps an image, then waitForChange():
//   it sleeps for the polling interval, waits for stage-moved events and
//   polls devices, reading the interval through the synchronized
//   getPollingIntervalMs(). setEnabled(false) is synchronized too and calls
//   handleMonitorThread(false), which interrupts the monitor thread and
//   joins it - still holding the controller's monitor. Interrupts wake the
//   thread out of sleep() and queue polls, but not out of a monitor
//   acquisition: if the monitor thread reaches getPollingIntervalMs() while
//   setEnabled(false) is in join(), it waits for the monitor forever and
//   join() never returns (the UI thread that unticked the plugin hangs).
// Style: (d) standard library only: std::recursive_mutex for the
//   controller's (reentrant) Java monitor, std::mutex for pausedLock_, a
//   java.lang.Thread stand-in on std::thread with interrupt()/sleep()/
//   interrupted(), a LinkedBlockingQueue whose poll() honours interrupts
// Bug class: lock held while joining a thread that needs the same lock
// Shape: monitoring starts at t=0 with an event-driven XY-stage criterion
//   and a 50 ms interval; after the snap and the interval the monitor thread
//   finds no event and no polled change and is descheduled (forcing,
//   200 ms) before it reads the interval again. At 150 ms the user disables
//   Snap-on-Move: setEnabled(false) interrupts and joins under the monitor;
//   the monitor thread then blocks in getPollingIntervalMs(). main hangs.
// Fix: pollingIntervalMs_ becomes an AtomicLong and getPollingIntervalMs()/
//   setPollingIntervalMs() are no longer synchronized (as proposed in
//   #2256), so the monitor thread never needs the monitor that
//   setEnabled(false) holds while joining it.
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

namespace mm {

struct InterruptedException {};

long currentTimeMillis() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// java.lang.Thread, reduced to what the plugin uses.
class Thread {
 public:
  Thread(std::string name, std::function<void()> body) : name_(std::move(name)), body_(std::move(body)) {}
  void start() {
    thread_ = std::thread{[this] {
      current_ = this;
      body_();
    }};
  }
  void interrupt() {
    std::lock_guard lock{mutex_};
    interrupted_ = true;
    cv_.notify_all();
  }
  void join() { thread_.join(); }

  static bool interrupted() {
    if (!current_) return false;
    std::lock_guard lock{current_->mutex_};
    return std::exchange(current_->interrupted_, false);
  }
  static void sleep(long ms) {
    std::unique_lock lock{current_->mutex_};
    if (current_->cv_.wait_for(lock, std::chrono::milliseconds(ms), [] { return current_->interrupted_; })) {
      current_->interrupted_ = false;
      throw InterruptedException{};
    }
  }

 private:
  std::string name_;
  std::function<void()> body_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool interrupted_ = false;
  static thread_local Thread* current_;
};
thread_local Thread* Thread::current_ = nullptr;

// java.util.concurrent.LinkedBlockingQueue: poll(timeout) throws if interrupted.
template <class T>
class LinkedBlockingQueue {
 public:
  void put(T v) {
    std::lock_guard lock{mutex_};
    items_.push_back(std::move(v));
    notEmpty_.notify_one();
  }
  std::optional<T> poll(long timeoutMs) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
    std::unique_lock lock{mutex_};
    for (;;) {
      if (Thread::interrupted()) throw InterruptedException{};
      if (!items_.empty()) {
        T v = std::move(items_.front());
        items_.pop_front();
        return v;
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      notEmpty_.wait_for(lock, 5ms);  // parkNanos granularity
    }
  }
  void clear() {
    std::lock_guard lock{mutex_};
    items_.clear();
  }

 private:
  std::mutex mutex_;
  std::condition_variable notEmpty_;
  std::deque<T> items_;
};

struct MonitoredValue {
  double x, y;
};

// Movement of the XY stage by more than a threshold; notified by the Core.
struct ChangeCriterion {
  std::string monitoredItem;
  double thresholdUm;
  bool requiresPolling() const { return false; }
  bool testForChange(const MonitoredValue& a, const MonitoredValue& b) const {
    return std::hypot(a.x - b.x, a.y - b.y) > thresholdUm;
  }
};

class MainController {
 public:
  explicit MainController(std::vector<ChangeCriterion> criteria) : changeCriteria_(std::move(criteria)) {}

  void setPollingIntervalMs(long intervalMs) {
    std::lock_guard sync{monitor_};
    pollingIntervalMs_ = intervalMs;
  }

  long getPollingIntervalMs() {
    std::lock_guard sync{monitor_}; // LEAK
    return pollingIntervalMs_;
  }

  void setEnabled(bool f) {
    std::lock_guard sync{monitor_};
    monitorEnabled_ = f;
    std::lock_guard paused{pausedLock_};
    if (!pausedForAcquisition_) handleMonitorThread(f);
  }

  // @Subscribe XYStagePositionChangedEvent
  void onXYMoved(const std::string& device, double x, double y) {
    {
      std::lock_guard lock{latestValuesLock_};
      latestValues_[device] = {x, y};
    }
    eventQueue_.put({device, {x, y}});
  }

 private:
  void handleMonitorThread(bool f) {
    std::lock_guard sync{monitor_};
    if (f == (monitorThread_ != nullptr)) return;
    if (f) {
      monitorThread_ = std::make_unique<Thread>("SnapOnMove Monitor Thread", [this] { monitorLoop(); });
      monitorThread_->start();
    } else {
      monitorThread_->interrupt();
      monitorThread_->join();
      eventQueue_.clear();
      monitorThread_.reset();
    }
  }

  void doSnap() {
    std::this_thread::sleep_for(20ms);  // studio_.live().snap(true)
    std::printf("snap (monitoring %zu item(s))\n", changeCriteria_.size());
  }

  void monitorLoop() {
    try {
      for (;;) {
        {
          std::lock_guard lock{latestValuesLock_};
          lastSnapValues_ = latestValues_;
        }
        doSnap();
        waitForChange();
      }
    } catch (const InterruptedException&) {
      std::puts("Snap-on-Move: monitoring stopped");
    }
  }

  void waitForChange() {
    if (Thread::interrupted()) throw InterruptedException{};
    Thread::sleep(getPollingIntervalMs());
    long pollingDeadlineMs = 0;  // The first poll should happen immediately
    for (;;) {
      if (waitForEvents(pollingDeadlineMs)) {
        pollDevices();
        return;
      }
      if (pollDevices()) return;
      pollingDeadlineMs = currentTimeMillis() + getPollingIntervalMs();
    }
  }

  bool waitForEvents(long deadlineMs) {
    long remainingMs = std::max(0L, deadlineMs - currentTimeMillis());
    do {
      auto event = eventQueue_.poll(remainingMs);
      if (!event) return false;
      for (const auto& cc : changeCriteria_)
        if (cc.monitoredItem == event->first && cc.testForChange(lastSnapValues_[event->first], event->second)) return true;
      remainingMs = deadlineMs - currentTimeMillis();
    } while (remainingMs > 0);
    return false;
  }

  bool pollDevices() {
    bool changeDetected = false;
    for (const auto& cc : changeCriteria_) {
      if (!cc.requiresPolling()) continue;
      // item.poll(core) ...
      if (Thread::interrupted()) throw InterruptedException{};
    }
    std::this_thread::sleep_for(200ms);  // forcing: the monitor thread is descheduled here
    return changeDetected;
  }

  std::recursive_mutex monitor_;  // synchronized (this)
  long pollingIntervalMs_ = 50;
  std::vector<ChangeCriterion> changeCriteria_;
  std::mutex latestValuesLock_;
  std::map<std::string, MonitoredValue> latestValues_;
  std::map<std::string, MonitoredValue> lastSnapValues_;
  LinkedBlockingQueue<std::pair<std::string, MonitoredValue>> eventQueue_;
  std::unique_ptr<Thread> monitorThread_;
  std::mutex pausedLock_;
  bool pausedForAcquisition_ = false;
  bool monitorEnabled_ = false;
};

}  // namespace mm

int main() {
  mm::MainController controller{{mm::ChangeCriterion{"XYStage", 5.0}}};
  controller.setEnabled(true);  // the user ticks "Enable" in the plugin frame

  std::this_thread::sleep_for(150ms);
  std::puts("EDT: user disables Snap-on-Move");
  controller.setEnabled(false);
  std::puts("Snap-on-Move disabled");
  return 0;
}
