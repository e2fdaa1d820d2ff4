// RUN: not %threadleak --checks='-*,threadleak-cv-lost-wakeup' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-cv-lost-wakeup' %s -- %stubflags | %check-all %s

// A wait with no predicate, once, under an `if` (fsevents#290:
// `if (!loop) pthread_cond_wait(&init, &lock)`) waits while the `if`'s
// condition holds: it is checked like a loop's.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <pthread.h>
#include <thread>

// Positive: the starter checks `loop_` under the mutex and sleeps; the new
// thread publishes it without the mutex and signals, maybe in between.
class RunLoop {
public:
  void start() {
    std::unique_lock lk(mu_);
    if (!loop_) {
      thread_ = std::thread([this] { run(); });
      init_.wait(lk);
    }
  }
  ~RunLoop() { thread_.join(); }

private:
  void run() {
    loop_ = true;
    init_.notify_one();
  }
  std::mutex mu_;
  std::condition_variable init_;
  std::atomic<bool> loop_{false};
  std::thread thread_;
};
// CHECK: :[[@LINE-8]]:5: warning: lost wake-up: 'loop_' is changed without holding 'mu_', the mutex the wait on 'init_' checks it under; a waiter between its check and its sleep misses the notify and waits forever [threadleak-cv-lost-wakeup]
// CHECK: :[[@LINE-16]]:13: note: the waiter checks 'loop_' here, holding 'mu_', and then sleeps on 'init_'
// CHECK: :[[@LINE-9]]:11: note: 'init_' is notified here, and 'mu_' has not been held since 'loop_' changed

// Positive, in pthread style.
struct Globals {
  pthread_mutex_t lock;
  pthread_cond_t init;
  std::atomic<int> ready;
};
static Globals g;
static void *publisher(void *) {
  g.ready = 1;
  pthread_cond_signal(&g.init);
  return nullptr;
}
void waitReady() {
  pthread_t t;
  pthread_mutex_lock(&g.lock);
  if (!g.ready) {
    pthread_create(&t, nullptr, publisher, nullptr);
    pthread_cond_wait(&g.init, &g.lock);
  }
  pthread_mutex_unlock(&g.lock);
}
// CHECK: :[[@LINE-13]]:3: warning: lost wake-up: 'ready' is changed without holding 'lock', the mutex the wait on 'init' checks it under; a waiter between its check and its sleep misses the notify and waits forever [threadleak-cv-lost-wakeup]
// CHECK: :[[@LINE-5]]:5: note: the waiter checks 'ready' here, holding 'lock', and then sleeps on 'init'
// CHECK: :[[@LINE-14]]:3: note: 'init' is notified here, and 'lock' has not been held since 'ready' changed

// Negative: the flag is set under the mutex before the notify.
class LockedStart {
public:
  void start() {
    std::unique_lock lk(mu_);
    if (!started_) {
      thread_ = std::thread([this] { run(); });
      cv_.wait(lk);
    }
  }
  ~LockedStart() { thread_.join(); }

private:
  void run() {
    {
      std::lock_guard g(mu_);
      started_ = true;
    }
    cv_.notify_one();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;
  std::thread thread_;
};
