// Port: tendermint/tendermint#1673 ("fix possible mempool deadlock")
//   (Now cometbft/cometbft; looked into #1642, #1394, #1661.) The mempool tells
//   consensus that it has transactions through txsAvailable, a channel of
//   capacity 1, guarded by the notifiedTxsAvailable flag that Update() re-arms
//   after every committed block. notifyTxsAvailable() runs inside the ABCI
//   response callback (resCb): with the in-process local client, CheckTx()
//   holds the mempool's proxyMtx while the client invokes the callback. Only
//   the consensus receive routine drains txsAvailable, and only between
//   messages. When a height was committed without consensus draining the
//   notification of that height, the re-armed flag lets the next CheckTx() send
//   a second value into the full channel: the send blocks with proxyMtx held.
//   Consensus, still inside the handler that committed the block, moves on to
//   propose the next height and calls Reap(), which waits for proxyMtx. RPC
//   handlers pile up behind the consensus state lock.
// Style: (c) gochan.h (go::spawn goroutines, go::chan<int64_t> of capacity 1 for txsAvailable, go::Mutex for proxyMtx, go::select in the consensus receive routine, a std::function response callback in the local ABCI client)
// Bug class: lock held while blocking on a channel send whose only receiver needs that lock
// Shape: consensus starts handling the precommit that completes height 1 (a
//   block from another proposer) at t=0. tx1 is checked at t=20 ms and its
//   notification is buffered. In the same handler, Update() at t=50 ms removes
//   tx1 and re-arms the flag, then 100 ms of ApplyBlock precede proposing
//   height 2. tx2 arrives at t=100 ms: CheckTx() holds proxyMtx and the
//   callback's send on the full txsAvailable blocks; at t=150 ms consensus
//   blocks in Reap(). Node stop at t=400 ms cannot reach the consensus
//   routine; main's wait never returns.
// Fix: notifyTxsAvailable() sends with select/default ("channel cap is 1, so
//   this will send once"): when a notification is already pending, the new one
//   is dropped instead of blocking the mempool.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "gochan.h"

using Tx = std::string;

// abcicli.localClient: calls the application and the response callback
// synchronously, under the client's own mutex.
class LocalClient {
public:
  using Callback = std::function<void(const Tx &, int code)>;
  void SetResponseCallback(Callback cb) { resCb = std::move(cb); }
  void CheckTxAsync(const Tx &tx) {
    mtx.lock();
    int code = tx.empty() ? 1 : 0; // the app's CheckTx
    if (resCb)
      resCb(tx, code);
    mtx.unlock();
  }

private:
  go::Mutex mtx;
  Callback resCb;
};

class Mempool {
public:
  explicit Mempool(LocalClient *conn) : proxyAppConn(conn) {
    proxyAppConn->SetResponseCallback([this](const Tx &tx, int code) { resCb(tx, code); });
  }

  // Lock/Unlock: consensus must be able to hold the lock to safely update.
  void Lock() { proxyMtx.lock(); }
  void Unlock() { proxyMtx.unlock(); }

  go::chan<int64_t> TxsAvailable() const { return txsAvailable; }

  void CheckTx(const Tx &tx) {
    proxyMtx.lock();
    if (cache.insert(tx).second)
      proxyAppConn->CheckTxAsync(tx);
    proxyMtx.unlock();
  }

  std::vector<Tx> Reap(int maxTxs) {
    proxyMtx.lock();
    std::vector<Tx> out;
    for (auto &tx : txs)
      if (int(out.size()) < maxTxs)
        out.push_back(tx);
    proxyMtx.unlock();
    return out;
  }

  // Update: NOTE: unsafe; Lock/Unlock must be managed by caller.
  void Update(int64_t h, const std::vector<Tx> &committed) {
    height = h;
    notifiedTxsAvailable = false;
    for (auto &c : committed)
      for (auto it = txs.begin(); it != txs.end();)
        it = (*it == c) ? txs.erase(it) : it + 1;
  }

private:
  void resCb(const Tx &tx, int code) {
    if (code != 0)
      return;
    txs.push_back(tx);
    notifyTxsAvailable();
  }

  void notifyTxsAvailable() {
    if (txs.empty())
      return;
    if (!notifiedTxsAvailable) {
      // channel cap is 1, so this will send once
      notifiedTxsAvailable = true;
      go::select(go::case_send(txsAvailable, height + 1), go::case_default());
    }
  }

  go::Mutex proxyMtx;
  LocalClient *proxyAppConn;
  std::deque<Tx> txs;
  std::set<Tx> cache;
  int64_t height = 0;
  go::chan<int64_t> txsAvailable{1};
  bool notifiedTxsAvailable = false;
};

class ConsensusState {
public:
  explicit ConsensusState(Mempool *m) : mempool(m) {}

  // receiveRoutine handles one event at a time: peer messages, timeouts and
  // mempool notifications.
  void receiveRoutine() {
    for (;;) {
      int64_t h = 0;
      std::string msg;
      switch (go::select(go::case_recv(peerMsgQueue, &msg), go::case_recv(mempool->TxsAvailable(), &h),
                         go::case_recv(quit))) {
      case 0:
        handleMsg(msg);
        break;
      case 1:
        std::printf("consensus: txs available for height %lld\n", (long long)h);
        break;
      case 2:
        return;
      }
    }
  }

  go::chan<std::string> peerMsgQueue{16};
  go::chan<go::unit> quit{0};

private:
  // A +2/3 precommit for another proposer's block at height 1 completes the
  // commit; the same handler then starts height 2, where we are the proposer.
  void handleMsg(const std::string &msg) {
    if (msg != "precommit 1")
      return;
    go::sleep_ms(50);
    finalizeCommit(1, {"tx1"});
    go::sleep_ms(100); // ApplyBlock, save state
    enterPropose(2);
  }

  void finalizeCommit(int64_t h, const std::vector<Tx> &blockTxs) {
    mempool->Lock();
    mempool->Update(h, blockTxs);
    mempool->Unlock();
  }

  void enterPropose(int64_t h) {
    auto txs = mempool->Reap(100); // createProposalBlock
    std::printf("consensus: proposing height %lld with %zu txs\n", (long long)h, txs.size());
  }

  Mempool *mempool;
};

int main() {
  LocalClient client;
  Mempool mempool(&client);
  ConsensusState cs(&mempool);

  cs.peerMsgQueue.send("precommit 1");

  go::WaitGroup consensusDone;
  consensusDone.add(1);
  go::spawn([&cs, &consensusDone] {
    cs.receiveRoutine();
    consensusDone.done();
  });
  go::spawn([&mempool] { // mempool reactor: peers relay tx1, then tx2
    go::sleep_ms(20);
    mempool.CheckTx("tx1"); // its notification stays buffered: consensus is busy
    go::sleep_ms(80);
    mempool.CheckTx("tx2");
  });

  go::sleep_ms(400);
  cs.quit.close(); // node stop
  consensusDone.wait();
  go::wait_all_goroutines();
  return 0;
}
