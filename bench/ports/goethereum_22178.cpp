// Port: ethereum/go-ethereum#22178 ("eth/filters: fix potential deadlock in filter timeout loop")
//   (fixes ethereum/go-ethereum#22131) PublicFilterAPI.timeoutLoop() locks
//   filtersMu and calls Subscription.Unsubscribe() for every expired filter.
//   Unsubscribe hands the filter to the EventSystem's eventLoop on its
//   `uninstall` channel, draining the filter's own hashes channel meanwhile.
//   But eventLoop may be broadcasting a transaction to another, still active,
//   filter: it blocks sending on that filter's channel, whose reader (the
//   goroutine NewPendingTransactionFilter started) is blocked on filtersMu,
//   held by timeoutLoop. timeoutLoop -> eventLoop -> filter goroutine ->
//   timeoutLoop: no one moves again, and the node stops serving eth_ filters.
// Style: (c) gochan.h (go::chan, go::select, go::spawn, go::Mutex, go::after); go-ethereum's idiom reduced: EventSystem with its eventLoop and install/uninstall channels, Subscription with a sync.Once Unsubscribe that drains while uninstalling, PublicFilterAPI with filtersMu, a filters map, one goroutine per filter and the timeoutLoop
// Bug class: lock held while blocking on a channel, closing a cycle mutex -> channel send -> mutex across three goroutines
// Shape: filter A expires, filter B is active. The timeout loop locks
//   filtersMu and scans (100 ms here). tx1 is broadcast: A's and B's
//   goroutines receive it and block on filtersMu. tx2: eventLoop blocks
//   sending to A. Unsubscribe(A) drains tx2 from A; eventLoop moves on and
//   blocks sending to B; Unsubscribe(A) then waits in its select for an
//   uninstall that eventLoop will never receive. main's goleak check hangs.
// Fix: timeoutLoop only collects the expired subscriptions (and deletes the
//   filters) under filtersMu, and calls Unsubscribe() after unlocking.
#include "gochan.h"

#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

using Hashes = std::vector<std::string>;
using ID = int;

enum Type { PendingTransactionsSubscription };

// filters/filter_system.go
struct EsFilter {
  Type typ;
  ID id;
  go::chan<Hashes> hashes;
  go::chan<go::unit> installed{0}; // closed when the filter is installed
  go::chan<go::unit> err{0};       // closed when the filter is uninstalled
};

class EventSystem;

struct Subscription {
  ID id;
  std::shared_ptr<EsFilter> f;
  EventSystem *es;
  std::once_flag unsubOnce;
  go::chan<go::unit> Err() const { return f->err; }
  void Unsubscribe();
};

class EventSystem {
public:
  go::chan<Hashes> txsCh{16}; // core.NewTxsEvent feed, txChanSize
  go::chan<std::shared_ptr<EsFilter>> install{0};
  go::chan<std::shared_ptr<EsFilter>> uninstall{0};
  go::chan<go::unit> quit{0};

  EventSystem() {
    go::spawn([this] { eventLoop(); });
  }

  std::shared_ptr<Subscription> SubscribePendingTxs(go::chan<Hashes> hashes) {
    auto f = std::make_shared<EsFilter>(EsFilter{PendingTransactionsSubscription, nextID_++, hashes});
    auto sub = std::make_shared<Subscription>();
    sub->id = f->id;
    sub->f = f;
    sub->es = this;
    install.send(f);
    f->installed.recv();
    return sub;
  }

private:
  void eventLoop() {
    std::map<ID, std::shared_ptr<EsFilter>> index; // index[PendingTransactionsSubscription]
    for (;;) {
      Hashes ev;
      std::shared_ptr<EsFilter> f;
      switch (go::select(go::case_recv(txsCh, &ev), go::case_recv(install, &f), go::case_recv(uninstall, &f),
                         go::case_recv(quit))) {
      case 0: // handleTxsEvent
        for (auto &[id, flt] : index)
          flt->hashes.send(ev);
        break;
      case 1:
        index[f->id] = f;
        f->installed.close();
        break;
      case 2:
        index.erase(f->id);
        f->err.close();
        break;
      default:
        return;
      }
    }
  }
  ID nextID_ = 1;
};

