// Port: envoyproxy/envoy#3645 ("event: fix deadlock around post()")
//   (fixes envoyproxy/envoy#3644 "Envoy main thread can deadlock itself"):
//   DispatcherImpl::runPostCallbacks() declared `std::function<void()>
//   callback` before its loop and, on every iteration, assigned the front of
//   post_callbacks_ to it while holding post_lock_. The assignment destroys
//   the callback of the previous iteration under the lock. When that lambda
//   held the last reference to an object whose destructor post()s back to the
//   same dispatcher, post() locks post_lock_ again on the dispatcher thread;
//   the lock is not recursive, so the main thread deadlocks itself.
// Style: (d) standard library only, C++-native (Envoy's idiom reduced: Thread::MutexBasicLockable and Thread::LockGuard, an Event::Dispatcher interface with post()/run()/exit(), DispatcherImpl whose run loop flushes post callbacks, a connection whose destructor hands its cleanup to the dispatcher through post())
// Bug class: self-deadlock through a destructor: the previous callback is destroyed under post_lock_ and its captured connection's destructor calls post(), which locks post_lock_ again on the same thread
// Shape: the main thread posts a callback that owns the last reference to a
//   connection, then a second callback, then exit. The dispatcher thread runs
//   the first callback; on the next iteration it locks post_lock_ and assigns
//   the second callback over the first: ~ClientConnectionImpl() runs inside
//   the lock and calls post(), which blocks on post_lock_ forever. The main
//   thread's join() never returns.
// Fix: the callback is declared inside the loop body, so the previous one is
//   destroyed at the end of its iteration, after post_lock_ was released.
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace Envoy {
namespace Thread {

class BasicLockable {
public:
  virtual ~BasicLockable() = default;
  virtual void lock() = 0;
  virtual void unlock() = 0;
};

class MutexBasicLockable : public BasicLockable {
public:
  void lock() override { mutex_.lock(); }
  void unlock() override { mutex_.unlock(); }

private:
  std::mutex mutex_;
};

class LockGuard {
public:
  explicit LockGuard(BasicLockable &lock) : lock_(lock) { lock_.lock(); }
  ~LockGuard() { lock_.unlock(); }

private:
  BasicLockable &lock_;
};

} // namespace Thread

namespace Event {

using PostCb = std::function<void()>;

class Dispatcher {
public:
  virtual ~Dispatcher() = default;
  virtual void post(PostCb callback) = 0;
  virtual void run() = 0;
  virtual void exit() = 0;
};

class DispatcherImpl : public Dispatcher {
public:
  void post(PostCb callback) override {
    bool do_post;
    {
      Thread::LockGuard lock(post_lock_); // LEAK: called from a destructor that runPostCallbacks() runs while it holds post_lock_
      do_post = post_callbacks_.empty();
      post_callbacks_.push_back(callback);
    }
    if (do_post) {
      std::lock_guard<std::mutex> l(loop_mutex_); // the libevent wake-up
      post_pending_ = true;
      loop_cv_.notify_one();
    }
  }

  void run() override {
    // Flush the callbacks posted before the loop started, then loop.
    runPostCallbacks();
    while (!exited_) {
      {
        std::unique_lock<std::mutex> l(loop_mutex_);
        loop_cv_.wait(l, [this] { return post_pending_; });
        post_pending_ = false;
      }
      runPostCallbacks();
    }
  }

  void exit() override { exited_ = true; }

private:
  void runPostCallbacks() {
    std::function<void()> callback;
    while (true) {
      {
        Thread::LockGuard lock(post_lock_);
        if (post_callbacks_.empty()) {
          return;
        }
        callback = post_callbacks_.front(); // destroys the previous callback under post_lock_
        post_callbacks_.pop_front();
      }
      callback();
    }
  }

  Thread::MutexBasicLockable post_lock_;
  std::list<std::function<void()>> post_callbacks_;
  std::mutex loop_mutex_;
  std::condition_variable loop_cv_;
  bool post_pending_ = false;
  bool exited_ = false; // only touched on the dispatcher thread
};

} // namespace Event

namespace Network {

// A connection defers the last part of its teardown to its dispatcher.
class ClientConnectionImpl {
public:
  ClientConnectionImpl(Event::Dispatcher &dispatcher, std::string name)
      : dispatcher_(dispatcher), name_(std::move(name)) {}
  ~ClientConnectionImpl() {
    std::string name = name_;
    dispatcher_.post([name] { std::printf("[%s] closed\n", name.c_str()); });
  }
  void onWriteReady() { std::printf("[%s] write ready\n", name_.c_str()); }

private:
  Event::Dispatcher &dispatcher_;
  std::string name_;
};

} // namespace Network
} // namespace Envoy

int main() {
  using namespace Envoy;
  Event::DispatcherImpl dispatcher;

  auto connection = std::make_shared<Network::ClientConnectionImpl>(dispatcher, "upstream_cx_1");
  // The posted callback now owns the only reference to the connection.
  dispatcher.post([connection = std::move(connection)] { connection->onWriteReady(); });
  dispatcher.post([] { std::printf("stats flush\n"); });
  dispatcher.post([&dispatcher] { dispatcher.exit(); });

  std::thread main_thread([&dispatcher] { dispatcher.run(); });
  main_thread.join(); // LEAK: the dispatcher thread is blocked on its own post_lock_
  return 0;
}
