// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' --config="{CheckOptions: {threadleak-blocked-forever.DumpModel: true}}" %s -- %stubflags | FileCheck --check-prefix=DUMP %s

// threadleak-blocked-forever: a task of a project's thread pool that waits
// for a task it queued on the same pool holds a worker while it waits; when
// every worker runs such a task, nothing runs what they wait for
// (TileDB#1757: a tile task waits for its chunk tasks on the compute pool;
// ClickHouse#55132: a backup job waits for the entry jobs it scheduled on
// the backup pool). Reported where the worker count is known and the
// waiting tasks can take every worker; a task that waits for its own pool
// to have no task left waits for itself, at any worker count.

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <future>
#include <deque>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

unsigned configuredThreads();

// A pool started by init(n), whose futures are waited on by wait_all().
class ComputePool {
public:
  using Task = std::future<int>;
  void init(unsigned NumThreads) {
    for (unsigned I = 0; I < NumThreads; ++I)
      Threads.emplace_back([this] { worker(); });
  }
  Task execute(std::function<int()> &&Fn) {
    std::packaged_task<int()> T(std::move(Fn));
    Task F = T.get_future();
    {
      std::lock_guard<std::mutex> L(Mu);
      Queue.push(std::move(T));
    }
    Cv.notify_one();
    return F;
  }
  int wait_all(std::vector<Task> &Tasks) {
    int Sum = 0;
    for (auto &T : Tasks) {
      T.wait();
      // CHECK: :[[@LINE-1]]:7: warning: a task of thread pool 'Pool' waits for a task it queued on the same pool; the pool has one worker thread and this task holds it, so the queued task never runs [threadleak-blocked-forever]
      // CHECK: :[[@LINE-17]]:7: note: 'ComputePool' starts its worker threads here
      // CHECK: :[[@LINE+54]]:13: note: one worker thread, given here
      // CHECK: :[[@LINE+38]]:23: note: the task is queued on 'Pool' here, in a loop
      // CHECK: :[[@LINE+37]]:55: note: the task calls 'one_worker::Reader::unfilter'
      // CHECK: :[[@LINE+43]]:22: note: it queues the task it waits for on the same pool here
      // CHECK: :[[@LINE+43]]:12: note: it waits in 'ComputePool::wait_all'
      Sum += T.get();
    }
    return Sum;
  }

private:
  void worker() {
    for (;;) {
      std::packaged_task<int()> T;
      {
        std::unique_lock<std::mutex> L(Mu);
        Cv.wait(L, [this] { return Stop || !Queue.empty(); });
        if (Stop && Queue.empty())
          return;
        T = std::move(Queue.front());
        Queue.pop();
      }
      T();
    }
  }
  std::mutex Mu;
  std::condition_variable Cv;
  std::queue<std::packaged_task<int()>> Queue;
  bool Stop = false;
  std::vector<std::thread> Threads;
};

namespace one_worker {
class Reader {
public:
  explicit Reader(ComputePool &P) : Pool(P) {}
  int read(unsigned Tiles) {
    std::vector<ComputePool::Task> Tasks;
    for (unsigned T = 0; T < Tiles; ++T)
      Tasks.push_back(Pool.execute([this, T] { return unfilter(T); }));
    return Pool.wait_all(Tasks);
  }

private:
  int unfilter(unsigned Tile) {
    std::vector<ComputePool::Task> Chunks;
    Chunks.push_back(Pool.execute([Tile] { return int(Tile); }));
    return Pool.wait_all(Chunks);
  }
  ComputePool &Pool;
};

int run() {
  ComputePool Pool;
  Pool.init(1);
  Reader R(Pool);
  return R.read(2);
}
} // namespace one_worker

// A pool sized by its constructor; the waiting tasks are queued in a loop of
// at least as many rounds as it has workers.
class FixedPool {
public:
  explicit FixedPool(std::size_t N) : Size(N) {
    for (std::size_t I = 0; I < Size; ++I)
      Workers.emplace_back([this] { loop(); });
  }
  template <class F> std::future<int> submit(F Fn) {
    auto T = std::make_shared<std::packaged_task<int()>>(std::move(Fn));
    std::future<int> Result = T->get_future();
    std::lock_guard<std::mutex> L(Mu);
    Jobs.push_back([T] { (*T)(); });
    Cv.notify_one();
    return Result;
  }

private:
  void loop() {
    for (;;) {
      std::function<void()> Job;
      {
        std::unique_lock<std::mutex> L(Mu);
        Cv.wait(L, [this] { return !Jobs.empty(); });
        Job = std::move(Jobs.front());
        Jobs.pop_front();
      }
      Job();
    }
  }
  std::size_t Size;
  std::mutex Mu;
  std::condition_variable Cv;
  std::deque<std::function<void()>> Jobs;
  std::vector<std::thread> Workers;
};

