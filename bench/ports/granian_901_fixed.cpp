// Port: emmett-framework/granian#901 ("Fix lost condvar wakeup on mt worker shutdown")
//   (fixes emmett-framework/granian#900, "Worker hangs on shutdown after #899:
//   lost condvar wakeup in the mt serve path".) In the `mt` arm of
//   src/serve.rs a granian worker runs its listener on a multi-threaded
//   runtime and parks a plain shutdown thread on the worker signal. When the
//   arbiter stops the worker, the shutdown thread receives from pyrx, does
//   stx.send(true) to stop the listener, and then waits on a
//   (Mutex<bool>, Condvar) pair until the runtime task reports that it has
//   drained: `let done = lock.lock(); let _done = cvar.wait(done);` - a
//   single wait, no loop over the flag. The runtime task, once listen()
//   returns, closes the runtime, waits for the connection tasks and the
//   metrics notify, drops the worker, then sets `*done = true` and calls
//   notify_one(). With no connection in flight that takes next to no time:
//   if the runtime task gets there between stx.send(true) and the shutdown
//   thread taking the mutex, the notification is lost (a condvar stores
//   none), the shutdown thread sleeps forever, release() is never called and
//   the Python loop waiting for the worker never returns.
// Style: (d) standard library only (std::thread for the runtime task and the
//   shutdown thread, std::mutex + std::condition_variable for the
//   (Mutex<bool>, Condvar) pair; small stand-ins for tokio's watch channel,
//   Notify and TaskTracker, and for the WorkerSignal rx / release event)
// Bug class: lost wake-up: a condition-variable wait with no predicate, whose
//   only notify can happen before the waiter reaches the wait
// Shape: the worker serves for 30 ms with no open connection; then the
//   arbiter signals it. The shutdown thread sends stx and is descheduled for
//   50 ms right after (forcing the window #900 describes; the PR widened it
//   the same way); meanwhile the runtime task stops, drains nothing, sets
//   done and notifies nobody. The shutdown thread then waits forever; main
//   (the Python loop) waits for release() forever.
// Fix: the shutdown thread waits in a loop over the flag
//   (`while !*done { done = cvar.wait(done) }`), so a notification that came
//   first is seen through the flag.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

using namespace std::chrono_literals;

namespace granian {

// tokio::sync::watch::channel<bool> stand-in.
class WatchChannel {
 public:
  void send(bool v) {
    {
      std::lock_guard lk{mu_};
      value_ = v;
    }
    cv_.notify_all();
  }
  void wait_for_value(bool v) {
    std::unique_lock lk{mu_};
    cv_.wait(lk, [&] { return value_ == v; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool value_ = false;
};

// tokio::sync::Notify stand-in: notify_one() stores a permit if nobody waits.
class Notify {
 public:
  void notify_one() {
    {
      std::lock_guard lk{mu_};
      permit_ = true;
    }
    cv_.notify_one();
  }
  void notified() {
    std::unique_lock lk{mu_};
    cv_.wait(lk, [&] { return permit_; });
    permit_ = false;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool permit_ = false;
};

// tokio_util TaskTracker stand-in: counts in-flight connection tasks.
class TaskTracker {
 public:
  void close() {
    std::lock_guard lk{mu_};
    closed_ = true;
  }
  void wait() {
    std::unique_lock lk{mu_};
    cv_.wait(lk, [&] { return closed_ && running_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool closed_ = false;
  int running_ = 0;
};

// The Python-side WorkerSignal: rx fires on SIGTERM, release() sets evp.
struct WorkerSignal {
  std::promise<void> tx;
  std::optional<std::future<void>> rx{tx.get_future()};
  std::promise<void> evp;

  void release() { evp.set_value(); }
};

struct Worker {
  std::shared_ptr<TaskTracker> tasks = std::make_shared<TaskTracker>();
  int worker_id;

  void listen(WatchChannel& srx) {
    std::printf("Started worker-%d\n", worker_id);
    srx.wait_for_value(true);  // accept loop runs until stx.send(true)
  }
};

// serve_mt(): the runtime task plus the shutdown thread.
void serve_mt(int worker_id, WorkerSignal& signal, std::thread& runtime, std::thread& shutdown) {
  auto stx = std::make_shared<WatchChannel>();
  auto cvar = std::make_shared<std::pair<std::mutex, std::condition_variable>>();
  auto done_flag = std::make_shared<bool>(false);
  auto mc_notify = std::make_shared<Notify>();
  mc_notify->notify_one();  // metrics disabled: nothing to wait for

  auto wrk = std::make_shared<Worker>();
  wrk->worker_id = worker_id;
  auto tasks = wrk->tasks;

  runtime = std::thread{[=]() mutable {
    wrk->listen(*stx);
    std::printf("Stopping worker-%d\n", worker_id);
    tasks->close();
    tasks->wait();
    mc_notify->notified();
    wrk.reset();  // Python::attach(|_| drop(wrk))

    auto& [lock, cv] = *cvar;
    std::lock_guard done{lock};
    *done_flag = true;
    cv.notify_one();
  }};

  shutdown = std::thread{[=, &signal] {
    auto pyrx = std::move(*signal.rx);
    signal.rx.reset();
    pyrx.wait();  // pyrx.recv()
    stx->send(true);
    std::this_thread::sleep_for(50ms);  // forcing: preempted right after stx.send(true)

    auto& [lock, cv] = *cvar;
    std::unique_lock done{lock};
    while (!*done_flag) {
      cv.wait(done);
    }

    signal.release();
  }};
}

}  // namespace granian

int main() {
  granian::WorkerSignal signal;
  std::thread runtime, shutdown;
  granian::serve_mt(1, signal, runtime, shutdown);

  std::this_thread::sleep_for(30ms);  // the worker serves a while
  std::puts("arbiter: SIGTERM to worker-1");
  signal.tx.set_value();

  // loop.run_until_complete(_main()): wait until the worker released.
  signal.evp.get_future().wait();
  runtime.join();
  shutdown.join();
  std::puts("worker-1 stopped");
  return 0;
}
