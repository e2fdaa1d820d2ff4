// RUN: not %threadleak --checks='-*,threadleak-detached-no-stop,threadleak-jthread-ignores-stop,threadleak-cv-wait-no-stop,threadleak-cv-lost-wakeup,threadleak-channel-recv-no-close' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-detached-no-stop,threadleak-jthread-ignores-stop,threadleak-cv-wait-no-stop,threadleak-cv-lost-wakeup,threadleak-channel-recv-no-close' %s -- %stubflags | %check-all %s

// Templates (issue 16): the checks analyse the instantiations the unit
// makes, each template location once however many instantiations show it,
// and a template nothing instantiates only where the code analysed is not
// dependent. Findings point at the template's lines.

#include <atomic>
#include <boost/fiber/all.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

using boost::fibers::buffered_channel;
using boost::fibers::channel_op_status;

void work();
void handle(int);
bool bad(int);
void spin_forever() {
  for (;;)
    work();
}

//===-- detached-no-stop -----------------------------------------------------===//

// A spawn inside a function template, instantiated twice (a lambda and a
// function pointer): one finding, at the template's line.
template <class Callback> void read_input(Callback cb) {
  std::thread([cb] { for (;;) cb(); }).detach();
  // CHECK: :[[@LINE-1]]:40: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-2]]:22: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}
void use_read_input() {
  read_input([] { work(); });
  read_input(&work);
}

// Look-alike: the callable's result ends the loop.
template <class Done> void poll_until(Done done) {
  std::thread([done] {
    for (;;) {
      if (done())
        return;
      work();
    }
  }).detach();
}
struct Finished {
  bool operator()() const { return true; }
};
void use_poll_until() { poll_until(Finished{}); }

// A class template nothing instantiates, whose spawn does not depend on T:
// analysed as written.
template <class T> struct Ticker {
  void start() {
    std::thread t(spin_forever);
    t.detach();
    // CHECK: :[[@LINE-1]]:7: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
    // CHECK: :[[@LINE-3]]:17: note: thread started here
    // CHECK: :[[@LINE-41]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
  }
};

// A function template nothing instantiates, whose loop calls a dependent
// `cb()`: what it does (it may throw to end the loop) is unknown until the
// template is instantiated, so nothing is reported.
template <class Callback> void run_detached(Callback cb) {
  std::thread t([cb] { for (;;) cb(); });
  t.detach();
}

//===-- jthread-ignores-stop -------------------------------------------------===//

// A class template instantiated twice: one finding.
template <class T> struct Poller {
  void start() { t_ = std::jthread([this] { while (true) { poll(); } }); }
  // CHECK: :[[@LINE-1]]:23: warning: std::jthread's callable never observes its stop token; ~jthread() will request stop and then wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:45: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
  void poll() { work(); }
  std::jthread t_;
};
void use_poller() {
  Poller<int> a;
  a.start();
  Poller<long> b;
  b.start();
}

// Look-alike: the callable checks its token.
template <class T> struct StoppablePoller {
  void start() {
    t_ = std::jthread([this](std::stop_token st) {
      while (!st.stop_requested())
        work();
    });
  }
  std::jthread t_;
};
void use_stoppable_poller() {
  StoppablePoller<int> p;
  p.start();
}

//===-- cv-wait-no-stop ------------------------------------------------------===//

// receiver<T>::loop() waits for items; ~receiver() sets a flag the
// predicate does not read. Two instantiations, one finding.
template <class T> class receiver {
public:
  receiver() : thread_([this] { loop(); }) {}
  ~receiver() {
    {
      std::lock_guard lk(m_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

private:
  void loop() {
    for (;;) {
      std::unique_lock lk(m_);
      cv_.wait(lk, [&] { return !q_.empty(); });
      // CHECK: :[[@LINE-1]]:11: warning: wait on 'cv_' can block forever: nothing on the stop path makes its predicate true [threadleak-cv-wait-no-stop]
      // CHECK: :[[@LINE-2]]:20: note: the predicate reads 'q_'
      // CHECK: :[[@LINE-16]]:3: note: stop path '~receiver' changes none of it
      // CHECK: :[[@LINE-18]]:16: note: thread started here
      // CHECK: :[[@LINE-19]]:33: note: the thread's body calls 'loop' here
      q_.pop_front();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<T> q_;
  bool stopping_ = false;
  std::thread thread_;
};
receiver<int> int_receiver;
receiver<double> double_receiver;

// Look-alike: the predicate reads the flag the destructor sets.
template <class T> class fixed_receiver {
public:
  fixed_receiver() : thread_([this] { loop(); }) {}
  ~fixed_receiver() {
    {
      std::lock_guard lk(m_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

private:
  void loop() {
    for (;;) {
      std::unique_lock lk(m_);
      cv_.wait(lk, [&] { return stopping_ || !q_.empty(); });
      if (stopping_)
        return;
      q_.pop_front();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<T> q_;
  bool stopping_ = false;
  std::thread thread_;
};
fixed_receiver<int> fixed_int_receiver;

// Look-alike: the stop path is stop(), which this unit never calls, so it
// is not instantiated here: code we cannot read, which may wake the wait.
template <class T> class stoppable_receiver {
public:
  stoppable_receiver() : thread_([this] { loop(); }) {}
  void stop() {
    {
      std::lock_guard lk(m_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

private:
  void loop() {
    std::unique_lock lk(m_);
    while (!stopping_)
      cv_.wait(lk, [&] { return stopping_ || !q_.empty(); });
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<T> q_;
  bool stopping_ = false;
  std::thread thread_;
};
stoppable_receiver<int> *make_stoppable() { return new stoppable_receiver<int>; }

//===-- cv-lost-wakeup -------------------------------------------------------===//

// The flag is cleared without the waiter's mutex; two instantiations.
template <class T> class Camera {
public:
  Camera() : thread_([this] { run(); }) {}
  ~Camera() {
    active_ = false;
    // CHECK: :[[@LINE-1]]:5: warning: lost wake-up: 'active_' is changed without holding 'mutex_', the mutex the wait on 'cv_' checks it under; a waiter between its check and its sleep misses the notify and waits forever [threadleak-cv-lost-wakeup]
    // CHECK: :[[@LINE+10]]:11: note: the waiter checks 'active_' here, holding 'mutex_', and then sleeps on 'cv_'
    // CHECK: :[[@LINE+1]]:9: note: 'cv_' is notified here, and 'mutex_' has not been held since 'active_' changed
    cv_.notify_all();
    thread_.join();
  }

private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (active_) {
      cv_.wait(lock, [this] { return !active_ || !q_.empty(); });
      if (!q_.empty())
        q_.pop_front();
    }
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::atomic<bool> active_{true};
  std::deque<T> q_;
  std::thread thread_;
};
Camera<int> int_camera;
Camera<long> long_camera;

// Look-alike: cleared under the mutex.
template <class T> class LockedCamera {
public:
  LockedCamera() : thread_([this] { run(); }) {}
  ~LockedCamera() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      active_ = false;
    }
    cv_.notify_all();
    thread_.join();
  }

private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (active_) {
      cv_.wait(lock, [this] { return !active_ || !q_.empty(); });
      if (!q_.empty())
        q_.pop_front();
    }
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::atomic<bool> active_{true};
  std::deque<T> q_;
  std::thread thread_;
};
LockedCamera<int> locked_camera;

//===-- channel-recv-no-close ------------------------------------------------===//

// A function template that feeds a consumer and returns early without
// closing the channel; two instantiations.
template <class T> void fan_out(const std::vector<T> &items) {
  buffered_channel<T> ch{16};
  std::thread consumer([&ch] {
    T v;
    while (ch.pop(v) == channel_op_status::success)
    // CHECK: :[[@LINE-1]]:15: warning: thread may block here forever: 'ch' is not closed on every path of 'fan_out' [threadleak-channel-recv-no-close]
    // CHECK: :[[@LINE-4]]:15: note: thread started here
    // CHECK: :[[@LINE-6]]:23: note: channel 'ch' created here
    // CHECK: :[[@LINE+5]]:7: note: 'fan_out' returns here without closing 'ch'
      handle(static_cast<int>(v));
  });
  for (const T &i : items) {
    if (bad(static_cast<int>(i)))
      return;
    ch.push(i);
  }
  ch.close();
  consumer.join();
}
template void fan_out<int>(const std::vector<int> &);
template void fan_out<long>(const std::vector<long> &);

// Look-alike: closed on every path.
template <class T> void fan_out_closed(const std::vector<T> &items) {
  buffered_channel<T> ch{16};
  std::thread consumer([&ch] {
    T v;
    while (ch.pop(v) == channel_op_status::success)
      handle(static_cast<int>(v));
  });
  for (const T &i : items) {
    if (bad(static_cast<int>(i)))
      break;
    ch.push(i);
  }
  ch.close();
  consumer.join();
}
template void fan_out_closed<int>(const std::vector<int> &);
