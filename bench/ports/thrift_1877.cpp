// Port: apache/thrift#1877 ("THRIFT-4962 Fix deadlock in TimerManager::stop")
//   (fixes THRIFT-4962): TimerManager runs a Dispatcher on its own thread. stop() moves the state
//   to STOPPING, kicks the dispatcher with notifyAll(), and then waits on the manager's Monitor
//   until the state becomes STOPPED; a second, concurrent stop() sees STOPPING and simply waits
//   on the same Monitor for STOPPED. The dispatcher finishes the task it is executing, leaves its
//   loop, sets STOPPED and calls monitor_.notify(), which wakes only ONE of the waiting threads.
//   The other stop() caller keeps sleeping in monitor_.wait(): STOPPED is already set and no one
//   will ever signal the Monitor again.
// Style: pthread C style (Thrift's concurrency layer reduced to its pthread-backed pieces:
//   Mutex over pthread_mutex_t, Monitor over pthread_cond_t + Mutex, the Synchronized guard,
//   Runnable, and PosixThreadFactory/PosixThread over pthread_create/pthread_join; the two
//   stopping threads are raw pthreads)
// Bug class: lost wake-up: notify() (signal one) where several threads wait for the same
//   state change
// Shape: a timer task is running (forcing: it takes 300 ms) when thread A calls stop() at 50 ms
//   and thread B calls stop() at 100 ms; both wait on the Monitor. The dispatcher returns from
//   the task, sets STOPPED and signals once; one stopper wakes and returns, the other one waits
//   forever and main() hangs in pthread_join().
// Fix: the dispatcher's final monitor_.notify() becomes monitor_.notifyAll(), so every thread
//   waiting in stop() sees STOPPED.
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <set>
#include <stdexcept>

namespace apache {
namespace thrift {
namespace concurrency {

using std::shared_ptr;

class Mutex {
public:
  Mutex() { pthread_mutex_init(&pthread_mutex_, nullptr); }
  ~Mutex() { pthread_mutex_destroy(&pthread_mutex_); }
  void lock() const { pthread_mutex_lock(&pthread_mutex_); }
  void unlock() const { pthread_mutex_unlock(&pthread_mutex_); }
  pthread_mutex_t* getUnderlyingImpl() const { return &pthread_mutex_; }

private:
  mutable pthread_mutex_t pthread_mutex_;
};

class Monitor {
public:
  Monitor() {
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&pthread_cond_, &attr);
    pthread_condattr_destroy(&attr);
  }
  ~Monitor() { pthread_cond_destroy(&pthread_cond_); }
  void lock() const { mutex_.lock(); }
  void unlock() const { mutex_.unlock(); }

  // waits forever when timeout_ms == 0
  int waitForTimeRelative(long timeout_ms) const {
    if (timeout_ms == 0) {
      return pthread_cond_wait(&pthread_cond_, mutex_.getUnderlyingImpl());
    }
    struct timespec abstime;
    clock_gettime(CLOCK_MONOTONIC, &abstime);
    abstime.tv_sec += timeout_ms / 1000;
    abstime.tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (abstime.tv_nsec >= 1000000000L) {
      abstime.tv_sec += 1;
      abstime.tv_nsec -= 1000000000L;
    }
    return pthread_cond_timedwait(&pthread_cond_, mutex_.getUnderlyingImpl(), &abstime);
  }
  void wait() const { waitForTimeRelative(0); }
  void notify() const { pthread_cond_signal(&pthread_cond_); }
  void notifyAll() const { pthread_cond_broadcast(&pthread_cond_); }

private:
  mutable pthread_cond_t pthread_cond_;
  Mutex mutex_;
};

class Synchronized {
public:
  explicit Synchronized(const Monitor& monitor) : monitor_(monitor) { monitor_.lock(); }
  ~Synchronized() { monitor_.unlock(); }

private:
  const Monitor& monitor_;
};

class Runnable {
public:
  virtual ~Runnable() = default;
  virtual void run() = 0;
};

class Thread {
public:
  explicit Thread(shared_ptr<Runnable> runnable) : runnable_(runnable) {}
  ~Thread() { join(); }
  void start() { pthread_create(&pthread_, nullptr, threadMain, this); started_ = true; }
  void join() {
    if (started_) {
      pthread_join(pthread_, nullptr);
      started_ = false;
    }
  }

private:
  static void* threadMain(void* arg) {
    static_cast<Thread*>(arg)->runnable_->run();
    return nullptr;
  }
  shared_ptr<Runnable> runnable_;
  pthread_t pthread_{};
  bool started_ = false;
};

class PosixThreadFactory {
public:
  shared_ptr<Thread> newThread(shared_ptr<Runnable> runnable) const {
    return std::make_shared<Thread>(runnable);
  }
};

class TimerManager {
public:
  enum STATE { UNINITIALIZED, STARTING, STARTED, STOPPING, STOPPED };

  TimerManager() : taskCount_(0), state_(UNINITIALIZED), dispatcher_(std::make_shared<Dispatcher>(this)) {}
  ~TimerManager() {
    if (state_ != STOPPED) {
      stop();
    }
  }

