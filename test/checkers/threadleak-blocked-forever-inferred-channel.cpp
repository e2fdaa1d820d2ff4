// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' --config="{CheckOptions: {threadleak-blocked-forever.DumpModel: true}}" %s -- %stubflags | FileCheck --check-prefix=DUMP %s
//
// Channels a project writes itself (a mutex, a condition variable, a deque
// or a counter, a closed flag) are read as channels, with no model file:
// the blocking analysis then sees a send that waits for a receiver the way
// it sees a library channel's.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

// An unbuffered channel of tokens: send() offers one and waits until it is
// taken; try_receive() polls.
class StopChannel {
public:
  void send() {
    std::unique_lock<std::mutex> lk(mu_);
    const unsigned long ticket = ++offered_;
    cv_.notify_all();
    cv_.wait(lk, [&] { return taken_ >= ticket || closed_; });
  }
  bool try_receive() {
    std::lock_guard<std::mutex> lk(mu_);
    if (closed_)
      return true;
    if (taken_ < offered_) {
      ++taken_;
      cv_.notify_all();
      return true;
    }
    return false;
  }
  void close() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  unsigned long offered_ = 0, taken_ = 0;
  bool closed_ = false;
};
// DUMP-LABEL: channels read from classes:
// DUMP-NEXT: StopChannel ([[@LINE-34]]:7): unbuffered
// DUMP-NEXT: [[@LINE-33]]:8  send: 'send' puts an item, then waits until it is taken
// DUMP-NEXT: [[@LINE-28]]:8  try-receive: 'try_receive' takes an item if there is one
// DUMP-NEXT: [[@LINE-18]]:8  close: 'close' sets a flag the waits read and wakes them

// A buffered channel: send() waits for room, then puts.
template <typename T> class BoundedChannel {
public:
  explicit BoundedChannel(unsigned long capacity) : capacity_(capacity) {}
  void send(T v) {
    std::unique_lock<std::mutex> lk(m_);
    notFull_.wait(lk, [this] { return q_.size() < capacity_; });
    q_.push_back(v);
    notEmpty_.notify_one();
  }
  // Gives up when `stop` is requested: never blocks for good.
  std::optional<T> receive(std::stop_token stop) {
    std::unique_lock<std::mutex> lk(m_);
    if (!notEmpty_.wait(lk, stop, [this] { return !q_.empty(); }))
      return std::nullopt;
    T v = q_.front();
    q_.pop_front();
    notFull_.notify_one();
    return v;
  }
  T receive() {
    std::unique_lock<std::mutex> lk(m_);
    while (q_.empty())
      notEmpty_.wait(lk);
    T v = q_.front();
    q_.pop_front();
    notFull_.notify_one();
    return v;
  }

private:
  std::mutex m_;
  std::condition_variable_any notEmpty_, notFull_;
  std::deque<T> q_;
  unsigned long capacity_;
};
// DUMP-NEXT: BoundedChannel ([[@LINE-35]]:29): capacity: constructor argument 0
// DUMP-NEXT: [[@LINE-33]]:8  send: 'send' waits for room, then puts an item
// DUMP-NEXT: [[@LINE-27]]:20  try-receive: 'receive' waits for an item and takes it, or gives up once the stop token it is given is stopped
// DUMP-NEXT: [[@LINE-19]]:5  receive: 'receive' waits for an item and takes it

