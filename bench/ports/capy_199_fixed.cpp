// Port: cppalliance/capy#199 ("Fix thread_pool shutdown race")
//   capy's thread_pool runs coroutine handles posted through its executor on
//   a set of lazily started worker threads. thread_pool::impl keeps the work
//   queue under mutex_, and each worker waits on cv_ with the predicate
//   `!q_.empty() || stop_`. stop() did `stop_.store(true); cv_.notify_all();`
//   without taking mutex_ (stop_ was a std::atomic<bool>). A worker that has
//   just evaluated the predicate (queue empty, not stopped) but has not yet
//   blocked in cv_.wait() misses both the store and the notification: it
//   then sleeps forever, and ~impl() joins it forever. This was the cause of
//   the async_event test timeouts on slow FreeBSD CI runners.
// Style: (d) standard library only: std::thread workers, std::mutex +
//   std::condition_variable, std::atomic<bool> stop flag, std::call_once lazy
//   start, C++20 coroutine handles as work items (intrusive queue), and a
//   std::promise for the caller to wait on the posted coroutine
// Bug class: lost wake-up: the predicate's state is changed and notified
//   without the condition variable's mutex, between the waiter's predicate
//   check and its wait
// Shape: main posts one coroutine (a request handler) to a one-thread pool
//   and waits for its result. The worker runs it, goes back to the queue,
//   sees it empty and is preempted for 100 ms before blocking (forcing
//   sleep, holding mutex_ as the real predicate check does). At 30 ms main
//   destroys the pool: stop() stores the flag and notifies nobody; the worker
//   then blocks in cv_.wait() and the destructor's join() never returns.
// Fix: stop() sets stop_ under mutex_ (stop_ becomes a plain bool), so it
//   cannot land between a worker's predicate check and its wait; the worker
//   either sees stop_ or is already waiting when notify_all() fires.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <coroutine>
#include <cstdio>
#include <future>
#include <mutex>
#include <pthread.h>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace boost {
namespace capy {

namespace detail {
template <class T>
class intrusive_queue {
 public:
  struct node {
    T* next_ = nullptr;
  };
  bool empty() const noexcept { return head_ == nullptr; }
  void push(T* w) noexcept {
    w->next_ = nullptr;
    if (tail_) tail_->next_ = w; else head_ = w;
    tail_ = w;
  }
  T* pop() noexcept {
    T* w = head_;
    if (w) { head_ = w->next_; if (!head_) tail_ = nullptr; }
    return w;
  }

 private:
  T* head_ = nullptr;
  T* tail_ = nullptr;
};
}  // namespace detail

class thread_pool {
  class impl {
    struct work : detail::intrusive_queue<work>::node {
      std::coroutine_handle<> h_;
      explicit work(std::coroutine_handle<> h) noexcept : h_(h) {}
      void run() { auto h = h_; delete this; h.resume(); }
      void destroy() { delete this; }
    };

    std::mutex mutex_;
    std::condition_variable cv_;
    detail::intrusive_queue<work> q_;
    std::vector<std::thread> threads_;
    bool stop_ = false;
    std::size_t num_threads_;
    std::string thread_name_prefix_;
    std::once_flag start_flag_;

   public:
    impl(std::size_t num_threads, std::string_view prefix)
        : num_threads_(num_threads ? num_threads : 1), thread_name_prefix_(prefix) {}

    ~impl() {
      stop();
      for (auto& t : threads_)
        if (t.joinable()) t.join();
      while (auto* w = q_.pop()) w->destroy();
    }

    void post(std::coroutine_handle<> h) {
      ensure_started();
      auto* w = new work(h);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        q_.push(w);
      }
      cv_.notify_one();
    }

    void stop() noexcept {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
      }
      cv_.notify_all();
    }

   private:
    void ensure_started() {
      std::call_once(start_flag_, [this] {
        threads_.reserve(num_threads_);
        for (std::size_t i = 0; i < num_threads_; ++i)
          threads_.emplace_back([this, i] { run(i); });
      });
    }

    void run(std::size_t index) {
      std::string name = thread_name_prefix_ + std::to_string(index);
      pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
      bool idle_before = false;
      for (;;) {
        work* w = nullptr;
        {
          std::unique_lock<std::mutex> lock(mutex_);
          // cv_.wait(lock, pred), spelled out so the forcing fits in the
          // window between the predicate check and the wait.
          while (q_.empty() && !stop_) {
            if (idle_before) std::this_thread::sleep_for(100ms);  // forcing: preempted here
            cv_.wait(lock);
          }
          if (stop_ && q_.empty()) return;
          w = q_.pop();
        }
        if (w) w->run();
        idle_before = true;
      }
    }
  };

 public:
  class executor_type {
   public:
    explicit executor_type(thread_pool& pool) noexcept : pool_(&pool) {}
    void post(std::coroutine_handle<> h) const { pool_->impl_->post(h); }

   private:
    thread_pool* pool_;
  };

  thread_pool(std::size_t num_threads, std::string_view thread_name_prefix)
      : impl_(new impl(num_threads, thread_name_prefix)) {}
  ~thread_pool() {
    shutdown();
    delete impl_;
  }
  thread_pool(thread_pool const&) = delete;

  executor_type get_executor() noexcept { return executor_type(*this); }
  void stop() noexcept { impl_->stop(); }

 private:
  void shutdown() noexcept { impl_->stop(); }
  impl* impl_;
};

}  // namespace capy
}  // namespace boost

// A fire-and-forget coroutine that starts suspended, so it can be posted.
struct detached_task {
  struct promise_type {
    detached_task get_return_object() {
      return {std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
  std::coroutine_handle<promise_type> h;
};

detached_task handle_request(std::string path, std::promise<std::string>& reply) {
  reply.set_value("200 OK " + path);
  co_return;
}

int main() {
  {
    boost::capy::thread_pool pool(1, "capy-pool-");
    auto ex = pool.get_executor();

    std::promise<std::string> reply;
    auto result = reply.get_future();
    ex.post(handle_request("/index.html", reply).h);
    std::printf("%s\n", result.get().c_str());

    std::this_thread::sleep_for(30ms);  // the server shuts down
  }  // ~thread_pool(): stop() + join()
  std::puts("pool destroyed");
  return 0;
}
