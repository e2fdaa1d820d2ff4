// RUN: not %threadleak --checks='-*,threadleak-cv-wait-no-stop' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-cv-wait-no-stop' %s -- %stubflags | %check-all %s

// What counts as a stop path: a method whose name starts with a stop word
// or has one after a first word that is not an accessor's (yuzu#7670's
// GPU::NotifyShutdown); a method that waits, untimed, for its stop token
// (promql-engine#94's drainBufferOnCancel: what it does next runs once the
// stop comes).

#include <condition_variable>
#include <deque>
#include <mutex>
#include <stop_token>
#include <thread>

// Negative: NotifyShutdown() wakes the fence wait.
class Gpu {
public:
  void WaitFence(int v) {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return done_ >= v || shutting_down_; });
  }
  void NotifyShutdown() {
    std::lock_guard g(mu_);
    shutting_down_ = true;
    cv_.notify_all();
  }
  void Stop() {}

private:
  std::mutex mu_;
  std::condition_variable cv_;
  int done_ = 0;
  bool shutting_down_ = false;
};
class Presenter {
public:
  explicit Presenter(Gpu &g) : gpu_(g), t_([this] { gpu_.WaitFence(3); }) {}
  ~Presenter() { t_.join(); }

private:
  Gpu &gpu_;
  std::thread t_;
};

// Positive: the method that sets the flag is an accessor by its name, and
// Stop() changes nothing the wait reads.
class Gpu2 {
public:
  void WaitFence(int v) {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return done_ >= v || shutting_down_; });
  }
  void setShutdownFlag() {
    std::lock_guard g(mu_);
    shutting_down_ = true;
    cv_.notify_all();
  }
  void Stop() {}

private:
  std::mutex mu_;
  std::condition_variable cv_;
  int done_ = 0;
  bool shutting_down_ = false;
};
class Presenter2 {
public:
  explicit Presenter2(Gpu2 &g) : gpu_(g), t_([this] { gpu_.WaitFence(3); }) {}
  ~Presenter2() { t_.join(); }

private:
  Gpu2 &gpu_;
  std::thread t_;
};
// CHECK: :[[@LINE-24]]:9: warning: wait on 'cv_' can block forever: nothing on the stop path makes its predicate true [threadleak-cv-wait-no-stop]
// CHECK: :[[@LINE-25]]:18: note: the predicate reads 'done_', 'v', 'shutting_down_'
// CHECK: :[[@LINE-8]]:3: note: stop path '~Presenter2' changes none of it
// CHECK: :[[@LINE-20]]:8: note: stop path 'Stop' changes none of it
// CHECK: :[[@LINE-11]]:43: note: thread started here
// CHECK: :[[@LINE-12]]:55: note: the thread's body calls 'WaitFence' here

// Negative: a bounded buffer's producer waits for room, which the drainer
// makes once the operator's stop token is stopped.
class Buffer {
public:
  void push(int v) {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return q_.size() < 2; });
    q_.push_back(v);
    cv_.notify_all();
  }
  bool pop() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return !q_.empty() || closed_; });
    if (q_.empty())
      return false;
    q_.pop_front();
    cv_.notify_all();
    return true;
  }
  void close() {
    std::lock_guard g(mu_);
    closed_ = true;
    cv_.notify_all();
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<int> q_;
  bool closed_ = false;
};
class Operator {
public:
  void start(std::stop_token ctx) {
    pull_ = std::jthread([this, ctx] { pull(ctx); });
    drain_ = std::jthread([this, ctx] { drainOnCancel(ctx); });
  }

private:
  void pull(std::stop_token ctx) {
    while (!ctx.stop_requested())
      buffer_.push(1);
    buffer_.close();
  }
  void drainOnCancel(std::stop_token ctx) {
    std::mutex m;
    std::condition_variable_any done;
    std::unique_lock lk(m);
    done.wait(lk, ctx, [] { return false; });
    while (buffer_.pop()) {
    }
  }
  Buffer buffer_;
  std::jthread pull_, drain_;
};

