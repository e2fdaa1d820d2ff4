// GoKer port: goker/cockroach35073.go in the Go runtime's testgoroutineleakprofile (cockroachdb/cockroach#35073)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (e) oneTBB: tbb::concurrent_bounded_queue (capacity 16) as the row channel, std::thread, std::atomic, std::latch
// Bug class: chan send (buffer full) whose consumer is gone and never says so
// Shape: the outbox's RowChannel has room for 16 rows; Push() sends while the
//   consumer status is NeedMoreRows. The test fills it, starts a 17th pusher,
//   starts the outbox (its run() only signals the wait group and returns) and
//   pushes once more. Nobody reads the rows and nobody marks the consumer
//   closed: both pushers block forever.
// Fix (reconstructed; the upstream patch is not in the corpus): the outbox's
//   run() calls ConsumerClosed() on its RowChannel when it exits, which marks
//   the consumer closed (later pushes send nothing) and drains a row so a
//   blocked pusher can finish.
#include <tbb/concurrent_queue.h>

#include <atomic>
#include <cstdint>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

enum class ConsumerStatus : std::uint32_t { NeedMoreRows, DrainRequested, ConsumerClosed };

constexpr int rowChannelBufSize = 16;
constexpr int outboxBufRows = 16;

class RowSourceBase {
protected:
  void consumerClosed() { consumerStatus_.store(ConsumerStatus::ConsumerClosed); }
  std::atomic<ConsumerStatus> consumerStatus_{ConsumerStatus::NeedMoreRows};
};

using RowChannelMsg = int;

class RowChannel : public RowSourceBase {
public:
  void ConsumerClosed() {
    consumerClosed();
    RowChannelMsg msg;
    dataChan_.try_pop(msg); // select { case <-rc.dataChan: default: }
  }

  ConsumerStatus Push() {
    ConsumerStatus status = consumerStatus_.load();
    switch (status) {
    case ConsumerStatus::NeedMoreRows:
      dataChan_.push(RowChannelMsg(0));
      break;
    case ConsumerStatus::DrainRequested:
    case ConsumerStatus::ConsumerClosed:
      break;
    }
    return status;
  }

  void InitWithNumSenders() { initWithBufSizeAndNumSenders(rowChannelBufSize); }

private:
  void initWithBufSizeAndNumSenders(int chanBufSize) { dataChan_.set_capacity(chanBufSize); }

  tbb::concurrent_bounded_queue<RowChannelMsg> dataChan_;
};

class Outbox : public RowChannel {
public:
  ~Outbox() {
    if (runner_.joinable())
      runner_.join();
  }

  void init() { InitWithNumSenders(); }

  void start(std::latch *wg) {
    runner_ = std::thread([this, wg] { run(wg); });
  }

private:
  void run(std::latch *wg) {
    RowChannel::ConsumerClosed(); // the fix: the consumer says it is gone
    if (wg)
      wg->count_down();
  }

  std::thread runner_;
};

int main() {
  std::vector<std::thread> pushers;
  std::thread g([&pushers] {
    auto outbox = std::make_shared<Outbox>();
    outbox->init();

    std::latch wg(1);
    for (int i = 0; i < outboxBufRows; ++i)
      outbox->Push();

    pushers.emplace_back([outbox] { outbox->Push(); }); // the blocked pusher

    outbox->start(&wg);
    wg.wait();
    outbox->RowChannel::Push();
  });
  g.join();
  for (auto &t : pushers)
    t.join();
}
