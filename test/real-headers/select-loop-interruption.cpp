// REQUIRES: boost
// RUN: not %threadleak --checks='-*,threadleak-select-loop-no-exit' %s -- %realflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-select-loop-no-exit' %s -- %realflags | %check-all %s

// threadleak-select-loop-no-exit on Boost 1.81's real boost::thread: an
// interruption point is a way out only where interrupt() can reach the
// thread. The holder of a construction (a local, a member assigned a
// temporary through boost::thread's move assignment) is found through the
// real constructor templates.

#include <boost/thread.hpp>
#include <poll.h>

void on_readable(int fd);

void poll_loop(pollfd *fds) {
  for (;;) {
  // CHECK: :[[@LINE-1]]:3: warning: endless loop around a multi-way wait: no alternative leads out of the loop and it observes no stop or cancellation [threadleak-select-loop-no-exit]
  // CHECK: :[[@LINE+2]]:9: note: waits here in 'poll'; whatever it reports, the loop goes on
    boost::this_thread::interruption_point();
    if (poll(fds, 2, 100) > 0)
      on_readable(fds[0].fd);
  }
}

void joined_never_interrupted(pollfd *fds) {
  boost::thread t([fds] { poll_loop(fds); });
  // CHECK: :[[@LINE-1]]:17: note: thread started here
  // CHECK: :[[@LINE-2]]:27: note: the thread's body calls 'poll_loop' here
  t.join();
}

// Negative: the owner interrupts the thread it holds.
class Reactor {
public:
  void start() { t_ = boost::thread([this] { run(); }); }
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
