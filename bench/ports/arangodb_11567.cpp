// Port: arangodb/arangodb#11567 ("Solve a deadlock problem in the cluster.")
//   The TransactionManager feature garbage-collects expired managed
//   transactions from a job it re-queues on the scheduler with
//   SCHEDULER->queueDelay(RequestLane::INTERNAL_LOW, 1s, gcfunc). A
//   SynchronizeShard run takes an exclusive collection lock on the leader
//   inside a managed transaction; if the follower goes away, only that
//   garbage collection aborts the transaction (after its TTL) and releases
//   the lock. The scheduler lets only a limited number of workers run LOW
//   priority jobs at once. When every LOW slot is taken by a request that is
//   blocked on the collection lock, the garbage-collection job sits in the
//   LOW queue behind them and is never started: the requests wait for the
//   lock, the lock waits for the GC, the GC waits for a LOW slot.
// Style: (d) standard library (std::thread workers and a timer thread in a Scheduler with per-priority queues, a ReadWriteLock class (mutex + condition variable) for the collection lock, std::function jobs, a cancelable WorkHandle, std::latch)
// Bug class: thread-pool self-starvation: the job that would release a lock is queued on the same limited lane as the jobs blocked on that lock
// Shape: 4 scheduler workers, at most 2 running LOW jobs. A managed
//   transaction (TTL 150 ms) holds shard s100042 exclusively and its
//   follower never comes back. Two CLIENT_SLOW (LOW) document writes then
//   block on the shard lock, filling both LOW slots. The GC job queued for
//   t=100 ms lands in the LOW queue and never runs; the writes block forever
//   and main's wait for them hangs.
// Fix: queueGarbageCollection() posts gcfunc on RequestLane::CLUSTER_INTERNAL
//   (HIGH priority) instead of INTERNAL_LOW, so a free worker runs it, the
//   expired transaction is aborted and the lock is released.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace arangodb {
using namespace std::chrono;

enum class RequestLane { CLIENT_SLOW, INTERNAL_LOW, CLUSTER_INTERNAL };
enum class RequestPriority { HIGH = 0, LOW = 1 };
inline RequestPriority PriorityRequestLane(RequestLane lane) {
  return lane == RequestLane::CLUSTER_INTERNAL ? RequestPriority::HIGH : RequestPriority::LOW;
}

class Scheduler {
 public:
  struct DelayedWorkItem {
    std::function<void(bool)> handler;
    RequestLane lane;
    std::mutex mu;
    bool done = false;
    void cancel() { run(true); }
    void run(bool canceled) {
      std::function<void(bool)> h;
      {
        std::lock_guard g(mu);
        if (done) return;
        done = true;
        h = std::move(handler);
      }
      h(canceled);
    }
    ~DelayedWorkItem() { cancel(); }
  };
  using WorkHandle = std::shared_ptr<DelayedWorkItem>;

  Scheduler(size_t threads, size_t lowLimit) : _lowLimit(lowLimit) {
    for (size_t i = 0; i < threads; ++i) _workers.emplace_back([this] { runWorker(); });
    _timer = std::thread([this] { runTimer(); });
  }

  void queue(RequestLane lane, std::function<void()> fn) {
    std::lock_guard g(_mu);
    _queues[size_t(PriorityRequestLane(lane))].push_back(std::move(fn));
    _cv.notify_all();
  }

  WorkHandle queueDelay(RequestLane lane, milliseconds delay, std::function<void(bool)> handler) {
    auto item = std::make_shared<DelayedWorkItem>();
    item->handler = std::move(handler);
    item->lane = lane;
    std::lock_guard g(_mu);
    _delayed.emplace(steady_clock::now() + delay, std::weak_ptr<DelayedWorkItem>(item));
    _cv.notify_all();
    return item;
  }

  void shutdown() {
    {
      std::lock_guard g(_mu);
      _stopping = true;
      _cv.notify_all();
    }
    for (auto& t : _workers) t.join();
    _timer.join();
  }

 private:
  void runWorker() {
    std::unique_lock lk(_mu);
    for (;;) {
      _cv.wait(lk, [this] { return _stopping || canPull(RequestPriority::HIGH) || canPull(RequestPriority::LOW); });
      if (_stopping) return;
      RequestPriority prio = canPull(RequestPriority::HIGH) ? RequestPriority::HIGH : RequestPriority::LOW;
      auto fn = std::move(_queues[size_t(prio)].front());
      _queues[size_t(prio)].pop_front();
      if (prio == RequestPriority::LOW) ++_ongoingLow;
      lk.unlock();
      fn();
      lk.lock();
      if (prio == RequestPriority::LOW) --_ongoingLow;
      _cv.notify_all();
    }
  }
  // LOW jobs may only occupy _lowLimit workers, so HIGH work always finds a thread.
  bool canPull(RequestPriority p) const {
    if (_queues[size_t(p)].empty()) return false;
    return p == RequestPriority::HIGH || _ongoingLow < _lowLimit;
  }
  void runTimer() {
    std::unique_lock lk(_mu);
    while (!_stopping) {
      if (_delayed.empty()) { _cv.wait(lk); continue; }
      auto due = _delayed.begin()->first;
      if (steady_clock::now() < due) { _cv.wait_until(lk, due); continue; }
      auto weak = _delayed.begin()->second;
      _delayed.erase(_delayed.begin());
      if (auto item = weak.lock()) {
        auto lane = item->lane;
        _queues[size_t(PriorityRequestLane(lane))].push_back([item] { item->run(false); });
        _cv.notify_all();
      }
    }
  }

