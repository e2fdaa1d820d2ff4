// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// threadleak-blocked-forever: an operation no partner can ever complete.
// Each shape both ways: the bug reported, the correct look-alike silent.

#include <boost/fiber/all.hpp>
#include <condition_variable>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <semaphore>
#include <shared_mutex>
#include <thread>

namespace fibers = boost::fibers;
void work();
bool ready();

//===-- Self-deadlock: a mutex acquired by code that already holds it ------===//

// grpc-go#795: the early return locks again instead of unlocking.
struct Server {
  std::mutex mu;
  bool drain = false;
  void GracefulStop() {
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

// etcd#10492, without the std::function: a callee takes the caller's mutex.
struct Lessor {
  std::mutex mu;
  void checkpoint() { std::lock_guard lk(mu); }
  // CHECK: :[[@LINE-1]]:39: warning: 'mu' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE+3]]:21: note: 'mu' is acquired here
  // CHECK: :[[@LINE+3]]:5: note: 'Lessor::checkpoint' is called here, with 'mu' held
  void renew() {
    std::lock_guard lk(mu);
    checkpoint();
  }
};

// A reader lock under one's own writer lock (Go's RLock under Lock).
struct Table {
  std::shared_mutex mu;
  int size() {
    std::shared_lock lk(mu);
    // CHECK: :[[@LINE-1]]:22: warning: 'mu' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE+5]]:21: note: 'mu' is acquired here
    // CHECK: :[[@LINE+5]]:9: note: 'Table::size' is called here, with 'mu' held
    return 0;
  }
  void grow() {
    std::lock_guard lk(mu);
    if (size() > 10)
      work();
  }
};

// Negative: a recursive mutex may be taken again.
struct Recursive {
  std::recursive_mutex mu;
  void inner() { std::lock_guard lk(mu); }
  void outer() {
    std::lock_guard lk(mu);
    inner();
  }
};

// Negative (log4cplus's thread::Mutex): a project's wrapper of a recursive
// mutex is recursive.
class RecMutex {
public:
  void lock() { m.lock(); }
  void unlock() { m.unlock(); }

private:
  std::recursive_mutex m;
};
struct Appender {
  RecMutex access;
  int getFilter() {
    std::lock_guard lk(access);
    return 0;
  }
  void addFilter() {
    std::lock_guard lk(access);
    getFilter();
  }
};

// Negative: another object's mutex (same class) is another mutex.
struct Account {
  std::mutex mu;
  int balance = 0;
  void deposit(int n) { std::lock_guard lk(mu); balance += n; }
  void transferTo(Account &other, int n) {
    std::lock_guard lk(mu);
    balance -= n;
    other.deposit(n);
  }
};

// Negative: the callee releases the caller's mutex before taking it again.
struct Unlocker {
  std::mutex mu;
  void waitUnlocked() {
    mu.unlock();
    work();
    mu.lock();
  }
  void run() {
    mu.lock();
    waitUnlocked();
    mu.unlock();
  }
};

// Negative: hand-over-hand locking down a list: the name moves on.
struct Node {
  std::mutex mu;
  Node *next = nullptr;
};
void walk(Node *head) {
  Node *cur = head;
  cur->mu.lock();
  while (cur->next) {
    Node *next = cur->next;
    next->mu.lock();
    cur->mu.unlock();
    cur = next;
  }
  cur->mu.unlock();
}

// Negative: try_lock never waits.
struct Trier {
  std::mutex mu;
  void poke() {
    std::lock_guard lk(mu);
    if (mu.try_lock())
      work();
  }
};

//===-- A mutex left locked on one return path ----------------------------===//

// etcd#5509: acquire() returns without the reader's unlock when closed.
struct Client {
  std::shared_mutex mu;
  bool closed = false;
  void close() {
    std::lock_guard lk(mu);
    closed = true;
  }
};
struct Remote {
  Client *client;
  bool acquire() {
    for (;;) {
      client->mu.lock_shared();
      if (client->closed)
        return false;
        // CHECK: :[[@LINE-1]]:9: warning: 'client->mu' is still held when 'Remote::acquire' returns here, though its other paths release it; the next acquisition of 'client->mu' waits forever [threadleak-blocked-forever]
        // CHECK: :[[@LINE-4]]:7: note: 'client->mu' is acquired here
        // CHECK: :[[@LINE-13]]:21: note: 'Client::close' acquires 'mu' here: it waits forever
      client->mu.unlock_shared();
      work();
    }
  }
  bool get() { return acquire(); }
};

// Negative: a lock wrapper returns holding the lock on every path.
struct Wrapped {
  std::mutex mu;
  void Lock() { mu.lock(); }
  void Unlock() { mu.unlock(); }
  void use() {
    Lock();
    work();
    Unlock();
  }
};

// Negative: acquire-on-success; the caller releases it.
struct Gate {
  std::mutex mu;
  bool busy = false;
  bool tryEnter() {
    mu.lock();
    if (busy) {
      mu.unlock();
      return false;
    }
    return true;
  }
  void visit() {
    if (tryEnter()) {
      work();
      mu.unlock();
    }
  }
  void other() { std::lock_guard lk(mu); }
};

// watermill#318: Subscribe() returns an error holding closedLock; the caller
// goes on to Close(), which takes and releases the mutex itself (it gives
// back nothing the caller holds), so the next Subscribe() waits forever.
struct PubSub {
  std::mutex closedLock;
  bool closed = false;
  bool subscribe() {
    closedLock.lock();
    if (closed)
      return false;
      // CHECK: :[[@LINE-1]]:7: warning: 'closedLock' is still held when 'PubSub::subscribe' returns here, though its other paths release it; the next acquisition of 'closedLock' waits forever [threadleak-blocked-forever]
      // CHECK: :[[@LINE-4]]:5: note: 'closedLock' is acquired here
      // CHECK: :[[@LINE+5]]:5: note: 'PubSub::close' acquires 'closedLock' here: it waits forever
    closedLock.unlock();
    return true;
  }
  void close() {
    closedLock.lock();
    closed = true;
    closedLock.unlock();
  }
};
void route(PubSub &P) {
  P.subscribe();
  P.close();
}

// Negative: the caller hands the mutex to a function that releases it
// without taking it (the caller's lock, given back).
struct Turnstile {
  std::mutex mu;
  bool shut = false;
  bool enter() {
    mu.lock();
    if (shut)
      return true;
    mu.unlock();
    return false;
  }
  void leave() { mu.unlock(); }
  void pass() {
    if (enter())
      leave();
  }
  void other() { std::lock_guard lk(mu); }
};

// grpc-go#3017: a timer callback returns early holding the mutex.
struct Cache {
  std::mutex mu;
  bool abort = false;
  void remove() {
    std::lock_guard lk(mu);
    std::thread([this] {
      mu.lock();
      if (abort)
        return;
        // CHECK: :[[@LINE-1]]:9: warning: 'mu' is still held when the lambda returns here, though its other paths release it; the next acquisition of 'mu' waits forever [threadleak-blocked-forever]
        // CHECK: :[[@LINE-4]]:7: note: 'mu' is acquired here
        // CHECK: :[[@LINE-7]]:21: note: 'Cache::remove' acquires 'mu' here: it waits forever
      work();
      mu.unlock();
    }).detach();
  }
};

// Negative: annotated as an acquiring function.
struct __attribute__((capability("mutex"))) Cap {
  std::mutex mu;
  bool busy = false;
  bool enter() __attribute__((try_acquire_capability(true))) {
    mu.lock();
    if (busy) {
      mu.unlock();
      return false;
    }
    return true;
  }
  void user() {
    if (enter())
      work();
  }
  void other() { std::lock_guard lk(mu); }
};

// Negative: an acquire-on-success lambda held in a std::function; its
// caller releases.
struct GateFn {
  std::mutex mu;
  bool busy = false;
  std::function<bool()> enter = [this] {
    mu.lock();
    if (busy) {
      mu.unlock();
      return false;
    }
    return true;
  };
  void visit() {
    if (enter()) {
      work();
      mu.unlock();
    }
  }
  void other() { std::lock_guard lk(mu); }
};

// Negative: a named function nobody here calls may have callers elsewhere
// that release it.
struct Exported {
  std::mutex mu;
  bool busy = false;
  bool tryEnter() {
    mu.lock();
    if (busy) {
      mu.unlock();
      return false;
    }
    return true;
  }
  void other() { std::lock_guard lk(mu); }
};

// Negative (leveldb's PosixEnv::BackgroundThreadMain): the only way out
// holding the mutex is a call that never returns (an assert()).
[[noreturn]] void fatal();
struct Background {
  std::mutex mu;
  bool empty = true;
  void start() {
    std::thread([this] {
      while (true) {
        mu.lock();
        if (empty)
          fatal();
        mu.unlock();
        work();
      }
    }).detach();
  }
  void schedule() {
    std::lock_guard lk(mu);
    empty = false;
  }
};

//===-- Lock-order inversion ------------------------------------------------===//

struct Bank {
  std::mutex accounts, audit;
  void post() {
    std::lock_guard a(accounts);
    std::lock_guard b(audit);
  }
  void report() {
    std::lock_guard b(audit);
    std::lock_guard a(accounts);
    // CHECK: :[[@LINE-1]]:21: warning: lock-order inversion: 'accounts' is acquired while 'audit' is held, and 'Bank::post' acquires 'audit' while holding 'accounts'; two threads taking both orders wait for each other forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-7]]:21: note: 'accounts' is acquired here
    // CHECK: :[[@LINE-7]]:21: note: 'audit' is acquired here while 'accounts' is held
    // CHECK: :[[@LINE-5]]:21: note: 'audit' is acquired here
  }
};

// kubernetes#13135: the cacher's callback runs under the watch cache's
// lock and takes the cacher's; the cacher takes the watch cache's under
// its own.
struct WatchCache {
  std::mutex mu;
  std::function<void()> onEvent;
  void add() {
    std::lock_guard lk(mu);
    onEvent();
  }
  void list() { std::lock_guard lk(mu); }
};
struct Cacher {
  std::mutex mu;
  WatchCache cache;
  Cacher() {
    cache.onEvent = [this] { std::lock_guard lk(mu); };
    // CHECK: :[[@LINE-1]]:46: warning: lock-order inversion: 'Cacher::mu' is acquired while 'WatchCache::mu' is held, and 'Cacher::startCaching' acquires 'WatchCache::mu' while holding 'Cacher::mu'; two threads taking both orders wait for each other forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE+7]]:21: note: 'mu' is acquired here
    // CHECK: :[[@LINE+7]]:5: note: 'WatchCache::list' is called here, holding 'mu'
    // CHECK: :[[@LINE-10]]:33: note: 'cache.mu' is acquired here while 'mu' is held
    // CHECK: :[[@LINE-14]]:21: note: 'mu' is acquired here
    // CHECK: :[[@LINE-14]]:5: note: the function object 'onEvent' is called here, holding 'WatchCache::mu'
  }
  void startCaching() {
    std::lock_guard lk(mu);
    cache.list();
  }
};

// Negative: one order everywhere.
struct Ordered {
  std::mutex first, second;
  void a() {
    std::lock_guard l1(first);
    std::lock_guard l2(second);
  }
  void b() {
    std::lock_guard l1(first);
    work();
    std::lock_guard l2(second);
  }
};

//===-- Blocking while holding the mutex every partner needs ----------------===//

// grpc-go#1460: the receive waits holding mu; the only sender takes mu.
struct Keepalive {
  fibers::mutex mu;
  fibers::unbuffered_channel<int> awaken;
  bool active = false;
  void keepalive() {
    std::unique_lock lk(mu);
    if (!active) {
      int v;
      awaken.pop(v);
      // CHECK: :[[@LINE-1]]:7: warning: a receive from 'awaken' waits while holding 'mu', and every operation that could complete it needs 'mu' first: both sides wait forever [threadleak-blocked-forever]
      // CHECK: :[[@LINE-5]]:22: note: 'mu' is acquired here
      // CHECK: :[[@LINE+6]]:5: note: a send on 'awaken' in 'Keepalive::newStream' runs only with 'mu' held
    }
  }
  void newStream() {
    std::lock_guard lk(mu);
    active = true;
    awaken.push(1);
  }
};

// A nested monitor: waiting on cv (under its own mutex m) while holding
// outer, which the only notifier takes first.
struct Nested {
  std::mutex outer, m;
  std::condition_variable cv;
  bool ready = false;
  void consume() {
    std::lock_guard o(outer);
    std::unique_lock lk(m);
    while (!ready)
      cv.wait(lk);
      // CHECK: :[[@LINE-1]]:7: warning: a wait on 'cv' waits while holding 'outer', and every operation that could complete it needs 'outer' first: both sides wait forever [threadleak-blocked-forever]
      // CHECK: :[[@LINE-5]]:21: note: 'outer' is acquired here
      // CHECK: :[[@LINE+8]]:5: note: a notify of 'cv' in 'Nested::produce' runs only with 'outer' held
  }
  void produce() {
    std::lock_guard o(outer);
    {
      std::lock_guard lk(m);
      ready = true;
    }
    cv.notify_one();
  }
};

// Negative: a reader that may be the partner, reached through a reference
// to a channel of the same type, runs without the mutex.
void drain(fibers::unbuffered_channel<int> &c) {
  int v;
  c.pop(v);
}
struct ThroughParam {
  fibers::mutex mu;
  fibers::unbuffered_channel<int> ch;
  void send() {
    std::lock_guard lk(mu);
    ch.push(1);
  }
  void close() {
    std::lock_guard lk(mu);
    ch.close();
  }
};

// kubernetes#6632's fix: a range-for drains the channel without the mutex.
struct Drained {
  std::shared_ptr<fibers::unbuffered_channel<bool>> reset =
      std::make_shared<fibers::unbuffered_channel<bool>>();
  fibers::mutex writeLock;
  void monitor() {
    auto rc = reset;
    fibers::fiber([rc] {
      for (bool b : *rc)
        (void)b;
    }).detach();
    std::lock_guard lk(writeLock);
    rc->close();
  }
  void write() {
    std::lock_guard lk(writeLock);
    reset->push(true);
  }
};

// ... and without the range-for, the only partner is the close under the
// mutex (kubernetes#6632).
struct Undrained {
  std::shared_ptr<fibers::unbuffered_channel<bool>> reset =
      std::make_shared<fibers::unbuffered_channel<bool>>();
  fibers::mutex writeLock;
  void monitor() {
    std::lock_guard lk(writeLock);
    reset->close();
  }
  void write() {
    std::lock_guard lk(writeLock);
    reset->push(true);
    // CHECK: :[[@LINE-1]]:5: warning: a send on 'reset' waits while holding 'writeLock', and every operation that could complete it needs 'writeLock' first: both sides wait forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-3]]:21: note: 'writeLock' is acquired here
    // CHECK: :[[@LINE-7]]:5: note: a close of 'reset' in 'Undrained::monitor' runs only with 'writeLock' held
  }
};

// kubernetes#10182: the loop receives one request, then takes the lock; the
// second sender holds the lock while it waits for the loop's next receive.
struct Status {
  fibers::mutex lock;
  fibers::unbuffered_channel<bool> requests;
  void syncBatch() {
    bool v;
    requests.pop(v);
    std::lock_guard lk(lock);
  }
  void syncLoop() {
    for (;;)
      syncBatch();
  }
  void set() {
    std::lock_guard lk(lock);
    requests.push(true);
    // CHECK: :[[@LINE-1]]:5: warning: a send on 'requests' waits while holding 'lock', and every operation that could complete it may need 'lock' first: both sides wait forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-3]]:21: note: 'lock' is acquired here
    // CHECK: :[[@LINE-12]]:5: note: a receive from 'requests' in 'Status::syncBatch' may take 'lock' before it runs again, while this operation runs more than once
  }
};
void twoSetters(Status &s) {
  fibers::fiber a([&] { s.set(); });
  fibers::fiber b([&] { s.set(); });
  a.join();
  b.join();
}

// Negative: the loop takes the lock and releases it before it receives
// again only on some paths... here on none: it never takes the lock.
struct StatusFree {
  fibers::mutex lock;
  fibers::unbuffered_channel<bool> requests;
  void syncLoop() {
    for (;;) {
      bool v;
      requests.pop(v);
      work();
    }
  }
  void set() {
    std::lock_guard lk(lock);
    requests.push(true);
  }
};

// Negative: a sender that runs once; the loop's lock comes after the match.
struct StatusOnce {
  fibers::mutex lock;
  fibers::unbuffered_channel<bool> requests;
  void syncLoop() {
    for (;;) {
      bool v;
      requests.pop(v);
      std::lock_guard lk(lock);
    }
  }
  void set() {
    std::lock_guard lk(lock);
    requests.push(true);
  }
};

// Negative (google/benchmark's ThreadManager): the wait's lock is a user
// guard's handle; the notifier takes the mutex that the wait releases.
class MutexLock {
public:
  explicit MutexLock(std::mutex &m) : ml_(m) {}
  ~MutexLock() {}
  std::unique_lock<std::mutex> &native_handle() { return ml_; }

private:
  std::unique_lock<std::mutex> ml_;
};
struct Manager {
  std::mutex endMu;
  std::condition_variable endCv;
  int alive = 1;
  void complete() {
    MutexLock l(endMu);
    alive = 0;
    endCv.notify_all();
  }
  void waitAll() {
    MutexLock l(endMu);
    endCv.wait(l.native_handle(), [this] { return alive == 0; });
  }
};

// etcd#7492: a bounded buffer; between two receives the keeper's loop may
// call a callback that takes the senders' mutex; senders run in a loop.
struct Keeper {
  fibers::buffered_channel<int> add{2};
  std::function<void()> onTick;
  void run() {
    for (;;) {
      int v;
      if (add.try_pop(v) != fibers::channel_op_status::success)
        onTick();
    }
  }
  void put() { add.push(1); }
  // CHECK: :[[@LINE-1]]:16: warning: a send on 'keeper.add' waits while holding 'mu', and every operation that could complete it may need 'mu' first: both sides wait forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE+11]]:21: note: 'mu' is acquired here
  // CHECK: :[[@LINE+11]]:5: note: 'Keeper::put' is called here, holding 'mu'
  // CHECK: :[[@LINE-8]]:11: note: a non-blocking receive from 'add' in 'Keeper::run' may take 'mu' before it runs again, while this operation runs more than once
};
struct Tokens {
  fibers::mutex mu;
  Keeper keeper;
  Tokens() {
    keeper.onTick = [this] { std::lock_guard lk(mu); };
  }
  void assign() {
    std::lock_guard lk(mu);
    keeper.put();
  }
};
void assignAll(Tokens &t) {
  for (int i = 0; i < 8; ++i)
    fibers::fiber([&t] { t.assign(); }).detach();
}

// grpc-go#1353: the watcher's loop receives, then tears down connections
// whose callback (a lambda returned by the balancer) takes the balancer's
// mutex; the updater sends in a loop holding it.
struct Balancer {
  fibers::mutex mu;
  fibers::unbuffered_channel<bool> addrCh;
  std::function<void()> up() {
    return [this] { down(); };
  }
  void down() { std::lock_guard lk(mu); }
  void update() {
    std::lock_guard lk(mu);
    addrCh.push(true);
    // CHECK: :[[@LINE-1]]:5: warning: a send on 'addrCh' waits while holding 'mu', and every operation that could complete it may need 'mu' first: both sides wait forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-3]]:21: note: 'mu' is acquired here
    // CHECK: :[[@LINE+16]]:5: note: a receive from 'b.addrCh' in 'Watcher::watch' may take 'mu' before it runs again, while this operation runs more than once
  }
  void updates() {
    for (int i = 0; i < 100; ++i)
      update();
  }
};
struct Conn {
  std::function<void()> onDown;
  void tearDown() { onDown(); }
};
struct Watcher {
  Balancer b;
  Conn c;
  void start() { c.onDown = b.up(); }
  void watch() {
    for (bool addr : b.addrCh) {
      (void)addr;
      c.tearDown();
    }
  }
};

// Negative: the fix: the updater drains the one-slot buffer under the mutex
// before it sends.
struct Drainer {
  fibers::mutex mu;
  fibers::buffered_channel<bool> addrCh{2};
  void down() { std::lock_guard lk(mu); }
  void update() {
    std::lock_guard lk(mu);
    bool stale;
    addrCh.try_pop(stale);
    addrCh.push(true);
  }
  void updates() {
    for (int i = 0; i < 100; ++i)
      update();
  }
  void watch() {
    for (bool addr : addrCh) {
      (void)addr;
      down();
    }
  }
};

// Negative: a channel handed to code we do not read may be drained there.
void consumeElsewhere(fibers::unbuffered_channel<long> &);
struct Handed {
  fibers::mutex mu;
  fibers::unbuffered_channel<long> ch;
  void start() { consumeElsewhere(ch); }
  void send() {
    std::lock_guard lk(mu);
    ch.push(1);
  }
  void close() {
    std::lock_guard lk(mu);
    ch.close();
  }
};

// Negative: the sender does not need the receiver's mutex.
struct Relaxed {
  fibers::mutex mu;
  fibers::unbuffered_channel<int> ch;
  void recv() {
    std::lock_guard lk(mu);
    int v;
    ch.pop(v);
  }
  void send() { ch.push(1); }
};

// Negative: a buffered send under the mutex does not wait for a receiver.
struct Buffered {
  fibers::mutex mu;
  fibers::buffered_channel<int> ch{16};
  void send() {
    std::lock_guard lk(mu);
    ch.push(1);
  }
  void recv() {
    std::lock_guard lk(mu);
    int v;
    ch.try_pop(v);
  }
};

// Negative: the classic wait: the notifier holds the waiter's own mutex,
// which the wait releases.
struct Classic {
  std::mutex m;
  std::condition_variable cv;
  bool ready = false;
  void consume() {
    std::unique_lock lk(m);
    while (!ready)
      cv.wait(lk);
  }
  void produce() {
    std::lock_guard lk(m);
    ready = true;
    cv.notify_one();
  }
};

// etcd#6708: a helper object built with the caller's `this` reaches back
// and takes a reader lock under the caller's writer lock.
struct Cluster;
struct Members {
  Cluster *client;
  void leader();
};
struct Cluster {
  std::shared_mutex mu;
  void endpoint() {
    Members m{this};
    m.leader();
  }
  void read() {
    mu.lock_shared();
    // CHECK: :[[@LINE-1]]:5: warning: 'mu' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE+7]]:5: note: 'mu' is acquired here
    // CHECK: :[[@LINE+7]]:5: note: 'Cluster::endpoint' is called here, with 'mu' held
    // CHECK: :[[@LINE-7]]:5: note: 'Members::leader' is called here, with 'mu' held
    // CHECK: :[[@LINE+9]]:26: note: 'Cluster::read' is called here, with 'mu' held
    mu.unlock_shared();
  }
  void sync() {
    mu.lock();
    endpoint();
    mu.unlock();
  }
};
void Members::leader() { client->read(); }

// Negative: the helper is built with another cluster.
struct Cluster2;
struct Members2 {
  Cluster2 *client;
  void leader();
};
struct Cluster2 {
  std::shared_mutex mu;
  Cluster2 *peer = nullptr;
  void endpoint() {
    Members2 m{peer};
    m.leader();
  }
  void read() {
    mu.lock_shared();
    mu.unlock_shared();
  }
  void sync() {
    mu.lock();
    endpoint();
    mu.unlock();
  }
};
void Members2::leader() { client->read(); }

//===-- A join under the lock the thread needs ------------------------------===//

class Joiner {
public:
  Joiner() : t_([this] { run(); }) {}
  ~Joiner() {
    std::lock_guard<std::mutex> g(mu_);
    stop_ = true;
    cv_.notify_all();
    t_.join();
    // CHECK: :[[@LINE-1]]:5: warning: join() waits for the thread while holding 'mu_', which the thread acquires before it can finish: both wait forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-5]]:33: note: 'mu_' is acquired here
    // CHECK: :[[@LINE-8]]:14: note: the thread is started here
    // CHECK: :[[@LINE-9]]:26: note: 'Joiner::run' is called here, in the thread
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

// Negative: the lock is released before the join.
class JoinerOk {
public:
  JoinerOk() : t_([this] { run(); }) {}
  ~JoinerOk() {
    {
      std::lock_guard<std::mutex> g(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    t_.join();
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

// Negative: the joiner waits (under the lock) for the thread to say it is
// done with the lock, then joins.
class JoinerWaits {
public:
  JoinerWaits() : t_([this] { run(); }) {}
  ~JoinerWaits() {
    std::unique_lock<std::mutex> lk(mu_);
    while (!finished_)
      cv_.wait(lk);
    t_.join();
  }

private:
  void run() {
    work();
    std::lock_guard<std::mutex> g(mu_);
    finished_ = true;
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  bool finished_ = false;
  std::thread t_;
};

// Negative: the thread never takes the joiner's lock.
class JoinerOther {
public:
  JoinerOther() : t_([this] { work(); }) {}
  ~JoinerOther() {
    std::lock_guard<std::mutex> g(mu_);
    t_.join();
  }

private:
  std::mutex mu_;
  std::thread t_;
};

//===-- An object nobody else can reach -------------------------------------===//

// Go's runtime leak patterns: a receive on a channel made here and never
// shared.
void lonelyReceive() {
  fibers::fiber f([] {
    fibers::unbuffered_channel<int> ch;
    int v;
    ch.pop(v);
    // CHECK: :[[@LINE-1]]:5: warning: a receive from 'ch' waits forever: 'ch' is created here and never shared, and nothing sends to it or closes it [threadleak-blocked-forever]
    // CHECK: :[[@LINE-4]]:37: note: 'ch' is created here
  });
  f.join();
}

// A wait with no predicate on a condition variable made here.
void lonelyWait() {
  std::mutex m;
  std::condition_variable cv;
  std::unique_lock lk(m);
  cv.wait(lk);
  // CHECK: :[[@LINE-1]]:3: warning: a wait on 'cv' waits forever: 'cv' is created here and never shared, and nothing notifies it [threadleak-blocked-forever]
  // CHECK: :[[@LINE-4]]:27: note: 'cv' is created here
}

// A latch nobody counts down, a semaphore nobody releases.
void lonelyLatch() {
  std::latch done(1);
  done.wait();
  // CHECK: :[[@LINE-1]]:3: warning: a wait on 'done' waits forever: 'done' is created here and never shared, and nothing counts it down or releases it [threadleak-blocked-forever]
  // CHECK: :[[@LINE-3]]:14: note: 'done' is created here
}
void lonelySemaphore() {
  std::binary_semaphore ready(0);
  ready.acquire();
  // CHECK: :[[@LINE-1]]:3: warning: a wait on 'ready' waits forever: 'ready' is created here and never shared, and nothing counts it down or releases it [threadleak-blocked-forever]
  // CHECK: :[[@LINE-3]]:25: note: 'ready' is created here
}

// Negative: a latch already at zero, a semaphore with a slot, a latch a
// thread counts down.
void readyLatch() {
  std::latch done(0);
  done.wait();
}
void oneSlot() {
  std::binary_semaphore s(1);
  s.acquire();
}
void sharedLatch() {
  std::latch done(1);
  std::thread t([&done] { done.count_down(); });
  done.wait();
  t.join();
}

// A semaphore acquired holding the mutex every release needs.
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

// Negative: the release does not need the mutex.
struct SlotsOk {
  std::mutex mu;
  std::counting_semaphore<8> free{0};
  void take() {
    std::lock_guard lk(mu);
    free.acquire();
  }
  void give() { free.release(); }
};

// Negative: the channel is handed to a fiber that sends.
void sharedReceive() {
  fibers::unbuffered_channel<int> ch;
  fibers::fiber f([&ch] { ch.push(1); });
  int v;
  ch.pop(v);
  f.join();
}

// Negative: a predicate that may already hold.
void predicateWait() {
  std::mutex m;
  std::condition_variable cv;
  std::unique_lock lk(m);
  cv.wait(lk, [] { return ready(); });
}

//===-- Seen on real code (rocksdb db_impl.cc) -------------------------------===//

// Negative: a callee that locks only when told to, called with the lock
// held and told not to.
struct Options {
  std::mutex mu;
  int version = 0;
  void write(bool needLock) {
    if (needLock)
      mu.lock();
    ++version;
    if (needLock)
      mu.unlock();
  }
  void update() {
    std::lock_guard<std::mutex> g(mu);
    write(false);
  }
};

// Negative: a handle that keeps a pointer to its owner's mutex and has a
// destructor is not a lock guard.
struct Handle {
  Handle(int id, std::mutex *owner);
  ~Handle();
  int id;
  std::mutex *owner;
};
struct Db {
  std::mutex mu;
  Handle *open(int id) {
    std::lock_guard<std::mutex> g(mu);
    return new Handle(id, &mu);
  }
};

// A project guard whose constructor we see locking is still one.
struct MuLock {
  explicit MuLock(std::mutex *m) : m(m) { m->lock(); }
  ~MuLock() { m->unlock(); }
  std::mutex *m;
};
struct Db2 {
  std::mutex mu;
  void twice() {
    MuLock a(&mu);
    MuLock b(&mu);
    // CHECK: :[[@LINE-1]]:12: warning: 'mu' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-3]]:12: note: 'mu' is acquired here
  }
};

// Negative: a guard locked again through itself throws (std::system_error
// for std::unique_lock, boost::lock_error for Boost's) instead of waiting:
// Boost.Thread's own test of that.
void relockThrows() {
  std::mutex m;
  std::unique_lock<std::mutex> lock(m);
  try {
    lock.lock();
  } catch (...) {
  }
}

// The same mutex through a second guard does wait.
void secondGuard() {
  std::mutex m;
  std::unique_lock<std::mutex> lock(m, std::defer_lock);
  lock.lock();
  std::unique_lock<std::mutex> again(m);
  // CHECK: :[[@LINE-1]]:32: warning: 'm' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE-3]]:3: note: 'm' is acquired here
}

// Negative: a guard with its own early release (oneTBB's scoped_lock:
// release() unlocks, acquire() locks again), let go and taken again in a
// loop; the market's release() shape.
template <class M> class ScopedLock {
public:
  explicit ScopedLock(M &m) : m_(&m) { m.lock(); }
  ~ScopedLock() {
    if (m_)
      m_->unlock();
  }
  void acquire(M &m) {
    m.lock();
    m_ = &m;
  }
  void release() {
    m_->unlock();
    m_ = nullptr;
  }

private:
  M *m_;
};
std::mutex theMarketMutex;
bool othersLeft();
void yieldNow();
void releaseMarket(bool blocking) {
  ScopedLock<std::mutex> lock(theMarketMutex);
  if (blocking) {
    while (othersLeft()) {
      lock.release();
      while (othersLeft())
        yieldNow();
      lock.acquire(theMarketMutex);
    }
  }
}

// Negative: the guard handed by reference is let go by the callee
// (oneTBB's market::add_ref_unsafe(lock, ...), lock.release()) before the
// callee's callee takes the mutex again.
int marketRefs;
void setActiveWorkers() {
  ScopedLock<std::mutex> lock(theMarketMutex);
  ++marketRefs;
}
bool addRefUnsafe(ScopedLock<std::mutex> &lock) {
  if (marketRefs == 0)
    return false;
  ++marketRefs;
  lock.release();
  setActiveWorkers();
  return true;
}
void globalMarket() {
  ScopedLock<std::mutex> lock(theMarketMutex);
  if (!addRefUnsafe(lock))
    marketRefs = 1;
}
// Positive: the same callee without the release.
bool addRefHeld(ScopedLock<std::mutex> &lock) {
  if (marketRefs == 0)
    return false;
  setActiveWorkers();
  return true;
}
void globalMarketHeld() {
  ScopedLock<std::mutex> lock(theMarketMutex);
  addRefHeld(lock);
  // CHECK: :[[@LINE-26]]:26: warning: 'theMarketMutex' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE-3]]:26: note: 'theMarketMutex' is acquired here
  // CHECK: :[[@LINE-3]]:3: note: 'addRefHeld' is called here, with 'theMarketMutex' held
  // CHECK: :[[@LINE-9]]:3: note: 'setActiveWorkers' is called here, with 'theMarketMutex' held
}
