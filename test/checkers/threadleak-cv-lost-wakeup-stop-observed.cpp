// RUN: not %threadleak --checks='-*,threadleak-cv-lost-wakeup' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-cv-lost-wakeup' %s -- %stubflags | %check-all %s

// Rule a, for a stop request made elsewhere: code that learns of the stop
// (a std::stop_callback's lambda, run by request_stop(); a function that
// waits for nothing but the stop) and then notifies without taking the
// waiter's mutex. The request was made under no lock of ours, so a waiter
// that has checked the stop state and not yet gone to sleep misses the
// notify (kueue#9137: CleanUpOnContext() broadcasts the queue manager's
// sync.Cond without its mutex once the context is done).

#include <condition_variable>
#include <deque>
#include <mutex>
#include <stop_token>
#include <thread>

// <-ctx.Done()
void Done(std::stop_token Ctx) {
  std::mutex M;
  std::condition_variable_any CV;
  std::unique_lock<std::mutex> L(M);
  CV.wait(L, Ctx, [] { return false; });
}

// Reported: the broadcast once the context is done takes no lock.
class Manager {
public:
  void CleanUpOnContext(std::stop_token Ctx) {
    Done(Ctx);
    // CHECK: :[[@LINE-1]]:5: warning: lost wake-up: the stop request this call waits for is made without holding 'mu_', the mutex the wait on 'cond_' checks the stop state under, and the notify that follows does not take 'mu_'; a waiter between its check and its sleep misses it and waits forever [threadleak-cv-lost-wakeup]
    // CHECK: :[[@LINE+11]]:13: note: the waiter checks the stop state here, holding 'mu_', and then sleeps on 'cond_'
    cond_.notify_all();
    // CHECK: :[[@LINE-1]]:11: note: 'cond_' is notified here, and 'mu_' has not been held since the stop state changed
  }
  int Heads(std::stop_token Ctx) {
    std::unique_lock<std::mutex> L(mu_);
    for (;;) {
      if (!queue_.empty())
        return queue_.front();
      if (Ctx.stop_requested())
        return -1;
      cond_.wait(L);
    }
  }

private:
  std::mutex mu_;
  std::condition_variable cond_;
  std::deque<int> queue_;
};

// Silent: the fix broadcasts under the mutex.
class ManagerFixed {
public:
  void CleanUpOnContext(std::stop_token Ctx) {
    Done(Ctx);
    std::lock_guard<std::mutex> L(mu_);
    cond_.notify_all();
  }
  int Heads(std::stop_token Ctx) {
    std::unique_lock<std::mutex> L(mu_);
    for (;;) {
      if (!queue_.empty())
        return queue_.front();
      if (Ctx.stop_requested())
        return -1;
      cond_.wait(L);
    }
  }

private:
  std::mutex mu_;
  std::condition_variable cond_;
  std::deque<int> queue_;
};

// Reported: a std::stop_callback that notifies without the mutex.
class Worker {
public:
  int next(std::stop_token Tok) {
    std::stop_callback Wake(Tok, [this] { cv_.notify_all(); });
    // CHECK: :[[@LINE-1]]:24: warning: lost wake-up: the stop request this callback runs on is made without holding 'm_', the mutex the wait on 'cv_' checks the stop state under, and the notify that follows does not take 'm_'; a waiter between its check and its sleep misses it and waits forever [threadleak-cv-lost-wakeup]
    // CHECK: :[[@LINE+3]]:9: note: the waiter checks the stop state here, holding 'm_', and then sleeps on 'cv_'
    // CHECK: :[[@LINE-3]]:47: note: 'cv_' is notified here, and 'm_' has not been held since the stop state changed
    std::unique_lock<std::mutex> L(m_);
    cv_.wait(L, [&] { return Tok.stop_requested() || !q_.empty(); });
    return q_.empty() ? -1 : q_.front();
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> q_;
};

// Silent: the callback takes the mutex before it notifies.
class WorkerFixed {
public:
  int next(std::stop_token Tok) {
    std::stop_callback Wake(Tok, [this] {
      { std::lock_guard<std::mutex> L(m_); }
      cv_.notify_all();
    });
    std::unique_lock<std::mutex> L(m_);
    cv_.wait(L, [&] { return Tok.stop_requested() || !q_.empty(); });
    return q_.empty() ? -1 : q_.front();
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> q_;
};
