// Port: lightningnetwork/lnd#10719 ("htlcswitch: fix hodlQueue deadlock by stopping htlcManager first")
//   (issue #10718, "invoice registry deadlock via orphaned hodl subscription
//   after link shutdown"). A channel link parks hold-invoice HTLCs: its
//   htlcManager goroutine passes hodlQueue.ChanIn() (the unbuffered input of
//   a queue.ConcurrentQueue) to InvoiceRegistry.NotifyExitHopHtlc(), which
//   stores it in hodlSubscriptions; when the invoice is later settled or
//   cancelled, notifyHodlSubscribers() sends the resolution on that channel
//   while holding hodlSubscriptionsMux (selecting only on the registry's
//   own quit). channelLink.Stop() tore the hodl machinery down before it
//   stopped htlcManager: HodlUnsubscribeAll(), hodlQueue.Stop(), then
//   cg.Quit() and the wait. An htlcManager still processing a
//   RevokeAndAck in that window registers a new subscription on the dead
//   queue's ChanIn(); the next CancelInvoice() then blocks on a send nobody
//   will ever receive, with the registry locks held.
// Style: (c) Go-style gochan.h (go::chan for ChanIn/ChanOut and the link's
//   upstream and quit channels, go::select, go::Mutex for the registry's
//   locks, go::WaitGroup, go::spawn); ConcurrentQueue, InvoiceRegistry,
//   channelLink and its htlcManager loop reduced
// Bug class: shutdown order: a consumer (the queue goroutine) is stopped
//   before the producer that hands its channel out, so a later send on it
//   has no receiver
// Shape: the peer's RevokeAndAck reaches htlcManager at once; processing the
//   remote adds takes 200 ms. The link is stopped at 50 ms: the queue
//   goroutine exits, then Stop() waits for htlcManager, which registers the
//   hold HTLC on the dead ChanIn() and exits. main then cancels the invoice:
//   notifyHodlSubscribers() blocks on the send under hodlSubscriptionsMux and
//   the registry's main lock, and main never gets to stop the registry.
// Fix: Stop() first quits htlcManager and waits for it, then unsubscribes
//   the link's channel and stops the hodl queue, so no subscription can be
//   registered on a stopped queue.
#include "gochan.h"

#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <string>
#include <vector>

struct CircuitKey {
  uint64_t ChanID = 0;
  uint64_t HtlcID = 0;
  bool operator<(const CircuitKey &o) const {
    return ChanID != o.ChanID ? ChanID < o.ChanID : HtlcID < o.HtlcID;
  }
};

struct HtlcResolution {
  CircuitKey CircuitKey_;
  std::string Outcome; // "settle" / "cancel"
};

namespace queue {

// ConcurrentQueue: an unbounded queue between ChanIn() and ChanOut(), run by
// one goroutine until Stop().
class ConcurrentQueue {
  go::chan<HtlcResolution> chanIn_{0}, chanOut_{0};
  go::chan<go::unit> quit_{0};
  go::WaitGroup wg_;

public:
  go::chan<HtlcResolution> ChanIn() const { return chanIn_; }
  go::chan<HtlcResolution> ChanOut() const { return chanOut_; }

  void Start() {
    wg_.add(1);
    go::spawn([this] {
      std::deque<HtlcResolution> overflow;
      HtlcResolution item;
      go::unit u;
      for (;;) {
        if (overflow.empty()) {
          int k = go::select(go::case_recv(chanIn_, &item), go::case_recv(quit_, &u));
          if (k == 1)
            break;
          overflow.push_back(item);
        } else {
          int k = go::select(go::case_recv(chanIn_, &item), go::case_send(chanOut_, overflow.front()),
                             go::case_recv(quit_, &u));
          if (k == 2)
            break;
          if (k == 0)
            overflow.push_back(item);
          else
            overflow.pop_front();
        }
      }
      wg_.done();
    });
  }

  void Stop() {
    quit_.close();
    wg_.wait();
  }
};

} // namespace queue

namespace invoices {

class InvoiceRegistry {
  go::Mutex mu_; // the registry's main lock
  go::Mutex hodlSubscriptionsMux_;
  std::map<CircuitKey, std::vector<go::chan<HtlcResolution>>> hodlSubscriptions_;
  go::chan<go::unit> quit_{0};

