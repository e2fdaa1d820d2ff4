// RUN: not %threadleak --checks='-*,threadleak-channel-recv-no-close,threadleak-blocked-forever,threadleak-cv-wait-no-stop' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-channel-recv-no-close,threadleak-blocked-forever,threadleak-cv-wait-no-stop' %s -- %stubflags | %check-all %s

// A class may borrow the objects its thread blocks on: a reference (or a
// pointer, or a copy of a handle) its constructor binds to what it is
// handed. What the class's own member functions do not do to such an
// object (close a queue, set a flag and notify), its lender may: the
// constructions of the translation unit say who lends it.

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

// A queue written in the project: pop() waits for an item or the close.
class Queue {
public:
  void push(int v) {
    {
      std::lock_guard<std::mutex> l(m_);
      q_.push_back(v);
    }
    cv_.notify_one();
  }
  bool pop(int &v) {
    std::unique_lock<std::mutex> l(m_);
    cv_.wait(l, [&] { return closed_ || !q_.empty(); });
    if (q_.empty())
      return false;
    v = q_.front();
    q_.pop_front();
    return true;
  }
  void close() {
    {
      std::lock_guard<std::mutex> l(m_);
      closed_ = true;
    }
    cv_.notify_all();
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> q_;
  bool closed_ = false;
};

// Workers that borrow the queue they drain; stop() only joins.
class Workers {
public:
  explicit Workers(Queue &q) : q_(q) {
    for (int i = 0; i < 2; ++i)
      ts_.emplace_back([this] {
        int v;
        while (q_.pop(v)) {
        }
      });
  }
  void stop() {
    for (auto &t : ts_)
      t.join();
  }

private:
  Queue &q_;
  std::vector<std::thread> ts_;
};

// Negative: the server that lends the queue closes it.
class Server {
public:
  Server() : workers_(queue_) {}
  void shutdown() {
    queue_.close();
    workers_.stop();
  }

private:
  Queue queue_;
  Workers workers_;
};

// Negative: main lends its own queue and closes it.
void serveLocally() {
  Queue q;
  Workers w(q);
  q.push(1);
  q.close();
  w.stop();
}

// A class that borrows a queue nobody closes: its lender, a local of
// this function, never is.
class Drainer {
public:
  explicit Drainer(Queue &q) : q_(q), t_([this] {
    int v;
    while (q_.pop(v)) {
    // CHECK: :[[@LINE-1]]:15: warning: thread may block here forever: no member function of 'Drainer' closes 'q_' [threadleak-channel-recv-no-close]
    // CHECK: :[[@LINE-4]]:39: note: thread started here
    // CHECK: :[[@LINE+7]]:10: note: channel 'q_' declared here
    // CHECK: :[[@LINE+11]]:13: note: 'Drainer' is lent 'q' here, and 'drainForever' never closes it either
    }
  }) {}
  ~Drainer() { t_.join(); }

private:
  Queue &q_;
  std::thread t_;
};
void drainForever() {
  Queue q;
  Drainer d(q);
  q.push(1);
}

// Shared state a worker borrows; the service that lends it sets the flag
// and notifies.
struct Shared {
  std::mutex m;
  std::condition_variable cv;
  bool stop = false;
};

class Worker {
public:
  explicit Worker(Shared &s) : s_(s), t_([this] { run(); }) {}
  ~Worker() { t_.join(); }

private:
  void run() {
    std::unique_lock<std::mutex> l(s_.m);
    s_.cv.wait(l, [this] { return s_.stop; });
  }
  Shared &s_;
  std::thread t_;
};

// Negative: ~Service() stops the worker before its member is destroyed.
class Service {
public:
  ~Service() {
    {
      std::lock_guard<std::mutex> l(shared_.m);
      shared_.stop = true;
    }
    shared_.cv.notify_all();
  }

private:
  Shared shared_;
  Worker w_{shared_};
};

// A worker whose lender's stop path changes nothing the wait reads.
class Poller {
public:
  explicit Poller(Shared &s) : s_(s), t_([this] { run(); }) {}
  ~Poller() { t_.join(); }

private:
  void run() {
    std::unique_lock<std::mutex> l(s_.m);
    s_.cv.wait(l, [this] { return s_.stop; });
    // CHECK: :[[@LINE-1]]:11: warning: wait on 'cv' can block forever: nothing on the stop path makes its predicate true [threadleak-cv-wait-no-stop]
    // CHECK: :[[@LINE-2]]:19: note: the predicate reads 'stop', 's_'
    // CHECK: :[[@LINE-8]]:3: note: stop path '~Poller' changes none of it
    // CHECK: :[[@LINE+10]]:8: note: stop path 'stop' changes none of it
    // CHECK: :[[@LINE-11]]:39: note: thread started here
    // CHECK: :[[@LINE-12]]:51: note: the thread's body calls 'run' here
  }
  Shared &s_;
  std::thread t_;
};
class Idle {
public:
  Idle() : p_(shared_) {}
  void stop() {}

private:
  Shared shared_;
  Poller p_;
};

int main() {
  Server s;
  s.shutdown();
  serveLocally();
  drainForever();
  Service svc;
  Idle idle;
  idle.stop();
}
