// Port: tikv/tikv#10910 ("raftstore: fix the issue deadlock between apply snapshot and create peer")
//   (fixes tikv/tikv#10909, "Raftstore deadlock during migrating regions";
//   the deadlock was introduced by tikv/tikv#10802.) A TiKV store keeps two
//   process-wide Arc<Mutex<..>> values that every raftstore poller thread can
//   touch: `store_meta` (region ranges, regions, pending snapshot regions) and
//   `global_replication_state` (DR-auto-sync label groups used to compute the
//   commit groups of a raft group). The store FSM creates a peer for an
//   unknown region in StoreFsmDelegate::maybe_create_peer_internal(): it locks
//   store_meta, checks for overlaps, builds the PeerFsm and then, still
//   holding store_meta, locks global_replication_state for
//   Peer::init_replication_mode(). #10802 taught the peer FSM to reassign the
//   commit groups once a snapshot changed the peer list: in
//   PeerFsmDelegate::on_ready_apply_snapshot() it locked
//   global_replication_state and, with that guard still alive, went on to
//   lock store_meta to update the region ranges. The two raftstore threads
//   take the two locks in opposite orders; when a snapshot is applied for one
//   region while a peer for another region is being created, each thread
//   holds one lock and waits for the other, and the whole store stops
//   (regions stop balancing, as reported in #10909).
// Style: (d) standard library only: std::thread for the two raftstore poller
//   threads, std::mutex (Arc<Mutex<T>> modelled as Shared<T>{mutex, value}),
//   std::unique_lock guards that live until the end of their scope as Rust's
//   MutexGuard does
// Bug class: lock-order inversion (ABBA) between store_meta and
//   global_replication_state across two poller threads
// Shape: raftstore-1 applies a snapshot for region 2 and takes the
//   replication state at ~0 ms, spending 50 ms computing commit groups
//   (forcing); at 20 ms raftstore-2 takes store_meta to create a peer for
//   region 3 and spends 50 ms building its PeerFsm (forcing). raftstore-1 then
//   waits for store_meta, raftstore-2 for the replication state; main's
//   joins of the poller threads never return.
// Fix: on_ready_apply_snapshot() confines the global_replication_state guard
//   to the commit-group block, so it is dropped before store_meta is locked;
//   the twin puts that code in its own scope.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace std::chrono_literals;
using u64 = std::uint64_t;

namespace raftstore {

// Arc<Mutex<T>>
template <typename T>
struct Shared {
  std::mutex mu;
  T value;
};

struct Peer {
  u64 id;
  u64 store_id;
};

struct Region {
  u64 id = 0;
  std::string start_key, end_key;
  std::vector<Peer> peers;
};

struct StoreMeta {
  std::map<std::string, u64> region_ranges;  // end_key -> region id
  std::map<u64, Region> regions;
  std::vector<u64> pending_snapshot_regions;
};

struct GlobalReplicationState {
  u64 state_id = 7;
  std::map<u64, u64> store_groups{{1, 1}, {2, 1}, {3, 2}};  // store -> label group

  std::vector<std::pair<u64, u64>> calculate_commit_group(u64 version, const std::vector<Peer>& peers) {
    std::vector<std::pair<u64, u64>> gb;
    if (version != state_id) return gb;
    for (const auto& p : peers) gb.emplace_back(p.id, store_groups[p.store_id]);
    std::this_thread::sleep_for(50ms);  // forcing: a large label map takes a while
    return gb;
  }
};

// Shared by every poller of the store (PollContext).
struct PollContext {
  std::shared_ptr<Shared<StoreMeta>> store_meta = std::make_shared<Shared<StoreMeta>>();
  std::shared_ptr<Shared<GlobalReplicationState>> global_replication_state =
      std::make_shared<Shared<GlobalReplicationState>>();
};

struct RaftPeer {
  Region region;
  u64 replication_mode_version = 7;
  std::vector<std::pair<u64, u64>> commit_groups;

