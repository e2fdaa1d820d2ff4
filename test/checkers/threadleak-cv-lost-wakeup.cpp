// RUN: not %threadleak --checks='-*,threadleak-cv-lost-wakeup' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-cv-lost-wakeup' %s -- %stubflags | %check-all %s

// threadleak-cv-lost-wakeup: state that a wait's predicate reads, changed
// without the waiter's mutex and then notified; changed after the notify;
// or announced on another condition variable.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <pthread.h>
#include <stop_token>
#include <thread>

void process(int);
void log_stop(const char *);
void flush_all(void *owner);

//===-- Positive: rule a, the write without the waiter's mutex ---------------===//

// A camera's destructor clears its atomic flag without the mutex and
// notifies (allwpilib's ~UsbCameraImpl before the fix).
class Camera {
public:
  Camera() : thread_([this] { run(); }) {}
  ~Camera() {
    active_ = false;
    // CHECK: :[[@LINE-1]]:5: warning: lost wake-up: 'active_' is changed without holding 'mutex_', the mutex the wait on 'response_cv_' checks it under; a waiter between its check and its sleep misses the notify and waits forever [threadleak-cv-lost-wakeup]
    // CHECK: :[[@LINE+10]]:20: note: the waiter checks 'active_' here, holding 'mutex_', and then sleeps on 'response_cv_'
    // CHECK: :[[@LINE+1]]:18: note: 'response_cv_' is notified here, and 'mutex_' has not been held since 'active_' changed
    response_cv_.notify_all();
    thread_.join();
  }

private:
  void run() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (active_) {
      response_cv_.wait(lock, [this] { return !active_ || !requests_.empty(); });
      if (!requests_.empty())
        requests_.pop_front();
    }
  }
  std::mutex mutex_;
  std::condition_variable response_cv_;
  std::atomic<bool> active_{true};
  std::deque<int> requests_;
  std::thread thread_;
};

// A predicate-less wait in a loop that tests the flag: the loop's test is
// the predicate (allwpilib's SafeThread::Stop before the fix).
class SafeThread {
public:
  void Stop() {
    m_active = false;
    // CHECK: :[[@LINE-1]]:5: warning: lost wake-up: 'm_active' is changed without holding 'm_mutex', the mutex the wait on 'm_cond' checks it under; a waiter between its check and its sleep misses the notify and waits forever [threadleak-cv-lost-wakeup]
    // CHECK: :[[@LINE+7]]:14: note: the waiter checks 'm_active' here, holding 'm_mutex', and then sleeps on 'm_cond'
    // CHECK: :[[@LINE+1]]:12: note: 'm_cond' is notified here, and 'm_mutex' has not been held since 'm_active' changed
    m_cond.notify_all();
  }
  void Main() {
    std::unique_lock<std::mutex> lock(m_mutex);
    while (m_active) {
      m_cond.wait(lock);
      process(1);
    }
  }

private:
  std::mutex m_mutex;
  std::condition_variable m_cond;
  std::atomic<bool> m_active{true};
};

