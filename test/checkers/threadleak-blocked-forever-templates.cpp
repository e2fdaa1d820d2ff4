// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// Templates (issue 16): blocked-forever analyses the instantiations the
// unit makes, and a template nothing instantiates only where its code is
// not dependent. A finding in a template is reported once, at the
// template's lines, however many instantiations show it (each
// instantiation's members are objects of their own).

#include <boost/fiber/all.hpp>
#include <condition_variable>
#include <mutex>

namespace fibers = boost::fibers;
void work();

//===-- A class template's member with no partner ----------------------------===//

// receiver<T>::take(): a wait with no predicate on a member nothing
// notifies; instantiated twice, reported once.
template <class T> class Mailbox {
  std::mutex mu;
  std::condition_variable cv;
  T value{};

public:
  void put(T v) {
    std::lock_guard<std::mutex> g(mu);
    value = v;
  }
  T take() {
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk);
    // CHECK: :[[@LINE-1]]:5: warning: a wait on 'cv' waits forever: nothing in this translation unit notifies it, and no other code can reach 'Mailbox::cv' [threadleak-blocked-forever]
    // CHECK: :[[@LINE-12]]:27: note: 'Mailbox::cv' is declared here, in a class of this file that no other translation unit can name
    return value;
  }
};

// Negative: put() notifies.
template <class T> class NotifiedMailbox {
  std::mutex mu;
  std::condition_variable cv;
  T value{};

public:
  void put(T v) {
    std::lock_guard<std::mutex> g(mu);
    value = v;
    cv.notify_one();
  }
  T take() {
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk);
    return value;
  }
};

// Negative: the notify is in a member this unit does not instantiate (it
// is a partner wherever it is called from, as a class's member is).
template <class T> class StoppableMailbox {
  std::mutex mu;
  std::condition_variable cv;
  T value{};

public:
  void stop() { cv.notify_all(); }
  T take() {
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk);
    return value;
  }
};

// Negative: the notify is in an out-of-line member, or in a member
// template, neither instantiated here. (Their `cv` is their own class's:
// Mailbox's wait above is still reported.)
template <class T> class LateMailbox {
  std::mutex mu;
  std::condition_variable cv;

public:
  void stop();
  void take() {
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk);
  }
};
template <class T> void LateMailbox<T>::stop() { cv.notify_all(); }

template <class T> class HookedMailbox {
  std::mutex mu;
  std::condition_variable cv;

public:
  template <class F> void stopWith(F hook) {
    hook();
    cv.notify_all();
  }
  void take() {
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk);
  }
};

// A channel member nothing sends to.
template <class T> class Inbox {
  fibers::unbuffered_channel<T> ch;

public:
  T get() {
    T v;
    ch.pop(v);
    // CHECK: :[[@LINE-1]]:5: warning: a receive from 'ch' waits forever: nothing in this translation unit sends to it or closes it, and no other code can reach 'Inbox::ch' [threadleak-blocked-forever]
    // CHECK: :[[@LINE-7]]:33: note: 'Inbox::ch' is declared here, in a class of this file that no other translation unit can name
    return v;
  }
};

// Negative: a function template's instantiation sends to it.
template <class T> class FedInbox {
public:
  fibers::unbuffered_channel<T> fed;
  T get() {
    T v;
    fed.pop(v);
    return v;
  }
};
template <class T> void feed(FedInbox<T> &box, T v) { box.fed.push(v); }

void useMailboxes() {
  Mailbox<int> a;
  Mailbox<long> b;
  a.put(1);
  b.put(2);
  a.take();
  b.take();
  NotifiedMailbox<int> c;
  c.put(1);
  c.take();
  StoppableMailbox<int> d;
  d.take();
  LateMailbox<int> e;
  e.take();
  HookedMailbox<int> h;
  h.take();
  Inbox<int> i;
  Inbox<long> j;
  i.get();
  j.get();
  FedInbox<int> f;
  feed(f, 1);
  f.get();
}

