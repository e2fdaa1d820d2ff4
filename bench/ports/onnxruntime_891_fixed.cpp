// Port: microsoft/onnxruntime#891 ("Fix deadlock in parallel executor")
//   With the std (non-Eigen) thread pool, concurrency::ThreadPool::ParallelFor()
//   queued one packaged_task per iteration on the session's TaskThreadPool and
//   then called TaskThreadPool::WaitWorkComplete(), which waits on the pool-wide
//   `completed_` condition until the whole pool is idle. The ParallelExecutor
//   runs independent nodes on its own executor pool, so two kernels can call
//   ParallelFor() on the same session pool at once. When the pool drains, the
//   worker that finds it idle sets complete_ and calls completed_.notify_one():
//   one waiter wakes, the other keeps waiting for a notification that never
//   comes (complete_ is already true and no more work arrives). Its node never
//   finishes and ParallelExecutor::Execute() waits for it forever.
// Style: a project's own Mutex/CondVar wrappers (OrtMutex/OrtCondVar, here over pthread_mutex_t/pthread_cond_t instead of nsync) with std::unique_lock; a thread pool of std::thread workers running std::packaged_task
// Bug class: lost wake-up: a pool-wide "work complete" condition signalled with notify_one while two unrelated callers wait on it
// Shape: node Gemm_0 queues two 150 ms iterations at t=0; node Gemm_1 queues
//   two more at t=50 ms; both wait in WaitWorkComplete(). At t=300 ms the last
//   worker finds the pool idle and signals once: one node completes, the other
//   stays in completed_.wait(), and Execute() waits on complete_cv_ forever.
// Fix: ParallelFor() synchronises on a Barrier of its own (one Notify() per
//   iteration, Wait() by the caller) instead of the pool-wide
//   WaitWorkComplete().
#include <pthread.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <vector>

namespace onnxruntime {

// core/platform/ort_mutex.h, with pthread in place of nsync
class OrtMutex {
  pthread_mutex_t data_ = PTHREAD_MUTEX_INITIALIZER;

public:
  OrtMutex() = default;
  ~OrtMutex() { pthread_mutex_destroy(&data_); }
  OrtMutex(const OrtMutex &) = delete;
  OrtMutex &operator=(const OrtMutex &) = delete;
  void lock() { pthread_mutex_lock(&data_); }
  bool try_lock() noexcept { return pthread_mutex_trylock(&data_) == 0; }
  void unlock() noexcept { pthread_mutex_unlock(&data_); }
  pthread_mutex_t *native_handle() { return &data_; }
};

class OrtCondVar {
  pthread_cond_t native_cv_object = PTHREAD_COND_INITIALIZER;

public:
  OrtCondVar() = default;
  ~OrtCondVar() { pthread_cond_destroy(&native_cv_object); }
  OrtCondVar(const OrtCondVar &) = delete;
  OrtCondVar &operator=(const OrtCondVar &) = delete;
  void notify_one() noexcept { pthread_cond_signal(&native_cv_object); }
  void notify_all() noexcept { pthread_cond_broadcast(&native_cv_object); }
  void wait(std::unique_lock<OrtMutex> &lk) { pthread_cond_wait(&native_cv_object, lk.mutex()->native_handle()); }
};

// core/common/task_thread_pool.h
class TaskThreadPool {
  std::queue<std::packaged_task<void()>> tasks_;
  std::vector<std::thread> threads_;
  OrtMutex mutex_;
  OrtCondVar condition_;
  OrtCondVar completed_;
  bool running_ = true;
  bool complete_ = true;
  std::size_t available_;
  std::size_t total_;

public:
  explicit TaskThreadPool(std::size_t pool_size) : available_(pool_size), total_(pool_size) {
    for (std::size_t i = 0; i < pool_size; ++i)
      threads_.emplace_back([this] { MainLoop(); });
  }
  ~TaskThreadPool() {
    {
      std::unique_lock<OrtMutex> lock(mutex_);
      running_ = false;
      condition_.notify_all();
    }
    for (auto &t : threads_)
      t.join();
  }

  void RunTask(std::packaged_task<void()> &&task) {
    std::unique_lock<OrtMutex> lock(mutex_);
    tasks_.push(std::move(task));
    complete_ = false;
    condition_.notify_one();
  }

