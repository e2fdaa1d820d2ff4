// Port: go-gitea/gitea#9790 ("Fix missing unlock in uniquequeue")
//   (fixes go-gitea/gitea#9667, backported as #9791). modules/sync.UniqueQueue
//   keeps at most one instance of an id in line: a StatusTable (a map guarded
//   by a sync.RWMutex) plus a buffered channel of ids. AddFunc() first checks
//   Exist() under the read lock, then takes the write lock, re-checks the pool,
//   adds the id, runs fn and unlocks before pushing the id on the channel. The
//   re-check's early `return` did not unlock. Two AddFunc() calls for the same
//   pull request that both pass Exist() (the restart re-queue of PRs left in
//   "checking" and a push to the PR's head branch) make the second one return
//   with the table's write lock held. The pull-request test worker,
//   TestPullRequests(), then receives that id and calls Remove(), which needs
//   the write lock: it blocks forever, and so does every later Exist()/Add()
//   (the web requests pile up behind it) and the shutdown.
// Style: (c) gochan.h (go::chan for the queue and `closed`, go::select,
//   go::spawn; go::RWMutex for StatusTable.lock; go::Context for the graceful
//   manager's shutdown context)
// Bug class: missing unlock on an early-return path
// Shape: AddFunc() takes 100 ms between Exist() and Lock() (forced window).
//   The re-queue goroutine adds PR 7 (locks at 100 ms) and PR 42 (locks at
//   200 ms); a push adds PR 42 again at 150 ms: Exist() is false, Lock() at
//   250 ms finds 42 and returns still holding the lock. The worker tests PR 7
//   from 100 to 400 ms, then receives 42 and blocks in Remove() ->
//   StatusTable.Stop() -> lock.Lock(); main's cancel at 900 ms is never seen and
//   the wait for the goroutines hangs.
// Fix: AddFunc() unlocks the table before returning when the id is already
//   in the pool.
#include "gochan.h"

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace gsync { // modules/sync

// StatusTable is a table maintains true/false values.
class StatusTable {
public:
  go::RWMutex lock;
  std::map<std::string, go::unit> pool;

  void Start(const std::string &name) {
    lock.lock();
    pool[name] = go::unit{};
    lock.unlock();
  }
  void Stop(const std::string &name) {
    lock.lock(); // LEAK
    pool.erase(name);
    lock.unlock();
  }
  bool IsRunning(const std::string &name) {
    lock.rlock();
    bool ok = pool.count(name) > 0;
    lock.runlock();
    return ok;
  }
};

inline std::string ToStr(int64_t id) { return std::to_string(id); } // com.ToStr

// UniqueQueue is a queue which guarantees only one instance of same
// identity is in the line.
class UniqueQueue {
  StatusTable table;
  go::chan<std::string> queue;
  go::chan<go::unit> closed;

public:
  explicit UniqueQueue(std::size_t queueLength) : queue(queueLength ? queueLength : 100) {}

  void Close() {
    if (go::select(go::case_recv(closed), go::case_default()) == 0)
      return;
    table.lock.lock();
    if (go::select(go::case_recv(closed), go::case_default()) == 1)
      closed.close();
    table.lock.unlock();
  }
  go::chan<std::string> Queue() const { return queue; }
  bool Exist(int64_t id) { return table.IsRunning(ToStr(id)); }

  // AddFunc adds new instance to the queue with a custom runnable function,
  // the queue is blocked until the function exits.
  void AddFunc(int64_t id, const std::function<void()> &fn) {
    if (Exist(id))
      return;
    go::sleep_ms(100); // forcing: another AddFunc(id) passes Exist() meanwhile

    std::string idStr = ToStr(id);
    table.lock.lock();
    if (table.pool.count(idStr)) {
      return;
    }
    table.pool[idStr] = go::unit{};
    if (fn)
      fn();
    table.lock.unlock();
    go::select(go::case_recv(closed), go::case_send(queue, idStr));
  }
  void Add(int64_t id) { AddFunc(id, nullptr); }
  void Remove(const std::string &id) { table.Stop(id); }
};

} // namespace gsync

namespace models {
enum PullRequestStatus { PullRequestStatusConflict, PullRequestStatusChecking, PullRequestStatusMergeable };
struct PullRequest {
  int64_t ID;
  PullRequestStatus Status;
};
std::mutex dbMu;
std::map<int64_t, PullRequest> prs = {{7, {7, PullRequestStatusChecking}}, {42, {42, PullRequestStatusChecking}}};
void UpdateStatus(int64_t id, PullRequestStatus st) {
  std::lock_guard lk(dbMu);
  prs[id].Status = st;
}
std::vector<int64_t> GetPullRequestIDsByCheckStatus(PullRequestStatus st) {
  std::lock_guard lk(dbMu);
  std::vector<int64_t> ids;
  for (auto &[id, pr] : prs)
    if (pr.Status == st)
      ids.push_back(id);
  return ids;
}
} // namespace models

// services/pull/check.go
namespace pull {

gsync::UniqueQueue pullRequestQueue(100);

// AddToTaskQueue adds itself to pull request test task queue.
void AddToTaskQueue(int64_t prID) {
  go::spawn([prID] {
    pullRequestQueue.AddFunc(prID, [prID] { models::UpdateStatus(prID, models::PullRequestStatusChecking); });
  });
}

void TestPatch(int64_t) { go::sleep_ms(300); } // git apply --check in a temp repo

// TestPullRequests checks and tests untested patches of pull requests.
void TestPullRequests(go::Context ctx) {
  go::spawn([ctx] { // re-queue the PRs left in "checking" by the last run
    for (int64_t prID : models::GetPullRequestIDsByCheckStatus(models::PullRequestStatusChecking)) {
      if (go::select(go::case_recv(ctx.done()), go::case_default()) == 0)
        return;
      pullRequestQueue.Add(prID);
    }
  });

  for (;;) {
    std::string prID;
    int fired = go::select(go::case_recv(pullRequestQueue.Queue(), &prID), go::case_recv(ctx.done()));
    if (fired == 0) {
      std::printf("TestPullRequests[%s]: processing test task\n", prID.c_str());
      pullRequestQueue.Remove(prID);
      int64_t id = std::stoll(prID);
      TestPatch(id);
      models::UpdateStatus(id, models::PullRequestStatusMergeable);
    } else {
      pullRequestQueue.Close();
      std::printf("Pull Request testing shutdown\n");
      return;
    }
  }
}

} // namespace pull

int main() {
  auto [ctx, cancel] = go::with_cancel(); // graceful manager's shutdown context
  go::spawn([ctx = ctx] { pull::TestPullRequests(ctx); });

  go::sleep_ms(150);
  pull::AddToTaskQueue(42); // a push to PR 42's head branch

  go::sleep_ms(750);
  cancel(); // SIGTERM
  go::wait_all_goroutines();
  return 0;
}
