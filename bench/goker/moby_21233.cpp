// GoKer port: gobench/goker/blocking/moby/21233 (moby/moby#21233, fix 2f4aa96)
// Style: (e) oneTBB (tbb::concurrent_bounded_queue as the progress channel) with std::thread, std::mutex, std::condition_variable
// Bug class: chan send, the consumer returned early (the test's progress reader gives up on the first bad value)
// Shape: each Transfer's watcher thread writes progress into the test's
//   progress queue and keeps running until Release(); Release() waits for
//   the watcher to finish. The test's reader takes progress from the queue
//   and, on an unexpected value (t.Fatalf in Go), returns without draining
//   it: the watchers' next writes fill the queue and block, and Release()
//   and the final wait for the reader block with them.
// Fix: (reconstructed) the reader records the failure and keeps draining the
//   queue until it is closed, then reports that it is done.
// (Go's progress channel is unbuffered; TBB has no rendezvous, capacity 0
//   would block every push forever, so the queue holds one item: with the
//   reader gone, the second write after it fills the queue and the third
//   blocks.)
#include <tbb/concurrent_queue.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

struct Progress {
  int current = 0;
};

// the progress channel; an empty optional is the close() marker
using ProgressQueue = tbb::concurrent_bounded_queue<std::optional<Progress>>;

class ProgressOutput {
public:
  virtual ~ProgressOutput() = default;
  virtual void WriteProgress(const Progress &p) = 0;
};

class QueueOutput : public ProgressOutput {
public:
  explicit QueueOutput(ProgressQueue &q) : q_(q) {}
  void WriteProgress(const Progress &p) override {
    q_.push(p); // LEAK: the queue is full and its reader has returned
  }

private:
  ProgressQueue &q_;
};

struct Watcher {
  std::mutex mu;
  std::condition_variable cv;
  bool signalled = false;
  bool released = false;
  std::promise<void> running; // set when the watcher thread exits
  std::thread thread;
};

class Transfer {
public:
  std::shared_ptr<Watcher> Watch(ProgressOutput &out) {
    std::lock_guard lk(mu_);
    auto w = std::make_shared<Watcher>();
    Progress lastProgress;
    w->thread = std::thread([this, w, &out, lastProgress] { // G2
      bool done = false;
      for (;;) {
        { std::lock_guard lk(mu_); }
        out.WriteProgress(lastProgress);
        if (done)
          break;
        std::unique_lock wl(w->mu);
        w->cv.wait(wl, [&] { return w->signalled || w->released; });
        w->signalled = false;
        if (w->released)
          done = true;
      }
      w->running.set_value();
    });
    return w;
  }

  void Release(Watcher &w) {
    { std::lock_guard lk(mu_); }
    {
      std::lock_guard wl(w.mu);
      w.released = true;
    }
    w.cv.notify_all();
    w.running.get_future().wait(); // LEAK: the watcher is stuck writing progress
  }

private:
  std::mutex mu_;
};

class TransferManager {
public:
  std::pair<std::unique_ptr<Transfer>, std::shared_ptr<Watcher>> StartTransfer(ProgressOutput &out) {
    std::lock_guard lk(mu_);
    auto t = std::make_unique<Transfer>();
    auto w = t->Watch(out);
    return {std::move(t), std::move(w)};
  }

private:
  std::mutex mu_;
};

void testTransfer() { // G1
  TransferManager tm;
  ProgressQueue progressChan;
  progressChan.set_capacity(1);
  std::promise<void> progressDone;
  std::thread reader([&] { // G3
    std::this_thread::sleep_for(1ms);
    std::optional<Progress> p;
    for (;;) {
      progressChan.pop(p);
      if (!p)
        break;
      if (p->current == 0) // "got unexpected progress value" (t.Fatalf)
        return;
    }
    progressDone.set_value();
  });
  std::this_thread::sleep_for(1ms);
  QueueOutput out(progressChan);
  const char *ids[] = {"id1", "id2", "id3"};
  std::vector<std::unique_ptr<Transfer>> xrefs;
  std::vector<std::shared_ptr<Watcher>> watchers;
  for (const char *id : ids) {
    (void)id;
    auto [t, w] = tm.StartTransfer(out);
    xrefs.push_back(std::move(t));
    watchers.push_back(std::move(w));
    std::this_thread::sleep_for(2ms);
  }
  for (std::size_t i = 0; i < xrefs.size(); ++i)
    xrefs[i]->Release(*watchers[i]);
  progressChan.push(std::nullopt); // close(progressChan)
  progressDone.get_future().wait(); // LEAK: the reader returned without reporting
  for (auto &w : watchers)
    w->thread.join();
  reader.join();
}

int main() {
  std::vector<std::thread> tests;
  for (int i = 0; i < 10; ++i)
    tests.emplace_back(testTransfer);
  for (auto &t : tests)
    t.join();
}