  void threadFactory(shared_ptr<const PosixThreadFactory> value) {
    Synchronized s(monitor_);
    threadFactory_ = value;
  }

  void start() {
    bool doStart = false;
    {
      Synchronized s(monitor_);
      if (!threadFactory_) {
        throw std::invalid_argument("no thread factory");
      }
      if (state_ == UNINITIALIZED) {
        state_ = STARTING;
        doStart = true;
      }
    }
    if (doStart) {
      dispatcherThread_ = threadFactory_->newThread(dispatcher_);
      dispatcherThread_->start();
    }
    {
      Synchronized s(monitor_);
      while (state_ == STARTING) {
        monitor_.wait();
      }
    }
  }

  void stop() {
    bool doStop = false;
    {
      Synchronized s(monitor_);
      if (state_ == UNINITIALIZED) {
        state_ = STOPPED;
      } else if (state_ != STOPPING && state_ != STOPPED) {
        doStop = true;
        state_ = STOPPING;
        monitor_.notifyAll();
      }
      while (state_ != STOPPED) {
        monitor_.wait(); // LEAK: the dispatcher's single notify() woke the other stop() caller only
      }
    }
    if (doStop) {
      // Clean up any outstanding tasks
      taskMap_.clear();
    }
  }

  // add a task to run after timeout_ms
  void add(shared_ptr<Runnable> task, long timeout_ms) {
    Synchronized s(monitor_);
    if (state_ != STARTED) {
      throw std::logic_error("TimerManager not started");
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long abstime = now.tv_sec * 1000LL + now.tv_nsec / 1000000 + timeout_ms;
    bool notifyRequired = (taskCount_ == 0) ? true : abstime < taskMap_.begin()->first;
    taskCount_++;
    taskMap_.emplace(abstime, task);
    if (notifyRequired) {
      monitor_.notify();
    }
  }

  STATE state() const { return state_; }

private:
  class Dispatcher : public Runnable {
  public:
    explicit Dispatcher(TimerManager* manager) : manager_(manager) {}

    void run() override {
      {
        Synchronized s(manager_->monitor_);
        if (manager_->state_ == STARTING) {
          manager_->state_ = STARTED;
          manager_->monitor_.notifyAll();
        }
      }

      do {
        std::set<shared_ptr<Runnable> > expiredTasks;
        {
          Synchronized s(manager_->monitor_);
          long long now = nowMs();
          while (manager_->state_ == STARTED
                 && (manager_->taskMap_.empty() || manager_->taskMap_.begin()->first > now)) {
            long timeout = manager_->taskMap_.empty() ? 0 : (long)(manager_->taskMap_.begin()->first - now);
            manager_->monitor_.waitForTimeRelative(timeout);
            now = nowMs();
          }
          if (manager_->state_ == STARTED) {
            auto end = manager_->taskMap_.upper_bound(now);
            for (auto ix = manager_->taskMap_.begin(); ix != end; ++ix) {
              expiredTasks.insert(ix->second);
              manager_->taskCount_--;
            }
            manager_->taskMap_.erase(manager_->taskMap_.begin(), end);
          }
        }
        for (const auto& expiredTask : expiredTasks) {
          expiredTask->run();
        }
      } while (manager_->state_ == STARTED);

      {
        Synchronized s(manager_->monitor_);
        if (manager_->state_ == STOPPING) {
          manager_->state_ = STOPPED;
          manager_->monitor_.notify();
        }
      }
    }

  private:
    static long long nowMs() {
      struct timespec ts;
      clock_gettime(CLOCK_MONOTONIC, &ts);
      return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
    }
    TimerManager* manager_;
  };

  shared_ptr<const PosixThreadFactory> threadFactory_;
  std::multimap<long long, shared_ptr<Runnable> > taskMap_;
  size_t taskCount_;
  Monitor monitor_;
  volatile STATE state_;
  shared_ptr<Dispatcher> dispatcher_;
  shared_ptr<Thread> dispatcherThread_;
};

} // namespace concurrency
} // namespace thrift
} // namespace apache

using namespace apache::thrift::concurrency;

class SlowTask : public Runnable {
public:
  void run() override {
    usleep(300 * 1000); // forcing: the task is still running when stop() is called
    printf("timer task done\n");
  }
};

struct StopperArgs {
  TimerManager* manager;
  useconds_t delay_us;
  const char* name;
};

static void* stopper(void* arg) {
  StopperArgs* args = static_cast<StopperArgs*>(arg);
  usleep(args->delay_us);
  args->manager->stop();
  printf("%s: stop() returned\n", args->name);
  return nullptr;
}

int main() {
  TimerManager manager;
  manager.threadFactory(std::make_shared<PosixThreadFactory>());
  manager.start();
  manager.add(std::make_shared<SlowTask>(), 10);

  // e.g. the server's shutdown path and a signal handler thread both stop the timer manager
  StopperArgs a{&manager, 50 * 1000, "stopper A"};
  StopperArgs b{&manager, 100 * 1000, "stopper B"};
  pthread_t ta, tb;
  pthread_create(&ta, nullptr, stopper, &a);
  pthread_create(&tb, nullptr, stopper, &b);
  pthread_join(ta, nullptr);
  pthread_join(tb, nullptr);
  return 0;
}
