// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all --check-prefixes=CHECK,DEEP %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all --check-prefixes=CHECK,DEEP %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' --config="{CheckOptions: {threadleak-blocked-forever.MaxCallDepth: 4}}" %s -- %stubflags | %check-all %s

// threadleak-blocked-forever: what counts as a call. std::call_once runs its
// callable in the caller's thread with the caller's locks held; a call
// through an element of a container of std::function may run any lambda
// stored into that container; a constant `bool` argument decides the
// effects its callee has only `if (lock)`; and `this->mu` is `p.mu` where
// `p` is the only object of its class (gohugoio/hugo#5379).

#include <boost/thread.hpp>
#include <functional>
#include <map>
#include <mutex>
#include <shared_mutex>
#include <vector>

//===-- std::call_once ----------------------------------------------------===//

namespace once {
class Config {
  std::mutex mu;
  std::once_flag loaded;
  int value = 0;

  void load() { std::lock_guard<std::mutex> g(mu); }
  // CHECK: :[[@LINE-1]]:45: warning: 'mu' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE+15]]:33: note: 'mu' is acquired here
  // CHECK: :[[@LINE+15]]:5: note: 'std::call_once' calls 'once::Config::load' here, with 'mu' held

public:
  // The lambda runs here, with mu held.
  int get() {
    std::lock_guard<std::mutex> g(mu);
    std::call_once(loaded, [&] { std::lock_guard<std::mutex> g2(mu); value = 1; });
    // CHECK: :[[@LINE-1]]:62: warning: 'mu' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-3]]:33: note: 'mu' is acquired here
    // CHECK: :[[@LINE-3]]:5: note: 'std::call_once' calls the lambda here, with 'mu' held
    return value;
  }
  // A member function and its object.
  int getMember() {
    std::lock_guard<std::mutex> g(mu);
    std::call_once(loaded, &Config::load, this);
    return value;
  }
  // A lambda kept in a variable first.
  int getNamed() {
    std::lock_guard<std::mutex> g(mu);
    auto init = [this] { std::lock_guard<std::mutex> g2(mu); };
    // CHECK: :[[@LINE-1]]:54: warning: 'mu' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-3]]:33: note: 'mu' is acquired here
    // CHECK: :[[@LINE+1]]:5: note: 'std::call_once' calls the lambda here, with 'mu' held
    std::call_once(loaded, init);
    return value;
  }
  // Correct: the lock is released before the once.
  int getReleased() {
    {
      std::lock_guard<std::mutex> g(mu);
      ++value;
    }
    std::call_once(loaded, [&] { std::lock_guard<std::mutex> g2(mu); value = 1; });
    return value;
  }
  // Correct: the once takes the lock itself, nobody holds it around it.
  int getUnlocked() {
    std::call_once(loaded, [this] { mu.lock(); value = 1; mu.unlock(); });
    return value;
  }
};

// The once's arguments are the callable's.
std::mutex shared;
std::once_flag sharedInit;
void lockIt(std::mutex &m) { std::lock_guard<std::mutex> g(m); }
// CHECK: :[[@LINE-1]]:58: warning: 'shared' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
// CHECK: :[[@LINE+3]]:31: note: 'shared' is acquired here
// CHECK: :[[@LINE+3]]:3: note: 'std::call_once' calls 'once::lockIt' here, with 'shared' held
void withArgument() {
  std::lock_guard<std::mutex> g(shared);
  std::call_once(sharedInit, lockIt, shared);
}
// Correct: another mutex handed on.
std::mutex unrelated;
std::once_flag unrelatedInit;
void lockOther(std::mutex &m) { std::lock_guard<std::mutex> g(m); }
void withOtherArgument() {
  std::lock_guard<std::mutex> g(shared);
  std::call_once(unrelatedInit, lockOther, unrelated);
}

// Boost's, in both orders.
boost::mutex bmu;
boost::once_flag bflag;
void bInit() { bmu.lock(); bmu.unlock(); }
// CHECK: :[[@LINE-1]]:16: warning: 'bmu' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
// CHECK: :[[@LINE+7]]:35: note: 'bmu' is acquired here
// CHECK: :[[@LINE+7]]:3: note: 'boost::call_once' calls 'once::bInit' here, with 'bmu' held
void bInitOld() { boost::lock_guard<boost::mutex> g(bmu); }
// CHECK: :[[@LINE-1]]:51: warning: 'bmu' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
// CHECK: :[[@LINE+3]]:35: note: 'bmu' is acquired here
// CHECK: :[[@LINE+4]]:3: note: 'boost::call_once' calls 'once::bInitOld' here, with 'bmu' held
void boostOnce() {
  boost::lock_guard<boost::mutex> g(bmu);
  boost::call_once(bflag, bInit);
  boost::call_once(&bInitOld, bflag);
}
} // namespace once

