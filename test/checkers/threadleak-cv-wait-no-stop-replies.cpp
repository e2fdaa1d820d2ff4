// RUN: not %threadleak --checks='-*,threadleak-cv-wait-no-stop' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-cv-wait-no-stop' %s -- %stubflags | %check-all %s

// A worker that waits for the answer to the request it has just made is
// woken by the code that answers it, not by a stop path: on its way to the
// wait, in the same iteration, it notifies what other code waits for before
// that code changes what the predicate reads and notifies the wait's
// condition variable. Whether that code can stop answering first is
// threadleak-blocked-forever's question, not this check's; but code that
// may return between taking the request and answering it is no answer.

#include <atomic>
#include <memory>
#include <vector>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

void draw(int);

// A two-way mailbox: a queue per direction, picked by a reference.
class Mailbox {
public:
  enum Dir { ToServer, ToClient };
  void send(Dir D, int M) {
    Queue &Q = D == ToServer ? server_ : client_;
    std::lock_guard<std::mutex> Lk(Q.mu);
    Q.items.push_back(M);
    Q.cv.notify_one();
  }
  int receive(Dir D) {
    Queue &Q = D == ToServer ? server_ : client_;
    std::unique_lock<std::mutex> Lk(Q.mu);
    Q.cv.wait(Lk, [&] { return !Q.items.empty(); });
    // CHECK: :[[@LINE-1]]:10: warning: wait on 'cv' can block forever: nothing on the stop path makes its predicate true [threadleak-cv-wait-no-stop]
    // CHECK: :[[@LINE-2]]:19: note: the predicate reads 'items', 'Q'
    int M = Q.items.front();
    Q.items.pop_front();
    return M;
  }

private:
  struct Queue {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<int> items;
  };
  Queue server_, client_;
};

// The renderer answers every request it takes.
class Renderer {
public:
  void start() { thread_ = std::thread([this] { serve(); }); }
  void render() { box_.send(Mailbox::ToServer, 1); }
  int wait() { return box_.receive(Mailbox::ToClient); }
  void stop() {
    box_.send(Mailbox::ToServer, 0);
    thread_.join();
  }

private:
  void serve() {
    for (;;) {
      int M = box_.receive(Mailbox::ToServer);
      if (M == 0)
        return;
      draw(M);
      box_.send(Mailbox::ToClient, M);
    }
  }
  Mailbox box_;
  std::thread thread_;
};

