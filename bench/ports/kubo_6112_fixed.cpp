// Port: ipfs/kubo#6112 ("gc: fix a potential deadlock")
//   (go-ipfs at the time) `ipfs repo gc` calls gc.GC(), which takes the
//   blockstore's GC lock (gclocker: the write side of the RWMutex whose read
//   side, PinLock(), every add and pin takes) and returns a Result channel
//   with a buffer of 128 that a goroutine fills while it sweeps the
//   blockstore. Each removed key is sent in a select against ctx.Done(), but
//   a block that cannot be deleted is reported with a bare
//   `output <- Result{Error: &CannotDeleteBlockError{k, err}}`. The command
//   streams the results to the HTTP client and returns when Emit() fails.
//   If the user aborts the GC while the buffer is full and a DeleteBlock()
//   then fails, the sweep goroutine blocks in that send forever, never runs
//   its deferred unlocker.Unlock(), and every later add or pin waits for the
//   GC lock forever.
// Style: (c) Go-style library (gochan.h: go::chan for the Result and key
//   channels, go::select for the sweep loop, go::RWMutex for gclocker,
//   go::Context for the request context, go::spawn for the goroutines)
// Bug class: send with no receiver while holding a lock: the consumer leaves
//   on cancellation and the producer's unguarded error send blocks with the
//   GC lock held
// Shape: the sweep removes QmBlock000..128 (the command took the first result
//   and is stuck in Emit() on the stalled client, 128 sit in the buffer);
//   deleting QmBlock129 fails and its error send blocks on the full channel.
//   At 300 ms the client disconnects: the request context is cancelled,
//   Emit() fails and the command returns. The sweep goroutine stays blocked
//   holding the GC lock, and the following `ipfs add` waits in PinLock()
//   forever.
// Fix: the error sends on the output channel (the CannotDeleteBlockError
//   and the final ErrCannotDeleteSomeBlocks) select against ctx.Done(), as
//   the KeyRemoved send already did, so a cancelled GC leaves the sweep,
//   unlocks the GC lock and closes the channel.
#include "gochan.h"

#include <cstdio>
#include <functional>
#include <set>
#include <string>
#include <vector>

using Cid = std::string;
using error = std::string; // "" is nil

// ---- go-ipfs-blockstore: the GC-locking blockstore (gclocker) ----
struct Unlocker {
  std::function<void()> unlock;
  void Unlock() { unlock(); }
};

class GCBlockstore {
public:
  GCBlockstore(std::vector<Cid> keys, Cid unreadable) : keys_(std::move(keys)), unreadable_(std::move(unreadable)) {}

  // GCLock locks the blockstore for garbage collection: no adds or pins.
  Unlocker GCLock() {
    lk_.lock();
    return {[this] { lk_.unlock(); }};
  }
  // PinLock locks the blockstore for an add or a pin (shared with other pins).
  Unlocker PinLock() {
    lk_.rlock();
    return {[this] { lk_.runlock(); }};
  }

  go::chan<Cid> AllKeysChan(go::Context ctx) {
    go::chan<Cid> output(128); // dsq.KeysOnlyBufSize
    std::vector<Cid> keys = keys_;
    go::spawn([ctx, output, keys] {
      for (const Cid &k : keys)
        if (go::select(go::case_send(output, k), go::case_recv(ctx.done())) == 1)
          break;
      output.close();
    });
    return output;
  }

  error DeleteBlock(const Cid &k) {
    if (k == unreadable_)
      return "flatfs: remove " + k + ".data: permission denied";
    return "";
  }

private:
  go::RWMutex lk_;
  std::vector<Cid> keys_;
  Cid unreadable_;
};

// ---- pin.Pinner ----
struct Pinner {
  std::vector<Cid> recursive, direct;
  std::vector<Cid> RecursiveKeys() const { return recursive; }
  std::vector<Cid> DirectKeys() const { return direct; }
};

// ---- pin/gc ----
struct Result {
  Cid KeyRemoved;
  error Error;
};
const error ErrCannotDeleteSomeBlocks = "garbage collection incomplete: could not delete some blocks";

