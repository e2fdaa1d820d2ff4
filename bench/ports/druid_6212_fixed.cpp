// Port: apache/druid#6212 ("fix TaskQueue-HRTR deadlock")
//   (fixes apache/druid#6201, "Deadlock on overlord with HttpRemoteTaskRunner".)
//   On the Overlord, TaskQueue guards its state with the `giant`
//   ReentrantLock. Its TaskQueue-Manager thread runs manage(): with giant
//   held it asks the task runner for its known tasks, checks new tasks with
//   isReady() and hands them to taskRunner.run(), then waits on the
//   managementMayBeNecessary condition. TaskQueue attaches a callback to the
//   result future of every task; the callback runs on the thread that
//   completes the future (same-thread executor) and calls notifyStatus(),
//   which takes giant. HttpRemoteTaskRunner guards its `tasks` map with
//   `statusLock`; getKnownTasks() and run() synchronize on it. Its
//   hrtr-pending-tasks-runner thread assigns a task to a MiddleManager in
//   runTaskOnWorker() and then, inside synchronized (statusLock), waits up to
//   taskAssignmentTimeout for the task to leave PENDING; when the wait times
//   out it calls taskComplete(FAILED) still inside the synchronized block.
//   taskComplete() sets the work item's result, which runs TaskQueue's
//   callback, which blocks on giant while statusLock is held. If at that
//   moment TaskQueue-Manager holds giant and enters HttpRemoteTaskRunner, it
//   blocks on statusLock: the Overlord stops assigning and finishing tasks.
// Style: (d) standard library only: std::thread (TaskQueue-Manager, a
//   one-thread pending-tasks executor), std::recursive_mutex `giant` +
//   condition_variable_any, std::mutex + condition_variable for statusLock
//   wait/notifyAll, a SettableFuture with same-thread listeners
// Bug class: listener callback run under a lock re-enters another
//   component's lock (statusLock -> giant vs giant -> statusLock)
// Shape: task index_1 is assigned at ~40 ms to a MiddleManager that never
//   starts it (assignment timeout 150 ms). At 160 ms main submits index_2;
//   TaskQueue-Manager takes giant and spends 40 ms in isReady() (forcing: a
//   lock action round trip). At ~190 ms the assignment of index_1 times out
//   and its failure callback waits for giant under statusLock; at ~200 ms
//   TaskQueue-Manager calls run(index_2) and waits for statusLock. main
//   waits forever for the status of index_2.
// Fix: runTaskOnWorker() only records the timeout inside synchronized
//   (statusLock) (isTaskAssignmentTimedOut = true; break) and calls
//   taskComplete() after leaving the block.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono;
using namespace std::chrono_literals;

struct TaskStatus {
  std::string id;
  std::string code;  // RUNNING, SUCCESS, FAILED
};

// Guava SettableFuture with listeners run on the completing thread.
class SettableFuture {
 public:
  void addListener(std::function<void(const TaskStatus&)> cb) {
    std::unique_lock lk{mu};
    if (!value) return listeners.push_back(std::move(cb));
    lk.unlock();
    cb(*value);
  }
  void set(TaskStatus v) {
    std::vector<std::function<void(const TaskStatus&)>> ls;
    {
      std::lock_guard lk{mu};
      if (value) return;
      value = v;
      ls.swap(listeners);
      cv.notify_all();
    }
    for (auto& l : ls) l(v);
  }
  TaskStatus get() {
    std::unique_lock lk{mu};
    cv.wait(lk, [&] { return value.has_value(); });
    return *value;
  }

 private:
  std::mutex mu;
  std::condition_variable cv;
  std::optional<TaskStatus> value;
  std::vector<std::function<void(const TaskStatus&)>> listeners;
};

// Executors.newFixedThreadPool(1)
class ExecutorService {
 public:
  ExecutorService() : worker([this] { loop(); }) {}
  void execute(std::function<void()> r) { std::lock_guard lk{mu}; q.push_back(std::move(r)); cv.notify_one(); }
  void shutdownAndAwait() {
    { std::lock_guard lk{mu}; stopped = true; cv.notify_one(); }
    worker.join();
  }
 private:
  void loop() {
    for (;;) {
      std::unique_lock lk{mu};
      cv.wait(lk, [&] { return stopped || !q.empty(); });
      if (q.empty()) return;
      auto r = std::move(q.front());
      q.pop_front(), lk.unlock(), r();
    }
  }
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::function<void()>> q;
  bool stopped = false;
  std::thread worker;
};

struct HttpRemoteTaskRunnerWorkItem {
  enum class State { PENDING, RUNNING, COMPLETE };
  std::string taskId;
  State state = State::PENDING;
  std::shared_ptr<SettableFuture> result = std::make_shared<SettableFuture>();
};

class HttpRemoteTaskRunner {
 public:
  std::shared_ptr<SettableFuture> run(const std::string& taskId) {
    std::lock_guard sync{statusLock};
    auto& item = tasks[taskId];
    if (!item) {
      item = std::make_shared<HttpRemoteTaskRunnerWorkItem>();
      item->taskId = taskId;
      pendingTasksExec.execute([this, item] { runTaskOnWorker(item, "mm-1:8091"); });
    }
    return item->result;
  }

