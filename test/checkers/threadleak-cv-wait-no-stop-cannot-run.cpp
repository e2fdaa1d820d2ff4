// RUN: not %threadleak --checks='-*,threadleak-cv-wait-no-stop,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-cv-wait-no-stop,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

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

// Silent: interval_ is only ever 50, so the untimed wait never runs; the
// timed one polls.
class Refresher {
public:
  static constexpr int kInterval = 50;
  Refresher() : interval_(kInterval) {
    t_ = std::thread([this] { loop(); });
  }
  ~Refresher() { stop(); }
  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      done_ = true;
    }
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

// Reported: a setter gives interval_ any value, 0 included, and nothing
// notifies the untimed wait.
class Settable {
public:
  Settable() : interval_(50) {
    t_ = std::thread([this] { loop(); });
  }
  ~Settable() { stop(); }
  void setInterval(int ms) { interval_ = ms; }
  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      done_ = true;
    }
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
        // CHECK: :[[@LINE-1]]:13: warning: wait on 'cv_' can block forever: the stop path changes 'done_' but never notifies 'cv_' [threadleak-cv-wait-no-stop]
        // CHECK: :[[@LINE-15]]:7: note: 'done_' is changed here
        // CHECK: :[[@LINE-21]]:3: note: '~Settable' calls neither notify_one() nor notify_all() on 'cv_'
        // CHECK: :[[@LINE-24]]:10: note: thread started here
        // CHECK: :[[@LINE-25]]:31: note: the thread's body calls 'loop' here
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
  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      done_ = true;
    }
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
        // CHECK: :[[@LINE-1]]:13: warning: wait on 'cv_' can block forever: the stop path changes 'done_' but never notifies 'cv_' [threadleak-cv-wait-no-stop]
        // CHECK: :[[@LINE-18]]:7: note: 'done_' is changed here
        // CHECK: :[[@LINE-23]]:3: note: '~TwoWays' calls neither notify_one() nor notify_all() on 'cv_'
        // CHECK: :[[@LINE-13]]:10: note: thread started here
        // CHECK: :[[@LINE-14]]:31: note: the thread's body calls 'loop' here
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
