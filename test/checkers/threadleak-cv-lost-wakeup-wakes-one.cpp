// RUN: not %threadleak --checks='-*,threadleak-cv-lost-wakeup' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-cv-lost-wakeup' %s -- %stubflags | %check-all %s
// RUN: rm -rf %t && mkdir -p %t && cp %s %t/fix.cpp
// RUN: %tidy --checks='-*,threadleak-cv-lost-wakeup' --fix %t/fix.cpp -- %stubflags > /dev/null
// RUN: FileCheck --input-file=%t/fix.cpp --check-prefix=FIXED %s
// RUN: %tidy --checks='-*,threadleak-cv-lost-wakeup' %t/fix.cpp -- %stubflags | count 0
// RUN: %clangxx -fsyntax-only %stubflags %t/fix.cpp

// Rule e: a flag every waiter leaves on, announced with notify_one() (or
// pthread_cond_signal()) while the waiting code runs on several threads (a
// pool's workers, each started in a loop): one worker wakes and leaves, the
// others sleep on, and the join that follows hangs. The fix-it wakes them
// all.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <pthread.h>
#include <thread>
#include <vector>

// Reported: the workers are lambdas started in a loop.
class Pool {
public:
  explicit Pool(int N) {
    for (int I = 0; I < N; ++I)
      workers_.emplace_back([this] { work(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> L(m_);
      stop_ = true;
    }
    cv_.notify_one();
    // CHECK: :[[@LINE-1]]:9: warning: lost wake-up: notify_one() wakes one waiter, but every waiter on 'cv_' leaves on 'stop_'; the others sleep on forever [threadleak-cv-lost-wakeup]
    // CHECK: :[[@LINE-4]]:7: note: 'stop_' is set here, for every waiter
    // CHECK: :[[@LINE+20]]:13: note: the waiter leaves on 'stop_' here, and does not notify 'cv_' again
    // CHECK: :[[@LINE-12]]:5: note: the waiting code is started for each round of this loop
    // FIXED: {{^}}    cv_.notify_all();
    for (auto &T : workers_)
      T.join();
  }
  void post(std::function<void()> F) {
    {
      std::lock_guard<std::mutex> L(m_);
      q_.push_back(std::move(F));
    }
    cv_.notify_one();
  }

private:
  void work() {
    for (;;) {
      std::function<void()> F;
      {
        std::unique_lock<std::mutex> L(m_);
        cv_.wait(L, [this] { return stop_ || !q_.empty(); });
        if (stop_ && q_.empty())
          return;
        F = std::move(q_.front());
        q_.pop_front();
      }
      F();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

// Reported: pthread workers, the routine's address taken in a loop.
struct CPool {
  pthread_mutex_t mu;
  pthread_cond_t cond;
  int quit;
  pthread_t threads[4];
};
static CPool g_pool;

static void *cworker(void *) {
  pthread_mutex_lock(&g_pool.mu);
  while (!g_pool.quit)
    pthread_cond_wait(&g_pool.cond, &g_pool.mu);
  pthread_mutex_unlock(&g_pool.mu);
  return nullptr;
}

void cpool_start() {
  for (int I = 0; I < 4; ++I)
    pthread_create(&g_pool.threads[I], nullptr, cworker, nullptr);
}

void cpool_stop() {
  pthread_mutex_lock(&g_pool.mu);
  g_pool.quit = 1;
  pthread_cond_signal(&g_pool.cond);
  // CHECK: :[[@LINE-1]]:3: warning: lost wake-up: pthread_cond_signal() wakes one waiter, but every waiter on 'cond' leaves on 'quit'; the others sleep on forever [threadleak-cv-lost-wakeup]
  // CHECK: :[[@LINE-3]]:3: note: 'quit' is set here, for every waiter
  // CHECK: :[[@LINE-16]]:5: note: the waiter leaves on 'quit' here, and does not notify 'cond' again
  // CHECK: :[[@LINE-11]]:3: note: the waiting code is started for each round of this loop
  // FIXED: {{^}}  pthread_cond_broadcast(&g_pool.cond);
  pthread_mutex_unlock(&g_pool.mu);
  for (int I = 0; I < 4; ++I)
    pthread_join(g_pool.threads[I], nullptr);
}

// Silent: one notify_one() per worker.
class PoolPerWorker {
public:
  explicit PoolPerWorker(int N) {
    for (int I = 0; I < N; ++I)
      workers_.emplace_back([this] { work(); });
  }
  ~PoolPerWorker() {
    {
      std::lock_guard<std::mutex> L(m_);
      stop_ = true;
    }
    for (size_t I = 0; I < workers_.size(); ++I)
      cv_.notify_one();
    for (auto &T : workers_)
      T.join();
  }

private:
  void work() {
    std::unique_lock<std::mutex> L(m_);
    cv_.wait(L, [this] { return stop_; });
  }
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

// Silent: each worker passes the wake-up on as it leaves.
class PoolChained {
public:
  explicit PoolChained(int N) {
    for (int I = 0; I < N; ++I)
      workers_.emplace_back([this] { work(); });
  }
  ~PoolChained() {
    {
      std::lock_guard<std::mutex> L(m_);
      stop_ = true;
    }
    cv_.notify_one();
    for (auto &T : workers_)
      T.join();
  }

private:
  void work() {
    std::unique_lock<std::mutex> L(m_);
    cv_.wait(L, [this] { return stop_; });
    cv_.notify_one();
  }
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

// Silent: one worker only.
class Single {
public:
  Single() : worker_([this] { work(); }) {}
  ~Single() {
    {
      std::lock_guard<std::mutex> L(m_);
      stop_ = true;
    }
    cv_.notify_one();
    worker_.join();
  }

private:
  void work() {
    std::unique_lock<std::mutex> L(m_);
    cv_.wait(L, [this] { return stop_; });
  }
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread worker_;
};

// Silent: a hand-off: the waiter that wakes takes the token (resets the
// flag), so one wake-up per token is what is meant.
class Handoff {
public:
  explicit Handoff(int N) {
    for (int I = 0; I < N; ++I)
      workers_.emplace_back([this] { work(); });
  }
  void give() {
    {
      std::lock_guard<std::mutex> L(m_);
      token_ = true;
    }
    cv_.notify_one();
  }

private:
  void work() {
    std::unique_lock<std::mutex> L(m_);
    cv_.wait(L, [this] { return token_; });
    token_ = false;
  }
  std::mutex m_;
  std::condition_variable cv_;
  bool token_ = false;
  std::vector<std::thread> workers_;
};
