// Port: PaddlePaddle/Paddle#30718 ("[Kunlun] fix dead lock for exec_op_count_")
//   BindThreadedSSAGraphExecutor (the Kunlun/XPU multi-card executor) pops
//   ready ops from a BlockingQueue on the main stream and hands each one to
//   a one-thread ::ThreadPool per device (or to multi_device_op_pool_ for
//   all-reduce style ops). Every pool task ends by bumping the file-static
//   counter exec_op_count_ and calling cv_.notify_all(). After dispatching
//   the whole graph RunMainStream() takes mutex_ and waits on cv_ until
//   exec_op_count_ reaches op_deps_.size(). The counter was a std::atomic
//   that the pool threads incremented and notified WITHOUT taking mutex_, so
//   the last op can finish between the main thread's predicate check and
//   its block inside cv_.wait(): the final notify_all() finds no waiter and
//   is lost, and the main stream (with the trainer calling Run()) sleeps
//   forever while all device threads sit idle.
// Style: (d) standard library (std::thread based ::ThreadPool with std::future
//   returning enqueue(), a BlockingQueue<OpHandleBase*> of ready ops,
//   std::mutex + std::condition_variable, std::atomic op dependency counters)
// Bug class: lost wake-up: condition state changed and notified outside the
//   mutex the waiter checks it under
// Shape: a 3-op graph (fc on xpu:0 -> fc_grad on xpu:1 -> c_allreduce_sum on
//   the multi-device pool). The main stream dispatches all three, then checks
//   the predicate (2 of 3 done) and, still holding mutex_, writes a slow
//   VLOG-style trace (200 ms). The all-reduce finishes after 50 ms, bumps the
//   atomic and notifies nobody; the main stream then blocks in cv_.wait()
//   forever and Run() never returns.
// Fix: exec_op_count_ becomes a plain counter that every pool task updates
//   (and notifies) while holding mutex_, so the update cannot fall between
//   the waiter's check and its wait.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

// the third_party ::ThreadPool Paddle links against: N workers, enqueue()
// returns a future of the task
class ThreadPool {
 public:
  explicit ThreadPool(size_t n) {
    for (size_t i = 0; i < n; ++i)
      workers_.emplace_back([this] {
        for (;;) {
          std::function<void()> task;
          {
            std::unique_lock<std::mutex> lock(queue_mutex_);
            condition_.wait(lock, [this] { return stop_ || !tasks_.empty(); });
            if (stop_ && tasks_.empty()) return;
            task = std::move(tasks_.front());
            tasks_.pop_front();
          }
          task();
        }
      });
  }
  template <class F>
  std::future<void> enqueue(F &&f) {
    auto task = std::make_shared<std::packaged_task<void()>>(std::forward<F>(f));
    std::future<void> res = task->get_future();
    {
      std::lock_guard<std::mutex> lock(queue_mutex_);
      tasks_.emplace_back([task] { (*task)(); });
    }
    condition_.notify_one();
    return res;
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(queue_mutex_);
      stop_ = true;
    }
    condition_.notify_all();
    for (auto &w : workers_) w.join();
  }

 private:
  std::vector<std::thread> workers_;
  std::deque<std::function<void()>> tasks_;
  std::mutex queue_mutex_;
  std::condition_variable condition_;
  bool stop_ = false;
};

