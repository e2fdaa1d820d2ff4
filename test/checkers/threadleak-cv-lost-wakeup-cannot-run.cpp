// RUN: not %threadleak --checks='-*,threadleak-cv-lost-wakeup' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-cv-lost-wakeup' %s -- %stubflags | %check-all %s

// A wait in a branch that cannot run is no wait: the branch tests a private
// member that every constructor and every write give a constant the test
// rejects (monero-gui#2158's refresh thread: `if (interval_ > 0) timed wait;
// else wait;`, with the interval only ever 50).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

void refresh();

// Silent: interval_ is only ever 50, so the untimed wait never runs, and
// kick()'s unlocked write can only delay a timed one.
class Refresher {
public:
  static constexpr int kInterval = 50;
  Refresher() : interval_(kInterval) {
    t_ = std::thread([this] { loop(); });
  }
  ~Refresher() { stop(); }
  // Unlocked: a lost wake-up for an untimed waiter, and there is none.
  void kick() {
    pending_ = true;
    cv_.notify_one();
  }
  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      done_ = true;
    }
    cv_.notify_all();
    t_.join();
  }

private:
  void loop() {
    std::unique_lock<std::mutex> lk(mu_);
    while (!done_) {
      if (interval_ > 0)
        cv_.wait_for(lk, std::chrono::milliseconds(interval_.load()),
                     [this] { return pending_ || done_; });
      else
        cv_.wait(lk, [this] { return pending_ || done_; });
      pending_ = false;
      refresh();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  bool pending_ = false;
  std::atomic<int> interval_;
  std::thread t_;
};

// Reported: a setter gives interval_ any value, 0 included: kick()'s
// unlocked write can be lost by the untimed wait.
class Settable {
public:
  Settable() : interval_(50) {
    t_ = std::thread([this] { loop(); });
  }
  ~Settable() { stop(); }
  void kick() {
    pending_ = true;
    // CHECK: :[[@LINE-1]]:5: warning: lost wake-up: 'pending_' is changed without holding 'mu_', the mutex the wait on 'cv_' checks it under; a waiter between its check and its sleep misses the notify and waits forever [threadleak-cv-lost-wakeup]
    // CHECK: :[[@LINE+22]]:13: note: the waiter checks 'pending_' here, holding 'mu_', and then sleeps on 'cv_'
    // CHECK: :[[@LINE+1]]:9: note: 'cv_' is notified here, and 'mu_' has not been held since 'pending_' changed
    cv_.notify_one();
  }
  void setInterval(int ms) { interval_ = ms; }
  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      done_ = true;
    }
    cv_.notify_all();
    t_.join();
  }

private:
  void loop() {
    std::unique_lock<std::mutex> lk(mu_);
    while (!done_) {
      if (interval_ > 0)
        cv_.wait_for(lk, std::chrono::milliseconds(interval_.load()),
                     [this] { return pending_ || done_; });
      else
        cv_.wait(lk, [this] { return pending_ || done_; });
      pending_ = false;
      refresh();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  bool pending_ = false;
  std::atomic<int> interval_;
  std::thread t_;
};

// Reported: one constructor gives 0.
class TwoWays {
public:
  TwoWays() : interval_(50) { start(); }
  explicit TwoWays(bool manual) : interval_(manual ? 0 : 50) { start(); }
  ~TwoWays() { stop(); }
  void kick() {
    pending_ = true;
    // CHECK: :[[@LINE-1]]:5: warning: lost wake-up: 'pending_' is changed without holding 'mu_', the mutex the wait on 'cv_' checks it under; a waiter between its check and its sleep misses the notify and waits forever [threadleak-cv-lost-wakeup]
    // CHECK: :[[@LINE+24]]:13: note: the waiter checks 'pending_' here, holding 'mu_', and then sleeps on 'cv_'
    // CHECK: :[[@LINE+1]]:9: note: 'cv_' is notified here, and 'mu_' has not been held since 'pending_' changed
    cv_.notify_one();
  }
  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      done_ = true;
    }
    cv_.notify_all();
    t_.join();
  }

private:
  void start() {
    t_ = std::thread([this] { loop(); });
  }
  void loop() {
    std::unique_lock<std::mutex> lk(mu_);
    while (!done_) {
      if (interval_ > 0)
        cv_.wait_for(lk, std::chrono::milliseconds(interval_),
                     [this] { return pending_ || done_; });
      else
        cv_.wait(lk, [this] { return pending_ || done_; });
      pending_ = false;
      refresh();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  bool pending_ = false;
  int interval_;
  std::thread t_;
};
