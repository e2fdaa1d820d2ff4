// Port: gabime/spdlog#1571 ("fix deadlock on filename() call")
//   (Fixes #1570, "daily_file_sink has deadlock bug".) An async_logger hands
//   each message to the spdlog thread_pool: the caller enqueues an async_msg on the pool's mpmc_blocking_queue (overflow policy
//   "block") and a pool worker pops it and calls sink->log(), which locks the
//   base_sink mutex and runs daily_file_sink::sink_it_(). When the message is
//   past the rotation time point, sink_it_() opens the next daily file and,
//   with max_files set, calls delete_old_(), which asks filename() for the
//   current file name. filename() is the public accessor: it locks the same
//   base_sink mutex again on the same thread. The worker self-deadlocks inside
//   the sink, the queue is never drained, and the application thread that logs
//   blocks in enqueue() once the queue is full (issue #1595 reported this hang
//   with an async daily logger).
// Style: (d) standard library only, spdlog's own classes reduced (details::mpmc_blocking_queue with std::mutex/condition_variable, details::thread_pool with std::thread workers, async_logger, sinks::base_sink<std::mutex>, daily_file_sink)
// Bug class: re-entrant lock of a non-recursive mutex on a thread-pool worker (self-deadlock), leaving the pool's producers blocked on the full queue
// Shape: the sink's first rotation point is 100 ms after start; main logs one
//   message every 20 ms. The first message past the rotation point makes the
//   worker lock base_sink::mutex_ a second time in filename(); main keeps
//   logging until the 4-slot queue is full and waits in enqueue() forever.
// Fix: delete_old_() uses file_helper_.filename(), which takes no lock, instead
//   of the locking filename() accessor.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace spdlog {
using log_clock = std::chrono::steady_clock;

namespace details {
struct log_msg {
  log_clock::time_point time;
  std::string payload;
};

// the bounded queue of the thread pool (overflow policy: block)
template <typename T> class mpmc_blocking_queue {
public:
  explicit mpmc_blocking_queue(size_t max_items) : max_items_(max_items) {}
  void enqueue(T &&item) {
    {
      std::unique_lock<std::mutex> lock(queue_mutex_);
      pop_cv_.wait(lock, [this] { return q_.size() < max_items_; });
      q_.push_back(std::move(item));
    }
    push_cv_.notify_one();
  }
  void dequeue(T &popped_item) {
    {
      std::unique_lock<std::mutex> lock(queue_mutex_);
      push_cv_.wait(lock, [this] { return !q_.empty(); });
      popped_item = std::move(q_.front());
      q_.pop_front();
    }
    pop_cv_.notify_one();
  }

private:
  std::mutex queue_mutex_;
  std::condition_variable push_cv_, pop_cv_;
  std::deque<T> q_;
  size_t max_items_;
};

// file_helper reduced to an in-memory file
class file_helper {
public:
  void open(const std::string &fname) {
    filename_ = fname;
    size_ = 0;
  }
  void write(const std::string &line) { size_ += line.size() + 1; }
  const std::string &filename() const { return filename_; }

private:
  std::string filename_;
  size_t size_ = 0;
};

class circular_q {
public:
  explicit circular_q(size_t max) : max_(max) {}
  bool full() const { return q_.size() == max_; }
  void push_back(std::string s) { q_.push_back(std::move(s)); }
  std::string pop_front() {
    std::string s = q_.front();
    q_.pop_front();
    return s;
  }

private:
  size_t max_;
  std::deque<std::string> q_;
};
} // namespace details

