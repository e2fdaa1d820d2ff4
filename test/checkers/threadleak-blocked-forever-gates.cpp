// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// threadleak-blocked-forever: partners held back. An operation blocks
// forever when every operation that could complete it is held back while
// it waits:
//  - behind the mutex the blocked side holds, because the partner runs only
//    after a loop whose every round takes that mutex, or only after a wait
//    whose own partners all need the mutex;
//  - behind the blocked operation itself: the partner comes later in the
//    blocked side's own code, or after a wait whose partners do (each side
//    waits for the other);
//  - a lambda called through a std::function runs with what its callers
//    hold.
// Each shape both ways.

#include <boost/asio.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/fiber/all.hpp>
#include <functional>
#include <latch>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace fibers = boost::fibers;
using IntChan = fibers::unbuffered_channel<int>;
void apply(int);
// A parameter may be any channel of its type: each section uses a channel
// type of its own, so that the sections are not each other's partners.
using StopChan = fibers::unbuffered_channel<long>;
using StopChanFixed = fibers::unbuffered_channel<short>;
using ValueChan = fibers::unbuffered_channel<char>;

//===--- A loop whose every round takes the mutex, before the release ---===//

// etcd#6873: the broadcaster closes `done` after its update loop, each
// round of which takes `mu`; stop() holds `mu` while it waits on `done`.
class Broadcaster {
  std::mutex mu;
  fibers::buffered_channel<int> updates{4};
  IntChan done;
  std::thread loop;

public:
  Broadcaster() {
    loop = std::thread([this] {
      for (int v : updates) {
        std::lock_guard<std::mutex> g(mu);
        apply(v);
      }
      done.close();
    });
  }
  void stop() {
    std::lock_guard<std::mutex> g(mu);
    updates.close();
    int v;
    done.pop(v);
    // CHECK: :[[@LINE-1]]:5: warning: a receive from 'done' waits while holding 'mu', and every operation that could complete it may need 'mu' first: both sides wait forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-5]]:33: note: 'mu' is acquired here
    // CHECK: :[[@LINE-13]]:9: note: each round of the loop in the lambda takes 'mu' here
    // CHECK: :[[@LINE-11]]:7: note: a close of 'done' in the lambda runs only after that loop
  }
};

// The fix: stop() lets go of the mutex before it waits.
class BroadcasterFixed {
  std::mutex mu;
  fibers::buffered_channel<int> updates{4};
  IntChan done;
  std::thread loop;

public:
  BroadcasterFixed() {
    loop = std::thread([this] {
      for (int v : updates) {
        std::lock_guard<std::mutex> g(mu);
        apply(v);
      }
      done.close();
    });
  }
  void stop() {
    {
      std::lock_guard<std::mutex> g(mu);
      updates.close();
    }
    int v;
    done.pop(v);
  }
};

// A loop that can go round without taking the mutex: a round that takes
// it, with the stopper holding it, waits forever (a branch taken rarely is
// how such deadlocks hide).
class SometimesLocks {
  std::mutex mu;
  fibers::buffered_channel<int> updates{4};
  IntChan done;
  std::thread loop;

public:
  SometimesLocks() {
    loop = std::thread([this] {
      for (int v : updates) {
        if (v < 0)
          continue;
        std::lock_guard<std::mutex> g(mu);
        apply(v);
      }
      done.close();
    });
  }
  void stop() {
    std::lock_guard<std::mutex> g(mu);
    updates.close();
    int v;
    done.pop(v);
    // CHECK: :[[@LINE-1]]:5: warning: a receive from 'done' waits while holding 'mu', and every operation that could complete it may need 'mu' first: both sides wait forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-5]]:33: note: 'mu' is acquired here
    // CHECK: :[[@LINE-13]]:9: note: the lambda may take 'mu' here, on its way to a close of 'done'
  }
};

// The stopper first waits for the loop to drain, then takes the mutex:
// its own earlier wait may order it after the loop (silent).
class DrainsFirst {
  std::mutex mu;
  fibers::buffered_channel<int> updates{4};
  IntChan drained, done;
  std::thread loop;

public:
  DrainsFirst() {
    loop = std::thread([this] {
      for (int v : updates) {
        std::lock_guard<std::mutex> g(mu);
        apply(v);
      }
      drained.close();
      done.close();
    });
  }
  void stop() {
    updates.close();
    int v;
    drained.pop(v);
    std::lock_guard<std::mutex> g(mu);
    done.pop(v);
  }
};