// A semaphore's acquire() in the worker's loop is a wait like a condition
// variable's (derecho#14): the stop path that changes what the loop tests
// must release it.
#include <atomic>
#include <semaphore>

// Positive: shutdown() sets the flag and joins; the worker is parked in
// acquire() with the count at zero.
class Persistence {
public:
  void start() {
    thread_ = std::thread([this] {
      do {
        sem_.acquire();
        handle();
      } while (!shutdown_);
    });
  }
  void post() { sem_.release(); }
  void shutdown() {
    shutdown_ = true;
    thread_.join();
  }

private:
  void handle() {}
  std::thread thread_;
  std::atomic<bool> shutdown_{false};
  std::counting_semaphore<> sem_{0};
};
// CHECK: :[[@LINE-17]]:14: warning: acquire of 'sem_' can block forever: the stop path changes 'shutdown_' but never releases 'sem_' [threadleak-cv-wait-no-stop]
// CHECK: :[[@LINE-19]]:7: note: the thread leaves this loop on 'shutdown_', which it tests only after the acquire returns
// CHECK: :[[@LINE-12]]:5: note: 'shutdown_' is changed here
// CHECK: :[[@LINE-14]]:8: note: 'shutdown' never calls release() on 'sem_'
// CHECK: :[[@LINE-23]]:15: note: thread started here

// Negative: the fix: shutdown() releases it once.
class Persistence2 {
public:
  void start() {
    thread_ = std::thread([this] {
      while (!shutdown_) {
        sem_.acquire();
        handle();
      }
    });
  }
  void post() { sem_.release(); }
  void shutdown() {
    shutdown_ = true;
    sem_.release();
    thread_.join();
  }

private:
  void handle() {}
  std::thread thread_;
  std::atomic<bool> shutdown_{false};
  std::counting_semaphore<> sem_{0};
};

// Negative: no stop path changes what the loop tests (a pool whose workers
// live as long as the process): not this check's question.
class Pool {
public:
  void start() {
    thread_ = std::thread([this] {
      while (running_) {
        sem_.acquire();
      }
    });
  }
  void post() { sem_.release(); }
  void drain() { thread_.detach(); }

private:
  std::thread thread_;
  bool running_ = true;
  std::counting_semaphore<> sem_{0};
};

// Silent: the stop path sets an event, a class that changes its state and
// notifies its own condition variable (Poco's Event): not a bare wrapper of
// the condition variable, so what set() changes is read as the stop path's
// change of the waited-for state.
class Event {
public:
  void set() {
    std::lock_guard<std::mutex> L(mu_);
    state_ = true;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> L(mu_);
    cv_.wait(L, [&] { return state_; });
    state_ = false;
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool state_ = false;
};

class EventWorker {
public:
  EventWorker() : thread_([this] { run(); }) {}
  void stop() {
    stopped_ = true;
    wake_.set();
    thread_.join();
  }

private:
  void run() {
    while (!stopped_)
      wake_.wait();
  }
  Event wake_;
  std::atomic<bool> stopped_{false};
  std::thread thread_;
};

// Silent: a mutex the project writes on a condition variable (Go's
// sync.Mutex, which another thread may unlock). Its lock() waits for the
// holder's unlock(), not for a stop path: whether that can block forever is
// blocked-forever's question.
class GoMutex {
public:
  void lock() {
    std::unique_lock<std::mutex> L(m_);
    cv_.wait(L, [this] { return !locked_; });
    locked_ = true;
  }
  void unlock() {
    std::lock_guard<std::mutex> L(m_);
    locked_ = false;
    cv_.notify_all();
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  bool locked_ = false;
};

class Sweeper {
public:
  Sweeper() : thread_([this] { run(); }) {}
  void Stop() {
    stopped_ = true;
    thread_.join();
  }

private:
  void run() {
    while (!stopped_) {
      filtersMu_.lock();
      ++sweeps_;
      filtersMu_.unlock();
    }
  }
  GoMutex filtersMu_;
  int sweeps_ = 0;
  std::atomic<bool> stopped_{false};
  std::thread thread_;
};
