// Port: StarRocks/starrocks#45977 ("[BugFix] Fix deadlock in LakeTabletsChannel")
//   A load into a shared-data (lake) table opens one LakeTabletsChannel per
//   index; every sender (an OlapTableSink instance) streams chunks through
//   add_chunk(), which holds the channel's BThreadSharedMutex _rw_mtx in
//   shared mode, and incremental_open() (a sender that meets a new automatic
//   partition) adds delta writers under _rw_mtx in exclusive mode. With
//   write_txn_log=false the txn logs are collected on the BE: sender 0's
//   eos add_chunk() waits on the TxnLogCollector until the last sender's eos
//   closes the channel and calls notify(). Sender 0 waited with its shared
//   lock `rolk` still held. A second sender that has to incremental_open()
//   before its eos asks for the exclusive lock and waits for sender 0; its
//   eos, the only notify(), never comes, and sender 0 waits forever.
// Style: (d) standard library only, C++-native (StarRocks's idiom reduced: bthreads::BThreadSharedMutex as a mutex/condition-variable rw lock, a TxnLogCollector with wait()/notify(), AsyncDeltaWriter finish() feeding the collector, senders as brpc worker threads)
// Bug class: lock held while blocking: a shared (read) lock held across a condition wait whose notifier first needs the exclusive lock
// Shape: open() with two senders. Sender 0 sends its eos: it is not the
//   last sender, so it waits for the txn logs holding _rw_mtx shared. 100 ms
//   later sender 1 hits a new partition and calls incremental_open(), which
//   waits for the exclusive lock; its eos add_chunk() is never reached.
//   main's join of the two sender threads hangs.
// Fix: add_chunk() calls rolk.unlock() before _txn_log_collector.wait(),
//   so incremental_open() and the last sender's eos can run and notify.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace bthreads {
// A shared mutex usable from bthreads (reduced to a mutex and a condition variable).
class BThreadSharedMutex {
public:
  void lock() {
    std::unique_lock l(_mtx);
    _cond.wait(l, [this] { return !_writer && _readers == 0; });
    _writer = true;
  }
  void unlock() {
    std::lock_guard l(_mtx);
    _writer = false;
    _cond.notify_all();
  }
  void lock_shared() {
    std::unique_lock l(_mtx);
    _cond.wait(l, [this] { return !_writer; });
    ++_readers;
  }
  void unlock_shared() {
    std::lock_guard l(_mtx);
    --_readers;
    _cond.notify_all();
  }

private:
  std::mutex _mtx;
  std::condition_variable _cond;
  int _readers = 0;
  bool _writer = false;
};
} // namespace bthreads

using TxnLogPtr = std::shared_ptr<std::string>;

namespace lake {
class AsyncDeltaWriter {
public:
  AsyncDeltaWriter(int64_t tablet_id, int64_t txn_id) : _tablet_id(tablet_id), _txn_id(txn_id) {}
  void write(int rows) { _rows += rows; }
  // kDontWriteTxnLog: the txn log is handed to the callback instead of being written.
  template <typename Cb> void finish(Cb cb) {
    cb(std::make_shared<std::string>("txn " + std::to_string(_txn_id) + " tablet " +
                                     std::to_string(_tablet_id) + " rows " + std::to_string(_rows)));
  }

private:
  int64_t _tablet_id;
  int64_t _txn_id;
  int _rows = 0;
};
} // namespace lake

class LakeTabletsChannel {
  class TxnLogCollector {
  public:
    void add(TxnLogPtr log) {
      std::lock_guard l(_mtx);
      _logs.emplace_back(std::move(log));
    }
    std::vector<TxnLogPtr> logs() {
      std::lock_guard l(_mtx);
      return _logs;
    }
    void wait() {
      std::unique_lock l(_mtx);
      while (!_notified) {
        _cond.wait(l);
      }
    }
    void notify() {
      {
        std::lock_guard l(_mtx);
        _notified = true;
      }
      _cond.notify_all();
    }

  private:
    std::mutex _mtx;
    std::condition_variable _cond;
    std::vector<TxnLogPtr> _logs;
    bool _notified = false;
  };

public:
  void open(int64_t txn_id, int num_senders, const std::vector<int64_t> &tablets) {
    std::unique_lock<bthreads::BThreadSharedMutex> l(_rw_mtx);
    _txn_id = txn_id;
    _num_remaining_senders = num_senders;
    _create_delta_writers(tablets);
  }

  void incremental_open(int sender_id, const std::vector<int64_t> &tablets) {
    std::unique_lock<bthreads::BThreadSharedMutex> l(_rw_mtx);
    _create_delta_writers(tablets);
    std::printf("sender %d: incremental_open added %zu tablet(s)\n", sender_id, tablets.size());
  }

  // Returns the txn logs handed back to the FE (only sender 0 collects them).
  std::vector<TxnLogPtr> add_chunk(int sender_id, int64_t tablet_id, int rows, bool eos) {
    std::shared_lock<bthreads::BThreadSharedMutex> rolk(_rw_mtx);
    if (rows > 0)
      _delta_writers.at(tablet_id)->write(rows);
    bool close_channel = false;
    if (eos) {
      std::lock_guard l(_senders_lock);
      close_channel = --_num_remaining_senders == 0;
    }
    if (close_channel) {
      for (auto &[id, dw] : _delta_writers)
        dw->finish([this](TxnLogPtr log) { _txn_log_collector.add(std::move(log)); });
      _txn_log_collector.notify();
    }
    if (eos && sender_id == 0) {
      // Release the read lock before waiting, so incremental_open() and the
      // last sender's eos can get in.
      rolk.unlock();
      _txn_log_collector.wait();
      return _txn_log_collector.logs();
    }
    return {};
  }

private:
  void _create_delta_writers(const std::vector<int64_t> &tablets) {
    for (int64_t id : tablets)
      _delta_writers.emplace(id, std::make_unique<lake::AsyncDeltaWriter>(id, _txn_id));
  }

  bthreads::BThreadSharedMutex _rw_mtx;
  int64_t _txn_id = -1;
  std::mutex _senders_lock;
  int _num_remaining_senders = 0;
  std::map<int64_t, std::unique_ptr<lake::AsyncDeltaWriter>> _delta_writers;
  TxnLogCollector _txn_log_collector;
};

int main() {
  LakeTabletsChannel channel;
  channel.open(/*txn_id=*/7001, /*num_senders=*/2, {10001});

  std::size_t collected = 0;
  std::thread sender0([&] {
    channel.add_chunk(0, 10001, 100, false);
    collected = channel.add_chunk(0, 10001, 0, /*eos=*/true).size();
  });
  std::this_thread::sleep_for(100ms); // sender 0 is now waiting for the txn logs
  std::thread sender1([&] {
    channel.add_chunk(1, 10001, 50, false);
    channel.incremental_open(1, {10002}); // a row for a new automatic partition
    channel.add_chunk(1, 10002, 20, false);
    channel.add_chunk(1, 10002, 0, /*eos=*/true);
  });
  sender0.join();
  sender1.join();
  std::printf("sender 0 collected %zu txn log(s)\n", collected);
  return collected == 2 ? 0 : 1;
}