//===--- A partner after a wait whose partners need the mutex ------------===//

// kubernetes#26980: pop() waits on `stop` holding the listener's lock; the
// only close of `stop` comes after a receive from `result`, whose only
// partner closes it under that lock.
struct Listener {
  std::mutex lock;
  void pop(StopChan &stop) {
    std::unique_lock<std::mutex> lk(lock);
    long v;
    stop.pop(v);
    // CHECK: :[[@LINE-1]]:5: warning: a receive from 'stop' waits while holding 'lock', and every operation that could complete it may need 'lock' first: both sides wait forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-4]]:34: note: 'lock' is acquired here
    // CHECK: :[[@LINE+17]]:3: note: a close of 'stop' in 'listen' runs only after a receive from 'result' completes
    // CHECK: :[[@LINE+15]]:3: note: a receive from 'result' waits here, and every operation that could complete it is held back too:
    // CHECK: :[[@LINE+11]]:5: note: a close of 'result' in the lambda runs only with 'lock' held
  }
};

void listen() {
  Listener l;
  StopChan stop;
  std::thread popper([&] { l.pop(stop); });
  StopChan result;
  std::thread helper([&] {
    std::lock_guard<std::mutex> g(l.lock);
    result.close();
  });
  long v;
  result.pop(v);
  stop.close();
  popper.join();
  helper.join();
}

// The helper signals without the lock: the close of `stop` is not held
// back (silent).
struct ListenerFixed {
  std::mutex lock;
  void pop(StopChanFixed &stop) {
    std::unique_lock<std::mutex> lk(lock);
    short v;
    stop.pop(v);
  }
};

void listenFixed() {
  ListenerFixed l;
  StopChanFixed stop;
  std::thread popper([&] { l.pop(stop); });
  StopChanFixed result;
  std::thread helper([&] { result.close(); });
  short v;
  result.pop(v);
  stop.close();
  popper.join();
  helper.join();
}

//===--- Each side waits for the other -----------------------------------===//

// The Go runtime's Mixed pattern: the child sends, then counts down; the
// parent waits for the count before it receives.
void mixed() {
  ValueChan ch;
  std::latch done(1);
  std::thread child([&] {
    ch.push('x');
    // CHECK: :[[@LINE-1]]:5: warning: a send on 'ch' waits forever: every operation that could complete it runs only after it completes [threadleak-blocked-forever]
    // CHECK: :[[@LINE+11]]:3: note: a receive from 'ch' in 'mixed' runs only after a wait on 'done' completes
    // CHECK: :[[@LINE+4]]:3: note: a wait on 'done' waits here, and every operation that could complete it is held back too:
    // CHECK: :[[@LINE+1]]:5: note: a release of 'done' in the lambda cannot come before it in the same code: it runs only after the blocked operation
    done.count_down();
  });
  done.wait();
  // CHECK: :[[@LINE-1]]:3: warning: a wait on 'done' waits forever: every operation that could complete it runs only after it completes [threadleak-blocked-forever]
  // CHECK: :[[@LINE-4]]:5: note: a release of 'done' in the lambda runs only after a send on 'ch' completes
  // CHECK: :[[@LINE-10]]:5: note: a send on 'ch' waits here, and every operation that could complete it is held back too:
  // CHECK: :[[@LINE+2]]:3: note: a receive from 'ch' in 'mixed' cannot come before it in the same code: it runs only after the blocked operation
  char v;
  ch.pop(v);
  child.join();
}

// The fix: the parent receives before it waits (silent).
void mixedFixed() {
  ValueChan ch;
  std::latch done(1);
  std::thread child([&] {
    ch.push('x');
    done.count_down();
  });
  char v;
  ch.pop(v);
  done.wait();
  child.join();
}

// A buffered channel takes the value without a receiver (silent).
void mixedBuffered() {
  fibers::buffered_channel<int> ch{2};
  std::latch done(1);
  std::thread child([&] {
    ch.push('x');
    done.count_down();
  });
  done.wait();
  int v;
  ch.pop(v);
  child.join();
}