namespace paddle {
namespace framework {
namespace details {

template <typename T>
class BlockingQueue {
 public:
  void Push(const T &item) {
    {
      std::lock_guard<std::mutex> g(mutex_);
      q_.push_back(item);
    }
    cv_.notify_one();
  }
  T Pop() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return !q_.empty(); });
    T v = q_.front();
    q_.pop_front();
    return v;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<T> q_;
};

struct OpHandleBase {
  std::string name;
  int device;               // -1: multi-device transfer (all-reduce)
  int run_ms;               // simulated kernel time
  std::vector<OpHandleBase *> pending_ops;
  int not_ready_inputs = 0;
  bool IsMultiDeviceTransfer() const { return device < 0; }
  void Run() { std::this_thread::sleep_for(std::chrono::milliseconds(run_ms)); }
};

struct RunningItem {
  std::atomic<int> dep_num{0};
};

static unsigned int exec_op_count_;  // guarded by mutex_

// VLOG(3) to a slow sink (glog flushing to a network file system)
static void VLogPending(unsigned int done, size_t total) {
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::fprintf(stderr, "BindThreadedSSAGraphExecutor: %u/%zu ops finished\n", done, total);
}

class BindThreadedSSAGraphExecutor {
 public:
  BindThreadedSSAGraphExecutor(std::vector<OpHandleBase *> ops, int num_places)
      : ops_(std::move(ops)), multi_device_op_pool_(1) {
    for (int i = 0; i < num_places; ++i) pool_.emplace_back(new ThreadPool(1));
    for (auto *op : ops_) {
      op_deps_[op] = op->not_ready_inputs;
      if (op->not_ready_inputs == 0) bootstrap_ops_.push_back(op);
    }
  }

  void Run() {
    std::unordered_map<OpHandleBase *, RunningItem> op_deps;
    for (auto &p : op_deps_) op_deps[p.first].dep_num = p.second;
    auto ready_ops = std::make_shared<BlockingQueue<OpHandleBase *>>();
    for (auto *op : bootstrap_ops_) ready_ops->Push(op);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      exec_op_count_ = 0;
    }

    size_t cur_count = 0;
    while (cur_count < op_deps_.size()) {
      cur_count++;
      OpHandleBase *cur_op = ready_ops->Pop();
      if (cur_op->IsMultiDeviceTransfer()) {
        RunOpAsync(&multi_device_op_pool_, cur_op, &op_deps, ready_ops);
      } else {
        RunOpAsync(pool_[cur_op->device].get(), cur_op, &op_deps, ready_ops);
      }
    }
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [&] {
        unsigned int done = exec_op_count_;
        if (done >= op_deps_.size()) return true;
        VLogPending(done, op_deps_.size());
        return false;
      });
    }
  }

 private:
  void RunOpAsync(ThreadPool *pool, OpHandleBase *op,
                  std::unordered_map<OpHandleBase *, RunningItem> *op_deps,
                  std::shared_ptr<BlockingQueue<OpHandleBase *>> ready_ops) {
    pool->enqueue([=, this] {
      op->Run();
      for (auto *pending_op : op->pending_ops) {
        if (op_deps->at(pending_op).dep_num.fetch_sub(1) == 1) ready_ops->Push(pending_op);
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        exec_op_count_++;
        cv_.notify_all();
      }
    });
  }

  std::vector<OpHandleBase *> ops_;
  std::unordered_map<OpHandleBase *, int> op_deps_;
  std::vector<OpHandleBase *> bootstrap_ops_;
  std::vector<std::unique_ptr<ThreadPool>> pool_;
  ThreadPool multi_device_op_pool_;
  std::mutex mutex_;
  std::condition_variable cv_;
};

}  // namespace details
}  // namespace framework
}  // namespace paddle

int main() {
  using paddle::framework::details::BindThreadedSSAGraphExecutor;
  using paddle::framework::details::OpHandleBase;
  OpHandleBase fc{"fc", 0, 10, {}, 0};
  OpHandleBase fc_grad{"fc_grad", 1, 10, {}, 1};
  OpHandleBase allreduce{"c_allreduce_sum", -1, 50, {}, 1};
  fc.pending_ops.push_back(&fc_grad);
  fc_grad.pending_ops.push_back(&allreduce);
  {
    BindThreadedSSAGraphExecutor exe({&fc, &fc_grad, &allreduce}, 2);
    exe.Run();
  }
  std::printf("step finished\n");
  return 0;
}
