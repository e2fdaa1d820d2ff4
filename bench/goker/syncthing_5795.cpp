// GoKer port: gobench/goker/blocking/syncthing/5795 (syncthing/syncthing#5795)
// Style: (e) oneTBB (tbb::concurrent_bounded_queue as the connection's inbox) with std::thread, std::promise/std::shared_future, std::once_flag
// Bug class: self-wait: Close(), called back from the dispatcher thread, waits for the dispatcher thread to stop
// Shape: the dispatcher loop pops messages from the inbox and hands a
//   ClusterConfig to the model; the model's handler closes the connection.
//   Close() posts the close marker and waits for the dispatcher loop to
//   report that it stopped, but it runs on the dispatcher thread, inside the
//   loop it waits for. The test, which waits for the loop to stop, waits
//   with it.
// Fix: (upstream, as we know it) Close() runs the closing (mark closed, wait
//   for the dispatcher loop) on a new thread, so a Close() from the
//   dispatcher loop does not wait for itself.
// (Go's inbox is unbuffered and the loop selects on it and on `closed`; here
//   the inbox holds one message, TBB has no rendezvous, and `closed` is a
//   marker message in the inbox: a pop wakes for either.)
#include <tbb/concurrent_queue.h>

#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

struct Message {
  virtual ~Message() = default;
};
struct ClusterConfig : Message {};

using MessagePtr = std::shared_ptr<const Message>; // nullptr: the connection was closed

class Model {
public:
  virtual ~Model() = default;
  virtual void OnClusterConfig(const ClusterConfig &msg) = 0;
};

class TestModel : public Model {
public:
  std::function<void()> ccFn;
  void OnClusterConfig(const ClusterConfig &) override {
    if (ccFn)
      ccFn();
  }
};

class RawConnection {
public:
  explicit RawConnection(Model &receiver) : receiver_(receiver) {
    inbox_.set_capacity(1);
    stoppedF_ = dispatcherLoopStopped_.get_future().share();
  }
  ~RawConnection() {
    if (dispatcher_.joinable())
      dispatcher_.join();
  }

  void Start() {
    dispatcher_ = std::thread([this] { dispatcherLoop(); }); // G2
  }

  void Deliver(MessagePtr msg) { inbox_.push(std::move(msg)); }

  void Close() {
    std::call_once(closeOnce_, [this] {
      inbox_.push(nullptr); // close(c.closed)
      stoppedF_.wait(); // LEAK: runs on the dispatcher thread, which cannot stop while it waits here
    });
  }

  std::shared_future<void> DispatcherLoopStopped() const { return stoppedF_; }

private:
  void dispatcherLoop() {
    for (;;) {
      MessagePtr msg;
      inbox_.pop(msg);
      if (!msg)
        break; // closed
      if (auto cc = std::dynamic_pointer_cast<const ClusterConfig>(msg))
        receiver_.OnClusterConfig(*cc);
      else
        break;
    }
    dispatcherLoopStopped_.set_value();
  }

  Model &receiver_;
  tbb::concurrent_bounded_queue<MessagePtr> inbox_;
  std::promise<void> dispatcherLoopStopped_;
  std::shared_future<void> stoppedF_;
  std::once_flag closeOnce_;
  std::thread dispatcher_;
};

int main() {
  std::thread g1([] {
    TestModel m;
    RawConnection c(m);
    m.ccFn = [&c] { c.Close(); };

    c.Start();
    c.Deliver(std::make_shared<ClusterConfig>());

    c.DispatcherLoopStopped().wait(); // LEAK: the dispatcher waits for itself in Close()
  });
  g1.join();
}
