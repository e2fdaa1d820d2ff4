// Port: fatih/semgroup#2 ("Fix deadlock")
//   semgroup.Group runs tasks as goroutines, at most maxWorkers at a time: it
//   pairs a sync.WaitGroup with a golang.org/x/sync/semaphore.Weighted bound
//   to the group's context. Group.Go() calls wg.Add(1) first and then
//   sem.Acquire(ctx, 1), which blocks until a worker slot is free or ctx is
//   done. When the context is cancelled while Go() waits for a slot, Acquire
//   returns ctx.Err() and Go() returns the error, but the wg.Add(1) it made
//   is never matched by a wg.Done(): no goroutine was started for it. The
//   WaitGroup counter can never reach zero again, and Group.Wait() blocks
//   forever even after every started task has finished.
// Style: (e) Boost.Asio (C++20 coroutines on one io_context; asio_go.h's
//   signal_chan for ctx.Done() and the semaphore waiters' ready channels,
//   closed to signal; Acquire's select as the `||` awaitable operator; the
//   WaitGroup over a steady_timer that Done() cancels at zero;
//   asio::signal_set for Ctrl-C; co_spawn(detached) for the goroutines).
//   A Wait() that never completes keeps io_context::run() from returning.
// Bug class: WaitGroup misuse: Add() before an operation that can fail, with
//   no Done() on its error path
// Shape: maxWorkers = 1. The first visit takes 150 ms; Go() for the second
//   waits in Acquire(). At 50 ms the user hits Ctrl-C (SIGINT, raised by the
//   driver) and the context is cancelled: Acquire() fails, the caller stops
//   submitting and awaits Wait(), which never completes once the first
//   visit has finished (~150 ms); io_context::run() in main never returns.
// Fix: Go() calls g.wg.Done() when Acquire() fails (and accumulates the
//   "couldn't acquire semaphore" error in the group's errors); the twin does
//   the same and keeps Go()'s error result so that the caller is unchanged.
#include "asio_go.h"

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

using error = std::string; // "" is nil

// context.WithCancel
struct Context {
  std::shared_ptr<signal_chan> done; // Done(): closed on cancel
  std::shared_ptr<bool> cancelled = std::make_shared<bool>(false);
  void cancel() const {
    if (!*cancelled) {
      *cancelled = true;
      done->close();
    }
  }
  error Err() const { return *cancelled ? "context canceled" : ""; }
};

// golang.org/x/sync/semaphore
namespace semaphore {
class Weighted {
  struct waiter {
    int64_t n;
    std::shared_ptr<signal_chan> ready; // closed when the semaphore is acquired
    bool acquired = false;
  };

public:
  explicit Weighted(int64_t n) : size(n) {}

  // Acquire acquires the semaphore with a weight of n, blocking until
  // resources are available or ctx is done.
  awaitable<error> Acquire(Context ctx, int64_t n) {
    auto ex = co_await asio::this_coro::executor;
    mu.lock();
    if (size - cur >= n && waiters.empty()) {
      cur += n;
      mu.unlock();
      co_return "";
    }
    auto w = std::make_shared<waiter>(waiter{n, std::make_shared<signal_chan>(ex)});
    waiters.push_back(w);
    mu.unlock();

    auto r = co_await (ctx.done->async_receive(asio::as_tuple(use_awaitable)) ||
                       w->ready->async_receive(asio::as_tuple(use_awaitable)));
    if (r.index() == 0) {
      error err = ctx.Err();
      std::lock_guard lk(mu);
      if (w->acquired)
        err = ""; // acquired the semaphore after we were canceled: pretend we didn't notice
      else
        waiters.remove(w);
      co_return err;
    }
    co_return "";
  }

  void Release(int64_t n) {
    std::lock_guard lk(mu);
    cur -= n;
    notifyWaiters();
  }

private:
  void notifyWaiters() {
    while (!waiters.empty()) {
      auto next = waiters.front();
      if (size - cur < next->n)
        break;
      cur += next->n;
      next->acquired = true;
      next->ready->close();
      waiters.pop_front();
    }
  }

