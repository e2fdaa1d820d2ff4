// RUN: not %threadleak --checks='-*,threadleak-cv-wait-no-stop' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-cv-wait-no-stop' %s -- %stubflags | %check-all %s

// threadleak-cv-wait-no-stop: a worker waits on a condition variable, and
// nothing on its owner's stop path (destructor, stop(), shutdown(), ...)
// both makes the predicate true and notifies.

#include <atomic>
#include <boost/thread.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <vector>
#include <mutex>
#include <stop_token>
#include <thread>

void run(int);
void shutdown_impl(void *self);

//===-- Positive: the SPEC's example -----------------------------------------===//

// cv-wait-no-stop: on shutdown nothing makes the predicate true.
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
      cv_.wait(lk, [&] { return !queue_.empty(); });   // fix: || stopping_, and notify in stop()
      // CHECK: :[[@LINE-1]]:11: warning: wait on 'cv_' can block forever: nothing on the stop path makes its predicate true [threadleak-cv-wait-no-stop]
      // CHECK: :[[@LINE-2]]:20: note: the predicate reads 'queue_'
      // CHECK: :[[@LINE-16]]:3: note: stop path '~Pool' changes none of it
      // CHECK: :[[@LINE-18]]:12: note: thread started here
      // CHECK: :[[@LINE-19]]:29: note: the thread's body calls 'worker' here
      run(pop());
    }
  }
  int pop() {
    int v = queue_.front();
    queue_.pop_front();
    return v;
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

//===-- Positive -------------------------------------------------------------===//

// The stop path sets the flag the loop tests, but never notifies: the
// worker sleeps on.
class Drainer {
public:
  Drainer() : thread_([this] { drain(); }) {}
  void stop() {
    stopping_ = true;
    thread_.join();
  }

private:
  void drain() {
    std::unique_lock lk(m_);
    while (!stopping_ && queue_.empty())
      cv_.wait(lk);
      // CHECK: :[[@LINE-1]]:11: warning: wait on 'cv_' can block forever: the stop path changes 'stopping_' but never notifies 'cv_' [threadleak-cv-wait-no-stop]
      // CHECK: :[[@LINE-10]]:5: note: 'stopping_' is changed here
      // CHECK: :[[@LINE-12]]:8: note: 'stop' calls neither notify_one() nor notify_all() on 'cv_'
      // CHECK: :[[@LINE-14]]:15: note: thread started here
      // CHECK: :[[@LINE-15]]:32: note: the thread's body calls 'drain' here
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> queue_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// A timed wait in a loop that never checks anything: it wakes up every
// 100ms, forever.
class Flusher {
public:
  Flusher() : thread_([this] { loop(); }) {}
  ~Flusher() { thread_.join(); }

private:
  void loop() {
    std::unique_lock lk(m_);
    for (;;) {
      cv_.wait_for(lk, std::chrono::milliseconds(100));
      // CHECK: :[[@LINE-1]]:11: warning: timed wait on 'cv_' in a loop that never checks a stop condition: the thread wakes up but never leaves [threadleak-cv-wait-no-stop]
      // CHECK: :[[@LINE-3]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
      // CHECK: :[[@LINE-10]]:15: note: thread started here
      // CHECK: :[[@LINE-11]]:32: note: the thread's body calls 'loop' here
      run(0);
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::thread thread_;
};

// A local condition variable whose owner never sets `done`.
void forgets_done() {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  std::thread t([&] {
    std::unique_lock lk(m);
    cv.wait(lk, [&] { return done; });
    // CHECK: :[[@LINE-1]]:8: warning: wait on 'cv' can block forever: nothing on the stop path makes its predicate true [threadleak-cv-wait-no-stop]
    // CHECK: :[[@LINE-2]]:17: note: the predicate reads 'done'
    // CHECK: :[[@LINE-9]]:6: note: 'forgets_done' declares 'cv' and, apart from the thread, changes none of it
    // CHECK: :[[@LINE-6]]:15: note: thread started here
  });
  t.join();
}

// A queue class whose close() sets the flag without notifying; the worker
// waits inside pop(), called from the thread body. The predicate is a
// named lambda.
class Queue {
public:
  int pop() {
    std::unique_lock lk(m_);
    auto ready = [this] { return closed_ || !items_.empty(); };
    cv_.wait(lk, ready);
    // CHECK: :[[@LINE-1]]:9: warning: wait on 'cv_' can block forever: the stop path changes 'closed_' but never notifies 'cv_' [threadleak-cv-wait-no-stop]
    // CHECK: :[[@LINE+19]]:5: note: 'closed_' is changed here
    // CHECK: :[[@LINE+16]]:8: note: 'close' calls neither notify_one() nor notify_all() on 'cv_'
    // CHECK: :[[@LINE+27]]:15: note: thread started here
    // CHECK: :[[@LINE+27]]:22: note: the thread's body calls 'pop' here
    if (items_.empty())
      return -1;
    int v = items_.front();
    items_.pop_front();
    return v;
  }
  void push(int v) {
    {
      std::lock_guard lk(m_);
      items_.push_back(v);
    }
    cv_.notify_one();
  }
  void close() {
    std::lock_guard lk(m_);
    closed_ = true;
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> items_;
  bool closed_ = false;
};
void consume(Queue &q) {
  std::thread t([&q] {
    for (int v; (v = q.pop()) >= 0;)
      run(v);
  });
  t.detach();
}

// Boost.Thread: the same mistake.
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

//===-- Negative: the idiomatic fixes ------------------------------------------===//

// The shutdown flag is in the predicate, set under the lock, and notified.
class FixedPool {
public:
  FixedPool() : thread_([this] { worker(); }) {}
  ~FixedPool() {
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
      cv_.wait(lk, [&] { return !queue_.empty() || stopping_; });
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

// stop() sets the flag and a helper notifies.
class HelperNotify {
public:
  HelperNotify() : thread_([this] { worker(); }) {}
  void shutdown() {
    stopping_ = true;
    wake();
    thread_.join();
  }

private:
  void wake() { cv_.notify_all(); }
  void worker() {
    std::unique_lock lk(m_);
    cv_.wait(lk, [&] { return stopping_.load(); });
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// A poison pill: stop() pushes a sentinel through the normal path, which
// writes the queue and notifies.
class PoisonPill {
public:
  PoisonPill() : thread_([this] { worker(); }) {}
  ~PoisonPill() {
    push(-1);
    thread_.join();
  }
  void push(int v) {
    {
      std::lock_guard lk(m_);
      queue_.push_back(v);
    }
    cv_.notify_one();
  }

private:
  void worker() {
    std::unique_lock lk(m_);
    for (;;) {
      cv_.wait(lk, [&] { return !queue_.empty(); });
      int v = queue_.front();
      queue_.pop_front();
      if (v < 0)
        return;
      run(v);
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> queue_;
  std::thread thread_;
};

// The stop_token overload: ~jthread() requests stop, which wakes the wait.
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

// A timed wait in a loop that tests the stop flag.
class TimedFlusher {
public:
  TimedFlusher() : thread_([this] { loop(); }) {}
  ~TimedFlusher() {
    stopping_ = true;
    thread_.join();
  }

private:
  void loop() {
    std::unique_lock lk(m_);
    while (!stopping_) {
      cv_.wait_for(lk, std::chrono::milliseconds(100));
      run(0);
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// Boost: interrupt() ends a wait on a boost::condition_variable.
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

// A local condition variable: the owner sets `done` and notifies.
void sets_done() {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  std::thread t([&] {
    std::unique_lock lk(m);
    cv.wait(lk, [&] { return done; });
  });
  {
    std::lock_guard lk(m);
    done = true;
  }
  cv.notify_one();
  t.join();
}

// A queue whose close() sets the flag and notifies.
class ClosingQueue {
public:
  int pop() {
    std::unique_lock lk(m_);
    cv_.wait(lk, [this] { return closed_ || !items_.empty(); });
    if (items_.empty())
      return -1;
    int v = items_.front();
    items_.pop_front();
    return v;
  }
  void close() {
    {
      std::lock_guard lk(m_);
      closed_ = true;
    }
    cv_.notify_all();
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> items_;
  bool closed_ = false;
};
void consume_closing(ClosingQueue &q) {
  std::thread t([&q] {
    for (int v; (v = q.pop()) >= 0;)
      run(v);
  });
  t.detach();
}

// Google style: Shutdown() (any case, any suffix: StopAndJoin, close_all)
// is a stop method; the destructor only joins.
class GoogleStyle {
public:
  GoogleStyle() : thread_([this] { Run(); }) {}
  ~GoogleStyle() { thread_.join(); }
  void ShutdownAndWait() {
    {
      std::lock_guard lk(mu_);
      shutting_down_ = true;
    }
    cv_.notify_all();
  }

private:
  void Run() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [this] { return shutting_down_; });
  }
  std::mutex mu_;
  std::condition_variable cv_;
  bool shutting_down_ = false;
  std::thread thread_;
};

//===-- Negative: what we cannot judge, and what another check reports ---------===//

// No stop path in sight, but nothing can ever wake it: see "A condition
// variable nothing notifies" below.
class NoStopPath {
public:
  NoStopPath() : thread_([this] { worker(); }) {}

private:
  void worker() {
    std::unique_lock lk(m_);
    cv_.wait(lk, [&] { return ready_; });
    // CHECK: :[[@LINE-1]]:9: warning: wait on 'cv_' can block forever: nothing notifies 'cv_' or changes what its predicate reads [threadleak-cv-wait-no-stop]
    // CHECK: :[[@LINE-2]]:18: note: the predicate reads 'ready_'
    // CHECK: :[[@LINE+5]]:27: note: 'cv_' is a private member of 'NoStopPath', whose member functions are all the code that can reach it
    // CHECK: :[[@LINE-9]]:18: note: thread started here
    // CHECK: :[[@LINE-10]]:35: note: the thread's body calls 'worker' here
  }
  std::mutex m_;
  std::condition_variable cv_;
  bool ready_ = false;
  std::thread thread_;
};

// The stop path hands the object to code we cannot read.
class Opaque {
public:
  Opaque() : thread_([this] { worker(); }) {}
  ~Opaque() {
    shutdown_impl(this);
    thread_.join();
  }

private:
  void worker() {
    std::unique_lock lk(m_);
    cv_.wait(lk, [&] { return ready_; });
  }
  std::mutex m_;
  std::condition_variable cv_;
  bool ready_ = false;
  std::thread thread_;
};

// No predicate and no loop: bugprone-spuriously-wake-up-functions' finding.
class Spurious {
public:
  Spurious() : thread_([this] { worker(); }) {}
  ~Spurious() { thread_.join(); }

private:
  void worker() {
    std::unique_lock lk(m_);
    cv_.wait(lk);
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::thread thread_;
};

//===-- A condition variable nothing notifies --------------------------------===//

// No stop path at all, but nothing that can reach cv_ (the class's own
// member functions: it is private, and all of them are defined here)
// notifies it or sets ready_.
class NeverNotified {
public:
  void start() { thread_ = std::thread([this] { run(); }); }
  void detach() { thread_.detach(); }

private:
  void run() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return ready_; });
    // CHECK: :[[@LINE-1]]:9: warning: wait on 'cv_' can block forever: nothing notifies 'cv_' or changes what its predicate reads [threadleak-cv-wait-no-stop]
    // CHECK: :[[@LINE-2]]:18: note: the predicate reads 'ready_'
    // CHECK: :[[@LINE+7]]:27: note: 'cv_' is a private member of 'NeverNotified', whose member functions are all the code that can reach it
    // CHECK: :[[@LINE-10]]:28: note: thread started here
    // CHECK: :[[@LINE-11]]:49: note: the thread's body calls 'run' here
    run(1);
  }
  void run(int) {}
  std::mutex m_;
  std::condition_variable cv_;
  bool ready_ = false;
  std::thread thread_;
};

// The same, with a local condition variable.
void never_notified_local() {
  std::mutex m;
  std::condition_variable cv;
  bool go = false;
  std::thread t([&] {
    std::unique_lock<std::mutex> lk(m);
    while (!go)
      cv.wait(lk);
      // CHECK: :[[@LINE-1]]:10: warning: wait on 'cv' can block forever: nothing on the stop path makes its loop's condition change [threadleak-cv-wait-no-stop]
      // CHECK: :[[@LINE-3]]:5: note: the loop reads 'go'
      // CHECK: :[[@LINE-10]]:6: note: 'never_notified_local' declares 'cv' and, apart from the thread, changes none of it
      // CHECK: :[[@LINE-7]]:15: note: thread started here
  });
  t.detach();
}

// Negative: a member function sets the flag (the stop-path rules decide);
// one is defined elsewhere; the condition variable escapes to a helper.
void wake_up(std::condition_variable &cv);
class SetsFlag {
public:
  void start() { thread_ = std::thread([this] { run(); }); }
  void go() { ready_ = true; }

private:
  void run() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return ready_; });
  }
  std::mutex m_;
  std::condition_variable cv_;
  bool ready_ = false;
  std::thread thread_;
};
class DefinedElsewhere {
public:
  void start() { thread_ = std::thread([this] { run(); }); }
  void notify();

private:
  void run() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return ready_; });
  }
  std::mutex m_;
  std::condition_variable cv_;
  bool ready_ = false;
  std::thread thread_;
};
class Escapes {
public:
  void start() { thread_ = std::thread([this] { run(); }); }
  void poke() { wake_up(cv_); }

private:
  void run() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return ready_; });
  }
  std::mutex m_;
  std::condition_variable cv_;
  bool ready_ = false;
  std::thread thread_;
};

// Correct: the wait is the stop path's own. Stop() waits for the workers
// to finish; what wakes it is their ends, not a stop path.
namespace stop_waits {
class Stopper {
public:
  ~Stopper() {
    for (auto &w : workers_)
      w.join();
  }
  void RunWorker(std::function<void()> f) {
    {
      std::lock_guard<std::mutex> lk(stopMu_);
      ++running_;
    }
    workers_.emplace_back([this, f = std::move(f)] {
      f();
      SetStopped();
    });
  }
  void SetStopped() {
    std::lock_guard<std::mutex> lk(stopMu_);
    if (--running_ == 0)
      stopCv_.notify_all();
  }
  void FinishTask() {
    std::lock_guard<std::mutex> lk(mu_);
    --numTasks_;
    drain_.notify_all();
  }
  void Stop() {
    {
      std::unique_lock<std::mutex> lk(mu_);
      drain_.wait(lk, [this] { return numTasks_ == 0; });
    }
    std::unique_lock<std::mutex> lk(stopMu_);
    stopCv_.wait(lk, [this] { return running_ == 0; });
  }

private:
  std::mutex stopMu_, mu_;
  std::condition_variable stopCv_, drain_;
  int running_ = 0, numTasks_ = 0;
  std::vector<std::thread> workers_;
};
void stopFromThread() {
  std::thread g([] {
    Stopper s;
    s.RunWorker([] {});
    s.Stop();
  });
  g.join();
}
} // namespace stop_waits

// One implementation behind two sends: `send(v)` passes no token, the wait
// under `if (!ctx)` is its; `send(v, ctx)` hands its token's address, and
// its waits give up on the stop (loki#21062's fix).
class TokenChan {
public:
  void send(int v) { (void)sendImpl(v, nullptr); }
  bool send(int v, std::stop_token ctx) { return sendImpl(v, &ctx); }
  void close() {
    std::lock_guard<std::mutex> lk(mu_);
    closed_ = true;
    cv_.notify_all();
  }

private:
  bool sendImpl(int v, std::stop_token *ctx) {
    std::unique_lock<std::mutex> lk(mu_);
    auto taken = [&] { return !full_; };
    if (ctx) {
      if (!cv_.wait(lk, *ctx, taken))
        return false;
    } else {
      cv_.wait(lk, taken);
    }
    full_ = true;
    value_ = v;
    cv_.notify_all();
    return true;
  }
  std::mutex mu_;
  std::condition_variable_any cv_;
  bool full_ = false, closed_ = false;
  int value_ = 0;
};
void feedWithToken(TokenChan &ch, std::stop_token ctx) {
  std::thread([&ch, ctx] { ch.send(1, ctx); }).detach();
}

// One take() for polling and blocking readers: a caller passing `false`
// never reaches the wait under `if (block)`; one passing `true` does.
class Polled {
public:
  bool take(bool block, int &out) {
    std::unique_lock<std::mutex> lk(mu_);
    if (block)
      cv_.wait(lk, [this] { return ready_; });
      // CHECK: :[[@LINE-1]]:11: warning: wait on 'cv_' can block forever: nothing on the stop path makes its predicate true [threadleak-cv-wait-no-stop]
      // CHECK: :[[@LINE-2]]:20: note: the predicate reads 'ready_'
      // CHECK: :[[@LINE+43]]:3: note: stop path '~BlockingReader' changes none of it
      // CHECK: :[[@LINE+35]]:10: note: thread started here
      // CHECK: :[[@LINE+37]]:13: note: the thread's body calls 'take' here
    if (!ready_)
      return false;
    ready_ = false;
    out = value_;
    return true;
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool ready_ = false;
  int value_ = 0;
};
struct Poller {
  void start() {
    t_ = std::thread([this] {
      int v;
      while (!stop_)
        if (p_.take(false, v))
          sum_ += v;
    });
  }
  ~Poller() {
    stop_ = true;
    t_.join();
  }
  Polled p_;
  std::atomic<bool> stop_{false};
  std::thread t_;
  long sum_ = 0;
};
struct BlockingReader {
  void start() {
    t_ = std::thread([this] {
      int v;
      while (!stop_)
        if (p_.take(true, v))
          sum_ += v;
    });
  }
  ~BlockingReader() {
    stop_ = true;
    t_.join();
  }
  Polled p_;
  std::atomic<bool> stop_{false};
  std::thread t_;
  long sum_ = 0;
};

// A stop path the worker calls itself on its way to the wait: its write is
// made before the predicate is first tested, so no notify is missing
// (emmett-framework/granian#901's runtime thread: `tasks->close();
// tasks->wait();`).
class TaskTracker {
public:
  void close() {
    std::lock_guard<std::mutex> lk(mu_);
    closed_ = true;
  }
  void wait() {
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait(lk, [this] { return closed_ && running_ == 0; });
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool closed_ = false;
  int running_ = 0;
};
struct Runtime {
  void start() {
    t_ = std::thread([this] {
      tasks_.close();
      tasks_.wait();
    });
  }
  ~Runtime() { t_.join(); }
  TaskTracker tasks_;
  std::thread t_;
};
