// REQUIRES: libstdcxx
// RUN: not %threadleak --checks='-*,threadleak-blocked-forever,threadleak-cv-wait-no-stop,threadleak-cv-lost-wakeup' %s -- %realflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever,threadleak-cv-wait-no-stop,threadleak-cv-lost-wakeup' %s -- %realflags | %check-all %s

// Stop sources as objects on libstdc++'s <stop_token>, <condition_variable>
// and <semaphore>: a wait only a stop ends, a stop_callback on a parent
// nothing stops, a loop only a stop ends; a semaphore the stop path does not
// release; an if-guarded wait whose state is published without the mutex.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <semaphore>
#include <stop_token>
#include <thread>

class Rows {
public:
  ~Rows() {
    if (watcher_.joinable())
      watcher_.join();
  }
  void init(std::stop_token parent) {
    link_.emplace(parent, [this] { cancel_.request_stop(); });
    watcher_ = std::thread([this, ctx = cancel_.get_token()] { awaitDone(ctx); });
  }

private:
  void awaitDone(std::stop_token ctx) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock<std::mutex> lk(m);
    cv.wait(lk, ctx, [] { return false; });
  }
  std::stop_source cancel_;
  std::optional<std::stop_callback<std::function<void()>>> link_;
  std::thread watcher_;
};
// CHECK: :[[@LINE-6]]:5: warning: a wait on 'cv' waits forever: only a stop of 'Rows::cancel_' ends it, and nothing that runs requests one [threadleak-blocked-forever]
// CHECK: :[[@LINE-15]]:41: note: its stop token is made here, of 'Rows::cancel_'
// CHECK: :[[@LINE-17]]:36: note: a stop of 'cancel_' is requested here only by a std::stop_callback on the token 'parent', which nothing stops:
// CHECK: :[[@LINE+71]]:20: note: nothing requests a stop of 'background'

class Heartbeat {
public:
  void start() {
    t_ = std::thread([this] {
      while (!stop_.stop_requested())
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    });
  }
  ~Heartbeat() { t_.join(); }

private:
  std::stop_source stop_;
  std::thread t_;
};
// CHECK: :[[@LINE-10]]:7: warning: this loop never ends: only a stop of 'Heartbeat::stop_' ends it, and nothing that runs requests one [threadleak-blocked-forever]
// CHECK: :[[@LINE-4]]:20: note: nothing requests a stop of 'Heartbeat::stop_'

class Persistence {
public:
  void start() {
    thread_ = std::thread([this] {
      do {
        sem_.acquire();
      } while (!shutdown_);
    });
  }
  void post() { sem_.release(); }
  void shutdown() {
    shutdown_ = true;
    thread_.join();
  }

private:
  std::thread thread_;
  std::atomic<bool> shutdown_{false};
  std::counting_semaphore<> sem_{0};
};
// CHECK: :[[@LINE-15]]:14: warning: acquire of 'sem_' can block forever: the stop path changes 'shutdown_' but never releases 'sem_' [threadleak-cv-wait-no-stop]
// CHECK: :[[@LINE-17]]:7: note: the thread leaves this loop on 'shutdown_', which it tests only after the acquire returns
// CHECK: :[[@LINE-11]]:5: note: 'shutdown_' is changed here
// CHECK: :[[@LINE-13]]:8: note: 'shutdown' never calls release() on 'sem_'
// CHECK: :[[@LINE-21]]:15: note: thread started here

class RunLoop {
public:
  void start() {
    std::unique_lock lk(mu_);
    if (!loop_) {
      thread_ = std::thread([this] { run(); });
      init_.wait(lk);
    }
  }
  ~RunLoop() { thread_.join(); }

private:
  void run() {
    loop_ = true;
    init_.notify_one();
  }
  std::mutex mu_;
  std::condition_variable init_;
  std::atomic<bool> loop_{false};
  std::thread thread_;
};
// CHECK: :[[@LINE-8]]:5: warning: lost wake-up: 'loop_' is changed without holding 'mu_', the mutex the wait on 'init_' checks it under; a waiter between its check and its sleep misses the notify and waits forever [threadleak-cv-lost-wakeup]
// CHECK: :[[@LINE-16]]:13: note: the waiter checks 'loop_' here, holding 'mu_', and then sleeps on 'init_'
// CHECK: :[[@LINE-9]]:11: note: 'init_' is notified here, and 'mu_' has not been held since 'loop_' changed

int main() {
  std::stop_source background;
  Rows rs;
  rs.init(background.get_token());
  Heartbeat hb;
  hb.start();
}
