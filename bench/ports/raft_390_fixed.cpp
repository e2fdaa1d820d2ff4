// Port: hashicorp/raft#390 ("futures can react to shutdown") -- FIXED version
//   (fixes hashicorp/raft#268 and supersedes #277): besides its main loop
//   (run -> runFollower/runCandidate/runLeader), a Raft node runs a
//   runSnapshots() goroutine. When a snapshot is due, takeSnapshot() asks
//   the main loop for the current configuration: it builds a
//   configurationsFuture, pushes it into the buffered configurationsCh
//   (capacity 8, so the push succeeds without the main loop) and then
//   blocks in the future's Error(), a receive on the future's errCh that
//   only the main loop answers (respond()). If Shutdown() runs right after
//   the push, the main loop leaves (its `for state == Follower` condition
//   fails, or it takes the shutdownCh case) without draining
//   configurationsCh, so nobody ever responds: takeSnapshot() waits forever
//   in Error(), runSnapshots() never returns, and the shutdownFuture's
//   Error(), which waits for every raft goroutine, hangs Shutdown() too.
// Style: (c) Go-style library (gochan.h: go::chan for configurationsCh,
//   errCh, rpcCh and shutdownCh, go::select for the loops, go::WaitGroup for
//   raft's routinesGroup, go::after for randomTimeout, go::spawn for goFunc)
// Bug class: channel receive with no sender: a request queued in a buffered
//   channel whose serving loop exits on shutdown, so its reply never comes
// Shape: the follower loop is busy applying an AppendEntries RPC (150 ms);
//   at 30 ms the snapshot timer fires and takeSnapshot() queues its
//   configurationsFuture and waits on it; at 80 ms Shutdown() closes
//   shutdownCh and sets the state to Shutdown; at 150 ms the follower loop
//   sees the state change and returns without looking at
//   configurationsCh. shutdownFuture.Error() waits for runSnapshots forever.
// Fix: deferError gets a ShutdownCh; takeSnapshot() sets it to the raft's
//   shutdownCh, and Error() selects on errCh and ShutdownCh, returning
//   ErrRaftShutdown when the node shuts down before the request is served.
#include "gochan.h"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace raft {

using error = std::string; // "" is nil
const error ErrRaftShutdown = "raft is already shutdown";

enum class RaftState { Follower, Candidate, Leader, Shutdown };

// deferError can be embedded to allow a future to provide an error later.
struct deferError {
  error err;
  std::optional<go::chan<error>> errCh; // nullopt is a nil channel
  bool responded = false;
  std::optional<go::chan<go::unit>> ShutdownCh; // set by callers that run outside the main loop

  void init() { errCh = go::chan<error>(1); }

  error Error() {
    if (!err.empty())
      return err;
    if (!errCh)
      throw go::panic("waiting for response on nil channel");
    if (!ShutdownCh) {
      err = errCh->recv().value_or("");
      return err;
    }
    error e;
    if (go::select(go::case_recv(*errCh, &e), go::case_recv(*ShutdownCh)) == 0)
      err = e;
    else
      err = ErrRaftShutdown;
    return err;
  }

  void respond(const error &e) {
    if (!errCh || responded)
      return;
    errCh->send(e);
    errCh->close();
    responded = true;
  }
};

struct Configuration {
  std::vector<std::string> servers;
};

struct configurationsFuture : deferError {
  Configuration configurations;
  uint64_t index = 0;
};

struct RPC {
  std::string command;
  uint64_t entries = 0;
};

struct Config {
  int snapshotIntervalMs = 30;
  uint64_t snapshotThreshold = 4;
  int applyCostMs = 150; // time to persist an AppendEntries batch
};

class Raft;

// shutdownFuture.Error() waits for every goroutine of the node.
struct shutdownFuture {
  Raft *raft;
  error Error();
};

class Raft {
public:
  explicit Raft(Config conf) : conf_(conf) {
    configuration_.servers = {"node-1", "node-2", "node-3"};
    lastLogIndex_ = 10;
  }

  void start() {
    goFunc([this] { run(); });
    goFunc([this] { runSnapshots(); });
  }

  // Transport side: an RPC from the leader, handed to the main loop.
  void deliverRPC(RPC rpc) { rpcCh_.send(rpc); }

