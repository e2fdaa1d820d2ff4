// Port: memgraph/memgraph#2984 ("Bugfix: Fix deadlock when using ASYNC replicas by skipping recovery tasks if lock cannot be obtained")
//   MAIN keeps one instance-level ReplicationClient per replica: an
//   rpc::Client whose mutex is held by every open stream (StreamHandler owns
//   the lock until the response is read) and a utils::ThreadPool with one
//   worker. Each database has a ReplicationStorageClient on top of it. A
//   commit opens a ReplicaStream (taking the RPC lock) on the committing
//   thread; for an ASYNC replica FinalizeTransactionReplication() moves the
//   stream into a task on the pool, so the lock is released only when that
//   task runs. Recovery (RecoverReplica) is queued on the same pool and
//   opens its own stream. Issue #2631: when a recovery task is ahead of a
//   commit task, the worker blocks on the RPC lock held by the stream that
//   waits in the queue behind it, and no replication task ever runs again.
// Style: (d) standard library only, C++-native (memgraph's idiom reduced: rpc::Client with Stream<Rpc>() returning a lock-owning StreamHandler, utils::ThreadPool with a worker count and AddTask(std::function<void()>), ReplicationClient / ReplicationStorageClient with a locked replica_state_, ASYNC mode)
// Bug class: thread-pool self-starvation: the only worker blocks on a mutex owned by a task queued behind it
// Shape: two databases replicate to one ASYNC replica. tenant_db's commit
//   is finalized on the worker (100 ms on the wire) and the replica answers
//   that it is behind, so the task queues RecoverReplica. The default
//   database's commit, waiting for the RPC lock, takes it as soon as that
//   finalize releases it and encodes deltas for 100 ms; the recovery task
//   (30 ms to compute its steps) then blocks on the RPC lock, and the
//   default database's finalize task, which owns the lock, is queued behind
//   it. Shutdown's join of the worker hangs.
// Fix: recovery tasks open their stream with try_lock; when the RPC lock is
//   taken they skip the recovery (the replica stays in RECOVERY and a later
//   check queues it again) and let the queued commit task run.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace memgraph {

namespace rpc {
struct AppendDeltasRpc {
  static constexpr const char *kName = "AppendDeltasRpc";
};
struct WalFilesRpc {
  static constexpr const char *kName = "WalFilesRpc";
};

class Client {
public:
  template <class TRequestResponse> class StreamHandler {
  public:
    explicit StreamHandler(std::unique_lock<std::mutex> guard) : guard_(std::move(guard)) {}
    void Write(std::string const &bytes) { payload_ += bytes; }
    void AwaitResponse() { std::this_thread::sleep_for(response_delay_); }
    void SetResponseDelay(std::chrono::milliseconds d) { response_delay_ = d; }

  private:
    std::unique_lock<std::mutex> guard_; // exclusive use of the connection, until destroyed
    std::string payload_;
    std::chrono::milliseconds response_delay_{0};
  };

  template <class TRequestResponse> StreamHandler<TRequestResponse> Stream() {
    auto guard = std::unique_lock{mutex_}; // LEAK: the commit stream holding it waits in the pool queue behind this task
    return StreamHandler<TRequestResponse>(std::move(guard));
  }

private:
  std::mutex mutex_;
};
} // namespace rpc

namespace utils {
class ThreadPool {
public:
  explicit ThreadPool(size_t pool_size) {
    for (size_t i = 0; i < pool_size; ++i)
      thread_pool_.emplace_back([this] { ThreadLoop(); });
  }
  ~ThreadPool() { Shutdown(); }
  void AddTask(std::function<void()> new_task) {
    {
      std::lock_guard l(pool_lock_);
      if (terminate_pool_)
        return;
      task_queue_.push_back(std::move(new_task));
    }
    queue_cv_.notify_one();
  }
  void Shutdown() { // runs what is queued, then joins the workers
    {
      std::lock_guard l(pool_lock_);
      terminate_pool_ = true;
    }
    queue_cv_.notify_all();
    for (auto &t : thread_pool_)
      if (t.joinable())
        t.join();
  }

private:
  void ThreadLoop() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock l(pool_lock_);
        queue_cv_.wait(l, [this] { return terminate_pool_ || !task_queue_.empty(); });
        if (task_queue_.empty())
          return;
        task = std::move(task_queue_.front());
        task_queue_.pop_front();
      }
      task();
    }
  }
  std::mutex pool_lock_;
  std::condition_variable queue_cv_;
  std::deque<std::function<void()>> task_queue_;
  bool terminate_pool_ = false;
  std::vector<std::thread> thread_pool_;
};
} // namespace utils

namespace replication {
struct ReplicationClient {
  std::string name_;
  rpc::Client rpc_client_;
  utils::ThreadPool thread_pool_{1}; // one worker per replica
};
} // namespace replication

