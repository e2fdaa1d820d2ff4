// threadleak-cv-wait-no-stop does not follow a context into a modelled
// channel operation (the channel checks own that wait), and a stop path
// that calls through a std::function is code it cannot read.
//
// Without the model file the queue is just a class: its internal wait is
// reported, through the worker's call of pop().
// RUN: not %threadleak --checks='-*,threadleak-cv-wait-no-stop' %s -- %stubflags | %check-all --check-prefix=PLAIN %s
// RUN: %tidy --checks='-*,threadleak-cv-wait-no-stop' %s -- %stubflags | %check-all --check-prefix=PLAIN %s
//
// Declared as a channel, pop() is a receive: no cv finding in it.
// RUN: rm -rf %t && mkdir -p %t && cp %s %t/channels.cpp
// RUN: printf 'Model:\n  Channels:\n    - Type: app::BlockingQueue\n      Receive: [pop]\n      Send: [push]\n      Close: [shutdown]\n' > %t/.threadleak.yaml
// RUN: %threadleak --checks='-*,threadleak-cv-wait-no-stop' %t/channels.cpp -- %stubflags | %check-all --allow-empty --check-prefix=MODEL %s
// RUN: %tidy --checks='-*,threadleak-cv-wait-no-stop' %t/channels.cpp -- %stubflags | %check-all --allow-empty --check-prefix=MODEL %s
// MODEL-NOT: warning:

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace app {
// An in-house blocking queue; its shutdown() wakes pop(), but the worker
// owner below never calls it: the channel checks' business, not this one's.
class BlockingQueue {
public:
  bool pop(int &out) {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return closed_ || !items_.empty(); });
    // PLAIN: :[[@LINE-1]]:9: warning: wait on 'cv_' can block forever: nothing on the stop path makes its predicate true [threadleak-cv-wait-no-stop]
    // PLAIN: :[[@LINE-2]]:18: note: the predicate reads 'closed_', 'items_'
    // PLAIN: :[[@LINE+22]]:3: note: stop path '~Consumer' changes none of it
    // PLAIN: :[[@LINE+20]]:16: note: thread started here
    // PLAIN: :[[@LINE+19]]:33: note: the thread's body calls 'drain' here
    // PLAIN: :[[@LINE+24]]:12: note: which calls 'pop' here
    if (items_.empty())
      return false;
    out = items_.front();
    items_.pop_front();
    return true;
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> items_;
  bool closed_ = false;
};
} // namespace app

class Consumer {
public:
  Consumer() : thread_([this] { drain(); }) {}
  ~Consumer() { thread_.join(); }

private:
  void drain() {
    int v;
    while (q_.pop(v)) {
    }
  }
  app::BlockingQueue q_;
  std::thread thread_;
};

// The stop path calls a cancel function held in a std::function member:
// what it does cannot be read, so it may well wake the worker.
class Canceller {
public:
  Canceller() : thread_([this] { run(); }) {}
  void stop() {
    cancel_();
    thread_.join();
  }

private:
  void run() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return cancelled_; });
  }
  std::mutex m_;
  std::condition_variable cv_;
  bool cancelled_ = false;
  std::function<void()> cancel_;
  std::thread thread_;
};
