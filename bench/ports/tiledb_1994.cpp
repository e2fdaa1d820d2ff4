// Port: TileDB-Inc/TileDB#1994 ("Fix thread-pool deadlock")
//   TileDB's ThreadPool lets a task execute() sub-tasks on the same pool and
//   wait_all() on them; since TileDB#1757, a thread blocked in
//   wait_all() does not just wait: while the task it waits for is unfinished
//   it pops pending tasks off the pool's stack and runs them itself. It ran
//   any pending task, not only the awaited one: a task that holds a mutex
//   while it waits for its child could pick up, on the same thread, an
//   unrelated task that takes the same mutex, and never come back.
// Style: (d) standard library only (std::thread workers, a std::vector as the pool's LIFO task stack under a std::mutex + std::condition_variable, a PackagedTask with its own done flag and condition variable; TileDB's ThreadPool::execute()/wait_all() reduced)
// Bug class: pool re-entrance: a waiting thread runs an unrelated queued task that needs a lock held by a frame further up its own stack
// Shape: a one-worker pool. On the worker, task A1 locks the fragment
//   metadata's mutex and executes its child B; meanwhile another query
//   executes A2, which takes the same mutex and lands on top of the stack.
//   A1's wait_all({B}) pops A2 and runs it on the worker: A2 blocks on the
//   mutex A1 holds further up the same stack (std::mutex is not recursive).
//   The main thread's wait_all({A1, A2}) runs B, then waits for A1 forever.
// Fix: every PackagedTask records its parent (the task running on the thread
//   that executed it), and wait_all() only runs pending tasks that descend
//   from the task it waits for, never an unrelated one.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

class ThreadPool {
public:
  struct PackagedTask {
    std::function<void()> fn;
    std::shared_ptr<PackagedTask> parent;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;

    bool ready() {
      std::lock_guard lk(mu);
      return done;
    }
    void wait() {
      std::unique_lock lk(mu);
      cv.wait(lk, [&] { return done; }); // LEAK: A1 never finishes: its worker is blocked inside A2
    }
  };
  using Task = std::shared_ptr<PackagedTask>;

  explicit ThreadPool(size_t concurrency_level) {
    for (size_t i = 0; i < concurrency_level; ++i)
      threads_.emplace_back([this] { worker(); });
  }
  ~ThreadPool() {
    {
      std::lock_guard lk(task_stack_mutex_);
      should_terminate_ = true;
    }
    task_stack_cv_.notify_all();
    for (auto &t : threads_)
      t.join();
  }

  Task execute(std::function<void()> fn) {
    auto task = std::make_shared<PackagedTask>();
    task->fn = std::move(fn);
    task->parent = current_task_;
    {
      std::lock_guard lk(task_stack_mutex_);
      task_stack_.push_back(task);
    }
    task_stack_cv_.notify_one();
    return task;
  }

  // Waits for every task; while one is unfinished, the caller works off
  // pending tasks instead of blocking a pool thread.
  void wait_all(const std::vector<Task> &tasks) {
    for (const Task &task : tasks) {
      while (!task->ready()) {
        Task pending = pop_pending(task);
        if (!pending) {
          task->wait();
          break;
        }
        run(pending);
      }
    }
  }

private:
  // The most recently pushed pending task.
  Task pop_pending(const Task &) {
    std::lock_guard lk(task_stack_mutex_);
    if (task_stack_.empty())
      return nullptr;
    Task t = task_stack_.back();
    task_stack_.pop_back();
    return t;
  }

  static void run(const Task &task) {
    Task outer = current_task_;
    current_task_ = task;
    task->fn();
    current_task_ = outer;
    {
      std::lock_guard lk(task->mu);
      task->done = true;
    }
    task->cv.notify_all();
  }

  void worker() {
    for (;;) {
      Task task;
      {
        std::unique_lock lk(task_stack_mutex_);
        task_stack_cv_.wait(lk, [&] { return should_terminate_ || !task_stack_.empty(); });
        if (task_stack_.empty())
          return;
        task = task_stack_.back();
        task_stack_.pop_back();
      }
      run(task);
    }
  }

  static thread_local Task current_task_;
  std::vector<std::thread> threads_;
  std::mutex task_stack_mutex_;
  std::condition_variable task_stack_cv_;
  std::vector<Task> task_stack_;
  bool should_terminate_ = false;
};

thread_local ThreadPool::Task ThreadPool::current_task_;

struct FragmentMetadata {
  std::mutex mtx;
  int loads = 0;
};

int main() {
  ThreadPool tp(1);
  FragmentMetadata meta;
  // Loads the fragment's tile offsets; a child task unfilters them.
  auto load_tile_offsets = [&] {
    std::lock_guard lk(meta.mtx); // LEAK: A2 runs nested in A1's wait_all(), on the thread that already holds mtx
    auto unfilter = tp.execute([] { std::this_thread::sleep_for(1ms); });
    std::this_thread::sleep_for(20ms); // A2 gets queued above the child
    tp.wait_all({unfilter});
    ++meta.loads;
  };

  auto a1 = tp.execute(load_tile_offsets);
  std::this_thread::sleep_for(10ms);
  auto a2 = tp.execute(load_tile_offsets); // a second query, same fragment
  std::this_thread::sleep_for(50ms);
  tp.wait_all({a1, a2});
}
