// Port: dgraph-io/badger#1070 ("Fix deadlock in discard stats")
//   (issue #1032, "deadlock when writing into Badger using multiple
//   routines"). Badger's writes go through db.writeCh to the doWrites
//   goroutine, which makes room in the memtable (ensureRoomForWrite hands a
//   full memtable to flushChan, and retries every 10 ms while flushChan is
//   full); the flushMemtable goroutine turns each memtable into a level-0
//   table and stalls while L0 is full; the compactor empties L0. At the end
//   of compactBuildTables the compactor reported the value-log discard
//   stats through vlog.updateDiscardStats(), which wrote them back into the
//   DB like any key: sendToWriteCh() and req.Wait(), synchronously, before
//   the compacted L0 tables were deleted. With L0 full the flusher stalls,
//   flushChan fills, doWrites spins for room, and the discard-stats request
//   queued behind it is never written: the compactor waits on the write
//   pipeline that waits on the compactor.
// Style: (c) Go-style gochan.h (go::chan for writeCh/flushChan, go::select with a default case for the non-blocking flushChan send, go::WaitGroup for request.Wg, go::Mutex, a y.Closer written over a go::chan and a WaitGroup, go::spawn); DB/levelsController/valueLog reduced
// Bug class: circular wait through a pipeline: a background worker waits synchronously on a request that the pipeline can only serve after that worker finishes
// Shape: memtables hold 2 entries, L0 compacts at 2 tables and stalls at 2.
//   A writer commits 12 keys one at a time; after 5 memtables flushChan is
//   full, L0 is full and doWrites retries ensureRoomForWrite() forever. The
//   compactor (50 ms tick) compacts L0, builds for 100 ms, then pushes the
//   discard stats through writeCh and waits in req.Wait() forever; the
//   writer's own req.Wait() and main's wait for the writer hang behind it.
// Fix: updateDiscardStats() only sends the stats on the buffered
//   lfDiscardStats.flushChan; a dedicated flushDiscardStats goroutine merges
//   them and does the write, so compaction finishes and frees L0.
#include "gochan.h"

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

struct Entry {
  std::string Key, Value;
};

struct request {
  std::vector<Entry> Entries;
  go::WaitGroup Wg;
  int Err = 0;
  int Wait() {
    Wg.wait(); // LEAK
    return Err;
  }
};
using requestPtr = std::shared_ptr<request>;

// y.Closer
struct Closer {
  go::chan<go::unit> closed{0};
  go::WaitGroup wg;
  explicit Closer(int n) { wg.add(n); }
  void Signal() { closed.close(); }
  void Done() { wg.done(); }
  void SignalAndWait() {
    Signal();
    wg.wait();
  }
};

struct memTable {
  int n = 0;
  bool IsFull() const { return n >= 2; } // MaxTableSize reached
};
using memTablePtr = std::shared_ptr<memTable>;

constexpr int NumLevelZeroTables = 2;
constexpr int NumLevelZeroTablesStall = 2;
constexpr int errNoRoom = 1, ErrBlockedWrites = 2;

class DB;

class valueLog {
  DB *db_;
  go::Mutex lfDiscardStatsMu_; // lfDiscardStats embeds a sync.Mutex
  std::map<uint32_t, int64_t> m_;
  int updatesSinceFlush_ = 0;

public:
  explicit valueLog(DB *db) : db_(db) {}
  int flushDiscardStats();
  int updateDiscardStats(const std::map<uint32_t, int64_t> &stats) {
    lfDiscardStatsMu_.lock();
    for (auto &[fid, sz] : stats) {
      m_[fid] += sz;
      updatesSinceFlush_++;
    }
    lfDiscardStatsMu_.unlock();
    return flushDiscardStats(); // updatesSinceFlush > discardStatsFlushThreshold (0 here)
  }
  void Close() {}
};

class levelsController {
  DB *db_;
  go::Mutex mu_;
  int l0Tables_ = 0, l1Tables_ = 0;

public:
  Closer compactors{1};
  int compactions = 0;
  explicit levelsController(DB *db) : db_(db) {}
  bool tryAddLevel0Table() {
    mu_.lock();
    bool ok = l0Tables_ < NumLevelZeroTablesStall;
    if (ok)
      l0Tables_++;
    mu_.unlock();
    return ok;
  }
  void addLevel0Table() {
    while (!tryAddLevel0Table()) // Stall: wait for the compactor to empty L0
      go::sleep_ms(10);
  }
  int numL0() {
    mu_.lock();
    int n = l0Tables_;
    mu_.unlock();
    return n;
  }
  void runCompactDef(); // below, needs DB
  void runWorker() {
    for (;;) {
      int i = go::select(go::case_recv(compactors.closed), go::case_recv(go::after(std::chrono::milliseconds(50))));
      if (i == 0) {
        compactors.Done();
        return;
      }
      if (numL0() >= NumLevelZeroTables)
        runCompactDef();
    }
  }
};