void Subscription::Unsubscribe() {
  std::call_once(unsubOnce, [this] {
    for (;;) {
      // write the uninstall request and consume hashes, so that eventLoop's
      // broadcast to this filter cannot block meanwhile
      if (go::select(go::case_send(es->uninstall, f), go::case_recv(f->hashes)) == 0) // LEAK
        break;
    }
    // wait for the filter to be uninstalled by eventLoop
    Err().recv();
  });
}

// filters/api.go
struct filter {
  Type typ;
  go::chan<go::unit> deadline; // time.Timer.C
  Hashes hashes;
  std::shared_ptr<Subscription> s;
};

class PublicFilterAPI {
public:
  PublicFilterAPI(EventSystem *events, int timeoutMs, int tickMs) : events_(events), timeoutMs_(timeoutMs) {
    go::spawn([this, tickMs] { timeoutLoop(tickMs); });
  }

  ID NewPendingTransactionFilter() {
    go::chan<Hashes> pendingTxs(0);
    std::shared_ptr<Subscription> pendingTxSub = events_->SubscribePendingTxs(pendingTxs);
    filtersMu_.lock();
    filters_[pendingTxSub->id] =
        std::make_shared<filter>(filter{PendingTransactionsSubscription, go::after(std::chrono::milliseconds(timeoutMs_)), {}, pendingTxSub});
    filtersMu_.unlock();

    go::spawn([this, pendingTxs, pendingTxSub] {
      for (;;) {
        Hashes ph;
        if (go::select(go::case_recv(pendingTxs, &ph), go::case_recv(pendingTxSub->Err())) == 0) {
          filtersMu_.lock();
          auto it = filters_.find(pendingTxSub->id);
          if (it != filters_.end())
            it->second->hashes.insert(it->second->hashes.end(), ph.begin(), ph.end());
          filtersMu_.unlock();
        } else {
          filtersMu_.lock();
          filters_.erase(pendingTxSub->id);
          filtersMu_.unlock();
          return;
        }
      }
    });
    return pendingTxSub->id;
  }

  bool UninstallFilter(ID id) {
    filtersMu_.lock();
    auto it = filters_.find(id);
    std::shared_ptr<filter> f;
    if (it != filters_.end()) {
      f = it->second;
      filters_.erase(it);
    }
    filtersMu_.unlock();
    if (f)
      f->s->Unsubscribe();
    return f != nullptr;
  }

  void Stop() { quit_.close(); }

private:
  // timeoutLoop deletes the filters that have not been polled for timeout.
  void timeoutLoop(int tickMs) {
    for (;;) {
      if (go::select(go::case_recv(go::after(std::chrono::milliseconds(tickMs))), go::case_recv(quit_)) == 1)
        return;
      filtersMu_.lock();
      go::sleep_ms(100); // forcing: a long scan (many filters) with filtersMu held
      for (auto it = filters_.begin(); it != filters_.end();) {
        if (go::select(go::case_recv(it->second->deadline), go::case_default()) == 0) {
          it->second->s->Unsubscribe();
          it = filters_.erase(it);
        } else {
          ++it;
        }
      }
      filtersMu_.unlock();
    }
  }

  EventSystem *events_;
  int timeoutMs_;
  go::Mutex filtersMu_;
  std::map<ID, std::shared_ptr<filter>> filters_;
  go::chan<go::unit> quit_{0};
};

int main() {
  EventSystem es;
  {
    PublicFilterAPI api(&es, /*timeout=*/150, /*tick=*/150);
    ID a = api.NewPendingTransactionFilter(); // t=0, never polled: expires at 150 ms
    go::sleep_ms(120);
    ID b = api.NewPendingTransactionFilter(); // t=120, active until 270 ms
    go::sleep_ms(60);
    es.txsCh.send(Hashes{"0xaa01"}); // t=180, the timeout loop holds filtersMu
    go::sleep_ms(20);
    es.txsCh.send(Hashes{"0xaa02"}); // t=200
    go::sleep_ms(100);
    std::printf("uninstall a=%d b=%d\n", api.UninstallFilter(a), api.UninstallFilter(b));
    api.Stop();
    es.quit.close();
    go::wait_all_goroutines();
  }
  std::printf("done\n");
  return 0;
}