//===-- Function objects in containers ------------------------------------===//

namespace containers {
std::mutex reg;
std::mutex other;

struct Registry {
  std::vector<std::function<void()>> handlers, indexed, quiet;
  std::map<int, std::function<void()>> byId, byKey;

  void add() {
    handlers.push_back([] { std::lock_guard<std::mutex> g(reg); });
    // CHECK: :[[@LINE-1]]:57: warning: 'reg' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE+18]]:33: note: 'reg' is acquired here
    // CHECK: :[[@LINE+19]]:7: note: the function object 'h' is called here, with 'reg' held
    indexed.emplace_back([] { std::lock_guard<std::mutex> g(reg); });
    // CHECK: :[[@LINE-1]]:59: warning: 'reg' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE+24]]:33: note: 'reg' is acquired here
    // CHECK: :[[@LINE+24]]:5: note: a function object of 'indexed' is called here, with 'reg' held
    byId[1] = [] { std::lock_guard<std::mutex> g(reg); };
    // CHECK: :[[@LINE-1]]:48: warning: 'reg' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE+15]]:33: note: 'reg' is acquired here
    // CHECK: :[[@LINE+16]]:7: note: the function object 'h' is called here, with 'reg' held
    byKey.try_emplace(1, [] { std::lock_guard<std::mutex> g(reg); });
    // CHECK: :[[@LINE-1]]:59: warning: 'reg' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE+20]]:33: note: 'reg' is acquired here
    // CHECK: :[[@LINE+20]]:5: note: a function object of 'byKey' is called here, with 'reg' held
    quiet.emplace_back([] { std::lock_guard<std::mutex> g(other); });
  }
  // Any handler may take reg, which this holds.
  void runAll() {
    std::lock_guard<std::mutex> g(reg);
    for (auto &h : handlers)
      h();
  }
  void runById() {
    std::lock_guard<std::mutex> g(reg);
    for (auto &[id, h] : byId)
      h();
  }
  void runOne(int i) {
    std::lock_guard<std::mutex> g(reg);
    indexed[i]();
  }
  void runAt(int id) {
    std::lock_guard<std::mutex> g(reg);
    byKey.at(id)();
  }
  // Correct: the quiet handlers never take reg.
  void runQuiet() {
    std::lock_guard<std::mutex> g(reg);
    for (auto &h : quiet)
      h();
    quiet.front()();
  }
  // Correct: a copy taken under the lock, called after it.
  void runCopy() {
    std::vector<std::function<void()>> copy;
    {
      std::lock_guard<std::mutex> g(reg);
      copy = handlers;
    }
    for (auto &h : copy)
      h();
  }
};

// Stored with emplace and insert into a local map, called by key.
void local(int k) {
  std::map<int, std::function<void()>> m;
  m.emplace(1, [] { other.lock(); other.unlock(); });
  // CHECK: :[[@LINE-1]]:21: warning: 'other' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE+6]]:31: note: 'other' is acquired here
  // CHECK: :[[@LINE+6]]:3: note: a function object of 'm' is called here, with 'other' held
  m.insert({2, [] { std::lock_guard<std::mutex> g(other); }});
  // CHECK: :[[@LINE-1]]:49: warning: 'other' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE+2]]:31: note: 'other' is acquired here
  // CHECK: :[[@LINE+2]]:3: note: a function object of 'm' is called here, with 'other' held
  std::lock_guard<std::mutex> g(other);
  m[k]();
}

// A container handed to a function that calls its elements.
std::vector<std::function<void()>> jobs;
void fire(std::vector<std::function<void()>> &fs) {
  for (auto &f : fs)
    f();
}
void queueAndFire() {
  jobs.push_back([] { std::lock_guard<std::mutex> g(other); });
  // CHECK: :[[@LINE-1]]:51: warning: 'other' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE+3]]:31: note: 'other' is acquired here
  // CHECK: :[[@LINE+3]]:3: note: 'containers::fire' is called here, with 'other' held
  // CHECK: :[[@LINE-7]]:5: note: the function object 'f' is called here, with 'other' held
  std::lock_guard<std::mutex> g(other);
  fire(jobs);
}
} // namespace containers

