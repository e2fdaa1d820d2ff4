// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// threadleak-blocked-forever: a partner that may never come because the
// code it is in may return first. The waiting code creates the object
// (or starts the code that waits on it) and runs, or calls, the only code
// that could complete the wait; some path of that code returns without
// it. Go's "missing send on the error path" leak; in C++, a worker that
// forgets set_value() before an early return.

#include <boost/fiber/all.hpp>
#include <condition_variable>
#include <exception>
#include <functional>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

using IntChan = boost::fibers::unbuffered_channel<int>;
bool check(int);
int compute(int);
bool next(int &);
void log(const char *);

//===-- Found -------------------------------------------------------------===//

// The worker gives up on a bad item and never sets the promise.
int sumAll(std::vector<int> items) {
  std::promise<int> p;
  std::thread t([&] {
    int sum = 0;
    for (int x : items) {
      if (x < 0)
        return;
      sum += compute(x);
    }
    p.set_value(sum);
  });
  int r = p.get_future().get();
  // CHECK: :[[@LINE-1]]:11: warning: a wait for the value of 'p' may wait forever: the code that sets its value may return without doing so [threadleak-blocked-forever]
  // CHECK: :[[@LINE-4]]:5: note: setting the value of 'p' here, in the lambda, would complete it
  // CHECK: :[[@LINE-12]]:17: note: the lambda is started here
  // CHECK: :[[@LINE-9]]:9: note: the lambda may return here without setting the value of 'p'
  t.join();
  return r;
}

// A thread started on a function, the promise handed by reference.
void worker(std::promise<int> &p, int n) {
  if (n < 0) {
    log("bad input");
    return;
  }
  p.set_value(compute(n));
}
int runWorker(int n) {
  std::promise<int> p;
  std::thread t(worker, std::ref(p), n);
  int r = p.get_future().get();
  // CHECK: :[[@LINE-1]]:11: warning: a wait for the value of 'p' may wait forever: the code that sets its value may return without doing so [threadleak-blocked-forever]
  // CHECK: :[[@LINE-7]]:3: note: setting the value of 'p' here, in 'worker', would complete it
  // CHECK: :[[@LINE-4]]:15: note: 'worker' is started here
  // CHECK: :[[@LINE-11]]:5: note: 'worker' may return here without setting the value of 'p'
  t.join();
  return r;
}

// Through a call: the lambda runs a helper that may return first.
void fill(std::promise<int> &p, int n) {
  if (!check(n))
    return;
  p.set_value(n);
}
int viaHelper(int n) {
  std::promise<int> p;
  std::thread t([&] { fill(p, n); });
  int r = p.get_future().get();
  // CHECK: :[[@LINE-1]]:11: warning: a wait for the value of 'p' may wait forever: the code that sets its value may return without doing so [threadleak-blocked-forever]
  // CHECK: :[[@LINE-7]]:3: note: setting the value of 'p' here, in 'fill', would complete it
  // CHECK: :[[@LINE-4]]:17: note: the lambda is started here
  // CHECK: :[[@LINE-5]]:23: note: 'fill' is called here
  // CHECK: :[[@LINE-11]]:5: note: 'fill' may return here without setting the value of 'p'
  t.join();
  return r;
}

// No else: the value is set only when the test passes.
int setIfValid(int n) {
  std::promise<int> p;
  std::thread t([&] {
    if (check(n))
      p.set_value(n);
  });
  int r = p.get_future().get();
  // CHECK: :[[@LINE-1]]:11: warning: a wait for the value of 'p' may wait forever: the code that sets its value may return without doing so [threadleak-blocked-forever]
  // CHECK: :[[@LINE-4]]:7: note: setting the value of 'p' here, in the lambda, would complete it
  // CHECK: :[[@LINE-7]]:17: note: the lambda is started here
  // CHECK: :[[@LINE-5]]:3: note: the lambda may reach its end here without setting the value of 'p'
  t.join();
  return r;
}

