// Port: buraksezer/consistent#23 ("[Bug] RLock called twice in GetClosestN and cause the deadlock")
//   (the issue; fixed upstream by the unlocked getPartitionOwner() helper)
//   consistent (the bounded-load consistent-hashing ring under Olric and
//   others) guards its ring with a sync.RWMutex: Add()/Remove() take the
//   write lock and redistribute the partitions, lookups take the read lock.
//   GetClosestN() (the replica owners of a key) read-locks the mutex in
//   getClosestN() and, still holding it, calls the public
//   GetPartitionOwner(), which read-locks it again. Go's RWMutex prefers
//   writers: when a membership change calls Lock() between the two RLock()
//   calls, the Lock() waits for the first read lock to be released and the
//   second RLock() waits behind the pending Lock(): the lookup and the
//   membership change block each other forever, and so does every later
//   lookup.
// Style: (c) gochan.h (go::RWMutex for the ring's sync.RWMutex, go::spawn +
//   go::WaitGroup for the goroutines, go::sleep_ms, go::wait_all_goroutines)
// Bug class: recursive read lock on a writer-preferring RWMutex with a
//   writer queued in between
// Shape: a replication goroutine calls GetClosestN("user:42", 2) and holds
//   the read lock (a sleep widens the window to 100 ms). At 50 ms a member
//   joins: Add("node4") waits in Lock(). getClosestN() then calls
//   GetPartitionOwner(), whose RLock() queues behind the writer. main's
//   WaitGroup never completes.
// Fix: getClosestN() calls the unexported getPartitionOwner(), which reads
//   the partition table without locking (the caller already holds the read
//   lock); GetPartitionOwner() is the locked wrapper for outside callers.
#include "gochan.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

using Member = std::string; // Member.String()
using error = std::string;  // "" is nil
const error ErrInsufficientMemberCount = "insufficient member count";

struct hasher { // FNV-1a, a stand-in for the user's Hasher
  uint64_t Sum64(const std::string &b) const {
    uint64_t h = 14695981039346656037ull;
    for (unsigned char c : b)
      h = (h ^ c) * 1099511628211ull;
    return h;
  }
};

struct Config {
  int PartitionCount;
  int ReplicationFactor;
  double Load;
};

class Consistent {
public:
  Consistent(const std::vector<Member> &members, Config config) : config(config) {
    for (const Member &m : members)
      add(m);
    distributePartitions();
  }

  // Add adds a new member to the consistent hash circle.
  void Add(const Member &member) {
    mu.lock();
    if (!members.count(member)) {
      add(member);
      distributePartitions();
    }
    mu.unlock();
  }

  int FindPartitionID(const std::string &key) const {
    return int(h.Sum64(key) % uint64_t(config.PartitionCount));
  }

  // GetPartitionOwner returns the owner of the given partition.
  Member GetPartitionOwner(int partID) {
    mu.rlock();
    Member m = getPartitionOwner(partID);
    mu.runlock();
    return m;
  }

  // GetClosestN returns the closest N member to a key in the hash ring.
  std::pair<std::vector<Member>, error> GetClosestN(const std::string &key, int count) {
    return getClosestN(FindPartitionID(key), count);
  }

private:
  Member getPartitionOwner(int partID) { // not thread-safe
    auto it = partitions.find(partID);
    return it == partitions.end() ? Member() : it->second;
  }

  std::pair<std::vector<Member>, error> getClosestN(int partID, int count) {
    mu.rlock();
    std::vector<Member> res;
    if (count > int(members.size())) {
      mu.runlock();
      return {res, ErrInsufficientMemberCount};
    }
    go::sleep_ms(100); // (port) the window in which a writer queues up

    uint64_t ownerKey = 0;
    Member owner = getPartitionOwner(partID);
    // Hash and sort all the names.
    std::vector<uint64_t> keys;
    std::map<uint64_t, Member> kmems;
    for (const Member &name : members) {
      uint64_t key = h.Sum64(name);
      if (name == owner)
        ownerKey = key;
      keys.push_back(key);
      kmems[key] = name;
    }
    std::sort(keys.begin(), keys.end());
    // Find the key owner, then the closest (replica owner) members.
    size_t idx = std::find(keys.begin(), keys.end(), ownerKey) - keys.begin();
    res.push_back(kmems[keys[idx]]);
    while (int(res.size()) < count) {
      idx = (idx + 1) % keys.size();
      res.push_back(kmems[keys[idx]]);
    }
    mu.runlock();
    return {res, ""};
  }

  void add(const Member &member) {
    for (int i = 0; i < config.ReplicationFactor; i++) {
      uint64_t key = h.Sum64(member + std::to_string(i));
      ring[key] = member;
      sortedSet.push_back(key);
    }
    std::sort(sortedSet.begin(), sortedSet.end());
    members.insert(member);
  }

  double averageLoad() const {
    return std::ceil(double(config.PartitionCount) / double(members.size()) * config.Load);
  }

  void distributePartitions() {
    std::map<Member, double> loads;
    std::map<int, Member> parts;
    for (int partID = 0; partID < config.PartitionCount; partID++) {
      uint64_t key = h.Sum64(std::to_string(partID));
      size_t idx = std::lower_bound(sortedSet.begin(), sortedSet.end(), key) - sortedSet.begin();
      for (size_t count = 0;; count++, idx++) { // distributeWithLoad
        if (count > sortedSet.size())
          throw std::runtime_error("not enough room to distribute partitions");
        if (idx >= sortedSet.size())
          idx = 0;
        const Member &m = ring[sortedSet[idx]];
        if (loads[m] + 1 <= averageLoad()) {
          parts[partID] = m;
          loads[m]++;
          break;
        }
      }
    }
    partitions = parts;
  }

  go::RWMutex mu;
  Config config;
  hasher h;
  std::vector<uint64_t> sortedSet;
  std::set<Member> members;
  std::map<int, Member> partitions;
  std::map<uint64_t, Member> ring;
};

int main() {
  Consistent c({"node1", "node2", "node3"}, Config{23, 20, 1.25});
  go::WaitGroup wg;
  wg.add(2);
  go::spawn([&] { // a replication round: where do the copies of user:42 go?
    auto [owners, err] = c.GetClosestN("user:42", 2);
    if (err.empty())
      std::printf("user:42 -> %s, %s\n", owners[0].c_str(), owners[1].c_str());
    wg.done();
  });
  go::spawn([&] { // memberlist: node4 joins the cluster
    go::sleep_ms(50);
    c.Add("node4");
    std::printf("node4 added\n");
    wg.done();
  });
  wg.wait();
  go::wait_all_goroutines();
  std::printf("done\n");
  return 0;
}
