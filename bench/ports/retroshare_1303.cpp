// Port: RetroShare/RetroShare#1303 ("fixed deadlock due to turtle calling addVirtualPeer for client services inside a mutex protected zone (breaks mutex order service > turtle)")
//   Turtle client services (here the GXS net tunnel service that backs
//   distant GXS sync) call into the turtle router while holding their own
//   mutex: RsGxsNetTunnelService::manage() takes mGxsNetTunnelMtx and asks
//   p3turtle::monitorTunnels() to dig tunnels for the group's hash, which
//   takes mTurtleMtx. The established lock order is therefore
//   service > turtle. When a tunnel request comes back answered, the turtle
//   thread's handleTunnelResult() registers the tunnel and tells the client
//   service about the new virtual peer by calling its addVirtualPeer() while
//   still inside its mTurtleMtx-protected zone; addVirtualPeer() takes
//   mGxsNetTunnelMtx. The turtle thread (turtle > service) and a GXS thread
//   managing another group (service > turtle) deadlock.
// Style: RetroShare's own wrappers: RsMutex (a named pthread_mutex_t with an
//   owner id), RsStackMutex / RS_STACK_MUTEX scoped locking, RsThread over
//   pthread_create / pthread_join with a data_tick() loop
// Bug class: lock-order inversion (AB-BA) between a service's mutex and the
//   turtle router's mutex through a client callback
// Shape: the GXS thread manages group A, which queues a tunnel request; at
//   50 ms the friend node answers it. The turtle thread enters
//   handleTunnelResult(), takes mTurtleMtx and registers the distant peer
//   (forcing: 100 ms). At 100 ms the GXS thread manages group B: it takes
//   mGxsNetTunnelMtx and blocks in monitorTunnels() on mTurtleMtx. At 150 ms
//   the turtle thread calls addVirtualPeer() and blocks on
//   mGxsNetTunnelMtx. main hangs joining the GXS thread.
// Fix: handleTunnelResult() only records the service, hash and virtual peer
//   id inside the mutex-protected zone and calls the client service's
//   addVirtualPeer() after leaving it.
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <string>

class RsMutex {
 public:
  explicit RsMutex(const std::string& name) : _thread_id(0), _name(name) {
    pthread_mutex_init(&realMutex, nullptr);
  }
  ~RsMutex() { pthread_mutex_destroy(&realMutex); }
  void lock() {
    pthread_mutex_lock(&realMutex);
    _thread_id = pthread_self();
  }
  void unlock() {
    _thread_id = 0;
    pthread_mutex_unlock(&realMutex);
  }
  const std::string& name() const { return _name; }

 private:
  pthread_mutex_t realMutex;
  pthread_t _thread_id;
  std::string _name;
};

class RsStackMutex {
 public:
  explicit RsStackMutex(RsMutex& mtx) : mMtx(mtx) { mMtx.lock(); }
  ~RsStackMutex() { mMtx.unlock(); }

 private:
  RsMutex& mMtx;
};
#define RS_STACK_MUTEX(m) RsStackMutex __local_retroshare_stack_mutex_##m(m)

class RsThread {
 public:
  virtual ~RsThread() = default;
  void start() { pthread_create(&mTid, nullptr, &RsThread::rsthread_init, this); }
  void join() { pthread_join(mTid, nullptr); }
  void askForStop() { mShouldStop = true; }
  bool shouldStop() const { return mShouldStop; }

 protected:
  virtual void run() = 0;

 private:
  static void* rsthread_init(void* p) {
    static_cast<RsThread*>(p)->run();
    return nullptr;
  }
  pthread_t mTid{};
  std::atomic<bool> mShouldStop{false};
};

typedef std::string TurtleFileHash;
typedef std::string TurtleVirtualPeerId;
typedef uint32_t TurtleTunnelId;
typedef uint32_t TurtleRequestId;
enum Direction { DIRECTION_CLIENT = 1, DIRECTION_SERVER = 2 };

struct RsTurtleTunnelOkItem {
  TurtleRequestId request_id;
  TurtleTunnelId tunnel_id;
};

class RsTurtleClientService {
 public:
  virtual ~RsTurtleClientService() = default;
  virtual void addVirtualPeer(const TurtleFileHash& hash, const TurtleVirtualPeerId& vpid, Direction dir) = 0;
};

// The friend node on the other side of the turtle link.
static RsMutex gNetMtx("network");
static std::deque<TurtleRequestId> gSentTunnelRequests;

class p3turtle : public RsThread {
 public:
  p3turtle() : mTurtleMtx("p3turtle"), mIncomingMtx("p3turtle incoming") {}

  void monitorTunnels(const TurtleFileHash& hash, RsTurtleClientService* client_service, bool /*allow_multi*/) {
    RS_STACK_MUTEX(mTurtleMtx);
    _incoming_file_hashes[hash] = client_service;
    TurtleRequestId id = ++_last_request_id;  // locked_diggTunnel()
    _tunnel_requests_origins[id] = hash;
    RS_STACK_MUTEX(gNetMtx);
    gSentTunnelRequests.push_back(id);
  }

