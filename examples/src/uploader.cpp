#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

void upload(const std::string &);

// threadleak-cv-lost-wakeup: the destructor sets the atomic flag without
// the mutex the worker checks it under, then notifies. A worker that has
// just found the queue empty, but not yet gone to sleep, misses the notify
// and sleeps forever; the join hangs (rarely: under load, on CI).
class Uploader {
public:
  Uploader() : worker_([this] { run(); }) {}
  ~Uploader() {
    stopping_ = true;   // fix: set it under m_, or lock m_ before notifying
    cv_.notify_all();
    worker_.join();
  }
  void enqueue(std::string file) {
    {
      std::lock_guard lk(m_);
      files_.push_back(std::move(file));
    }
    cv_.notify_one();
  }

private:
  void run() {
    std::unique_lock lk(m_);
    for (;;) {
      cv_.wait(lk, [this] { return stopping_ || !files_.empty(); });
      if (stopping_)
        return;
      std::string file = std::move(files_.front());
      files_.pop_front();
      lk.unlock();
      upload(file);
      lk.lock();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::string> files_;
  std::atomic<bool> stopping_{false};
  std::thread worker_;
};

// Fixed: the same flag, changed while holding the worker's mutex.
class UploaderFixed {
public:
  UploaderFixed() : worker_([this] { run(); }) {}
  ~UploaderFixed() {
    {
      std::lock_guard lk(m_);
      stopping_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }

private:
  void run() {
    std::unique_lock lk(m_);
    cv_.wait(lk, [this] { return stopping_.load(); });
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::atomic<bool> stopping_{false};
  std::thread worker_;
};

void upload_all() {
  Uploader u;
  u.enqueue("report.csv");
  UploaderFixed f;
}

void upload(const std::string &) {}