//===-- Releases in a loop ------------------------------------------------===//

namespace loops {
std::mutex m;
// Takes m and releases it, once per round: the release of its own lock
// cannot be the release of a caller's (it would wait for itself first).
void touch() { std::lock_guard<std::mutex> g(m); }
// CHECK: :[[@LINE-1]]:44: warning: 'm' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
// CHECK: :[[@LINE+8]]:31: note: 'm' is acquired here
// CHECK: :[[@LINE+8]]:3: note: 'loops::each' is called here, with 'm' held
// CHECK: :[[@LINE+3]]:5: note: 'loops::touch' is called here, with 'm' held
void each(int n) {
  for (int i = 0; i < n; ++i)
    touch();
}
void bad(int n) {
  std::lock_guard<std::mutex> g(m);
  each(n);
}
// Correct: the callee releases the caller's lock before taking it again.
void touchAgain() { std::lock_guard<std::mutex> g(m); }
void relock() {
  m.unlock();
  touchAgain();
  m.lock();
}
void good() {
  m.lock();
  relock();
  m.unlock();
}
} // namespace loops

//===-- Constant arguments ------------------------------------------------===//

namespace constants {
class Journal {
  std::mutex mu;
  int n = 0;

  void flush(bool lock) {
    if (lock) {
      std::lock_guard<std::mutex> g(mu);
      // CHECK: :[[@LINE-1]]:35: warning: 'mu' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
      // CHECK: :[[@LINE+19]]:33: note: 'mu' is acquired here
      // CHECK: :[[@LINE+19]]:5: note: 'constants::Journal::flushAll' is called here, with 'mu' held
      // CHECK: :[[@LINE+5]]:30: note: 'constants::Journal::flush' is called here, with 'mu' held
      ++n;
    }
  }
  // The parameter, handed on.
  void flushAll(bool lock) { flush(lock); }
  // Negated: takes the lock unless told it is held.
  void flushHeld(bool held) {
    if (!held)
      std::lock_guard<std::mutex> g(mu);
      // CHECK: :[[@LINE-1]]:35: warning: 'mu' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
      // CHECK: :[[@LINE+10]]:33: note: 'mu' is acquired here
      // CHECK: :[[@LINE+10]]:5: note: 'constants::Journal::flushHeld' is called here, with 'mu' held
  }

public:
  void writeBad() {
    std::lock_guard<std::mutex> g(mu);
    flushAll(true);
  }
  void writeBadNegated() {
    std::lock_guard<std::mutex> g(mu);
    flushHeld(false);
  }
  // Correct: told that the lock is held.
  void write() {
    std::lock_guard<std::mutex> g(mu);
    flush(false);
    flushAll(false);
    flushHeld(true);
  }
  // Correct: a caller that does not hold it.
  void writeUnlocked() { flushAll(true); }
};

// Lock order: `b` under `a` only where `take` is true.
std::mutex a, b;
void takeB(bool take) {
  if (take)
    std::lock_guard<std::mutex> g(b);
}
// A parameter assigned in its function: its argument decides nothing.
void takeBMaybe(bool take, bool force) {
  take = take || force;
  if (take)
    std::lock_guard<std::mutex> g(b);
}
void underA() {
  std::lock_guard<std::mutex> g(a);
  takeB(false); // Correct: no b under a here.
}
void underAMaybe(bool force) {
  std::lock_guard<std::mutex> g(a);
  takeBMaybe(false, force);
}
void aUnderB() {
  std::lock_guard<std::mutex> g(b);
  a.lock();
  // CHECK: :[[@LINE-1]]:3: warning: lock-order inversion: 'a' is acquired while 'b' is held, and 'constants::underAMaybe' acquires 'b' while holding 'a'; two threads taking both orders wait for each other forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE-7]]:31: note: 'a' is acquired here
  // CHECK: :[[@LINE-7]]:3: note: 'constants::takeBMaybe' is called here, holding 'a'
  // CHECK: :[[@LINE-16]]:33: note: 'b' is acquired here while 'a' is held
  // CHECK: :[[@LINE-6]]:31: note: 'b' is acquired here
  a.unlock();
}
// An early return on the parameter: what follows runs only when it is
// false (arangodb/arangodb#11567: a timer item's cancel runs its handler
// with `true`, and the handler returns at once).
class Timer {
  std::mutex mu;
  std::function<void(bool)> handler;
  void run(bool canceled) { handler(canceled); }

public:
  Timer() {
    handler = [this](bool canceled) {
      if (canceled)
        return;
      std::lock_guard<std::mutex> g(mu);
    };
  }
  // Correct: a cancel under the lock runs nothing that takes it.
  void cancelLocked() {
    std::lock_guard<std::mutex> g(mu);
    run(true);
  }
};
// The same handler, fired under the lock: it takes the lock again.
class Alarm {
  std::mutex mu;
  std::function<void(bool)> handler;
  void run(bool canceled) { handler(canceled); }

public:
  Alarm() {
    handler = [this](bool canceled) {
      if (canceled)
        return;
      std::lock_guard<std::mutex> g(mu);
      // CHECK: :[[@LINE-1]]:35: warning: 'mu' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
      // CHECK: :[[@LINE+13]]:16: note: 'a' is the only 'Alarm' the program makes: 'mu' and 'mu' are both its 'mu'
      // CHECK: :[[@LINE+6]]:33: note: 'mu' is acquired here
      // CHECK: :[[@LINE+6]]:5: note: 'constants::Alarm::run' is called here, with 'mu' held
      // CHECK: :[[@LINE-12]]:29: note: the function object 'handler' is called here, with 'mu' held
    };
  }
  void fireLocked() {
    std::lock_guard<std::mutex> g(mu);
    run(false);
  }
};
void timers() {
  static Timer t;
  static Alarm a;
  t.cancelLocked();
  a.fireLocked();
}
} // namespace constants

