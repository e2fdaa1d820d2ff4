// Port: facebook/rocksdb#1552 ("Fix deadlock when calling getMergedHistogram")
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
//   StatisticsImpl keeps each histogram per thread in a ThreadLocalPtr and a
//   merged histogram for the threads that have exited. getMergedHistogram()
//   took the histogram's merge_lock and, still holding it, folded the
//   per-thread values, which takes ThreadLocalPtr's registry mutex. A dying
//   thread runs ThreadLocalPtr::StaticMeta::OnThreadExit, which holds the
//   registry mutex while it calls the unref handler, and the handler merges
//   the thread's histogram into the merged one under merge_lock: the two
//   mutexes are taken in opposite orders.
// Style: (d) standard library only, C++-native (rocksdb's own idiom reduced: a ThreadLocalPtr whose registry runs an UnrefHandler at thread exit, a thread_local destructor standing for the pthread key destructor)
// Bug class: lock: AB-BA (merge_lock then the registry mutex in getMergedHistogram(); the registry mutex then merge_lock through the thread-exit callback)
// Shape: a worker records into its thread-local histogram and exits; its
//   exit hook locks the registry and calls the handler, which locks
//   merge_lock. The reporting thread is inside getMergedHistogram(): it holds
//   merge_lock and calls Fold(), which locks the registry.
// Fix: getMergedHistogram() only holds merge_lock while it copies the merged
//   histogram and releases it before Fold().
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

using UnrefHandler = void (*)(void *ptr);
using FoldFunc = void (*)(void *curr, void *res);

class ThreadLocalPtr;

// One thread's slot; its destructor is the thread-exit hook (rocksdb
// registers OnThreadExit as the destructor of a pthread key).
struct ThreadData {
  ThreadLocalPtr *owner = nullptr;
  void *ptr = nullptr;
  ~ThreadData();
};
thread_local ThreadData tls;

class ThreadLocalPtr {
public:
  explicit ThreadLocalPtr(UnrefHandler h) : handler_(h) {}
  void *Get() const { return tls.owner == this ? tls.ptr : nullptr; }
  void Reset(void *p) {
    std::lock_guard l(mutex_);
    if (tls.owner != this) {
      tls.owner = this;
      threads_.push_back(&tls);
    }
    tls.ptr = p;
  }
  // Calls func on every live thread's value.
  void Fold(FoldFunc func, void *res) const {
    std::lock_guard l(mutex_);
    for (ThreadData *t : threads_)
      if (t->ptr != nullptr)
        func(t->ptr, res);
  }
  // StaticMeta::OnThreadExit: unlink the thread and unref its value.
  void OnThreadExit(ThreadData *d) {
    std::lock_guard l(mutex_);
    threads_.erase(std::remove(threads_.begin(), threads_.end(), d), threads_.end());
    if (d->ptr != nullptr)
      handler_(d->ptr);
  }

private:
  mutable std::mutex mutex_; // StaticMeta::Mutex()
  std::vector<ThreadData *> threads_;
  UnrefHandler handler_;
};

ThreadData::~ThreadData() {
  if (owner != nullptr)
    owner->OnThreadExit(this);
}

struct HistogramImpl {
  std::uint64_t count = 0, sum = 0;
  void Add(std::uint64_t v) {
    ++count;
    sum += v;
  }
  void Merge(const HistogramImpl &o) {
    count += o.count;
    sum += o.sum;
  }
};

struct ThreadHistogramInfo {
  HistogramImpl value;
  HistogramImpl *merged_hist;
  std::mutex *merge_lock;
};

// The UnrefHandler: fold a dying thread's histogram into the merged one.
void mergeThreadHistogram(void *ptr) {
  auto *info = static_cast<ThreadHistogramInfo *>(ptr);
  {
    std::lock_guard l(*info->merge_lock);
    info->merged_hist->Merge(info->value);
  }
  delete info;
}

class HistogramInfo {
public:
  void measureTime(std::uint64_t v) {
    auto *info = static_cast<ThreadHistogramInfo *>(thread_value_.Get());
    if (info == nullptr) {
      info = new ThreadHistogramInfo{{}, &merged_hist_, &merge_lock_};
      thread_value_.Reset(info);
    }
    info->value.Add(v);
  }

  std::unique_ptr<HistogramImpl> getMergedHistogram() const {
    auto res_hist = std::make_unique<HistogramImpl>();
    {
      std::lock_guard lock(merge_lock_);
      res_hist->Merge(merged_hist_);
      std::this_thread::sleep_for(50ms); // (forces the schedule: a recording thread exits now)
    }
    thread_value_.Fold(
        [](void *curr, void *res) {
          static_cast<HistogramImpl *>(res)->Merge(static_cast<ThreadHistogramInfo *>(curr)->value);
        },
        res_hist.get());
    return res_hist;
  }

private:
  mutable std::mutex merge_lock_;
  HistogramImpl merged_hist_;
  ThreadLocalPtr thread_value_{&mergeThreadHistogram};
};

int main() {
  HistogramInfo db_get_micros;
  std::thread worker([&] {
    db_get_micros.measureTime(42);
    std::this_thread::sleep_for(10ms);
  }); // exits while the histogram is being reported
  std::unique_ptr<HistogramImpl> h = db_get_micros.getMergedHistogram();
  worker.join();
  (void)h->count;
}
