// Port: bitcoin/bitcoin#30435 ("init: change shutdown order of load block thread and scheduler")
//   (fixes bitcoin/bitcoin#23234 "Shutdown during reindex-chainstate can
//   block forever" and #30424): Shutdown() stopped the CScheduler before it
//   joined the load-block thread. The load-block thread calls
//   ActivateBestChain(), which calls LimitValidationInterfaceQueue(): when
//   more than 10 validation callbacks are pending it calls
//   SyncWithValidationInterfaceQueue(), which queues a callback that fulfils
//   a std::promise and waits on its future. The callbacks run on the
//   scheduler thread; once the scheduler is stopped that callback never runs,
//   the promise is never set, the load-block thread never returns, and
//   Shutdown() waits for it forever.
// Style: (d) standard library only, C++-native (bitcoin's idiom reduced: CScheduler::serviceQueue()/stop(), a SerialTaskRunner (SingleThreadedSchedulerClient) feeding validation callbacks to it one at a time, ValidationSignals with CallbacksPending()/SyncWithValidationInterfaceQueue() on std::promise<void>, a ChainstateManager whose load-block thread reindexes)
// Bug class: promise never set: the executor that would fulfil it is stopped before its client is joined (shutdown order)
// Shape: the load-block thread reindexes and connects blocks faster than the
//   wallet's BlockConnected callbacks drain on the scheduler; with more than
//   10 pending it queues the promise callback and waits on the future.
//   Meanwhile Shutdown() interrupts the node and stops the scheduler, whose
//   thread exits after the callback it is running; the promise callback is
//   left in the queue. Shutdown() then joins the load-block thread, which is
//   blocked on the future.
// Fix: Shutdown() joins the load-block thread before it stops the
//   scheduler, so the pending callbacks (and the promise) still run.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

class CScheduler {
public:
  using Function = std::function<void()>;
  std::thread m_service_thread;

  void serviceQueue() {
    std::unique_lock<std::mutex> lock(newTaskMutex);
    while (!shouldStop()) {
      while (!shouldStop() && taskQueue.empty())
        newTaskScheduled.wait(lock);
      while (!shouldStop() && !taskQueue.empty()) {
        auto timeToWaitFor = taskQueue.begin()->first;
        if (newTaskScheduled.wait_until(lock, timeToWaitFor) == std::cv_status::timeout)
          break; // Exit loop after timeout, it means we reached the time of the event
      }
      if (shouldStop() || taskQueue.empty())
        continue;
      Function f = taskQueue.begin()->second;
      taskQueue.erase(taskQueue.begin());
      lock.unlock();
      f();
      lock.lock();
    }
  }

  void schedule(Function f, std::chrono::steady_clock::time_point t) {
    {
      std::lock_guard<std::mutex> lock(newTaskMutex);
      taskQueue.emplace(t, std::move(f));
    }
    newTaskScheduled.notify_one();
  }

  // Tell any threads running serviceQueue to stop as soon as the current task is done
  void stop() {
    {
      std::lock_guard<std::mutex> lock(newTaskMutex);
      stopRequested = true;
    }
    newTaskScheduled.notify_all();
    if (m_service_thread.joinable())
      m_service_thread.join();
  }

private:
  bool shouldStop() const { return stopRequested || (stopWhenEmpty && taskQueue.empty()); }
  std::mutex newTaskMutex;
  std::condition_variable newTaskScheduled;
  std::multimap<std::chrono::steady_clock::time_point, Function> taskQueue;
  bool stopRequested = false;
  bool stopWhenEmpty = false;
};

// Runs the queued callbacks in order, one scheduler task at a time.
class SerialTaskRunner {
public:
  explicit SerialTaskRunner(CScheduler &scheduler) : m_scheduler(scheduler) {}

  void insert(std::function<void()> func) {
    {
      std::lock_guard<std::mutex> lock(m_callbacks_mutex);
      m_callbacks_pending.emplace_back(std::move(func));
    }
    MaybeScheduleProcessQueue();
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(m_callbacks_mutex);
    return m_callbacks_pending.size();
  }

private:
  void MaybeScheduleProcessQueue() {
    {
      std::lock_guard<std::mutex> lock(m_callbacks_mutex);
      if (m_are_callbacks_running || m_callbacks_pending.empty())
        return;
    }
    m_scheduler.schedule([this] { ProcessQueue(); }, std::chrono::steady_clock::now());
  }
  void ProcessQueue() {
    std::function<void()> callback;
    {
      std::lock_guard<std::mutex> lock(m_callbacks_mutex);
      if (m_are_callbacks_running || m_callbacks_pending.empty())
        return;
      m_are_callbacks_running = true;
      callback = std::move(m_callbacks_pending.front());
      m_callbacks_pending.pop_front();
    }
    callback();
    {
      std::lock_guard<std::mutex> lock(m_callbacks_mutex);
      m_are_callbacks_running = false;
    }
    MaybeScheduleProcessQueue();
  }

