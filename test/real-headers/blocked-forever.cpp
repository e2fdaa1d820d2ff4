// REQUIRES: boost, libstdcxx
// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %realflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %realflags | %check-all %s

// threadleak-blocked-forever on the real headers: libstdc++'s mutexes,
// guards, shared_mutex, condition_variable and thread, Boost.Fiber's mutex
// and channels. (std::mutex holds a pthread_mutex_t: it is still no
// recursive mutex.)

#include <boost/fiber/all.hpp>
#include <condition_variable>
#include <latch>
#include <mutex>
#include <semaphore>
#include <shared_mutex>
#include <thread>

void work();

struct Server {
  std::mutex mu;
  bool drain = false;
  void stop() {
    mu.lock();
    if (drain) {
      mu.lock();
      // CHECK: :[[@LINE-1]]:7: warning: 'mu' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
      // CHECK: :[[@LINE-4]]:5: note: 'mu' is acquired here
      return;
    }
    drain = true;
    mu.unlock();
  }
};

struct Table {
  std::shared_mutex mu;
  int size() {
    std::shared_lock lk(mu);
    // CHECK: :[[@LINE-1]]:22: warning: 'mu' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE+5]]:22: note: 'mu' is acquired here
    // CHECK: :[[@LINE+5]]:5: note: 'Table::size' is called here, with 'mu' held
    return 0;
  }
  void grow() {
    std::unique_lock lk(mu);
    size();
  }
};

// Negative: std::recursive_mutex.
struct Rec {
  std::recursive_mutex mu;
  void inner() { std::lock_guard lk(mu); }
  void outer() {
    std::lock_guard lk(mu);
    inner();
  }
};

class Worker {
public:
  Worker() : t_([this] { run(); }) {}
  ~Worker() {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
    cv_.notify_all();
    t_.join();
    // CHECK: :[[@LINE-1]]:5: warning: join() waits for the thread while holding 'mu_', which the thread acquires before it can finish: both wait forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-5]]:33: note: 'mu_' is acquired here
    // CHECK: :[[@LINE-8]]:14: note: the thread is started here
    // CHECK: :[[@LINE-9]]:26: note: 'Worker::run' is called here, in the thread
    // CHECK: :[[@LINE+5]]:34: note: the thread acquires 'mu_' here
  }

private:
  void run() {
    std::unique_lock<std::mutex> lk(mu_);
    while (!stop_)
      cv_.wait(lk);
  }
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread t_;
};

struct Keepalive {
  boost::fibers::mutex mu;
  boost::fibers::unbuffered_channel<int> awaken;
  bool active = false;
  void keepalive() {
    std::unique_lock lk(mu);
    if (!active) {
      int v;
      awaken.pop(v);
      // CHECK: :[[@LINE-1]]:7: warning: a receive from 'awaken' waits while holding 'mu', and every operation that could complete it needs 'mu' first: both sides wait forever [threadleak-blocked-forever]
      // CHECK: :[[@LINE-5]]:22: note: 'mu' is acquired here
      // CHECK: :[[@LINE+6]]:7: note: a non-blocking send on 'awaken' in 'Keepalive::newStream' runs only with 'mu' held
    }
  }
  void newStream() {
    std::lock_guard lk(mu);
    if (!active)
      awaken.push_wait_for(0, std::chrono::seconds(0));
    active = true;
  }
};

void lonelyLatch() {
  std::latch done(1);
  done.wait();
  // CHECK: :[[@LINE-1]]:3: warning: a wait on 'done' waits forever: 'done' is created here and never shared, and nothing counts it down or releases it [threadleak-blocked-forever]
  // CHECK: :[[@LINE-3]]:14: note: 'done' is created here
}

struct Slots {
  std::mutex mu;
  std::counting_semaphore<8> free{0};
  void take() {
    std::lock_guard lk(mu);
    free.acquire();
    // CHECK: :[[@LINE-1]]:5: warning: a wait on 'free' waits while holding 'mu', and every operation that could complete it needs 'mu' first: both sides wait forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-3]]:21: note: 'mu' is acquired here
    // CHECK: :[[@LINE+4]]:5: note: a release of 'free' in 'Slots::give' runs only with 'mu' held
  }
  void give() {
    std::lock_guard lk(mu);
    free.release();
  }
};

// Negative: one slot to begin with.
void oneSlot() {
  std::binary_semaphore s(1);
  s.acquire();
}

// A std::function destroys the lambda it holds. A local returned by value
// is given away (`return work;` is a move construction from it in
// libstdc++'s std::function): its end under the lock destroys nothing.
namespace returned_callable {
std::mutex post_lock;
struct Conn {
  ~Conn() { std::lock_guard<std::mutex> g(post_lock); }
};
std::function<void()> slot;
void give() { slot = [c = std::make_shared<Conn>()] {}; }
std::function<void()> take() {
  std::lock_guard<std::mutex> g(post_lock);
  auto work = std::move(slot);
  return work;
}
} // namespace returned_callable
