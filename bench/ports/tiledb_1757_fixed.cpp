// Port: TileDB-Inc/TileDB#1757 ("Recursive ThreadPool")
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
//   TileDB's ThreadPool runs std::packaged_task jobs on a fixed set of worker
//   threads, and ThreadPool::wait_all() blocked on each task's future. A task
//   that itself enqueues a sub-task on the same pool and waits for it (nested
//   parallelism, which the PR needed before the pool could replace TBB's
//   scheduler) deadlocks once every worker is such a parent: with one worker,
//   the outer task occupies it while it waits for the inner task, which sits
//   in the queue behind it and can never be scheduled. The PR's own example
//   is exactly this, with init(1).
// Style: (d) standard library only, C++-native (TileDB's idiom reduced: a ThreadPool with init(n), execute() returning a Task that wraps std::future<Status>, wait_all(); the port's Reader stands for a nested parallel user: it fans tiles out on the pool, each tile fans its chunk out on the same pool)
// Bug class: thread pool self-deadlock: a pool task waits for a task queued behind it in the same pool
// Shape: Reader::read() enqueues one unfilter job per tile and waits for all
//   of them; each tile job enqueues its chunk-decompression job on the same
//   pool and waits for it in wait_all(). The single worker is inside the
//   first tile job, blocked on the chunk job's future; the chunk job is in
//   the queue and no worker is left to run it. read() waits on the tile
//   job's future forever; the pool's destructor never runs.
// Fix: wait_all() no longer just blocks: while the task it waits for is not
//   done it pops pending tasks from the pool's queue and runs them on the
//   calling thread, and blocks on the future only when the queue is empty.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <vector>

struct Status {
  bool ok = true;
  std::string msg;
  static Status Ok() { return {}; }
};

class ThreadPool {
public:
  using Task = std::future<Status>;

  ~ThreadPool() { terminate(); }

  Status init(uint64_t num_threads) {
    for (uint64_t i = 0; i < num_threads; ++i)
      threads_.emplace_back([this] { worker(); });
    return Status::Ok();
  }

  Task execute(std::function<Status()> &&function) {
    std::packaged_task<Status()> task(std::move(function));
    Task future = task.get_future();
    {
      std::lock_guard<std::mutex> lock(queue_mutex_);
      task_queue_.push(std::move(task));
    }
    queue_cv_.notify_one();
    return future;
  }

  // Waits for every task; returns the first error.
  Status wait_all(std::vector<Task> &tasks) {
    Status ret;
    for (auto &task : tasks) {
      if (!task.valid())
        continue;
      Status st = wait_or_work(task);
      if (!st.ok && ret.ok)
        ret = st;
    }
    return ret;
  }

private:
  // Runs pending tasks on the calling thread until `task` is done.
  Status wait_or_work(Task &task) {
    for (;;) {
      if (task.wait_for(std::chrono::seconds(0)) == std::future_status::ready)
        break;
      std::packaged_task<Status()> pending;
      {
        std::lock_guard<std::mutex> lock(queue_mutex_);
        if (!task_queue_.empty()) {
          pending = std::move(task_queue_.front());
          task_queue_.pop();
        }
      }
      if (!pending.valid()) {
        task.wait();
        break;
      }
      pending();
    }
    return task.get();
  }

  void worker() {
    for (;;) {
      std::packaged_task<Status()> task;
      {
        std::unique_lock<std::mutex> lock(queue_mutex_);
        queue_cv_.wait(lock, [this] { return should_terminate_ || !task_queue_.empty(); });
        if (should_terminate_ && task_queue_.empty())
          return;
        task = std::move(task_queue_.front());
        task_queue_.pop();
      }
      task();
    }
  }

  void terminate() {
    {
      std::lock_guard<std::mutex> lock(queue_mutex_);
      should_terminate_ = true;
    }
    queue_cv_.notify_all();
    for (auto &t : threads_)
      t.join();
  }

  std::mutex queue_mutex_;
  std::condition_variable queue_cv_;
  std::queue<std::packaged_task<Status()>> task_queue_;
  bool should_terminate_ = false;
  std::vector<std::thread> threads_;
};

// A reader that unfilters its tiles in parallel; each tile decompresses its
// chunks as sub-tasks on the same pool.
class Reader {
public:
  explicit Reader(ThreadPool &compute_tp) : compute_tp_(compute_tp) {}

  Status read(unsigned num_tiles) {
    std::vector<ThreadPool::Task> tile_tasks;
    for (unsigned t = 0; t < num_tiles; ++t)
      tile_tasks.push_back(compute_tp_.execute([this, t] { return unfilter_tile(t); }));
    return compute_tp_.wait_all(tile_tasks);
  }

private:
  Status unfilter_tile(unsigned tile) {
    std::vector<ThreadPool::Task> chunk_tasks;
    chunk_tasks.push_back(compute_tp_.execute([this, tile] { return decompress_chunk(tile); }));
    return compute_tp_.wait_all(chunk_tasks);
  }

  Status decompress_chunk(unsigned tile) {
    std::lock_guard<std::mutex> lock(stats_mutex_);
    bytes_ += 64 * (tile + 1);
    return Status::Ok();
  }

  ThreadPool &compute_tp_;
  std::mutex stats_mutex_;
  uint64_t bytes_ = 0;
};

int main() {
  ThreadPool tp;
  tp.init(1); // concurrency level 1, as in the PR's example
  Reader reader(tp);
  Status st = reader.read(2);
  return st.ok ? 0 : 1;
}
