// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' --config="{CheckOptions: {threadleak-blocked-forever.DumpModel: true}}" %s -- %stubflags | FileCheck --check-prefix=DUMP %s

// threadleak-blocked-forever: objects reached through what refers to them.
//  - A reference or pointer data member that every value it is given makes
//    refer to the same member of another class (its constructor's parameter
//    stands for what each construction passes) is that member.
//  - A pointer to functions holds the functions it is given, as a
//    std::function holds lambdas; a call through it runs them.
//  - Containers of callbacks that swap their contents hold what the other
//    held.

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

//===-- A reference member to the owner's mutex ---------------------------===//

class Worker {
public:
  explicit Worker(std::mutex &m) : mu_(m) {}
  void step() {
    std::lock_guard<std::mutex> g(mu_);
    ++steps_;
  }

private:
  std::mutex &mu_;
  int steps_ = 0;
};

// The owner joins, holding its mutex, a thread whose worker takes it.
class Owner {
public:
  void start() {
    t_ = std::thread([this] { w_.step(); });
  }
  void stop() {
    std::lock_guard<std::mutex> g(mu_);
    t_.join();
  }
// CHECK: :[[@LINE-2]]:5: warning: join() waits for the thread while holding 'mu_', which the thread acquires before it can finish: both wait forever [threadleak-blocked-forever]
// CHECK: :[[@LINE-4]]:33: note: 'mu_' is acquired here
// CHECK: :[[@LINE-8]]:10: note: the thread is started here
// CHECK: :[[@LINE-9]]:31: note: 'Worker::step' is called here, in the thread
// CHECK: :[[@LINE-23]]:33: note: the thread acquires 'w_.mu_' here

private:
  std::mutex mu_;
  Worker w_{mu_};
  std::thread t_;
};

// The fix: the join is outside the lock.
class FixedWorker {
public:
  explicit FixedWorker(std::mutex &m) : mu_(m) {}
  void step() {
    std::lock_guard<std::mutex> g(mu_);
    ++steps_;
  }

private:
  std::mutex &mu_;
  int steps_ = 0;
};
class FixedOwner {
public:
  void start() {
    t_ = std::thread([this] { w_.step(); });
  }
  void stop() {
    {
      std::lock_guard<std::mutex> g(mu_);
    }
    t_.join();
  }

private:
  std::mutex mu_;
  FixedWorker w_{mu_};
  std::thread t_;
};

// A look-alike: the worker is given its own mutex by one owner and the
// owner's by another; which one a worker takes is not known (silent).
class SharedWorker {
public:
  explicit SharedWorker(std::mutex &m) : mu_(m) {}
  void step() {
    std::lock_guard<std::mutex> g(mu_);
    ++steps_;
  }

private:
  std::mutex &mu_;
  int steps_ = 0;
};
std::mutex spare;
class TwoOwners {
public:
  void start() {
    t_ = std::thread([this] { w_.step(); });
  }
  void stop() {
    std::lock_guard<std::mutex> g(mu_);
    t_.join();
  }

private:
  std::mutex mu_;
  SharedWorker w_{spare};
  SharedWorker other_{mu_};
  std::thread t_;
};

//===-- A pointer to functions --------------------------------------------===//

// facebook/rocksdb#1552's shape: the registry runs its handler, a function
// given as a pointer, holding its mutex; the handler takes the merge lock,
// which the reporter holds while it folds the registry.
using Handler = void (*)(void *);
class Registry {
public:
  explicit Registry(Handler h) : handler_(h) {}
  void exitThread(void *p) {
    std::lock_guard<std::mutex> g(mu_);
    handler_(p);
  }
  void fold() const {
    std::lock_guard<std::mutex> g(mu_);
  }

private:
  mutable std::mutex mu_;
  Handler handler_;
};

std::mutex merge_lock;
void mergeOne(void *) {
  std::lock_guard<std::mutex> g(merge_lock);
}
// CHECK: :[[@LINE-2]]:31: warning: lock-order inversion: 'merge_lock' is acquired while 'mu_' is held, and 'Histogram::report' acquires 'registry_.mu_' while holding 'merge_lock'; two threads taking both orders wait for each other forever [threadleak-blocked-forever]
// CHECK: :[[@LINE+9]]:33: note: 'merge_lock' is acquired here
// CHECK: :[[@LINE+9]]:5: note: 'Registry::fold' is called here, holding 'merge_lock'
// CHECK: :[[@LINE-15]]:33: note: 'registry_.mu_' is acquired here while 'merge_lock' is held
// CHECK: :[[@LINE-20]]:33: note: 'mu_' is acquired here
// CHECK: :[[@LINE-20]]:5: note: the function object 'handler_' is called here, holding 'mu_'

class Histogram {
public:
  void report() {
    std::lock_guard<std::mutex> g(merge_lock);
    registry_.fold();
  }
  void threadExit(void *p) { registry_.exitThread(p); }

private:
  Registry registry_{&mergeOne};
};

void runHistogram() {
  Histogram h;
  std::thread t([&] { h.threadExit(nullptr); });
  h.report();
  t.join();
}

//===-- Callbacks swapped out of a container ------------------------------===//

