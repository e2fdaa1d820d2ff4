// RUN: not %threadleak --checks='-*,threadleak-cv-lost-wakeup' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-cv-lost-wakeup' %s -- %stubflags | %check-all %s

// Rule d: the waiter tests a flag only after its wait returns. A notifier
// that sets the flag and notifies while the waiter is not yet asleep (it
// is busy, or has not taken the mutex yet) wakes nobody; the waiter then
// takes the mutex, finds nothing else to wake for, and sleeps through the
// flag forever.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

// Reported: going_down_ is tested only once a completion (or a spurious
// wake-up) has ended the wait; go_down() before get_next() is lost.
class Completions {
public:
  void complete(int R) {
    std::lock_guard<std::mutex> L(m_);
    done_.push_back(R);
    cv_.notify_one();
  }
  int get_next() {
    std::unique_lock<std::mutex> L(m_);
    while (done_.empty()) {
      cv_.wait(L);
      // CHECK: :[[@LINE-1]]:11: warning: lost wake-up: 'going_down_' is tested only after the wait on 'cv_'; a notify that sets it before this wait begins wakes nobody, and the wait may block forever [threadleak-cv-lost-wakeup]
      if (going_down_)
        // CHECK: :[[@LINE-1]]:11: note: 'going_down_' is tested here, once the wait has returned, and not before the wait, holding 'm_'
        return -1;
    }
    int R = done_.front();
    done_.pop_front();
    return R;
  }
  void go_down() {
    std::lock_guard<std::mutex> L(m_);
    going_down_ = true;
    // CHECK: :[[@LINE-1]]:5: note: 'go_down' sets 'going_down_' here
    cv_.notify_one();
    // CHECK: :[[@LINE-1]]:9: note: and notifies 'cv_' here, whether or not the waiter is asleep
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> done_;
  bool going_down_ = false;
};

// Silent: the fix tests the flag before each wait.
class CompletionsFixed {
public:
  void complete(int R) {
    std::lock_guard<std::mutex> L(m_);
    done_.push_back(R);
    cv_.notify_one();
  }
  int get_next() {
    std::unique_lock<std::mutex> L(m_);
    while (done_.empty()) {
      if (going_down_)
        return -1;
      cv_.wait(L);
    }
    int R = done_.front();
    done_.pop_front();
    return R;
  }
  void go_down() {
    std::lock_guard<std::mutex> L(m_);
    going_down_ = true;
    cv_.notify_one();
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> done_;
  bool going_down_ = false;
};

// Silent: the predicate reads the flag; the test after the wait only
// tells why it ended.
class WithPredicate {
public:
  int next() {
    std::unique_lock<std::mutex> L(m_);
    for (;;) {
      cv_.wait(L, [&] { return stop_ || !q_.empty(); });
      if (stop_)
        return -1;
      int R = q_.front();
      q_.pop_front();
      if (R >= 0)
        return R;
    }
  }
  void stop() {
    std::lock_guard<std::mutex> L(m_);
    stop_ = true;
    cv_.notify_all();
  }
  void push(int R) {
    std::lock_guard<std::mutex> L(m_);
    q_.push_back(R);
    cv_.notify_one();
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> q_;
  bool stop_ = false;
};

// Silent: a function the waiter calls before the loop tests the flag.
class CheckedByHelper {
public:
  int next() {
    std::unique_lock<std::mutex> L(m_);
    if (stopping())
      return -1;
    while (q_.empty()) {
      cv_.wait(L);
      if (stop_)
        return -1;
    }
    return q_.front();
  }
  void stop() {
    std::lock_guard<std::mutex> L(m_);
    stop_ = true;
    cv_.notify_all();
  }
  void push(int R) {
    std::lock_guard<std::mutex> L(m_);
    q_.push_back(R);
    cv_.notify_one();
  }

private:
  bool stopping() const { return stop_; }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> q_;
  bool stop_ = false;
};

// Silent: the waiter is handed its caller's lock; the caller may test the
// flag before it calls.
class HandedTheLock {
public:
  int nextLocked(std::unique_lock<std::mutex> &L) {
    while (q_.empty()) {
      cv_.wait(L);
      if (stop_)
        return -1;
    }
    return q_.front();
  }
  void stop() {
    std::lock_guard<std::mutex> L(m_);
    stop_ = true;
    cv_.notify_all();
  }
  void push(int R) {
    std::lock_guard<std::mutex> L(m_);
    q_.push_back(R);
    cv_.notify_one();
  }
  std::mutex m_;

private:
  std::condition_variable cv_;
  std::deque<int> q_;
  bool stop_ = false;
};

// Silent: what the notifier changes is a count, not a flag set once; each
// change comes with its own notify, and the waiter's loop condition
// reads the queue.
class Generations {
public:
  int next() {
    std::unique_lock<std::mutex> L(m_);
    while (q_.empty()) {
      cv_.wait(L);
      if (gen_ > 100)
        return -1;
    }
    return q_.front();
  }
  void bump() {
    std::lock_guard<std::mutex> L(m_);
    ++gen_;
    cv_.notify_all();
  }
  void push(int R) {
    std::lock_guard<std::mutex> L(m_);
    q_.push_back(R);
    cv_.notify_one();
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> q_;
  int gen_ = 0;
};

// A project's own mutex and condition variable: Cond::Wait(Mutex &) adopts
// the caller's mutex, waits once and gives it back; Signal() notifies.
class Mutex {
  friend class Cond;
  std::mutex m;

public:
  void Lock() { m.lock(); }
  void Unlock() { m.unlock(); }
  class Locker {
    Mutex &mu;