  void notifyHodlSubscribers(const HtlcResolution &res) {
    hodlSubscriptionsMux_.lock();
    auto it = hodlSubscriptions_.find(res.CircuitKey_);
    if (it != hodlSubscriptions_.end()) {
      for (auto &subscriber : it->second) {
        go::unit u;
        if (go::select(go::case_send(subscriber, res), go::case_recv(quit_, &u)) == 1) {
          hodlSubscriptionsMux_.unlock();
          return;
        }
      }
      hodlSubscriptions_.erase(it);
    }
    hodlSubscriptionsMux_.unlock();
  }

public:
  // A hold invoice: the HTLC is held and its resolution comes later on hodlChan.
  void NotifyExitHopHtlc(const CircuitKey &key, go::chan<HtlcResolution> hodlChan) {
    mu_.lock();
    hodlSubscriptionsMux_.lock();
    hodlSubscriptions_[key].push_back(hodlChan);
    hodlSubscriptionsMux_.unlock();
    mu_.unlock();
  }

  void HodlUnsubscribeAll(go::chan<HtlcResolution> subscriber) {
    hodlSubscriptionsMux_.lock();
    for (auto &[key, subs] : hodlSubscriptions_)
      std::erase(subs, subscriber);
    std::erase_if(hodlSubscriptions_, [](auto &kv) { return kv.second.empty(); });
    hodlSubscriptionsMux_.unlock();
  }

  void CancelInvoice(const CircuitKey &key) {
    mu_.lock();
    notifyHodlSubscribers(HtlcResolution{key, "cancel"});
    mu_.unlock();
  }

  void Stop() { quit_.close(); }
};

} // namespace invoices

namespace htlcswitch {

struct RevokeAndAck {
  std::vector<CircuitKey> remoteAdds; // the exit-hop adds this revocation locks in
};

class channelLink {
  invoices::InvoiceRegistry *registry_;
  queue::ConcurrentQueue hodlQueue_;
  go::chan<RevokeAndAck> upstream_{0};
  go::chan<go::unit> quit_{0}; // cg.Quit()
  go::WaitGroup wg_;           // cg.WgWait()
  std::map<CircuitKey, bool> hodlMap_;

  void processExitHop(const CircuitKey &key) {
    registry_->NotifyExitHopHtlc(key, hodlQueue_.ChanIn());
    hodlMap_[key] = true; // held until the registry resolves it
  }

  void processRemoteAdds(const RevokeAndAck &msg) {
    go::sleep_ms(200); // write the forwarding package, decode the onions
    for (auto &key : msg.remoteAdds)
      processExitHop(key);
  }

  void htlcManager() {
    RevokeAndAck msg;
    HtlcResolution res;
    go::unit u;
    for (;;) {
      int k = go::select(go::case_recv(upstream_, &msg), go::case_recv(hodlQueue_.ChanOut(), &res),
                         go::case_recv(quit_, &u));
      if (k == 0)
        processRemoteAdds(msg);
      else if (k == 1)
        hodlMap_.erase(res.CircuitKey_);
      else
        break;
    }
    wg_.done();
  }

public:
  explicit channelLink(invoices::InvoiceRegistry *r) : registry_(r) {}

  go::chan<RevokeAndAck> Upstream() const { return upstream_; }

  void Start() {
    hodlQueue_.Start();
    wg_.add(1);
    go::spawn([this] { htlcManager(); });
  }

  void Stop() {
    quit_.close();
    wg_.wait();

    registry_->HodlUnsubscribeAll(hodlQueue_.ChanIn());
    hodlQueue_.Stop();
  }
};

} // namespace htlcswitch

int main() {
  invoices::InvoiceRegistry registry;
  htlcswitch::channelLink link(&registry);
  link.Start();

  CircuitKey key{0x9a0001, 7};
  go::spawn([ch = link.Upstream(), key] { // the peer's read handler
    ch.send(htlcswitch::RevokeAndAck{{key}});
  });

  go::sleep_ms(50);
  link.Stop(); // the peer disconnected
  std::printf("link stopped\n");

  registry.CancelInvoice(key); // CancelInvoice RPC
  std::printf("invoice cancelled\n");

  registry.Stop();
  go::wait_all_goroutines();
  return 0;
}