class DB {
public:
  go::Mutex mu_; // db.Lock() guards mt and imm
  memTablePtr mt = std::make_shared<memTable>();
  std::vector<memTablePtr> imm;
  go::chan<requestPtr> writeCh{16};   // kvWriteChCapacity
  go::chan<memTablePtr> flushChan{1}; // NumMemtables - 1
  std::atomic<int> blockWrites{0};
  Closer writes{1}, memtable{1};
  levelsController lc{this};
  valueLog vlog{this};

  void Open() {
    go::spawn([this] { flushMemtable(); });
    go::spawn([this] { lc.runWorker(); });
    go::spawn([this] { doWrites(); });
  }

  requestPtr sendToWriteCh(std::vector<Entry> entries) {
    if (blockWrites.load())
      return nullptr; // ErrBlockedWrites
    auto req = std::make_shared<request>();
    req->Entries = std::move(entries);
    req->Wg.add(1);
    writeCh.send(req);
    return req;
  }
  int Update(const std::string &k, const std::string &v) { // txn.Commit
    requestPtr req = sendToWriteCh({{k, v}});
    return req ? req->Wait() : ErrBlockedWrites;
  }

  int ensureRoomForWrite() {
    mu_.lock();
    int err = 0;
    if (mt->IsFull()) {
      if (go::select(go::case_send(flushChan, mt), go::case_default()) == 0) {
        imm.push_back(mt);
        mt = std::make_shared<memTable>();
      } else {
        err = errNoRoom; // flushChan is full: the caller sleeps and retries
      }
    }
    mu_.unlock();
    return err;
  }
  void writeRequests(const requestPtr &r) {
    while (ensureRoomForWrite() == errNoRoom)
      go::sleep_ms(10); // "Making room for writes"
    mu_.lock();
    mt->n += (int)r->Entries.size(); // writeToLSM
    mu_.unlock();
    r->Wg.done();
  }
  void doWrites() {
    for (;;) {
      requestPtr r;
      if (go::select(go::case_recv(writes.closed), go::case_recv(writeCh, &r)) == 0) {
        writes.Done();
        return;
      }
      writeRequests(r);
    }
  }
  void flushMemtable() {
    for (memTablePtr ft : flushChan) {
      lc.addLevel0Table();
      mu_.lock();
      imm.erase(imm.begin());
      mu_.unlock();
    }
    memtable.Done();
  }

  void Close() {
    blockWrites.store(1);
    vlog.Close();
    writes.SignalAndWait();
    flushChan.close(); // the flusher may still need compactions to drain
    memtable.wg.wait();
    lc.compactors.SignalAndWait();
  }
};

void levelsController::runCompactDef() {
  go::sleep_ms(100); // compactBuildTables: merge L0 into L1
  std::map<uint32_t, int64_t> discardStats = {{0, 4096}};
  db_->vlog.updateDiscardStats(discardStats);
  mu_.lock(); // deleteTables: the compacted L0 tables are gone
  l1Tables_ += l0Tables_;
  l0Tables_ = 0;
  mu_.unlock();
  compactions++;
}

int valueLog::flushDiscardStats() {
  lfDiscardStatsMu_.lock();
  if (updatesSinceFlush_ == 0) {
    lfDiscardStatsMu_.unlock();
    return 0;
  }
  std::string encoded = "{\"0\":" + std::to_string(m_[0]) + "}";
  requestPtr req = db_->sendToWriteCh({{"!badger!discard", encoded}});
  if (!req) { // ErrBlockedWrites
    lfDiscardStatsMu_.unlock();
    return 0;
  }
  int err = req->Wait();
  updatesSinceFlush_ = 0;
  lfDiscardStatsMu_.unlock();
  return err;
}

int main() {
  DB db;
  db.Open();

  go::WaitGroup wg;
  wg.add(1);
  go::spawn([&] {
    for (int i = 0; i < 12; i++)
      db.Update("key" + std::to_string(i), "value");
    wg.done();
  });
  wg.wait();
  go::sleep_ms(200); // let compaction and the discard stats settle

  db.Close();
  go::wait_all_goroutines();
  std::printf("closed after %d compactions\n", db.lc.compactions);
  return 0;
}