// Another thread receives too: the send has a partner that is not held
// back (silent).
void mixedOtherReceiver() {
  ValueChan ch;
  std::latch done(1);
  std::thread child([&] {
    ch.push('x');
    done.count_down();
  });
  std::thread drain([&] {
    char v;
    ch.pop(v);
  });
  done.wait();
  child.join();
  drain.join();
}

//===--- The only partner later in the blocked side's own code -----------===//

namespace asio = boost::asio;
using boost::system::error_code;
using ResultChan = asio::experimental::channel<void(error_code, int)>;
using InputChan = asio::experimental::channel<void(error_code, long)>;

// kubernetes#38669: the watcher first sends its initial events on `result`,
// whose capacity the constructor's caller gives (0: unbuffered); the only
// other operation on `result` is the close after its input loop. Nobody
// reads it: the first send waits forever.
struct CacheWatcher {
  ResultChan result;
  InputChan input;
  CacheWatcher(asio::any_io_executor ex, std::size_t n)
      : result(ex, n), input(ex, n) {}
  asio::awaitable<void> send(int e) {
    co_await result.async_send(error_code{}, e, asio::use_awaitable);
    // CHECK: :[[@LINE-1]]:14: warning: a send on 'result' waits forever: every operation that could complete it runs only after it completes [threadleak-blocked-forever]
    // CHECK: :[[@LINE+5]]:16: note: 'CacheWatcher::send' is called here, which blocks
    // CHECK: :[[@LINE+10]]:5: note: a close of 'result' in 'CacheWatcher::process' cannot come before it in the same code: it runs only after the blocked operation
  }
  asio::awaitable<void> process(std::vector<int> initial) {
    for (int e : initial)
      co_await send(e);
    for (;;) {
      auto [ec, v] = co_await input.async_receive(asio::as_tuple(asio::use_awaitable));
      if (ec)
        break;
    }
    result.close();
  }
  void stop() { input.close(); }
};

void watch(asio::io_context &io) {
  auto w = std::make_shared<CacheWatcher>(io.get_executor(), 0);
  asio::co_spawn(io, w->process({1, 2}), asio::detached);
  w->stop();
}

// Every construction gives the channel room for the initial events: the
// sends do not wait (silent).
struct RoomyWatcher {
  ResultChan result;
  InputChan input;
  RoomyWatcher(asio::any_io_executor ex, std::size_t n)
      : result(ex, n), input(ex, n) {}
  asio::awaitable<void> send(int e) {
    co_await result.async_send(error_code{}, e, asio::use_awaitable);
  }
  asio::awaitable<void> process(std::vector<int> initial) {
    for (int e : initial)
      co_await send(e);
    result.close();
  }
};

void watchRoomy(asio::io_context &io) {
  auto w = std::make_shared<RoomyWatcher>(io.get_executor(), 8);
  asio::co_spawn(io, w->process({1, 2}), asio::detached);
}

// Someone reads the results (silent).
struct ReadWatcher {
  ResultChan result;
  ReadWatcher(asio::any_io_executor ex, std::size_t n) : result(ex, n) {}
  asio::awaitable<void> process(std::vector<int> initial) {
    for (int e : initial)
      co_await result.async_send(error_code{}, e, asio::use_awaitable);
    result.close();
  }
  asio::awaitable<void> next() {
    co_await result.async_receive(asio::use_awaitable);
  }
};

void watchRead(asio::io_context &io) {
  auto w = std::make_shared<ReadWatcher>(io.get_executor(), 0);
  asio::co_spawn(io, w->process({1, 2}), asio::detached);
  asio::co_spawn(io, w->next(), asio::detached);
}

//===--- Lambdas called through a std::function --------------------------===//

// etcd#7902: each round's release() runs under `mu` and waits on the
// round's channel; the only close is in the leader's release(), which also
// runs under `mu`.
struct RoundClient {
  std::function<void()> release;
};
void rounds(std::vector<RoundClient> &rcs, std::mutex &mu) {
  std::vector<std::thread> ts;
  for (RoundClient &rc : rcs)
    ts.emplace_back([&] {
      std::lock_guard<std::mutex> g(mu);
      rc.release();
    });
  for (std::thread &t : ts)
    t.join();
}
void election() {
  std::mutex mu;
  std::vector<RoundClient> rcs(3);
  auto next = std::make_shared<IntChan>();
  rcs[0].release = [next] { next->close(); };
  rcs[1].release = [next] {
    int v;
    next->pop(v);
    // CHECK: :[[@LINE-1]]:5: warning: a receive from 'next' waits while holding 'mu', and every operation that could complete it needs 'mu' first: both sides wait forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-15]]:35: note: 'mu' is acquired here
    // CHECK: :[[@LINE-15]]:7: note: the function object 'release' is called here, holding 'mu'
    // CHECK: :[[@LINE-7]]:29: note: a close of 'next' in the lambda runs only with 'mu' held
  };
  rounds(rcs, mu);
}