//===-- The only object of a class ----------------------------------------===//

namespace only {
struct Page {
  std::mutex mu;
  void render();
  void count() { std::lock_guard<std::mutex> g(mu); }
  // CHECK: :[[@LINE-1]]:46: warning: 'page.mu' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE+5]]:13: note: 'page' is the only 'Page' the program makes: 'mu' and 'page.mu' are both its 'mu'
  // CHECK: :[[@LINE+8]]:31: note: 'mu' is acquired here
  // CHECK: :[[@LINE+8]]:3: note: 'only::countPage' is called here, with 'page.mu' held
  // CHECK: :[[@LINE+3]]:20: note: 'only::Page::count' is called here, with 'page.mu' held
};
static Page page; // The only Page.
void countPage() { page.count(); }
// this->mu is page.mu.
void Page::render() {
  std::lock_guard<std::mutex> g(mu);
  countPage();
}

// Correct: two objects, `this` may be the other one.
struct Doc {
  std::mutex mu;
  void render();
  void count() { std::lock_guard<std::mutex> g(mu); }
};
Doc first, second;
void countFirst() { first.count(); }
void Doc::render() {
  std::lock_guard<std::mutex> g(mu);
  countFirst();
}

// Correct: one variable, and more objects elsewhere (a container's).
struct Tab {
  std::mutex mu;
  void render();
  void count() { std::lock_guard<std::mutex> g(mu); }
};
static Tab tab;
std::vector<Tab> *moreTabs;
void countTab() { tab.count(); }
void Tab::render() {
  std::lock_guard<std::mutex> g(mu);
  countTab();
}

// Correct: one per thread.
struct Slot {
  std::mutex mu;
  void render();
  void count() { std::lock_guard<std::mutex> g(mu); }
};
thread_local Slot slot;
void countSlot() { slot.count(); }
void Slot::render() {
  std::lock_guard<std::mutex> g(mu);
  countSlot();
}

// Correct: `this` may be the Pane inside a SubPane.
struct Pane {
  std::mutex mu;
  void render();
  void count() { std::lock_guard<std::mutex> g(mu); }
};
static Pane pane;
struct SubPane : Pane {};
void countPane() { pane.count(); }
void Pane::render() {
  std::lock_guard<std::mutex> g(mu);
  countPane();
}
} // namespace only

