// Port: datacleaner/DataCleaner#493 ("Put latch countdowns in finally block.")
//   (fixes datacleaner/DataCleaner#492, "JobCompletionTaskListener should
//   protect latch countdowns".) When DataCleaner runs an AnalysisJob, the
//   AnalysisRunner schedules one task per row-processing publisher on the
//   TaskRunner and hands back an AnalysisResultFuture whose await() blocks on
//   the JobCompletionTaskListener's CountDownLatch, created with the number
//   of tasks to wait for. Each finished task calls onComplete(), which counts
//   down; a failed task calls onError(), which first reports the error to
//   the AnalysisListener (errorUknown()) and only then counts down. The
//   AnalysisListener is user/UI code (a composite of the registered
//   listeners); if one of them throws from errorUknown(), the exception
//   leaves onError() before _countDownLatch.countDown(), the task runner
//   thread just logs it, the latch never reaches zero, and every thread in
//   AnalysisResultFuture.await() waits forever.
// Style: (d) standard library only: a java.util.concurrent-like
//   CountDownLatch (std::mutex + std::condition_variable) that the waiting
//   thread calls through AnalysisResultFutureImpl::await() ->
//   JobCompletionTaskListener::await(); a MultiThreadedTaskRunner on
//   std::thread; exceptions for Java's throwables
// Bug class: blocking wait inside a helper (latch) whose count-down is
//   skipped on an exception path
// Shape: a job with two publisher tasks; the "customers" task completes,
//   the "orders" task fails (datastore connection refused) and the UI
//   progress listener throws from errorUknown() because its panel is
//   already disposed. The result window's worker thread awaits the result
//   future forever; main hangs joining it.
// Fix: onError() (like the other countdowns) calls countDown() in a finally
//   block, so the latch is released whatever the listener does; the twin
//   counts down on the exception path too and rethrows.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace concurrent {

// java.util.concurrent.CountDownLatch
class CountDownLatch {
 public:
  explicit CountDownLatch(long count) : count_(count) {}

  void countDown() {
    std::lock_guard lock{mutex_};
    if (count_ > 0 && --count_ == 0) zero_.notify_all();
  }

  long getCount() {
    std::lock_guard lock{mutex_};
    return count_;
  }

  void await() {
    std::unique_lock lock{mutex_};
    zero_.wait(lock, [this] { return count_ == 0; }); // LEAK
  }

 private:
  std::mutex mutex_;
  std::condition_variable zero_;
  long count_;
};

}  // namespace concurrent

namespace datacleaner {

struct AnalysisJob {
  std::string name;
};

class Task {
 public:
  virtual ~Task() = default;
  virtual void execute() = 0;
  virtual std::string describe() const = 0;
};

class AnalysisListener {
 public:
  virtual ~AnalysisListener() = default;
  virtual void jobSuccess(const AnalysisJob& job) = 0;
  virtual void errorUknown(const AnalysisJob& job, const std::exception& throwable) = 0;
};

class TaskListener {
 public:
  virtual ~TaskListener() = default;
  virtual void onBegin(Task& task) = 0;
  virtual void onComplete(Task& task) = 0;
  virtual void onError(Task& task, const std::exception& throwable) = 0;
};

// Completion listener for a full AnalysisJob.
class JobCompletionTaskListener : public TaskListener {
 public:
  JobCompletionTaskListener(AnalysisJob job, std::shared_ptr<AnalysisListener> analysisListener,
                            int callablesToWaitFor)
      : _job(std::move(job)),
        _analysisListener(std::move(analysisListener)),
        _countDownLatch(callablesToWaitFor) {}

  void await() { _countDownLatch.await(); }
  bool isDone() { return _countDownLatch.getCount() == 0; }

  void onBegin(Task&) override {}

  void onComplete(Task&) override {
    _countDownLatch.countDown();
    if (_countDownLatch.getCount() == 0) _analysisListener->jobSuccess(_job);
  }

  void onError(Task&, const std::exception& throwable) override {
    _analysisListener->errorUknown(_job, throwable);
    _countDownLatch.countDown();
  }

