// RUN: not %threadleak --checks='-*,threadleak-cv-lost-wakeup' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-cv-lost-wakeup' %s -- %stubflags | %check-all %s
// RUN: rm -rf %t && mkdir -p %t && cp %s %t/fix.cpp
// RUN: %tidy --checks='-*,threadleak-cv-lost-wakeup' --fix %t/fix.cpp -- %stubflags > /dev/null
// RUN: FileCheck --input-file=%t/fix.cpp --check-prefix=FIXED %s
// RUN: %tidy --checks='-*,threadleak-cv-lost-wakeup' %t/fix.cpp -- %stubflags | count 0
// RUN: %clangxx -fsyntax-only %stubflags %t/fix.cpp

// A monitor a project writes itself: a class with its own mutex and
// condition variable, locked through its own lock() (a guard over the
// monitor), whose wait() releases that mutex and whose notify() and
// notifyAll() wake one waiter or all. Its waits and notifies are the
// monitor's, with the monitor as the lock; a wait() that forwards to
// `waitForTimeRelative(0)` waits for good (the constant decides the
// callee's branch), and one that forwards to a member object (a pimpl) is
// the member's.
//
// Rule e on a monitor: notify() wakes one of the threads waiting for a
// state every waiter leaves on. The waiting code runs on several threads:
// started in a loop, or handed to two spawns.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <pthread.h>
#include <thread>
#include <vector>

const struct timespec *deadlineAfter(long Ms);

class Mutex {
public:
  void lock() const { pthread_mutex_lock(&m_); }
  void unlock() const { pthread_mutex_unlock(&m_); }
  pthread_mutex_t *impl() const { return &m_; }

private:
  mutable pthread_mutex_t m_;
};

class Monitor {
public:
  void lock() const { mutex_.lock(); }
  void unlock() const { mutex_.unlock(); }
  int waitForTimeRelative(long TimeoutMs) const {
    if (TimeoutMs == 0)
      return pthread_cond_wait(&cond_, mutex_.impl());
    return pthread_cond_timedwait(&cond_, mutex_.impl(),
                                  deadlineAfter(TimeoutMs));
  }
  void wait(long TimeoutMs = 0) const { waitForTimeRelative(TimeoutMs); }
  void notify() const { pthread_cond_signal(&cond_); }
  void notifyAll() const { pthread_cond_broadcast(&cond_); }

private:
  mutable pthread_cond_t cond_;
  Mutex mutex_;
};

class Synchronized {
public:
  explicit Synchronized(const Monitor &M) : m_(M) { m_.lock(); }
  ~Synchronized() { m_.unlock(); }

private:
  const Monitor &m_;
};

// Reported: two threads stop the timer; the dispatcher's last notify()
// wakes one of them.
class TimerManager {
public:
  enum State { STARTED, STOPPING, STOPPED };
  void stop() {
    Synchronized S(monitor_);
    if (state_ == STARTED) {
      state_ = STOPPING;
      monitor_.notifyAll();
    }
    while (state_ != STOPPED)
      monitor_.wait();
  }
  void dispatch() {
    {
      Synchronized S(monitor_);
      while (state_ == STARTED)
        monitor_.wait();
    }
    Synchronized S(monitor_);
    state_ = STOPPED;
    monitor_.notify();
    // CHECK: :[[@LINE-1]]:14: warning: lost wake-up: notify() wakes one waiter, but every waiter on 'monitor_' leaves on 'state_'; the others sleep on forever [threadleak-cv-lost-wakeup]
    // CHECK: :[[@LINE-3]]:5: note: 'state_' is set here, for every waiter
    // CHECK: :[[@LINE-13]]:16: note: the waiter leaves on 'state_' here, and does not notify 'monitor_' again
    // CHECK: :[[@LINE+23]]:31: note: the waiting code is started here
    // CHECK: :[[@LINE+23]]:31: note: and here, on another thread
    // FIXED: {{^}}    monitor_.notifyAll();
  }

private:
  Monitor monitor_;
  State state_ = STARTED;
};

static TimerManager Timers;
static void *stopper(void *) {
  Timers.stop();
  return nullptr;
}
static void *dispatcher(void *) {
  Timers.dispatch();
  return nullptr;
}

void shutdownTwice() {
  pthread_t D, A, B;
  pthread_create(&D, nullptr, dispatcher, nullptr);
  pthread_create(&A, nullptr, stopper, nullptr);
  pthread_create(&B, nullptr, stopper, nullptr);
  pthread_join(A, nullptr);
  pthread_join(B, nullptr);
  pthread_join(D, nullptr);
}

// Reported: a pimpl monitor over the standard library's primitives; the
// workers are started in a loop.
class StdMonitor {
  class Impl {
  public:
    void lock() { m_.lock(); }
    void unlock() { m_.unlock(); }
    void wait() {
      std::unique_lock<std::mutex> L(m_, std::adopt_lock);
      cv_.wait(L);
      L.release();
    }
    void notifyOne() { cv_.notify_one(); }
    void notifyEveryone() { cv_.notify_all(); }

  private:
    std::mutex m_;
    std::condition_variable cv_;
  };

public:
  void lock() { impl_->lock(); }
  void unlock() { impl_->unlock(); }
  void wait() { impl_->wait(); }
  void notifyOne() { impl_->notifyOne(); }
  void notifyEveryone() { impl_->notifyEveryone(); }

private:
  std::unique_ptr<Impl> impl_;
};