// A channel: the producer returns on an error before it sends.
int produceOne(std::vector<int> items) {
  IntChan ch;
  std::thread t([&] {
    int sum = 0;
    for (int x : items) {
      if (!check(x))
        return;
      sum += x;
    }
    ch.push(sum);
  });
  int v = 0;
  ch.pop(v);
  // CHECK: :[[@LINE-1]]:3: warning: a receive from 'ch' may wait forever: the code that sends to it or closes it may return without doing so [threadleak-blocked-forever]
  // CHECK: :[[@LINE-5]]:5: note: sending to 'ch' or closing it here, in the lambda, would complete it
  // CHECK: :[[@LINE-13]]:17: note: the lambda is started here
  // CHECK: :[[@LINE-10]]:9: note: the lambda may return here without sending to 'ch' or closing it
  t.join();
  return v;
}

// The waiter is a thread too: the other thread is its only partner.
void handOff() {
  IntChan ch;
  std::thread consumer([&] {
    int v = 0;
    ch.pop(v);
    // CHECK: :[[@LINE-1]]:5: warning: a receive from 'ch' may wait forever: the code that sends to it or closes it may return without doing so [threadleak-blocked-forever]
    // CHECK: :[[@LINE+7]]:5: note: sending to 'ch' or closing it here, in the lambda, would complete it
    // CHECK: :[[@LINE+3]]:24: note: the lambda is started here
    // CHECK: :[[@LINE+4]]:7: note: the lambda may return here without sending to 'ch' or closing it
  });
  std::thread producer([&] {
    if (!check(1))
      return;
    ch.push(1);
  });
  consumer.join();
  producer.join();
}

// A condition variable: the waiter waits for a flag that only the worker
// sets, and the worker may return before it does.
void loadAll(std::vector<int> items) {
  std::mutex mu;
  std::condition_variable cv;
  bool loaded = false;
  std::thread t([&] {
    for (int x : items)
      if (!check(x))
        return;
    {
      std::lock_guard<std::mutex> g(mu);
      loaded = true;
    }
    cv.notify_one();
  });
  std::unique_lock<std::mutex> lk(mu);
  cv.wait(lk, [&] { return loaded; });
  // CHECK: :[[@LINE-1]]:3: warning: a wait on 'cv' may wait forever: the code that makes its condition true and notifies it may return without doing so [threadleak-blocked-forever]
  // CHECK: :[[@LINE-5]]:5: note: notifying 'cv' here, in the lambda, would complete it
  // CHECK: :[[@LINE-14]]:17: note: the lambda is started here
  // CHECK: :[[@LINE-12]]:9: note: the lambda may return here without notifying 'cv'
  lk.unlock();
  t.join();
}

// The same with the wait in a loop, on a count.
void countTwo() {
  std::mutex mu;
  std::condition_variable cv;
  int done = 0;
  auto part = [&](int n) {
    if (!check(n))
      return;
    std::lock_guard<std::mutex> g(mu);
    ++done;
    cv.notify_all();
  };
  std::thread a([&] { part(1); });
  std::thread b([&] { part(2); });
  std::unique_lock<std::mutex> lk(mu);
  while (done < 2)
    cv.wait(lk);
  // CHECK: :[[@LINE-1]]:5: warning: a wait on 'cv' may wait forever: the code that makes its condition true and notifies it may return without doing so [threadleak-blocked-forever]
  // CHECK: :[[@LINE-8]]:5: note: notifying 'cv' here, in the lambda, would complete it
  // CHECK: :[[@LINE-7]]:17: note: the lambda is started here
  // CHECK: :[[@LINE-8]]:23: note: the lambda is called here
  // CHECK: :[[@LINE-14]]:7: note: the lambda may return here without notifying 'cv'
  lk.unlock();
  a.join();
  b.join();
}