// The notify is in a helper; the flag is stored with store().
class Reactor {
public:
  void shutdown() {
    state_.store(2, std::memory_order_release);
    // CHECK: :[[@LINE-1]]:5: warning: lost wake-up: 'state_' is changed without holding 'm_', the mutex the wait on 'cv_' checks it under; a waiter between its check and its sleep misses the notify and waits forever [threadleak-cv-lost-wakeup]
    // CHECK: :[[@LINE+8]]:9: note: the waiter checks 'state_' here, holding 'm_', and then sleeps on 'cv_'
    // CHECK: :[[@LINE+2]]:5: note: 'wake' is called here
    // CHECK: :[[@LINE+3]]:21: note: 'cv_' is notified here, and 'm_' has not been held since 'state_' changed
    wake();
  }
  void wake() { cv_.notify_all(); }
  void wait_for_work() {
    std::unique_lock lock(m_);
    cv_.wait(lock, [this] { return state_.load() == 2 || pending_ > 0; });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::atomic<int> state_{0};
  int pending_ = 0;
};

// The write is in a helper; the caller notifies.
class Loader {
public:
  void cancel() {
    mark_cancelled();
    cv_.notify_one();
  }
  void mark_cancelled() { cancelled_ = true; }
  // CHECK: :[[@LINE-1]]:27: warning: lost wake-up: 'cancelled_' is changed without holding 'm_', the mutex the wait on 'cv_' checks it under; a waiter between its check and its sleep misses the notify and waits forever [threadleak-cv-lost-wakeup]
  // CHECK: :[[@LINE+4]]:9: note: the waiter checks 'cancelled_' here, holding 'm_', and then sleeps on 'cv_'
  // CHECK: :[[@LINE-5]]:9: note: 'cv_' is notified here, and 'm_' has not been held since 'cancelled_' changed
  void await_result() {
    std::unique_lock lock(m_);
    cv_.wait(lock, [this] { return cancelled_ || ready_; });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  bool cancelled_ = false;
  bool ready_ = false;
};

// The lock is released before the write.
class Batcher {
public:
  void close() {
    std::unique_lock<std::mutex> lock(m_);
    items_.clear();
    lock.unlock();
    closed_ = true;
    // CHECK: :[[@LINE-1]]:5: warning: lost wake-up: 'closed_' is changed without holding 'm_', the mutex the wait on 'cv_' checks it under; a waiter between its check and its sleep misses the notify and waits forever [threadleak-cv-lost-wakeup]
    // CHECK: :[[@LINE+6]]:9: note: the waiter checks 'closed_' here, holding 'm_', and then sleeps on 'cv_'
    // CHECK: :[[@LINE+1]]:9: note: 'cv_' is notified here, and 'm_' has not been held since 'closed_' changed
    cv_.notify_all();
  }
  void next() {
    std::unique_lock<std::mutex> lock(m_);
    cv_.wait(lock, [this] { return closed_ || !items_.empty(); });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> items_;
  bool closed_ = false;
};

// The classic: a local flag, condition variable and mutex.
void start_and_signal() {
  bool ready = false;
  std::mutex m;
  std::condition_variable cv;
  std::thread t([&] {
    std::unique_lock<std::mutex> lk(m);
    cv.wait(lk, [&] { return ready; });
  });
  ready = true;
  // CHECK: :[[@LINE-1]]:3: warning: lost wake-up: 'ready' is changed without holding 'm', the mutex the wait on 'cv' checks it under; a waiter between its check and its sleep misses the notify and waits forever [threadleak-cv-lost-wakeup]
  // CHECK: :[[@LINE-4]]:8: note: the waiter checks 'ready' here, holding 'm', and then sleeps on 'cv'
  // CHECK: :[[@LINE+1]]:6: note: 'cv' is notified here, and 'm' has not been held since 'ready' changed
  cv.notify_one();
  t.join();
}

// A jthread's stop request is a write to the stop state that a plain
// condition variable's predicate reads.
class Poller {
public:
  Poller()
      : worker_([this](std::stop_token st) {
          std::unique_lock lock(m_);
          cv_.wait(lock, [&] { return st.stop_requested() || work_; });
        }) {}
  ~Poller() {
    worker_.request_stop();
    // CHECK: :[[@LINE-1]]:5: warning: lost wake-up: the stop state is changed without holding 'm_', the mutex the wait on 'cv_' checks it under; a waiter between its check and its sleep misses the notify and waits forever [threadleak-cv-lost-wakeup]
    // CHECK: :[[@LINE-5]]:15: note: the waiter checks the stop state here, holding 'm_', and then sleeps on 'cv_'
    // CHECK: :[[@LINE+1]]:9: note: 'cv_' is notified here, and 'm_' has not been held since the stop state changed
    cv_.notify_all();
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  bool work_ = false;
  std::jthread worker_;
};

// POSIX threads: the flag of a C-style global state.
struct Uploader {
  pthread_mutex_t mx;
  pthread_cond_t cv;
  int stop;
  int queued;
};
Uploader G;

void *uploader_main(void *) {
  pthread_mutex_lock(&G.mx);
  while (!G.stop && G.queued == 0)
    pthread_cond_wait(&G.cv, &G.mx);
  pthread_mutex_unlock(&G.mx);
  return nullptr;
}

void uploader_shutdown() {
  G.stop = 1;
  // CHECK: :[[@LINE-1]]:3: warning: lost wake-up: 'stop' is changed without holding 'mx', the mutex the wait on 'cv' checks it under; a waiter between its check and its sleep misses the notify and waits forever [threadleak-cv-lost-wakeup]
  // CHECK: :[[@LINE-8]]:5: note: the waiter checks 'stop' here, holding 'mx', and then sleeps on 'cv'
  // CHECK: :[[@LINE+1]]:3: note: 'cv' is notified here, and 'mx' has not been held since 'stop' changed
  pthread_cond_broadcast(&G.cv);
}

//===-- Positive: rule b, the flag set after the notify ---------------------===//

class Subscriber {
public:
  void unsubscribe() {
    cv_.notify_all();
    {
      std::lock_guard<std::mutex> g(m_);
      done_ = true;
      // CHECK: :[[@LINE-1]]:7: warning: lost wake-up: 'done_' is changed after 'cv_' was notified; a waiter woken by that notify may already have checked it and gone back to sleep, and nothing notifies it again [threadleak-cv-lost-wakeup]
      // CHECK: :[[@LINE+6]]:9: note: the waiter checks 'done_' here, holding 'm_', and then sleeps on 'cv_'
      // CHECK: :[[@LINE-6]]:9: note: 'cv_' is notified here, before 'done_' changes
    }
  }
  void wait_done() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return done_; });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  bool done_ = false;
};

//===-- Positive: rule c, another condition variable ------------------------===//

// Shutdown signals the uploader's condition variable; the worker sleeps on
// the take condition variable and is never woken (colibri's qt_shutdown).
class Tier {
public:
  void shutdown() {
    {
      std::lock_guard<std::mutex> g(m_);
      stop_ = true;
      // CHECK: :[[@LINE-1]]:7: warning: lost wake-up: 'stop_' is changed and 'cv_' is notified, but the waiter that checks 'stop_' sleeps on 'cv_take_', which is not notified after the change [threadleak-cv-lost-wakeup]
      // CHECK: :[[@LINE+12]]:16: note: the waiter checks 'stop_' here, holding 'm_', and then sleeps on 'cv_take_'
      // CHECK: :[[@LINE+2]]:9: note: only 'cv_' is notified here
    }
    cv_.notify_all();
  }
  void upload() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return stop_ || queued_ > 0; });
  }
  void take() {
    std::unique_lock<std::mutex> lk(m_);
    while (open_ && !stop_)
      cv_take_.wait(lk);
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::condition_variable cv_take_;
  bool stop_ = false;
  bool open_ = false;
  int queued_ = 0;
};

