// REQUIRES: boost, libstdcxx
// RUN: not %threadleak --checks='-*,threadleak-cv-lost-wakeup' %s -- %realflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-cv-lost-wakeup' %s -- %realflags | %check-all %s

// The lost-wake-up check on the real headers: libstdc++'s std::mutex (its
// lock() and unlock() in a base class), unique_lock, lock_guard,
// scoped_lock, condition_variable (wait's predicate overload is a member
// template), condition_variable_any with a stop_token, std::jthread's
// request_stop(); Boost.Thread's mutex, scoped_lock typedef and
// condition_variable; glibc's pthread_cond_*.

#include <atomic>
#include <boost/thread.hpp>
#include <condition_variable>
#include <mutex>
#include <pthread.h>
#include <stop_token>
#include <thread>

class Pool {
public:
  ~Pool() {
    stop_ = true;
    // CHECK: :[[@LINE-1]]:5: warning: lost wake-up: 'stop_' is changed without holding 'm_', the mutex the wait on 'cv_' checks it under; a waiter between its check and its sleep misses the notify and waits forever [threadleak-cv-lost-wakeup]
    // CHECK: :[[@LINE+6]]:9: note: the waiter checks 'stop_' here, holding 'm_', and then sleeps on 'cv_'
    // CHECK: :[[@LINE+1]]:9: note: 'cv_' is notified here, and 'm_' has not been held since 'stop_' changed
    cv_.notify_all();
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

class PoolFixed {
public:
  ~PoolFixed() {
    {
      std::scoped_lock lk(m_);
      stop_ = true;
    }
    cv_.notify_all();
  }
  void stop_b() {
    flag_ = true;
    { std::lock_guard<std::mutex> g(m_); }
    cv_.notify_all();
  }
  void run() {
    std::unique_lock lk(m_);
    cv_.wait(lk, [this] { return stop_ || flag_; });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<bool> flag_{false};
};

class Poller {
public:
  Poller()
      : worker_([this](std::stop_token st) {
          std::unique_lock lk(m_);
          cv_.wait(lk, [&] { return st.stop_requested() || work_; });
        }) {}
  ~Poller() {
    worker_.request_stop();
    // CHECK: :[[@LINE-1]]:5: warning: lost wake-up: the stop state is changed without holding 'm_', the mutex the wait on 'cv_' checks it under; a waiter between its check and its sleep misses the notify and waits forever [threadleak-cv-lost-wakeup]
    // CHECK: :[[@LINE-5]]:15: note: the waiter checks the stop state here, holding 'm_', and then sleeps on 'cv_'
    // CHECK: :[[@LINE+1]]:9: note: 'cv_' is notified here, and 'm_' has not been held since the stop state changed
    cv_.notify_all();
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  bool work_ = false;
  std::jthread worker_;
};

class StopAware {
public:
  StopAware()
      : worker_([this](std::stop_token st) {
          std::unique_lock lk(m_);
          cv_.wait(lk, st, [this] { return work_; });
        }) {}
  ~StopAware() {
    worker_.request_stop();
    cv_.notify_all();
  }

private:
  std::mutex m_;
  std::condition_variable_any cv_;
  bool work_ = false;
  std::jthread worker_;
};

class BoostWorker {
public:
  void stop() {
    stop_ = true;
    // CHECK: :[[@LINE-1]]:5: warning: lost wake-up: 'stop_' is changed without holding 'm_', the mutex the wait on 'cv_' checks it under; a waiter between its check and its sleep misses the notify and waits forever [threadleak-cv-lost-wakeup]
    // CHECK: :[[@LINE+12]]:11: note: the waiter checks 'stop_' here, holding 'm_', and then sleeps on 'cv_'
    // CHECK: :[[@LINE+1]]:9: note: 'cv_' is notified here, and 'm_' has not been held since 'stop_' changed
    cv_.notify_one();
  }
  void stop_fixed() {
    boost::mutex::scoped_lock lk(m_);
    stop_fixed_ = true;
    cv_.notify_one();
  }
  void run() {
    boost::unique_lock<boost::mutex> lk(m_);
    while (!stop_ && !stop_fixed_)
      cv_.wait(lk);
  }

private:
  boost::mutex m_;
  boost::condition_variable cv_;
  bool stop_ = false, stop_fixed_ = false;
};

pthread_mutex_t mx = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
int closed, drained;

void *waiter(void *) {
  pthread_mutex_lock(&mx);
  while (!closed && !drained)
    pthread_cond_wait(&cond, &mx);
  pthread_mutex_unlock(&mx);
  return nullptr;
}

void close_queue() {
  closed = 1;
  // CHECK: :[[@LINE-1]]:3: warning: lost wake-up: 'closed' is changed without holding 'mx', the mutex the wait on 'cond' checks it under; a waiter between its check and its sleep misses the notify and waits forever [threadleak-cv-lost-wakeup]
  // CHECK: :[[@LINE-8]]:5: note: the waiter checks 'closed' here, holding 'mx', and then sleeps on 'cond'
  // CHECK: :[[@LINE+1]]:3: note: 'cond' is notified here, and 'mx' has not been held since 'closed' changed
  pthread_cond_broadcast(&cond);
}

void drain_queue() {
  pthread_mutex_lock(&mx);
  drained = 1;
  pthread_mutex_unlock(&mx);
  pthread_cond_broadcast(&cond);
}