// The fix: release() runs without `mu` (silent).
struct RoundClientFixed {
  std::function<void()> release;
};
void roundsFixed(std::vector<RoundClientFixed> &rcs, std::mutex &mu) {
  std::vector<std::thread> ts;
  for (RoundClientFixed &rc : rcs)
    ts.emplace_back([&] {
      {
        std::lock_guard<std::mutex> g(mu);
      }
      rc.release();
    });
  for (std::thread &t : ts)
    t.join();
}
void electionFixed() {
  std::mutex mu;
  std::vector<RoundClientFixed> rcs(3);
  auto next = std::make_shared<IntChan>();
  rcs[0].release = [next] { next->close(); };
  rcs[1].release = [next] {
    int v;
    next->pop(v);
  };
  roundsFixed(rcs, mu);
}

// kubernetes#30872: the FIFO runs the handler it is given under its own
// lock; the handler (a member function object, handed on as a parameter)
// takes the informer's lock, which ClustersSynced() holds while it asks the
// FIFO. Lock-order inversion through two function objects.
struct Fifo {
  std::mutex lock;
  bool hasSynced() {
    std::lock_guard<std::mutex> g(lock);
    return true;
  }
  void pop(const std::function<void()> &process) {
    std::lock_guard<std::mutex> g(lock);
    process();
  }
};
struct Informer {
  std::mutex mu;
  Fifo queue;
  std::function<void()> process;
  Informer() { process = [this] { addCluster(); }; }
  void addCluster() { std::lock_guard<std::mutex> g(mu); }
  // CHECK: :[[@LINE-1]]:51: warning: lock-order inversion: 'mu' is acquired while 'lock' is held, and 'Informer::clustersSynced' acquires 'queue.lock' while holding 'mu'; two threads taking both orders wait for each other forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE+8]]:33: note: 'mu' is acquired here
  // CHECK: :[[@LINE+8]]:12: note: 'Fifo::hasSynced' is called here, holding 'mu'
  // CHECK: :[[@LINE-17]]:33: note: 'queue.lock' is acquired here while 'mu' is held
  // CHECK: :[[@LINE-14]]:33: note: 'lock' is acquired here
  // CHECK: :[[@LINE-14]]:5: note: the function object 'process' is called here, holding 'lock'
  // CHECK: :[[@LINE-8]]:35: note: 'Informer::addCluster' is called here, holding 'lock'
  void run() { queue.pop(process); }
  bool clustersSynced() {
    std::lock_guard<std::mutex> g(mu);
    return queue.hasSynced();
  }
};

// The fix: ask the FIFO after letting go of the informer's lock (silent).
struct FifoFixed {
  std::mutex lock;
  bool hasSynced() {
    std::lock_guard<std::mutex> g(lock);
    return true;
  }
  void pop(const std::function<void()> &process) {
    std::lock_guard<std::mutex> g(lock);
    process();
  }
};
struct InformerFixed {
  std::mutex mu;
  FifoFixed queue;
  std::function<void()> process;
  InformerFixed() { process = [this] { addCluster(); }; }
  void addCluster() { std::lock_guard<std::mutex> g(mu); }
  void run() { queue.pop(process); }
  bool clustersSynced() {
    {
      std::lock_guard<std::mutex> g(mu);
    }
    return queue.hasSynced();
  }
};

