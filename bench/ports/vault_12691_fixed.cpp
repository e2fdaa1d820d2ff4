// Port: hashicorp/vault#12691 ("Fix a Deadlock on HA leadership transfer")
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
//   (fixes hashicorp/vault#12601 "Deadlock on HA leadership transfer when
//   standby was actively forwarding a request"): a standby Core forwards
//   client requests to the active node in ForwardRequest(), which read-locks
//   requestForwardingConnectionLock for the whole RPC and, once the response
//   is back, asks c.PerfStandby(), which read-locks stateLock. When the
//   standby wins the HA lock, waitForLeadership() write-locks stateLock and
//   runs postUnseal(), whose standardUnsealStrategy write-locks
//   requestForwardingConnectionLock to clear the forwarding clients. The two
//   goroutines take the two RWMutexes in opposite orders and hang forever;
//   every later request then queues up behind stateLock.
// Style: (d) standard library only (std::thread for the goroutines, std::shared_mutex for sync.RWMutex: lock()/unlock() = Lock/Unlock, lock_shared() via std::shared_lock = RLock; a sleep stands for the forwarded gRPC round trip)
// Bug class: lock-order inversion between two RWMutexes (a read lock held across a call that read-locks the other one, against a writer taking them the other way round)
// Shape: a request goroutine read-locks requestForwardingConnectionLock and
//   starts the forwarding RPC. Meanwhile the standby acquires leadership:
//   waitForLeadership() write-locks stateLock and unseal() asks for
//   requestForwardingConnectionLock in write mode, behind the reader. The RPC
//   returns and ForwardRequest() calls PerfStandby(), which waits for the
//   read side of stateLock, held in write mode by the leadership goroutine.
// Fix: ForwardRequest() reads PerfStandby() into a local before it takes
//   requestForwardingConnectionLock, so it never waits for stateLock while
//   holding the forwarding lock.
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>

using namespace std::chrono_literals;

struct ForwardedRequest {
  std::string path;
};
struct ForwardedResponse {
  int statusCode = 0;
  uint64_t lastRemoteWal = 0;
};

// forwarding.RequestForwardingClient: the gRPC client to the active node.
struct RequestForwardingClient {
  ForwardedResponse ForwardRequest(const ForwardedRequest &) {
    std::this_thread::sleep_for(40ms); // the round trip to the active node
    return {200, 7};
  }
};

class Core;

struct standardUnsealStrategy {
  void unseal(Core &c);
};

class Core {
public:
  Core() : rpcForwardingClient(std::make_unique<RequestForwardingClient>()) {}

  bool PerfStandby() {
    std::shared_lock l(stateLock);
    return perfStandby;
  }

  // ForwardRequest forwards a given request to the active node and returns
  // the response's status code.
  int ForwardRequest(const ForwardedRequest &req) {
    // Read the state before taking the forwarding lock: stateLock must not be
    // waited for while requestForwardingConnectionLock is held.
    const bool isPerfStandby = PerfStandby();
    std::shared_lock l(requestForwardingConnectionLock);
    if (!rpcForwardingClient)
      return 503; // ErrCannotForward
    ForwardedResponse resp = rpcForwardingClient->ForwardRequest(req);
    // A perf standby waits for the WAL to ship, for read-after-write.
    if (isPerfStandby && resp.lastRemoteWal > 0)
      waitForReplicationState(resp.lastRemoteWal);
    return resp.statusCode;
  }

  // The HA loop of a standby once it holds the HA lock.
  void waitForLeadership() {
    std::this_thread::sleep_for(10ms); // leadership arrives mid-request
    std::unique_lock l(stateLock);
    standby = false;
    postUnseal(standardUnsealStrategy{});
  }

  void clearForwardingClients() { rpcForwardingClient.reset(); }

  std::shared_mutex requestForwardingConnectionLock;

private:
  void postUnseal(standardUnsealStrategy s) { s.unseal(*this); }
  void waitForReplicationState(uint64_t) {}

  std::shared_mutex stateLock;
  bool standby = true;
  bool perfStandby = false;
  std::unique_ptr<RequestForwardingClient> rpcForwardingClient;
};

void standardUnsealStrategy::unseal(Core &c) {
  // Clear forwarding clients; this node is the active one now.
  std::unique_lock l(c.requestForwardingConnectionLock);
  c.clearForwardingClients();
}

int main() {
  Core c;
  // handleRequestForwarding: a client request reaching the standby.
  std::thread request([&] { c.ForwardRequest({"secret/data/app"}); });
  // runStandby: the standby wins the HA lock.
  std::thread leadership([&] { c.waitForLeadership(); });
  request.join();
  leadership.join();
}
