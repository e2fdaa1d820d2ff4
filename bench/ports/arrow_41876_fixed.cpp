// Port: apache/arrow#41876 ("GH-41862: [C++][S3] Fix potential deadlock when closing output stream")
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
//   (fixes apache/arrow#41862 "Thread deadlock in ObjectOutputStream"): the
//   S3 ObjectOutputStream uploads parts asynchronously; when an upload
//   finishes, HandleUploadOutcome() takes the UploadState mutex, decrements
//   parts_in_progress and, when it reaches zero, marks the
//   pending_parts_completed Future finished, still holding the mutex. Marking
//   a Future finished runs its callbacks inline, and a user-supplied callback
//   may well destroy the stream; the stream's destructor closes it, which
//   waits for the uploads and takes the same UploadState mutex on the same
//   thread: the reporter found the mutex "already held by this thread".
// Style: (d) standard library only, C++-native (Arrow's idiom reduced: a Future<> whose MarkFinished() runs callbacks inline, an I/O executor thread, an ObjectOutputStream with Write()/FlushAsync()/Close(), CloseFromDestructor(), an UploadState shared with the upload completions)
// Bug class: lock held while invoking a callback: the callback re-enters the object and takes the same (non-recursive) mutex on the same thread
// Shape: a file writer writes two parts (two uploads in flight on the I/O
//   thread), calls FlushAsync() and, in the callback, drops its reference to
//   the stream (the port attaches it to FlushAsync(), on which CloseAsync()
//   is built). The last upload completes on the I/O thread:
//   HandleUploadOutcome() locks UploadState::mutex and marks the future
//   finished; the callback destroys the stream; ~ObjectOutputStream() ->
//   Close() -> Flush() -> WaitForUploadsAsync() locks UploadState::mutex
//   again and blocks on itself. The writer's owner waits for the callback's
//   "done" signal forever.
// Fix: HandleUploadOutcome() moves the Future out of the UploadState and
//   unlocks the mutex before marking it finished.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

struct Status { bool ok = true; static Status OK() { return {}; } }; // arrow::Status, reduced

// arrow::Future<>: callbacks run inline in MarkFinished() (or in AddCallback()
// when the future is already finished).
class Future {
public:
  using Callback = std::function<void(const Status &)>;
  static Future Make() { return Future(std::make_shared<Impl>()); }
  static Future MakeFinished(Status st) {
    Future f = Make();
    return f.MarkFinished(st), f;
  }
  Future() = default;
  bool is_valid() const { return impl_ != nullptr; }

  void MarkFinished(Status st = Status::OK()) {
    std::vector<Callback> callbacks;
    {
      std::lock_guard<std::mutex> lock(impl_->mutex);
      impl_->finished = true;
      impl_->status = st;
      callbacks.swap(impl_->callbacks);
    }
    impl_->cv.notify_all();
    for (auto &cb : callbacks)
      cb(st);
  }
  void AddCallback(Callback cb) {
    {
      std::lock_guard<std::mutex> lock(impl_->mutex);
      if (!impl_->finished) {
        impl_->callbacks.push_back(std::move(cb));
        return;
      }
    }
    cb(impl_->status);
  }
  Status status() const {
    std::unique_lock<std::mutex> lock(impl_->mutex);
    impl_->cv.wait(lock, [&] { return impl_->finished; });
    return impl_->status;
  }

private:
  struct Impl {
    std::mutex mutex;
    std::condition_variable cv;
    bool finished = false;
    Status status;
    std::vector<Callback> callbacks;
  };
  explicit Future(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

// The IOContext's executor: one thread running the SDK's async requests.
class IOExecutor {
public:
  IOExecutor() : thread_([this] { Run(); }) {}
  ~IOExecutor() {
    Submit(nullptr); // stop after the queued requests
    thread_.join();
  }
  void Submit(std::function<void()> task) {
    std::lock_guard<std::mutex> l(mutex_);
    tasks_.push_back(std::move(task));
    cv_.notify_one();
  }

private:
  void Run() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> l(mutex_);
        cv_.wait(l, [&] { return !tasks_.empty(); });
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      if (!task)
        return;
      task();
    }
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  std::thread thread_;
};

class OutputStream {
public:
  virtual ~OutputStream() = default;
  virtual Status Write(const std::string &data) = 0;
  virtual Future FlushAsync() = 0;
  virtual Status Close() = 0;
};

class ObjectOutputStream final : public OutputStream {
public:
  ObjectOutputStream(IOExecutor &io, size_t part_upload_threshold)
      : io_(io), part_upload_threshold_(part_upload_threshold), upload_state_(std::make_shared<UploadState>()) {}

