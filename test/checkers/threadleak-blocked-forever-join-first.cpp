// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// threadleak-blocked-forever: a join of a thread whose body cannot finish
// without a wait that only the joiner's code after the join completes
// (shutdown order: HPCC-Platform#9031 joins the look-ahead thread, then
// signals the semaphore it waits on). Promises, latches (local and member),
// and a project's own semaphore (a condition variable whose predicate is
// false as its object is made, changed only where it is notified). Each
// shape both ways.

#include <condition_variable>
#include <future>
#include <mutex>
#include <latch>
#include <thread>

void use(int);

// The promise is set after the join of the thread that reads it.
void promiseAfterJoin() {
  std::promise<int> ready;
  std::future<int> f = ready.get_future();
  std::thread t([&f] { use(f.get()); });
  t.join();
  // CHECK: :[[@LINE-1]]:3: warning: join() waits for a thread that never finishes: a wait for the value of 'ready' in it waits for code that runs only after this join; both wait forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE-3]]:15: note: the thread is started here
  // CHECK: :[[@LINE-4]]:28: note: it waits here
  // CHECK: :[[@LINE+1]]:3: note: setting the value of 'ready' here, only after the join
  ready.set_value(1);
}

// Correct: set first, then joined.
void promiseBeforeJoin() {
  std::promise<int> ready;
  std::future<int> f = ready.get_future();
  std::thread t([&f] { use(f.get()); });
  ready.set_value(1);
  t.join();
}

// A latch counted down after the join of the thread that waits on it.
void latchAfterJoin() {
  std::latch go(1);
  std::thread t([&go] { go.wait(); });
  t.join();
  // CHECK: :[[@LINE-1]]:3: warning: join() waits for a thread that never finishes: a wait on 'go' in it waits for code that runs only after this join; both wait forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE-3]]:15: note: the thread is started here
  // CHECK: :[[@LINE-4]]:25: note: it waits here
  // CHECK: :[[@LINE+1]]:3: note: a release of 'go' here, only after the join
  go.count_down();
}

// Correct: another thread counts it down.
void latchByOther() {
  std::latch go(1);
  std::thread t([&go] { go.wait(); });
  std::thread u([&go] { go.count_down(); });
  t.join();
  u.join();
}

// Correct: the wait is on one path only; the thread may finish without it.
bool fast();
void latchMaybe() {
  std::latch go(1);
  std::thread t([&go] {
    if (!fast())
      go.wait();
  });
  t.join();
  go.count_down();
}

// A member thread, started in start() and joined in stop(), waits on a
// member latch that stop() counts down only after the join.
struct Gate {
  std::latch open{1};
  std::thread t;
  void start() { t = std::thread([this] { open.wait(); }); }
  void stop() {
    t.join();
    // CHECK: :[[@LINE-1]]:5: warning: join() waits for a thread that never finishes: a wait on 'open' in it waits for code that runs only after this join; both wait forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-4]]:22: note: the thread is started here
    // CHECK: :[[@LINE-5]]:43: note: it waits here
    // CHECK: :[[@LINE+1]]:5: note: a release of 'open' here, only after the join
    open.count_down();
  }
};

// Correct: opened first.
struct GateFixed {
  std::latch open{1};
  std::thread t;
  void start() { t = std::thread([this] { open.wait(); }); }
  void stop() {
    open.count_down();
    t.join();
  }
};

// A project's semaphore (a condition variable and a count): the look-ahead
// thread waits on it, and stop() signals only after the join.
class Semaphore {
  std::mutex m;
  std::condition_variable cv;
  unsigned count = 0;

public:
  void signal() {
    std::lock_guard<std::mutex> g(m);
    ++count;
    cv.notify_one();
  }
  void wait() {
    std::unique_lock<std::mutex> lk(m);
    cv.wait(lk, [this] { return count > 0; });
    --count;
  }
};
struct LookAhead {
  Semaphore sem;
  std::thread t;
  void start() { t = std::thread([this] { sem.wait(); }); }
  void stop() {
    t.join();
    // CHECK: :[[@LINE-1]]:5: warning: join() waits for a thread that never finishes: a wait on 'sem.cv' in it waits for code that runs only after this join; both wait forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-4]]:22: note: the thread is started here
    // CHECK: :[[@LINE-5]]:43: note: 'Semaphore::wait' is called here, in the thread
    // CHECK: :[[@LINE-13]]:5: note: it waits here
    // CHECK: :[[@LINE+2]]:5: note: 'Semaphore::signal' is called here, only after the join
    // CHECK: :[[@LINE-19]]:5: note: a notify of 'cv' here
    sem.signal();
  }
};

// Correct: set first, then joined (a project's event: a flag and a
// condition variable).
class Event {
  std::mutex m;
  std::condition_variable cv;
  bool set_ = false;

public:
  void set() {
    std::lock_guard<std::mutex> g(m);
    set_ = true;
    cv.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lk(m);
    cv.wait(lk, [this] { return set_; });
  }
};
struct LookAheadFixed {
  Event started;
  std::thread t;
  void start() { t = std::thread([this] { started.wait(); }); }
  void stop() {
    started.set();
    t.join();
  }
};

// Correct: a semaphore made with a count of one does not block.
class Tokens {
  std::mutex m;
  std::condition_variable cv;
  unsigned count = 0;

public:
  explicit Tokens(unsigned initial) : count(initial) {}
  void release() {
    std::lock_guard<std::mutex> g(m);
    ++count;
    cv.notify_one();
  }
  void acquire() {
    std::unique_lock<std::mutex> lk(m);
    cv.wait(lk, [this] { return count > 0; });
    --count;
  }
};
struct Primed {
  Tokens sem{1};
  std::thread t;
  void start() { t = std::thread([this] { sem.acquire(); }); }
  void stop() {
    t.join();
    sem.release();
  }
};

// Correct: a wait that does not block as made (it waits while a flag is
// clear that nothing set yet: `!paused` holds from the start).
class Pauser {
  std::mutex m;
  std::condition_variable cv;
  bool paused = false;

public:
  void resume() {
    std::lock_guard<std::mutex> g(m);
    paused = false;
    cv.notify_all();
  }
  void waitRunning() {
    std::unique_lock<std::mutex> lk(m);
    cv.wait(lk, [this] { return !paused; });
  }
};
struct Runner {
  Pauser p;
  std::thread t;
  void start() { t = std::thread([this] { p.waitRunning(); }); }
  void stop() {
    t.join();
    p.resume();
  }
};

int main() {
  LookAhead la;
  la.start();
  la.stop();
  LookAheadFixed lf;
  lf.start();
  lf.stop();
  Runner r;
  r.start();
  r.stop();
  Primed pr;
  pr.start();
  pr.stop();
  Gate g;
  g.start();
  g.stop();
  GateFixed h;
  h.start();
  h.stop();
  promiseAfterJoin();
  promiseBeforeJoin();
  latchAfterJoin();
  latchByOther();
  latchMaybe();
}
