// GoKer port: goker/cockroach10214.go in the Go runtime's testgoroutineleakprofile (cockroachdb/cockroach#10214, fix 27e863d)
// Style: (d) standard library only (std::thread, std::mutex, std::lock_guard)
// Bug class: lock: AB-BA (the store's coalescedMu and a replica's raftMu, in opposite orders)
// Shape: Store::sendQueuedHeartbeats() holds coalescedMu (A) while it reports
//   each replica unreachable, which takes the replica's raftMu (B).
//   Replica::tick() holds raftMu (B), then r.mu, and maybeCoalesceHeartbeat()
//   takes the store's coalescedMu (A). Each thread holds the lock the other
//   needs.
// Fix: sendQueuedHeartbeats() takes the queued heartbeats out under
//   coalescedMu and releases it before it locks any raftMu (the kernel's
//   description: "unlock coalescedMu before locking raftMu").
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

class Store;

class Replica {
public:
  explicit Replica(Store &store) : store_(store) {}

  void reportUnreachable() {
    std::lock_guard<std::mutex> raft(raftMu_); // LEAK: B, held by tick(), which waits for A
  }

  void tick() {
    std::lock_guard<std::mutex> raft(raftMu_); // B
    std::this_thread::sleep_for(10ms);         // runtime.Gosched()
    tickRaftMuLocked();
  }

private:
  void tickRaftMuLocked() {
    std::lock_guard<std::mutex> guard(mu_);
    if (maybeQuiesceLocked())
      return;
  }

  bool maybeQuiesceLocked() {
    for (int i = 0; i < 2; ++i)
      if (!maybeCoalesceHeartbeat())
        return true;
    return false;
  }

  bool maybeCoalesceHeartbeat();

  std::mutex raftMu_;
  std::mutex mu_;
  Store &store_;
};

class Store {
public:
  void queueHeartbeatResponses(std::vector<int> rs) {
    std::lock_guard<std::mutex> guard(coalescedMu_);
    heartbeatResponses_ = std::move(rs);
  }
  void addReplica(int id, Replica *r) { replicas_[id] = r; }

  void sendQueuedHeartbeats() {
    std::lock_guard<std::mutex> coalesced(coalescedMu_); // A
    std::this_thread::sleep_for(10ms);                    // runtime.Gosched()
    for (std::size_t i = 0; i < heartbeatResponses_.size(); ++i)
      sendQueuedHeartbeatsToNode(); // B
  }

  std::mutex &coalescedMu() { return coalescedMu_; }

private:
  void sendQueuedHeartbeatsToNode() {
    for (std::size_t i = 0; i < replicas_.size(); ++i)
      replicas_[static_cast<int>(i)]->reportUnreachable(); // B
  }

  std::mutex coalescedMu_; // A: guards heartbeatResponses_
  std::vector<int> heartbeatResponses_;
  std::map<int, Replica *> replicas_;
};

bool Replica::maybeCoalesceHeartbeat() {
  switch (reinterpret_cast<std::uintptr_t>(this) % 3) {
  case 0:
  case 1:
  case 2:
    store_.coalescedMu().lock(); // LEAK: A, held by sendQueuedHeartbeats(), which waits for B
    break;
  default:
    return false;
  }
  store_.coalescedMu().unlock();
  return true;
}

int main() {
  Store store;
  store.queueHeartbeatResponses({1, 2});
  Replica rp1(store), rp2(store);
  store.addReplica(0, &rp1);
  store.addReplica(1, &rp2);

  std::thread g1([&store] { store.sendQueuedHeartbeats(); });
  std::thread g2([&rp1] { rp1.tick(); });
  g1.join();
  g2.join();
}