// A member the waiting method's own thread sets, or not.
bool init();
void serve();
class Loader {
public:
  void start() {
    t_ = std::thread([this] {
      if (!init())
        return;
      ready_.set_value();
      serve();
    });
    ready_.get_future().wait();
    // CHECK: :[[@LINE-1]]:5: warning: a wait for the value of 'ready_' may wait forever: the code that sets its value may return without doing so [threadleak-blocked-forever]
    // CHECK: :[[@LINE-5]]:7: note: setting the value of 'ready_' here, in the lambda, would complete it
    // CHECK: :[[@LINE-9]]:22: note: the lambda is started here
    // CHECK: :[[@LINE-8]]:9: note: the lambda may return here without setting the value of 'ready_'
  }
  ~Loader() { t_.join(); }

private:
  std::promise<void> ready_;
  std::thread t_;
};

// The same with the thread started on a method of the object (its
// address is handed to the thread, not to code we do not read).
class MethodLoader {
public:
  void start() {
    t_ = std::thread(&MethodLoader::run, this);
    ready_.get_future().wait();
    // CHECK: :[[@LINE-1]]:5: warning: a wait for the value of 'ready_' may wait forever: the code that sets its value may return without doing so [threadleak-blocked-forever]
    // CHECK: :[[@LINE+10]]:5: note: setting the value of 'ready_' here, in 'MethodLoader::run', would complete it
    // CHECK: :[[@LINE-4]]:10: note: 'MethodLoader::run' is started here
    // CHECK: :[[@LINE+7]]:7: note: 'MethodLoader::run' may return here without setting the value of 'ready_'
  }
  ~MethodLoader() { t_.join(); }

private:
  void run() {
    if (!init())
      return;
    ready_.set_value();
    serve();
  }
  std::promise<void> ready_;
  std::thread t_;
};

//===-- Not found -----------------------------------------------------------===//

// Every path sets it: the error path sets an exception.
int setsOnEveryPath(std::vector<int> items) {
  std::promise<int> p;
  std::thread t([&] {
    int sum = 0;
    for (int x : items) {
      if (x < 0) {
        p.set_exception(std::make_exception_ptr(std::runtime_error("bad")));
        return;
      }
      sum += compute(x);
    }
    p.set_value(sum);
  });
  int r = p.get_future().get();
  t.join();
  return r;
}

// The error path closes the channel.
int closesOnError(std::vector<int> items) {
  IntChan ch;
  std::thread t([&] {
    for (int x : items)
      if (!check(x)) {
        ch.close();
        return;
      }
    ch.push(1);
  });
  int v = 0;
  ch.pop(v);
  t.join();
  return v;
}

// The waiter waits only when the worker was told to set it.
int sameTest(bool ok) {
  std::promise<int> p;
  std::thread t([&] {
    if (!ok)
      return;
    p.set_value(1);
  });
  int r = 0;
  if (ok)
    r = p.get_future().get();
  t.join();
  return r;
}

// The same, the flag handed to a function as an argument.
void setIf(std::promise<int> &p, bool ok) {
  if (!ok)
    return;
  p.set_value(1);
}
int sameTestThroughArgument(bool ok) {
  std::promise<int> p;
  std::thread t(setIf, std::ref(p), ok);
  int r = 0;
  if (ok)
    r = p.get_future().get();
  t.join();
  return r;
}

// The other way out throws (std::terminate, not a silent return).
int throwsInstead(int n) {
  std::promise<int> p;
  std::thread t([&] {
    if (n < 0)
      throw std::runtime_error("bad");
    p.set_value(n);
  });
  int r = p.get_future().get();
  t.join();
  return r;
}

// The lambda owns the promise: its end wakes the waiter (broken_promise).
int ownsThePromise(int n) {
  std::promise<int> p;
  std::future<int> f = p.get_future();
  std::thread t([p = std::move(p), n]() mutable {
    if (n < 0)
      return;
    p.set_value(n);
  });
  int r = f.get();
  t.join();
  return r;
}

// Run by code we do not read: it may run the lambda any way it likes.
void submit(std::function<void()> task);
int submitted(int n) {
  std::promise<int> p;
  submit([&] { p.set_value(n); });
  return p.get_future().get();
}

