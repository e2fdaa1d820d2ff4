// RUN: not %threadleak --checks='-*,threadleak-jthread-ignores-stop' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-jthread-ignores-stop' %s -- %stubflags | %check-all %s

// A stop token read somewhere is not a stop-aware wait: a jthread whose
// loop tests stop_requested() but blocks inside the loop, on every turn, in
// a wait a stop request cannot wake, hangs in ~jthread(). So does one that
// retries a timed wait until it succeeds.

#include <boost/fiber/all.hpp>
#include <boost/thread.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stop_token>
#include <thread>

using namespace std::chrono_literals;

void handle(int);

//===-- Positive -----------------------------------------------------------===//

class ChannelConsumer {
public:
  void submit(int v) { jobs_.push(v); }

private:
  boost::fibers::buffered_channel<int> jobs_{64};
  std::jthread worker_{[this](std::stop_token st) {
  // CHECK: :[[@LINE-1]]:23: warning: std::jthread's callable checks its stop token only between waits that a stop request cannot interrupt; ~jthread() may wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE+3]]:5: note: only a stop request ends this loop, and it is checked only between waits
  // CHECK: :[[@LINE+3]]:7: note: blocks here with no timeout and no stop token, and no std::stop_callback wakes it
    int v = 0;
    while (!st.stop_requested()) {
      jobs_.pop(v);
      handle(v);
    }
  }};
};

class CvConsumer {
public:
  void submit(int v) {
    {
      std::lock_guard<std::mutex> g(m_);
      q_.push_back(v);
    }
    cv_.notify_one();
  }
  ~CvConsumer() { cv_.notify_all(); } // the predicate still fails

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> q_;
  std::jthread worker_{[this](std::stop_token st) {
  // CHECK: :[[@LINE-1]]:23: warning: std::jthread's callable checks its stop token only between waits that a stop request cannot interrupt; ~jthread() may wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE+2]]:5: note: only a stop request ends this loop, and it is checked only between waits
  // CHECK: :[[@LINE+3]]:7: note: blocks here with no timeout and no stop token, and no std::stop_callback wakes it
    for (;;) {
      std::unique_lock<std::mutex> lk(m_);
      cv_.wait(lk, [this] { return !q_.empty(); });
      int v = q_.front();
      q_.pop_front();
      lk.unlock();
      handle(v);
      if (st.stop_requested())
        break;
    }
  }};
};

class DisguisedTimedWait {
private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> q_;
  std::jthread worker_{[this](std::stop_token st) {
  // CHECK: :[[@LINE-1]]:23: warning: std::jthread's callable checks its stop token only between waits that a stop request cannot interrupt; ~jthread() may wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE+2]]:5: note: only a stop request ends this loop, and it is checked only between waits
  // CHECK: :[[@LINE+4]]:15: note: retries this timed wait until it succeeds: a stop request cannot end it, and no std::stop_callback wakes it
    while (!st.stop_requested()) {
      std::unique_lock<std::mutex> lk(m_);
      // Wakes up every 100ms, and goes straight back to waiting.
      while (!cv_.wait_for(lk, 100ms, [this] { return !q_.empty(); })) {
      }
      handle(q_.front());
      q_.pop_front();
    }
  }};
};

// The predicate reads the token, but nothing notifies on a stop request.
class PredicateReadsToken {
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
      cv_.wait(lk, [&] { return st.stop_requested() || !q_.empty(); });
      if (!q_.empty())
        q_.pop_front();
    }
  }};
};

void local_channel() {
  boost::fibers::unbuffered_channel<int> ch;
  std::jthread t([&ch](std::stop_token st) {
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable checks its stop token only between waits that a stop request cannot interrupt; ~jthread() may wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE+3]]:5: note: only a stop request ends this loop, and it is checked only between waits
  // CHECK: :[[@LINE+4]]:7: note: blocks here with no timeout and no stop token, and no std::stop_callback wakes it
    int v = 0;
    while (!st.stop_requested()) {
      // Sends feed one more turn; nothing closes the channel.
      ch.pop(v);
      handle(v);
    }
  });
  ch.push(1);
  ch.push(2);
}

void ignored_token_disguised_wait(std::mutex &m, std::condition_variable &cv, bool &ready) {
  // Takes its token, ignores it, and retries a timed wait forever.
  std::jthread t([&](std::stop_token) {
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable takes a std::stop_token but never checks it; a stop request cannot interrupt its blocking wait and ~jthread() may wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:22: note: the std::stop_token parameter is never used
  // CHECK: :[[@LINE+2]]:13: note: retries this timed wait until it succeeds, with no stop token
    std::unique_lock<std::mutex> lk(m);
    while (!cv.wait_for(lk, 100ms, [&] { return ready; })) {
    }
  });
}