// Negative: a derived template notifies its dependent base's member in the
// instantiation the unit makes for `long` only; for `int` it is a member the
// template defines, a partner wherever it is called from.
template <class T> struct Parked {
  std::mutex mu;
  std::condition_variable parked;
};
template <class T> struct Parker : Parked<T> {
  void park() {
    std::unique_lock<std::mutex> lk(this->mu);
    this->parked.wait(lk);
  }
  void stop() { this->parked.notify_all(); }
};
void useParkers(Parker<int> &a, Parker<long> &b) {
  a.park();
  b.park();
  b.stop();
}

//===-- A class template's member waiting on a partner that needs its mutex ===//

template <class T> struct Pipe {
  fibers::mutex mu;
  fibers::unbuffered_channel<T> ch;
  void send(T v) {
    std::lock_guard<fibers::mutex> g(mu);
    ch.push(v);
    // CHECK: :[[@LINE-1]]:5: warning: a send on 'ch' waits while holding 'mu', and every operation that could complete it needs 'mu' first: both sides wait forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-3]]:36: note: 'mu' is acquired here
    // CHECK: :[[@LINE+5]]:5: note: a receive from 'ch' in 'Pipe::recv' runs only with 'mu' held
  }
  T recv() {
    std::lock_guard<fibers::mutex> g(mu);
    T v;
    ch.pop(v);
    // CHECK: :[[@LINE-1]]:5: warning: a receive from 'ch' waits while holding 'mu', and every operation that could complete it needs 'mu' first: both sides wait forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-4]]:36: note: 'mu' is acquired here
    // CHECK: :[[@LINE-11]]:5: note: a send on 'ch' in 'Pipe::send' runs only with 'mu' held
    return v;
  }
};

// Negative: the receiver does not hold the mutex.
template <class T> struct FreePipe {
  fibers::mutex mu;
  fibers::unbuffered_channel<T> ch;
  void send(T v) {
    std::lock_guard<fibers::mutex> g(mu);
    ch.push(v);
  }
  T recv() {
    T v;
    ch.pop(v);
    return v;
  }
};

// Senders and receivers are different contexts (one after the other in
// one thread, the first send would wait for a receive that comes after it).
void sendPipes(Pipe<int> &p, Pipe<long> &q, FreePipe<int> &r) {
  p.send(1);
  q.send(1);
  r.send(1);
}
void recvPipes(Pipe<int> &p, Pipe<long> &q, FreePipe<int> &r) {
  p.recv();
  q.recv();
  r.recv();
}

//===-- Lock order in a class template --------------------------------------===//

template <class T> struct Ledger {
  std::mutex accounts, audit;
  void post() {
    std::lock_guard<std::mutex> a(accounts);
    std::lock_guard<std::mutex> b(audit);
  }
  void report() {
    std::lock_guard<std::mutex> b(audit);
    std::lock_guard<std::mutex> a(accounts);
    // CHECK: :[[@LINE-1]]:33: warning: lock-order inversion: 'accounts' is acquired while 'audit' is held, and 'Ledger::post' acquires 'audit' while holding 'accounts'; two threads taking both orders wait for each other forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-7]]:33: note: 'accounts' is acquired here
    // CHECK: :[[@LINE-7]]:33: note: 'audit' is acquired here while 'accounts' is held
    // CHECK: :[[@LINE-5]]:33: note: 'audit' is acquired here
  }
};

// Negative: one order.
template <class T> struct OrderedLedger {
  std::mutex accounts, audit;
  void post() {
    std::lock_guard<std::mutex> a(accounts);
    std::lock_guard<std::mutex> b(audit);
  }
  void report() {
    std::lock_guard<std::mutex> a(accounts);
    std::lock_guard<std::mutex> b(audit);
  }
};

void useLedgers(Ledger<int> &a, Ledger<char> &b, OrderedLedger<int> &c) {
  a.post();
  a.report();
  b.post();
  b.report();
  c.post();
  c.report();
}