// A search that sets it from inside its loop: that the loop may end
// without a match is a question of the data.
int search() {
  std::promise<int> p;
  std::thread t([&] {
    int x;
    while (next(x))
      if (check(x)) {
        p.set_value(x);
        return;
      }
  });
  int r = p.get_future().get();
  t.join();
  return r;
}

// Both branches of a try set it.
int tryBoth(int n) {
  std::promise<int> p;
  std::thread t([&] {
    try {
      p.set_value(compute(n));
    } catch (...) {
      p.set_exception(std::current_exception());
    }
  });
  int r = p.get_future().get();
  t.join();
  return r;
}

// Two tests of one flag: the way that sends neither does not exist.
void sendEither(IntChan &out, bool ok) {
  if (ok)
    out.push(1);
  log("between");
  if (!ok)
    out.push(-1);
}
int either(bool ok) {
  IntChan ch;
  std::thread t(sendEither, std::ref(ch), ok);
  int v = 0;
  ch.pop(v);
  t.join();
  return v;
}

// The waiting code sets it itself before it waits, whatever the worker
// does.
int setFirst(int n) {
  std::promise<int> p;
  std::thread t([&] {
    if (n < 0)
      return;
    log("worker");
  });
  p.set_value(n);
  int r = p.get_future().get();
  t.join();
  return r;
}

// Whether the worker starts at all is a question of the data: that is not
// a path that skips it.
int maybeStarted(int n) {
  std::promise<int> p;
  std::vector<std::thread> ts;
  if (n > 0)
    ts.emplace_back([&] { p.set_value(n); });
  int r = p.get_future().get();
  for (auto &t : ts)
    t.join();
  return r;
}

// The error path sets the flag and notifies too.
void loadAllOrFail(std::vector<int> items) {
  std::mutex mu;
  std::condition_variable cv;
  bool finished = false, failed = false;
  std::thread t([&] {
    for (int x : items)
      if (!check(x)) {
        std::lock_guard<std::mutex> g(mu);
        finished = failed = true;
        cv.notify_one();
        return;
      }
    {
      std::lock_guard<std::mutex> g(mu);
      finished = true;
    }
    cv.notify_one();
  });
  std::unique_lock<std::mutex> lk(mu);
  cv.wait(lk, [&] { return finished; });
  lk.unlock();
  t.join();
}

// It does not wait at first: nothing is pending until the worker says so.
void nothingPending() {
  std::mutex mu;
  std::condition_variable cv;
  int pending = 0;
  std::thread t([&] {
    if (!check(0))
      return;
    std::lock_guard<std::mutex> g(mu);
    pending = 0;
    cv.notify_one();
  });
  std::unique_lock<std::mutex> lk(mu);
  cv.wait(lk, [&] { return pending == 0; });
  lk.unlock();
  t.join();
}

// The flag is handed to a function by reference: what it does with it is
// not read here.
void markDone(bool &flag);
void handedOn() {
  std::mutex mu;
  std::condition_variable cv;
  bool ready = false;
  std::thread t([&] {
    if (!check(1))
      return;
    std::lock_guard<std::mutex> g(mu);
    ready = true;
    cv.notify_one();
  });
  markDone(ready);
  std::unique_lock<std::mutex> lk(mu);
  cv.wait(lk, [&] { return ready; });
  lk.unlock();
  t.join();
}

// A member that other code of its class may set: a failure reported from
// elsewhere completes the wait.
class FailableLoader {
public:
  void start() {
    t_ = std::thread([this] {
      if (!init())
        return;
      markReady();
      serve();
    });
    ready_.get_future().wait();
  }
  void abort() { ready_.set_exception(std::make_exception_ptr(1)); }
  ~FailableLoader() { t_.join(); }

private:
  void markReady() { ready_.set_value(); }
  std::promise<void> ready_;
  std::thread t_;
};

