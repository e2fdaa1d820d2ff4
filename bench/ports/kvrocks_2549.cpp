// Port: apache/kvrocks#2549 ("fix(replication): didn't resume the db status after restarting full sync")
//   (the hang was reported as apache/kvrocks#2512, "Potential dead lock if
//   switching different master frequently"; #2516 narrowed it, #2549 closed
//   it by letting the replication thread be stopped while it waits.)
//   A kvrocks worker runs an exclusive command (SLAVEOF is one) under the
//   server-wide WorkExclusivityGuard, a unique lock on
//   works_concurrency_rw_lock_; ordinary commands take it shared. SLAVEOF
//   calls Server::AddMaster(), which first stops the previous replication
//   thread: ReplicationThread::Stop() sets stop_flag_ and joins it. After a
//   full sync fetched its files, that replication thread calls the
//   pre_fullsync callback, Server::PrepareRestoreDB(), which takes the same
//   exclusive guard to wait until no worker runs a command before closing the
//   DB. When a second SLAVEOF holds the guard while the first replication
//   thread arrives in PrepareRestoreDB(), the replication thread blocks on the
//   lock, and the worker holding the lock joins the replication thread.
// Style: (d) standard library: std::shared_mutex works_concurrency_rw_lock_, std::thread worker and replication threads, std::function pre/post full-sync callbacks, std::atomic flags
// Bug class: lock held while joining a thread that waits for the same lock (stop/join vs. a blocking acquire)
// Shape: at 0 ms client A's SLAVEOF starts replication thread R1, which
//   fetches SST files for 200 ms; at 100 ms client B's SLAVEOF takes the
//   exclusive guard and rewrites the config for 150 ms; at 200 ms R1 enters
//   PrepareRestoreDB() and blocks on the exclusive guard; at 250 ms B's
//   AddMaster() stops R1 and joins it. Both threads hang.
// Fix: PrepareRestoreDB() first sets is_loading_ (so new commands are refused),
//   then polls works_concurrency_rw_lock_.try_lock() and gives up, resetting
//   is_loading_ and returning false, as soon as its replication thread has
//   been asked to stop; the full-sync step then returns and the thread exits,
//   so the joining worker proceeds.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>

using namespace std::chrono_literals;

class ReplicationThread {
 public:
  using CallbackFunc = std::function<bool()>;
  ReplicationThread(std::string host, int port) : host_(std::move(host)), port_(port) {}

  void Start(CallbackFunc &&pre_fullsync_cb, std::function<void()> &&post_fullsync_cb) {
    pre_fullsync_cb_ = std::move(pre_fullsync_cb);
    post_fullsync_cb_ = std::move(post_fullsync_cb);
    t_ = std::thread([this] { run(); });
  }

  void Stop() {
    if (stop_flag_) return;
    stop_flag_ = true;
    if (t_.joinable()) t_.join();
    std::printf("[replication] stopped thread for %s:%d\n", host_.c_str(), port_);
  }

  bool IsStopped() const { return stop_flag_; }

 private:
  enum class CBState { QUIT, RESTART };

  void run() {
    while (!stop_flag_) {
      if (fullSyncReadCB() == CBState::QUIT) break;
    }
  }

  CBState fullSyncReadCB() {
    // parallelFetchFile(): fetch the checkpoint files from the master
    for (int i = 0; i < 20; i++) {
      if (stop_flag_) return CBState::QUIT;
      std::this_thread::sleep_for(10ms);
    }
    if (!pre_fullsync_cb_()) return CBState::RESTART;
    std::this_thread::sleep_for(20ms);  // storage_->RestoreFromCheckpoint()
    post_fullsync_cb_();
    std::printf("[replication] full sync from %s:%d done\n", host_.c_str(), port_);
    return CBState::QUIT;
  }

  std::string host_;
  int port_;
  std::thread t_;
  std::atomic<bool> stop_flag_{false};
  CallbackFunc pre_fullsync_cb_;
  std::function<void()> post_fullsync_cb_;
};

class Server {
 public:
  std::shared_lock<std::shared_mutex> WorkConcurrencyGuard() {
    return std::shared_lock<std::shared_mutex>(works_concurrency_rw_lock_);
  }
  std::unique_lock<std::shared_mutex> WorkExclusivityGuard() {
    return std::unique_lock<std::shared_mutex>(works_concurrency_rw_lock_);
  }
  bool IsLoading() const { return is_loading_; }

  void AddMaster(const std::string &host, int port) {
    if (replication_thread_) replication_thread_->Stop();
    replication_thread_ = std::make_unique<ReplicationThread>(host, port);
    replication_thread_->Start([this]() { return PrepareRestoreDB(); },
                               [this]() { is_loading_ = false; });
  }

  // Called by the replication thread when it finished fetching all files.
  // Before restoring the db, no worker may access it.
  bool PrepareRestoreDB() {
    std::printf("[server] Waiting workers for finishing executing commands...\n");
    {
      std::unique_lock<std::shared_mutex> exclusivity(works_concurrency_rw_lock_); // LEAK
      is_loading_ = true;
    }
    std::printf("[server] Waiting for closing DB...\n");
    return true;
  }

  void Shutdown() {
    if (replication_thread_) replication_thread_->Stop();
  }

 private:
  std::shared_mutex works_concurrency_rw_lock_;
  std::atomic<bool> is_loading_{false};
  std::unique_ptr<ReplicationThread> replication_thread_;
};

// A worker thread executing one client's command (redis_connection.cc).
void ExecuteSlaveOf(Server *srv, const char *client, const std::string &host, int port,
                    std::chrono::milliseconds config_rewrite) {
  if (srv->IsLoading()) {
    std::printf("%s: -LOADING restoring the db from backup\n", client);
    return;
  }
  auto exclusivity = srv->WorkExclusivityGuard();  // SLAVEOF is an exclusive command
  std::this_thread::sleep_for(config_rewrite);      // config rewrite, disconnect slaves...
  srv->AddMaster(host, port);
  std::printf("%s: +OK\n", client);
}

int main() {
  Server srv;
  std::thread client_a(ExecuteSlaveOf, &srv, "client A", "10.0.0.1", 6666, 0ms);
  client_a.join();

  std::this_thread::sleep_for(100ms);
  std::thread client_b(ExecuteSlaveOf, &srv, "client B", "10.0.0.2", 6666, 150ms);
  client_b.join();

  srv.Shutdown();
  std::printf("server stopped\n");
  return 0;
}