class Crawler {
public:
  explicit Crawler(int N) {
    for (int I = 0; I < N; ++I)
      workers_.emplace_back([this] { crawl(); });
  }
  ~Crawler() {
    {
      std::lock_guard<StdMonitor> G(mon_);
      done_ = true;
      mon_.notifyOne();
      // CHECK: :[[@LINE-1]]:12: warning: lost wake-up: notifyOne() wakes one waiter, but every waiter on 'mon_' leaves on 'done_'; the others sleep on forever [threadleak-cv-lost-wakeup]
      // CHECK: :[[@LINE-3]]:7: note: 'done_' is set here, for every waiter
      // CHECK: :[[@LINE+12]]:12: note: the waiter leaves on 'done_' here, and does not notify 'mon_' again
      // CHECK: :[[@LINE-11]]:5: note: the waiting code is started for each round of this loop
      // FIXED: {{^}}      mon_.notifyEveryone();
    }
    for (auto &W : workers_)
      W.join();
  }

private:
  void crawl() {
    std::lock_guard<StdMonitor> G(mon_);
    while (!done_)
      mon_.wait();
  }
  StdMonitor mon_;
  bool done_ = false;
  std::vector<std::thread> workers_;
};

// Silent: the fix, notifyAll().
class FixedTimerManager {
public:
  enum State { STARTED, STOPPING, STOPPED };
  void stop() {
    Synchronized S(monitor_);
    if (state_ == STARTED) {
      state_ = STOPPING;
      monitor_.notifyAll();
    }
    while (state_ != STOPPED)
      monitor_.wait();
  }
  void dispatch() {
    Synchronized S(monitor_);
    state_ = STOPPED;
    monitor_.notifyAll();
  }

private:
  Monitor monitor_;
  State state_ = STARTED;
};

static FixedTimerManager FixedTimers;
static void *fixedStopper(void *) {
  FixedTimers.stop();
  return nullptr;
}
static void *fixedDispatcher(void *) {
  FixedTimers.dispatch();
  return nullptr;
}

void fixedShutdownTwice() {
  pthread_t D, A, B;
  pthread_create(&D, nullptr, fixedDispatcher, nullptr);
  pthread_create(&A, nullptr, fixedStopper, nullptr);
  pthread_create(&B, nullptr, fixedStopper, nullptr);
  pthread_join(A, nullptr);
  pthread_join(B, nullptr);
  pthread_join(D, nullptr);
}

// Silent: one thread stops it.
class OnceTimerManager {
public:
  enum State { STARTED, STOPPED };
  void stop() {
    Synchronized S(monitor_);
    while (state_ != STOPPED)
      monitor_.wait();
  }
  void dispatch() {
    Synchronized S(monitor_);
    state_ = STOPPED;
    monitor_.notify();
  }

private:
  Monitor monitor_;
  State state_ = STARTED;
};

static OnceTimerManager OnceTimers;
static void *onceStopper(void *) {
  OnceTimers.stop();
  return nullptr;
}
static void *onceDispatcher(void *) {
  OnceTimers.dispatch();
  return nullptr;
}

void shutdownOnce() {
  pthread_t D, A;
  pthread_create(&D, nullptr, onceDispatcher, nullptr);
  pthread_create(&A, nullptr, onceStopper, nullptr);
  pthread_join(A, nullptr);
  pthread_join(D, nullptr);
}

// Silent: the stoppers wait with a timeout; they look again on their own.
class PollingTimerManager {
public:
  enum State { STARTED, STOPPED };
  void stop() {
    Synchronized S(monitor_);
    while (state_ != STOPPED)
      monitor_.wait(100);
  }
  void dispatch() {
    Synchronized S(monitor_);
    state_ = STOPPED;
    monitor_.notify();
  }

private:
  Monitor monitor_;
  State state_ = STARTED;
};

static PollingTimerManager PollingTimers;
static void *pollingStopper(void *) {
  PollingTimers.stop();
  return nullptr;
}
static void *pollingDispatcher(void *) {
  PollingTimers.dispatch();
  return nullptr;
}

void shutdownPolling() {
  pthread_t D, A, B;
  pthread_create(&D, nullptr, pollingDispatcher, nullptr);
  pthread_create(&A, nullptr, pollingStopper, nullptr);
  pthread_create(&B, nullptr, pollingStopper, nullptr);
  pthread_join(A, nullptr);
  pthread_join(B, nullptr);
  pthread_join(D, nullptr);
}

// Silent: the stopper is handed to two calls that start no thread (an
// event loop runs its callbacks one after another).
void onEvent(void (*Fn)(void *));
class LoopTimerManager {
public:
  enum State { STARTED, STOPPING, STOPPED };
  void stop() {
    Synchronized S(monitor_);
    while (state_ != STOPPED)
      monitor_.wait();
  }
  void dispatch() {
    Synchronized S(monitor_);
    state_ = STOPPED;
    monitor_.notify();
  }

private:
  Monitor monitor_;
  State state_ = STARTED;
};

static LoopTimerManager LoopTimers;
static void loopStopper(void *) { LoopTimers.stop(); }
static void *loopDispatcher(void *) {
  LoopTimers.dispatch();
  return nullptr;
}

void shutdownFromLoop() {
  pthread_t D;
  pthread_create(&D, nullptr, loopDispatcher, nullptr);
  onEvent(loopStopper);
  onEvent(loopStopper);
  pthread_join(D, nullptr);
}