// The helper that sets it is called from elsewhere too.
class SharedSetter {
public:
  void start() {
    t_ = std::thread([this] {
      if (!init())
        return;
      markReady();
    });
    ready_.get_future().wait();
  }
  void kick() { markReady(); }
  ~SharedSetter() { t_.join(); }

private:
  void markReady() { ready_.set_value(); }
  std::promise<void> ready_;
  std::thread t_;
};

// Found: the wait is in a function the creating code calls.
int receiveFrom(IntChan &ch) {
  int v = 0;
  ch.pop(v);
  // CHECK: :[[@LINE-1]]:3: warning: a receive from 'ch' may wait forever: the code that sends to it or closes it may return without doing so [threadleak-blocked-forever]
  // CHECK: :[[@LINE+11]]:5: note: sending to 'ch' or closing it here, in the lambda, would complete it
  // CHECK: :[[@LINE+7]]:17: note: the lambda is started here
  // CHECK: :[[@LINE+8]]:7: note: the lambda may return here without sending to 'ch' or closing it
  // CHECK: :[[@LINE+10]]:11: note: 'receiveFrom' is called here, which waits
  return v;
}
int throughAHelper(int n) {
  IntChan ch;
  std::thread t([&] {
    if (!check(n))
      return;
    ch.push(n);
  });
  int r = receiveFrom(ch);
  t.join();
  return r;
}

// Negative: the waiter waits only while nothing is active, and the sender
// sends only for the first active item: both sides test the same state,
// the waiter down a call (grpc-go#1460's fixed keepalive).
struct Client {
  IntChan wake;
  std::vector<int> active;
  void keepalive() {
    if (active.empty()) {
      int v = 0;
      wake.pop(v);
    }
  }
  void add() {
    active.push_back(1);
    if (active.size() == 1)
      wake.push(0);
  }
};
void sameStateBothSides() {
  Client c;
  std::thread a([&] { c.keepalive(); });
  std::thread b([&] { c.add(); });
  a.join();
  b.join();
}

// Negative: the thread runs the method on another object, whose promise
// it sets.
class PeerLoader {
public:
  void start(PeerLoader &peer) {
    t_ = std::thread(&PeerLoader::run, &peer);
    ready_.get_future().wait();
  }
  ~PeerLoader() { t_.join(); }

private:
  void run() {
    if (!init())
      return;
    ready_.set_value();
  }
  std::promise<void> ready_;
  std::thread t_;
};

// A range-for over a channel receives at its loop's test, before the body
// runs: a receiver that iterates cannot leave before the values come
// (argo-cd#14304's watch goroutine, whose twin this was reported on).
void consumeAll(boost::fibers::unbuffered_channel<int> &ch) {
  for (int v : ch)
    compute(v);
}
void rangeReceiver() {
  boost::fibers::unbuffered_channel<int> ch;
  std::thread t([&ch] { consumeAll(ch); });
  ch.push(1);
  ch.push(2);
  ch.close();
  t.join();
}

// One that may return before its loop does skip it.
void consumeIfReady(boost::fibers::unbuffered_channel<int> &ch) {
  if (!init())
    return;
  for (int v : ch)
    compute(v);
}
void rangeReceiverMayReturn() {
  boost::fibers::unbuffered_channel<int> ch;
  std::thread t([&ch] { consumeIfReady(ch); });
  ch.push(1);
  // CHECK: :[[@LINE-1]]:3: warning: a send on 'ch' may wait forever: the code that receives from it or closes it may return without doing so [threadleak-blocked-forever]
  // CHECK: :[[@LINE-8]]:3: note: receiving from 'ch' or closing it here, in 'consumeIfReady', would complete it
  // CHECK: :[[@LINE-4]]:17: note: the lambda is started here
  // CHECK: :[[@LINE-5]]:25: note: 'consumeIfReady' is called here
  // CHECK: :[[@LINE-12]]:5: note: 'consumeIfReady' may return here without receiving from 'ch' or closing it
  ch.close();
  t.join();
}