// ColoredSet computes the set of blocks reachable from the pins.
std::set<Cid> ColoredSet(go::Context, const Pinner &pn) {
  std::set<Cid> gcs;
  for (const Cid &c : pn.RecursiveKeys())
    gcs.insert(c); // plus descendants (Descendants/EnumerateChildren)
  for (const Cid &c : pn.DirectKeys())
    gcs.insert(c);
  return gcs;
}

// GC performs a mark and sweep garbage collection of the blocks in bs.
go::chan<Result> GC(go::Context ctx, GCBlockstore *bs, const Pinner *pn) {
  Unlocker unlocker = bs->GCLock();
  go::chan<Result> output(128);

  go::spawn([ctx, bs, pn, output, unlocker]() mutable {
    std::set<Cid> gcs = ColoredSet(ctx, *pn);
    go::chan<Cid> keychan = bs->AllKeysChan(ctx);
    bool errors = false;
    for (bool loop = true; loop;) {
      Cid k;
      bool ok = false;
      if (go::select(go::case_recv(keychan, &k, &ok), go::case_recv(ctx.done())) == 1)
        break; // case <-ctx.Done(): break loop
      if (!ok)
        break;
      if (gcs.count(k))
        continue;
      if (error err = bs->DeleteBlock(k); !err.empty()) {
        errors = true;
        if (go::select(go::case_send(output, Result{"", "cannot delete block " + k + ": " + err}),
                       go::case_recv(ctx.done())) == 1)
          break; // case <-ctx.Done(): break loop
        continue; // the error is non-fatal
      }
      if (go::select(go::case_send(output, Result{k, ""}), go::case_recv(ctx.done())) == 1)
        loop = false;
    }
    if (errors)
      go::select(go::case_send(output, Result{"", ErrCannotDeleteSomeBlocks}), go::case_recv(ctx.done()));
    unlocker.Unlock(); // defer unlocker.Unlock()
    output.close();    // defer close(output)
  });
  return output;
}

// ---- the HTTP API: the command's ResponseEmitter over the client connection ----
struct ResponseEmitter {
  go::chan<go::unit> connClosed; // closed when the client goes away
  // The CLI client stopped reading; the write blocks until the connection dies.
  error Emit(const Result &) {
    go::select(go::case_recv(connClosed));
    return "write tcp 127.0.0.1:5001: broken pipe";
  }
};

// core/commands: `ipfs repo gc --stream-errors`
error repoGcRun(go::Context reqCtx, GCBlockstore *bs, const Pinner *pn, ResponseEmitter &re) {
  go::chan<Result> gcOutChan = GC(reqCtx, bs, pn); // corerepo.GarbageCollectAsync
  for (Result res : gcOutChan) {
    if (error err = re.Emit(res); !err.empty())
      return err;
  }
  return "";
}

// core/coreunix: `ipfs add` takes the pin lock before writing blocks.
void addFile(GCBlockstore *bs, const char *name) {
  Unlocker pinLock = bs->PinLock();
  std::printf("add: %s added\n", name);
  pinLock.Unlock();
}

int main() {
  std::vector<Cid> keys;
  Pinner pinner;
  char buf[32];
  for (int i = 0; i < 10; ++i) {
    std::snprintf(buf, sizeof buf, "QmPinned%02d", i);
    keys.push_back(buf);
    pinner.recursive.push_back(buf);
  }
  for (int i = 0; i < 200; ++i) {
    std::snprintf(buf, sizeof buf, "QmBlock%03d", i);
    keys.push_back(buf);
  }
  GCBlockstore blockstore(keys, "QmBlock129");

  auto [reqCtx, cancel] = go::with_cancel();
  ResponseEmitter re;
  go::spawn([re, cancel] { // the user hits Ctrl-C on `ipfs repo gc`
    go::sleep_ms(300);
    re.connClosed.close();
    cancel();
  });

  error err = repoGcRun(reqCtx, &blockstore, &pinner, re);
  std::printf("repo gc: %s\n", err.c_str());

  addFile(&blockstore, "notes.txt");
  go::wait_all_goroutines();
  return 0;
}