// A Boost interruption point is a no-op on a std::jthread.
void boost_interruption_point() {
  std::jthread t([] {
    for (;;)
      boost::this_thread::sleep_for(100ms);
  });
  // CHECK: :[[@LINE-4]]:16: warning: std::jthread's callable never observes its stop token; ~jthread() will request stop and then wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-4]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

// Its only way out cannot hold right after the wait; a timeout goes back.
class Drainer {
private:
  void run() {
    std::unique_lock<std::mutex> lk(m_);
    for (;;) {
      if (!cv_.wait_for(lk, 100ms, [this] { return !q_.empty(); }))
        continue;
      if (q_.empty())
        return;
      handle(q_.front());
      q_.pop_front();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> q_;
  std::jthread worker_{[this] { run(); }};
  // CHECK: :[[@LINE-1]]:23: warning: std::jthread's callable never observes its stop token; ~jthread() will request stop and then wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:33: note: the thread's body calls 'run' here
  // CHECK: :[[@LINE-15]]:5: note: this loop never exits: its way out 'q_.empty()' is tested only right after the wait returns with its predicate true, when it cannot hold
  // CHECK: :[[@LINE-15]]:12: note: a timeout of this wait leads back to waiting, not out of the loop
};

//===-- Negative -----------------------------------------------------------===//

// The destructor closes the channel before ~jthread() joins.
class ClosingConsumer {
public:
  ~ClosingConsumer() { jobs_.close(); }

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

// A producer closes the channel when it is done.
class ProducerCloses {
public:
  void finish() { jobs_.close(); }

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

// The channel is somebody else's: a parameter.
void channel_parameter(boost::fibers::buffered_channel<int> &jobs) {
  std::jthread t([&jobs](std::stop_token st) {
    int v = 0;
    while (!st.stop_requested()) {
      jobs.pop(v);
      handle(v);
    }
  });
}

// A std::stop_callback on the same token notifies the condition variable.
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

// condition_variable_any's stop-aware wait.
class StopAwareWait {
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

// Timed waits come back to the token.
class TimedWaits {
private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> q_;
  boost::fibers::buffered_channel<int> jobs_{64};
  std::jthread a_{[this](std::stop_token st) {
    while (!st.stop_requested()) {
      std::unique_lock<std::mutex> lk(m_);
      if (!cv_.wait_for(lk, 100ms, [this] { return !q_.empty(); }))
        continue;
      q_.pop_front();
    }
  }};
  std::jthread b_{[this](std::stop_token st) {
    int v = 0;
    while (!st.stop_requested())
      if (jobs_.pop_wait_for(v, 100ms) == boost::fibers::channel_op_status::success)
        handle(v);
  }};
  // The retried wait's predicate reads the token.
  std::jthread c_{[this](std::stop_token st) {
    while (!st.stop_requested()) {
      std::unique_lock<std::mutex> lk(m_);
      while (!cv_.wait_for(lk, 100ms, [&] { return st.stop_requested() || !q_.empty(); })) {
      }
      if (!q_.empty())
        q_.pop_front();
    }
  }};
};

// The owner stops the jthread itself, and wakes the wait.
class ExplicitStop {
public:
  ~ExplicitStop() {
    worker_.request_stop();
    cv_.notify_all();
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> q_;
  std::jthread worker_{[this](std::stop_token st) {
    while (!st.stop_requested()) {
      std::unique_lock<std::mutex> lk(m_);
      cv_.wait(lk, [&] { return st.stop_requested() || !q_.empty(); });
    }
  }};
};

// The destructor sets what the predicate reads, and notifies.
class FlagAndNotify {
public:
  ~FlagAndNotify() {
    {
      std::lock_guard<std::mutex> g(m_);
      done_ = true;
    }
    cv_.notify_all();
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> q_;
  bool done_ = false;
  std::jthread worker_{[this](std::stop_token st) {
    while (!st.stop_requested()) {
      std::unique_lock<std::mutex> lk(m_);
      cv_.wait(lk, [this] { return done_ || !q_.empty(); });
      if (!q_.empty())
        q_.pop_front();
    }
  }};
};

// The wait is only on some turns, or the loop has another way out.
void other_exits(boost::fibers::buffered_channel<int> &ch, bool &more) {
  std::jthread a([&](std::stop_token st) {
    int v = 0;
    while (!st.stop_requested())
      if (more)
        ch.pop(v);
  });
  std::jthread b([&](std::stop_token st) {
    int v = 0;
    while (!st.stop_requested()) {
      if (ch.pop(v) == boost::fibers::channel_op_status::closed)
        return;
      handle(v);
    }
  });
}
