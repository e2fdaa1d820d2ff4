// GoKer port: goker/cockroach24808.go in the Go runtime's testgoroutineleakprofile (cockroachdb/cockroach#24808)
// Style: (d) standard library only (std::thread, a hand-written BoundedChannel on std::mutex + std::condition_variable_any + std::deque, std::stop_source)
// Bug class: chan send (buffer full) before the only receiver is started
// Shape: the compactor's wake-up channel has room for one signal. The test
//   queues a signal, then Start() queues another before it starts the worker
//   that would drain them: the second send finds the buffer full and blocks
//   forever, so the worker is never started and the deferred Stop() never runs.
// Fix (reconstructed; the upstream patch is not in the corpus): Start()
//   signals the compactor without blocking (Go: select with a default case),
//   a full channel already holds a wake-up.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

template <typename T> class BoundedChannel {
public:
  explicit BoundedChannel(std::size_t capacity) : capacity_(capacity) {}

  void send(T v) {
    std::unique_lock<std::mutex> lk(m_);
    notFull_.wait(lk, [this] { return q_.size() < capacity_; });
    q_.push_back(std::move(v));
    notEmpty_.notify_one();
  }

  bool try_send(T v) {
    std::lock_guard<std::mutex> lk(m_);
    if (q_.size() >= capacity_)
      return false;
    q_.push_back(std::move(v));
    notEmpty_.notify_one();
    return true;
  }

  // Waits for an item; nullopt when `stop` is requested first.
  std::optional<T> receive(std::stop_token stop) {
    std::unique_lock<std::mutex> lk(m_);
    if (!notEmpty_.wait(lk, stop, [this] { return !q_.empty(); }))
      return std::nullopt;
    T v = std::move(q_.front());
    q_.pop_front();
    notFull_.notify_one();
    return v;
  }

private:
  std::mutex m_;
  std::condition_variable_any notEmpty_, notFull_;
  std::deque<T> q_;
  std::size_t capacity_;
};

class Stopper {
public:
  ~Stopper() {
    for (auto &w : workers_)
      w.join();
  }
  void RunWorker(std::function<void()> f) { workers_.emplace_back(std::move(f)); }
  std::stop_token ShouldStop() const { return stopper_.get_token(); }
  void Stop() { stopper_.request_stop(); }

private:
  std::stop_source stopper_;
  std::vector<std::thread> workers_; // s.stop
};

struct Wakeup {};

class Compactor {
public:
  Compactor() : ch_(1) {}

  void Suggest() { ch_.send(Wakeup{}); }

  void Start(Stopper &stopper) {
    ch_.send(Wakeup{}); // LEAK: the buffer is full and the worker is not started yet
    stopper.RunWorker([this, &stopper] {
      while (ch_.receive(stopper.ShouldStop())) {
        // compact
      }
    });
  }

private:
  BoundedChannel<Wakeup> ch_;
};

int main() {
  std::thread g1([] { // G1
    Compactor compactor; // outlives the stopper's workers
    Stopper stopper;
    struct DeferStop {
      Stopper &s;
      ~DeferStop() { s.Stop(); }
    } deferStop{stopper};

    compactor.Suggest(); // compactor.ch <- struct{}{}
    compactor.Start(stopper);
  });
  g1.join();
}