namespace sinks {
template <typename Mutex> class base_sink {
public:
  virtual ~base_sink() = default;
  void log(const details::log_msg &msg) {
    std::lock_guard<Mutex> lock(mutex_);
    sink_it_(msg);
  }

protected:
  virtual void sink_it_(const details::log_msg &msg) = 0;
  Mutex mutex_;
};

template <typename Mutex> class daily_file_sink final : public base_sink<Mutex> {
public:
  daily_file_sink(std::string base_filename, uint16_t max_files)
      : base_filename_(std::move(base_filename)), filenames_q_(max_files), max_files_(max_files) {
    rotation_tp_ = log_clock::now() + std::chrono::milliseconds(100); // "midnight"
    file_helper_.open(calc_filename());
  }

  std::string filename() {
    std::lock_guard<Mutex> lock(base_sink<Mutex>::mutex_); // LEAK
    return file_helper_.filename();
  }

protected:
  void sink_it_(const details::log_msg &msg) override {
    bool should_rotate = msg.time >= rotation_tp_;
    if (should_rotate) {
      ++day_;
      file_helper_.open(calc_filename());
      rotation_tp_ += std::chrono::milliseconds(100);
      std::printf("daily_file_sink: rotated to %s\n", file_helper_.filename().c_str());
    }
    file_helper_.write(msg.payload);
    if (should_rotate && max_files_ > 0)
      delete_old_();
  }

private:
  std::string calc_filename() const { return base_filename_ + "_day" + std::to_string(day_) + ".txt"; }

  // delete the file N rotations ago
  void delete_old_() {
    std::string current_file = filename();
    if (filenames_q_.full()) {
      std::string old_filename = filenames_q_.pop_front();
      std::printf("daily_file_sink: removing %s\n", old_filename.c_str());
    }
    filenames_q_.push_back(std::move(current_file));
  }

  std::string base_filename_;
  log_clock::time_point rotation_tp_;
  details::file_helper file_helper_;
  details::circular_q filenames_q_;
  uint16_t max_files_;
  int day_ = 0;
};
} // namespace sinks

namespace details {
enum class async_msg_type { log, flush, terminate };
struct async_msg {
  async_msg_type msg_type = async_msg_type::log;
  std::shared_ptr<sinks::base_sink<std::mutex>> worker_ptr; // the async_logger's backend
  log_msg msg;
};

class thread_pool {
public:
  thread_pool(size_t q_max_items, size_t threads_n) : q_(q_max_items) {
    for (size_t i = 0; i < threads_n; i++)
      threads_.emplace_back([this] { worker_loop_(); });
  }
  ~thread_pool() {
    for (size_t i = 0; i < threads_.size(); i++)
      post_async_msg_(async_msg{async_msg_type::terminate, nullptr, {}});
    for (auto &t : threads_)
      t.join();
  }
  void post_log(std::shared_ptr<sinks::base_sink<std::mutex>> sink, log_msg &&msg) {
    post_async_msg_(async_msg{async_msg_type::log, std::move(sink), std::move(msg)});
  }

private:
  void post_async_msg_(async_msg &&m) { q_.enqueue(std::move(m)); }
  void worker_loop_() {
    for (;;) {
      async_msg incoming;
      q_.dequeue(incoming);
      if (incoming.msg_type == async_msg_type::terminate)
        return;
      incoming.worker_ptr->log(incoming.msg); // async_logger::backend_sink_it_()
    }
  }
  mpmc_blocking_queue<async_msg> q_;
  std::vector<std::thread> threads_;
};
} // namespace details

class async_logger {
public:
  async_logger(std::string name, std::shared_ptr<sinks::base_sink<std::mutex>> sink,
               std::weak_ptr<details::thread_pool> tp)
      : name_(std::move(name)), sink_(std::move(sink)), thread_pool_(std::move(tp)) {}
  void info(const std::string &text) {
    auto pool = thread_pool_.lock();
    if (pool)
      pool->post_log(sink_, details::log_msg{log_clock::now(), "[" + name_ + "] [info] " + text});
  }

private:
  std::string name_;
  std::shared_ptr<sinks::base_sink<std::mutex>> sink_;
  std::weak_ptr<details::thread_pool> thread_pool_;
};
} // namespace spdlog

int main() {
  auto tp = std::make_shared<spdlog::details::thread_pool>(4, 1);
  auto sink = std::make_shared<spdlog::sinks::daily_file_sink<std::mutex>>("logs/daily", 2);
  spdlog::async_logger logger("daily_logger", sink, tp);
  for (int i = 0; i < 20; i++) {
    logger.info("tick " + std::to_string(i));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  tp.reset(); // thread_pool::~thread_pool posts terminate and joins the worker
  std::printf("done\n");
  return 0;
}
