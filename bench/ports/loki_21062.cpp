// Port: grafana/loki#21062 ("fix: prevent goroutine leak in downstreamer on context cancellation")
//   (fixes grafana/loki#21042): the query frontend's downstreamer runs the
//   shards of a query through ForEachJob in a background goroutine and reads
//   their results from an unbuffered channel. The reading loop returns as
//   soon as the request's context is cancelled; ForEachJob then returns the
//   context's error, and the goroutine sends that error on the channel with
//   nobody left to receive it. One goroutine leaked per cancelled query.
// Style: (d) standard library only (std::thread, std::stop_source/std::stop_token as the request context, a hand-written unbuffered Chan<T> on std::condition_variable_any)
// Bug class: chan send, receiver gave up on a cancellation (the error send has no select on ctx.Done())
// Shape: For() starts the producer thread and loops on receive-or-cancel.
//   The client goes away while the first shard runs: the per-result send
//   already gives up on the cancelled context, but ForEachJob() returns the
//   context's error and the producer sends it unconditionally. For() has
//   already returned, so that send waits forever (and the frontend's
//   shutdown, which joins its query threads, with it).
// Fix: the error send also selects on ctx.Done() (here: send(v, ctx), which
//   gives up when the context is cancelled).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

// Go's unbuffered `chan T`: send() returns once a receiver took the value.
template <typename T> class Chan {
public:
  void send(T v) { (void)sendImpl(std::move(v), nullptr); }
  // select { case <-ctx.Done(): case ch <- v: }; false if ctx won
  bool send(T v, std::stop_token ctx) { return sendImpl(std::move(v), &ctx); }

  enum class Status { ok, closed, cancelled };
  // select { case <-ctx.Done(): case v, ok := <-ch: }
  Status recv(T &out, std::stop_token ctx) {
    std::unique_lock lk(mu_);
    cv_.wait(lk, ctx, [&] { return slot_.has_value() || closed_; });
    if (ctx.stop_requested())
      return Status::cancelled;
    if (!slot_)
      return Status::closed;
    out = std::move(*slot_);
    slot_.reset();
    ++taken_;
    cv_.notify_all();
    return Status::ok;
  }
  void close() {
    std::lock_guard lk(mu_);
    closed_ = true;
    cv_.notify_all();
  }

private:
  bool sendImpl(T v, std::stop_token *ctx) {
    std::unique_lock lk(mu_);
    auto free = [&] { return !slot_.has_value(); };
    if (ctx) {
      if (!cv_.wait(lk, *ctx, free))
        return false;
    } else {
      cv_.wait(lk, free);
    }
    slot_ = std::move(v);
    const std::uint64_t mine = ++put_;
    cv_.notify_all();
    auto taken = [&] { return taken_ >= mine; };
    if (ctx) {
      if (!cv_.wait(lk, *ctx, taken)) {
        slot_.reset(); // withdraw the offer
        cv_.notify_all();
        return false;
      }
    } else {
      cv_.wait(lk, taken);
    }
    return true;
  }
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::optional<T> slot_;
  std::uint64_t put_ = 0, taken_ = 0;
  bool closed_ = false;
};

struct Query {
  int shard;
};
struct Resp {
  int i = 0;
  std::string res;
  std::string err;
};

// dskit's concurrency.ForEachJob: runs the jobs on `parallelism` workers,
// stops taking new ones once ctx is cancelled, and returns the first error
// (the context's error if it was cancelled).
std::string ForEachJob(std::stop_token ctx, int jobs, int parallelism,
                       const std::function<std::string(int)> &job) {
  std::atomic<int> next{0};
  std::mutex mu;
  std::string first;
  std::vector<std::thread> workers;
  for (int w = 0; w < parallelism; ++w)
    workers.emplace_back([&] {
      while (!ctx.stop_requested()) {
        const int i = next++;
        if (i >= jobs)
          return;
        std::string err = job(i);
        std::lock_guard lk(mu);
        if (!err.empty() && first.empty())
          first = err;
      }
    });
  for (auto &w : workers)
    w.join();
  if (first.empty() && ctx.stop_requested())
    first = "context canceled";
  return first;
}

class Instance {
public:
  explicit Instance(int parallelism) : parallelism_(parallelism) {}
  // The frontend's shutdown waits for the goroutines its queries started.
  ~Instance() {
    for (auto &t : background_)
      t.join();
  }

  std::vector<std::string> For(std::stop_token ctx, const std::vector<Query> &queries,
                               std::function<std::string(const Query &)> fn, std::string &err) {
    auto ch = std::make_shared<Chan<Resp>>();
    // ForEachJob blocks until all are done; the results are read as they come.
    background_.emplace_back([this, ch, ctx, queries, fn] {
      std::string e = ForEachJob(ctx, int(queries.size()), parallelism_, [&](int i) {
        Resp r{i, fn(queries[i]), ""};
        ch->send(r, ctx); // feed the result unless the query is over
        return std::string();
      });
      if (!e.empty())
        ch->send(Resp{-1, "", e}); // LEAK: For() has returned on the cancellation; no receiver
      ch->close();
    });

    std::vector<std::string> results(queries.size());
    for (;;) {
      Resp r;
      switch (ch->recv(r, ctx)) {
      case Chan<Resp>::Status::cancelled:
        err = "context canceled";
        return results;
      case Chan<Resp>::Status::closed:
        return results;
      case Chan<Resp>::Status::ok:
        if (!r.err.empty()) {
          err = r.err;
          return results;
        }
        results[r.i] = r.res;
      }
    }
  }

private:
  int parallelism_;
  std::vector<std::thread> background_;
};

int main() {
  Instance in(2);
  std::stop_source request; // the HTTP request's context
  std::vector<Query> shards{{0}, {1}, {2}, {3}};
  std::string err;
  in.For(request.get_token(), shards,
         [&](const Query &q) {
           if (q.shard == 0)
             request.request_stop(); // the client disconnects mid-query
           std::this_thread::sleep_for(std::chrono::milliseconds(10));
           return std::string("series");
         },
         err);
}
