// GoKer port: gobench/goker/blocking/etcd/6708 (etcd-io/etcd#6708)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (c) Go-style library, include/gochan.h (go::RWMutex, go::spawn)
// Bug class: lock: double locking (read lock under one's own write lock)
// Shape: httpClusterClient.Sync() write-locks the client and calls
//   SetEndpoints(); with the prioritize-leader mode that asks the members API
//   for the leader, which calls c.Do(), which read-locks the same client: the
//   goroutine waits for itself.
// Fix: Sync() releases the client lock before SetEndpoints() asks the leader.
#include "gochan.h"
#include <memory>

enum class EndpointSelectionMode { random, prioritizeLeader };

struct HttpClusterClient;
struct MembersAPI {
  HttpClusterClient *client;
  void Leader();
};

struct HttpClusterClient {
  go::RWMutex mu;
  EndpointSelectionMode selectionMode;

  void getLeaderEndpoint() {
    MembersAPI mAPI{this};
    mAPI.Leader();
  }
  void SetEndpoints() {
    switch (selectionMode) {
    case EndpointSelectionMode::random:
      break;
    case EndpointSelectionMode::prioritizeLeader:
      getLeaderEndpoint();
      break;
    }
  }
  void Do() {
    mu.rlock();
    mu.runlock();
  }
  void Sync() {
    mu.lock();
    mu.unlock(); // the fix: the endpoints are updated without holding the client lock
    SetEndpoints();
  }
};

void MembersAPI::Leader() { client->Do(); }

int main() {
  go::spawn([] {
    auto hc = std::make_shared<HttpClusterClient>();
    hc->selectionMode = EndpointSelectionMode::prioritizeLeader;
    hc->Sync();
  });
  go::wait_all_goroutines();
}
