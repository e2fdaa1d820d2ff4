// Port: Derecho-Project/derecho#14 ("PersistenceManager deadlocks on shutdown")
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
//   Any experiment that creates a Group hung at the end of main(): Group's
//   destructor calls PersistenceManager::shutdown(), which sets
//   thread_shutdown and joins persist_thread. The persistence thread spends
//   its idle time in sem_wait(&persistence_request_sem), a semaphore that
//   counts queued persistence requests; once the last request is handled
//   nothing posts it again, so the thread never gets back to its
//   `while (!thread_shutdown)` check and the join waits forever. The
//   maintainers took the second suggestion: shutdown() posts the
//   semaphore, and the thread checks whether it was woken for a request or
//   for the shutdown.
// Style: (d) standard library only, C++-native (derecho's idiom reduced: a PersistenceManager with start()/post_persist_request()/shutdown(), a request queue guarded by a test-and-set std::atomic_flag, a counting semaphore (std::counting_semaphore for the upstream sem_t); a Group that owns it and shuts it down in its destructor)
// Bug class: semaphore count mismatch: the waiter needs one more release than the shutdown path gives
// Shape: the application multicasts two updates; the predicate thread posts
//   a persistence request for each and the persistence thread handles both,
//   then parks in acquire() with the count at zero. The Group goes out of
//   scope: ~Group() calls shutdown(true), which sets thread_shutdown and joins
//   the persistence thread, still parked in acquire().
// Fix: shutdown() releases the semaphore once after setting
//   thread_shutdown, and the persistence thread leaves its loop when it finds
//   thread_shutdown set and the request queue empty.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <queue>
#include <semaphore>
#include <thread>
#include <tuple>

using namespace std::chrono_literals;
using subgroup_id_t = uint32_t;
using version_t = int64_t;
using persistence_request_t = std::tuple<subgroup_id_t, version_t>;
using persistence_callback_t = std::function<void(subgroup_id_t, version_t)>;

// Stands for a Replicated<T> object whose state is written to its log.
class ReplicatedObject {
public:
  void persist(version_t v) {
    std::this_thread::sleep_for(1ms); // the write to the persistent log
    latest_persisted_ = v;
  }
  version_t latest_persisted() const { return latest_persisted_; }

private:
  std::atomic<version_t> latest_persisted_{-1};
};

class PersistenceManager {
public:
  PersistenceManager(std::map<subgroup_id_t, ReplicatedObject *> &objects,
                     persistence_callback_t callback)
      : thread_shutdown(false), persistence_request_sem(0), objects_by_subgroup_id(objects),
        persistence_callback(std::move(callback)) {}

  // Start the persistent thread.
  void start() {
    persist_thread = std::thread([this]() {
      do {
        persistence_request_sem.acquire();
        persistence_request_t request;
        while (prq_lock.test_and_set(std::memory_order_acquire))
          ;
        if (persistence_request_queue.empty()) {
          // woken by shutdown(), not by a request
          prq_lock.clear(std::memory_order_release);
          continue;
        }
        request = persistence_request_queue.front();
        persistence_request_queue.pop();
        prq_lock.clear(std::memory_order_release);
        handle_request(request);
      } while (!thread_shutdown);
    });
  }

  // Called by the predicates thread when a version is stable.
  void post_persist_request(subgroup_id_t subgroup_id, version_t version) {
    while (prq_lock.test_and_set(std::memory_order_acquire))
      ;
    persistence_request_queue.push({subgroup_id, version});
    prq_lock.clear(std::memory_order_release);
    persistence_request_sem.release();
  }

  // Shut down the persistence thread.
  void shutdown(bool wait) {
    if (wait) {
      thread_shutdown = true;
      persistence_request_sem.release();
    }
    if (persist_thread.joinable()) {
      persist_thread.join();
    }
  }

private:
  void handle_request(const persistence_request_t &request) {
    auto [subgroup_id, version] = request;
    objects_by_subgroup_id.at(subgroup_id)->persist(version);
    if (persistence_callback)
      persistence_callback(subgroup_id, version);
  }

  std::thread persist_thread;
  std::atomic<bool> thread_shutdown;
  std::counting_semaphore<> persistence_request_sem;
  std::queue<persistence_request_t> persistence_request_queue;
  std::atomic_flag prq_lock = ATOMIC_FLAG_INIT;
  std::map<subgroup_id_t, ReplicatedObject *> &objects_by_subgroup_id;
  persistence_callback_t persistence_callback;
};

class Group {
public:
  explicit Group(persistence_callback_t on_persist)
      : persistence_manager(objects_by_subgroup_id, std::move(on_persist)) {
    objects_by_subgroup_id[0] = &object;
    persistence_manager.start();
    predicates_thread = std::thread([this] { predicates_loop(); });
  }
  ~Group() {
    predicates_thread.join();
    persistence_manager.shutdown(true);
  }

  void ordered_send(version_t v) {
    std::lock_guard<std::mutex> l(pending_mutex);
    pending.push(v);
  }
  void leave() { leaving = true; }

private:
  // Stands for the SST predicate that fires when a message is stable.
  void predicates_loop() {
    while (!leaving) {
      {
        std::lock_guard<std::mutex> l(pending_mutex);
        while (!pending.empty()) {
          persistence_manager.post_persist_request(0, pending.front());
          pending.pop();
        }
      }
      std::this_thread::sleep_for(1ms);
    }
  }

  ReplicatedObject object;
  std::map<subgroup_id_t, ReplicatedObject *> objects_by_subgroup_id;
  PersistenceManager persistence_manager;
  std::mutex pending_mutex;
  std::queue<version_t> pending;
  std::atomic<bool> leaving{false};
  std::thread predicates_thread;
};

int main() {
  std::atomic<int> persisted{0};
  {
    Group group([&](subgroup_id_t, version_t) { ++persisted; });
    group.ordered_send(1);
    group.ordered_send(2);
    while (persisted < 2)
      std::this_thread::sleep_for(1ms);
    group.leave();
  } // ~Group() shuts the persistence manager down
  return persisted == 2 ? 0 : 1;
}
