// Port: cockroachdb/pebble#557 ("db: force flush of queued memtables when
//   manually compacting") (fixes cockroachdb/pebble#556): DB.Compact(start,
//   end) first waits for every memtable overlapping the range to be flushed
//   (`<-mem.flushed()`). For the mutable memtable it forces a rotation with
//   makeRoomForWrite(nil), which marks it as a manual (forced) flush; for an
//   overlapping memtable already queued (immutable) it just waits. But queued memtables
//   are flushed only when maybeScheduleFlush()'s heuristic says so: it sums
//   the sizes of the ready immutable memtables (a forced one counts as a full
//   MemTableSize) and does not flush below MemTableSize/2, to avoid flushing
//   the small memtables of the start-up ramp (256 KB, 512 KB, ...). A small
//   rotated memtable overlapping the range is therefore never flushed and
//   the manual compaction waits forever.
// Style: (d) standard library only (std::mutex for DB.mu and commit.mu,
//   std::condition_variable for mu.compact.cond, std::promise /
//   std::shared_future for a flushable's `flushed` channel and a manual
//   compaction's `done`, std::thread for the flush and compaction goroutines)
// Bug class: a wait nobody ends: the waiter relies on background work that a
//   scheduling heuristic never starts
// Shape: main writes a000..a063 (4 KB each) into the first, 256 KB memtable;
//   writing m000 rotates it, so the queue holds it (immutable, 256 KB) and a
//   512 KB mutable memtable with m000..m009. maybeScheduleFlush() sees 256 KB
//   < 32 MB (MemTableSize 64 MB / 2) and schedules nothing. Compact("a000",
//   "a063") overlaps only the queued memtable and waits on its flushed
//   future forever.
// Fix: when Compact() finds an overlapping memtable it marks it flushForced
//   and calls maybeScheduleFlush(), so the threshold counts it as a full
//   memtable and a flush is scheduled.
#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

struct Options {
  uint64_t MemTableSize = 64 << 20;
};
constexpr uint64_t initialMemTableSize = 256 << 10;

// memTable: an arenaskl skiplist reduced to its key range and arena usage.
struct memTable {
  uint64_t capacity, used = 0;
  std::string smallest, largest;
  explicit memTable(uint64_t size) : capacity(size) {}
  bool prepare(uint64_t n) const { return used + n <= capacity; } // false: arenaskl.ErrArenaFull
  void apply(const std::string &key, uint64_t n) {
    used += n;
    if (smallest.empty() || key < smallest)
      smallest = key;
    if (key > largest)
      largest = key;
  }
};

struct flushableEntry {
  std::shared_ptr<memTable> flushable;
  std::promise<void> flushedP;
  std::shared_future<void> flushed = flushedP.get_future().share(); // closed once in L0
  bool flushForced = false;
  uint64_t totalBytes() const { return flushable->capacity; }
  bool readyForFlush() const { return true; } // no batch still writing into it
};
using entryPtr = std::shared_ptr<flushableEntry>;

bool ingestMemtableOverlaps(const entryPtr &mem, const std::string &start, const std::string &end) {
  const memTable &m = *mem->flushable;
  return m.used > 0 && !(m.largest < start || end < m.smallest);
}

struct manualCompaction { std::string start, end; std::promise<void> done; };

class DB {
  Options opts;
  std::mutex commitMu; // d.commit.mu
  std::mutex mu;       // d.mu
  struct {
    std::vector<entryPtr> queue; // oldest first; the mutable memtable is last
    entryPtr mutable_;
    uint64_t nextSize = initialMemTableSize;
  } mem;
  struct {
    bool flushing = false;
    int compactingCount = 0;
    std::vector<manualCompaction *> manual;
    std::condition_variable cond;
  } compact;
  std::vector<std::string> L0; // flushed sstables
  bool closed = false;
  std::vector<std::thread> goroutines;

  void newMemTable() {
    mem.mutable_ = std::make_shared<flushableEntry>();
    mem.mutable_->flushable = std::make_shared<memTable>(mem.nextSize);
    mem.queue.push_back(mem.mutable_);
    if (mem.nextSize < opts.MemTableSize)
      mem.nextSize = std::min<uint64_t>(mem.nextSize * 2, opts.MemTableSize);
  }

  // makeRoomForWrite: d.mu and d.commit.mu held; a null batch forces a rotation.
  void makeRoomForWrite(const uint64_t *batchSize) {
    if (batchSize && mem.mutable_->flushable->prepare(*batchSize))
      return;
    mem.mutable_->flushForced = batchSize == nullptr;
    newMemTable(); // the previous memtable stays queued, immutable
    maybeScheduleFlush();
  }

