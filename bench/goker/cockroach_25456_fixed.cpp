// GoKer port: goker/cockroach25456.go in the Go runtime's testgoroutineleakprofile (cockroachdb/cockroach#25456)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (d) standard library only (std::thread, std::promise / std::shared_future as the quiesce signal)
// Bug class: chan recv (a "quiesce" signal) that no path ever fires
// Shape: the test builds a store on a fresh Stopper and runs the consistency
//   queue's process() on its replica; process() waits for the store's stopper
//   to quiesce. Nobody stops that stopper: the test goroutine waits forever.
// Fix (reconstructed; the upstream patch is not in the corpus): the test
//   stops the stopper it created (Go's `defer stopper.Stop()`), which fires
//   the quiesce signal process() waits for.
#include <future>
#include <memory>
#include <mutex>
#include <thread>

class Stopper {
public:
  Stopper() : quiesced_(quiescer_.get_future().share()) {}

  std::shared_future<void> ShouldQuiesce() const { return quiesced_; }

  void Stop() {
    std::call_once(once_, [this] { quiescer_.set_value(); });
  }

private:
  std::promise<void> quiescer_;
  std::shared_future<void> quiesced_;
  std::once_flag once_;
};

struct Replica;

struct ConsistencyQueue {
  void process(Replica &repl);
};

struct Store {
  std::shared_ptr<Stopper> stopper;
  std::unique_ptr<ConsistencyQueue> consistencyQueue;
  Stopper &GetStopper() { return *stopper; }
};

struct Replica {
  Store *store;
};

void ConsistencyQueue::process(Replica &repl) {
  repl.store->GetStopper().ShouldQuiesce().wait();
}

struct TestContext {
  std::unique_ptr<Store> store;
  std::unique_ptr<Replica> repl;

  void StartWithStoreConfig(std::shared_ptr<Stopper> stopper) {
    if (!store) {
      store = std::make_unique<Store>();
      store->consistencyQueue = std::make_unique<ConsistencyQueue>();
    }
    store->stopper = std::move(stopper);
    repl = std::make_unique<Replica>(Replica{store.get()});
  }
};

int main() {
  auto stopper = std::make_shared<Stopper>();
  std::thread g1([stopper] { // G1
    TestContext tc;
    tc.StartWithStoreConfig(stopper);
    for (int i = 0; i < 2; ++i)
      tc.store->consistencyQueue->process(*tc.repl);
  });
  stopper->Stop(); // defer stopper.Stop()
  g1.join();
}