  shutdownFuture Shutdown() {
    std::lock_guard lk(shutdownLock_);
    if (!shutdown_) {
      shutdownCh_.close();
      shutdown_ = true;
      setState(RaftState::Shutdown);
      return shutdownFuture{this};
    }
    return shutdownFuture{nullptr};
  }

  void waitShutdown() { goroutines_.wait(); }

private:
  template <typename F> void goFunc(F f) {
    goroutines_.add(1);
    go::spawn([this, f] {
      f();
      goroutines_.done();
    });
  }

  RaftState getState() const { return state_.load(); }
  void setState(RaftState s) { state_.store(s); }

  // run is the long-running main loop of the node.
  void run() {
    for (;;) {
      if (go::select(go::case_recv(shutdownCh_), go::case_default()) == 0)
        return;
      switch (getState()) {
      case RaftState::Follower:
        runFollower();
        break;
      case RaftState::Candidate:
      case RaftState::Leader:
        runFollower(); // not exercised by this port
        break;
      case RaftState::Shutdown:
        return;
      }
    }
  }

  void runFollower() {
    while (getState() == RaftState::Follower) {
      RPC rpc;
      std::shared_ptr<configurationsFuture> c;
      switch (go::select(go::case_recv(rpcCh_, &rpc), go::case_recv(configurationsCh_, &c),
                         go::case_recv(shutdownCh_))) {
      case 0:
        processRPC(rpc);
        break;
      case 1:
        c->configurations = configuration_;
        c->index = lastLogIndex_.load();
        c->respond("");
        break;
      case 2:
        return;
      }
    }
  }

  void processRPC(const RPC &rpc) {
    std::printf("follower: applying %s (%llu entries)\n", rpc.command.c_str(),
                static_cast<unsigned long long>(rpc.entries));
    go::sleep_ms(conf_.applyCostMs); // writes the batch to the log store
    lastLogIndex_ += rpc.entries;
  }

  // runSnapshots is a long running goroutine used to manage taking new
  // snapshots of the FSM.
  void runSnapshots() {
    for (;;) {
      int i = go::select(go::case_recv(go::after(std::chrono::milliseconds(conf_.snapshotIntervalMs))),
                         go::case_recv(shutdownCh_));
      if (i == 1)
        return;
      if (!shouldSnapshot())
        continue;
      error err = takeSnapshot();
      if (!err.empty())
        std::printf("snapshots: failed to take snapshot: %s\n", err.c_str());
    }
  }

  bool shouldSnapshot() const { return lastLogIndex_.load() - lastSnapshotIndex_ >= conf_.snapshotThreshold; }

  error takeSnapshot() {
    // The configuration is owned by the main loop: ask it through a future.
    auto configReq = std::make_shared<configurationsFuture>();
    configReq->init();
    configReq->ShutdownCh = shutdownCh_;
    if (go::select(go::case_send(configurationsCh_, configReq), go::case_recv(shutdownCh_)) == 1)
      return ErrRaftShutdown;
    error err = configReq->Error();
    if (!err.empty())
      return err;
    lastSnapshotIndex_ = configReq->index;
    std::printf("snapshots: snapshot at index %llu with %zu servers\n",
                static_cast<unsigned long long>(configReq->index), configReq->configurations.servers.size());
    return "";
  }

  Config conf_;
  std::atomic<RaftState> state_{RaftState::Follower};
  Configuration configuration_;
  std::atomic<uint64_t> lastLogIndex_{0};
  uint64_t lastSnapshotIndex_ = 0;

  go::chan<RPC> rpcCh_{0};
  go::chan<std::shared_ptr<configurationsFuture>> configurationsCh_{8};
  go::chan<go::unit> shutdownCh_{0};
  std::mutex shutdownLock_;
  bool shutdown_ = false;
  go::WaitGroup goroutines_;
};

error shutdownFuture::Error() {
  if (raft == nullptr)
    return "";
  raft->waitShutdown();
  return "";
}

} // namespace raft

int main() {
  raft::Raft r(raft::Config{});
  r.start();

  // The leader replicates a batch; the follower loop is busy with it.
  r.deliverRPC(raft::RPC{"AppendEntries", 3});

  // Meanwhile the snapshot timer fires (30 ms) and the node is shut down.
  go::sleep_ms(80);
  raft::error err = r.Shutdown().Error();
  std::printf("shutdown: %s\n", err.empty() ? "ok" : err.c_str());

  go::wait_all_goroutines();
  return 0;
}
