// RUN: not %threadleak --checks='-*,threadleak-cv-wait-no-stop,threadleak-jthread-ignores-stop' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-cv-wait-no-stop,threadleak-jthread-ignores-stop' %s -- %stubflags | %check-all %s

// ~jthread() (request_stop, then join) is a stop path of
// threadleak-cv-wait-no-stop: it changes the stop token's state and
// notifies nothing. One finding per wait: threadleak-jthread-ignores-stop
// owns the callable that loops forever, takes its token and ignores it, or
// tests it only between waits it cannot interrupt; cv-wait-no-stop the
// other waits of a std::jthread. Both checks run here, so every wait below
// is reported once or not at all.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <stop_token>
#include <thread>

void run(int);

//===-- Positive: cv-wait-no-stop --------------------------------------------===//

// No token, no loop; the implicit destructor only requests stop, which
// changes nothing the predicate reads: ~Starter() hangs unless start() ran.
class Starter {
public:
  void start() {
    { std::lock_guard lk(m_); ready_ = true; }
    cv_.notify_one();
  }
private:
  std::mutex m_;
  std::condition_variable cv_;
  bool ready_ = false;
  std::jthread t_{[this] {
    std::unique_lock lk(m_);
    cv_.wait(lk, [this] { return ready_; });
    // CHECK: :[[@LINE-1]]:9: warning: wait on 'cv_' can block forever: nothing on the stop path makes its predicate true [threadleak-cv-wait-no-stop]
    // CHECK: :[[@LINE-2]]:18: note: the predicate reads 'ready_'
    // CHECK: :[[@LINE-5]]:16: note: stop path '~jthread()' of 't_' requests stop and joins: it changes none of it
    // CHECK: :[[@LINE-6]]:18: note: thread started here
    run(1);
  }};
};

// The predicate reads the token, but std::condition_variable is not
// notified by a stop request: the waiter sleeps through it.
class TokenInPredicate {
public:
  void start() {
    { std::lock_guard lk(m_); ready_ = true; }
    cv_.notify_one();
  }
private:
  std::mutex m_;
  std::condition_variable cv_;
  bool ready_ = false;
  std::jthread t_{[this](std::stop_token st) {
    std::unique_lock lk(m_);
    cv_.wait(lk, [&] { return ready_ || st.stop_requested(); });
    // CHECK: :[[@LINE-1]]:9: warning: wait on 'cv_' can block forever: ~jthread() requests stop, but a stop request does not notify 'cv_' [threadleak-cv-wait-no-stop]
    // CHECK: :[[@LINE-2]]:18: note: the predicate reads the stop token, and is tested again only when 'cv_' is notified
    // CHECK: :[[@LINE-5]]:16: note: 't_' is a std::jthread: its destructor requests stop and joins, and nothing on the stop path notifies 'cv_'
    // CHECK: :[[@LINE-6]]:18: note: thread started here
    if (ready_)
      run(1);
  }};
};

// A user destructor that changes nothing the predicate reads; ~jthread()
// runs after it and changes nothing either.
class EmptyDestructor {
public:
  ~EmptyDestructor() {}
  void start() {
    { std::lock_guard lk(m_); ready_ = true; }
    cv_.notify_one();
  }
private:
  std::mutex m_;
  std::condition_variable cv_;
  bool ready_ = false;
  std::jthread t_;
public:
  EmptyDestructor() : t_([this] { wait(); }) {}
  void wait() {
    std::unique_lock lk(m_);
    cv_.wait(lk, [this] { return ready_; });
    // CHECK: :[[@LINE-1]]:9: warning: wait on 'cv_' can block forever: nothing on the stop path makes its predicate true [threadleak-cv-wait-no-stop]
    // CHECK: :[[@LINE-2]]:18: note: the predicate reads 'ready_'
    // CHECK: :[[@LINE-17]]:3: note: stop path '~EmptyDestructor' changes none of it
    // CHECK: :[[@LINE-9]]:16: note: stop path '~jthread()' of 't_' requests stop and joins: it changes none of it
    // CHECK: :[[@LINE-8]]:23: note: thread started here
    // CHECK: :[[@LINE-9]]:35: note: the thread's body calls 'wait' here
  }
};

// A local jthread: the end of its scope is ~jthread().
void local_token_in_predicate() {
  std::mutex m;
  std::condition_variable cv;
  bool ready = false;
  std::jthread t([&](std::stop_token st) {
    std::unique_lock lk(m);
    cv.wait(lk, [&] { return ready || st.stop_requested(); });
    // CHECK: :[[@LINE-1]]:8: warning: wait on 'cv' can block forever: ~jthread() requests stop, but a stop request does not notify 'cv' [threadleak-cv-wait-no-stop]
    // CHECK: :[[@LINE-2]]:17: note: the predicate reads the stop token, and is tested again only when 'cv' is notified
    // CHECK: :[[@LINE-5]]:16: note: 't' is a std::jthread: its destructor requests stop and joins, and nothing on the stop path notifies 'cv'
    // CHECK: :[[@LINE-6]]:16: note: thread started here
  });
}

//===-- Positive: jthread-ignores-stop's, and not cv-wait-no-stop's ----------===//

// No token, an endless loop around the wait: warning (1), once.
class Consumer {
public:
  void push(int v) {
    { std::lock_guard lk(m_); q_.push_back(v); }
    cv_.notify_one();
  }
private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> q_;
  std::jthread t_{[this] {
  // CHECK: :[[@LINE-1]]:18: warning: std::jthread's callable never observes its stop token; ~jthread() will request stop and then wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE+2]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
    std::unique_lock lk(m_);
    for (;;) {
      cv_.wait(lk, [this] { return !q_.empty(); });
      run(q_.front());
      q_.pop_front();
    }
  }};
};

// The token is tested only between waits a stop request cannot wake, the
// predicate reading it too: warning (5), once.
class TokenLoop {
public:
  void push(int v) {
    { std::lock_guard lk(m_); q_.push_back(v); }
    cv_.notify_one();
  }
private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> q_;
  std::jthread t_{[this](std::stop_token st) {
  // CHECK: :[[@LINE-1]]:18: warning: std::jthread's callable checks its stop token only between waits that a stop request cannot interrupt; ~jthread() may wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE+3]]:5: note: only a stop request ends this loop, and it is checked only between waits
  // CHECK: :[[@LINE+3]]:7: note: blocks here with no timeout and no stop token, and no std::stop_callback wakes it
    std::unique_lock lk(m_);
    while (!st.stop_requested()) {
      cv_.wait(lk, [&] { return st.stop_requested() || !q_.empty(); });
      if (st.stop_requested())
        return;
      run(q_.front());
      q_.pop_front();
    }
  }};
};

// The token taken and ignored: warning (4), once.
class IgnoredToken {
public:
  void start() {
    { std::lock_guard lk(m_); ready_ = true; }
    cv_.notify_one();
  }
private:
  std::mutex m_;
  std::condition_variable cv_;
  bool ready_ = false;
  std::jthread t_{[this](std::stop_token) {
  // CHECK: :[[@LINE-1]]:18: warning: std::jthread's callable takes a std::stop_token but never checks it; a stop request cannot interrupt its blocking wait and ~jthread() may wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:26: note: the std::stop_token parameter is never used
  // CHECK: :[[@LINE+2]]:5: note: blocks here with no timeout and no stop token
    std::unique_lock lk(m_);
    cv_.wait(lk, [this] { return ready_; });
    run(1);
  }};
};

// A destructor that changes nothing the loop's wait reads used to give
// this wait a cv-wait-no-stop finding too: the loop is jthread-ignores-
// stop's (1), and only that is reported.
class ConsumerWithDestructor {
public:
  ~ConsumerWithDestructor() { cv_.notify_all(); }
  void push(int v) {
    { std::lock_guard lk(m_); q_.push_back(v); }
    cv_.notify_one();
  }
private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> q_;
  std::jthread t_{[this] {
  // CHECK: :[[@LINE-1]]:18: warning: std::jthread's callable never observes its stop token; ~jthread() will request stop and then wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE+2]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
    std::unique_lock lk(m_);
    for (;;) {
      cv_.wait(lk, [this] { return !q_.empty(); });
      run(q_.front());
      q_.pop_front();
    }
  }};
};

