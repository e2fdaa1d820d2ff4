// Port: AcademySoftwareFoundation/OpenImageIO#1560 ("Fix threadpool")
//   OIIO's thread_pool runs queued std::function tasks on its worker threads;
//   push() wraps a task in a std::packaged_task and returns its std::future.
//   parallel_for_chunked() splits a range into chunks, pushes every chunk to
//   the pool, collects the futures in a task_set and calls task_set::wait(),
//   which blocked on each future in turn. "The thread_pool could deadlock if
//   the pool queue filled and then the subtasks themselves added further
//   subtasks to the queue and waited for their results (since those subtasks
//   would never themselves get around to executing, with all the pool threads
//   waiting)." An image operation parallelized over tiles whose per-tile work
//   is itself a parallel_for over scanlines does exactly that.
// Style: (d) standard library only: std::thread workers, std::mutex +
//   std::condition_variable task queue, std::packaged_task / std::future,
//   std::function chunk callbacks (OIIO's thread_pool / task_set /
//   parallel_for_chunked reduced to their core)
// Bug class: thread pool starving itself: every worker blocks on futures of
//   tasks that are queued behind it on the same pool
// Shape: a pool of 2 worker threads; main runs an outer parallel_for over 2
//   tiles (2 chunks, both queued at once). Each worker takes one tile task,
//   reads its tile (forcing: 50 ms, so that both tile tasks are taken before
//   any nested chunk is queued), pushes 4 scanline chunks and blocks in
//   task_set::wait(). No thread is left to run the scanline chunks; both
//   workers and main wait forever.
// Fix: task_set::wait() polls its futures with wait_for(0) and, while some
//   are not ready, pulls a task off the pool's queue and runs it on the
//   waiting thread (thread_pool::run_one_task()); parallel_for_chunked() also
//   runs its last chunk on the calling thread instead of queueing it.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace OIIO {

class thread_pool {
 public:
  explicit thread_pool(int nthreads) {
    for (int i = 0; i < nthreads; ++i) m_threads.emplace_back([this, i] { worker(i); });
  }
  ~thread_pool() {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_done = true;
    }
    m_cv.notify_all();
    for (auto& t : m_threads) t.join();
  }
  int size() const { return int(m_threads.size()); }

  template <typename F>
  auto push(F&& f) -> std::future<decltype(f(0))> {
    auto pck = std::make_shared<std::packaged_task<decltype(f(0))(int)>>(std::forward<F>(f));
    push_queue_and_notify(new std::function<void(int)>([pck](int id) { (*pck)(id); }));
    return pck->get_future();
  }

  // If any tasks are on the queue, pop and run one with the calling thread.
  bool run_one_task(std::thread::id /*id*/) {
    std::unique_ptr<std::function<void(int)>> f(pop());
    if (!f) return false;
    (*f)(-1);
    return true;
  }

 private:
  void push_queue_and_notify(std::function<void(int)>* f) {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_q.push(f);
    }
    m_cv.notify_one();
  }
  std::function<void(int)>* pop() {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (m_q.empty()) return nullptr;
    auto* f = m_q.front();
    m_q.pop();
    return f;
  }
  void worker(int id) {
    for (;;) {
      std::function<void(int)>* raw = nullptr;
      {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_cv.wait(lock, [this] { return m_done || !m_q.empty(); });
        if (m_q.empty()) return;  // m_done
        raw = m_q.front();
        m_q.pop();
      }
      std::unique_ptr<std::function<void(int)>> f(raw);
      (*f)(id);
    }
  }

  std::vector<std::thread> m_threads;
  std::queue<std::function<void(int)>*> m_q;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_done = false;
};

// A set of futures submitted to a pool, to be waited on together.
template <typename T = void>
class task_set {
 public:
  explicit task_set(thread_pool* pool)
      : m_pool(pool), m_submitter_thread(std::this_thread::get_id()) {}
  ~task_set() { wait(); }
  void push(std::future<T>&& f) { m_futures.emplace_back(std::move(f)); }

  // Wait for all tasks in the set to finish. Unless `block` is true, the
  // waiting thread runs queued pool tasks itself while it waits.
  void wait(bool block = false) {
    if (block) {
      for (auto& f : m_futures)
        if (f.valid()) f.wait();
      return;
    }
    const std::chrono::milliseconds wait_time(0);
    for (;;) {
      bool all_finished = true;
      for (auto& f : m_futures) {
        // Asking future.wait_for for 0 time just checks the status.
        if (f.valid() && f.wait_for(wait_time) != std::future_status::ready) all_finished = false;
      }
      if (all_finished) break;
      // Not all finished: steal a task from the queue instead of blocking.
      if (!m_pool->run_one_task(m_submitter_thread)) std::this_thread::yield();
    }
  }

 private:
  thread_pool* m_pool;
  std::thread::id m_submitter_thread;
  std::vector<std::future<T>> m_futures;
};

void parallel_for_chunked(int64_t start, int64_t end, int64_t chunksize,
                          std::function<void(int id, int64_t b, int64_t e)>&& task,
                          thread_pool* pool) {
  task_set<void> ts(pool);
  for (int64_t i = start; i < end; i += chunksize) {
    int64_t e = std::min(end, i + chunksize);
    if (e == end) {
      task(-1, i, e);  // the calling thread runs the last (or only) chunk itself
    } else {
      ts.push(pool->push([&task, i, e](int id) { task(id, i, e); }));
    }
  }
  ts.wait();
}

}  // namespace OIIO

// An ImageBufAlgo-style operation: per tile, a parallel_for over scanlines.
struct ImageBuf {
  static constexpr int tiles = 2, rows_per_tile = 64, width = 32;
  std::vector<float> pixels = std::vector<float>(tiles * rows_per_tile * width, 0.5f);
};

static std::atomic<int> rows_done{0};

void fill_tile(ImageBuf& buf, int tile, OIIO::thread_pool* pool) {
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // forcing: read the tile first
  OIIO::parallel_for_chunked(0, ImageBuf::rows_per_tile, 16,
                             [&buf, tile](int, int64_t ybegin, int64_t yend) {
                               for (int64_t y = ybegin; y < yend; ++y) {
                                 float* row = &buf.pixels[(tile * ImageBuf::rows_per_tile + y) *
                                                          ImageBuf::width];
                                 for (int x = 0; x < ImageBuf::width; ++x) row[x] *= 2.0f;
                                 ++rows_done;
                               }
                             },
                             pool);
}

int main() {
  OIIO::thread_pool pool(2);
  ImageBuf buf;
  OIIO::parallel_for_chunked(0, ImageBuf::tiles, 1,
                             [&buf, &pool](int, int64_t b, int64_t e) {
                               for (int64_t tile = b; tile < e; ++tile) fill_tile(buf, int(tile), &pool);
                             },
                             &pool);
  std::printf("filled %d rows\n", rows_done.load());
  return 0;
}