// Negative for rule c: the condition variable notified wakes the workers,
// and they notify the schedulers' in turn as they finish (ClickHouse's
// ThreadPool: finalize() wakes the workers only; a scheduler waiting for a
// free slot is woken by the job that finishes).
class RelayPool {
public:
  void finalize() {
    {
      std::lock_guard<std::mutex> g(m_);
      shutdown_ = true;
    }
    new_job_.notify_all();
  }
  void schedule(int J) {
    std::unique_lock<std::mutex> lk(m_);
    job_finished_.wait(lk, [this] { return scheduled_ < 4 || shutdown_; });
    jobs_.push_back(J);
    ++scheduled_;
    new_job_.notify_one();
  }
  void worker() {
    bool done = false;
    for (;;) {
      std::unique_lock<std::mutex> lk(m_);
      if (done) {
        --scheduled_;
        job_finished_.notify_all();
      }
      new_job_.wait(lk, [this] { return !jobs_.empty() || shutdown_; });
      if (jobs_.empty())
        return;
      jobs_.pop_front();
      done = true;
    }
  }

private:
  std::mutex m_;
  std::condition_variable job_finished_;
  std::condition_variable new_job_;
  std::deque<int> jobs_;
  int scheduled_ = 0;
  bool shutdown_ = false;
};

//===-- Negative: the idiomatic fixes ---------------------------------------===//

// The write under the mutex, the notify after unlocking.
class PoolUnderLock {
public:
  ~PoolUnderLock() {
    {
      std::lock_guard<std::mutex> g(m_);
      stop_ = true;
    }
    cv_.notify_all();
  }
  void run() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return stop_; });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
};

// An atomic store, then an empty critical section, then the notify.
class PoolEmptySection {
public:
  ~PoolEmptySection() {
    stop_ = true;
    { std::lock_guard<std::mutex> g(m_); }
    cv_.notify_all();
  }
  void run() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return stop_.load(); });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
};

// An atomic store, then the notify made while holding the mutex.
class PoolNotifyUnderLock {
public:
  void stop() {
    stop_.store(true);
    std::lock_guard<std::mutex> g(m_);
    cv_.notify_all();
  }
  void run() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return stop_.load(); });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
};