// A worker pool's queue: run() takes items in a loop of its own, so it is a
// consumer, not a receive; with no receive the class is no channel.
class Pool {
public:
  void submit(int job) {
    std::lock_guard<std::mutex> lk(m_);
    jobs_.push_back(job);
    cv_.notify_one();
  }
  void run() {
    for (;;) {
      std::unique_lock<std::mutex> lk(m_);
      cv_.wait(lk, [this] { return !jobs_.empty(); });
      jobs_.pop_front();
    }
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> jobs_;
};
// DUMP-NOT: Pool (

struct Container {
  std::mutex mu;
  StopChannel stop;
};

// The monitor polls its stop channel and takes the container's lock
// between two polls.
void monitor(Container &c) {
  for (;;) {
    if (c.stop.try_receive())
      return;
    std::lock_guard<std::mutex> lk(c.mu);
  }
}

void state_changed(Container &c) {
  std::lock_guard<std::mutex> lk(c.mu);
  c.stop.send();
  // CHECK: :[[@LINE-1]]:3: warning: a send on 'c.stop' waits while holding 'c.mu', and every operation that could complete it may need 'c.mu' first: both sides wait forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE-3]]:31: note: 'c.mu' is acquired here
  // CHECK: :[[@LINE-11]]:9: note: a non-blocking receive from 'c.stop' in 'monitor' does not wait for it, and may take 'c.mu' before it polls again
  // CHECK: :[[@LINE-123]]:8: note: 'StopChannel' is read as a channel: 'send' puts an item, then waits until it is taken
}

void health() {
  Container c;
  std::thread m([&] { monitor(c); });
  std::thread s([&] { state_changed(c); });
  m.join();
  s.join();
}

// The fix: close() does not wait for the monitor.
struct Container2 {
  std::mutex mu;
  StopChannel stop;
};

void monitor2(Container2 &c) {
  for (;;) {
    if (c.stop.try_receive())
      return;
    std::lock_guard<std::mutex> lk(c.mu);
  }
}

void state_changed2(Container2 &c) {
  std::lock_guard<std::mutex> lk(c.mu);
  c.stop.close();
}

void health2() {
  Container2 c;
  std::thread m([&] { monitor2(c); });
  std::thread s([&] { state_changed2(c); });
  m.join();
  s.join();
}

// A handler sends on an unbuffered channel while it holds `lock`; the test
// takes `lock` on its way to the receive.
void handler_holds_lock() {
  BoundedChannel<int> unused(1);
  StopChannel done;
  std::mutex lock;
  std::thread h([&] {
    std::lock_guard<std::mutex> lk(lock);
    done.send();
    // CHECK: :[[@LINE-1]]:5: warning: a send on 'done' waits while holding 'lock', and every operation that could complete it may need 'lock' first: both sides wait forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-3]]:33: note: 'lock' is acquired here
    // CHECK: :[[@LINE+4]]:3: note: 'handler_holds_lock' takes 'lock' here, on its way to a non-blocking receive from 'done'
    // CHECK: :[[@LINE-173]]:8: note: 'StopChannel' is read as a channel: 'send' puts an item, then waits until it is taken
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  lock.lock();
  lock.unlock();
  while (!done.try_receive()) {
  }
  h.join();
}

// The same, with the handler started only after the test has taken and
// released `lock`: nothing can hold it back any more.
void handler_after_lock() {
  StopChannel done;
  std::mutex lock;
  lock.lock();
  lock.unlock();
  std::thread h([&] {
    std::lock_guard<std::mutex> lk(lock);
    done.send();
  });
  while (!done.try_receive()) {
  }
  h.join();
}

// Room for one signal, two sends before the receiver is started: the
// second finds the buffer full (cockroach#24808).
struct Compactor {
  BoundedChannel<int> ch{1};
  std::stop_source stop;
  void suggest() { ch.send(1); }
  std::thread start() {
    ch.send(2);
    // CHECK: :[[@LINE-1]]:5: warning: a send on 'c.ch' waits forever: every operation that could complete it runs only after it completes [threadleak-blocked-forever]
    // CHECK: :[[@LINE+14]]:3: note: a send on 'c.ch' before it fills the buffer (capacity 1)
    // CHECK: :[[@LINE+14]]:24: note: 'Compactor::start' is called here, which blocks
    // CHECK: :[[@LINE+3]]:24: note: 'Compactor::start' gets here only after the blocked operation completes
    // CHECK: :[[@LINE+3]]:14: note: a non-blocking receive from 'ch' in the lambda runs only from there
    // CHECK: :[[@LINE-171]]:8: note: 'BoundedChannel' is read as a channel: 'send' waits for room, then puts an item
    return std::thread([this] {
      while (ch.receive(stop.get_token())) {
      }
    });
  }
};

void compact() {
  Compactor c;
  c.suggest();
  std::thread worker = c.start();
  c.stop.request_stop();
  worker.join();
}

// Room for both (silent).
struct RoomyCompactor {
  BoundedChannel<int> ch{2};
  std::stop_source stop;
  void suggest() { ch.send(1); }
  std::thread start() {
    ch.send(2);
    return std::thread([this] {
      while (ch.receive(stop.get_token())) {
      }
    });
  }
};

void compactRoomy() {
  RoomyCompactor c;
  c.suggest();
  std::thread worker = c.start();
  c.stop.request_stop();
  worker.join();
}

// A receive that gives up only once its stop token is stopped: a call that
// passes none (the parameter's default `{}`) waits for good.
template <typename T> class Mailbox {
public:
  void post(T v) {
    std::lock_guard<std::mutex> lk(m_);
    q_.push_back(v);
    cv_.notify_all();
  }
  std::optional<T> recv(std::stop_token st = {}) {
    std::unique_lock<std::mutex> lk(m_);
    if (!cv_.wait(lk, st, [this] { return !q_.empty(); }))
      return std::nullopt;
    T v = q_.front();
    q_.pop_front();
    return v;
  }

private:
  std::mutex m_;
  std::condition_variable_any cv_;
  std::deque<T> q_;
};

void quiesce() {
  Mailbox<int> signal;
  std::thread t([&] { signal.recv(); });
  // CHECK: :[[@LINE-1]]:23: warning: a receive from 'signal' waits forever: 'signal' reaches only code of this translation unit, and none of it sends to it or closes it [threadleak-blocked-forever]
  // CHECK: :[[@LINE-3]]:16: note: 'signal' is created here
  // CHECK: :[[@LINE-20]]:20: note: 'Mailbox' is read as a channel: 'recv' waits for an item and takes it, or gives up once the stop token it is given is stopped
  t.join();
}

// Given a token that is stopped (silent).
void quiesceStoppable() {
  Mailbox<int> signal;
  std::stop_source stop;
  std::thread t([&] { signal.recv(stop.get_token()); });
  stop.request_stop();
  t.join();
}
