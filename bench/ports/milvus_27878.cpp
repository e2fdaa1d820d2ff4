// Port: milvus-io/milvus#27878 ("Fix datanode ttNode goroutine leak")
//   Every DataNode flow graph (one per virtual channel) ends in a ttNode.
//   newTTNode() starts a checkpoint-updater goroutine that loops in a
//   select on closeChannel and notifyChannel; Operate() feeds it with
//   non-blocking sends. closeChannel was closed only in Operate(), when the
//   close message carries end positions (to force a last checkpoint update).
//   ttNode had no Close() of its own: the flow graph's nodeCtx calls
//   node.Close() when the close message passes, which resolved to BaseNode's
//   empty Close(). A flow graph closed with a close message without end
//   positions (the channel was released before anything was consumed) left
//   the updater in its select forever; issue #27876 counted 38139 of them.
// Style: (c) gochan.h (go::chan, go::select, go::spawn, go::wait_all_goroutines); Milvus's idiom reduced: a flowgraph.Node interface with a BaseNode whose Close() does nothing, nodeCtx workers that call Operate() and Close() on a close message, a ttNode with its updater goroutine and a DataCoord client
// Bug class: missing close: the goroutine's stop channel is closed on one path only, and the virtual Close() that teardown calls is the base class's no-op
// Shape: the flow graph consumes two time-tick messages (the first
//   triggers a checkpoint update through notifyChannel), then the channel is
//   released and a close message with no end positions goes through. The
//   nodeCtx calls ttNode's Close(), which is BaseNode::Close(); the updater
//   stays in its select and go::wait_all_goroutines() in main never returns.
// Fix: ttNode overrides Close(): it closes closeChannel once (sync.Once)
//   and waits for the updater (closeWg); Operate() no longer closes it.
#include "gochan.h"

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

using Timestamp = uint64_t;

struct MsgPosition {
  std::string channel_name;
  Timestamp timestamp = 0;
};

struct flowGraphMsg {
  Timestamp timestampMax = 0;
  std::vector<MsgPosition> endPositions;
  bool isCloseMsg = false;
};
using Msg = std::shared_ptr<flowGraphMsg>;

// flowgraph.Node
class Node {
public:
  virtual ~Node() = default;
  virtual std::string Name() const = 0;
  virtual std::vector<Msg> Operate(const std::vector<Msg> &in) = 0;
  virtual void Close() = 0;
};

class BaseNode : public Node {
public:
  void Close() override {} // base node does nothing when closed
};

// types.DataCoord, reduced to the checkpoint RPC.
class DataCoord {
public:
  void UpdateChannelCheckpoint(const std::string &vchannel, const MsgPosition &pos) {
    std::lock_guard l(mu_);
    checkpoints_[0] = {vchannel, pos.timestamp};
    updates_++;
  }
  int updates() {
    std::lock_guard l(mu_);
    return updates_;
  }

private:
  std::mutex mu_;
  MsgPosition checkpoints_[1];
  int updates_ = 0;
};

struct checkPoint {
  Timestamp curTs = 0;
  MsgPosition pos;
};

class ttNode : public BaseNode {
public:
  ttNode(std::string vChannelName, DataCoord *dc) : vChannelName_(std::move(vChannelName)), dataCoord_(dc) {
    // check point updater
    go::spawn([notifyChannel = notifyChannel_, closeChannel = closeChannel_, this] {
      for (;;) {
        go::unit closed;
        checkPoint cp;
        int fired = go::select(go::case_recv(closeChannel, &closed), go::case_recv(notifyChannel, &cp)); // LEAK: closeChannel is closed only for a close message with end positions
        if (fired == 0)
          return;
        updateChannelCP(cp.pos, cp.curTs);
      }
    });
  }

  std::string Name() const override { return "ttNode-" + vChannelName_; }

  std::vector<Msg> Operate(const std::vector<Msg> &in) override {
    const Msg &fgMsg = in[0];
    Timestamp curTs = fgMsg->timestampMax;
    if (fgMsg->isCloseMsg) {
      if (!fgMsg->endPositions.empty()) {
        closeChannel_.close();
        updateChannelCP(fgMsg->endPositions[0], curTs); // force a last update
      }
      return in;
    }
    // do not block: the updater goroutine updates the checkpoint
    MsgPosition channelPos = fgMsg->endPositions[0];
    if (curTs - lastUpdateTime_.load() >= updateChanCPInterval) {
      go::select(go::case_send(notifyChannel_, checkPoint{curTs, channelPos}), go::case_default());
    }
    return {};
  }

private:
  static constexpr Timestamp updateChanCPInterval = 60;

  void updateChannelCP(const MsgPosition &pos, Timestamp curTs) {
    std::lock_guard l(updateCPLock_);
    dataCoord_->UpdateChannelCheckpoint(vChannelName_, pos);
    lastUpdateTime_ = curTs;
    std::printf("UpdateChannelCheckpoint success channel=%s cpTs=%llu\n", vChannelName_.c_str(),
                (unsigned long long)pos.timestamp);
  }

  std::string vChannelName_;
  DataCoord *dataCoord_;
  std::atomic<Timestamp> lastUpdateTime_{0};
  std::mutex updateCPLock_;
  go::chan<checkPoint> notifyChannel_{1};
  go::chan<go::unit> closeChannel_{0};
};

// flowgraph nodeCtx: one worker goroutine per node.
class nodeCtx {
public:
  explicit nodeCtx(std::unique_ptr<Node> node) : node_(std::move(node)) {}
  go::chan<Msg> inputChannel{16};

  void Start() {
    go::spawn([this] {
      for (;;) {
        Msg in;
        if (!inputChannel.recv(in))
          return;
        std::vector<Msg> output = node_->Operate({in});
        if (output.size() == 1 && output[0]->isCloseMsg) {
          node_->Close(); // the output decides whether the node should be closed
          std::printf("flow graph node closed: %s\n", node_->Name().c_str());
          return;
        }
      }
    });
  }

private:
  std::unique_ptr<Node> node_;
};

int main() {
  DataCoord dc;
  {
    nodeCtx tt(std::make_unique<ttNode>("by-dev-rootcoord-dml_2_v0", &dc));
    tt.Start();

    // two time ticks from the dml channel
    for (Timestamp ts : {Timestamp(100), Timestamp(130)}) {
      auto m = std::make_shared<flowGraphMsg>();
      m->timestampMax = ts;
      m->endPositions = {{"by-dev-rootcoord-dml_2", ts}};
      tt.inputChannel.send(m);
      go::sleep_ms(50);
    }
    go::sleep_ms(50);

    // the vchannel is released: the close message carries no end positions
    auto closeMsg = std::make_shared<flowGraphMsg>();
    closeMsg->timestampMax = 140;
    closeMsg->isCloseMsg = true;
    tt.inputChannel.send(closeMsg);

    go::wait_all_goroutines(); // goleak: every goroutine must have returned
  }
  std::printf("checkpoint updates: %d\n", dc.updates());
  return dc.updates() == 1 ? 0 : 1;
}
