// Port: pingcap/tidb#61795 ("fix(runaway): resolve the dead channel in UpdateNewAndDoneWatch")
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
//   (fixes pingcap/tidb#61782 "dead chanel in UpdateNewAndDoneWatch", a Go
//   bug introduced by #52283): to stop logging errors while the runaway
//   watch tables do not exist yet, #52283 made Domain start a
//   runawayStartLoop that calls UpdateNewAndDoneWatch() every tick and only
//   starts RunawayRecordFlushLoop and RunawayWatchSyncLoop once it succeeds.
//   But UpdateNewAndDoneWatch() reads the watch table and sends each
//   already-expired record on the buffered staleQuarantineRecord channel
//   (capacity 1024), whose only receiver is RunawayRecordFlushLoop: after a
//   restart with more stale records than that, the send blocks in the very
//   goroutine that was to start the receiver, and runaway-related system
//   table reads/writes hang. The fix reverts #52283 (the loops start at once)
//   and avoids the error logs by checking that the tables exist.
// Style: (e) oneTBB (tbb::concurrent_bounded_queue with set_capacity() as Go's buffered channel: push() blocks when full, try_pop() in the receiver's poll loop); std::thread for goroutines and a small WaitGroup
// Bug class: channel with no receiver (yet): a bounded send issued before, and on the path that starts, its only consumer
// Shape: TiDB restarts with six stale quarantine records in
//   mysql.tidb_runaway_watch (the channel holds four here, 1024 upstream).
//   runawayStartLoop ticks and calls UpdateNewAndDoneWatch(); AddWatch()
//   pushes the expired records on staleQuarantineRecord and blocks on the
//   fifth, since RunawayRecordFlushLoop is only started after the call
//   returns. Domain::Close() sets exit and waits for its goroutines, among
//   them the blocked start loop.
// Fix: Domain starts RunawayRecordFlushLoop and RunawayWatchSyncLoop
//   directly (no start loop); UpdateNewAndDoneWatch() returns early while
//   the watch table does not exist.
#include <oneapi/tbb/concurrent_queue.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

class WaitGroup {
public:
  void Run(std::function<void()> fn) {
    std::lock_guard<std::mutex> l(mu_);
    threads_.emplace_back(std::move(fn));
  }
  void Wait() {
    for (;;) {
      std::thread t;
      {
        std::lock_guard<std::mutex> l(mu_);
        if (threads_.empty())
          return;
        t = std::move(threads_.back());
        threads_.pop_back();
      }
      t.join();
    }
  }

private:
  std::mutex mu_;
  std::vector<std::thread> threads_;
};

namespace runaway {

constexpr size_t maxWatchRecordChannelSize = 4; // 1024 upstream
constexpr auto runawayWatchSyncInterval = 5ms;  // time.Second upstream
constexpr auto runawayRecordFlushInterval = 5ms;
const Clock::time_point NullTime{};

struct QuarantineRecord {
  int64_t ID;
  std::string ResourceGroupName;
  Clock::time_point StartTime;
  Clock::time_point EndTime;
  std::string Watch;
};

// Reads mysql.tidb_runaway_watch (and _done) incrementally.
class syncer {
public:
  std::mutex mu;
  explicit syncer(std::vector<QuarantineRecord> rows) : watchTable_(std::move(rows)) {}

  bool checkWatchTableExist() { return true; } // the bootstrap has created it

  std::vector<QuarantineRecord *> getNewWatchRecords() {
    std::lock_guard<std::mutex> l(tableMu_);
    std::vector<QuarantineRecord *> out;
    for (; checkpoint_ < watchTable_.size(); ++checkpoint_)
      out.push_back(&watchTable_[checkpoint_]);
    return out;
  }
  void deleteWatchRecords(const std::vector<QuarantineRecord *> &records) {
    std::lock_guard<std::mutex> l(tableMu_);
    deleted_ += records.size();
  }
  size_t deleted() {
    std::lock_guard<std::mutex> l(tableMu_);
    return deleted_;
  }

private:
  std::mutex tableMu_;
  std::vector<QuarantineRecord> watchTable_;
  size_t checkpoint_ = 0;
  size_t deleted_ = 0;
};

class Manager {
public:
  Manager(std::vector<QuarantineRecord> watchTable, const std::atomic<bool> &exit)
      : runawaySyncer(std::move(watchTable)), exit_(exit) {
    staleQuarantineRecord.set_capacity(maxWatchRecordChannelSize);
  }

  // UpdateNewAndDoneWatch is used to update new and done watch items.
  bool UpdateNewAndDoneWatch() {
    std::lock_guard<std::mutex> l(runawaySyncer.mu);
    if (!runawaySyncer.checkWatchTableExist())
      return true;
    for (QuarantineRecord *r : runawaySyncer.getNewWatchRecords())
      AddWatch(r);
    return true;
  }

  // AddWatch is used to add watch items from system table.
  void AddWatch(QuarantineRecord *record) {
    auto ttl = record->EndTime - Clock::now();
    if (record->EndTime == NullTime) {
      ttl = Clock::duration::zero();
    } else if (ttl <= Clock::duration::zero()) {
      staleQuarantineRecord.push(record);
      return;
    }
    std::lock_guard<std::mutex> l(watchListMu_);
    watchList_[record->ResourceGroupName + "/" + record->Watch] = record;
  }

  // RunawayRecordFlushLoop deletes stale watch records in batches.
  void RunawayRecordFlushLoop() {
    std::vector<QuarantineRecord *> staleBatch;
    while (!exit_) {
      QuarantineRecord *r = nullptr;
      while (staleQuarantineRecord.try_pop(r))
        staleBatch.push_back(r);
      if (!staleBatch.empty()) {
        runawaySyncer.deleteWatchRecords(staleBatch);
        staleBatch.clear();
      }
      std::this_thread::sleep_for(runawayRecordFlushInterval);
    }
  }

  // RunawayWatchSyncLoop syncs the watch list with the system tables.
  void RunawayWatchSyncLoop() {
    while (!exit_) {
      std::this_thread::sleep_for(runawayWatchSyncInterval);
      UpdateNewAndDoneWatch();
    }
  }

  syncer runawaySyncer;

private:
  const std::atomic<bool> &exit_;
  tbb::concurrent_bounded_queue<QuarantineRecord *> staleQuarantineRecord;
  std::mutex watchListMu_;
  std::map<std::string, QuarantineRecord *> watchList_;
};

} // namespace runaway

class Domain {
  std::atomic<bool> exit{false};

public:
  explicit Domain(std::vector<runaway::QuarantineRecord> watchTable) : runawayManager(std::move(watchTable), exit) {}

  void Start() {
    wg.Run([this] { runawayManager.RunawayRecordFlushLoop(); });
    wg.Run([this] { runawayManager.RunawayWatchSyncLoop(); });
  }
  void Close() {
    exit = true; // close(do.exit)
    wg.Wait();
  }
  runaway::Manager runawayManager;

private:
  WaitGroup wg;
};

int main() {
  // Quarantine records written before the restart, all expired by now.
  std::vector<runaway::QuarantineRecord> watchTable;
  auto now = Clock::now();
  for (int64_t id = 1; id <= 6; ++id)
    watchTable.push_back({id, "rg1", now - 2h, now - 1h, "sql-digest-" + std::to_string(id)});

  Domain domain(std::move(watchTable));
  domain.Start();
  std::this_thread::sleep_for(100ms);
  domain.Close();
  return domain.runawayManager.runawaySyncer.deleted() == 6 ? 0 : 1;
}
