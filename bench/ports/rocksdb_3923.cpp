// Port: facebook/rocksdb#3923 ("fix deadlock with enable_pipelined_write=true and max_successive_merges > 0")
//   (reported in facebook/rocksdb#3916; release note of 5.15.0): with
//   pipelined writes, switching the memtable waits, under the DB mutex, for
//   the memtable writers in flight to finish. A memtable writer inserting a
//   Merge may, once max_successive_merges operands have piled up on the key,
//   read the key's current value through DB::Get, and Get can take the DB
//   mutex. The flush thread waits for the writer holding the mutex the writer
//   waits for.
// Style: (d) standard library only, C++-native (rocksdb's own idiom reduced: a DBImpl with its mutex_, a WriteThread with WaitForMemTableWriters(), a MemTableInserter path)
// Bug class: lock+cv: waiting on a condition variable while holding the mutex the notifier needs to get there
// Shape: a writer thread has joined the memtable-writer stage and applies a
//   Merge; the key already has max_successive_merges operands, so it calls
//   Get() to fold them, and Get() locks mutex_. Meanwhile Flush() locks
//   mutex_ and, in SwitchMemtable(), waits until no memtable writer is left.
//   The writer's ExitMemTableWriter() never comes.
// Fix: SwitchMemtable() unlocks mutex_ around WaitForMemTableWriters() and
//   relocks it afterwards.
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

class WriteThread {
public:
  void EnterMemTableWriter() {
    std::lock_guard lk(mu_);
    ++memtable_writers_;
  }
  void ExitMemTableWriter() {
    std::lock_guard lk(mu_);
    --memtable_writers_;
    cv_.notify_all();
  }
  // Waits until the memtable writer group in flight is done.
  void WaitForMemTableWriters() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return memtable_writers_ == 0; }); // LEAK: the writer needs the DB mutex the caller holds
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  int memtable_writers_ = 0;
};

struct Options {
  bool enable_pipelined_write = true;
  std::size_t max_successive_merges = 2;
};

class DBImpl {
public:
  explicit DBImpl(Options o) : options_(o) {}

  // The memtable stage of a pipelined write (runs without mutex_).
  void Merge(const std::string &key, const std::string &operand) {
    write_thread_.EnterMemTableWriter();
    std::this_thread::sleep_for(20ms); // the rest of the write group goes first
    MergeCF(key, operand);
    write_thread_.ExitMemTableWriter();
  }

  // DB::Get: a stale thread-local super version makes it take the DB mutex.
  std::string Get(const std::string &key) {
    std::lock_guard l(mutex_); // LEAK: Flush() holds mutex_ while it waits for this writer
    std::string v = imm_value_[key];
    for (const std::string &op : mem_[key])
      v += op;
    return v;
  }

  void Flush() {
    std::unique_lock l(mutex_);
    SwitchMemtable();
  }

private:
  // MemTableInserter::MergeCF
  void MergeCF(const std::string &key, const std::string &operand) {
    std::vector<std::string> *ops;
    {
      std::lock_guard l(mem_mu_);
      ops = &mem_[key];
    }
    if (options_.max_successive_merges > 0 && ops->size() >= options_.max_successive_merges) {
      std::string merged = Get(key) + operand; // read-before-write, then a Put
      std::lock_guard l(mem_mu_);
      ops->assign(1, merged);
      return;
    }
    std::lock_guard l(mem_mu_);
    ops->push_back(operand);
  }

  // Called with mutex_ held.
  void SwitchMemtable() {
    if (options_.enable_pipelined_write) {
      write_thread_.WaitForMemTableWriters();
    }
    std::lock_guard l(mem_mu_);
    for (auto &[k, ops] : mem_)
      for (const std::string &op : ops)
        imm_value_[k] += op;
    mem_.clear();
  }

  Options options_;
  std::mutex mutex_;  // the DB mutex
  std::mutex mem_mu_; // stands in for the memtable's own concurrency control
  WriteThread write_thread_;
  std::map<std::string, std::vector<std::string>> mem_;
  std::map<std::string, std::string> imm_value_;
};

int main() {
  DBImpl db(Options{});
  db.Merge("k", "a");
  db.Merge("k", "b"); // two successive merges on "k"
  std::thread writer([&] { db.Merge("k", "c"); }); // the third one folds them
  std::this_thread::sleep_for(5ms);
  std::thread flusher([&] { db.Flush(); }); // the memtable is full
  writer.join();
  flusher.join();
}