  std::map<std::string, std::shared_ptr<HttpRemoteTaskRunnerWorkItem>> getKnownTasks() {
    std::lock_guard sync{statusLock};
    return tasks;
  }

  void stop() { pendingTasksExec.shutdownAndAwait(); }
 private:
  bool assignTask(const std::string& host, const std::string& taskId) {
    std::printf("Asking Worker[%s] to run task[%s]\n", host.c_str(), taskId.c_str());
    return true;  // the MiddleManager accepted the task but never starts it
  }

  bool runTaskOnWorker(std::shared_ptr<HttpRemoteTaskRunnerWorkItem> workItem, const std::string& workerHost) {
    if (!assignTask(workerHost, workItem->taskId)) return false;
    auto waitStart = steady_clock::now();
    bool isTaskAssignmentTimedOut = false;
    {
      std::unique_lock sync{statusLock};
      while (tasks.count(workItem->taskId) && workItem->state == HttpRemoteTaskRunnerWorkItem::State::PENDING) {
        auto remaining = taskAssignmentTimeout - (steady_clock::now() - waitStart);
        if (remaining > 0ms) {
          statusLockCond.wait_for(sync, remaining);
        } else {
          isTaskAssignmentTimedOut = true;
          break;
        }
      }
    }
    if (isTaskAssignmentTimedOut) {
      std::printf("Task assignment timed out on worker [%s], never ran task [%s]\n", workerHost.c_str(),
                  workItem->taskId.c_str());
      taskComplete(workItem, TaskStatus{workItem->taskId, "FAILED"});
    }
    return true;
  }

  void taskComplete(std::shared_ptr<HttpRemoteTaskRunnerWorkItem> item, TaskStatus status) {
    item->state = HttpRemoteTaskRunnerWorkItem::State::COMPLETE;
    item->result->set(status);    // notify interested parties (TaskQueue's callback)
    statusLockCond.notify_all();  // synchronized (statusLock) { statusLock.notifyAll(); }
  }

  std::mutex statusLock;
  std::condition_variable statusLockCond;
  std::map<std::string, std::shared_ptr<HttpRemoteTaskRunnerWorkItem>> tasks;
  const milliseconds taskAssignmentTimeout{150};
  ExecutorService pendingTasksExec;  // hrtr-pending-tasks-runner-0
};

class TaskQueue {
 public:
  explicit TaskQueue(HttpRemoteTaskRunner& taskRunner) : taskRunner(taskRunner) {}

  void start() { manager = std::thread([this] { manage(); }); }

  void add(const std::string& taskId) {
    std::lock_guard lk{giant};
    tasks.push_back(taskId), managementMayBeNecessary.notify_all();
  }

  void stop() {
    { std::lock_guard lk{giant}; active = false; managementMayBeNecessary.notify_all(); }
    manager.join();
  }

 private:
  void manage() {
    std::unique_lock lk{giant};
    while (active) {
      auto runnerTaskFutures = taskRunner.getKnownTasks();
      for (const auto& taskId : std::vector<std::string>(tasks)) {
        if (taskFutures.count(taskId)) continue;
        if (!isReady(taskId)) continue;
        auto runnerTaskFuture = taskRunner.run(taskId);
        attachCallbacks(taskId, runnerTaskFuture);
        taskFutures[taskId] = runnerTaskFuture;
      }
      managementMayBeNecessary.wait_for(lk, 60s);
    }
  }

  bool isReady(const std::string&) {
    return std::this_thread::sleep_for(40ms), true;  // forcing: LockTryAcquireAction round trip
  }

  void attachCallbacks(const std::string& taskId, const std::shared_ptr<SettableFuture>& f) {
    f->addListener([this, taskId](const TaskStatus& status) { notifyStatus(taskId, status); });
  }

  void notifyStatus(const std::string& taskId, const TaskStatus& status) {
    std::lock_guard lk{giant};
    std::printf("Task done: %s -> %s\n", taskId.c_str(), status.code.c_str());
    std::erase(tasks, taskId);
    managementMayBeNecessary.notify_all();
  }

  HttpRemoteTaskRunner& taskRunner;
  std::recursive_mutex giant;
  std::condition_variable_any managementMayBeNecessary;
  std::vector<std::string> tasks;
  std::map<std::string, std::shared_ptr<SettableFuture>> taskFutures;
  bool active = true;
  std::thread manager;
};

int main() {
  HttpRemoteTaskRunner runner;
  TaskQueue queue{runner};
  queue.start();

  queue.add("index_1");
  std::this_thread::sleep_for(160ms);
  queue.add("index_2");

  std::this_thread::sleep_for(50ms);
  // run() hands back the existing work item's result future.
  auto status = runner.run("index_2")->get();
  std::printf("index_2 finished: %s\n", status.code.c_str());
  queue.stop();
  runner.stop();
  return 0;
}