namespace storage {
enum class ReplicaState { READY, REPLICATING, RECOVERY };

struct Storage {
  std::string name;
  bool replica_is_behind; // what the replica will answer for this database
};

class ReplicaStream {
public:
  explicit ReplicaStream(rpc::Client &client) : stream_(client.Stream<rpc::AppendDeltasRpc>()) {}
  void AppendDelta(std::string const &delta) { stream_.Write(delta); }
  bool Finalize(Storage const *storage) {
    stream_.SetResponseDelay(100ms); // on the wire
    stream_.AwaitResponse();
    return !storage->replica_is_behind;
  }

private:
  rpc::Client::StreamHandler<rpc::AppendDeltasRpc> stream_;
};

class ReplicationStorageClient {
public:
  explicit ReplicationStorageClient(replication::ReplicationClient &client) : client_(client) {}

  std::optional<ReplicaStream> StartTransactionReplication() {
    auto replica_stream = std::optional<ReplicaStream>{};
    replica_stream.emplace(client_.rpc_client_);
    std::lock_guard l(state_lock_);
    replica_state_ = ReplicaState::REPLICATING;
    return replica_stream;
  }

  // ASYNC mode: the stream (and the RPC lock it owns) goes to the worker.
  void FinalizeTransactionReplication(Storage *storage, std::optional<ReplicaStream> &&replica_stream) {
    auto stream = std::make_shared<ReplicaStream>(std::move(*replica_stream));
    client_.thread_pool_.AddTask([this, storage, stream]() mutable {
      bool const success = stream->Finalize(storage);
      std::lock_guard l(state_lock_);
      stream.reset();
      if (!success) {
        replica_state_ = ReplicaState::RECOVERY;
        client_.thread_pool_.AddTask([this, storage] { RecoverReplica(storage); });
        return;
      }
      replica_state_ = ReplicaState::READY;
    });
  }

  void RecoverReplica(Storage *storage) {
    std::this_thread::sleep_for(30ms); // GetRecoverySteps(): list the WAL files the replica lacks
    {
      auto stream = client_.rpc_client_.Stream<rpc::WalFilesRpc>();
      stream.Write("wal files for " + storage->name);
      stream.AwaitResponse();
    }
    storage->replica_is_behind = false;
    std::lock_guard l(state_lock_);
    replica_state_ = ReplicaState::READY;
    std::printf("replica %s recovered database %s\n", client_.name_.c_str(), storage->name.c_str());
  }

  void TryCheckReplicaStateAsync(Storage *storage) { // the frequent check
    std::lock_guard l(state_lock_);
    if (replica_state_ == ReplicaState::RECOVERY)
      client_.thread_pool_.AddTask([this, storage] { RecoverReplica(storage); });
  }

  ReplicaState State() {
    std::lock_guard l(state_lock_);
    return replica_state_;
  }

private:
  replication::ReplicationClient &client_;
  std::mutex state_lock_;
  ReplicaState replica_state_ = ReplicaState::READY;
};

// InMemoryStorage::Commit() for a MAIN with one ASYNC replica.
void Commit(Storage *storage, ReplicationStorageClient &client, std::chrono::milliseconds encode_time) {
  auto stream = client.StartTransactionReplication();
  stream->AppendDelta("txn deltas of " + storage->name);
  std::this_thread::sleep_for(encode_time);
  client.FinalizeTransactionReplication(storage, std::move(stream));
}
} // namespace storage
} // namespace memgraph

int main() {
  using namespace memgraph;
  storage::Storage tenant_db{"tenant_db", /*replica_is_behind=*/true};
  storage::Storage default_db{"memgraph", /*replica_is_behind=*/false};
  bool ready = false;
  {
    replication::ReplicationClient replica_1{"replica_1", {}};
    storage::ReplicationStorageClient tenant_client(replica_1);
    storage::ReplicationStorageClient default_client(replica_1);

    std::thread tenant_txn([&] { storage::Commit(&tenant_db, tenant_client, 0ms); });
    std::thread default_txn([&] {
      std::this_thread::sleep_for(50ms); // waits for the RPC lock held by tenant_db's stream
      storage::Commit(&default_db, default_client, 100ms);
    });
    tenant_txn.join();
    default_txn.join();

    std::this_thread::sleep_for(200ms);
    tenant_client.TryCheckReplicaStateAsync(&tenant_db);
    std::this_thread::sleep_for(200ms);
    replica_1.thread_pool_.Shutdown();
    ready = tenant_client.State() == storage::ReplicaState::READY &&
            default_client.State() == storage::ReplicaState::READY;
  }
  std::printf("replicas ready: %d\n", int(ready));
  return ready ? 0 : 1;
}
