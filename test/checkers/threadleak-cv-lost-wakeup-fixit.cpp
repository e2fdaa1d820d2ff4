// The fix-it puts the write under a std::lock_guard on the waiter's mutex,
// where that is a local rewrite: a whole expression statement, a mutex the
// code can name. clang-tidy --fix applies it; the check is then silent and
// the file still compiles.
// RUN: rm -rf %t && mkdir -p %t && cp %s %t/fix.cpp
// RUN: %tidy --checks='-*,threadleak-cv-lost-wakeup' --fix %t/fix.cpp -- %stubflags | FileCheck --check-prefix=WARN %s
// RUN: FileCheck --input-file=%t/fix.cpp --check-prefix=FIXED %s
// RUN: %tidy --checks='-*,threadleak-cv-lost-wakeup' %t/fix.cpp -- %stubflags | FileCheck --check-prefix=AFTER %s
// RUN: not %threadleak --checks='-*,threadleak-cv-lost-wakeup' %t/fix.cpp -- %stubflags | FileCheck --check-prefix=AFTER %s
// RUN: %clangxx -fsyntax-only %stubflags %t/fix.cpp

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

class Pool {
public:
  ~Pool() {
    stop_ = true;
    // WARN: :[[@LINE-1]]:5: warning: lost wake-up: 'stop_' is changed without holding 'm_'
    // FIXED: {{^}}    { std::lock_guard<std::mutex> lock(m_); stop_ = true; }
    cv_.notify_all();
  }
  void stop_now() {
    stop_.store(true);
    // WARN: :[[@LINE-1]]:5: warning: lost wake-up: 'stop_' is changed without holding 'm_'
    // FIXED: {{^}}    { std::lock_guard<std::mutex> lock(m_); stop_.store(true); }
    cv_.notify_one();
  }
  void run() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return stop_.load(); });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
};

void signal_local() {
  bool ready = false;
  std::mutex m;
  std::condition_variable cv;
  std::thread t([&] {
    std::unique_lock<std::mutex> lk(m);
    cv.wait(lk, [&] { return ready; });
  });
  ready = true;
  // WARN: :[[@LINE-1]]:3: warning: lost wake-up: 'ready' is changed without holding 'm'
  // FIXED: {{^}}  { std::lock_guard<std::mutex> lock(m); ready = true; }
  cv.notify_one();
  t.join();
}

// No fix-it where the write is not a statement of its own.
class Flagged {
public:
  bool stop() {
    bool was = (stopped_ = true);
    // WARN: :[[@LINE-1]]:17: warning: lost wake-up: 'stopped_' is changed without holding 'm_'
    // FIXED: {{^}}    bool was = (stopped_ = true);
    cv_.notify_all();
    return was;
  }
  void run() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return stopped_; });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  bool stopped_ = false;
};
// No fix-it in a lambda, whose mutex is a member of the class whose method
// writes the lambda (Paddle#30718; this crashed the check once).
void post(std::function<void()> task);
class Executor {
public:
  void run(unsigned ops) {
    for (unsigned i = 0; i < ops; ++i)
      post([this] {
        done_.store(done_ + 1);
        // WARN: :[[@LINE-1]]:9: warning: lost wake-up: 'done_' is changed without holding 'mutex_'
        // FIXED: {{^}}        done_.store(done_ + 1);
        cv_.notify_all();
      });
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return done_ == ops; });
  }

private:
  std::atomic<unsigned> done_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
};
// Only the writes without a fix-it are left.
// AFTER-NOT: warning:
// AFTER: warning: lost wake-up: 'stopped_' is changed
// AFTER: warning: lost wake-up: 'done_' is changed
// AFTER-NOT: warning:
