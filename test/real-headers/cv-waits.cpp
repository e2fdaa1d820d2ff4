// REQUIRES: boost, libstdcxx
// RUN: not %threadleak --checks='-*,threadleak-cv-wait-no-stop' %s -- %realflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-cv-wait-no-stop' %s -- %realflags | %check-all %s

// The cv-wait check on the real headers: libstdc++'s condition_variable
// (wait's predicate overload is a member template), condition_variable_any
// (the stop_token overloads of <stop_token>, wait_for with a predicate),
// std::jthread; Boost.Thread's condition_variable and interrupt().

#include <atomic>
#include <boost/thread.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stop_token>
#include <thread>

void run(int);

class Pool {
public:
  Pool() : thread_([this] { worker(); }) {}
  ~Pool() {
    {
      std::lock_guard lk(m_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

private:
  void worker() {
    std::unique_lock lk(m_);
    for (;;) {
      cv_.wait(lk, [&] { return !queue_.empty(); });
      // CHECK: :[[@LINE-1]]:11: warning: wait on 'cv_' can block forever: nothing on the stop path makes its predicate true [threadleak-cv-wait-no-stop]
      // CHECK: :[[@LINE-2]]:20: note: the predicate reads 'queue_'
      // CHECK: :[[@LINE-16]]:3: note: stop path '~Pool' changes none of it
      // CHECK: :[[@LINE-18]]:12: note: thread started here
      // CHECK: :[[@LINE-19]]:29: note: the thread's body calls 'worker' here
      run(queue_.front());
      queue_.pop_front();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

class Fixed {
public:
  Fixed() : thread_([this] { worker(); }) {}
  ~Fixed() {
    {
      std::lock_guard lk(m_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

private:
  void worker() {
    std::unique_lock lk(m_);
    while (true) {
      cv_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_)
        return;
      run(queue_.front());
      queue_.pop_front();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

class SilentStop {
public:
  SilentStop() : thread_([this] { worker(); }) {}
  void stop() {
    stopping_ = true;
    thread_.join();
  }

private:
  void worker() {
    std::unique_lock lk(m_);
    cv_.wait(lk, [&] { return stopping_.load(); });
    // CHECK: :[[@LINE-1]]:9: warning: wait on 'cv_' can block forever: the stop path changes 'stopping_' but never notifies 'cv_' [threadleak-cv-wait-no-stop]
    // CHECK: :[[@LINE-9]]:5: note: 'stopping_' is changed here
    // CHECK: :[[@LINE-11]]:8: note: 'stop' calls neither notify_one() nor notify_all() on 'cv_'
    // CHECK: :[[@LINE-13]]:18: note: thread started here
    // CHECK: :[[@LINE-14]]:35: note: the thread's body calls 'worker' here
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

class Ticker {
public:
  Ticker() : thread_([this] { loop(); }) {}
  ~Ticker() { thread_.join(); }

private:
  void loop() {
    std::unique_lock lk(m_);
    for (;;) {
      cv_.wait_for(lk, std::chrono::seconds(1), [&] { return dirty_; });
      // CHECK: :[[@LINE-1]]:11: warning: timed wait on 'cv_' in a loop that never checks a stop condition: the thread wakes up but never leaves [threadleak-cv-wait-no-stop]
      // CHECK: :[[@LINE-3]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
      // CHECK: :[[@LINE-10]]:14: note: thread started here
      // CHECK: :[[@LINE-11]]:31: note: the thread's body calls 'loop' here
      run(0);
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  bool dirty_ = false;
  std::thread thread_;
};

class StopAware {
  std::mutex m_;
  std::condition_variable_any cv_;
  std::deque<int> queue_;
  std::jthread thread_{[this](std::stop_token st) {
    std::unique_lock lk(m_);
    while (cv_.wait(lk, st, [&] { return !queue_.empty(); })) {
      run(queue_.front());
      queue_.pop_front();
    }
  }};
};

class BoostWorker {
public:
  BoostWorker() : thread_([this] { work(); }) {}
  ~BoostWorker() {
    stopping_ = true;
    cv_.notify_all();
    thread_.join();
  }

private:
  void work() {
    boost::unique_lock<boost::mutex> lk(m_);
    cv_.wait(lk, [this] { return pending_ > 0; });
    // CHECK: :[[@LINE-1]]:9: warning: wait on 'cv_' can block forever: nothing on the stop path makes its predicate true [threadleak-cv-wait-no-stop]
    // CHECK: :[[@LINE-2]]:18: note: the predicate reads 'pending_'
    // CHECK: :[[@LINE-12]]:3: note: stop path '~BoostWorker' changes none of it
    // CHECK: :[[@LINE-14]]:19: note: thread started here
    // CHECK: :[[@LINE-15]]:36: note: the thread's body calls 'work' here
    run(pending_);
  }
  boost::mutex m_;
  boost::condition_variable cv_;
  int pending_ = 0;
  bool stopping_ = false;
  boost::thread thread_;
};

class Interrupted {
public:
  Interrupted() : thread_([this] { work(); }) {}
  ~Interrupted() {
    thread_.interrupt();
    thread_.join();
  }

private:
  void work() {
    boost::unique_lock<boost::mutex> lk(m_);
    cv_.wait(lk, [this] { return pending_ > 0; });
  }
  boost::mutex m_;
  boost::condition_variable cv_;
  int pending_ = 0;
  boost::thread thread_;
};
