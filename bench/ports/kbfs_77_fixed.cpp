// Port: keybase/kbfs#77 ("dirty_bcache: fix deadlock between bg goroutine and full channel")
//   libkbfs' DirtyBlockCacheStandard throttles writers: RequestPermissionToDirty()
//   queues a dirtyReq on requestsChan and hands the caller its response
//   channel, and the background processPermission() goroutine grants the
//   request (closes the channel) once acceptNewWrite(), under d.lock, finds
//   room in the wait buffer. Whenever the dirty byte counts go down
//   (UpdateSyncingBytes, BlockSyncFinished, SyncFinished, ...), the updater
//   wakes the background goroutine by sending on bytesDecreasedChan, a
//   channel with a buffer of one, and it does so while still holding
//   d.lock. If two decreases happen while the background goroutine is busy
//   with a request, the first fills the buffer and the second blocks on the
//   send with d.lock held; the background goroutine, the only receiver, then
//   blocks in acceptNewWrite() on d.lock. Neither ever proceeds, and the
//   writer waiting for its permission hangs with them.
// Style: (c) gochan.h (go::chan for requestsChan, bytesDecreasedChan,
//   shutdownChan and the permission channel, go::select in
//   processPermission(), go::RWMutex for d.lock and shutdownLock,
//   go::WaitGroup reqWg, go::spawn for the goroutines, go::wait_all_goroutines)
// Bug class: blocking send on a full buffered channel while holding the
//   mutex that the channel's only receiver must take before it receives again
// Shape: a writer asks for permission to dirty 256 KiB; the background
//   goroutine takes the request and is descheduled (forcing: 100 ms) before
//   it checks the buffers. Meanwhile a sync of an earlier file moves 512 KiB
//   from the wait buffer to the sync buffer (20 ms: first signal, fills the
//   buffer) and finishes its block put (40 ms: second signal, blocks holding
//   d.lock). At 100 ms the background goroutine blocks on d.lock; main waits
//   for its permission forever.
// Fix: the sends go through signalDecreasedBytes(), a select with a default
//   case: when a wake-up is already queued, one is enough and the new one is
//   dropped instead of blocking under the lock.
#include "gochan.h"

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <tuple>

namespace libkbfs {

using go::unit;
using DirtyPermChan = go::chan<unit>;
using error = std::string; // "" is nil

struct BlockPointer {
  std::string ID;
  uint64_t RefNonce = 0;
};
struct dirtyBlockID {
  std::string id;
  uint64_t refNonce;
  std::string branch;
  bool operator<(const dirtyBlockID &o) const {
    return std::tie(id, refNonce, branch) < std::tie(o.id, o.refNonce, o.branch);
  }
};
struct Block {
  std::string contents;
};
struct dirtyReq {
  go::chan<unit> respChan;
  int64_t bytes = 0;
};

class DirtyBlockCacheStandard {
public:
  explicit DirtyBlockCacheStandard(int64_t maxSyncBufCap) : maxSyncBufCap(maxSyncBufCap) {
    reqWg.add(1);
    go::spawn([this] { processPermission(); });
  }

  void Put(const BlockPointer &ptr, const std::string &branch, Block block) {
    lock.lock();
    cache[dirtyBlockID{ptr.ID, ptr.RefNonce, branch}] = std::move(block);
    lock.unlock();
  }

  void Delete(const BlockPointer &ptr, const std::string &branch) {
    lock.lock();
    cache.erase(dirtyBlockID{ptr.ID, ptr.RefNonce, branch});
    lock.unlock();
  }

  std::pair<DirtyPermChan, error> RequestPermissionToDirty(int64_t estimatedDirtyBytes) {
    shutdownLock.rlock();
    if (isShutdown) {
      shutdownLock.runlock();
      return {DirtyPermChan(), "ShutdownHappenedError"};
    }
    go::chan<unit> c;
    requestsChan.send(dirtyReq{c, estimatedDirtyBytes});
    shutdownLock.runlock();
    return {c, ""};
  }

  void signalDecreasedBytes() {
    switch (go::select(go::case_send(bytesDecreasedChan, unit{}), go::case_default())) {
    case 0:
      break;
    default:
      break; // already something queued there, and one is enough
    }
  }

  void UpdateUnsyncedBytes(int64_t newUnsyncedBytes, bool wasSyncing) {
    lock.lock();
    if (wasSyncing)
      syncBufBytes += newUnsyncedBytes;
    else
      waitBufBytes += newUnsyncedBytes;
    if (newUnsyncedBytes < 0)
      signalDecreasedBytes();
    lock.unlock();
  }

