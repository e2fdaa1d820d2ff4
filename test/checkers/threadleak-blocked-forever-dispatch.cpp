// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
//
// Calls the class hierarchy resolves, locks named through another
// object's accessor, and reader-writer locks a project writes itself.

#include <condition_variable>
#include <mutex>
#include <shared_mutex>
#include <thread>

//===-- A virtual call with one override ----------------------------------===//

namespace one {
class Handler {
public:
  virtual ~Handler() = default;
  virtual void onEvent() = 0;
};
class Dispatcher {
public:
  void add(Handler *h) {
    std::lock_guard<std::mutex> g(mu);
    h_ = h;
  }
  void fire() {
    std::lock_guard<std::mutex> g(mu);
    h_->onEvent();
  }
  int count() {
    std::lock_guard<std::mutex> g(mu);
    // CHECK: :[[@LINE-1]]:33: warning: 'h_->d_.mu' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE+241]]:19: note: 'd' is the only 'Dispatcher' the program makes: 'mu' and 'h_->d_.mu' are both its 'mu'
    // CHECK: :[[@LINE-7]]:33: note: 'mu' is acquired here
    // CHECK: :[[@LINE-7]]:5: note: 'one::Handler::onEvent' (its only override, 'one::Logger::onEvent') is called here, with 'h_->d_.mu' held
    // CHECK: :[[@LINE+11]]:35: note: 'one::Dispatcher::count' is called here, with 'h_->d_.mu' held
    return n;
  }
  std::mutex mu;
  Handler *h_ = nullptr;
  int n = 0;
};
// The only implementation: fire() runs it, with mu held.
class Logger : public Handler {
public:
  explicit Logger(Dispatcher &d) : d_(d) {}
  void onEvent() override { (void)d_.count(); }
private:
  Dispatcher &d_;
};
} // namespace one

// Correct: two implementations, and the one that locks again is never the
// dispatcher's (a call that may run either takes no lock for certain).
namespace two {
class Handler {
public:
  virtual ~Handler() = default;
  virtual void onEvent() = 0;
};
class Dispatcher {
public:
  void fire(Handler &h) {
    std::lock_guard<std::mutex> g(mu);
    h.onEvent();
  }
  int count() {
    std::lock_guard<std::mutex> g(mu);
    return 0;
  }
  std::mutex mu;
};
class Quiet : public Handler {
public:
  void onEvent() override {}
};
class Counter : public Handler {
public:
  explicit Counter(Dispatcher &d) : d_(d) {}
  void onEvent() override { (void)d_.count(); }
private:
  Dispatcher &d_;
};
} // namespace two

//===-- A lock through another object's accessor --------------------------===//

namespace accessor {
class Store;
class Replica {
public:
  explicit Replica(Store &s) : store_(s) {}
  void report() { std::lock_guard<std::mutex> g(raftMu_); }
  void tick();
private:
  std::mutex raftMu_;
  Store &store_;
};
class Store {
public:
  std::mutex &coalescedMu() { return coalescedMu_; }
  void send(Replica &r) {
    std::lock_guard<std::mutex> g(coalescedMu_);
    r.report();
  }
private:
  std::mutex coalescedMu_;
};
void Replica::tick() {
  std::lock_guard<std::mutex> g(raftMu_);
  store_.coalescedMu().lock();
  // CHECK: :[[@LINE-1]]:3: warning: lock-order inversion: 'store_.coalescedMu_' is acquired while 'raftMu_' is held, and 'accessor::Store::send' acquires 'r.raftMu_' while holding 'coalescedMu_'; two threads taking both orders wait for each other forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE-10]]:33: note: 'coalescedMu_' is acquired here
  // CHECK: :[[@LINE-10]]:5: note: 'accessor::Replica::report' is called here, holding 'coalescedMu_'
  // CHECK: :[[@LINE-22]]:47: note: 'r.raftMu_' is acquired here while 'coalescedMu_' is held
  // CHECK: :[[@LINE-6]]:31: note: 'raftMu_' is acquired here
  store_.coalescedMu().unlock();
}
} // namespace accessor

//===-- A project's own reader-writer lock --------------------------------===//