// A temporary guard is an empty critical section too; so are
// lock()/unlock() on the mutex and on a deferred unique_lock.
class PoolExplicitLocking {
public:
  void stop_a() {
    a_ = true;
    std::lock_guard<std::mutex>{m_};
    cv_.notify_all();
  }
  void stop_b() {
    m_.lock();
    b_ = true;
    m_.unlock();
    cv_.notify_all();
  }
  void stop_c() {
    std::unique_lock<std::mutex> lk(m_, std::defer_lock);
    lk.lock();
    c_ = true;
    lk.unlock();
    cv_.notify_all();
  }
  void stop_d() {
    std::scoped_lock lk(m_, other_);
    d_ = true;
    cv_.notify_all();
  }
  void run() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return a_ || b_ || c_ || d_; });
  }

private:
  std::mutex m_, other_;
  std::condition_variable cv_;
  std::atomic<bool> a_{false};
  bool b_ = false, c_ = false, d_ = false;
};

// The class's own lock wrappers, read through.
class Wrapped {
public:
  void lock() { m_.lock(); }
  void unlock() { m_.unlock(); }
  void stop() {
    lock();
    stop_ = true;
    unlock();
    cv_.notify_all();
  }
  void run() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return stop_; });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
};

// A helper that every caller calls with the mutex held, one that is handed
// the lock, and one named for running locked.
class Helpers {
public:
  void stop() {
    std::lock_guard<std::mutex> g(m_);
    mark_and_notify();
  }
  void drain() {
    std::unique_lock<std::mutex> lk(m_);
    finish(lk);
  }
  void mark_and_notify() {
    stop_ = true;
    cv_.notify_all();
  }
  void finish(std::unique_lock<std::mutex> &) {
    done_ = true;
    cv_.notify_all();
  }
  void CloseLocked() {
    closed_ = true;
    cv_.notify_all();
  }
  void run() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return stop_ || done_ || closed_; });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false, done_ = false, closed_ = false;
};

// Annotated for -Wthread-safety as running with the mutex held.
#define REQUIRES(...) __attribute__((requires_capability(__VA_ARGS__)))
class Annotated {
public:
  void finish() REQUIRES(m_) {
    done_ = true;
    cv_.notify_all();
  }
  void run() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return done_; });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  bool done_ = false;
};

// A stop-aware wait: request_stop() wakes it, whatever the mutex.
class StopAware {
public:
  ~StopAware() {
    source_.request_stop();
    cv_.notify_all();
  }
  void run(std::stop_token st) {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, st, [this] { return ready_; });
  }

private:
  std::mutex m_;
  std::condition_variable_any cv_;
  std::stop_source source_;
  bool ready_ = false;
};

// A timed wait that re-checks the flag: a delay, not a hang.
class Ticker {
public:
  void stop() {
    stop_ = true;
    cv_.notify_all();
  }
  void run() {
    std::unique_lock<std::mutex> lk(m_);
    while (!stop_)
      cv_.wait_for(lk, std::chrono::milliseconds(100));
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
};

// A bounded queue: push changes what both condition variables' waiters
// read and notifies only the one whose predicate it makes true.
class BoundedQueue {
public:
  void push(int v) {
    std::unique_lock<std::mutex> lk(m_);
    not_full_.wait(lk, [this] { return q_.size() < 8; });
    q_.push_back(v);
    lk.unlock();
    not_empty_.notify_one();
  }
  int pop() {
    std::unique_lock<std::mutex> lk(m_);
    not_empty_.wait(lk, [this] { return !q_.empty(); });
    int v = q_.front();
    q_.pop_front();
    lk.unlock();
    not_full_.notify_one();
    return v;
  }

private:
  std::mutex m_;
  std::condition_variable not_empty_, not_full_;
  std::deque<int> q_;
};

// State no predicate reads, and code we cannot read that gets the object
// between the write and the notify (it may lock the mutex).
class Misc {
public:
  void count() {
    served_.store(served_.load() + 1);
    cv_.notify_all();
  }
  void stop() {
    stop_ = true;
    flush_all(this);
    cv_.notify_all();
  }
  void run() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return stop_.load(); });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
  std::atomic<int> served_{0};
};

