// Port: cortexproject/cortex#1640 ("Distributor leaks goroutines if incoming call times out")
//   (fixed by PR #1641, which gives the tracker's channels a buffer).
//   Distributor.Push() hands every sample to ring.DoBatch(), which
//   starts one goroutine per ingester; each calls the ingester, then
//   batchTracker.record(), which counts the per-sample successes and, once
//   every sample reached its quorum, reports on tracker.done (an error past
//   maxFailures goes on tracker.err). DoBatch() itself selects on
//   tracker.err, tracker.done and ctx.Done(). When the incoming push request
//   is cancelled first, DoBatch() returns ctx.Err() and nobody reads the
//   unbuffered done/err channels any more: the ingester goroutine that
//   completes the quorum blocks in record() forever, and the cleanup
//   goroutine waiting for all of them (wg.Wait(), then cleanup()) with it.
// Style: (c) Go-style gochan.h (go::chan for tracker.done/err, go::select over
//   done/err/ctx.Done(), go::WaitGroup, go::Context, go::spawn); Ring,
//   IngesterDesc, itemTracker, batchTracker, Distributor and an ingester
//   client reduced
// Bug class: channel send whose receiver left: the result channel is
//   unbuffered and its only reader returns on context cancellation
// Shape: one series, replication factor 3 (quorum 2). The ingesters answer
//   after 150 ms; the HTTP request's context is cancelled after 50 ms, so
//   Push() returns "context canceled". At 150 ms the second successful
//   ingester completes the quorum and blocks sending on tracker.done; the
//   cleanup goroutine blocks in wg.Wait(); main's wait for all goroutines
//   hangs.
// Fix: tracker.done and tracker.err get a buffer of one (each is sent at
//   most once), so record() never blocks whether or not DoBatch() still
//   listens.
#include "gochan.h"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace ring {

struct IngesterDesc {
  std::string Addr;
};

// How many ingesters must acknowledge one item (sample) before it counts.
struct itemTracker {
  int32_t minSuccess = 0;
  int32_t maxFailures = 0;
  std::atomic<int32_t> succeeded{0};
  std::atomic<int32_t> failed{0};
};

struct batchTracker {
  std::atomic<int32_t> rpcsPending{0};
  std::atomic<int32_t> rpcsFailed{0};
  go::chan<go::unit> done;
  go::chan<std::string> err;

  batchTracker(int32_t pending)
      : done(1), err(1) { // each is sent at most once: never blocks
    rpcsPending = pending;
  }

  void record(const std::vector<itemTracker *> &sampleTrackers, const std::string &e) {
    for (itemTracker *it : sampleTrackers) {
      if (!e.empty()) {
        if (++it->failed <= it->maxFailures)
          continue;
        if (++rpcsFailed == 1)
          err.send(e);
      } else {
        if (++it->succeeded != it->minSuccess)
          continue;
        if (--rpcsPending == 0)
          done.send(go::unit{});
      }
    }
  }
};

class Ring {
public:
  std::vector<IngesterDesc> ingesters;
  int replicationFactor = 3;
};

struct instance {
  IngesterDesc desc;
  std::vector<itemTracker *> itemTrackers;
  std::vector<int> indexes;
};

// DoBatch calls callback once per ingester with the indexes of the keys it
// owns; it returns once every key reached its quorum, or on the first
// unrecoverable error, or when ctx is done.
inline std::string DoBatch(go::Context ctx, Ring &r, const std::vector<uint32_t> &keys,
                           std::function<std::string(IngesterDesc, std::vector<int>)> callback,
                           std::function<void()> cleanup) {
  // Heap-allocated and shared: the goroutines outlive this call.
  auto trackers = std::make_shared<std::vector<itemTracker>>(keys.size());
  auto instances = std::make_shared<std::vector<instance>>();
  for (auto &ing : r.ingesters)
    instances->push_back(instance{ing, {}, {}});
  for (size_t i = 0; i < keys.size(); i++) {
    itemTracker &t = (*trackers)[i];
    t.minSuccess = r.replicationFactor / 2 + 1;
    t.maxFailures = r.replicationFactor - t.minSuccess;
    for (auto &in : *instances) { // every ingester holds a replica of every key here
      in.itemTrackers.push_back(&t);
      in.indexes.push_back(int(i));
    }
  }

  auto tracker = std::make_shared<batchTracker>(int32_t(keys.size()));
  auto wg = std::make_shared<go::WaitGroup>();
  wg->add(long(instances->size()));
  for (size_t k = 0; k < instances->size(); k++) {
    go::spawn([trackers, instances, tracker, wg, callback, k] {
      instance &i = (*instances)[k];
      std::string e = callback(i.desc, i.indexes);
      tracker->record(i.itemTrackers, e);
      wg->done();
    });
  }

  // Perform cleanup at the end.
  go::spawn([wg, cleanup] {
    wg->wait();
    cleanup();
  });

  std::string e;
  go::unit u;
  switch (go::select(go::case_recv(tracker->err, &e), go::case_recv(tracker->done, &u),
                     go::case_recv(ctx.done(), &u))) {
  case 0:
    return e;
  case 1:
    return "";
  default:
    return "context canceled";
  }
}

} // namespace ring

namespace distributor {

// The gRPC client of one ingester: a push takes 150 ms.
struct IngesterClient {
  std::string addr;
  std::string Push(const std::vector<int> &samples) {
    go::sleep_ms(150);
    std::printf("ingester %s stored %zu samples\n", addr.c_str(), samples.size());
    return "";
  }
};

class Distributor {
  ring::Ring &ring_;
  std::vector<IngesterClient> clients_;
  std::atomic<int> cleanups_{0};

public:
  explicit Distributor(ring::Ring &r) : ring_(r) {
    for (auto &d : r.ingesters)
      clients_.push_back(IngesterClient{d.Addr});
  }

  IngesterClient *clientFor(const std::string &addr) {
    for (auto &c : clients_)
      if (c.addr == addr)
        return &c;
    return nullptr;
  }

  std::string Push(go::Context ctx, const std::vector<uint32_t> &seriesKeys) {
    return ring::DoBatch(
        ctx, ring_, seriesKeys,
        [this](ring::IngesterDesc ing, std::vector<int> indexes) {
          return clientFor(ing.Addr)->Push(indexes);
        },
        [this] { cleanups_++; });
  }

  int cleanups() const { return cleanups_.load(); }
};

} // namespace distributor

int main() {
  ring::Ring r;
  r.ingesters = {{"ingester-1:9095"}, {"ingester-2:9095"}, {"ingester-3:9095"}};
  distributor::Distributor d(r);

  // The remote-write HTTP request times out after 50 ms.
  auto [ctx, cancel] = go::with_cancel();
  go::spawn([cancel = cancel] {
    go::sleep_ms(50);
    cancel();
  });

  std::string err = d.Push(ctx, {0x1234abcd});
  std::printf("push returned: %s\n", err.empty() ? "ok" : err.c_str());

  go::wait_all_goroutines();
  std::printf("cleanups: %d\n", d.cleanups());
  return 0;
}
