// REQUIRES: libstdcxx, boost
// RUN: not %threadleak --checks='-*,threadleak-jthread-ignores-stop' %s -- %realflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-jthread-ignores-stop' %s -- %realflags | %check-all %s

// threadleak-jthread-ignores-stop's "checked only between waits" on the
// real headers: libstdc++'s std::stop_token and std::stop_callback (a class
// template with a deduction guide), std::condition_variable's predicate
// wait and wait_for (member templates, in the inline namespace std::_V2),
// condition_variable_any's stop-aware wait, and Boost.Fiber's
// buffered_channel::pop.

#include <boost/fiber/buffered_channel.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stop_token>
#include <thread>

using namespace std::chrono_literals;

void handle(int);

class CvConsumer {
public:
  void submit(int v) {
    {
      std::lock_guard<std::mutex> g(m_);
      q_.push_back(v);
    }
    cv_.notify_one();
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> q_;
  std::jthread worker_{[this](std::stop_token st) {
  // CHECK: :[[@LINE-1]]:23: warning: std::jthread's callable checks its stop token only between waits that a stop request cannot interrupt; ~jthread() may wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE+2]]:5: note: only a stop request ends this loop, and it is checked only between waits
  // CHECK: :[[@LINE+3]]:7: note: blocks here with no timeout and no stop token, and no std::stop_callback wakes it
    while (!st.stop_requested()) {
      std::unique_lock<std::mutex> lk(m_);
      cv_.wait(lk, [this] { return !q_.empty(); });
      handle(q_.front());
      q_.pop_front();
    }
  }};
};

class ChannelConsumer {
private:
  boost::fibers::buffered_channel<int> jobs_{64};
  std::jthread worker_{[this](std::stop_token st) {
  // CHECK: :[[@LINE-1]]:23: warning: std::jthread's callable checks its stop token only between waits that a stop request cannot interrupt; ~jthread() may wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE+3]]:5: note: only a stop request ends this loop, and it is checked only between waits
  // CHECK: :[[@LINE+3]]:14: note: retries this timed wait until it succeeds: a stop request cannot end it, and no std::stop_callback wakes it
    int v = 0;
    while (!st.stop_requested()) {
      while (jobs_.pop_wait_for(v, 100ms) ==
             boost::fibers::channel_op_status::timeout) {
      }
      handle(v);
    }
  }};
};

//===-- Negative -----------------------------------------------------------===//

class CallbackNotifies {
private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> q_;
  std::jthread worker_{[this](std::stop_token st) {
    std::stop_callback wake(st, [this] { cv_.notify_all(); });
    while (!st.stop_requested()) {
      std::unique_lock<std::mutex> lk(m_);
      cv_.wait(lk, [&] { return st.stop_requested() || !q_.empty(); });
      if (!q_.empty())
        q_.pop_front();
    }
  }};
};

class StopAware {
private:
  std::mutex m_;
  std::condition_variable_any cv_;
  std::deque<int> q_;
  std::jthread worker_{[this](std::stop_token st) {
    while (!st.stop_requested()) {
      std::unique_lock<std::mutex> lk(m_);
      if (!cv_.wait(lk, st, [this] { return !q_.empty(); }))
        return;
      q_.pop_front();
    }
  }};
};

class ClosedOnDestruction {
public:
  ~ClosedOnDestruction() { jobs_.close(); }

private:
  boost::fibers::buffered_channel<int> jobs_{64};
  std::jthread worker_{[this](std::stop_token st) {
    int v = 0;
    while (!st.stop_requested()) {
      jobs_.pop(v);
      handle(v);
    }
  }};
};

class TimedWait {
private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> q_;
  std::jthread worker_{[this](std::stop_token st) {
    while (!st.stop_requested()) {
      std::unique_lock<std::mutex> lk(m_);
      if (!cv_.wait_for(lk, 100ms, [this] { return !q_.empty(); }))
        continue;
      q_.pop_front();
    }
  }};
};
