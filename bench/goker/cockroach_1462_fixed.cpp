// GoKer port: goker/cockroach1462.go in the Go runtime's testgoroutineleakprofile (cockroachdb/cockroach#1462)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (d) standard library only (std::thread, std::mutex, std::condition_variable(_any), std::stop_source / std::stop_token, a hand-written rendezvous Mailbox)
// Bug class: chan send (unbuffered) whose receiver left on the stop signal; the stopper then waits for the sender (WaitGroup)
// Shape: the local transport's worker keeps sending events on the unbuffered
//   Events mailbox, checking the stopper only between sends; the event
//   processor receives them until the stopper says stop. Stop() quiesces,
//   signals stop and waits for every worker to call SetStopped(). The
//   processor returns on the stop signal; the transport worker is blocked in
//   its send, which nobody will take, so it never stops and Stop() waits for
//   it forever.
// Fix (reconstructed; the upstream patch is not in the corpus): the
//   transport's send also gives up when the stopper says stop (Go: select
//   between `Events <- msg` and `<-ShouldStop()`).
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

// An unbuffered mailbox: post() returns once a receiver has taken the item.
template <typename T> class Mailbox {
public:
  void post(T item) {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return !slot_; });
    slot_ = std::move(item);
    const std::uint64_t ticket = ++posted_;
    cv_.notify_all();
    cv_.wait(lk, [this, ticket] { return taken_ >= ticket; });
  }

  // post() that gives up, withdrawing the item, once `stop` is requested.
  bool post(T item, std::stop_token stop) {
    std::unique_lock<std::mutex> lk(m_);
    if (!cv_.wait(lk, stop, [this] { return !slot_; }))
      return false;
    slot_ = std::move(item);
    const std::uint64_t ticket = ++posted_;
    cv_.notify_all();
    if (cv_.wait(lk, stop, [this, ticket] { return taken_ >= ticket; }))
      return true;
    slot_.reset(); // not taken: withdraw it
    --posted_;
    cv_.notify_all();
    return false;
  }

  // Returns nullopt once `stop` is requested (checked first, then waited on).
  std::optional<T> take(std::stop_token stop) {
    std::unique_lock<std::mutex> lk(m_);
    if (stop.stop_requested() || !cv_.wait(lk, stop, [this] { return slot_.has_value(); }))
      return std::nullopt;
    std::optional<T> item = std::move(slot_);
    slot_.reset();
    ++taken_;
    cv_.notify_all();
    return item;
  }

private:
  std::mutex m_;
  std::condition_variable_any cv_;
  std::optional<T> slot_;
  std::uint64_t posted_ = 0, taken_ = 0;
};

class Stopper {
public:
  Stopper() : stoppedDone_(stopped_.get_future().share()) {}
  ~Stopper() {
    for (auto &w : workers_)
      w.join();
  }

  void RunWorker(std::function<void()> f) {
    AddWorker();
    workers_.emplace_back([this, f = std::move(f)] { // G2, G3
      f();
      SetStopped();
    });
  }

  void AddWorker() {
    std::lock_guard<std::mutex> lk(stopMu_);
    ++running_;
  }
  void SetStopped() {
    std::lock_guard<std::mutex> lk(stopMu_);
    if (--running_ == 0)
      stopCv_.notify_all();
  }

  bool StartTask() {
    std::lock_guard<std::mutex> lk(mu_);
    if (draining_)
      return false;
    ++numTasks_;
    return true;
  }
  void FinishTask() {
    std::lock_guard<std::mutex> lk(mu_);
    --numTasks_;
    drain_.notify_all();
  }

  std::stop_token ShouldStop() const { return stopper_.get_token(); }

  void Quiesce() {
    std::unique_lock<std::mutex> lk(mu_);
    draining_ = true;
    drain_.wait(lk, [this] { return numTasks_ == 0; });
  }

  void Stop() {
    Quiesce();
    stopper_.request_stop(); // close(s.stopper)
    {
      std::unique_lock<std::mutex> lk(stopMu_); // s.stop.Wait()
      stopCv_.wait(lk, [this] { return running_ == 0; });
    }
    std::lock_guard<std::mutex> lk(mu_);
    stopped_.set_value(); // close(s.stopped)
  }

private:
  std::stop_source stopper_;
  std::promise<void> stopped_;
  std::shared_future<void> stoppedDone_;
  std::mutex stopMu_;
  std::condition_variable stopCv_;
  int running_ = 0; // s.stop
  std::mutex mu_;
  std::condition_variable drain_;
  bool draining_ = false;
  int numTasks_ = 0;
  std::vector<std::thread> workers_;
};

using InterceptMessage = int;

class LocalInterceptableTransport {
public:
  explicit LocalInterceptableTransport(Stopper &stopper) : stopper_(stopper) { start(); }
  void Close() {}

  Mailbox<InterceptMessage> Events;

private:
  void start() {
    stopper_.RunWorker([this] {
      for (;;) {
        if (stopper_.ShouldStop().stop_requested()) // select { case <-ShouldStop(): return; default: }
          return;
        if (!Events.post(InterceptMessage(0), stopper_.ShouldStop())) // the fix: the send also watches the stopper
          return;
      }
    });
  }

  Stopper &stopper_;
};

void processEventsUntil(Mailbox<InterceptMessage> &events, Stopper &stopper) {
  while (events.take(stopper.ShouldStop()))
    std::this_thread::sleep_for(50ms); // runtime.Gosched(): the transport is blocked in its next send
}

int main() {
  std::thread g1([] { // G1
    Stopper stopper;
    LocalInterceptableTransport transport(stopper);
    stopper.RunWorker([&] { processEventsUntil(transport.Events, stopper); });
    std::this_thread::sleep_for(20ms); // the processor has taken an event; the transport waits in its next send
    stopper.Stop();
  });
  g1.join();
}
