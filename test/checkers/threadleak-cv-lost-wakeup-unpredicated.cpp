// RUN: not %threadleak --checks='-*,threadleak-cv-lost-wakeup' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-cv-lost-wakeup' %s -- %stubflags | %check-all %s

// threadleak-cv-lost-wakeup, rule g: a wait that checks nothing (no
// predicate, no loop, no `if` around it), right after taking its lock, on a
// condition variable that other code notifies once after changing state.
// If that code runs first, its notify finds nobody waiting and is lost; the
// state it changed would have told the waiter, but the wait never looks
// (granian#900: the shutdown thread's `cv.wait(done)`, fixed by
// `while (!*done) cv.wait(done);`).

#include <condition_variable>
#include <mutex>
#include <thread>

// Reported: the runtime thread may finish before the shutdown thread waits.
class Server {
public:
  void serve() {
    runtime_ = std::thread([this] {
      std::lock_guard<std::mutex> g(mu_);
      finished_ = true;
      cv_.notify_one();
    });
    shutdown_ = std::thread([this] {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk);
      // CHECK: :[[@LINE-1]]:11: warning: lost wake-up: the wait on 'cv_' checks nothing; a notify that comes before it is lost, and 'finished_', which a lambda changes before notifying 'cv_', is never tested [threadleak-cv-lost-wakeup]
      // CHECK: :[[@LINE-7]]:7: note: 'finished_' is changed here
      // CHECK: :[[@LINE-7]]:11: note: and 'cv_' is notified here, perhaps before the waiter waits
    });
  }
  ~Server() {
    runtime_.join();
    shutdown_.join();
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool finished_ = false;
  std::thread runtime_, shutdown_;
};

// Silent: the fix, a wait that tests the flag.
class FixedServer {
public:
  void serve() {
    runtime_ = std::thread([this] {
      std::lock_guard<std::mutex> g(mu_);
      finished_ = true;
      cv_.notify_one();
    });
    shutdown_ = std::thread([this] {
      std::unique_lock<std::mutex> lk(mu_);
      while (!finished_)
        cv_.wait(lk);
    });
  }
  ~FixedServer() {
    runtime_.join();
    shutdown_.join();
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool finished_ = false;
  std::thread runtime_, shutdown_;
};

// Silent: the waiter starts the notifying thread while it holds the lock
// the notifier needs, so the notify cannot come before the wait.
class Handshake {
public:
  void run() {
    std::unique_lock<std::mutex> lk(mu_);
    helper_ = std::thread([this] {
      std::lock_guard<std::mutex> g(mu_);
      ready_ = true;
      cv_.notify_one();
    });
    cv_.wait(lk);
  }
  ~Handshake() { helper_.join(); }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool ready_ = false;
  std::thread helper_;
};

// Silent: the waiter makes its request under the lock before it waits; the
// answer comes after the request (whether it can be lost is the question of
// the code that answers, which takes the lock).
class Requester {
public:
  void ask() {
    std::unique_lock<std::mutex> lk(mu_);
    post();
    cv_.wait(lk);
  }
  void answer() {
    std::lock_guard<std::mutex> g(mu_);
    answered_ = true;
    cv_.notify_one();
  }

private:
  void post() { ++requests_; }
  std::mutex mu_;
  std::condition_variable cv_;
  bool answered_ = false;
  int requests_ = 0;
};

// Silent: the notifier notifies in a loop, until the waiter is seen to be
// done: a notify that comes first is followed by others.
class Pinger {
public:
  void start() {
    pinger_ = std::thread([this] {
      while (!stop_) {
        std::lock_guard<std::mutex> g(mu_);
        pings_ = pings_ + 1;
        cv_.notify_one();
      }
    });
    waiter_ = std::thread([this] {
      std::unique_lock<std::mutex> lk(mu_);
      cv_.wait(lk);
      stop_ = true;
    });
  }
  ~Pinger() {
    waiter_.join();
    pinger_.join();
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  int pings_ = 0;
  bool stop_ = false;
  std::thread pinger_, waiter_;
};