// The callbacks are swapped out and run with the mutex still held; one of
// them takes it again.
class Signal {
public:
  void connect(std::function<void()> cb) {
    std::lock_guard<std::mutex> g(mu_);
    slots_.push_back(std::move(cb));
  }
  void emit() {
    std::lock_guard<std::mutex> g(mu_);
    std::vector<std::function<void()>> now;
    now.swap(slots_);
    for (auto &f : now)
      f();
  }
  int count() {
    std::lock_guard<std::mutex> g(mu_);
    return static_cast<int>(slots_.size());
  }

private:
  std::mutex mu_;
  std::vector<std::function<void()>> slots_;
};
// CHECK: :[[@LINE-8]]:33: warning: 's.mu_' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
// CHECK: :[[@LINE+7]]:3: note: 'Signal::emit' is called here
// CHECK: :[[@LINE-17]]:33: note: 's.mu_' is acquired here
// CHECK: :[[@LINE-14]]:7: note: the function object 'f' is called here, with 's.mu_' held
// CHECK: :[[@LINE+3]]:26: note: 'Signal::count' is called here, with 's.mu_' held

void useSignal(Signal &s) {
  s.connect([&s] { (void)s.count(); });
  s.emit();
}

// The fix: run them after the unlock.
class FixedSignal {
public:
  void connect(std::function<void()> cb) {
    std::lock_guard<std::mutex> g(mu_);
    slots_.push_back(std::move(cb));
  }
  void emit() {
    std::vector<std::function<void()>> now;
    {
      std::lock_guard<std::mutex> g(mu_);
      now.swap(slots_);
    }
    for (auto &f : now)
      f();
  }
  int count() {
    std::lock_guard<std::mutex> g(mu_);
    return static_cast<int>(slots_.size());
  }

private:
  std::mutex mu_;
  std::vector<std::function<void()>> slots_;
};

void useFixedSignal(FixedSignal &s) {
  s.connect([&s] { (void)s.count(); });
  s.emit();
}

//===-- A pointer member to the caller's mutex, given back ----------------===//

// Go's sync.Cond: Wait() unlocks the mutex its caller holds, waits, and
// locks it again. Returning it held gives it back: no leaked lock.
class Cond {
public:
  explicit Cond(std::mutex *l) : l_(l) {}
  void wait() {
    l_->unlock();
    std::this_thread::yield();
    l_->lock();
  }

private:
  std::mutex *l_;
};

class Queue {
public:
  void pop() {
    mu_.lock();
    while (n_ == 0)
      cond_.wait();
    --n_;
    mu_.unlock();
  }
  void push() {
    mu_.lock();
    ++n_;
    mu_.unlock();
  }

private:
  std::mutex mu_;
  Cond cond_{&mu_};
  int n_ = 0;
};

// The model: the call through the pointer and the swapped container reach
// what they were given; the reference members are names of their owners'
// mutexes (not SharedWorker's, given two).
// DUMP-LABEL: unit 'Registry::exitThread'
// DUMP:   call through a function pointer: 'mergeOne'  held {mu_}
// DUMP-LABEL: unit 'Signal::emit'
// DUMP:   call through std::function: lambda at {{[0-9]+}}:13  held {mu_}
// DUMP-LABEL: function objects:
// DUMP:   Registry::handler_ -> 'mergeOne'
// DUMP:   Signal::slots_ -> lambda at
// DUMP-LABEL: objects:
// DUMP:   Owner::mu_ <- mu_ w_.mu_
// DUMP:   Queue::mu_ <- cond_.l_ l_ mu_
// DUMP:   SharedWorker::mu_ <- mu_ w_.mu_

//===-- A condition variable that holds a pointer to its mutex wrapper ----===//

// leveldb's port::CondVar: built with the Mutex it waits with; Wait()
// adopts that wrapper's std::mutex, so waiting releases the lock its caller
// holds through the wrapper (silent: the waiter does not hold it).
namespace port {
class CondVar;
class Mutex {
public:
  void Lock() { mu_.lock(); }
  void Unlock() { mu_.unlock(); }

private:
  friend class CondVar;
  std::mutex mu_;
};
class CondVar {
public:
  explicit CondVar(Mutex *mu) : mu_(mu) {}
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }
  void Signal() { cv_.notify_one(); }

private:
  std::condition_variable cv_;
  Mutex *const mu_;
};
} // namespace port

class MutexLock {
public:
  explicit MutexLock(port::Mutex *mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() { mu_->Unlock(); }

private:
  port::Mutex *const mu_;
};

// Condition variables are built with different mutexes (a writer's with
// the queue's): the one a wait adopts may be the one its caller holds.
struct Writer {
  explicit Writer(port::Mutex *mu) : cv(mu) {}
  port::CondVar cv;
};

class Db {
public:
  ~Db() {
    MutexLock l(&mutex_);
    while (scheduled_)
      done_.Wait();
  }
  void Write() {
    MutexLock l(&mutex_);
    Writer w(&queue_mu_);
    ++writes_;
  }
  void Background() {
    Write();
    scheduled_ = false;
    done_.Signal();
  }

private:
  port::Mutex mutex_;
  port::Mutex queue_mu_;
  port::CondVar done_{&mutex_};
  bool scheduled_ = true;
  int writes_ = 0;
};

void runDb() {
  Db *db = new Db;
  std::thread t([db] { db->Background(); });
  delete db;
  t.join();
}

