// Port: hashicorp/serf#507 ("Fix for deadlock between stats() in serf and getBroadcasts() in memberlist")
//   (Reported as hashicorp/consul#4011, "consul members" hanging.) Serf keeps
//   its member map under memberLock (a sync.RWMutex) and owns three
//   memberlist.TransmitLimitedQueue's (intents, events, queries). Each queue
//   has its own mutex and a NumNodes callback, wired to Serf.NumNodes, which
//   read-locks memberLock. Serf.Stats() read-locked memberLock with a defer and,
//   still holding it, asked each queue for NumQueued(), which takes the queue
//   mutex. memberlist's gossip goroutine calls the delegate's GetBroadcasts(),
//   which locks the queue mutex and then calls NumNodes() to compute the
//   retransmit limit: queue mutex -> memberLock. With Go's writer-preferring
//   RWMutex, a member event waiting for memberLock.Lock() between the two is
//   enough: gossip's RLock queues behind the writer, the writer waits for
//   Stats' RLock, and Stats waits for the queue mutex that gossip holds.
// Style: (c) gochan.h (go::spawn goroutines, go::RWMutex with Go's writer preference, go::Mutex, a std::function NumNodes callback in the queue, go::wait_all_goroutines)
// Bug class: lock-order inversion through a callback (RWMutex read lock -> queue mutex vs queue mutex -> read lock) closed by a pending writer
// Shape: the agent's Stats() takes memberLock.RLock at t=0 and spends 100 ms
//   on the member counts; a join event calls memberLock.Lock() at t=30 ms and
//   waits; the gossip tick at t=60 ms locks the intent queue and blocks in
//   NumNodes() behind the writer; at t=100 ms Stats() blocks on the intent
//   queue's mutex. All three goroutines block; wait_all_goroutines() hangs.
// Fix: Stats() computes the member counts under memberLock and releases it
//   before it asks the broadcast queues for their lengths.
#include <chrono>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gochan.h"

using namespace std::chrono_literals;

namespace memberlist {

struct Broadcast {
  std::string msg;
  int transmits = 0;
};

// TransmitLimitedQueue: broadcasts retransmitted a number of times scaled by
// the cluster size, which it learns through the NumNodes callback.
class TransmitLimitedQueue {
public:
  std::function<int()> NumNodes;
  int RetransmitMult = 4;

  void QueueBroadcast(const std::string &msg) {
    mu.lock();
    queue.push_back(Broadcast{msg, 0});
    mu.unlock();
  }

  std::vector<std::string> GetBroadcasts(int overhead, int limit) {
    mu.lock();
    std::vector<std::string> out;
    if (!queue.empty()) {
      int transmitLimit = retransmitLimit(RetransmitMult, NumNodes());
      int used = 0;
      for (auto &b : queue) {
        if (used + overhead + int(b.msg.size()) > limit || b.transmits >= transmitLimit)
          continue;
        used += overhead + int(b.msg.size());
        b.transmits++;
        out.push_back(b.msg);
      }
    }
    mu.unlock();
    return out;
  }

  int NumQueued() {
    mu.lock(); // LEAK
    int n = int(queue.size());
    mu.unlock();
    return n;
  }

private:
  static int retransmitLimit(int mult, int n) {
    int log = 1;
    while ((1 << log) < n + 1)
      ++log;
    return mult * log;
  }
  go::Mutex mu;
  std::deque<Broadcast> queue;
};

} // namespace memberlist

namespace serf {

enum class MemberStatus { Alive, Leaving, Left, Failed };

class Serf {
public:
  Serf() {
    for (auto *q : {&broadcasts, &eventBroadcasts, &queryBroadcasts})
      q->NumNodes = [this] { return NumNodes(); };
    members["node-a"] = MemberStatus::Alive;
    members["node-b"] = MemberStatus::Alive;
    members["node-c"] = MemberStatus::Failed;
  }

  int NumNodes() {
    memberLock.rlock();
    int n = int(members.size());
    memberLock.runlock();
    return n;
  }

  // Stats is used to provide operator debugging information (consul's
  // /v1/agent/self and "consul info").
  std::map<std::string, std::string> Stats() {
    memberLock.rlock();
    int failed = 0, left = 0;
    for (auto &[name, status] : members) {
      if (status == MemberStatus::Failed)
        ++failed;
      if (status == MemberStatus::Left)
        ++left;
    }
    go::sleep_ms(100); // forcing: a join event and a gossip tick arrive meanwhile
    std::map<std::string, std::string> stats{
        {"members", std::to_string(members.size())},
        {"failed", std::to_string(failed)},
        {"left", std::to_string(left)},
        {"intent_queue", std::to_string(broadcasts.NumQueued())},
        {"event_queue", std::to_string(eventBroadcasts.NumQueued())},
        {"query_queue", std::to_string(queryBroadcasts.NumQueued())},
    };
    memberLock.runlock(); // the deferred RUnlock
    return stats;
  }

  // handleNodeJoin is called by memberlist's event delegate.
  void handleNodeJoin(const std::string &name) {
    memberLock.lock();
    members[name] = MemberStatus::Alive;
    memberLock.unlock();
  }

  // delegate.GetBroadcasts, called from memberlist's gossip goroutine.
  std::vector<std::string> GetBroadcasts(int overhead, int limit) {
    auto msgs = broadcasts.GetBroadcasts(overhead, limit);
    auto ev = eventBroadcasts.GetBroadcasts(overhead, limit);
    msgs.insert(msgs.end(), ev.begin(), ev.end());
    return msgs;
  }

  memberlist::TransmitLimitedQueue broadcasts, eventBroadcasts, queryBroadcasts;

private:
  go::RWMutex memberLock;
  std::map<std::string, MemberStatus> members;
};

} // namespace serf

int main() {
  serf::Serf s;
  s.broadcasts.QueueBroadcast("join-intent node-d");

  go::spawn([&s] { // agent RPC: consul info
    auto st = s.Stats();
    std::printf("members=%s intent_queue=%s\n", st["members"].c_str(), st["intent_queue"].c_str());
  });
  go::spawn([&s] { // memberlist event delegate
    go::sleep_ms(30);
    s.handleNodeJoin("node-d");
  });
  go::spawn([&s] { // memberlist gossip tick
    go::sleep_ms(60);
    auto msgs = s.GetBroadcasts(2, 1400);
    std::printf("gossip: %zu broadcasts\n", msgs.size());
  });

  go::wait_all_goroutines();
  return 0;
}