// A flag set after a notify and notified again; a handshake that both
// waits and notifies under the mutex.
class Handshake {
public:
  void announce() {
    cv_.notify_all();
    {
      std::lock_guard<std::mutex> g(m_);
      turn_ = 1;
    }
    cv_.notify_all();
  }
  void ping() {
    std::unique_lock<std::mutex> lk(m_);
    turn_ = 1;
    cv_.notify_one();
    cv_.wait(lk, [this] { return turn_ == 0; });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  int turn_ = 0;
};

// A user's RAII guard (leveldb's MutexLock).
class Mutex {
public:
  void lock();
  void unlock();
};
class MutexLock {
public:
  explicit MutexLock(Mutex *mu) : mu_(mu) { mu_->lock(); }
  ~MutexLock() { mu_->unlock(); }

private:
  Mutex *mu_;
};
class Compactor {
public:
  ~Compactor() {
    {
      MutexLock l(&mu_);
      shutting_down_ = true;
    }
    cv_.notify_all();
  }
  void background() {
    std::unique_lock<Mutex> lk(mu_);
    cv_.wait(lk, [this] { return shutting_down_; });
  }

private:
  Mutex mu_;
  std::condition_variable_any cv_;
  bool shutting_down_ = false;
};

// POSIX threads under the mutex.
struct Queue {
  pthread_mutex_t mx;
  pthread_cond_t cv;
  int closed;
};
Queue Q;

void *queue_main(void *) {
  pthread_mutex_lock(&Q.mx);
  while (!Q.closed)
    pthread_cond_wait(&Q.cv, &Q.mx);
  pthread_mutex_unlock(&Q.mx);
  return nullptr;
}

void queue_close() {
  pthread_mutex_lock(&Q.mx);
  Q.closed = 1;
  pthread_mutex_unlock(&Q.mx);
  pthread_cond_broadcast(&Q.cv);
}

//===-- Negative: shapes seen in real code ----------------------------------===//

// The condition variable and mutex handed to the thread by reference: the
// parameter and the caller's local are one object (Boost.Fiber's tests).
int ping_ready = 0, ping_go = 0;
void pinger(std::mutex &m, std::condition_variable &cv) {
  std::unique_lock<std::mutex> lk(m);
  ping_ready = 1;
  cv.notify_one();
  while (ping_go == 0)
    cv.wait(lk);
}
void ping_pong() {
  std::mutex m;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lk(m);
  std::thread t(pinger, std::ref(m), std::ref(cv));
  while (ping_ready == 0)
    cv.wait(lk);
  ping_go = 1;
  lk.unlock();
  cv.notify_one();
  t.join();
}

// A helper called with the mutex held on every path, once from a catch
// handler (the CFG has no exception edges: that call is never reached).
void may_throw();
class Jobs {
public:
  void finished() {
    --pending_;
    cv_.notify_all();
  }
  void run_one(std::unique_lock<std::mutex> &lock) {
    lock.unlock();
    try {
      may_throw();
      lock.lock();
      finished();
    } catch (...) {
      lock.lock();
      finished();
      throw;
    }
  }
  void wait_all() {
    std::unique_lock<std::mutex> lock(m_);
    while (pending_ > 0)
      cv_.wait(lock);
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  int pending_ = 0;
};

// Re-locked on the path that had unlocked: `if (!l.owns_lock()) l.lock();`
// (libtorrent's file_view_pool).
bool try_step();
class Opener {
public:
  void opened() {
    --opening_;
    cv_.notify_all();
  }
  void open_one() {
    std::unique_lock<std::mutex> l(m_);
    if (try_step())
      l.unlock();
    if (!l.owns_lock())
      l.lock();
    opened();
  }
  void wait_opened() {
    std::unique_lock<std::mutex> l(m_);
    while (opening_ > 0)
      cv_.wait(l);
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  int opening_ = 0;
};

// The guard comes from a helper; the mutex from an accessor.
class Accessors {
public:
  std::unique_lock<std::mutex> lock() { return std::unique_lock<std::mutex>(m_); }
  std::mutex &mtx() { return m_; }
  void finish() {
    {
      auto l = lock();
      done_ = true;
    }
    cv_.notify_all();
  }
  void close() {
    {
      std::lock_guard<std::mutex> g(mtx());
      closed_ = true;
    }
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> l(m_);
    cv_.wait(l, [this] { return done_ || closed_; });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  bool done_ = false, closed_ = false;
};

// Writes that can only make the predicate false lose nothing: a reset
// before the waiters start (oneTBB's test_eh_thread), and re-arming after
// every waiter was woken and joined (rocksdb's thread pool).
class Rearm {
public:
  void reset() {
    stop_ = false;
    cv_.notify_all();
  }
  void join_all() {
    {
      std::lock_guard<std::mutex> g(m_);
      exit_all_ = true;
    }
    cv_.notify_all();
    exit_all_ = false;
  }
  void wait() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return stop_ == true || exit_all_; });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
  bool exit_all_ = false;
};

// ... but the write that sets such a flag is still the hang.
class RearmBug {
public:
  void stop() {
    stop_ = true;
    // CHECK: :[[@LINE-1]]:5: warning: lost wake-up: 'stop_' is changed without holding 'm_', the mutex the wait on 'cv_' checks it under; a waiter between its check and its sleep misses the notify and waits forever [threadleak-cv-lost-wakeup]
    // CHECK: :[[@LINE+6]]:9: note: the waiter checks 'stop_' here, holding 'm_', and then sleeps on 'cv_'
    // CHECK: :[[@LINE+1]]:9: note: 'cv_' is notified here, and 'm_' has not been held since 'stop_' changed
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return stop_ == true; });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::atomic<bool> stop_{false};
};

// An int compared with a constant: resetting it to the value the waiter
// waits to leave (Boost.Fiber's tests) cannot wake anyone.
int fired = 0;
std::mutex fired_m;
std::condition_variable fired_cv;
void wait_fired() {
  std::unique_lock<std::mutex> lk(fired_m);
  while (fired == 0)
    fired_cv.wait(lk);
}
void rearm_fired() {
  fired = 0;
  fired_cv.notify_all();
}

// A waiter that sleeps on another function's local condition variable:
// code elsewhere cannot notify it, wrong cv or not.
int other_ready = 0;
void signal_elsewhere(std::condition_variable &mine) {
  other_ready = 1;
  mine.notify_all();
}
void sleeps_on_local() {
  std::mutex m;
  std::condition_variable local_cv;
  std::unique_lock<std::mutex> lk(m);
  while (!other_ready)
    local_cv.wait(lk);
}

// The waiter's lock is a guard's member reached through an accessor
// (google-benchmark's MutexLock): which mutex it holds is unknown here.
class GuardWithLock {
public:
  explicit GuardWithLock(std::mutex &m) : lk_(m) {}
  std::unique_lock<std::mutex> &native() { return lk_; }

private:
  std::unique_lock<std::mutex> lk_;
};
class ThreadManager {
public:
  void thread_done() {
    alive_.store(alive_.load() - 1);
    std::lock_guard<std::mutex> g(m_);
    done_cv_.notify_all();
  }
  void wait_all() {
    GuardWithLock lock(m_);
    done_cv_.wait(lock.native(), [this] { return alive_.load() == 0; });
  }

private:
  std::mutex m_;
  std::condition_variable done_cv_;
  std::atomic<int> alive_{0};
};

//===-- Negative: each round of the loop notifies another object ----------===//

// nats.go#172's fix: Close() marks every subscription closed and signals
// its condition variable, under its mutex. The next round's write is to
// the next subscription, not to the one just notified.
namespace per_round {
struct Sub {
  std::mutex mu;
  std::condition_variable cv;
  bool closed = false;
  bool async = true;
  std::deque<int> pending;
};
class Conn {
public:
  void close() {
    std::lock_guard<std::mutex> g(mu_);
    for (auto &[id, s] : subs_) {
      std::lock_guard<std::mutex> sg(s->mu);
      s->closed = true;
      if (s->async)
        s->cv.notify_one();
    }
  }
  void deliver(std::shared_ptr<Sub> s) {
    std::unique_lock<std::mutex> lk(s->mu);
    while (s->pending.empty() && !s->closed)
      s->cv.wait(lk);
  }

private:
  std::mutex mu_;
  std::map<int, std::shared_ptr<Sub>> subs_;
};
} // namespace per_round

//===-- Positive: in one round, the flag set after that object's notify ---===//

namespace same_round {
struct Sub {
  std::mutex mu;
  std::condition_variable cv;
  bool closed = false;
};
class Conn {
public:
  void close() {
    for (auto &[id, s] : subs_) {
      s->cv.notify_one();
      std::lock_guard<std::mutex> sg(s->mu);
      s->closed = true;
      // CHECK: :[[@LINE-1]]:7: warning: lost wake-up: 'closed' is changed after 'cv' was notified; a waiter woken by that notify may already have checked it and gone back to sleep, and nothing notifies it again [threadleak-cv-lost-wakeup]
      // CHECK: :[[@LINE+7]]:13: note: the waiter checks 'closed' here, holding 'mu', and then sleeps on 'cv'
      // CHECK: :[[@LINE-5]]:13: note: 'cv' is notified here, before 'closed' changes
    }
  }
  void deliver(std::shared_ptr<Sub> s) {
    std::unique_lock<std::mutex> lk(s->mu);
    while (!s->closed)
      s->cv.wait(lk);
  }

private:
  std::map<int, std::shared_ptr<Sub>> subs_;
};
} // namespace same_round
