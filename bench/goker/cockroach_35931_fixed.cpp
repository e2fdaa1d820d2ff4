// GoKer port: goker/cockroach35931.go in the Go runtime's testgoroutineleakprofile (cockroachdb/cockroach#35931)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (e) oneTBB: tbb::concurrent_bounded_queue (capacity 1) as each row channel, std::thread, std::mutex
// Bug class: chan send (buffer full) with no receiver left (cancellation pushes to every pending stream)
// Shape: a flow has two inbound streams whose receivers are RowChannels with
//   room for one message; the left one already holds one. Cancelling the flow
//   collects the pending receivers under the registry's lock and pushes a
//   cancellation to each: the push on the full left channel blocks forever,
//   nobody reads it.
// Fix (reconstructed; the upstream patch is not in the corpus): cancel()
//   delivers the cancellation without blocking (try_push): a receiver whose
//   buffer is full already has an unread message to wake it.
#include <tbb/concurrent_queue.h>

#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

class RowReceiver {
public:
  virtual ~RowReceiver() = default;
  virtual void Push() = 0;
  virtual bool TryPush() = 0;
};

struct Signal {};

class RowChannel : public RowReceiver {
public:
  void Push() override {
    // the buffer may be empty or full when this is entered
    dataChan_.push(Signal{});
  }
  bool TryPush() override { return dataChan_.try_push(Signal{}); }

  void initWithBufSizeAndNumSenders(int chanBufSize) { dataChan_.set_capacity(chanBufSize); }

private:
  tbb::concurrent_bounded_queue<Signal> dataChan_;
};

struct InboundStreamInfo {
  RowReceiver *receiver;
};

using InboundStreams = std::map<int, InboundStreamInfo>;

class Flow;

struct FlowEntry {
  Flow *flow = nullptr;
  InboundStreams inboundStreams;
};

class FlowRegistry {
public:
  std::mutex mu;

  FlowEntry &getEntryLocked(int id) { return flows_[id]; }

  std::vector<RowReceiver *> cancelPendingStreamsLocked(int id) {
    std::vector<RowReceiver *> pendingReceivers;
    for (auto &[streamID, is] : flows_[id].inboundStreams)
      pendingReceivers.push_back(is.receiver);
    return pendingReceivers;
  }

  void RegisterFlow(Flow *f, int id, const InboundStreams &inboundStreams) {
    FlowEntry &entry = getEntryLocked(id);
    entry.flow = f;
    entry.inboundStreams = inboundStreams;
  }

private:
  std::map<int, FlowEntry> flows_;
};

class Flow {
public:
  Flow(int id, FlowRegistry &registry, InboundStreams streams)
      : id_(id), flowRegistry_(registry), inboundStreams_(std::move(streams)) {}

  void cancel() {
    std::vector<RowReceiver *> timedOutReceivers;
    {
      std::lock_guard<std::mutex> lock(flowRegistry_.mu);
      timedOutReceivers = flowRegistry_.cancelPendingStreamsLocked(id_);
    }
    for (RowReceiver *receiver : timedOutReceivers)
      receiver->TryPush(); // the fix: a full receiver already has a message to wake it
  }

private:
  int id_;
  FlowRegistry &flowRegistry_;
  InboundStreams inboundStreams_;
};

int main() {
  std::thread g([] {
    FlowRegistry fr;

    RowChannel left, right;
    left.initWithBufSizeAndNumSenders(1);
    right.initWithBufSizeAndNumSenders(1);

    InboundStreams inboundStreams{{0, {&left}}, {1, {&right}}};

    left.Push();

    Flow flow(0, fr, inboundStreams);
    fr.RegisterFlow(&flow, 0, inboundStreams);

    flow.cancel();
  });
  g.join();
}
