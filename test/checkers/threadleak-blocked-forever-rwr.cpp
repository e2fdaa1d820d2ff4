// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all --check-prefixes=CHECK %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all --check-prefixes=CHECK %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' --config="{CheckOptions: {threadleak-blocked-forever.WriterPreferringMutexes: '::std::shared_mutex;::app::RwLock'}}" %s -- %stubflags | %check-all --check-prefixes=CHECK,OPTION %s

// threadleak-blocked-forever: a read lock taken again by code that already
// holds it. On a mutex whose waiting writer holds back new readers (the
// standard's shared mutexes, where it is undefined behaviour; Boost's; a
// project's, declared in WriterPreferringMutexes), a writer that starts
// waiting between the two read locks waits for the first, and the second
// waits for the writer (kubernetes#62464).

#include <shared_mutex>

class State {
  std::shared_mutex mu;
  int cpus = 0;

public:
  int cpuSet() {
    std::shared_lock lk(mu);
    // CHECK: :[[@LINE-1]]:22: warning: 'mu' is locked for reading again by code that already holds it for reading; a writer that starts waiting in between holds this second read lock back, and waits itself for the first: both wait forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE+6]]:22: note: 'mu' is acquired here
    // CHECK: :[[@LINE+6]]:12: note: 'State::cpuSet' is called here, with 'mu' held for reading
    // CHECK: :[[@LINE+8]]:21: note: 'mu' is locked for writing here, in 'State::setDefault'; a thread that holds a 'std::shared_mutex' must not lock it again (undefined behaviour), and libc++'s and MSVC's hold new readers back behind a waiting writer
    return cpus;
  }
  int cpuSetOrDefault() {
    std::shared_lock lk(mu);
    return cpuSet() + 1;
  }
  void setDefault(int n) {
    std::lock_guard lk(mu);
    cpus = n;
  }
};

// The fix: the outer function reads through an unlocked helper.
class StateFixed {
  std::shared_mutex mu;
  int cpus = 0;
  int cpuSetLocked() const { return cpus; }

public:
  int cpuSet() {
    std::shared_lock lk(mu);
    return cpuSetLocked();
  }
  int cpuSetOrDefault() {
    std::shared_lock lk(mu);
    return cpuSetLocked() + 1;
  }
  void setDefault(int n) {
    std::lock_guard lk(mu);
    cpus = n;
  }
};

// No writer anywhere: no one can get in between (silent).
class ReadOnly {
  std::shared_mutex mu;
  int cpus = 0;

public:
  int cpuSet() {
    mu.lock_shared();
    int n = cpus;
    mu.unlock_shared();
    return n;
  }
  int cpuSetOrDefault() {
    mu.lock_shared();
    int n = cpuSet() + 1;
    mu.unlock_shared();
    return n;
  }
};

// A project's reader-writer lock: writer-preferring only where declared.
namespace app {
class RwLock {
public:
  void rlock();
  void runlock();
  void lock();
  void unlock();
};
} // namespace app

struct Registry {
  app::RwLock mu;
  int n = 0;
  int size() {
    mu.rlock();
    // OPTION: :[[@LINE-1]]:5: warning: 'mu' is locked for reading again by code that already holds it for reading; a writer that starts waiting in between holds this second read lock back, and waits itself for the first: both wait forever [threadleak-blocked-forever]
    // OPTION: :[[@LINE+8]]:5: note: 'mu' is acquired here
    // OPTION: :[[@LINE+8]]:13: note: 'Registry::size' is called here, with 'mu' held for reading
    // OPTION: :[[@LINE+12]]:5: note: 'mu' is locked for writing here, in 'Registry::add'; a waiting writer of 'app::RwLock' holds back new readers
    int r = n;
    mu.runlock();
    return r;
  }
  int sizeTwice() {
    mu.rlock();
    int r = size() * 2;
    mu.runlock();
    return r;
  }
  void add() {
    mu.lock();
    ++n;
    mu.unlock();
  }
};

// Negative: a project's reader guard (its constructor takes a read lock,
// like rocksdb's ReadLock) taken twice is two read locks, not a mutex
// taken twice; on a mutex not declared writer-preferring, no finding.
namespace port {
class RWMutex {
public:
  void ReadLock() { mu_.lock_shared(); }
  void ReadUnlock() { mu_.unlock_shared(); }
  void WriteLock() { mu_.lock(); }
  void WriteUnlock() { mu_.unlock(); }

private:
  std::shared_mutex mu_;
};
} // namespace port
class ReadLock {
public:
  explicit ReadLock(port::RWMutex *mu) : mu_(mu) { mu_->ReadLock(); }
  ~ReadLock() { mu_->ReadUnlock(); }

private:
  port::RWMutex *const mu_;
};
class CacheFile {
public:
  bool read() {
    ReadLock l(&rwlock_);
    return readFromDisk();
  }

private:
  bool readFromDisk() {
    ReadLock l(&rwlock_);
    return true;
  }
  port::RWMutex rwlock_;
};

// Two orders that both take a reader/writer mutex for reading wait for
// each other where a writer that waits holds new readers back (the
// standard's shared mutexes here) and one may wait (serf#507: a third
// goroutine's Lock() between the two RLock()s). With no writer that waits,
// the second reader gets in (threadleak-blocked-forever-calls.cpp,
// shared_both).
namespace shared_orders {
std::shared_mutex rw;
std::mutex m;
void reader() {
  std::shared_lock<std::shared_mutex> r(rw);
  std::lock_guard<std::mutex> g(m);
}
void rereader() {
  std::lock_guard<std::mutex> g(m);
  std::shared_lock<std::shared_mutex> r(rw);
  // CHECK: :[[@LINE-1]]:39: warning: lock-order inversion: 'rw' is acquired while 'm' is held, and 'shared_orders::reader' acquires 'm' while holding 'rw'; two threads taking both orders wait for each other forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE-7]]:39: note: 'rw' is acquired here
  // CHECK: :[[@LINE-7]]:31: note: 'm' is acquired here while 'rw' is held
  // CHECK: :[[@LINE-5]]:31: note: 'm' is acquired here
}
void writer() { std::unique_lock<std::shared_mutex> w(rw); }
} // namespace shared_orders
