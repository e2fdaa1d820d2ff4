// GoKer port: goker/cockroach1055.go in the Go runtime's testgoroutineleakprofile (cockroachdb/cockroach#1055)
// Style: (d) standard library only (std::thread, std::mutex, std::atomic, a WaitGroup class on std::condition_variable, std::promise / std::shared_future, std::latch)
// Bug class: lock+WaitGroup: waiting for the workers while holding the mutex a worker needs to get there
// Shape: each worker of a Stopper calls StartTask(), waits for ShouldStop()
//   and calls SetStopped(). StartTask() reads `draining` without the lock and
//   then takes s.mu. The stopping thread quiesces and stops the stoppers:
//   Stop() takes s.mu, closes the stop signal and waits (s.stop) for every
//   worker's SetStopped() with s.mu held. A worker that passed the `draining`
//   check before Stop() blocks on s.mu and never reaches SetStopped():
//   Stop(), the worker, the stopper's other worker and the test all wait forever.
// Fix (reconstructed; the upstream patch is not in the corpus, this is the
//   Stopper of cockroach 1462): Stop() releases s.mu before it waits for the
//   workers, and StartTask() checks `draining` again under s.mu.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <latch>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

class WaitGroup {
public:
  void Add(int n) {
    std::lock_guard<std::mutex> lk(m_);
    count_ += n;
  }
  void Done() {
    std::lock_guard<std::mutex> lk(m_);
    if (--count_ == 0)
      cv_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return count_ == 0; });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  int count_ = 0;
};

class Stopper {
public:
  explicit Stopper(std::chrono::milliseconds taskDelay)
      : stopped_(stopper_.get_future().share()), taskDelay_(taskDelay) {}

  void AddWorker() { stop_.Add(1); }
  std::shared_future<void> ShouldStop() const { return stopped_; }
  void SetStopped() { stop_.Done(); }

  void Quiesce() {
    std::lock_guard<std::mutex> lock(mu_);
    draining_ = 1;
    drain_.Wait();
    draining_ = 0;
  }

  void Stop() {
    std::lock_guard<std::mutex> lock(mu_); // L1
    draining_.store(1);
    drain_.Wait();
    stopper_.set_value(); // close(s.stopper)
    stop_.Wait(); // LEAK: a worker waits for mu_ before it can stop
  }

  bool StartTask() {
    if (draining_.load() == 0) {
      std::this_thread::sleep_for(taskDelay_); // preempted: Stop() runs here
      std::lock_guard<std::mutex> lock(mu_); // LEAK: Stop() holds mu_ while it waits for this worker
      drain_.Add(1);
      return true;
    }
    return false;
  }

private:
  std::promise<void> stopper_;
  std::shared_future<void> stopped_;
  WaitGroup stop_;
  std::mutex mu_;
  std::atomic<int> draining_{0};
  WaitGroup drain_;
  std::chrono::milliseconds taskDelay_;
};

int main() {
  std::thread g1([] { // G1
    std::vector<std::unique_ptr<Stopper>> stoppers;
    for (int i = 0; i < 2; ++i)
      stoppers.push_back(std::make_unique<Stopper>(20ms * (i + 1)));

    std::vector<std::thread> workers;
    for (auto &sp : stoppers) {
      Stopper *s = sp.get();
      s->AddWorker();
      workers.emplace_back([s] { // G2
        s->StartTask();
        s->ShouldStop().wait(); // LEAK: the other stopper's Stop() is never reached
        s->SetStopped();
      });
    }

    std::latch done(1);
    std::thread g3([&stoppers, &done] { // G3
      std::this_thread::sleep_for(5ms); // the workers have checked `draining`
      for (auto &s : stoppers)
        s->Quiesce();
      for (auto &s : stoppers)
        s->Stop();
      done.count_down(); // close(done)
    });

    done.wait(); // LEAK: G3 never finishes stopping
    g3.join();
    for (auto &w : workers)
      w.join();
  });
  g1.join();
}
