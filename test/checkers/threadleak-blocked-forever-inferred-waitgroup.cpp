// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// threadleak-blocked-forever on a wait group the project writes itself on a
// condition variable, with no model file: a method that raises a count, one
// that lowers it and notifies, one that waits until it is zero is read as
// add / done / wait, and every wait-group rule applies.

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

class WaitGroup {
public:
  void Add(int n) {
    std::lock_guard<std::mutex> lk(m_);
    count_ += n;
  }
  void Done() {
    std::lock_guard<std::mutex> lk(m_);
    if (--count_ == 0)
      cv_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return count_ == 0; });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  int count_ = 0;
};

// The same with a `while` loop around the wait.
class Group {
public:
  void add() {
    std::lock_guard<std::mutex> lk(m_);
    ++pending_;
  }
  void done() {
    std::lock_guard<std::mutex> lk(m_);
    --pending_;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lk(m_);
    while (pending_ > 0)
      cv_.wait(lk);
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  int pending_ = 0;
};

void work(int i);

// Added to and waited for, and nothing else can reach it.
void lonely() {
  std::thread([] {
    WaitGroup wg;
    wg.Add(1);
    wg.Wait();
    // CHECK: :[[@LINE-1]]:5: warning: a wait on 'wg' waits forever: 'wg' is created here and never shared, and nothing counts it down or releases it [threadleak-blocked-forever]
    // CHECK: :[[@LINE-4]]:15: note: 'wg' is created here
  }).detach();
}

// Negative: a worker it is shared with calls Done().
void shared() {
  WaitGroup wg;
  wg.Add(1);
  std::thread t([&wg] {
    work(0);
    wg.Done();
  });
  wg.Wait();
  t.join();
}

// moby#25384: added to for every plugin before the loop, waited for inside
// the loop that starts the workers.
void startAll(int plugins) {
  Group group;
  std::vector<std::thread> threads;
  group.add();
  for (int i = 0; i < plugins; ++i) {
    threads.emplace_back([&group, i] {
      work(i);
      group.done();
    });
    group.wait();
    // CHECK: :[[@LINE-1]]:5: warning: 'group' is waited for inside the loop that starts what counts it down, one per round: the first round waits for every done() added before the loop with only one of them started [threadleak-blocked-forever]
    // CHECK: :[[@LINE-8]]:3: note: adds to 'group' here, before the loop
    // CHECK: :[[@LINE-7]]:26: note: started here, once per round: it counts 'group' down
    // CHECK: :[[@LINE-6]]:7: note: counts it down here
  }
  for (auto &t : threads)
    t.join();
}

// Not a wait group: the wait gives up after a while.
class TimedGroup {
public:
  void add() { ++n_; }
  void done() {
    --n_;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait_for(lk, std::chrono::seconds(1), [this] { return n_ == 0; });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  int n_ = 0;
};

void timed() {
  std::thread([] {
    TimedGroup g;
    g.add();
    g.wait();
  }).detach();
}

// Not a wait group: the wait waits for something else than a zero count.
class Gate {
public:
  void enter() { ++inside_; }
  void leave() {
    --inside_;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return open_; });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  int inside_ = 0;
  bool open_ = false;
};

void gated() {
  std::thread([] {
    Gate g;
    g.enter();
    g.wait();
  }).detach();
}