//===-- A function template that deadlocks on itself -------------------------===//

// Instantiated with a mutex (reported) and a recursive mutex: once.
template <class M> void twice(M &m) {
  std::lock_guard<M> a(m);
  std::lock_guard<M> b(m);
  // CHECK: :[[@LINE-1]]:22: warning: 'm' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE-3]]:22: note: 'm' is acquired here
  work();
}

// Negative: instantiated with a recursive mutex only.
template <class M> void twiceRecursive(M &m) {
  std::lock_guard<M> a(m);
  std::lock_guard<M> b(m);
  work();
}

// Negative: takes it once.
template <class M> void once(M &m) {
  std::lock_guard<M> a(m);
  work();
}

void useTwice() {
  std::mutex m;
  std::recursive_mutex r, r2;
  twice(m);
  twice(r);
  twiceRecursive(r2);
  once(m);
}

// A member function template called with its class's mutex held.
struct Table {
  std::mutex mu;
  int rows = 0;
  template <class F> int count(F pred) {
    std::lock_guard<std::mutex> g(mu);
    // CHECK: :[[@LINE-1]]:33: warning: 'mu' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE+8]]:33: note: 'mu' is acquired here
    // CHECK: :[[@LINE+8]]:12: note: 'Table::count' is called here, with 'mu' held
    return pred(rows) ? rows : 0;
  }
  template <class F> int countUnlocked(F pred) {
    return pred(rows) ? rows : 0;
  }
  int size() {
    std::lock_guard<std::mutex> g(mu);
    return count([](int n) { return n > 0; });
  }
  // Negative: the unlocked variant.
  int sizeFixed() {
    std::lock_guard<std::mutex> g(mu);
    return countUnlocked([](int n) { return n > 0; });
  }
};

//===-- Policy templates: a lock that does nothing ---------------------------===//

// spdlog's null_mutex: taking it twice is not a deadlock.
struct null_mutex {
  void lock() {}
  void unlock() {}
};
template <class Mutex> struct Sink {
  Mutex mu;
  void flush() {
    std::lock_guard<Mutex> g(mu);
    // CHECK: :[[@LINE-1]]:28: warning: 'mu' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE+5]]:28: note: 'mu' is acquired here
    // CHECK: :[[@LINE+5]]:5: note: 'Sink::flush' is called here, with 'mu' held
    work();
  }
  void log() {
    std::lock_guard<Mutex> g(mu);
    flush();
  }
};
// Negative: the same shape, only ever instantiated with the no-op lock.
template <class Mutex> struct SingleThreadedSink {
  Mutex mu;
  void flush() {
    std::lock_guard<Mutex> g(mu);
    work();
  }
  void log() {
    std::lock_guard<Mutex> g(mu);
    flush();
  }
};
void useSinks(Sink<std::mutex> &a, Sink<null_mutex> &b,
              SingleThreadedSink<null_mutex> &c) {
  a.log();
  b.log();
  c.log();
}

//===-- Templates nothing instantiates --------------------------------------===//

// Negative: the code is dependent (what `t.run()` does is not known until
// the template is instantiated): not analysed.
template <class T> struct Pending {
  std::mutex mu;
  T t;
  void go() {
    std::lock_guard<std::mutex> g(mu);
    t.run();
    std::lock_guard<std::mutex> h(mu);
  }
};

// Reported: nothing in it depends on the template parameter.
template <class T> struct Stuck {
  std::mutex mu;
  void go() {
    std::lock_guard<std::mutex> g(mu);
    std::lock_guard<std::mutex> h(mu);
    // CHECK: :[[@LINE-1]]:33: warning: 'mu' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-3]]:33: note: 'mu' is acquired here
  }
};

// Negative: a member of a class of this file that an uninstantiated,
// dependent template may feed.
struct Generic {
  fibers::unbuffered_channel<int> in;
  int get() {
    int v;
    in.pop(v);
    return v;
  }
};
template <class T> void feedGeneric(T &t) { t.in.push(1); }