 private:
  AnalysisJob _job;
  std::shared_ptr<AnalysisListener> _analysisListener;
  concurrent::CountDownLatch _countDownLatch;
};

// Runs a task and reports to its listener, like TaskRunnable.
void runTask(Task& task, TaskListener& listener) {
  listener.onBegin(task);
  try {
    task.execute();
  } catch (const std::exception& e) {
    listener.onError(task, e);
    return;
  }
  listener.onComplete(task);
}

class MultiThreadedTaskRunner {
 public:
  explicit MultiThreadedTaskRunner(int numThreads) {
    for (int i = 0; i < numThreads; ++i) _workers.emplace_back([this] { workerLoop(); });
  }
  ~MultiThreadedTaskRunner() {
    {
      std::lock_guard lock{_mutex};
      _shutdown = true;
    }
    _cv.notify_all();
    for (auto& w : _workers) w.join();
  }

  void run(std::shared_ptr<Task> task, std::shared_ptr<TaskListener> listener) {
    {
      std::lock_guard lock{_mutex};
      _queue.push_back([task, listener] { runTask(*task, *listener); });
    }
    _cv.notify_one();
  }

 private:
  void workerLoop() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock{_mutex};
        _cv.wait(lock, [this] { return _shutdown || !_queue.empty(); });
        if (_queue.empty()) return;
        job = std::move(_queue.front());
        _queue.pop_front();
      }
      try {
        job();
      } catch (const std::exception& e) {
        // ThreadPoolExecutor: the throwable only reaches the uncaught exception handler.
        std::printf("ERROR TaskRunner - Uncaught exception in task runner thread: %s\n", e.what());
      }
    }
  }

  std::mutex _mutex;
  std::condition_variable _cv;
  std::deque<std::function<void()>> _queue;
  bool _shutdown = false;
  std::vector<std::thread> _workers;
};

class AnalysisResultFutureImpl {
 public:
  explicit AnalysisResultFutureImpl(std::shared_ptr<JobCompletionTaskListener> l) : _jobCompletionListener(std::move(l)) {}
  void await() { _jobCompletionListener->await(); }
  bool isDone() { return _jobCompletionListener->isDone(); }

 private:
  std::shared_ptr<JobCompletionTaskListener> _jobCompletionListener;
};

// One source table of the job, processed by its own publisher task.
class RunRowProcessingPublisherTask : public Task {
 public:
  RunRowProcessingPublisherTask(std::string table, bool datastoreUp) : _table(std::move(table)), _datastoreUp(datastoreUp) {}
  void execute() override {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!_datastoreUp) throw std::runtime_error("Could not open connection to datastore 'orderdb': connection refused");
    std::printf("processed rows of table %s\n", _table.c_str());
  }
  std::string describe() const override { return "RunRowProcessingPublisherTask[" + _table + "]"; }

 private:
  std::string _table;
  bool _datastoreUp;
};

std::shared_ptr<AnalysisResultFutureImpl> runAnalysis(MultiThreadedTaskRunner& taskRunner, const AnalysisJob& job,
                                                      std::shared_ptr<AnalysisListener> listener) {
  std::vector<std::shared_ptr<Task>> tasks{std::make_shared<RunRowProcessingPublisherTask>("customers", true),
                                           std::make_shared<RunRowProcessingPublisherTask>("orders", false)};
  auto completion = std::make_shared<JobCompletionTaskListener>(job, listener, static_cast<int>(tasks.size()));
  for (auto& t : tasks) taskRunner.run(t, completion);
  return std::make_shared<AnalysisResultFutureImpl>(completion);
}

}  // namespace datacleaner

// The progress panel's listener: its panel was disposed when the user closed
// the window, so reporting the error fails.
class ProgressInformationListener : public datacleaner::AnalysisListener {
 public:
  void jobSuccess(const datacleaner::AnalysisJob& job) override { std::printf("job %s succeeded\n", job.name.c_str()); }
  void errorUknown(const datacleaner::AnalysisJob&, const std::exception&) override {
    if (!_panelVisible) throw std::runtime_error("NullPointerException: progress panel already disposed");
  }

 private:
  std::atomic<bool> _panelVisible{false};
};

int main() {
  datacleaner::MultiThreadedTaskRunner taskRunner{2};
  datacleaner::AnalysisJob job{"customer-orders-profiling"};
  auto resultFuture = datacleaner::runAnalysis(taskRunner, job, std::make_shared<ProgressInformationListener>());

  // The result window waits for the job on a worker thread.
  std::thread resultWorker{[resultFuture] {
    resultFuture->await();
    std::puts("ResultWindow: job finished, showing results");
  }};
  resultWorker.join();
  return 0;
}
