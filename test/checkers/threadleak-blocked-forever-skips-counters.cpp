// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// threadleak-blocked-forever: a latch or a wait group that needs every
// count-down its workers make, one of which may return without its own.
// Go's "missing wg.Done() on the error path"; in C++, a worker that returns
// early before its latch's count_down(). Reported when the count is
// exactly the count-downs the code that waits could get (a constant, or
// one per round of the loop that starts the workers), each worker makes
// at most one, and one of them has a way out without it.

#include <condition_variable>
#include <functional>
#include <latch>
#include <mutex>
#include <thread>
#include <vector>

bool check(int);
void work(int);
bool next(int &);

// A wait group the project writes itself (read as add / done / wait).
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

struct Item {
  int id;
  bool valid;
};

//===-- Found -------------------------------------------------------------===//

// Two workers, one count-down each; the second gives up on a bad check.
void twoWorkers() {
  std::latch l(2);
  std::thread a([&] { l.count_down(); });
  std::thread b([&] {
    if (!check(1))
      return;
    l.count_down();
  });
  l.wait();
  // CHECK: :[[@LINE-1]]:3: warning: a wait on 'l' may wait forever: it needs every count-down its count asks for, and code that makes one may return without it [threadleak-blocked-forever]
  // CHECK: :[[@LINE-9]]:14: note: 'l' is created here with a count of 2
  // CHECK: :[[@LINE-8]]:17: note: the lambda is started here: it makes one of them
  // CHECK: :[[@LINE-7]]:7: note: the lambda may return here without calling 'count_down()' on 'l'
  // CHECK: :[[@LINE-7]]:5: note: the one it skips is here
  a.join();
  b.join();
}

// One worker per round of a counted loop.
void countedLoop() {
  std::latch done(3);
  std::vector<std::thread> ts;
  for (int i = 0; i < 3; ++i)
    ts.emplace_back([&, i] {
      if (!check(i))
        return;
      work(i);
      done.count_down();
    });
  done.wait();
  // CHECK: :[[@LINE-1]]:3: warning: a wait on 'done' may wait forever: it needs every count-down its count asks for, and code that makes one may return without it [threadleak-blocked-forever]
  // CHECK: :[[@LINE-11]]:14: note: 'done' is created here with a count of 3
  // CHECK: :[[@LINE-9]]:21: note: the lambda is started here, once per round: it makes one of them
  // CHECK: :[[@LINE-8]]:9: note: the lambda may return here without calling 'count_down()' on 'done'
  // CHECK: :[[@LINE-7]]:7: note: the one it skips is here
  for (auto &t : ts)
    t.join();
}

// A latch counted to a size that the loop starting the workers runs.
void perItem(const std::vector<Item> &items) {
  std::latch done(items.size());
  std::vector<std::thread> ts;
  for (const Item &it : items)
    ts.emplace_back([&done, it] {
      if (!it.valid)
        return;
      work(it.id);
      done.count_down();
    });
  done.wait();
  // CHECK: :[[@LINE-1]]:3: warning: a wait on 'done' may wait forever
  // CHECK: :[[@LINE-11]]:14: note: 'done' is created here with a count of 'items.size()'
  // CHECK: :[[@LINE-9]]:21: note: the lambda is started here, once per round: it makes one of them
  // CHECK: :[[@LINE-8]]:9: note: the lambda may return here without calling 'count_down()' on 'done'
  // CHECK: :[[@LINE-7]]:7: note: the one it skips is here
  for (auto &t : ts)
    t.join();
}

// Threads started on a function, the latch handed by reference.
void worker(std::latch &l, int x) {
  if (x < 0)
    return;
  work(x);
  l.count_down();
}
void startedOnFunction(int a, int b) {
  std::latch l(2);
  std::thread t1(worker, std::ref(l), a);
  std::thread t2(worker, std::ref(l), b);
  l.wait();
  // CHECK: :[[@LINE-1]]:3: warning: a wait on 'l' may wait forever
  // CHECK: :[[@LINE-5]]:14: note: 'l' is created here with a count of 2
  // CHECK: :[[@LINE-5]]:15: note: 'worker' is started here: it makes one of them
  // CHECK: :[[@LINE-12]]:5: note: 'worker' may return here without calling 'count_down()' on 'l'
  // CHECK: :[[@LINE-11]]:3: note: the one it skips is here
  t1.join();
  t2.join();
}

// Go's shape: Add(1) before each start, Done() at the end of the worker,
// an early return on a bad item in between.
void goStyle(const std::vector<Item> &items) {
  WaitGroup wg;
  for (const Item &it : items) {
    wg.Add(1);
    std::thread([&wg, it] {
      if (!it.valid)
        return;
      work(it.id);
      wg.Done();
    }).detach();
  }
  wg.Wait();
  // CHECK: :[[@LINE-1]]:3: warning: a wait on 'wg' may wait forever: it needs a 'Done()' for each one added, and code that makes one may return without it [threadleak-blocked-forever]
  // CHECK: :[[@LINE-10]]:5: note: 'wg' is added to here
  // CHECK: :[[@LINE-10]]:17: note: the lambda is started here, once per round: it makes one of them
  // CHECK: :[[@LINE-9]]:9: note: the lambda may return here without calling 'Done()' on 'wg'
  // CHECK: :[[@LINE-8]]:7: note: the one it skips is here
}