// etcd#10492: renew() holds its own mutex while it calls the checkpointer,
// whose lambda locks the same lessor's mutex: where `this` is `le`, the
// mutex is taken twice.
struct Lessor {
  std::mutex mu;
  std::function<void()> cp;
  void checkpoint() { std::lock_guard<std::mutex> g(mu); }
  // CHECK: :[[@LINE-1]]:51: warning: 'le.mu' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE+18]]:3: note: 'Lessor::renew' is called here
  // CHECK: :[[@LINE+8]]:5: note: 'le.mu' is acquired here
  // CHECK: :[[@LINE+9]]:7: note: the function object 'cp' is called here, with 'le.mu' held
  // CHECK: :[[@LINE+14]]:30: note: 'Lessor::checkpoint' is called here, with 'le.mu' held
  void setCheckpointer(std::function<void()> f) {
    std::lock_guard<std::mutex> g(mu);
    cp = std::move(f);
  }
  void renew() {
    mu.lock();
    if (cp)
      cp();
    mu.unlock();
  }
};
void lease() {
  Lessor le;
  le.setCheckpointer([&le] { le.checkpoint(); });
  le.renew();
}

// The callback locks another lessor: two mutexes (silent).
void leaseOther() {
  Lessor a, b;
  a.setCheckpointer([&b] { b.checkpoint(); });
  a.renew();
}

// The fix: renew() lets go before calling out (silent).
struct LessorFixed {
  std::mutex mu;
  std::function<void()> cp;
  void checkpoint() { std::lock_guard<std::mutex> g(mu); }
  void renew() {
    mu.lock();
    mu.unlock();
    if (cp)
      cp();
  }
};
void leaseFixed() {
  LessorFixed le;
  le.cp = [&le] { le.checkpoint(); };
  le.renew();
}

//===--- A partner in code that never runs -------------------------------===//

// grpc-go#862: the dial's clean-up closes the connection only through
// `conn`, which nothing ever sets: Close() never runs, and the connection's
// reset loop waits on `done` forever.
struct ClientConn {
  fibers::unbuffered_channel<unsigned> done;
  void close() { done.close(); }
  void resetAddrConn() {
    unsigned v;
    done.pop(v);
    // CHECK: :[[@LINE-1]]:5: warning: a receive from 'done' waits forever: nothing in this translation unit that runs sends to it or closes it, and no other code can reach 'ClientConn::done' [threadleak-blocked-forever]
    // CHECK: :[[@LINE-6]]:40: note: 'ClientConn::done' is declared here, in a class of this file that no other translation unit can name
    // CHECK: :[[@LINE-6]]:18: note: a close of 'done' is here, but 'ClientConn::close' never runs: it is called only through 'conn', which is always null there, or from code that never runs
  }
};
std::shared_ptr<ClientConn> dial(bool cancelled) {
  auto cc = std::make_shared<ClientConn>();
  std::shared_ptr<ClientConn> conn;
  std::thread([cc] { cc->resetAddrConn(); }).detach();
  if (cancelled) {
    if (conn)
      conn->close();
    conn = nullptr;
  }
  return conn;
}

// The fix: the clean-up closes `cc` itself (silent).
struct ClientConnFixed {
  fibers::unbuffered_channel<unsigned short> done;
  void close() { done.close(); }
  void resetAddrConn() {
    unsigned short v;
    done.pop(v);
  }
};
std::shared_ptr<ClientConnFixed> dialFixed(bool cancelled) {
  auto cc = std::make_shared<ClientConnFixed>();
  std::shared_ptr<ClientConnFixed> conn;
  std::thread([cc] { cc->resetAddrConn(); }).detach();
  if (cancelled) {
    cc->close();
    conn = nullptr;
  }
  return conn;
}

// `conn` is given the connection on the other path: the close may run
// (silent).
struct ClientConnSet {
  fibers::unbuffered_channel<unsigned long> done;
  void close() { done.close(); }
  void resetAddrConn() {
    unsigned long v;
    done.pop(v);
  }
};
std::shared_ptr<ClientConnSet> dialSet(bool cancelled) {
  auto cc = std::make_shared<ClientConnSet>();
  std::shared_ptr<ClientConnSet> conn;
  std::thread([cc] { cc->resetAddrConn(); }).detach();
  if (!cancelled)
    conn = cc;
  if (cancelled && conn)
    conn->close();
  return conn;
}

// Nothing calls close() yet: uncalled is not dead (silent).
struct ClientConnUncalled {
  fibers::unbuffered_channel<unsigned char> done;
  void close() { done.close(); }
  void resetAddrConn() {
    unsigned char v;
    done.pop(v);
  }
};
void dialUncalled() {
  auto cc = std::make_shared<ClientConnUncalled>();
  std::thread([cc] { cc->resetAddrConn(); }).detach();
}
