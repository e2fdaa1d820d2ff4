// threadleak-cv-lost-wakeup false positive (rule a): the waiter's lock is a
// std::unique_lock MEMBER of a custom RAII guard, passed to wait() through
// the guard's accessor; the analysis takes that member for the mutex.
//
//   /tmp/tl-reval/bin/threadleak --checks='-*,threadleak-cv-lost-wakeup' \
//       guard-member-via-accessor.cpp -- -std=c++20
//   -> warning at `--alive_`: "'alive_' is changed without holding 'ml_',
//      the mutex the wait on 'done_' checks it under"
//
// What the analysis misunderstands: since the mutex-via-accessor fix,
// `done_.wait(lock.native_handle(), pred)` resolves the accessor's return
// to the decl it returns, `MutexLock::ml_`, a std::unique_lock, and uses it
// as the waiter's MUTEX. No notifier ever locks a decl named `ml_`: the
// notifier's `MutexLock lock(mu_)` locks `mu_` (which locks `mut_`), so
// "'ml_' has not been held" on every path, even when the whole notifier
// runs under the guard (moving `MutexLock lock(mu_);` above `--alive_`
// still reports). The code is fix 3 of the check's docs page (change the
// atomic, then notify while holding the waiter's mutex). A guard reached
// through an accessor should resolve to the mutex the guard was built
// from (ml_ <- m.native_handle() <- mut_), and a custom guard built from
// a wrapper `Mutex&` should lock the wrapper's inner mutex: with the
// waiter written `std::unique_lock<std::mutex> lk(mu_.native_handle())`
// the finding stays, now naming 'mut_', because `MutexLock lock(mu_)` is
// not seen to lock `mut_`. The old binary (586ecbef) was silent on all
// three forms (it did not resolve the waiter's mutex at all).
//
// Seen in: google-benchmark 1.7.1 src/thread_manager.h:27
// (ThreadManager::NotifyThreadComplete / WaitForAllThreads, with
// src/mutex.h's Mutex and MutexLock).
#include <atomic>
#include <condition_variable>
#include <mutex>

class Mutex {
public:
  void lock() { mut_.lock(); }
  void unlock() { mut_.unlock(); }
  std::mutex &native_handle() { return mut_; }
private:
  std::mutex mut_;
};

class MutexLock { // an RAII guard that owns a std::unique_lock
public:
  explicit MutexLock(Mutex &m) : ml_(m.native_handle()) {}
  std::unique_lock<std::mutex> &native_handle() { return ml_; }
private:
  std::unique_lock<std::mutex> ml_;
};

class Manager {
public:
  void ThreadDone() {
    if (--alive_ == 0) { // reported
      MutexLock lock(mu_); // but the waiter's mutex is taken before the notify
      done_.notify_all();
    }
  }
  void WaitAll() {
    MutexLock lock(mu_);
    done_.wait(lock.native_handle(), [this] { return alive_ == 0; });
  }
private:
  std::atomic<int> alive_{2};
  Mutex mu_;
  std::condition_variable done_;
};

void use(Manager &m) { m.ThreadDone(); m.WaitAll(); }
