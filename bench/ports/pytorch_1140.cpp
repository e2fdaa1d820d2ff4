// Port: pytorch/pytorch#1140 ("Fix deadlock in autograd")
//   (fixes pytorch/pytorch#1136) The autograd Engine runs a backward pass as
//   a GraphTask: the calling thread pushes the root FunctionTask on a device
//   ReadyQueue and sleeps on GraphTask::not_done until outstanding_tasks
//   reaches zero; an engine worker thread pops tasks, evaluates them and, when
//   it decrements outstanding_tasks to zero, calls not_done.notify_all()
//   without taking GraphTask::mutex. "notify_all() was sometimes executed when
//   the main thread wasn't sleeping, but doing some other stuff while holding
//   the mutex. Once it returned to sleep it was never woken up again."
//   (The port puts that "other stuff" between the waiter's check of the
//   counter and its wait, which makes the race window deterministic.)
// Style: (d) standard library only, C++-native (the 2017 engine reduced: Engine with per-device ReadyQueues and worker threads, GraphTask with an atomic outstanding_tasks counter, a mutex and a not_done condition_variable, FunctionTask with a std::function body)
// Bug class: lost wake-up: the notifier changes the condition and notifies without the waiter's mutex, between the waiter's check and its wait
// Shape: the backward thread checks outstanding_tasks (1), then does its
//   bookkeeping under GraphTask::mutex (200 ms here). Meanwhile the CPU
//   worker finishes the only task (50 ms), drops outstanding_tasks to 0 and
//   notifies nobody. The backward thread then waits on not_done forever;
//   main() joins it.
// Fix: the worker takes GraphTask::mutex before notify_all(), so the notify
//   cannot fall between the waiter's check and its wait.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace torch {
namespace autograd {

struct GraphTask {
  std::atomic_bool has_error{false};
  std::atomic<uint64_t> outstanding_tasks{0};
  bool keep_graph;
  std::mutex mutex;
  // Notified when a task finishes executing. Check outstanding_tasks to see
  // if all tasks are done.
  std::condition_variable not_done;
  std::vector<double> captured_grads;

  explicit GraphTask(bool keep_graph_) : keep_graph(keep_graph_) {}
};

struct FunctionTask {
  GraphTask *base = nullptr;
  std::function<double()> fn; // empty: shutdown the worker
};

struct ReadyQueue {
  std::deque<FunctionTask> queue;
  std::condition_variable not_empty;
  std::mutex mutex;

  void push_front(FunctionTask item) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      if (item.base)
        ++item.base->outstanding_tasks;
      queue.push_front(std::move(item));
    }
    not_empty.notify_one();
  }
  FunctionTask pop_back() {
    std::unique_lock<std::mutex> lock(mutex);
    not_empty.wait(lock, [this] { return !queue.empty(); });
    FunctionTask task = std::move(queue.back());
    queue.pop_back();
    return task;
  }
};

class Engine {
public:
  explicit Engine(int num_devices) {
    for (int i = 0; i < num_devices; ++i)
      ready_queues.push_back(std::make_unique<ReadyQueue>());
    for (int i = 0; i < num_devices; ++i)
      workers.emplace_back([this, i] { thread_main(*ready_queues[i]); });
  }
  ~Engine() {
    for (auto &q : ready_queues)
      q->push_front(FunctionTask{}); // shutdown task
    for (auto &t : workers)
      t.join();
  }

  // Runs the backward pass and blocks until every task of the graph is done.
  void execute(GraphTask &graph_task, std::function<double()> root, int device) {
    std::unique_lock<std::mutex> lock(graph_task.mutex);
    ready_queue(device).push_front(FunctionTask{&graph_task, std::move(root)});
    while (graph_task.outstanding_tasks.load() != 0) {
      // "doing some other stuff while holding the mutex": accumulate what the
      // previous wake-up delivered, check for errors
      collect_results(graph_task);
      graph_task.not_done.wait(lock); // LEAK
    }
    collect_results(graph_task);
  }

private:
  ReadyQueue &ready_queue(int device) { return *ready_queues[device]; }

  void thread_main(ReadyQueue &queue) {
    while (true) {
      FunctionTask task = queue.pop_back();
      if (!task.fn)
        return;
      if (!task.base->has_error.load()) {
        double grad = task.fn();
        std::lock_guard<std::mutex> lock(results_mutex);
        pending_results.push_back(grad);
      }
      if (--task.base->outstanding_tasks == 0) {
        task.base->not_done.notify_all();
      }
    }
  }

  void collect_results(GraphTask &graph_task) {
    std::this_thread::sleep_for(200ms); // the other stuff takes a while
    std::lock_guard<std::mutex> lock(results_mutex);
    graph_task.captured_grads.insert(graph_task.captured_grads.end(), pending_results.begin(),
                                     pending_results.end());
    pending_results.clear();
  }

  std::vector<std::unique_ptr<ReadyQueue>> ready_queues;
  std::vector<std::thread> workers;
  std::mutex results_mutex;
  std::vector<double> pending_results;
};

} // namespace autograd
} // namespace torch

int main() {
  using namespace torch::autograd;
  Engine engine(/*num_devices=*/1);
  GraphTask graph_task(/*keep_graph=*/false);
  // The Python thread calling loss.backward().
  std::thread backward_thread([&] {
    engine.execute(graph_task, [] {
      std::this_thread::sleep_for(50ms); // MulBackward
      return 2.0;
    }, /*device=*/0);
  });
  backward_thread.join();
  std::printf("grads: %zu\n", graph_task.captured_grads.size());
  return 0;
}