namespace every_worker {
struct Indexer {
  FixedPool &Pool;
  int indexOne(int Doc) {
    std::future<int> Parsed = Pool.submit([Doc] { return Doc * 2; });
    return Parsed.get();
    // CHECK: :[[@LINE-1]]:12: warning: a task of thread pool 'Pool' waits for a task it queued on the same pool; when its 2 worker threads all run such tasks, none is left to run the queued ones [threadleak-blocked-forever]
    // CHECK: :[[@LINE-38]]:7: note: 'FixedPool' starts its worker threads here
    // CHECK: :[[@LINE+12]]:18: note: 2 worker threads, given here
    // CHECK: :[[@LINE+7]]:22: note: the task is queued on 'Pool' here, in a loop
    // CHECK: :[[@LINE+6]]:55: note: the task calls 'every_worker::Indexer::indexOne'
    // CHECK: :[[@LINE-7]]:31: note: it queues the task it waits for on the same pool here
  }
  void indexAll() {
    std::vector<std::future<int>> Done;
    for (int Doc = 0; Doc < 4; ++Doc)
      Done.push_back(Pool.submit([this, Doc] { return indexOne(Doc); }));
  }
};
void run() {
  FixedPool Pool(2);
  Indexer X{Pool};
  X.indexAll();
}
} // namespace every_worker

// A pool that grows up to its maximum; the job waits on a condition
// variable that only the jobs it schedules on the same pool notify.
class GrowingPool {
public:
  using Job = std::function<void()>;
  GrowingPool(std::size_t MaxThreads, std::size_t QueueSize)
      : MaxThreads(MaxThreads), QueueSize(QueueSize) {}
  void schedule(Job J) {
    std::unique_lock<std::mutex> L(Mu);
    if (Threads.size() < std::min(MaxThreads, Scheduled + 1))
      Threads.emplace_back([this] { worker(); });
    Jobs.push(std::move(J));
    ++Scheduled;
    NewJob.notify_one();
  }

private:
  void worker() {
    for (;;) {
      Job J;
      {
        std::unique_lock<std::mutex> L(Mu);
        NewJob.wait(L, [this] { return !Jobs.empty(); });
        J = std::move(Jobs.front());
        Jobs.pop();
      }
      J();
    }
  }
  std::size_t MaxThreads, QueueSize, Scheduled = 0;
  std::mutex Mu;
  std::condition_variable NewJob;
  std::queue<Job> Jobs;
  std::vector<std::thread> Threads;
};

namespace condition {
class Backups {
public:
  explicit Backups(std::size_t Threads)
      : Pool(std::make_unique<GrowingPool>(Threads, Threads)) {}
  void start() {
    Pool->schedule([this] { writeEntries(3); });
  }

private:
  void writeEntries(int Entries) {
    std::size_t Active = 0;
    std::mutex M;
    std::condition_variable Event;
    for (int E = 0; E < Entries; ++E) {
      {
        std::lock_guard<std::mutex> L(M);
        ++Active;
      }
      auto Job = [&] {
        std::lock_guard<std::mutex> L(M);
        if (!--Active)
          Event.notify_all();
      };
      Pool->schedule([Job] { Job(); });
    }
    std::unique_lock<std::mutex> L(M);
    Event.wait(L, [&] { return !Active; });
    // CHECK: :[[@LINE-1]]:5: warning: a task of thread pool 'Pool' waits for a task it queued on the same pool; the pool has one worker thread and this task holds it, so the queued task never runs [threadleak-blocked-forever]
    // CHECK: :[[@LINE-55]]:7: note: 'GrowingPool' starts its worker threads here
    // CHECK: :[[@LINE+8]]:13: note: one worker thread, given here
    // CHECK: :[[@LINE-25]]:5: note: the task is queued on 'Pool' here
    // CHECK: :[[@LINE-26]]:29: note: the task calls 'condition::Backups::writeEntries'
    // CHECK: :[[@LINE-9]]:7: note: it queues a task that would notify 'Event' on the same pool here
  }
  std::unique_ptr<GrowingPool> Pool;
};
void run() {
  Backups B(1);
  B.start();
}
} // namespace condition

