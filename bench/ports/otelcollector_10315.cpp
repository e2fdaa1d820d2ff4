// Port: open-telemetry/opentelemetry-collector#10315 ("[exporterhelper] Fix potential deadlock in the batch sender")
//   (reported as #10255, "batchsender deadlock preventing shutdown"). The
//   exporterhelper batchSender merges incoming requests into activeBatch
//   under bs.mu; a batch leaves either when it reaches MinSizeItems (on the
//   sending goroutine) or when the flush timer fires (on the timer goroutine
//   started by Start()). A send that exported a full batch told the timer
//   goroutine to restart its timer by sending on the unbuffered resetTimerCh
//   while it still held bs.mu. When the timer fired during a slow merge, the
//   timer goroutine was inside its timer.C case waiting for bs.mu, not in the
//   select that receives resetTimerCh: each waits for the other.
// Style: (c) Go-style gochan.h (go::Mutex for sync.Mutex, go::chan for the unbuffered resetTimerCh and the shutdown channels, go::select over time.After for the timer, go::spawn for goroutines); the Request/batch/nextSender shapes of exporterhelper reduced
// Bug class: lock held while blocking on a channel whose only receiver needs that lock (mutex + unbuffered channel cycle)
// Shape: FlushTimeout 100 ms, MinSizeItems 4. Request A (2 items) waits in
//   the active batch. Request B (4 items) locks bs.mu at 60 ms and merges for
//   80 ms; the timer fires at 100 ms and its goroutine blocks on bs.mu. B
//   exports the full batch and sends on resetTimerCh holding bs.mu: the send
//   never completes, the timer goroutine never gets the lock, and Shutdown()
//   waits for shutdownCompleteCh forever.
// Fix: resetTimerCh is gone. exportActiveBatch() records lastFlushed, and
//   the timer goroutine, under bs.mu, exports only when FlushTimeout elapsed
//   since lastFlushed and otherwise re-arms for the remainder.
#include "gochan.h"

#include <chrono>
#include <cstdio>
#include <memory>

using namespace std::chrono;

struct Request {
  int items = 0;
};

struct batch {
  std::shared_ptr<Request> request; // nil until the first request is merged
  go::chan<go::unit> done{0};
  int err = 0;
};

struct exportSink {
  std::atomic<int> requests{0}, items{0};
};

class batchSender {
public:
  struct Config {
    int MinSizeItems;
    milliseconds FlushTimeout;
  };
  batchSender(Config cfg, exportSink *sink) : cfg_(cfg), sink_(sink) {}

  void Start() {
    go::spawn([this] {
      go::chan<go::unit> timerC = go::after(cfg_.FlushTimeout);
      for (;;) {
        int i = go::select(go::case_recv(shutdownCh_), go::case_recv(timerC), go::case_recv(resetTimerCh_));
        if (i == 0) {
          mu_.lock();
          if (activeBatch_->request)
            exportActiveBatch();
          mu_.unlock();
          shutdownCompleteCh_.close();
          return;
        }
        if (i == 1) {
          mu_.lock();
          if (activeBatch_->request)
            exportActiveBatch();
          mu_.unlock();
          timerC = go::after(cfg_.FlushTimeout); // timer.Reset
        } else {
          timerC = go::after(cfg_.FlushTimeout); // timer.Stop + timer.Reset
        }
      }
    });
  }

  int send(std::shared_ptr<Request> req) { return sendMergeBatch(std::move(req)); }

  void Shutdown() {
    shutdownCh_.close();
    shutdownCompleteCh_.recv();
  }

private:
  // mergeFunc: the caller's merge is slow (large payloads)
  std::shared_ptr<Request> mergeFunc(const std::shared_ptr<Request> &a, const std::shared_ptr<Request> &b) {
    go::sleep_ms(80);
    auto r = std::make_shared<Request>();
    r->items = a->items + b->items;
    return r;
  }

  // Caller must hold the lock.
  void exportActiveBatch() {
    std::shared_ptr<batch> b = activeBatch_;
    go::spawn([this, b] {
      go::sleep_ms(10); // nextSender.send(ctx, b.request)
      sink_->requests++;
      sink_->items += b->request->items;
      b->done.close();
    });
    activeBatch_ = std::make_shared<batch>();
  }

  bool isActiveBatchReady() const { return activeBatch_->request->items >= cfg_.MinSizeItems; }

  int sendMergeBatch(std::shared_ptr<Request> req) {
    mu_.lock();
    if (activeBatch_->request)
      req = mergeFunc(activeBatch_->request, req);
    activeBatch_->request = req;
    std::shared_ptr<batch> b = activeBatch_;
    if (isActiveBatchReady()) {
      exportActiveBatch();
      resetTimerCh_.send(go::unit{}); // LEAK
    }
    mu_.unlock();
    b->done.recv();
    return b->err;
  }

  Config cfg_;
  exportSink *sink_;
  go::Mutex mu_;
  std::shared_ptr<batch> activeBatch_ = std::make_shared<batch>();
  go::chan<go::unit> resetTimerCh_{0};
  go::chan<go::unit> shutdownCh_{0};
  go::chan<go::unit> shutdownCompleteCh_{0};
};

int main() {
  exportSink sink;
  batchSender bs({4, milliseconds(100)}, &sink);
  bs.Start();

  go::WaitGroup wg;
  wg.add(2);
  go::spawn([&] {
    auto r = std::make_shared<Request>();
    r->items = 2;
    bs.send(r);
    wg.done();
  });
  go::sleep_ms(60);
  go::spawn([&] {
    auto r = std::make_shared<Request>();
    r->items = 4;
    bs.send(r);
    wg.done();
  });
  wg.wait();

  bs.Shutdown();
  go::wait_all_goroutines();
  std::printf("exported %d requests, %d items\n", sink.requests.load(), sink.items.load());
  return 0;
}