// A turnstile: the writer holds it while it waits, a reader passes it.
namespace turnstile {
class FairSharedMutex {
public:
  void lock() {
    std::lock_guard<std::mutex> gate(turnstile_);
    rw_.lock();
  }
  void unlock() { rw_.unlock(); }
  void lock_shared() {
    { std::lock_guard<std::mutex> gate(turnstile_); }
    rw_.lock_shared();
  }
  void unlock_shared() { rw_.unlock_shared(); }
private:
  std::mutex turnstile_;
  std::shared_mutex rw_;
};
struct Cache {
  FairSharedMutex mu;
  int n = 0;
  int lookup() {
    mu.lock_shared();
    int r = describe();
    mu.unlock_shared();
    return r;
  }
  int describe() {
    std::shared_lock<FairSharedMutex> g(mu);
    // CHECK: :[[@LINE-1]]:39: warning: 'mu' is locked for reading again by code that already holds it for reading; a writer that starts waiting in between holds this second read lock back, and waits itself for the first: both wait forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-8]]:5: note: 'mu' is acquired here
    // CHECK: :[[@LINE-8]]:13: note: 'turnstile::Cache::describe' is called here, with 'mu' held for reading
    // CHECK: :[[@LINE+4]]:5: note: 'mu' is locked for writing here, in 'turnstile::Cache::add'; a waiting writer of 'turnstile::FairSharedMutex' holds back new readers
    return n;
  }
  void add() {
    mu.lock();
    ++n;
    mu.unlock();
  }
};
} // namespace turnstile

// A waiting writer's mark: the writer counts itself before it waits, the
// readers wait while it is there.
namespace mark {
class RWLock {
public:
  void read_lock() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return state_ >= 0 && writersWaiting_ == 0; });
    ++state_;
  }
  void read_unlock() {
    std::lock_guard<std::mutex> lk(m_);
    if (--state_ == 0)
      cv_.notify_all();
  }
  void write_lock() {
    std::unique_lock<std::mutex> lk(m_);
    ++writersWaiting_;
    cv_.wait(lk, [this] { return state_ == 0; });
    --writersWaiting_;
    state_ = -1;
  }
  void write_unlock() {
    std::lock_guard<std::mutex> lk(m_);
    state_ = 0;
    cv_.notify_all();
  }
private:
  std::mutex m_;
  std::condition_variable cv_;
  int state_ = 0, writersWaiting_ = 0;
};
struct Table {
  RWLock mu;
  int rows() {
    mu.read_lock();
    int r = size();
    mu.read_unlock();
    return r;
  }
  int size() {
    mu.read_lock();
    // CHECK: :[[@LINE-1]]:5: warning: 'mu' is locked for reading again by code that already holds it for reading; a writer that starts waiting in between holds this second read lock back, and waits itself for the first: both wait forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-8]]:5: note: 'mu' is acquired here
    // CHECK: :[[@LINE-8]]:13: note: 'mark::Table::size' is called here, with 'mu' held for reading
    // CHECK: :[[@LINE+5]]:5: note: 'mu' is locked for writing here, in 'mark::Table::insert'; a waiting writer of 'mark::RWLock' holds back new readers
    mu.read_unlock();
    return 0;
  }
  void insert() {
    mu.write_lock();
    mu.write_unlock();
  }
};
} // namespace mark

// Correct: readers first. The writer marks itself only once it has the
// lock, so a waiting writer holds no reader back.
namespace readers_first {
class RWLock {
public:
  void read_lock() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return !writer_; });
    ++readers_;
  }
  void read_unlock() {
    std::lock_guard<std::mutex> lk(m_);
    if (--readers_ == 0)
      cv_.notify_all();
  }
  void write_lock() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return !writer_ && readers_ == 0; });
    writer_ = true;
  }
  void write_unlock() {
    std::lock_guard<std::mutex> lk(m_);
    writer_ = false;
    cv_.notify_all();
  }
private:
  std::mutex m_;
  std::condition_variable cv_;
  int readers_ = 0;
  bool writer_ = false;
};
struct Table {
  RWLock mu;
  int rows() {
    mu.read_lock();
    int r = size();
    mu.read_unlock();
    return r;
  }
  int size() {
    mu.read_lock();
    mu.read_unlock();
    return 0;
  }
  void insert() {
    mu.write_lock();
    mu.write_unlock();
  }
};
} // namespace readers_first

int main() {
  one::Dispatcher d;
  one::Logger l(d);
  d.add(&l);
  d.fire();
  // What the program runs (a function nothing calls never runs).
  accessor::Store store;
  accessor::Replica replica(store);
  replica.tick();
  store.send(replica);
  turnstile::Cache cache;
  cache.lookup();
  cache.add();
  mark::Table marked;
  marked.rows();
  marked.insert();
  readers_first::Table table;
  table.rows();
  table.insert();
}