  // UpdateSyncingBytes: a sync has started and moved `size` bytes out of the wait buffer.
  void UpdateSyncingBytes(int64_t size) {
    lock.lock();
    syncBufBytes += size;
    waitBufBytes -= size;
    signalDecreasedBytes();
    lock.unlock();
  }

  // BlockSyncFinished: one block of the sync has been put to the server.
  void BlockSyncFinished(int64_t size) {
    lock.lock();
    if (size > 0)
      syncBufBytes -= size;
    else
      waitBufBytes -= size; // the block will be retried
    if (size > 0)
      signalDecreasedBytes();
    lock.unlock();
  }

  void SyncFinished(int64_t size) {
    lock.lock();
    if (size > 0)
      signalDecreasedBytes();
    lock.unlock();
  }

  error Shutdown() {
    shutdownLock.lock();
    isShutdown = true;
    shutdownChan.close();
    shutdownLock.unlock();
    reqWg.wait();
    lock.lock();
    error err;
    if (syncBufBytes != 0 || waitBufBytes != 0)
      err = "Unexpected dirty bytes leftover on shutdown: syncBuf=" + std::to_string(syncBufBytes) +
            ", waitBuf=" + std::to_string(waitBufBytes);
    lock.unlock();
    return err;
  }

private:
  bool acceptNewWrite(int64_t newBytes) {
    lock.lock();
    // Accept any write, as long as we're not already over the limits.
    bool canAccept = waitBufBytes < maxSyncBufCap * 2;
    if (canAccept)
      waitBufBytes += newBytes;
    lock.unlock();
    return canAccept;
  }

  void processPermission() {
    dirtyReq currentReq;
    bool haveReq = false;
    for (;;) {
      go::chan<dirtyReq> reqChan = requestsChan;
      if (haveReq)
        reqChan = go::chan<dirtyReq>(); // already waiting on a request: a nil channel
      dirtyReq r;
      switch (go::select(go::case_recv(shutdownChan), go::case_recv(bytesDecreasedChan),
                         go::case_recv(reqChan, &r))) {
      case 0:
        reqWg.done();
        return;
      case 1:
        break;
      case 2:
        currentReq = r;
        haveReq = true;
        std::printf("permission request for %lld bytes\n", (long long)r.bytes);
        go::sleep_ms(100); // forcing: the goroutine is descheduled before it checks the buffers
        break;
      }
      if (haveReq && acceptNewWrite(currentReq.bytes)) {
        currentReq.respChan.close(); // grant permission
        haveReq = false;
      }
    }
  }

  go::WaitGroup reqWg;
  go::chan<dirtyReq> requestsChan{1000};
  go::chan<unit> bytesDecreasedChan{1}; // signalled when syncs finish or dirty blocks are deleted
  go::chan<unit> shutdownChan{0};
  int64_t maxSyncBufCap; // writes are accepted while waitBuf < 2 * maxSyncBufCap

  go::RWMutex shutdownLock;
  bool isShutdown = false;

  go::RWMutex lock;
  std::map<dirtyBlockID, Block> cache;
  int64_t syncBufBytes = 0;
  int64_t waitBufBytes = 0;
};

} // namespace libkbfs

int main() {
  using namespace libkbfs;
  const int64_t KiB = 1024;
  DirtyBlockCacheStandard dbc(1024 * KiB);

  // An earlier write of /keybase/private/alice/notes.txt left 512 KiB dirty.
  BlockPointer notes{"notes-block-1", 0};
  dbc.Put(notes, "master", Block{"..."});
  dbc.UpdateUnsyncedBytes(512 * KiB, false);

  // The background flusher syncs it.
  go::spawn([&] {
    go::sleep_ms(20);
    dbc.UpdateSyncingBytes(512 * KiB);
    go::sleep_ms(20);
    dbc.BlockSyncFinished(512 * KiB);
    dbc.Delete(notes, "master");
    dbc.SyncFinished(512 * KiB);
    std::puts("notes.txt synced");
  });

  // A new write to photo.jpg waits for permission to dirty 256 KiB.
  auto [perm, err] = dbc.RequestPermissionToDirty(256 * KiB);
  if (!err.empty())
    return 1;
  perm.recv();
  std::puts("permission granted for photo.jpg");
  dbc.UpdateSyncingBytes(256 * KiB); // the write is synced straight away
  dbc.BlockSyncFinished(256 * KiB);
  dbc.SyncFinished(256 * KiB);

  go::sleep_ms(50);
  error serr = dbc.Shutdown();
  std::printf("shutdown: '%s'\n", serr.c_str());
  go::wait_all_goroutines();
  return 0;
}