// --- Silent ------------------------------------------------------------------

// The wait runs the pool's pending tasks while its future is not ready
// (TileDB's fix).
class HelpingPool {
public:
  void init(unsigned N) {
    for (unsigned I = 0; I < N; ++I)
      Threads.emplace_back([this] { worker(); });
  }
  std::future<int> execute(std::function<int()> &&Fn) {
    std::packaged_task<int()> T(std::move(Fn));
    std::future<int> F = T.get_future();
    std::lock_guard<std::mutex> L(Mu);
    Queue.push(std::move(T));
    return F;
  }
  int wait_all(std::vector<std::future<int>> &Tasks) {
    int Sum = 0;
    for (auto &T : Tasks) {
      while (T.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) {
        std::packaged_task<int()> Pending;
        {
          std::lock_guard<std::mutex> L(Mu);
          if (Queue.empty())
            break;
          Pending = std::move(Queue.front());
          Queue.pop();
        }
        Pending();
      }
      Sum += T.get();
    }
    return Sum;
  }

private:
  void worker() {
    for (;;) {
      std::packaged_task<int()> T;
      {
        std::unique_lock<std::mutex> L(Mu);
        Cv.wait(L, [this] { return !Queue.empty(); });
        T = std::move(Queue.front());
        Queue.pop();
      }
      T();
    }
  }
  std::mutex Mu;
  std::condition_variable Cv;
  std::queue<std::packaged_task<int()>> Queue;
  std::vector<std::thread> Threads;
};

namespace helping {
struct Reader {
  HelpingPool &Pool;
  int unfilter(unsigned Tile) {
    std::vector<std::future<int>> Chunks;
    Chunks.push_back(Pool.execute([Tile] { return int(Tile); }));
    return Pool.wait_all(Chunks);
  }
  int read() {
    std::vector<std::future<int>> Tasks;
    Tasks.push_back(Pool.execute([this] { return unfilter(0); }));
    return Pool.wait_all(Tasks);
  }
};
int run() {
  HelpingPool Pool;
  Pool.init(1);
  Reader R{Pool};
  return R.read();
}
} // namespace helping

// The sub-tasks go to another pool (ClickHouse's fix: the async jobs run on
// a pool of their own).
namespace two_pools {
struct Backups {
  ComputePool Async, Entries;
  int job() {
    std::vector<ComputePool::Task> Parts;
    Parts.push_back(Entries.execute([] { return 1; }));
    return Entries.wait_all(Parts);
  }
  int start() {
    Async.init(1);
    Entries.init(1);
    std::vector<ComputePool::Task> Top;
    Top.push_back(Async.execute([this] { return job(); }));
    return Async.wait_all(Top);
  }
};
} // namespace two_pools

// One waiting task on a pool of four workers: three are left.
namespace enough_workers {
struct Indexer {
  FixedPool &Pool;
  int indexOne(int Doc) {
    std::future<int> Parsed = Pool.submit([Doc] { return Doc * 2; });
    return Parsed.get();
  }
  void start() {
    std::future<int> Done = Pool.submit([this] { return indexOne(1); });
    Done.wait();
  }
};
void run() {
  FixedPool Pool(4);
  Indexer X{Pool};
  X.start();
}
} // namespace enough_workers

// A worker count we cannot know.
namespace unknown_count {
struct Indexer {
  int indexOne(FixedPool &Pool, int Doc) {
    std::future<int> Parsed = Pool.submit([Doc] { return Doc; });
    return Parsed.get();
  }
};
void run() {
  FixedPool Pool(configuredThreads());
  Indexer X;
  Pool.submit([&] { return X.indexOne(Pool, 1); });
}
} // namespace unknown_count

