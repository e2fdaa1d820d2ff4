// GoKer port: goker/cockroach3710.go in the Go runtime's testgoroutineleakprofile (cockroachdb/cockroach#3710, fix cb65190)
// Style: (d) standard library only (std::thread, std::mutex, a writer-preferring RWMutex on std::condition_variable, std::shared_lock)
// Bug class: lock: recursive read lock with a writer queued in between (RWR)
// Shape: ForceRaftLogScanAndProcess() read-locks the store and, for each
//   replica, adds it to the raft log queue; the queue's shouldQueue() asks
//   the store for its RaftStatus(), which read-locks the store again. The
//   raft processing thread asks for the write lock in between: the
//   writer-preferring lock holds the second read lock back behind the writer,
//   and the writer waits for the first read lock, held by the same thread.
// Fix (reconstructed; the upstream patch is not in the corpus, this is the
//   shape of the later upstream code): ForceRaftLogScanAndProcess() collects
//   the replicas under the read lock and releases it before adding them to
//   the queue.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

// Like Go's sync.RWMutex: once a writer waits, new readers wait behind it.
class RWMutex {
public:
  void lock() {
    std::unique_lock<std::mutex> lk(m_);
    ++waitingWriters_;
    writerCv_.wait(lk, [this] { return !writer_ && readers_ == 0; });
    --waitingWriters_;
    writer_ = true;
  }
  void unlock() {
    std::lock_guard<std::mutex> lk(m_);
    writer_ = false;
    writerCv_.notify_one();
    readerCv_.notify_all();
  }
  void lock_shared() {
    std::unique_lock<std::mutex> lk(m_);
    readerCv_.wait(lk, [this] { return !writer_ && waitingWriters_ == 0; });
    ++readers_;
  }
  void unlock_shared() {
    std::lock_guard<std::mutex> lk(m_);
    if (--readers_ == 0)
      writerCv_.notify_one();
  }

private:
  std::mutex m_;
  std::condition_variable readerCv_, writerCv_;
  int readers_ = 0;
  int waitingWriters_ = 0;
  bool writer_ = false;
};

class Store;

struct Replica {
  Store *store;
};

class RaftLogQueue {
public:
  void shouldQueue(Replica &r);
};

class BaseQueue {
public:
  void MaybeAdd(Replica &repl) {
    std::lock_guard<std::mutex> guard(mu_);
    impl_.shouldQueue(repl);
  }

private:
  std::mutex mu_;
  RaftLogQueue impl_;
};

class Store {
public:
  Store() {
    auto makeKey = [](const Replica *r) {
      return static_cast<int>((reinterpret_cast<std::uintptr_t>(r) >> 1) % 7);
    };
    for (int i = 0; i < 2; ++i) {
      owned_.push_back(std::make_unique<Replica>(Replica{this}));
      replicas_[makeKey(owned_.back().get())] = owned_.back().get();
    }
  }
  ~Store() {
    if (raftWorker_.joinable())
      raftWorker_.join();
  }

  void ForceRaftLogScanAndProcess() {
    std::shared_lock<RWMutex> rlock(mu_);
    std::this_thread::sleep_for(20ms); // runtime.Gosched(): the raft worker queues for the write lock
    for (auto &[key, r] : replicas_)
      raftLogQueue_.MaybeAdd(*r);
  }

  void RaftStatus() {
    std::shared_lock<RWMutex> rlock(mu_); // LEAK: second read lock, behind the queued writer
  }

  void processRaft() {
    raftWorker_ = std::thread([this] {
      for (;;) {
        std::vector<Replica *> replicas;
        {
          std::lock_guard<RWMutex> wlock(mu_); // LEAK: waits for the scan's first read lock
          for (auto &[key, r] : replicas_)
            replicas.push_back(r);
        }
        break;
      }
    });
  }

private:
  BaseQueue raftLogQueue_;
  std::map<int, Replica *> replicas_;
  std::vector<std::unique_ptr<Replica>> owned_;
  RWMutex mu_;
  std::thread raftWorker_;
};

void RaftLogQueue::shouldQueue(Replica &r) {
  r.store->RaftStatus(); // getTruncatableIndexes()
}

int main() {
  Store store;
  std::thread g1([&store] { store.ForceRaftLogScanAndProcess(); }); // G1
  std::this_thread::sleep_for(5ms); // G1 holds the read lock
  std::thread g2([&store] { store.processRaft(); }); // G2
  g1.join();
  g2.join();
}
