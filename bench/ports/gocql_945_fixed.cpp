// Port: gocql/gocql#945 ("Avoided RLock being taken twice for same mutex variable of same host which leads to deadlock if any WLock is requested inbetween two RLock by other routine")
//   (now apache/cassandra-gocql-driver#945.) Every HostInfo guards its fields
//   with a sync.RWMutex. HostInfo.Equal() read-locks its own mutex and then
//   the other host's mutex before comparing the connect addresses. When a
//   node comes back up, the host-selection policy's cowHostList.add() calls
//   host.Equal(l[i]) for every host already in the list, and the list holds
//   the very same *HostInfo: Equal() takes the same RWMutex's read lock twice.
//   If, between the two RLock()s, another goroutine calls host.setState()
//   (Lock()) because the node is marked down, the writer waits for the first
//   reader, and Go's RWMutex makes the second RLock() wait for the pending
//   writer: the event goroutine and the pool goroutine deadlock (and every
//   later query that reads the host's state blocks behind them).
// Style: (c) gochan.h (go::RWMutex for sync.RWMutex with writer preference,
//   go::spawn for the event and pool goroutines, go::wait_all_goroutines);
//   std::mutex for cowHostList.mu
// Bug class: recursive read lock of a writer-preferring RWMutex with a
//   writer arriving between the two RLock()s
// Shape: a STATUS_CHANGE UP event for 10.0.0.1 (first in the policy's host
//   list) is handled at once; Equal() is preempted for 50 ms between its two
//   RLock()s (forcing). At 20 ms the connection pool fails to dial 10.0.0.1
//   and marks it down: setState() waits for the reader, the second RLock()
//   waits for the writer, and main waits for both goroutines forever.
// Fix: Equal() returns true at once when both pointers are the same host
//   ("prevent rlock reentry"), so the mutex is never read-locked twice.
#include "gochan.h"

#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace gocql {

enum nodeState { NodeUp, NodeDown };

class HostInfo {
public:
  HostInfo(std::string connectAddress, int port, std::string dataCenter)
      : connectAddress(std::move(connectAddress)), port(port), dataCenter(std::move(dataCenter)) {}

  bool Equal(HostInfo *host) {
    if (this == host) {
      // prevent rlock reentry
      return true;
    }
    mu.rlock();
    go::sleep_ms(50); // forcing: the event goroutine is preempted here
    host->mu.rlock();
    bool eq = connectAddress == host->connectAddress && port == host->port;
    host->mu.runlock();
    mu.runlock();
    return eq;
  }

  std::string ConnectAddress() {
    mu.rlock();
    std::string addr = connectAddress;
    mu.runlock();
    return addr;
  }

  nodeState State() {
    mu.rlock();
    nodeState s = state;
    mu.runlock();
    return s;
  }

  HostInfo *setState(nodeState s) {
    mu.lock();
    state = s;
    mu.unlock();
    return this;
  }

  bool IsUp() { return State() == NodeUp; }

private:
  go::RWMutex mu;
  std::string connectAddress;
  int port;
  std::string dataCenter;
  nodeState state = NodeUp;
};

// cowHostList is a copy-on-write list of hosts (policies.go).
class cowHostList {
public:
  std::shared_ptr<const std::vector<HostInfo *>> get() {
    std::lock_guard lk(mu);
    return list;
  }

  bool add(HostInfo *host) {
    std::lock_guard lk(mu);
    auto newL = std::make_shared<std::vector<HostInfo *>>();
    for (HostInfo *h : *list) {
      if (host->Equal(h))
        return false;
      newL->push_back(h);
    }
    newL->push_back(host);
    list = newL;
    return true;
  }

  void remove(const std::string &ip) {
    std::lock_guard lk(mu);
    auto newL = std::make_shared<std::vector<HostInfo *>>();
    for (HostInfo *h : *list)
      if (h->ConnectAddress() != ip)
        newL->push_back(h);
    list = newL;
  }

private:
  std::mutex mu;
  std::shared_ptr<const std::vector<HostInfo *>> list = std::make_shared<std::vector<HostInfo *>>();
};

class roundRobinHostPolicy {
public:
  void AddHost(HostInfo *host) { hosts.add(host); }
  void RemoveHost(HostInfo *host) { hosts.remove(host->ConnectAddress()); }
  void HostUp(HostInfo *host) { AddHost(host); }
  void HostDown(HostInfo *host) { RemoveHost(host); }
  cowHostList hosts;
};

class Session {
public:
  HostInfo *addHost(const std::string &ip, const std::string &dc) {
    ring[ip] = std::make_unique<HostInfo>(ip, 9042, dc);
    policy.AddHost(ring[ip].get());
    return ring[ip].get();
  }

  // events.go: a node announced UP by the control connection.
  void handleNodeUp(const std::string &ip) {
    HostInfo *host = getHost(ip);
    if (host == nullptr)
      return;
    std::printf("gocql: Session.handleNodeUp: %s\n", ip.c_str());
    policy.HostUp(host);
    host->setState(NodeUp);
  }

  // events.go / connectionpool.go: a node marked DOWN.
  void handleNodeDown(const std::string &ip) {
    HostInfo *host = getHost(ip);
    if (host == nullptr)
      return;
    std::printf("gocql: Session.handleNodeDown: %s\n", ip.c_str());
    host->setState(NodeDown);
    policy.HostDown(host);
  }

  roundRobinHostPolicy policy;

private:
  HostInfo *getHost(const std::string &ip) {
    auto it = ring.find(ip);
    return it == ring.end() ? nullptr : it->second.get();
  }
  std::map<std::string, std::unique_ptr<HostInfo>> ring;
};

} // namespace gocql

int main() {
  gocql::Session s;
  s.addHost("10.0.0.1", "dc1");
  s.addHost("10.0.0.2", "dc1");
  s.addHost("10.0.0.3", "dc1");

  // The control connection's event goroutine: STATUS_CHANGE UP 10.0.0.1.
  go::spawn([&] { s.handleNodeUp("10.0.0.1"); });

  // The host connection pool: dialing 10.0.0.1 times out, the host goes down.
  go::spawn([&] {
    go::sleep_ms(20);
    std::printf("gocql: unable to dial 10.0.0.1:9042: i/o timeout\n");
    s.handleNodeDown("10.0.0.1");
  });

  go::wait_all_goroutines();
  for (gocql::HostInfo *h : *s.policy.hosts.get())
    std::printf("policy host %s up=%d\n", h->ConnectAddress().c_str(), h->IsUp());
  std::printf("done\n");
  return 0;
}