// A timed wait gives the worker back.
namespace timed {
int unfilter(ComputePool &Pool) {
  ComputePool::Task Chunk = Pool.execute([] { return 1; });
  if (Chunk.wait_for(std::chrono::seconds(1)) != std::future_status::ready)
    return -1;
  return Chunk.get();
}
int run() {
  ComputePool Pool;
  Pool.init(1);
  ComputePool::Task T = Pool.execute([&Pool] { return unfilter(Pool); });
  return T.get();
}
} // namespace timed

// A pool that runs a task at once when it is asked from one of its workers.
class InlinePool {
public:
  InlinePool() { Worker = std::thread([this] { loop(); }); }
  std::future<int> submit(std::function<int()> Fn, bool OnWorker) {
    if (OnWorker) {
      std::promise<int> P;
      P.set_value(Fn());
      return P.get_future();
    }
    std::packaged_task<int()> T(std::move(Fn));
    std::future<int> F = T.get_future();
    std::lock_guard<std::mutex> L(Mu);
    Queue.push(std::move(T));
    return F;
  }

private:
  void loop() {
    for (;;) {
      std::packaged_task<int()> T;
      {
        std::unique_lock<std::mutex> L(Mu);
        Cv.wait(L, [this] { return !Queue.empty(); });
        T = std::move(Queue.front());
        Queue.pop();
      }
      T();
    }
  }
  std::mutex Mu;
  std::condition_variable Cv;
  std::queue<std::packaged_task<int()>> Queue;
  std::thread Worker;
};

namespace inline_run {
int run(InlinePool &Pool) {
  std::future<int> Outer = Pool.submit(
      [&Pool] {
        std::future<int> Inner = Pool.submit([] { return 1; }, true);
        return Inner.get();
      },
      false);
  return Outer.get();
}
} // namespace inline_run

// A task that waits for its own pool to run out of tasks (a wait for the
// count of queued and running tasks to reach zero, which counts the task
// itself) waits forever, at any worker count.
class CountingPool {
public:
  explicit CountingPool(unsigned N) {
    for (unsigned I = 0; I < N; ++I)
      Workers.emplace_back([this] { run(); });
  }
  void post(std::function<void()> F) {
    std::lock_guard<std::mutex> L(Mu);
    Tasks.push(std::move(F));
    ++Pending;
    More.notify_one();
  }
  void waitIdle() {
    std::unique_lock<std::mutex> L(Mu);
    Idle.wait(L, [this] { return Pending == 0; });
    // CHECK: :[[@LINE-1]]:5: warning: a task of thread pool 'Workers' waits for the pool to run out of tasks, and it is one of them: the wait never ends [threadleak-blocked-forever]
    // CHECK: :[[@LINE+50]]:18: note: the task is queued on 'Workers' here
    // CHECK: :[[@LINE+49]]:40: note: the task calls 'drain::Crawler::fetch'
    // CHECK: :[[@LINE+46]]:5: note: it waits for the pool in 'CountingPool::waitIdle', which returns when no task is queued or running
  }
  void waitEmpty() {
    std::unique_lock<std::mutex> L(Mu);
    while (!Tasks.empty() || Running)
      Idle.wait(L);
      // CHECK: :[[@LINE-1]]:7: warning: a task of thread pool 'P' waits for the pool to run out of tasks, and it is one of them: the wait never ends [threadleak-blocked-forever]
      // CHECK: :[[@LINE+47]]:3: note: the task is queued on 'P' here
      // CHECK: :[[@LINE+46]]:17: note: it waits for the pool in 'CountingPool::waitEmpty', which returns when no task is queued or running
  }
  // Silent: the queue alone does not hold the running task.
  void waitQueued() {
    std::unique_lock<std::mutex> L(Mu);
    Idle.wait(L, [this] { return Tasks.empty(); });
  }

private:
  void run() {
    for (;;) {
      std::function<void()> F;
      {
        std::unique_lock<std::mutex> L(Mu);
        More.wait(L, [this] { return !Tasks.empty(); });
        F = std::move(Tasks.front());
        Tasks.pop();
        ++Running;
      }
      F();
      std::lock_guard<std::mutex> L(Mu);
      --Running;
      if (--Pending == 0)
        Idle.notify_all();
    }
  }
  std::mutex Mu;
  std::condition_variable More, Idle;
  std::queue<std::function<void()>> Tasks;
  unsigned Pending = 0, Running = 0;
  std::vector<std::thread> Workers;
};