// Silent: each frame asks the renderer for a frame and waits for it; the
// stop path only sets the flag the loop tests, and the answer wakes the
// wait.
class Presenter {
public:
  explicit Presenter(Renderer &R) : r_(R) {}
  void start() { thread_ = std::thread([this] { loop(); }); }
  void stop() {
    stopping_ = true;
    thread_.join();
  }

private:
  void loop() {
    while (!stopping_) {
      r_.render();
      r_.wait();
    }
  }
  Renderer &r_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// Reported: the request comes after the wait; the first wait answers
// nothing the thread asked, and the stop path does not wake it.
class LatePresenter {
public:
  explicit LatePresenter(Renderer &R) : r_(R) {}
  void start() { thread_ = std::thread([this] { loop(); }); }
  void stop() {
    // CHECK: :[[@LINE-1]]:8: note: stop path 'stop' changes none of it
    // CHECK: :[[@LINE-3]]:28: note: thread started here
    // CHECK: :[[@LINE-4]]:49: note: the thread's body calls 'loop' here
    stopping_ = true;
    thread_.join();
  }

private:
  void loop() {
    while (!stopping_) {
      r_.wait();
      // CHECK: :[[@LINE-1]]:7: note: which calls 'wait' here
      // CHECK: :[[@LINE-63]]:23: note: which calls 'receive' here
      r_.render();
    }
  }
  Renderer &r_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// A queue with one condition variable for both sides: pop() waits and then
// notifies the pushers.
class Queue1 {
public:
  void push(int V) {
    std::lock_guard<std::mutex> Lk(mu_);
    items_.push_back(V);
    cv_.notify_all();
  }
  int pop() {
    std::unique_lock<std::mutex> Lk(mu_);
    cv_.wait(Lk, [&] { return !items_.empty(); });
    // CHECK: :[[@LINE-1]]:9: warning: wait on 'cv_' can block forever: nothing on the stop path makes its predicate true [threadleak-cv-wait-no-stop]
    // CHECK: :[[@LINE-2]]:18: note: the predicate reads 'items_'
    int V = items_.front();
    items_.pop_front();
    cv_.notify_all();
    return V;
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<int> items_;
};

// Reported: the worker pushes a request and pops an answer, but the only
// code that takes a request and then pushes is the queue's own pop(): the
// queue, not a partner that answers.
class Asker {
public:
  void start() { thread_ = std::thread([this] { loop(); }); }
  void stop() {
    // CHECK: :[[@LINE-1]]:8: note: stop path 'stop' changes none of it
    // CHECK: :[[@LINE-3]]:28: note: thread started here
    // CHECK: :[[@LINE-4]]:49: note: the thread's body calls 'loop' here
    stopping_ = true;
    thread_.join();
  }

private:
  void loop() {
    while (!stopping_) {
      requests_.push(1);
      draw(answers_.pop());
      // CHECK: :[[@LINE-1]]:12: note: which calls 'pop' here
    }
  }
  Queue1 requests_, answers_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// Go's unbuffered channel: send() returns once a receiver took the value.
class Chan {
public:
  void send(int V) {
    std::unique_lock<std::mutex> L(mu_);
    cv_.wait(L, [&] { return !slot_; });
    // CHECK: :[[@LINE-1]]:9: warning: wait on 'cv_' can block forever: nothing on the stop path makes its predicate true [threadleak-cv-wait-no-stop]
    // CHECK: :[[@LINE-2]]:17: note: the predicate reads 'slot_'
    // CHECK: :[[@LINE+36]]:3: note: stop path '~Frontend' changes none of it
    // CHECK: :[[@LINE+41]]:5: note: thread started here
    // CHECK: :[[@LINE+41]]:7: note: the thread's body calls 'send' here
    slot_ = V;
    unsigned Mine = ++put_;
    cv_.notify_all();
    cv_.wait(L, [&] { return taken_ >= Mine; });
    // CHECK: :[[@LINE-1]]:9: warning: wait on 'cv_' can block forever: nothing on the stop path makes its predicate true [threadleak-cv-wait-no-stop]
    // CHECK: :[[@LINE-2]]:17: note: the predicate reads 'taken_', 'Mine'
    // CHECK: :[[@LINE+27]]:3: note: stop path '~Frontend' changes none of it
    // CHECK: :[[@LINE+32]]:5: note: thread started here
    // CHECK: :[[@LINE+32]]:7: note: the thread's body calls 'send' here
  }
  int recv() {
    std::unique_lock<std::mutex> L(mu_);
    cv_.wait(L, [&] { return slot_ != 0; });
    int V = slot_;
    slot_ = 0;
    ++taken_;
    cv_.notify_all();
    return V;
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  int slot_ = 0;
  unsigned put_ = 0, taken_ = 0;
};

// Reported, both waits of the second send: the function that receives is
// no replier. It receives once and returns; the worker's code it hands to
// the thread (the lambda given to emplace_back) is not its own request or
// answer (loki#21062's For() and its background sender).
class Frontend {
public:
  ~Frontend() {
    for (auto &T : bg_)
      T.join();
  }
  int first() {
    auto Ch = std::make_shared<Chan>();
    bg_.emplace_back([Ch] {
      Ch->send(1);
      Ch->send(2);
    });
    return Ch->recv();
  }

private:
  std::vector<std::thread> bg_;
};

int main() {
  Renderer R;
  R.start();
  Presenter P(R);
  P.start();
  LatePresenter L(R);
  L.start();
  Asker A;
  A.start();
  P.stop();
  L.stop();
  A.stop();
  R.stop();
}

// The answering loop belongs to the class of the condition variable waited
// on, and waits for the request on another object (a project semaphore):
// it answers (pcsx2#4483's fix: the GS thread drains its queue before it
// honours a stop).
class Semaphore {
public:
  void post() {
    std::lock_guard<std::mutex> Lk(M);
    ++N;
    Cv.notify_one();
  }
  void wait() {
    std::unique_lock<std::mutex> Lk(M);
    Cv.wait(Lk, [this] { return N > 0; });
    --N;
  }

private:
  std::mutex M;
  std::condition_variable Cv;
  int N = 0;
};

class GsThread {
public:
  void start() { T = std::thread([this] { run(); }); }
  void send(int P) {
    {
      std::lock_guard<std::mutex> Lk(Mu);
      Ring.push_back(P);
      ++Write;
    }
    Event.post();
  }
  void waitGs() {
    std::unique_lock<std::mutex> Lk(Mu);
    Empty.wait(Lk, [this] { return Read == Write; });
  }
  void cancel() {
    Stop = true;
    Event.post();
    T.join();
  }

private:
  bool pop(int &Out) {
    std::lock_guard<std::mutex> Lk(Mu);
    if (Ring.empty())
      return false;
    Out = Ring.front();
    return true;
  }
  void commit() {
    std::lock_guard<std::mutex> Lk(Mu);
    Ring.pop_front();
    if (++Read == Write)
      Empty.notify_all();
  }
  void run() {
    for (;;) {
      Event.wait();
      int P;
      while (pop(P)) {
        draw(P);
        commit();
      }
      if (Stop)
        return;
    }
  }
  std::thread T;
  std::mutex Mu;
  std::condition_variable Empty;
  std::deque<int> Ring;
  int Read = 0, Write = 0;
  Semaphore Event;
  std::atomic<bool> Stop{false};
};

// The same loop with a cancellation point between two items (pcsx2#4483):
// it may leave with the request taken and unanswered, and the stop path
// makes nothing of the predicate true.
class EarlyOutGsThread {
public:
  void start() { T = std::thread([this] { run(); }); }
  void send(int P) {
    {
      std::lock_guard<std::mutex> Lk(Mu);
      Ring.push_back(P);
      ++Write;
    }
    Event.post();
  }
  void waitGs() {
    std::unique_lock<std::mutex> Lk(Mu);
    Empty.wait(Lk, [this] { return Read == Write; });
    // CHECK: :[[@LINE-1]]:11: warning: wait on 'Empty' can block forever: nothing on the stop path makes its predicate true [threadleak-cv-wait-no-stop]
    // CHECK: :[[@LINE-2]]:20: note: the predicate reads 'Read', 'Write'
    // CHECK: :[[@LINE+63]]:8: note: stop path 'cancel' changes none of it
    // CHECK: :[[@LINE+5]]:8: note: stop path 'cancel' changes none of it
    // CHECK: :[[@LINE+59]]:9: note: thread started here
    // CHECK: :[[@LINE+58]]:30: note: the thread's body calls 'loopEarlyOut' here
    // CHECK: :[[@LINE+75]]:7: note: which calls 'waitGs' here
  }
  void cancel() {
    Stop = true;
    Event.post();
    T.join();
  }

private:
  bool pop(int &Out) {
    std::lock_guard<std::mutex> Lk(Mu);
    if (Ring.empty())
      return false;
    Out = Ring.front();
    return true;
  }
  void commit() {
    std::lock_guard<std::mutex> Lk(Mu);
    Ring.pop_front();
    if (++Read == Write)
      Empty.notify_all();
  }
  void run() {
    for (;;) {
      Event.wait();
      int P;
      while (pop(P)) {
        if (Stop)
          return;
        draw(P);
        commit();
      }
    }
  }
  std::thread T;
  std::mutex Mu;
  std::condition_variable Empty;
  std::deque<int> Ring;
  int Read = 0, Write = 0;
  Semaphore Event;
  std::atomic<bool> Stop{false};
};

GsThread &gs() {
  static GsThread G;
  return G;
}
EarlyOutGsThread &cgs() {
  static EarlyOutGsThread G;
  return G;
}

// The client thread: it sends a packet, then waits for the GS to drain.
class VuThread {
public:
  void start() {
    T = std::thread([this] { loop(); });
    U = std::thread([this] { loopEarlyOut(); });
  }
  void cancel() {
    Stop = true;
    T.join();
    U.join();
  }

private:
  void loop() {
    while (!Stop) {
      gs().send(1);
      gs().waitGs();
    }
  }
  void loopEarlyOut() {
    while (!Stop) {
      cgs().send(1);
      cgs().waitGs();
    }
  }
  std::thread T, U;
  std::atomic<bool> Stop{false};
};