  int64_t size;
  int64_t cur = 0;
  std::mutex mu;
  std::list<std::shared_ptr<waiter>> waiters;
};
} // namespace semaphore

// sync.WaitGroup for coroutines on one executor.
class WaitGroup {
public:
  explicit WaitGroup(asio::any_io_executor ex) : zero(ex, asio::steady_timer::time_point::max()) {}
  void Add(int d) { n += d; }
  void Done() {
    if (--n == 0)
      zero.cancel();
  }
  awaitable<void> Wait() {
    if (n > 0)
      co_await zero.async_wait(asio::as_tuple(use_awaitable));
  }

private:
  int n = 0;
  asio::steady_timer zero;
};

namespace semgroup {
using multiError = std::vector<error>;

// A Group is a collection of goroutines working on subtasks that are part of
// the same overall task.
class Group {
public:
  Group(asio::any_io_executor ex, Context ctx, int64_t maxWorkers) : ex(ex), sem(maxWorkers), wg(ex), ctx(ctx) {}

  // Go calls the given function in a new goroutine. It also acquires the
  // semaphore with a weight of 1, blocking until resources are available or
  // ctx is done.
  awaitable<error> Go(std::function<awaitable<error>()> f) {
    wg.Add(1);

    error err = co_await sem.Acquire(ctx, 1);
    if (!err.empty()) {
      wg.Done();
      std::lock_guard lk(mu);
      errs.push_back("couldn't acquire semaphore: " + err);
      co_return "couldn't acquire semaphore: " + err;
    }

    co_spawn(ex, [this, f = std::move(f)]() -> awaitable<void> {
      error err = co_await f();
      if (!err.empty()) {
        std::lock_guard lk(mu);
        errs.push_back(err);
      }
      wg.Done();
      sem.Release(1);
    }, detached);
    co_return "";
  }

  // Wait blocks until all function calls from the Go method have returned,
  // then returns all accumulated non-nil errors (if any) from them.
  awaitable<multiError> Wait() {
    co_await wg.Wait();
    std::lock_guard lk(mu);
    co_return errs;
  }

private:
  asio::any_io_executor ex;
  semaphore::Weighted sem;
  WaitGroup wg;
  Context ctx;

  multiError errs;
  std::mutex mu; // protects errs
};
} // namespace semgroup

awaitable<void> visitAll() {
  auto ex = co_await asio::this_coro::executor;
  // signal.NotifyContext(ctx, os.Interrupt)
  Context ctx{std::make_shared<signal_chan>(ex)};
  asio::signal_set signals(ex, SIGINT);
  signals.async_wait([ctx](error_code ec, int) {
    if (!ec) {
      std::puts("^C");
      ctx.cancel();
    }
  });
  co_spawn(ex, []() -> awaitable<void> { // the user, 50 ms in
    co_await sleep_ms(50);
    std::raise(SIGINT);
  }, detached);

  const int64_t maxWorkers = 1;
  semgroup::Group s(ex, ctx, maxWorkers);

  std::vector<std::pair<std::string, int>> visitors = {{"/index", 150}, {"/about", 20}, {"/blog", 20}};
  for (auto &[page, ms] : visitors) {
    error err = co_await s.Go([page = page, ms = ms]() -> awaitable<error> {
      co_await sleep_ms(ms); // fetch the page
      std::printf("visited %s\n", page.c_str());
      co_return "";
    });
    if (!err.empty()) {
      std::printf("stop submitting: %s\n", err.c_str());
      break;
    }
  }

  // Wait for all visits to complete. Any errors are accumulated.
  semgroup::multiError errs = co_await s.Wait();
  signals.cancel();
  std::printf("%zu error(s) occurred\n", errs.size());
  for (const error &e : errs)
    std::printf("* %s\n", e.c_str());
}

int main() {
  asio::io_context io;
  co_spawn(io, visitAll(), detached);
  io.run();
  return 0;
}