// The same with an ignored token and a single wait: (4) only.
class IgnoredTokenWithDestructor {
public:
  ~IgnoredTokenWithDestructor() {}
  void start() {
    { std::lock_guard lk(m_); ready_ = true; }
    cv_.notify_one();
  }
private:
  std::mutex m_;
  std::condition_variable cv_;
  bool ready_ = false;
  std::jthread t_{[this](std::stop_token) {
  // CHECK: :[[@LINE-1]]:18: warning: std::jthread's callable takes a std::stop_token but never checks it; a stop request cannot interrupt its blocking wait and ~jthread() may wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:26: note: the std::stop_token parameter is never used
  // CHECK: :[[@LINE+2]]:5: note: blocks here with no timeout and no stop token
    std::unique_lock lk(m_);
    cv_.wait(lk, [this] { return ready_; });
    run(1);
  }};
};

//===-- Negative --------------------------------------------------------------===//

// condition_variable_any's wait with the token: a stop request wakes it.
class AnyWithToken {
  std::mutex m_;
  std::condition_variable_any cv_;
  bool ready_ = false;
  std::jthread t_{[this](std::stop_token st) {
    std::unique_lock lk(m_);
    if (cv_.wait(lk, st, [this] { return ready_; }))
      run(1);
  }};
};

// A std::stop_callback on the token notifies the condition variable.
class CallbackNotifies {
  std::mutex m_;
  std::condition_variable cv_;
  bool ready_ = false;
  std::jthread t_{[this](std::stop_token st) {
    std::stop_callback cb(st, [this] {
      std::lock_guard lk(m_);
      cv_.notify_all();
    });
    std::unique_lock lk(m_);
    cv_.wait(lk, [&] { return ready_ || st.stop_requested(); });
  }};
};

// The destructor (before ~jthread()) sets what the predicate reads and
// notifies.
class DestructorWakes {
public:
  ~DestructorWakes() {
    { std::lock_guard lk(m_); ready_ = true; }
    cv_.notify_one();
  }
private:
  std::mutex m_;
  std::condition_variable cv_;
  bool ready_ = false;
  std::jthread t_{[this] {
    std::unique_lock lk(m_);
    cv_.wait(lk, [this] { return ready_; });
  }};
};

// The destructor requests stop itself, under the mutex, and notifies.
class DestructorRequestsStop {
public:
  ~DestructorRequestsStop() {
    { std::lock_guard lk(m_); t_.request_stop(); }
    cv_.notify_all();
  }
private:
  std::mutex m_;
  std::condition_variable cv_;
  bool ready_ = false;
  std::jthread t_{[this](std::stop_token st) {
    std::unique_lock lk(m_);
    cv_.wait(lk, [&] { return ready_ || st.stop_requested(); });
  }};
};

// A detached jthread is never joined, and its destructor requests nothing:
// no ~jthread() stop path (threadleak-detached-no-stop's, if it loops).
class Detached {
public:
  Detached() { t_.detach(); }
  void start() {
    { std::lock_guard lk(m_); ready_ = true; }
    cv_.notify_one();
  }
private:
  std::mutex m_;
  std::condition_variable cv_;
  bool ready_ = false;
  std::jthread t_{[this] {
    std::unique_lock lk(m_);
    cv_.wait(lk, [this] { return ready_; });
  }};
};

// A std::thread has no ~jthread(): with no stop path we cannot tell.
class PlainThread {
public:
  void start() {
    { std::lock_guard lk(m_); ready_ = true; }
    cv_.notify_one();
  }
private:
  std::mutex m_;
  std::condition_variable cv_;
  bool ready_ = false;
  std::thread t_{[this] {
    std::unique_lock lk(m_);
    cv_.wait(lk, [this] { return ready_; });
  }};
};

// The constructor releases the wait right after starting the thread.
class ReleasedAtOnce {
public:
  ReleasedAtOnce() {
    { std::lock_guard lk(m_); ready_ = true; }
    cv_.notify_one();
  }
private:
  std::mutex m_;
  std::condition_variable cv_;
  bool ready_ = false;
  std::jthread t_{[this] {
    std::unique_lock lk(m_);
    cv_.wait(lk, [this] { return ready_; });
    run(1);
  }};
};

// The owner of a local jthread makes the predicate true and notifies
// before the end of the scope.
void local_released() {
  std::mutex m;
  std::condition_variable cv;
  bool ready = false;
  std::jthread t([&] {
    std::unique_lock lk(m);
    cv.wait(lk, [&] { return ready; });
  });
  {
    std::lock_guard lk(m);
    ready = true;
  }
  cv.notify_one();
}