  void maybeScheduleFlush() { // d.mu held
    if (compact.flushing || closed || mem.queue.size() <= 1)
      return;
    size_t n = 0;
    uint64_t size = 0;
    for (; n < mem.queue.size() - 1; ++n) {
      if (!mem.queue[n]->readyForFlush())
        break;
      size += mem.queue[n]->flushForced ? opts.MemTableSize : mem.queue[n]->totalBytes();
    }
    if (n == 0)
      return;
    // Only flush once the queued memtables reach half the configured size:
    // this avoids flushing the small memtables of the start-up ramp.
    if (size < opts.MemTableSize / 2)
      return;
    compact.flushing = true;
    goroutines.emplace_back([this] { flush(); });
  }

  void flush() {
    std::unique_lock lk(mu);
    std::vector<entryPtr> flushing(mem.queue.begin(), mem.queue.end() - 1);
    lk.unlock();
    std::this_thread::sleep_for(std::chrono::milliseconds(20)); // write the L0 sstable
    lk.lock();
    for (auto &e : flushing) {
      L0.push_back(e->flushable->smallest + ".." + e->flushable->largest);
      e->flushedP.set_value(); // close(mem.flushed)
    }
    mem.queue.erase(mem.queue.begin(), mem.queue.begin() + flushing.size());
    compact.flushing = false;
    maybeScheduleFlush();
    maybeScheduleCompaction();
    compact.cond.notify_all();
  }

  void maybeScheduleCompaction() { // d.mu held
    if (closed || compact.compactingCount > 0 || compact.manual.empty())
      return;
    manualCompaction *m = compact.manual.front();
    compact.manual.erase(compact.manual.begin());
    compact.compactingCount++;
    goroutines.emplace_back([this, m] {
      std::this_thread::sleep_for(std::chrono::milliseconds(10)); // compact L0 into Lbase
      std::lock_guard lk(mu);
      std::printf("compacted [%s, %s] (%zu L0 tables)\n", m->start.c_str(), m->end.c_str(), L0.size());
      compact.compactingCount--;
      m->done.set_value();
      maybeScheduleCompaction();
      compact.cond.notify_all();
    });
  }

  void manualCompact(manualCompaction *manual) {
    std::future<void> done = manual->done.get_future();
    {
      std::lock_guard lk(mu);
      compact.manual.push_back(manual);
      maybeScheduleCompaction();
    }
    done.wait(); // <-manual.done
  }

public:
  explicit DB(Options o) : opts(o) {
    if (mem.nextSize > opts.MemTableSize)
      mem.nextSize = opts.MemTableSize;
    newMemTable();
  }

  void Set(const std::string &key, uint64_t valueSize) {
    std::lock_guard clk(commitMu);
    std::lock_guard lk(mu);
    makeRoomForWrite(&valueSize);
    mem.mutable_->flushable->apply(key, valueSize);
  }

  void Compact(const std::string &start, const std::string &end) {
    std::unique_lock lk(mu);
    // Determine if any memtable overlaps with the compaction range. We wait
    // for any such overlap to flush (initiating a flush if necessary).
    entryPtr overlap;
    if (ingestMemtableOverlaps(mem.mutable_, start, end)) {
      overlap = mem.mutable_;
      lk.unlock(); // lock order: commit.mu before DB.mu
      std::lock_guard clk(commitMu);
      lk.lock();
      if (overlap == mem.mutable_)
        makeRoomForWrite(nullptr);
    } else {
      // The queue is ordered from oldest to newest; wait for the newest overlap.
      for (size_t i = mem.queue.size(); i-- > 0;)
        if (ingestMemtableOverlaps(mem.queue[i], start, end)) {
          overlap = mem.queue[i];
          break;
        }
    }
    if (overlap) {
      overlap->flushForced = true;
      maybeScheduleFlush();
    }
    lk.unlock();
    if (overlap)
      overlap->flushed.wait();

    manualCompaction manual{start, end, {}};
    manualCompact(&manual);
  }

  void Close() {
    std::unique_lock lk(mu);
    closed = true;
    compact.cond.wait(lk, [this] { return !compact.flushing && compact.compactingCount == 0; });
    std::vector<std::thread> gs = std::move(goroutines);
    lk.unlock();
    for (auto &g : gs)
      g.join();
  }
};

int main() {
  DB db(Options{});
  char key[16];
  for (int i = 0; i < 64; ++i) { // fills the first (256 KB) memtable exactly
    std::snprintf(key, sizeof key, "a%03d", i);
    db.Set(key, 4096);
  }
  for (int i = 0; i < 10; ++i) { // rotates it; these go to the 512 KB memtable
    std::snprintf(key, sizeof key, "m%03d", i);
    db.Set(key, 4096);
  }
  db.Compact("a000", "a063");
  db.Close();
  return 0;
}
