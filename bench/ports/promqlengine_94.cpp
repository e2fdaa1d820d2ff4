// Port: thanos-io/promql-engine#94 ("engine: fix goroutine leak")
//   (closes thanos-io/promql-engine#93, "goroutine leak in
//   drainBufferOnCancel"): the concurrency operator starts, on its first
//   Next(), a goroutine that pulls from its child into a buffer and one that
//   waits for the query's context to be done and then drains the buffer. The
//   query's Exec() derives that context with context.WithCancel and keeps the
//   cancel func for Cancel(), but a query that runs to completion and is then
//   closed never cancels it: every finished query left its
//   drainBufferOnCancel goroutine waiting forever (tens of thousands in the
//   issue's goroutine dump).
// Style: (d) standard library only (std::jthread as the operator's goroutines, std::stop_source/std::stop_token as the query context, std::condition_variable_any, a hand-written closable queue as the buffer)
// Bug class: a cancel that the normal path never calls, so a context watcher waits forever
// Shape: Query::Exec() derives the operators' context (a stop_source linked
//   to the request's token) and keeps it for Cancel(); the caller reads the
//   result and calls Close(), which does not cancel. The drain thread waits
//   for that context's stop. The jthread's destructor does request a stop,
//   but on the jthread's own stop_source, which the drain thread does not
//   watch, so destroying the query joins a thread that never returns.
// Fix: (reconstructed from the PR's summary, "always cancel the context that
//   we pass down", and the engine.go stored after it) closing the query
//   cancels its context: Close() calls Cancel().
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

struct StepVector {
  long t;
  double v;
};
using Batch = std::vector<StepVector>;

struct VectorOperator {
  virtual ~VectorOperator() = default;
  virtual std::optional<Batch> Next(std::stop_token ctx) = 0;
};

// A leaf: `steps` batches, then the end.
class Selector : public VectorOperator {
public:
  explicit Selector(int steps) : left_(steps) {}
  std::optional<Batch> Next(std::stop_token) override {
    if (left_ == 0)
      return std::nullopt;
    --left_;
    return Batch{{long(left_), 1.0}};
  }

private:
  int left_;
};

// `make(chan maybeStepVector, bufferSize)` with close().
class Buffer {
public:
  explicit Buffer(std::size_t cap) : cap_(cap) {}
  void push(Batch b) {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return q_.size() < cap_; });
    q_.push_back(std::move(b));
    cv_.notify_all();
  }
  std::optional<Batch> pop() { // nullopt once closed and empty
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return !q_.empty() || closed_; });
    if (q_.empty())
      return std::nullopt;
    Batch b = std::move(q_.front());
    q_.pop_front();
    cv_.notify_all();
    return b;
  }
  void close() {
    std::lock_guard lk(mu_);
    closed_ = true;
    cv_.notify_all();
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Batch> q_;
  std::size_t cap_;
  bool closed_ = false;
};

class ConcurrencyOperator : public VectorOperator {
public:
  ConcurrencyOperator(std::unique_ptr<VectorOperator> next, std::size_t bufferSize)
      : next_(std::move(next)), buffer_(bufferSize) {}

  std::optional<Batch> Next(std::stop_token ctx) override {
    if (ctx.stop_requested())
      return std::nullopt;
    std::call_once(once_, [&] {
      pull_ = std::jthread([this, ctx] { pull(ctx); });
      drain_ = std::jthread([this, ctx] { drainBufferOnCancel(ctx); });
    });
    return buffer_.pop();
  }

private:
  void pull(std::stop_token ctx) {
    while (!ctx.stop_requested()) {
      std::optional<Batch> r = next_->Next(ctx);
      if (!r)
        break;
      buffer_.push(std::move(*r));
    }
    buffer_.close();
  }
  // <-ctx.Done(); for range c.buffer {}
  void drainBufferOnCancel(std::stop_token ctx) {
    std::mutex m;
    std::condition_variable_any done;
    std::unique_lock lk(m);
    done.wait(lk, ctx, [] { return false; }); // LEAK: the query's context is never cancelled
    while (buffer_.pop()) {
    }
  }

  std::unique_ptr<VectorOperator> next_;
  Buffer buffer_;
  std::once_flag once_;
  std::jthread pull_, drain_; // declared last: joined before the buffer goes
};

class Query {
public:
  explicit Query(std::unique_ptr<VectorOperator> root) : root_(std::move(root)) {}

  std::vector<Batch> Exec(std::stop_token parent) {
    // ctx, cancel := context.WithCancel(ctx); q.cancel = cancel
    std::stop_callback propagate(parent, [this] { cancel_.request_stop(); });
    std::stop_token ctx = cancel_.get_token();
    std::vector<Batch> result;
    while (std::optional<Batch> b = root_->Next(ctx))
      result.push_back(std::move(*b));
    return result;
  }
  void Cancel() { cancel_.request_stop(); }
  void Close() {} // the API calls it once it is done with the query

private:
  std::stop_source cancel_;
  std::unique_ptr<VectorOperator> root_;
};

int main() {
  std::stop_source request; // the API request's context, still alive
  {
    Query q(std::make_unique<ConcurrencyOperator>(std::make_unique<Selector>(3), 2));
    q.Exec(request.get_token());
    q.Close(); // the API handler's `defer qry.Close()`
  } // ~Query joins the operator's threads
}
