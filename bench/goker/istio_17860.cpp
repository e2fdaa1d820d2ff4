// GoKer port: gobench/goker/blocking/istio/17860 (istio/istio#17860)
// Style: (d) standard library only (std::thread, std::mutex, std::stop_source/std::stop_token, a hand-written unbuffered StatusChannel on std::condition_variable_any)
// Bug class: chan send, the receiver's loop has returned (no active epoch left; the sender has no stop case)
// Shape: each Restart() starts a thread for the new epoch that reports its
//   exit status on the agent's unbuffered status channel. Run() receives
//   statuses and returns once no epoch is active (or on cancel). The first
//   epoch's status arrives before the second Restart() registers its epoch,
//   so Run() returns; the second epoch's thread then waits forever to report,
//   and cancelling the agent's context does not reach it.
// Fix: (reconstructed) runWait() sends in a select with the agent's context:
//   once the context is cancelled the report is dropped.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

// an unbuffered channel of exit statuses; a send returns once Run() took it
class StatusChannel {
public:
  void send(int status) {
    std::unique_lock lk(mu_);
    pending_.push_back(status);
    const unsigned long ticket = ++sent_;
    cv_.notify_all();
    cv_.wait(lk, [&] { return received_ >= ticket; });
  }
  // select { case statusCh <- s: case <-ctx.Done(): }; false when cancelled first
  bool send(int status, std::stop_token ctx) {
    std::unique_lock lk(mu_);
    pending_.push_back(status);
    const unsigned long ticket = ++sent_;
    cv_.notify_all();
    if (cv_.wait(lk, ctx, [&] { return received_ >= ticket; }))
      return true;
    // withdraw the offer: nobody took it
    for (auto it = pending_.begin(); it != pending_.end(); ++it)
      if (*it == status) {
        pending_.erase(it);
        break;
      }
    return false;
  }
  // select { case s := <-statusCh: case <-ctx.Done(): }
  std::optional<int> receive(std::stop_token ctx) {
    std::unique_lock lk(mu_);
    if (!cv_.wait(lk, ctx, [&] { return !pending_.empty(); }))
      return std::nullopt;
    int s = pending_.front();
    pending_.pop_front();
    ++received_;
    cv_.notify_all();
    return s;
  }

private:
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::deque<int> pending_;
  unsigned long sent_ = 0, received_ = 0;
};

class Proxy {
public:
  explicit Proxy(std::function<bool()> live) : live_(std::move(live)) {}
  bool IsLive() const { return !live_ || live_(); }

private:
  std::function<bool()> live_;
};

class Agent {
public:
  Agent(Proxy proxy, std::stop_token ctx) : proxy_(std::move(proxy)), ctx_(ctx) {}
  ~Agent() {
    for (auto &t : epochs_)
      t.join();
  }

  void Run(std::stop_token ctx) {
    for (;;) {
      std::optional<int> status = statusCh_.receive(ctx);
      if (!status)
        return; // ctx.Done()
      std::unique_lock lk(mu_);
      activeEpochs_.erase(*status);
      const std::size_t active = activeEpochs_.size();
      lk.unlock();
      if (active == 0)
        return;
    }
  }

  void Restart() {
    std::lock_guard lk(mu_);
    waitUntilLive();
    ++currentEpoch_;
    activeEpochs_[currentEpoch_] = true;
    epochs_.emplace_back([this, epoch = currentEpoch_] { runWait(epoch); });
  }

private:
  void runWait(int epoch) {
    // the proxy of this epoch ran and exited
    statusCh_.send(epoch); // LEAK: Run() has returned, nobody receives the status
  }

  void waitUntilLive() {
    if (activeEpochs_.empty())
      return;
    const auto deadline = std::chrono::steady_clock::now() + 100us; // the timer
    while (!proxy_.IsLive()) {
      if (std::chrono::steady_clock::now() >= deadline)
        return;
      std::this_thread::sleep_for(30us); // the ticker
    }
  }

  Proxy proxy_;
  std::stop_token ctx_;
  std::mutex mu_;
  StatusChannel statusCh_;
  int currentEpoch_ = 0;
  std::map<int, bool> activeEpochs_;
  std::vector<std::thread> epochs_;
};

void testAgent() {
  std::stop_source ctx; // context.WithCancel; cancelled when the test returns
  {
    Agent a(Proxy([] { return false; }), ctx.get_token()); // never live
    std::thread run([&] { a.Run(ctx.get_token()); });

    a.Restart();
    std::thread restart([&] {
      std::this_thread::sleep_for(10ms); // the first epoch exits before the second starts
      a.Restart();
    });

    std::this_thread::sleep_for(20ms);
    ctx.request_stop(); // defer cancel()
    run.join();
    restart.join();
  } // ~Agent joins the epochs' threads
}

int main() {
  std::vector<std::thread> tests;
  for (int i = 0; i < 10; ++i)
    tests.emplace_back(testAgent);
  for (auto &t : tests)
    t.join();
}
