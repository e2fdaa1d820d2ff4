// Port: apache/arrow#10115 ("ARROW-12487: [C++][Dataset] Fix ScanBatches() hanging")
//   SyncScanner::ScanBatches() runs each scan task on a TaskGroup; a task
//   pushes its batches into ScanBatchesState, then Finish() marks it drained
//   and notifies `ready`, on which the consumer's Pop() waits. A task whose
//   Execute() or batch read failed left through ARROW_ASSIGN_OR_RAISE with
//   the error, kept by the TaskGroup until the scan's end, and never marked
//   itself drained ("errors weren't being handled in all paths").
// Style: (d) standard library only, C++-native (Arrow's idiom reduced: Status, Result<T>, ARROW_ASSIGN_OR_RAISE/RETURN_NOT_OK, Iterator<T> ending on a null value, a threaded TaskGroup written in the port, ScanTask over a file fragment, ScanBatchesState with its mutex and condition_variable)
// Bug class: missed notify on an error path: a scan task on the task group returns early on an error without marking its queue drained, so the consumer's condition-variable wait is never satisfied
// Shape: a file's second row group is corrupt. Its scan task pushes the
//   first batch and returns the IOError to the task group. The consumer takes
//   the first batch and calls Pop() again: task 0's queue is empty and not
//   drained, so it waits on `ready` for a Push() or Finish() that never comes.
// Fix: the task's results go through PushError(), which on an error marks the
//   task drained, records iteration_error and notifies `ready`.
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace arrow {
class Status {
  std::string msg_;
public:
  static Status OK() { return Status(); }
  static Status IOError(std::string msg) { Status s; s.msg_ = "IOError: " + msg; return s; }
  bool ok() const { return msg_.empty(); }
  const std::string &ToString() const { return msg_; }
};

template <typename T> class Result {
  Status status_;
  std::optional<T> value_;
public:
  Result(T value) : value_(std::move(value)) {}
  Result(Status status) : status_(std::move(status)) {}
  bool ok() const { return status_.ok(); }
  const Status &status() const { return status_; }
  T MoveValueUnsafe() { return std::move(*value_); }
};

#define ARROW_CONCAT_(x, y) x##y
#define ARROW_CONCAT(x, y) ARROW_CONCAT_(x, y)
#define ARROW_ASSIGN_OR_RAISE_IMPL(res, lhs, rexpr) \
  auto res = (rexpr);                               \
  if (!res.ok()) return res.status();               \
  lhs = res.MoveValueUnsafe();
#define ARROW_ASSIGN_OR_RAISE(lhs, rexpr) ARROW_ASSIGN_OR_RAISE_IMPL(ARROW_CONCAT(_res_, __COUNTER__), lhs, rexpr)
#define RETURN_NOT_OK(s) do { ::arrow::Status _st = (s); if (!_st.ok()) return _st; } while (0)

template <typename T> using Iterator = std::function<Result<T>()>; // a null T ends the iteration

namespace internal {
// ThreadedTaskGroup reduced: each task runs on a CPU thread of its own.
class TaskGroup {
  std::mutex mutex_;
  std::condition_variable done_;
  int nremaining_ = 0;
  Status status_; // the first error
  std::vector<std::thread> threads_;
public:
  ~TaskGroup() { for (auto &t : threads_) t.join(); }
  void Append(std::function<Status()> task) {
    std::lock_guard<std::mutex> lk(mutex_);
    ++nremaining_;
    threads_.emplace_back([this, task = std::move(task)] {
      Status st = task();
      std::lock_guard<std::mutex> lk(mutex_);
      if (!st.ok() && status_.ok()) status_ = st;
      if (--nremaining_ == 0) done_.notify_all();
    });
  }
  Status Finish() {
    std::unique_lock<std::mutex> lk(mutex_);
    done_.wait(lk, [this] { return nremaining_ == 0; });
    return status_;
  }
};
} // namespace internal

namespace dataset {
struct RecordBatch { std::string path; int row_group; };
using RecordBatchIterator = Iterator<std::shared_ptr<RecordBatch>>;

struct ScanTask { // one Parquet file, a batch per row group; row group `corrupt` fails to decode
  std::string path;
  int num_row_groups, corrupt;
  Result<RecordBatchIterator> Execute() {
    return RecordBatchIterator([*this, rg = 0]() mutable -> Result<std::shared_ptr<RecordBatch>> {
      if (rg == num_row_groups) return std::shared_ptr<RecordBatch>();
      if (rg == corrupt) return Status::IOError("Couldn't deserialize thrift: " + path);
      return std::make_shared<RecordBatch>(RecordBatch{path, rg++});
    });
  }
};

struct ScanBatchesState : public std::enable_shared_from_this<ScanBatchesState> {
  ScanBatchesState(std::vector<ScanTask> tasks, internal::TaskGroup *tg)
      : scan_tasks(std::move(tasks)), task_group(tg) {}
  void ResizeBatches(size_t task_index) {
    if (task_batches.size() <= task_index) task_batches.resize(task_index + 1), task_drained.resize(task_index + 1);
  }
  void Push(std::shared_ptr<RecordBatch> batch, size_t task_index) {
    { std::lock_guard<std::mutex> lock(mutex); ResizeBatches(task_index); task_batches[task_index].push_back(std::move(batch)); }
    ready.notify_one();
  }
  Status Finish(size_t task_index) {
    { std::lock_guard<std::mutex> lock(mutex); ResizeBatches(task_index); task_drained[task_index] = true; }
    ready.notify_one();
    return Status::OK();
  }
  void PushScanTask() {
    std::unique_lock<std::mutex> lock(mutex);
    if (next_scan_task_id == scan_tasks.size()) return; // no more tasks
    auto state = shared_from_this();
    auto id = next_scan_task_id++;
    ResizeBatches(id);
    ScanTask scan_task = scan_tasks[id];
    lock.unlock(); // a serial task group would run the task right here
    task_group->Append([state, id, scan_task]() mutable {
      ARROW_ASSIGN_OR_RAISE(auto batch_it, scan_task.Execute());
      while (true) {
        ARROW_ASSIGN_OR_RAISE(auto batch, batch_it());
        if (!batch) break;
        state->Push(std::move(batch), id);
      }
      return state->Finish(id);
    });
  }
  Result<std::shared_ptr<RecordBatch>> Pop() {
    std::unique_lock<std::mutex> lock(mutex);
    ready.wait(lock, [this, &lock] { // LEAK: the failed scan task never marks itself drained or notifies
      while (pop_cursor < task_batches.size()) {
        if (!task_batches[pop_cursor].empty()) return true; // a batch to pop
        if (!task_drained[pop_cursor]) return false;         // wait for it to be appended
        ++pop_cursor; // drained: enqueue the next scan task
        lock.unlock();
        PushScanTask();
        lock.lock();
      }
      return true; // all scan tasks drained
    });
    if (pop_cursor == task_batches.size()) {
      RETURN_NOT_OK(iteration_error); // only after yielding everything we could
      return std::shared_ptr<RecordBatch>();
    }
    auto batch = std::move(task_batches[pop_cursor].front());
    task_batches[pop_cursor].pop_front();
    return batch;
  }
  std::mutex mutex; // protects everything below
  std::condition_variable ready;
  std::vector<ScanTask> scan_tasks;
  internal::TaskGroup *task_group;
  size_t next_scan_task_id = 0, pop_cursor = 0;
  Status iteration_error;
  std::vector<std::deque<std::shared_ptr<RecordBatch>>> task_batches;
  std::vector<bool> task_drained;
};

Iterator<std::shared_ptr<RecordBatch>> ScanBatches(std::vector<ScanTask> tasks, internal::TaskGroup *task_group) {
  auto state = std::make_shared<ScanBatchesState>(std::move(tasks), task_group);
  state->PushScanTask(); // fragment_readahead = 1
  return [task_group, state]() -> Result<std::shared_ptr<RecordBatch>> {
    ARROW_ASSIGN_OR_RAISE(auto batch, state->Pop());
    if (batch) return batch;
    RETURN_NOT_OK(task_group->Finish());
    return std::shared_ptr<RecordBatch>();
  };
}
} // namespace dataset
} // namespace arrow

int main() {
  using namespace arrow;
  internal::TaskGroup task_group; // scan_options->TaskGroup()
  auto it = dataset::ScanBatches({{"part-0.parquet", 3, 1}, {"part-1.parquet", 2, -1}}, &task_group);
  for (auto maybe_batch = it(); maybe_batch.ok(); maybe_batch = it()) { // Scanner::ToTable() reduced
    auto batch = maybe_batch.MoveValueUnsafe();
    if (!batch) return 0;
    std::printf("batch %s:%d\n", batch->path.c_str(), batch->row_group);
  }
  std::puts("scan failed");
  return 0;
}