  std::mutex _mu;
  std::condition_variable _cv;
  std::deque<std::function<void()>> _queues[2];
  std::multimap<steady_clock::time_point, std::weak_ptr<DelayedWorkItem>> _delayed;
  size_t _ongoingLow = 0;
  size_t const _lowLimit;
  bool _stopping = false;
  std::vector<std::thread> _workers;
  std::thread _timer;
};

Scheduler* SCHEDULER = nullptr;

// basics::ReadWriteLock, reduced: not owned by a thread (a managed transaction
// may be aborted, and its lock released, by another thread than the locker).
class ReadWriteLock {
  std::mutex _mu;
  std::condition_variable _cv;
  int _readers = 0;
  bool _writer = false;

 public:
  void lockWrite() {
    std::unique_lock lk(_mu);
    _cv.wait(lk, [this] { return !_writer && _readers == 0; });
    _writer = true;
  }
  void unlockWrite() {
    std::lock_guard g(_mu);
    _writer = false;
    _cv.notify_all();
  }
  void lockRead() {
    std::unique_lock lk(_mu);
    _cv.wait(lk, [this] { return !_writer; });  // LEAK
    ++_readers;
  }
  void unlockRead() {
    std::lock_guard g(_mu);
    --_readers;
    _cv.notify_all();
  }
};

struct LogicalCollection {
  std::string name;
  ReadWriteLock _lock;  // exclusive for SynchronizeShard, shared for document writes
};

namespace transaction {
class Manager {
  struct ManagedTrx {
    LogicalCollection* exclusive;
    steady_clock::time_point expires;
  };
  std::mutex _mu;
  std::map<uint64_t, ManagedTrx> _transactions;

 public:
  void beginExclusive(uint64_t tid, LogicalCollection& c, milliseconds ttl) {
    c._lock.lockWrite();
    std::lock_guard g(_mu);
    _transactions[tid] = {&c, steady_clock::now() + ttl};
  }
  bool garbageCollect(bool abortAll) {
    std::lock_guard g(_mu);
    for (auto it = _transactions.begin(); it != _transactions.end();) {
      if (abortAll || steady_clock::now() >= it->second.expires) {
        std::printf("aborting expired managed trx %llu\n", (unsigned long long)it->first);
        it->second.exclusive->_lock.unlockWrite();
        it = _transactions.erase(it);
      } else {
        ++it;
      }
    }
    return !_transactions.empty();
  }
};
}  // namespace transaction

class ManagerFeature {
  std::mutex _workItemMutex;
  Scheduler::WorkHandle _workItem;
  std::function<void(bool)> _gcfunc;
  bool _stopping = false;

  void queueGarbageCollection() {
    std::lock_guard guard(_workItemMutex);
    if (_stopping) return;
    _workItem = SCHEDULER->queueDelay(RequestLane::INTERNAL_LOW, milliseconds(100), _gcfunc);
  }

 public:
  transaction::Manager MANAGER;
  ManagerFeature() {
    _gcfunc = [this](bool canceled) {
      if (canceled) return;
      MANAGER.garbageCollect(/*abortAll*/ false);
      queueGarbageCollection();
    };
  }
  void start() { queueGarbageCollection(); }
  void beginShutdown() {
    Scheduler::WorkHandle item;
    {
      std::lock_guard guard(_workItemMutex);
      _stopping = true;
      item = std::move(_workItem);
    }
    item.reset();  // cancels the pending GC
    MANAGER.garbageCollect(/*abortAll*/ true);
  }
};

}  // namespace arangodb

int main() {
  using namespace arangodb;
  Scheduler scheduler(/*threads*/ 4, /*lowLimit*/ 2);
  SCHEDULER = &scheduler;
  ManagerFeature feature;
  LogicalCollection shard{"s100042", {}};

  // SynchronizeShard from a follower: exclusive lock in a managed trx; the
  // follower then loses its network and never finishes or aborts it.
  feature.MANAGER.beginExclusive(4711, shard, milliseconds(150));
  feature.start();

  std::latch requestsDone(2);
  for (int i = 0; i < 2; ++i) {
    SCHEDULER->queue(RequestLane::CLIENT_SLOW, [&shard, &requestsDone, i] {
      shard._lock.lockRead();  // RestDocumentHandler: insert into the shard
      std::printf("document insert %d done\n", i);
      shard._lock.unlockRead();
      requestsDone.count_down();
    });
  }

  requestsDone.wait();
  feature.beginShutdown();
  scheduler.shutdown();
  std::printf("server stopped\n");
  return 0;
}