  CScheduler &m_scheduler;
  std::mutex m_callbacks_mutex;
  std::list<std::function<void()>> m_callbacks_pending;
  bool m_are_callbacks_running = false;
};

struct CBlock {
  int height;
};

class CValidationInterface {
public:
  virtual ~CValidationInterface() = default;
  virtual void BlockConnected(const std::shared_ptr<const CBlock> &block) = 0;
};

class ValidationSignals {
public:
  explicit ValidationSignals(CScheduler &scheduler) : m_task_runner(scheduler) {}

  void RegisterValidationInterface(CValidationInterface *callbacks) { m_callbacks.push_back(callbacks); }
  void BlockConnected(std::shared_ptr<const CBlock> block) {
    m_task_runner.insert([this, block] {
      for (CValidationInterface *cb : m_callbacks)
        cb->BlockConnected(block);
    });
  }
  void CallFunctionInValidationInterfaceQueue(std::function<void()> func) { m_task_runner.insert(std::move(func)); }
  size_t CallbacksPending() { return m_task_runner.size(); }

  // Block until all callbacks queued so far have run.
  void SyncWithValidationInterfaceQueue() {
    std::promise<void> promise;
    CallFunctionInValidationInterfaceQueue([&promise] { promise.set_value(); });
    promise.get_future().wait(); // LEAK: the scheduler is stopped; the callback that sets the promise never runs
  }

private:
  SerialTaskRunner m_task_runner;
  std::vector<CValidationInterface *> m_callbacks;
};

class CWallet : public CValidationInterface {
public:
  void BlockConnected(const std::shared_ptr<const CBlock> &block) override {
    std::this_thread::sleep_for(10ms); // scan the block for the wallet's transactions
    m_last_block_processed = block->height;
  }
  std::atomic<int> m_last_block_processed{-1};
};

class ChainstateManager {
public:
  explicit ChainstateManager(ValidationSignals &signals) : m_signals(signals) {}
  std::thread m_thread_load;

  // The reindex-chainstate import, on the "initload" thread.
  void ImportBlocks(const std::atomic<bool> &interrupt) {
    for (int height = 0; height < 1000 && !interrupt; ++height)
      ActivateBestChain(std::make_shared<const CBlock>(CBlock{height}));
  }

private:
  void ActivateBestChain(std::shared_ptr<const CBlock> block) {
    m_signals.BlockConnected(std::move(block));
    LimitValidationInterfaceQueue();
  }
  void LimitValidationInterfaceQueue() {
    if (m_signals.CallbacksPending() > 10)
      m_signals.SyncWithValidationInterfaceQueue();
  }
  ValidationSignals &m_signals;
};

struct NodeContext {
  std::unique_ptr<CScheduler> scheduler;
  std::unique_ptr<ValidationSignals> validation_signals;
  std::unique_ptr<ChainstateManager> chainman;
  std::atomic<bool> interrupt{false};
};

void AppInitMain(NodeContext &node, CWallet &wallet) {
  node.scheduler = std::make_unique<CScheduler>();
  node.scheduler->m_service_thread = std::thread([&node] { node.scheduler->serviceQueue(); });
  node.validation_signals = std::make_unique<ValidationSignals>(*node.scheduler);
  node.validation_signals->RegisterValidationInterface(&wallet);
  node.chainman = std::make_unique<ChainstateManager>(*node.validation_signals);
  node.chainman->m_thread_load = std::thread([&node] { node.chainman->ImportBlocks(node.interrupt); });
}

void Shutdown(NodeContext &node) {
  node.interrupt = true;
  // After everything has been shut down, but before things get flushed, stop the
  // scheduler and load block thread.
  if (node.scheduler)
    node.scheduler->stop();
  if (node.chainman && node.chainman->m_thread_load.joinable())
    node.chainman->m_thread_load.join(); // LEAK: the load-block thread waits on a promise the stopped scheduler would have set
}

int main() {
  NodeContext node;
  CWallet wallet;
  AppInitMain(node, wallet);
  std::this_thread::sleep_for(30ms); // -reindex-chainstate is running; the user hits Ctrl-C
  Shutdown(node);
  return 0;
}
