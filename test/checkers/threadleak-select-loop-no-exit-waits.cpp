// RUN: not %threadleak --checks='-*,threadleak-select-loop-no-exit' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-select-loop-no-exit' %s -- %stubflags | %check-all %s

// Select loops whose apparent way out is none: a Boost interruption point
// in a thread nobody can interrupt, and a way out tested only right after a
// timed wait succeeded, when it cannot hold.

#include <boost/thread.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <poll.h>
#include <thread>

using namespace std::chrono_literals;

void on_readable(int fd);

//===-- Interruption points ------------------------------------------------===//

void poll_forever(pollfd *fds) {
  for (;;) {
  // CHECK: :[[@LINE-1]]:3: warning: endless loop around a multi-way wait: no alternative leads out of the loop and it observes no stop or cancellation [threadleak-select-loop-no-exit]
  // CHECK: :[[@LINE+2]]:9: note: waits here in 'poll'; whatever it reports, the loop goes on
    boost::this_thread::interruption_point();
    if (poll(fds, 2, 100) > 0)
      on_readable(fds[0].fd);
  }
}

void joined_boost_thread(pollfd *fds) {
  // Nobody calls interrupt(): join() waits forever.
  boost::thread t([fds] { poll_forever(fds); });
  // CHECK: :[[@LINE-1]]:17: note: thread started here
  // CHECK: :[[@LINE-2]]:27: note: the thread's body calls 'poll_forever' here
  t.join();
}

void poll_sleeping(pollfd *fds) {
  for (;;) {
  // CHECK: :[[@LINE-1]]:3: warning: endless loop around a multi-way wait: no alternative leads out of the loop and it observes no stop or cancellation [threadleak-select-loop-no-exit]
  // CHECK: :[[@LINE+1]]:9: note: waits here in 'poll'; whatever it reports, the loop goes on
    if (poll(fds, 2, 0) > 0)
      on_readable(fds[0].fd);
    boost::this_thread::sleep_for(10ms);
  }
}

void std_thread(pollfd *fds) {
  // No boost::thread: the interruption point is a no-op.
  std::thread t([fds] { poll_sleeping(fds); });
  // CHECK: :[[@LINE-1]]:15: note: thread started here
  // CHECK: :[[@LINE-2]]:25: note: the thread's body calls 'poll_sleeping' here
  t.join();
}

// Negative: the owner interrupts the thread it holds.
class Reactor {
public:
  void start() {
    t_ = boost::thread([this] { run(); });
  }
  void stop() {
    t_.interrupt();
    t_.join();
  }

private:
  void run() {
    for (;;) {
      boost::this_thread::interruption_point();
      if (poll(fds_, 2, 100) > 0)
        on_readable(fds_[0].fd);
    }
  }
  pollfd fds_[2] = {};
  boost::thread t_;
};

// The same member thread, which nobody interrupts: its join() hangs.
class UninterruptedReactor {
public:
  void start() {
    t_ = boost::thread([this] { run(); });
  }
  void stop() { t_.join(); }

private:
  void run() {
    for (;;) {
    // CHECK: :[[@LINE-1]]:5: warning: endless loop around a multi-way wait: no alternative leads out of the loop and it observes no stop or cancellation [threadleak-select-loop-no-exit]
    // CHECK: :[[@LINE+4]]:11: note: waits here in 'poll'; whatever it reports, the loop goes on
    // CHECK: :[[@LINE-9]]:10: note: thread started here
    // CHECK: :[[@LINE-10]]:33: note: the thread's body calls 'run' here
      boost::this_thread::interruption_point();
      if (poll(fds_, 2, 100) > 0)
        on_readable(fds_[0].fd);
    }
  }
  pollfd fds_[2] = {};
  boost::thread t_;
};

//===-- Timed waits that never give up -------------------------------------===//

class Mux {
public:
  void start() {
    t_ = std::thread([this] { run(); });
  }
  ~Mux() {
    stop_ = true;
    if (t_.joinable())
      t_.join();
  }

private:
  void run() {
    std::unique_lock<std::mutex> lk(m_);
    for (;;) {
    // CHECK: :[[@LINE-1]]:5: warning: endless loop around a multi-way wait: no alternative leads out of the loop and it observes no stop or cancellation [threadleak-select-loop-no-exit]
    // CHECK: :[[@LINE+10]]:11: note: waits here in 'poll'; whatever it reports, the loop goes on
    // CHECK: :[[@LINE+6]]:11: note: the loop's way out 'stop_ && ready_.empty()' is tested only right after the wait returns with its predicate true, when it cannot hold
    // CHECK: :[[@LINE+3]]:12: note: a timeout of this wait leads back to waiting, not out of the loop
    // CHECK: :[[@LINE-16]]:10: note: thread started here
    // CHECK: :[[@LINE-17]]:31: note: the thread's body calls 'run' here
      if (!cv_.wait_for(lk, 10ms, [this] { return !ready_.empty(); }))
        continue;
      if (stop_ && ready_.empty())
        return;
      ready_.pop_front();
      if (poll(fds_, 2, 0) > 0)
        on_readable(fds_[0].fd);
    }
  }
  void run_fixed() {
    std::unique_lock<std::mutex> lk(m_);
    while (!stop_) {
      if (!cv_.wait_for(lk, 10ms, [this] { return !ready_.empty(); }))
        continue;
      ready_.pop_front();
      if (poll(fds_, 2, 0) > 0)
        on_readable(fds_[0].fd);
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> ready_;
  bool stop_ = false;
  pollfd fds_[2] = {};
  std::thread t_;
  std::thread fixed_{[this] { run_fixed(); }};
};