  /// Wait for queue to be empty (the whole pool idle)
  void WaitWorkComplete() {
    std::unique_lock<OrtMutex> lock(mutex_);
    while (!complete_)
      completed_.wait(lock);
  }

private:
  void MainLoop() {
    std::unique_lock<OrtMutex> lock(mutex_);
    while (running_) {
      while (tasks_.empty() && running_)
        condition_.wait(lock);
      if (!running_)
        break;
      auto task = std::move(tasks_.front());
      tasks_.pop();
      --available_;
      lock.unlock();
      task();
      lock.lock();
      ++available_;
      if (tasks_.empty() && available_ == total_) {
        complete_ = true;
        completed_.notify_one();
      }
    }
  }
};

namespace concurrency {
// Barrier: one or more threads wait until Notify() has been called `count` times
class Barrier {
public:
  explicit Barrier(unsigned int count) : count_(count), notified_(count == 0) {}
  void Notify() {
    std::unique_lock<OrtMutex> l(mu_);
    if (--count_ == 0) {
      notified_ = true;
      cv_.notify_all();
    }
  }
  void Wait() {
    std::unique_lock<OrtMutex> l(mu_);
    while (!notified_)
      cv_.wait(l);
  }

private:
  OrtMutex mu_;
  OrtCondVar cv_;
  unsigned int count_;
  bool notified_;
};

// core/common/threadpool.cc (std thread pool build)
class ThreadPool {
public:
  explicit ThreadPool(int num_threads) : impl_(std::make_unique<TaskThreadPool>(num_threads)) {}

  void ParallelFor(int32_t total, std::function<void(int32_t)> fn) {
    Barrier barrier(static_cast<unsigned int>(total));
    for (int32_t i = 0; i < total; ++i) {
      std::packaged_task<void()> task([&barrier, fn, i] {
        fn(i);
        barrier.Notify();
      });
      impl_->RunTask(std::move(task));
    }
    barrier.Wait();
  }

private:
  std::unique_ptr<TaskThreadPool> impl_;
};
} // namespace concurrency

// a kernel whose Compute() splits its rows over the session thread pool
struct GemmKernel {
  std::string node_name;
  int start_delay_ms;
  void Compute(concurrency::ThreadPool *tp) const {
    std::this_thread::sleep_for(std::chrono::milliseconds(start_delay_ms));
    tp->ParallelFor(2, [this](int32_t i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(150)); // MlasGemm on a block of rows
      std::printf("%s: block %d done\n", node_name.c_str(), i);
    });
    std::printf("%s: Compute done\n", node_name.c_str());
  }
};

class ParallelExecutor {
public:
  ParallelExecutor(concurrency::ThreadPool *session_tp) : session_tp_(session_tp), executor_pool_(2) {}

  void Execute(const std::vector<GemmKernel> &nodes) {
    {
      std::unique_lock<OrtMutex> lock(complete_mutex_);
      out_standing_nodes_ = static_cast<int>(nodes.size());
    }
    for (const auto &node : nodes)
      executor_pool_.RunTask(std::packaged_task<void()>([this, &node] { RunNodeAsync(node); }));
    std::unique_lock<OrtMutex> lock(complete_mutex_);
    while (out_standing_nodes_ > 0)
      complete_cv_.wait(lock);
    std::printf("Execute: all nodes done\n");
  }

private:
  void RunNodeAsync(const GemmKernel &node) {
    node.Compute(session_tp_);
    std::unique_lock<OrtMutex> lock(complete_mutex_);
    if (--out_standing_nodes_ == 0)
      complete_cv_.notify_all();
  }

  concurrency::ThreadPool *session_tp_;
  TaskThreadPool executor_pool_;
  OrtMutex complete_mutex_;
  OrtCondVar complete_cv_;
  int out_standing_nodes_ = 0;
};

} // namespace onnxruntime

int main() {
  using namespace onnxruntime;
  concurrency::ThreadPool session_thread_pool(2);
  std::vector<GemmKernel> nodes{{"Gemm_0", 0}, {"Gemm_1", 50}};
  {
    ParallelExecutor executor(&session_thread_pool);
    executor.Execute(nodes);
  }
  std::printf("InferenceSession::Run done\n");
  return 0;
}