// A thread container's workers started on a method of the object, the
// latch handed by reference.
class Pool {
public:
  void runAll(int n) {
    std::latch done(n);
    std::vector<std::thread> ts;
    for (int i = 0; i < n; ++i)
      ts.emplace_back(&Pool::one, this, std::ref(done), i);
    done.wait();
    // CHECK: :[[@LINE-1]]:5: warning: a wait on 'done' may wait forever
    // CHECK: :[[@LINE-6]]:16: note: 'done' is created here with a count of 'n'
    // CHECK: :[[@LINE-4]]:7: note: 'Pool::one' is started here, once per round: it makes one of them
    // CHECK: :[[@LINE+9]]:7: note: 'Pool::one' may return here without calling 'count_down()' on 'done'
    // CHECK: :[[@LINE+10]]:5: note: the one it skips is here
    for (auto &t : ts)
      t.join();
  }

private:
  void one(std::latch &l, int i) {
    if (!check(i))
      return;
    work(i);
    l.count_down();
  }
};

//===-- Look-alikes (silent) ----------------------------------------------===//

// Every way out of the worker counts down.
void countsOnEveryPath() {
  std::latch l(2);
  std::thread a([&] { l.count_down(); });
  std::thread b([&] {
    if (!check(1)) {
      l.count_down();
      return;
    }
    work(1);
    l.count_down();
  });
  l.wait();
  a.join();
  b.join();
}

// Either one of two workers counts down, never both: the count is one, and
// there could be two (counting past zero is not the design).
void eitherOne() {
  std::latch l(1);
  std::thread a([&] {
    if (check(1))
      l.count_down();
  });
  std::thread b([&] {
    if (!check(1))
      l.count_down();
  });
  l.wait();
  a.join();
  b.join();
}

// The only way out without the count-down throws.
void throwsInstead() {
  std::latch l(1);
  std::thread a([&] {
    if (!check(1))
      throw 1;
    l.count_down();
  });
  l.wait();
  a.join();
}

// The worker counts down after its loop, whatever the loop does.
void afterLoop() {
  std::latch l(1);
  std::thread a([&] {
    int x;
    while (next(x))
      work(x);
    l.count_down();
  });
  l.wait();
  a.join();
}

// A count the loop's trip count may not be: `m` workers for a count of `n`.
void otherCount(int n, int m) {
  std::latch done(n);
  std::vector<std::thread> ts;
  for (int i = 0; i < m; ++i)
    ts.emplace_back([&, i] {
      if (!check(i))
        return;
      done.count_down();
    });
  done.wait();
  for (auto &t : ts)
    t.join();
}

// Done() runs in a guard's destructor on every way out.
struct DoneGuard {
  WaitGroup &wg;
  ~DoneGuard() { wg.Done(); }
};
void guarded(const std::vector<Item> &items) {
  WaitGroup wg;
  for (const Item &it : items) {
    wg.Add(1);
    std::thread([&wg, it] {
      DoneGuard g{wg};
      if (!it.valid)
        return;
      work(it.id);
    }).detach();
  }
  wg.Wait();
}

// The worker adds for itself: the count is not the creating code's.
void addsInWorker() {
  WaitGroup wg;
  std::thread([&wg] {
    wg.Add(1);
    if (!check(1))
      return;
    wg.Done();
  }).detach();
  wg.Wait();
}

// The waiter leaves on the same test the worker gives up on.
void sameTest(bool ok) {
  std::latch l(1);
  std::thread a([&] {
    if (!ok)
      return;
    l.count_down();
  });
  if (!ok) {
    a.join();
    return;
  }
  l.wait();
  a.join();
}

// Each worker counts down per element: how many it makes is data.
void perElement(std::vector<int> &xs) {
  std::latch l(2);
  std::thread a([&] {
    for (int x : xs) {
      if (x < 0)
        return;
      l.count_down();
    }
  });
  l.wait();
  a.join();
}

// Workers started in nested loops: the count is not this question.
void nested(int n) {
  std::latch l(4);
  std::vector<std::thread> ts;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < 2; ++j)
      ts.emplace_back([&, i] {
        if (!check(i))
          return;
        l.count_down();
      });
  l.wait();
  for (auto &t : ts)
    t.join();
}

// The waiter counts down for a worker that gave up (a count of two, two
// count-downs per round possible: not the design this rule reads).
void compensates() {
  std::latch l(1);
  bool started = check(0);
  std::thread a;
  if (started)
    a = std::thread([&] {
      if (!check(1))
        return;
      l.count_down();
    });
  else
    l.count_down();
  l.wait();
  if (a.joinable())
    a.join();
}
