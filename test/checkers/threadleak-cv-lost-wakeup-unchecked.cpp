// RUN: not %threadleak --checks='-*,threadleak-cv-lost-wakeup' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-cv-lost-wakeup' %s -- %stubflags | %check-all %s

// Rule f: a notifier changes state that no wait on the condition variable
// checks, and that a waiter reads once its wait has returned (the error it
// returns): the notify is meant for the waiter, but the waiter's predicate
// cannot have changed, so it sleeps on (moby#30408: a plugin's activation
// fails, and waitActive() waits for success only).

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

struct Manifest {
  std::string name;
};

// Reported: the failure is set and notified, the wait checks success only.
class Plugin {
public:
  int waitActive() {
    std::unique_lock<std::mutex> L(mu_);
    cv_.wait(L, [this] { return activated(); });
    // CHECK: :[[@LINE-1]]:9: warning: lost wake-up: the wait on 'cv_' does not check 'err_', which 'setErr' changes before notifying 'cv_'; woken by that notify, the waiter finds nothing it checks changed and sleeps on [threadleak-cv-lost-wakeup]
    // CHECK: :[[@LINE+15]]:7: note: 'err_' is changed here
    // CHECK: :[[@LINE+16]]:9: note: and 'cv_' is notified here
    return err_;
    // CHECK: :[[@LINE-1]]:12: note: the waiter reads 'err_' here, only once the wait has returned
  }
  void activate(Manifest M) {
    {
      std::lock_guard<std::mutex> L(mu_);
      manifest_ = std::move(M);
    }
    cv_.notify_all();
  }
  void setErr(int E) {
    {
      std::lock_guard<std::mutex> L(mu_);
      err_ = E;
    }
    cv_.notify_all();
  }

private:
  bool activated() const { return manifest_.has_value(); }
  std::mutex mu_;
  std::condition_variable cv_;
  int err_ = 0;
  std::optional<Manifest> manifest_;
};

// Silent: the fix, the predicate checks the failure too.
class PluginFixed {
public:
  int waitActive() {
    std::unique_lock<std::mutex> L(mu_);
    cv_.wait(L, [this] { return activated() || err_ != 0; });
    return err_;
  }
  void setErr(int E) {
    {
      std::lock_guard<std::mutex> L(mu_);
      err_ = E;
    }
    cv_.notify_all();
  }

private:
  bool activated() const { return manifest_.has_value(); }
  std::mutex mu_;
  std::condition_variable cv_;
  int err_ = 0;
  std::optional<Manifest> manifest_;
};

// Silent: another wait on the same condition variable checks the failure.
class SharedCV {
public:
  int waitActive() {
    std::unique_lock<std::mutex> L(mu_);
    cv_.wait(L, [this] { return ready_; });
    return err_;
  }
  void waitFailed() {
    std::unique_lock<std::mutex> L(mu_);
    cv_.wait(L, [this] { return err_ != 0; });
  }
  void setErr(int E) {
    {
      std::lock_guard<std::mutex> L(mu_);
      err_ = E;
    }
    cv_.notify_all();
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  int err_ = 0;
  bool ready_ = false;
};

// Silent: the notifier changes what the wait checks as well.
class AlsoReady {
public:
  int waitActive() {
    std::unique_lock<std::mutex> L(mu_);
    cv_.wait(L, [this] { return ready_; });
    return err_;
  }
  void fail(int E) {
    {
      std::lock_guard<std::mutex> L(mu_);
      err_ = E;
      ready_ = true;
    }
    cv_.notify_all();
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  int err_ = 0;
  bool ready_ = false;
};

// Silent: the notifier runs a callback that may change anything.
class WithCallback {
public:
  int waitActive() {
    std::unique_lock<std::mutex> L(mu_);
    cv_.wait(L, [this] { return ready_; });
    return err_;
  }
  void fail(int E, const std::function<void()> &OnFail) {
    {
      std::lock_guard<std::mutex> L(mu_);
      err_ = E;
      OnFail();
    }
    cv_.notify_all();
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  int err_ = 0;
  bool ready_ = false;
};
