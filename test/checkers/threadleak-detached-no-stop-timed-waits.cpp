// RUN: not %threadleak --checks='-*,threadleak-detached-no-stop' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-detached-no-stop' %s -- %stubflags | %check-all %s

// Timed waits that never give up: a wait_for whose timeout goes back to
// waiting, and whose loop's only way out is tested right after the wait
// returns with its predicate true, when that way out cannot hold. A loop
// that re-checks its stop flag after a timeout is fine.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

using namespace std::chrono_literals;

void process(int);

class Drainer {
public:
  void start() {
    std::thread([this] { drain_then_stop(); }).detach();
    // CHECK: :[[@LINE-1]]:48: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
    // CHECK: :[[@LINE-2]]:26: note: the thread's body calls 'drain_then_stop' here
    // CHECK: :[[@LINE+20]]:5: note: this loop never exits: its way out 'stop_ && queue_.empty()' is tested only right after the wait returns with its predicate true, when it cannot hold
    // CHECK: :[[@LINE+20]]:12: note: a timeout of this wait leads back to waiting, not out of the loop
    std::thread([this] { empty_means_stop(); }).detach();
    // CHECK: :[[@LINE-1]]:49: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
    // CHECK: :[[@LINE-2]]:26: note: the thread's body calls 'empty_means_stop' here
    // CHECK: :[[@LINE+26]]:5: note: this loop never exits: its way out '!(!queue_.empty())' is tested only right after the wait returns with its predicate true, when it cannot hold
    // CHECK: :[[@LINE+28]]:11: note: a timeout of this wait leads back to waiting, not out of the loop
    std::thread([this] { stop_flag_rechecked(); }).detach();
    std::thread([this] { stop_on_timeout(); }).detach();
    std::thread([this] { stop_after_work(); }).detach();
    std::thread([this] { predicate_sees_stop(); }).detach();
    std::thread([this] { leaves_on_timeout(); }).detach();
    std::thread([this] { predicate_on_a_copy(); }).detach();
  }

private:
  // The exit is tested only after a successful wait, when the queue is
  // not empty: it never holds.
  void drain_then_stop() {
    std::unique_lock<std::mutex> lk(m_);
    for (;;) {
      if (!cv_.wait_for(lk, 100ms, [this] { return !queue_.empty(); }))
        continue;
      if (stop_ && queue_.empty())
        return;
      process(queue_.front());
      queue_.pop_front();
    }
  }
  void empty_means_stop() {
    std::unique_lock<std::mutex> lk(m_);
    while (true) {
      bool got = false;
      (void)got;
      if (cv_.wait_for(lk, 100ms, [this] { return !queue_.empty(); })) {
        if (!(!queue_.empty()))
          break;
        process(queue_.front());
        queue_.pop_front();
      }
    }
  }

  // Negative: the loop re-checks the stop flag after a timeout.
  void stop_flag_rechecked() {
    std::unique_lock<std::mutex> lk(m_);
    while (!stop_) {
      if (!cv_.wait_for(lk, 100ms, [this] { return !queue_.empty(); }))
        continue;
      process(queue_.front());
      queue_.pop_front();
    }
  }
  // Negative: the timeout branch looks at the flag.
  void stop_on_timeout() {
    std::unique_lock<std::mutex> lk(m_);
    for (;;) {
      if (!cv_.wait_for(lk, 100ms, [this] { return !queue_.empty(); })) {
        if (stop_)
          return;
        continue;
      }
      process(queue_.front());
      queue_.pop_front();
    }
  }
  // Negative: the exit is tested after the work, when it can hold.
  void stop_after_work() {
    std::unique_lock<std::mutex> lk(m_);
    for (;;) {
      if (!cv_.wait_for(lk, 100ms, [this] { return !queue_.empty(); }))
        continue;
      process(queue_.front());
      queue_.pop_front();
      if (stop_ && queue_.empty())
        return;
    }
  }
  // Negative: the predicate reads the stop flag.
  void predicate_sees_stop() {
    std::unique_lock<std::mutex> lk(m_);
    for (;;) {
      if (!cv_.wait_for(lk, 100ms, [this] { return stop_ || !queue_.empty(); }))
        continue;
      if (stop_ && queue_.empty())
        return;
      process(queue_.front());
      queue_.pop_front();
    }
  }
  // Negative: the predicate tests a copy, the way out the queue itself.
  void predicate_on_a_copy() {
    std::unique_lock<std::mutex> lk(m_);
    for (;;) {
      if (!cv_.wait_for(lk, 100ms, [q = queue_] { return !q.empty(); }))
        continue;
      if (queue_.empty())
        return;
      queue_.pop_front();
    }
  }
  // Negative: a timeout leaves.
  void leaves_on_timeout() {
    std::unique_lock<std::mutex> lk(m_);
    for (;;) {
      if (!cv_.wait_for(lk, 100ms, [this] { return !queue_.empty(); }))
        return;
      process(queue_.front());
      queue_.pop_front();
    }
  }

  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> queue_;
  bool stop_ = false;
};
