// Port: godotengine/godot#96225 ("WorkerThreadPool: Fix end-of-yield logic potentially leading to deadlocks")
//   With threaded rendering, RenderingServerDefault's command loop is a
//   long-lived WorkerThreadPool task that yields until
//   CommandQueueMT::push_and_sync() calls notify_yield_over(pump_task_id),
//   which sets the pool thread's yield_is_over and wakes its cond_var. While
//   yielding, the thread runs queued tasks in _wait_collaboratively(); a
//   resource load among them waits for its sub-task in a nested
//   _wait_collaboratively(), which on ending cleared yield_is_over
//   unconditionally: a notify_yield_over() that arrived meanwhile was eaten
//   by the wrong wait, and the outer yield slept again with nobody to wake it.
// Style: (d) standard library only, written as Godot wraps it (BinaryMutex, MutexLock, ConditionVariable, Semaphore over std types; WorkerThreadPool with ThreadData/Task, CommandQueueMT, RenderingServerDefault::_thread_loop as a pump task, std::function callables)
// Bug class: lost wake-up: a wake flag set for one waiter is cleared by a nested wait of another kind on the same thread
// Shape: one pool thread runs the server pump, which yields. A load task is
//   queued; the yielding thread runs it; it queues a sub-resource task and
//   waits for it collaboratively, running it itself (200 ms). Meanwhile the
//   main thread push_and_sync()s a frame command: yield_is_over is set. The
//   nested wait ends and clears it; the pump's yield waits on cond_var
//   forever and the main thread's push_and_sync() never returns.
// Fix: only the yield wait (p_task == YIELDING) consumes yield_is_over; a
//   nested wait for a task leaves the flag for the outer yield to see.
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

// ---- core/os: Godot's thin wrappers ----
struct BinaryMutex {
  std::mutex m_;
};
struct MutexLock {
  std::unique_lock<std::mutex> lock_;
  explicit MutexLock(BinaryMutex &m) : lock_(m.m_) {}
};
struct ConditionVariable {
  std::condition_variable cv_;
  void wait(MutexLock &l) { cv_.wait(l.lock_); }
  void notify_one() { cv_.notify_one(); }
  void notify_all() { cv_.notify_all(); }
};
struct Semaphore {
  std::mutex m_;
  std::condition_variable cv_;
  int count_ = 0;
  void post() { std::lock_guard<std::mutex> l(m_); count_++; cv_.notify_one(); }
  void wait() { std::unique_lock<std::mutex> l(m_); cv_.wait(l, [this] { return count_ > 0; }); count_--; }
};

// ---- core/object/worker_thread_pool ----
struct WorkerThreadPool {
  using TaskID = int64_t;
  struct Task {
    TaskID self = -1;
    std::function<void()> callable;
    bool completed = false;
    int pool_thread_index = -1;
    int waiting_user = 0;
    Semaphore done_semaphore;
  };
  struct ThreadData {
    static Task *const YIELDING;
    uint32_t index = 0;
    std::thread thread;
    bool signaled = false;
    bool yield_is_over = false;
    Task *current_task = nullptr;
    Task *awaited_task = nullptr; // null if not waiting, or YIELDING
    ConditionVariable cond_var;
  };
  BinaryMutex task_mutex;
  std::deque<Task *> task_queue;
  std::map<TaskID, std::unique_ptr<Task>> tasks;
  std::vector<std::unique_ptr<ThreadData>> threads;
  bool exit_threads = false;
  TaskID last_task = 1;
  static thread_local int pool_thread_index;

  void _notify_threads(uint32_t p_process_count) {
    for (auto &th : threads) { // idle threads, then threads that wait collaboratively
      if (!p_process_count)
        return;
      if (th->signaled || (th->current_task && !th->awaited_task) || (int)th->index == pool_thread_index)
        continue;
      th->cond_var.notify_one();
      th->signaled = true;
      p_process_count--;
    }
  }

  void _process_task(Task *p_task) {
    ThreadData &curr_thread = *threads[pool_thread_index];
    Task *prev_task;
    {
      MutexLock lock(task_mutex);
      p_task->pool_thread_index = pool_thread_index;
      prev_task = curr_thread.current_task;
      curr_thread.current_task = p_task;
    }
    p_task->callable();
    MutexLock lock(task_mutex);
    p_task->completed = true;
    p_task->pool_thread_index = -1;
    if (p_task->waiting_user)
      p_task->done_semaphore.post();
    for (auto &th : threads) // let awaiters know
      if (th->awaited_task == p_task) {
        th->cond_var.notify_one();
        th->signaled = true;
      }
    curr_thread.current_task = prev_task;
  }

  void _thread_function(ThreadData *p_thread_data) {
    pool_thread_index = (int)p_thread_data->index;
    while (true) {
      Task *task_to_process = nullptr;
      {
        MutexLock lock(task_mutex);
        if (exit_threads)
          return;
        p_thread_data->signaled = false;
        if (!task_queue.empty()) {
          task_to_process = task_queue.front();
          task_queue.pop_front();
        } else {
          p_thread_data->cond_var.wait(lock);
        }
      }
      if (task_to_process)
        _process_task(task_to_process);
    }
  }

