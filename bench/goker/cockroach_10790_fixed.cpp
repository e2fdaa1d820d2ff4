// GoKer port: goker/cockroach10790.go in the Go runtime's testgoroutineleakprofile (cockroachdb/cockroach#10790, fix f1a5c19)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (d) standard library only (std::thread, std::stop_source / std::stop_token as the context, a hand-written SyncChannel on std::condition_variable_any)
// Bug class: chan recv, partner returned on ctx.Done() (a drainer started on the cancellation path)
// Shape: beginCmds() waits, for each prerequisite channel in turn, for its
//   signal or for the context. When the context is cancelled first it starts
//   a drainer thread that receives from every channel, the ones already
//   received included. sendChans(), which signals the channels, returns as
//   soon as the context is cancelled: the drainer waits forever on the first
//   channel, whose only signal beginCmds() already took.
// Fix (reconstructed; the upstream patch is not in the corpus): the drainer
//   only waits for the prerequisites beginCmds() has not received yet
//   (beginCmds() returns once it has handed them over, as the real code
//   returns the context's error), and sendChans(), which stands for those
//   prerequisite commands, signals each of them whether or not the waiting
//   command was cancelled.
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

// An unbuffered channel: a send hands its value to a receiver that is
// already waiting, as Go does.
template <typename T> class SyncChannel {
public:
  // Blocks until a receiver waits; gives up (false) once `ctx` is cancelled.
  bool send(T v, std::stop_token ctx = {}) {
    std::unique_lock<std::mutex> lk(m_);
    if (!cv_.wait(lk, ctx, [this] { return waiting_ > 0 && !slot_; }))
      return false;
    slot_ = std::move(v);
    cv_.notify_all();
    return true;
  }

  // Blocks until a value is handed over; nullopt once `ctx` is cancelled.
  std::optional<T> recv(std::stop_token ctx = {}) {
    std::unique_lock<std::mutex> lk(m_);
    ++waiting_;
    cv_.notify_all();
    bool got = cv_.wait(lk, ctx, [this] { return slot_.has_value(); });
    --waiting_;
    if (!got)
      return std::nullopt;
    std::optional<T> v = std::move(slot_);
    slot_.reset();
    cv_.notify_all();
    return v;
  }

private:
  std::mutex m_;
  std::condition_variable_any cv_;
  int waiting_ = 0;
  std::optional<T> slot_;
};

class Replica {
public:
  Replica() {
    chans_.push_back(std::make_shared<SyncChannel<bool>>());
    chans_.push_back(std::make_shared<SyncChannel<bool>>());
  }

  void beginCmds(std::stop_token ctx, std::vector<std::thread> &background) {
    for (std::size_t i = 0; i < chans_.size(); ++i) {
      if (!chans_[i]->recv(ctx)) { // select { case <-ch: case <-ctxDone: ... }
        background.emplace_back([this, i] { // G3
          for (std::size_t j = i; j < chans_.size(); ++j) // the fix: only the ones not received yet
            chans_[j]->recv();
        });
        return;
      }
    }
  }

  void sendChans(std::stop_token /*ctx*/) {
    bool first = true;
    for (auto &ch : chans_) {
      if (!first)
        std::this_thread::sleep_for(20ms); // the second prerequisite is slow: the context is cancelled first
      first = false;
      ch->send(true); // the fix: a prerequisite signals whether or not the waiter was cancelled
    }
  }

private:
  std::vector<std::shared_ptr<SyncChannel<bool>>> chans_;
};

int main() {
  std::vector<std::thread> background;
  Replica r;
  std::stop_source cancel; // context.WithCancel(context.Background())
  std::thread helper([&r, ctx = cancel.get_token()] { r.sendChans(ctx); }); // helper goroutine
  std::thread g1([&r, &background, ctx = cancel.get_token()] { r.beginCmds(ctx, background); }); // G1
  std::thread g2([&cancel] { // G2
    std::this_thread::sleep_for(5ms);
    cancel.request_stop();
  });
  helper.join();
  g1.join();
  g2.join();
  for (auto &t : background)
    t.join();
}