  void init_replication_mode(GlobalReplicationState& state) {
    replication_mode_version = state.state_id;
    commit_groups = state.calculate_commit_group(replication_mode_version, region.peers);
  }
};

struct ApplySnapResult {
  Region prev_region;
  Region region;
};

class PeerFsmDelegate {
 public:
  PeerFsmDelegate(PollContext& ctx, RaftPeer& peer) : ctx(ctx), peer(peer) {}

  void on_ready_apply_snapshot(ApplySnapResult apply_result) {
    Region prev_region = std::move(apply_result.prev_region);
    Region region = std::move(apply_result.region);
    std::printf("[region %llu] snapshot is applied\n", (unsigned long long)region.id);

    std::unique_lock state_guard{ctx.global_replication_state->mu};
    if (prev_region.peers.size() != region.peers.size()) {
      auto& state = ctx.global_replication_state->value;
      peer.commit_groups.clear();  // clear_commit_group()
      peer.commit_groups = state.calculate_commit_group(peer.replication_mode_version, region.peers);
    }

    std::unique_lock meta_guard{ctx.store_meta->mu};  // LEAK
    auto& meta = ctx.store_meta->value;
    std::erase(meta.pending_snapshot_regions, region.id);
    meta.region_ranges.erase(prev_region.end_key);
    meta.region_ranges[region.end_key] = region.id;
    meta.regions[region.id] = region;
    peer.region = region;
  }

 private:
  PollContext& ctx;
  RaftPeer& peer;
};

class StoreFsmDelegate {
 public:
  explicit StoreFsmDelegate(PollContext& ctx) : ctx(ctx) {}

  bool maybe_create_peer_internal(u64 region_id, const Region& msg_region) {
    std::unique_lock meta_guard{ctx.store_meta->mu};
    auto& meta = ctx.store_meta->value;
    if (meta.regions.count(region_id)) return true;
    for (auto it = meta.region_ranges.upper_bound(msg_region.start_key); it != meta.region_ranges.end(); ++it) {
      const Region& exist = meta.regions[it->second];
      if (exist.start_key >= msg_region.end_key) break;
      return false;  // overlapped with an existing region
    }

    // PeerFsm::replicate(): build the raft storage of the new peer.
    auto new_peer = std::make_unique<RaftPeer>();
    new_peer->region = msg_region;
    std::this_thread::sleep_for(50ms);  // forcing: creating the peer storage is slow

    std::unique_lock state_guard{ctx.global_replication_state->mu};
    new_peer->init_replication_mode(ctx.global_replication_state->value);
    state_guard.unlock();

    meta.regions[region_id] = new_peer->region;
    created.push_back(std::move(new_peer));
    return true;
  }

  std::vector<std::unique_ptr<RaftPeer>> created;

 private:
  PollContext& ctx;
};

}  // namespace raftstore

int main() {
  using namespace raftstore;
  PollContext ctx;
  {
    auto& meta = ctx.store_meta->value;
    meta.regions[2] = Region{2, "a", "m", {{21, 1}, {22, 2}}};
    meta.region_ranges["m"] = 2;
  }
  RaftPeer peer2;
  peer2.region = ctx.store_meta->value.regions[2];

  // raftstore-1: the peer FSM of region 2 finishes applying a snapshot that
  // added a learner on store 3.
  std::thread raftstore1([&] {
    PeerFsmDelegate delegate{ctx, peer2};
    Region region{2, "a", "m", {{21, 1}, {22, 2}, {23, 3}}};
    delegate.on_ready_apply_snapshot({peer2.region, region});
  });

  // raftstore-2: the store FSM receives a raft message for unknown region 3.
  std::thread raftstore2([&] {
    std::this_thread::sleep_for(20ms);
    StoreFsmDelegate store{ctx};
    Region msg_region{3, "m", "z", {{31, 1}, {32, 3}}};
    bool created = store.maybe_create_peer_internal(3, msg_region);
    std::printf("[region 3] peer created: %d\n", created);
  });

  raftstore1.join();
  raftstore2.join();
  std::printf("regions: %zu\n", ctx.store_meta->value.regions.size());
  return 0;
}