  void _wait_collaboratively(ThreadData *p_caller_pool_thread, Task *p_task) {
    while (true) {
      Task *task_to_process = nullptr;
      {
        MutexLock lock(task_mutex);
        p_caller_pool_thread->signaled = false;
        if (exit_threads)
          break;
        bool wait_is_over = p_task == ThreadData::YIELDING ? p_caller_pool_thread->yield_is_over : p_task->completed;
        if (wait_is_over) {
          p_caller_pool_thread->yield_is_over = false;
          break;
        }
        if (!task_queue.empty()) { // a pool thread shouldn't just idle
          task_to_process = task_queue.front();
          task_queue.pop_front();
        } else {
          p_caller_pool_thread->awaited_task = p_task;
          p_caller_pool_thread->cond_var.wait(lock); // LEAK
          p_caller_pool_thread->awaited_task = nullptr;
        }
      }
      if (task_to_process)
        _process_task(task_to_process);
    }
  }

  void init(int p_thread_count) {
    for (int i = 0; i < p_thread_count; i++)
      threads.push_back(std::make_unique<ThreadData>()), threads.back()->index = i;
    for (auto &th : threads)
      th->thread = std::thread(&WorkerThreadPool::_thread_function, this, th.get());
  }

  TaskID add_task(std::function<void()> p_callable) {
    MutexLock lock(task_mutex);
    auto task = std::make_unique<Task>();
    task->self = last_task++;
    task->callable = std::move(p_callable);
    task_queue.push_back(task.get());
    TaskID id = task->self;
    tasks[id] = std::move(task);
    _notify_threads(1);
    return id;
  }

  void wait_for_task_completion(TaskID p_task_id) {
    Task *task;
    {
      MutexLock lock(task_mutex);
      task = tasks[p_task_id].get();
      if (task->completed)
        return;
      if (pool_thread_index == -1)
        task->waiting_user++;
    }
    if (pool_thread_index != -1)
      _wait_collaboratively(threads[pool_thread_index].get(), task);
    else
      task->done_semaphore.wait();
  }

  void yield() { _wait_collaboratively(threads[pool_thread_index].get(), ThreadData::YIELDING); }

  void notify_yield_over(TaskID p_task_id) {
    MutexLock lock(task_mutex);
    Task *task = tasks[p_task_id].get();
    if (task->pool_thread_index == -1)
      return; // completed or not started yet
    ThreadData &td = *threads[task->pool_thread_index];
    td.yield_is_over = true;
    td.signaled = true;
    td.cond_var.notify_one();
  }

  void finish() {
    {
      MutexLock lock(task_mutex);
      exit_threads = true;
      for (auto &th : threads)
        th->cond_var.notify_one();
    }
    for (auto &th : threads)
      th->thread.join(); // Thread::wait_to_finish()
  }
};
WorkerThreadPool::Task *const WorkerThreadPool::ThreadData::YIELDING = (Task *)1;
thread_local int WorkerThreadPool::pool_thread_index = -1;

static WorkerThreadPool worker_thread_pool;

// ---- core/templates/command_queue_mt ----
struct CommandQueueMT {
  BinaryMutex mutex;
  ConditionVariable sync_cond_var;
  std::deque<std::function<void()>> commands;
  uint64_t pushed = 0, flushed = 0;
  WorkerThreadPool::TaskID pump_task_id = -1;
  void set_pump_task_id(WorkerThreadPool::TaskID p_id) { pump_task_id = p_id; }
  void push_and_sync(std::function<void()> p_cmd) { // blocks until the server ran it
    MutexLock lock(mutex);
    commands.push_back(std::move(p_cmd));
    uint64_t mine = ++pushed;
    worker_thread_pool.notify_yield_over(pump_task_id);
    while (flushed < mine)
      sync_cond_var.wait(lock);
  }
  void flush_all() {
    MutexLock lock(mutex);
    for (; !commands.empty(); commands.pop_front(), flushed++)
      commands.front()();
    sync_cond_var.notify_all();
  }
};

// ---- servers/rendering/rendering_server_default ----
struct RenderingServerDefault {
  CommandQueueMT command_queue;
  WorkerThreadPool::TaskID server_task_id = -1;
  bool exit = false;
  int frames_drawn = 0;

  void _thread_loop() {
    while (!exit) {
      worker_thread_pool.yield(); // wait for commands, running other tasks meanwhile
      command_queue.flush_all();
    }
  }
  void init() {
    server_task_id = worker_thread_pool.add_task([this] { _thread_loop(); });
    command_queue.set_pump_task_id(server_task_id);
  }
  void draw() { command_queue.push_and_sync([this] { frames_drawn++; }); }
  void finish() {
    command_queue.push_and_sync([this] { exit = true; });
    worker_thread_pool.wait_for_task_completion(server_task_id);
  }
};

int main() {
  worker_thread_pool.init(1);
  RenderingServerDefault rs;
  rs.init();
  std::this_thread::sleep_for(std::chrono::milliseconds(50)); // the pump yields

  // ResourceLoader::_load_task: loads a scene whose texture is a sub-task
  WorkerThreadPool::TaskID load_task = worker_thread_pool.add_task([] {
    auto sub = worker_thread_pool.add_task([] { std::this_thread::sleep_for(std::chrono::milliseconds(200)); });
    worker_thread_pool.wait_for_task_completion(sub);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100)); // the sub-resource loads

  rs.draw(); // Main::iteration(): RenderingServer::sync()
  worker_thread_pool.wait_for_task_completion(load_task);
  rs.finish();
  worker_thread_pool.finish();
  std::printf("frames drawn: %d\n", rs.frames_drawn);
  return 0;
}
