#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

// threadleak-cv-wait-no-stop: ~Scheduler() sets stopping_, which the
// predicate reads, but never notifies: a worker asleep in wait() stays
// asleep, and the join hangs.
class Scheduler {
public:
  Scheduler() : worker_([this] { run(); }) {}
  ~Scheduler() {
    {
      std::lock_guard lk(m_);
      stopping_ = true;
    }
    worker_.join();   // fix: cv_.notify_all() before joining
  }
  void post(std::function<void()> task) {
    {
      std::lock_guard lk(m_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
  }

private:
  void run() {
    std::unique_lock lk(m_);
    while (true) {
      cv_.wait(lk, [this] { return stopping_ || !tasks_.empty(); });
      if (stopping_)
        return;
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lk.unlock();
      task();
      lk.lock();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread worker_;
};

void run_scheduler() {
  Scheduler s;
  s.post([] {});
}
