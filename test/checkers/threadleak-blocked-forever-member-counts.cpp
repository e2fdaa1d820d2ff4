// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// threadleak-blocked-forever, counts on a channel member: an object held in
// a local variable whose channel member only its own methods reach, and
// only through `this`, is counted like a local channel: every send and
// receive on it runs in a call made on that variable (or on `this` inside
// one, or in a lambda those calls start).

#include <atomic>
#include <memory>
#include <tbb/concurrent_queue.h>
#include <thread>
#include <vector>

enum class Status { NeedMore, Closed };

// cockroach#35073: the row channel has room for 16 rows; the test fills it,
// starts one more pusher and pushes once more, and nothing reads the rows.
class RowChannel {
public:
  void init() { setCapacity(16); }
  void push() {
    Status s = status_.load();
    if (s == Status::NeedMore)
      rows_.push(1);
    // CHECK: :[[@LINE-1]]:7: warning: a send on 'rows_' may wait forever: one run of the code that reaches 'rc' can send to its 'rows_' 18 times, and nothing receives from it, its buffer holds 16 [threadleak-blocked-forever]
  }
  void consumerClosed() {
    status_.store(Status::Closed);
    int r;
    rows_.try_pop(r);
  }

private:
  void setCapacity(int n) { rows_.set_capacity(n); }
  std::atomic<Status> status_{Status::NeedMore};
  tbb::concurrent_bounded_queue<int> rows_;
};

void fill() {
  std::vector<std::thread> pushers;
  auto rc = std::make_shared<RowChannel>();
  // CHECK: :[[@LINE-1]]:13: note: 'rc' is created here; its 'rows_' is reached only through its methods
  rc->init();
  for (int i = 0; i < 16; ++i)
    rc->push();
  // CHECK: :[[@LINE-1]]:5: note: sends to it 16 times here, in a loop
  pushers.emplace_back([rc] { rc->push(); });
  // CHECK: :[[@LINE-1]]:24: note: the code started here sends to it once
  rc->push();
  // CHECK: :[[@LINE-1]]:3: note: sends to it once here
  for (auto &t : pushers)
    t.join();
}

// The fix: the consumer says it is gone, and later pushes send nothing (the
// push's condition reads the state consumerClosed() changes).
void fillFixed() {
  auto rc = std::make_shared<RowChannel>();
  rc->init();
  for (int i = 0; i < 16; ++i)
    rc->push();
  std::thread consumer([rc] { rc->consumerClosed(); });
  rc->push();
  rc->push();
  consumer.join();
}

// A member of a class with a fixed capacity, sends made by a thread the
// object starts itself (through `this`).
class Outbox {
public:
  Outbox() : q_() { q_.set_capacity(1); }
  void start() {
    worker_ = std::thread([this] { flush(); });
  }
  void flush() {
    q_.push(1);
    q_.push(2);
    // CHECK: :[[@LINE-1]]:5: warning: a send on 'q_' may wait forever: one run of the code that reaches 'box' can send to its 'q_' 2 times, and nothing receives from it, its buffer holds 1 [threadleak-blocked-forever]
  }
  void stop() { worker_.join(); }
  bool take(int &v) { return q_.try_pop(v); }

private:
  tbb::concurrent_bounded_queue<int> q_;
  std::thread worker_;
};

void runOutbox() {
  Outbox box;
  // CHECK: :[[@LINE-1]]:10: note: 'box' is created here; its 'q_' is reached only through its methods
  box.start();
  // CHECK: :[[@LINE-1]]:3: note: sends to it 2 times here
  box.stop();
}

// Negative: the holder takes what is sent.
void runOutboxDrained() {
  Outbox box;
  box.start();
  int v;
  box.take(v);
  box.take(v);
  box.stop();
}

// Negative: the capacity is set by a method the holder does not call
// first: the queue may be unbounded when the sends run.
class Lazy {
public:
  void bound() { q_.set_capacity(1); }
  void put() { q_.push(1); }

private:
  tbb::concurrent_bounded_queue<int> q_;
};

void useLazy(bool b) {
  Lazy l;
  l.put();
  l.put();
  if (b)
    l.bound();
}

// Negative: the object hands `this` out; others may receive from it.
class Registered;
void enroll(Registered *r);
class Registered {
public:
  Registered() { q_.set_capacity(1); }
  void join() { enroll(this); }
  void put() { q_.push(1); }
  void drain() {
    int v;
    q_.try_pop(v);
  }

private:
  tbb::concurrent_bounded_queue<int> q_;
};

void useRegistered() {
  Registered r;
  r.join();
  r.put();
  r.put();
}

// Negative: the object itself is handed to code we do not read.
class Plain {
public:
  Plain() { q_.set_capacity(1); }
  void put() { q_.push(1); }
  void get() {
    int v;
    q_.pop(v);
  }

private:
  tbb::concurrent_bounded_queue<int> q_;
};
void consume(Plain &p);

void usePlain() {
  Plain p;
  std::thread t([&p] { consume(p); });
  p.put();
  p.put();
  t.join();
}

// Negative: a constructor that starts a thread on `this` runs the object's
// code outside the holder's calls.
class SelfStarting {
public:
  SelfStarting() {
    q_.set_capacity(1);
    reader_ = std::thread([this] {
      int v;
      for (;;)
        q_.pop(v);
    });
  }
  void put() { q_.push(1); }

private:
  tbb::concurrent_bounded_queue<int> q_;
  std::thread reader_;
};

void useSelfStarting() {
  SelfStarting s;
  s.put();
  s.put();
}