  ~ObjectOutputStream() override { CloseFromDestructor(); }

  Status Write(const std::string &data) override {
    current_part_ += data;
    if (current_part_.size() >= part_upload_threshold_)
      CommitCurrentPart();
    return Status::OK();
  }

  Future FlushAsync() override {
    if (!current_part_.empty())
      CommitCurrentPart();
    return WaitForUploadsAsync();
  }

  Status Close() override {
    if (closed_)
      return Status::OK();
    Status st = FlushAsync().status();
    std::this_thread::sleep_for(1ms); // CompleteMultipartUpload
    closed_ = true;
    return st;
  }

private:
  struct UploadState {
    std::mutex mutex;
    std::vector<int> completed_parts;
    int parts_in_progress = 0;
    Status status;
    Future pending_parts_completed;
  };

  void CloseFromDestructor() { (void)Close(); }

  void CommitCurrentPart() { UploadPart(part_number_++, std::move(current_part_)); }

  void UploadPart(int part_number, std::string body) {
    {
      std::lock_guard<std::mutex> lock(upload_state_->mutex);
      if (!upload_state_->pending_parts_completed.is_valid())
        upload_state_->pending_parts_completed = Future::Make();
      ++upload_state_->parts_in_progress;
    }
    auto state = upload_state_;
    io_.Submit([state, part_number, body = std::move(body)] {
      std::this_thread::sleep_for(10ms); // the UploadPart request
      HandleUploadOutcome(state, part_number, Status::OK());
    });
  }

  static void HandleUploadOutcome(const std::shared_ptr<UploadState> &state, int part_number, Status outcome) {
    std::unique_lock<std::mutex> lock(state->mutex);
    if (!outcome.ok)
      state->status = outcome;
    else
      state->completed_parts.push_back(part_number);
    if (--state->parts_in_progress == 0) {
      // Unlock before marking it finished: a callback may destroy the stream.
      Future fut = std::exchange(state->pending_parts_completed, Future());
      Status status = state->status;
      lock.unlock();
      fut.MarkFinished(status);
    }
  }

  Future WaitForUploadsAsync() {
    std::lock_guard<std::mutex> lock(upload_state_->mutex);
    if (upload_state_->parts_in_progress == 0)
      return Future::MakeFinished(upload_state_->status);
    return upload_state_->pending_parts_completed;
  }

  IOExecutor &io_;
  size_t part_upload_threshold_;
  std::shared_ptr<UploadState> upload_state_;
  std::string current_part_;
  int part_number_ = 1;
  bool closed_ = false;
};

// Writes a file and drops the stream once its data is flushed.
class FileWriter {
public:
  explicit FileWriter(std::shared_ptr<OutputStream> stream) : stream_(std::move(stream)) {}
  std::future<void> WriteAndFinish(const std::vector<std::string> &batches) {
    for (const auto &b : batches)
      (void)stream_->Write(b);
    stream_->FlushAsync().AddCallback([this](const Status &) {
      stream_.reset(); // the last reference: destroys the stream on this (I/O) thread
      finished_.set_value();
    });
    return finished_.get_future();
  }

private:
  std::shared_ptr<OutputStream> stream_;
  std::promise<void> finished_;
};

int main() {
  IOExecutor io;
  FileWriter writer(std::make_shared<ObjectOutputStream>(io, /*part_upload_threshold=*/8));
  std::future<void> done = writer.WriteAndFinish({"row-group-1", "row-group-2"});
  done.wait();
  return 0;
}