namespace drain {
struct Crawler {
  CountingPool &Workers;
  void fetch(int Url) {
    Workers.post([Url] { (void)Url; });
    Workers.waitIdle();
  }
  void start() { Workers.post([this] { fetch(1); }); }
};
void run() {
  CountingPool P(configuredThreads());
  Crawler C{P};
  C.start();
  P.post([&P] { P.waitEmpty(); });
  P.post([&P] { P.waitQueued(); });
  // Silent: code that is no task of the pool waits for it to drain.
  P.waitIdle();
}
} // namespace drain

// Silent: a pool that lowers its count when a task is taken, before it
// runs: the count does not hold the running task.
class TakenPool {
public:
  explicit TakenPool(unsigned N) {
    for (unsigned I = 0; I < N; ++I)
      Workers.emplace_back([this] { run(); });
  }
  void post(std::function<void()> F) {
    std::lock_guard<std::mutex> L(Mu);
    Tasks.push(std::move(F));
    ++Queued;
    More.notify_one();
  }
  void waitTaken() {
    std::unique_lock<std::mutex> L(Mu);
    Taken.wait(L, [this] { return Queued == 0; });
  }

private:
  void run() {
    for (;;) {
      std::function<void()> F;
      {
        std::unique_lock<std::mutex> L(Mu);
        More.wait(L, [this] { return !Tasks.empty(); });
        F = std::move(Tasks.front());
        Tasks.pop();
        if (--Queued == 0)
          Taken.notify_all();
      }
      F();
    }
  }
  std::mutex Mu;
  std::condition_variable More, Taken;
  std::queue<std::function<void()>> Tasks;
  unsigned Queued = 0;
  std::vector<std::thread> Workers;
};

namespace taken {
void run(TakenPool &P) {
  P.post([&P] { P.waitTaken(); });
}
} // namespace taken

// DUMP-LABEL: {{^}}pools:
// DUMP-NEXT: pool 'ComputePool' (29:7): queue Queue; submits 'execute'; workers at 34:7 (at most NumThreads)
// DUMP-NEXT: pool 'FixedPool' (114:7): queue Jobs; submits 'submit'; workers at 118:7 (at most Size)
// DUMP-NEXT: pool 'GrowingPool' (177:7): queue Jobs; submits 'schedule'; workers at 185:7 (at most MaxThreads) (at most Scheduled + 1)
// DUMP-NEXT: pool 'HelpingPool' (258:7): queue Queue; submits 'execute'; workers at 262:7 (at most N); runs pending tasks in 'wait_all'
// DUMP-NEXT: pool 'CountingPool' (453:7): queue Tasks; submits 'post'; workers at 457:7 (at most N)
// DUMP-NEXT: pool 'TakenPool' (534:7): queue Tasks; submits 'post'; workers at 538:7 (at most N)
// DUMP-NEXT:   91:23  queue on 'ComputePool'
// DUMP-NEXT:   98:22  queue on 'ComputePool'
// DUMP-NEXT:   153:31  queue on 'FixedPool'
// DUMP-NEXT:   165:22  queue on 'FixedPool'
// DUMP-NEXT:   217:5  queue on 'GrowingPool'
// DUMP-NEXT:   235:7  queue on 'GrowingPool'
// DUMP-NEXT:   314:22  queue on 'HelpingPool'
// DUMP-NEXT:   319:21  queue on 'HelpingPool'
// DUMP-NEXT:   338:21  queue on 'ComputePool'
// DUMP-NEXT:   345:19  queue on 'ComputePool'
// DUMP-NEXT:   356:31  queue on 'FixedPool'
// DUMP-NEXT:   360:29  queue on 'FixedPool'
// DUMP-NEXT:   375:31  queue on 'FixedPool'
// DUMP-NEXT:   382:3  queue on 'FixedPool'
// DUMP-NEXT:   389:29  queue on 'ComputePool'
// DUMP-NEXT:   397:25  queue on 'ComputePool'
// DUMP-NEXT:   516:5  queue on 'CountingPool'
// DUMP-NEXT:   519:18  queue on 'CountingPool'
// DUMP-NEXT:   525:3  queue on 'CountingPool'
// DUMP-NEXT:   526:3  queue on 'CountingPool'
// DUMP-NEXT:   575:3  queue on 'TakenPool'
