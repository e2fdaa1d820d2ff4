// Port: kubernetes-sigs/kueue#9137 ("Fix: lock cleanup broadcast to avoid missed wakeup")
//   (fixes kubernetes-sigs/kueue#8434): the scheduler takes its work from
//   the queue Manager with Heads(ctx), which, under the manager's mutex,
//   pops the heads of the ClusterQueues or, when they are all empty, checks
//   ctx.Done() and parks in m.cond.Wait(). CleanUpOnContext() waits for the
//   context and then calls m.cond.Broadcast() without taking the mutex. When
//   the context is cancelled after Heads() has checked it but before Heads()
//   is parked in Wait(), the broadcast wakes nobody and Heads() sleeps for
//   good: the scheduler never returns, and the manager's shutdown, which
//   waits for its runnables, hangs with it.
// Style: (d) standard library only (std::thread for the goroutines, std::mutex + std::condition_variable for the Manager's sync.Mutex + sync.Cond, std::stop_source/std::stop_token for the context.Context; a sleep widens the window between the context check and Wait())
// Bug class: lost wake-up: a condition variable broadcast without the mutex under which the waiter checks its exit condition
// Shape: the scheduler admits the only pending workload and calls Heads()
//   again; the queues are empty and the context is live, so it heads for
//   Wait(). The controller manager is stopped in that window:
//   CleanUpOnContext() broadcasts before the scheduler waits, the scheduler
//   then waits with no one left to wake it, and main's join never returns.
// Fix: CleanUpOnContext() holds the manager's mutex around the Broadcast(),
//   so the broadcast happens either before Heads() checks the context or
//   after Heads() is parked in Wait().
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

// <-ctx.Done()
void Done(std::stop_token ctx) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lk(mu);
  cv.wait(lk, ctx, [] { return false; });
}

struct Info {
  std::string workload;
  std::string clusterQueue;
};

class Manager {
public:
  void AddOrUpdateWorkload(const std::string &cq, const std::string &name) {
    std::lock_guard lk(mu);
    clusterQueues[cq].push_back({name, cq});
    cond.notify_all(); // m.Broadcast()
  }

  // CleanUpOnContext tracks the context; when it is done, it wakes the
  // goroutines waiting in Heads().
  void CleanUpOnContext(std::stop_token ctx) {
    Done(ctx);
    cond.notify_all(); // m.Broadcast()
  }

  // Heads returns the heads of the queues; it blocks while they are all
  // empty, until they get an element or the context is done.
  std::vector<Info> Heads(std::stop_token ctx) {
    std::unique_lock lk(mu);
    for (;;) {
      std::vector<Info> workloads = heads();
      if (!workloads.empty())
        return workloads;
      if (ctx.stop_requested()) // select { case <-ctx.Done(): return nil
        return {};
      std::this_thread::sleep_for(100ms); // (port) the window before Wait()
      cond.wait(lk); // LEAK: the context's broadcast came before this wait began
    }
  }

private:
  std::vector<Info> heads() {
    std::vector<Info> workloads;
    for (auto &[name, q] : clusterQueues) {
      if (q.empty())
        continue;
      workloads.push_back(q.front());
      q.pop_front();
    }
    return workloads;
  }

  std::mutex mu;
  std::condition_variable cond;
  std::map<std::string, std::deque<Info>> clusterQueues;
};

class Scheduler {
public:
  explicit Scheduler(Manager &queues) : queues(queues) {}

  // Start runs schedule() until the context is done (wait.UntilWithBackoff).
  void Start(std::stop_token ctx) {
    while (!ctx.stop_requested())
      schedule(ctx);
  }

private:
  void schedule(std::stop_token ctx) {
    std::vector<Info> heads = queues.Heads(ctx);
    if (heads.empty())
      return;
    admitted += heads.size(); // nominate, assume quota, admit
  }

  Manager &queues;
  size_t admitted = 0;
};

int main() {
  Manager queues;
  Scheduler scheduler(queues);
  std::stop_source ctx; // the controller manager's context

  std::thread cleanup([&] { queues.CleanUpOnContext(ctx.get_token()); });
  std::thread sched([&] { scheduler.Start(ctx.get_token()); });

  queues.AddOrUpdateWorkload("cq-a", "job-1");
  std::this_thread::sleep_for(50ms);
  ctx.request_stop(); // the manager is stopped

  cleanup.join();
  sched.join(); // LEAK: the scheduler is parked in Heads() and was never woken
}