//===-- All of it: gohugoio/hugo#5379 -------------------------------------===//

// Six calls from the lock to the second lock: reported with the default
// MaxCallDepth, 6 (DEEP), not with 4.
namespace hugo {
struct Page {
  std::once_flag plainInit;
  std::mutex contentInitMu;
  std::map<int, std::function<void()>> shortcodes;

  void wordCount() { initPlainAndMeta(true); }
  void initPlainAndMeta(bool lock) { initPlain(lock); }
  void initPlain(bool lock) {
    std::call_once(plainInit, [&] {
      if (lock)
        std::lock_guard<std::mutex> g(contentInitMu);
        // DEEP: :[[@LINE-1]]:37: warning: 'page.contentInitMu' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
        // DEEP: :[[@LINE+19]]:13: note: 'page' is the only 'Page' the program makes: 'contentInitMu' and 'page.contentInitMu' are both its 'contentInitMu'
        // DEEP: :[[@LINE+14]]:33: note: 'contentInitMu' is acquired here
        // DEEP: :[[@LINE+14]]:5: note: 'hugo::Page::prepare' is called here, with 'page.contentInitMu' held
        // DEEP: :[[@LINE+9]]:7: note: the function object 'render' is called here, with 'page.contentInitMu' held
        // DEEP: :[[@LINE+17]]:29: note: 'hugo::Page::wordCount' is called here, with 'page.contentInitMu' held
        // DEEP: :[[@LINE-12]]:22: note: 'hugo::Page::initPlainAndMeta' is called here, with 'page.contentInitMu' held
        // DEEP: :[[@LINE-12]]:38: note: 'hugo::Page::initPlain' is called here, with 'page.contentInitMu' held
        // DEEP: :[[@LINE-11]]:5: note: 'std::call_once' calls the lambda here, with 'page.contentInitMu' held
    });
  }
  void prepare() {
    for (auto &[k, render] : shortcodes)
      render();
  }
  void render() {
    std::lock_guard<std::mutex> g(contentInitMu);
    prepare();
  }
};
static Page page;
void setup() {
  page.shortcodes[0] = [] { page.wordCount(); };
  page.render();
}

// Correct: the shortcode says the lock is held.
struct FixedPage {
  std::once_flag plainInit;
  std::mutex contentInitMu;
  std::map<int, std::function<void()>> shortcodes;

  void wordCount() { initPlainAndMeta(true); }
  void initPlainAndMeta(bool lock) { initPlain(lock); }
  void initPlain(bool lock) {
    std::call_once(plainInit, [&] {
      if (lock)
        std::lock_guard<std::mutex> g(contentInitMu);
    });
  }
  void prepare() {
    for (auto &[k, render] : shortcodes)
      render();
  }
  void render() {
    std::lock_guard<std::mutex> g(contentInitMu);
    prepare();
  }
};
static FixedPage fixedPage;
void setupFixed() {
  fixedPage.shortcodes[0] = [] { fixedPage.initPlainAndMeta(false); };
  fixedPage.render();
}
} // namespace hugo

//===-- A guard handed by reference is the mutex it guards ----------------===//