  void recvItem(const RsTurtleTunnelOkItem& item) {
    RS_STACK_MUTEX(mIncomingMtx);
    _incoming.push_back(item);
  }

 protected:
  void run() override {
    while (!shouldStop()) {  // data_tick()
      bool have = false;
      RsTurtleTunnelOkItem item{};
      {
        RS_STACK_MUTEX(mIncomingMtx);
        if (!_incoming.empty()) {
          item = _incoming.front();
          _incoming.pop_front();
          have = true;
        }
      }
      if (have) handleTunnelResult(item);
      else usleep(10 * 1000);
    }
  }

 private:
  void handleTunnelResult(const RsTurtleTunnelOkItem& item) {
    RS_STACK_MUTEX(mTurtleMtx); /********** STACK LOCKED MTX ******/
    auto it = _tunnel_requests_origins.find(item.request_id);
    if (it == _tunnel_requests_origins.end()) return;
    const TurtleFileHash hash = it->second;
    TurtleVirtualPeerId vpid = locked_addDistantPeer(hash, item.tunnel_id);
    RsTurtleClientService* service = _incoming_file_hashes[hash];
    // Tell the client service about the new virtual peer.
    if (service) service->addVirtualPeer(hash, vpid, DIRECTION_CLIENT);
  }

  TurtleVirtualPeerId locked_addDistantPeer(const TurtleFileHash& hash, TurtleTunnelId tid) {
    usleep(100 * 1000);  // forcing: the turtle thread is preempted in here
    TurtleVirtualPeerId vpid = "vpid-" + hash + "-" + std::to_string(tid);
    _virtual_peers[vpid] = tid;
    return vpid;
  }

  RsMutex mTurtleMtx;
  RsMutex mIncomingMtx;
  std::map<TurtleFileHash, RsTurtleClientService*> _incoming_file_hashes;
  std::map<TurtleRequestId, TurtleFileHash> _tunnel_requests_origins;
  std::map<TurtleVirtualPeerId, TurtleTunnelId> _virtual_peers;
  std::deque<RsTurtleTunnelOkItem> _incoming;
  TurtleRequestId _last_request_id = 0;
};

class RsGxsNetTunnelService : public RsTurtleClientService {
 public:
  explicit RsGxsNetTunnelService(p3turtle* tr) : mGxsNetTunnelMtx("GxsNetTunnel"), mTurtle(tr) {}

  bool manage(const std::string& group_id) {
    TurtleFileHash hash = "h(" + group_id + ")";
    RS_STACK_MUTEX(mGxsNetTunnelMtx); /********** STACK LOCKED MTX ******/
    mHandledHashes[hash] = group_id;
    // Now ask the turtle router to manage a tunnel for that hash.
    mTurtle->monitorTunnels(hash, this, false);
    return true;
  }

  void addVirtualPeer(const TurtleFileHash& hash, const TurtleVirtualPeerId& vpid, Direction dir) override {
    RS_STACK_MUTEX(mGxsNetTunnelMtx); // LEAK
    std::printf("GxsNetTunnel: virtual peer %s for group %s (dir %d)\n", vpid.c_str(),
                mHandledHashes[hash].c_str(), int(dir));
    mVirtualPeers[vpid] = hash;
  }

 private:
  RsMutex mGxsNetTunnelMtx;
  p3turtle* mTurtle;
  std::map<TurtleFileHash, std::string> mHandledHashes;
  std::map<TurtleVirtualPeerId, TurtleFileHash> mVirtualPeers;
};

// RsGxsNetService's sync thread asking for distant sync of two groups.
class GxsSyncThread : public RsThread {
 public:
  explicit GxsSyncThread(RsGxsNetTunnelService* nt) : mNetTunnel(nt) {}

 protected:
  void run() override {
    mNetTunnel->manage("channel-A");
    usleep(100 * 1000);
    mNetTunnel->manage("channel-B");
    std::printf("GXS: distant sync requested for both groups\n");
  }

 private:
  RsGxsNetTunnelService* mNetTunnel;
};

int main() {
  p3turtle turtle;
  RsGxsNetTunnelService netTunnel(&turtle);
  GxsSyncThread gxs(&netTunnel);
  turtle.start();
  gxs.start();

  // The friend node answers the first tunnel request at ~50 ms.
  usleep(50 * 1000);
  TurtleRequestId id = 0;
  while (id == 0) {
    RS_STACK_MUTEX(gNetMtx);
    if (gSentTunnelRequests.empty()) continue;
    id = gSentTunnelRequests.front();
    gSentTunnelRequests.pop_front();
  }
  turtle.recvItem(RsTurtleTunnelOkItem{id, 0x1234});

  gxs.join();
  turtle.askForStop();
  turtle.join();
  std::printf("shutdown complete\n");
  return 0;
}