  public:
    explicit Locker(Mutex &M) : mu(M) { mu.Lock(); }
    ~Locker() { mu.Unlock(); }
  };
};

class Cond {
  std::condition_variable c;

public:
  int Wait(Mutex &M) {
    std::unique_lock<std::mutex> L(M.m, std::adopt_lock);
    c.wait(L);
    L.release();
    return 0;
  }
  void Signal() { c.notify_one(); }
};

// Reported: the same bug through the wrappers.
class WrappedCompletions {
public:
  void complete(int R) {
    Mutex::Locker L(lock_);
    done_.push_back(R);
    cond_.Signal();
  }
  int get_next() {
    Mutex::Locker L(lock_);
    while (done_.empty()) {
      cond_.Wait(lock_);
      // CHECK: :[[@LINE-1]]:13: warning: lost wake-up: 'going_down_' is tested only after the wait on 'cond_'; a notify that sets it before this wait begins wakes nobody, and the wait may block forever [threadleak-cv-lost-wakeup]
      if (going_down_)
        // CHECK: :[[@LINE-1]]:11: note: 'going_down_' is tested here, once the wait has returned, and not before the wait, holding 'lock_'
        return -1;
    }
    int R = done_.front();
    done_.pop_front();
    return R;
  }
  void go_down() {
    Mutex::Locker L(lock_);
    going_down_ = true;
    // CHECK: :[[@LINE-1]]:5: note: 'go_down' sets 'going_down_' here
    cond_.Signal();
    // CHECK: :[[@LINE-1]]:11: note: and notifies 'cond_' here, whether or not the waiter is asleep
  }
  // Reported (rule a, through the wrappers): the flag changes without the
  // mutex the waiter checks it under.
  void hurry() {
    hurry_ = true;
    // CHECK: :[[@LINE-1]]:5: warning: lost wake-up: 'hurry_' is changed without holding 'lock_', the mutex the wait on 'cond_' checks it under; a waiter between its check and its sleep misses the notify and waits forever [threadleak-cv-lost-wakeup]
    // CHECK: :[[@LINE+7]]:13: note: the waiter checks 'hurry_' here, holding 'lock_', and then sleeps on 'cond_'
    cond_.Signal();
    // CHECK: :[[@LINE-1]]:11: note: 'cond_' is notified here, and 'lock_' has not been held since 'hurry_' changed
  }
  void wait_hurry() {
    Mutex::Locker L(lock_);
    while (!hurry_)
      cond_.Wait(lock_);
  }

private:
  Mutex lock_;
  Cond cond_;
  std::deque<int> done_;
  bool going_down_ = false;
  bool hurry_ = false;
};

// Silent: the fixed twin, through the wrappers.
class WrappedCompletionsFixed {
public:
  void complete(int R) {
    Mutex::Locker L(lock_);
    done_.push_back(R);
    cond_.Signal();
  }
  int get_next() {
    Mutex::Locker L(lock_);
    while (done_.empty()) {
      if (going_down_)
        return -1;
      cond_.Wait(lock_);
    }
    int R = done_.front();
    done_.pop_front();
    return R;
  }
  void go_down() {
    Mutex::Locker L(lock_);
    going_down_ = true;
    cond_.Signal();
  }

private:
  Mutex lock_;
  Cond cond_;
  std::deque<int> done_;
  bool going_down_ = false;
};

int main() {
  Completions C;
  CompletionsFixed CF;
  WithPredicate P;
  CheckedByHelper H;
  HandedTheLock HL;
  Generations G;
  std::thread T([&] {
    C.get_next();
    CF.get_next();
    P.next();
    H.next();
    std::unique_lock<std::mutex> L(HL.m_);
    HL.nextLocked(L);
    G.next();
  });
  C.go_down();
  CF.go_down();
  P.stop();
  H.stop();
  HL.stop();
  G.bump();
  T.join();
}