namespace guards {
std::mutex m;
void touch();
void relock(std::unique_lock<std::mutex> &lk) {
  lk.unlock();
  touch();
  lk.lock();
}
// Negative: each call releases the mutex before taking it back.
void twice() {
  std::unique_lock<std::mutex> lk(m);
  relock(lk);
  relock(lk);
}
// Positive: after relock() the caller holds m again, through its guard.
void relockThenLock() {
  std::unique_lock<std::mutex> lk(m);
  lk.unlock();
  relock(lk);
  m.lock();
  // CHECK: :[[@LINE-1]]:3: warning: 'm' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE-3]]:3: note: 'guards::relock' is called here
  // CHECK: :[[@LINE-16]]:3: note: 'm' is acquired here
}
} // namespace guards

// A constructor's initialisers are its code: the callback registered by a
// call in one (ros_comm#2121's timer: `timer_{&tm, tm.add(period, [this]
// { timerCallback(); }, &queue)}`) is what the registry's std::function
// holds, and firing it under the registry's lock takes the node's.
namespace ctor_init {
class Timers {
public:
  int add(std::function<void()> cb) {
    std::lock_guard<std::mutex> g(mu_);
    cbs_.push_back(std::move(cb));
    return int(cbs_.size());
  }
  void fire() {
    std::lock_guard<std::mutex> g(mu_);
    for (auto &cb : cbs_)
      cb();
  }

private:
  std::mutex mu_;
  std::vector<std::function<void()>> cbs_;
};
class Node {
public:
  explicit Node(Timers &t) : t_(t), id_(t.add([this] { tick(); })) {}
  void tick() {
    std::lock_guard<std::mutex> g(state_);
    // CHECK: :[[@LINE-1]]:33: warning: lock-order inversion: 'state_' is acquired while 'mu_' is held, and 'ctor_init::Node::restart' acquires 't_.mu_' while holding 'state_'; two threads taking both orders wait for each other forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE+9]]:33: note: 'state_' is acquired here
    // CHECK: :[[@LINE+9]]:5: note: 'ctor_init::Timers::fire' is called here, holding 'state_'
    // CHECK: :[[@LINE-17]]:33: note: 't_.mu_' is acquired here while 'state_' is held
    // CHECK: :[[@LINE-18]]:33: note: 'mu_' is acquired here
    // CHECK: :[[@LINE-17]]:7: note: the function object 'cb' is called here, holding 'mu_'
    // CHECK: :[[@LINE-9]]:56: note: 'ctor_init::Node::tick' is called here, holding 'mu_'
    ++ticks_;
  }
  void restart() {
    std::lock_guard<std::mutex> g(state_);
    t_.fire();
  }

private:
  Timers &t_;
  int id_;
  std::mutex state_;
  int ticks_ = 0;
};
} // namespace ctor_init

// A reader/writer mutex that both orders take for reading: the second
// reader gets in, so there is no cycle (ros_comm#2121's fix: the
// callback's shared hold, and a shared re-acquisition under the user's
// lock). Taken exclusively by one order, it is one.
namespace shared_both {
std::shared_mutex rw;
std::mutex m;
void reader() {
  std::shared_lock<std::shared_mutex> r(rw);
  std::lock_guard<std::mutex> g(m);
}
void rereader() {
  std::lock_guard<std::mutex> g(m);
  std::shared_lock<std::shared_mutex> r(rw);
}
} // namespace shared_both
namespace shared_one {
std::shared_mutex rw;
std::mutex m;
void reader() {
  std::shared_lock<std::shared_mutex> r(rw);
  std::lock_guard<std::mutex> g(m);
}
void writer() {
  std::lock_guard<std::mutex> g(m);
  std::unique_lock<std::shared_mutex> w(rw);
  // CHECK: :[[@LINE-1]]:39: warning: lock-order inversion: 'rw' is acquired while 'm' is held, and 'shared_one::reader' acquires 'm' while holding 'rw'; two threads taking both orders wait for each other forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE-7]]:39: note: 'rw' is acquired here
  // CHECK: :[[@LINE-7]]:31: note: 'm' is acquired here while 'rw' is held
  // CHECK: :[[@LINE-5]]:31: note: 'm' is acquired here
}
} // namespace shared_one
