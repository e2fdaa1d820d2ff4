// Port: apache/incubator-pegasus#404 ("fix: fix the bug of deadlock in info collector in onebox environment")
//   (Fixes XiaoMi/pegasus#392.) The info collector server registers four
//   timer tasks (LPC_PEGASUS_APP_STAT_TIMER, LPC_PEGASUS_STORAGE_SIZE_STAT_TIMER,
//   LPC_DETECT_AVAILABLE, LPC_PEGASUS_CAPACITY_UNIT_STAT_TIMER), all on
//   THREAD_POOL_DEFAULT. Each timer body asks the meta server something through
//   the replication ddl client: it issues an RPC whose response task is also
//   coded for THREAD_POOL_DEFAULT, then waits on that task (dsn::task::wait(),
//   a semaphore). With worker_count = 2 in the onebox config, the first two
//   timers take both workers and block in wait(); the meta server's replies are
//   queued on THREAD_POOL_DEFAULT behind the other timers, and no worker is
//   ever free to run them. Each timer waits for a callback that waits for the
//   timer's thread.
// Style: (d) standard library only (rDSN-like task_worker_pool with a task queue, std::thread workers, dsn::task with a std::counting_semaphore-based wait(), a network thread standing in for the meta server)
// Bug class: thread-pool self-starvation: a pool task blocks on a task queued to the same, fully occupied pool
// Shape: main enqueues the four timer tasks at start-up; workers 1 and 2 run
//   the first two, issue list_apps/query RPCs and wait. The meta server replies
//   after 20 ms by enqueuing the response tasks on THREAD_POOL_DEFAULT, behind
//   the two remaining timers; nothing dequeues them, so both waits and main's
//   wait for the collector never return.
// Fix: THREAD_POOL_DEFAULT gets worker_count = 5 in the collector's config:
//   more workers than timer tasks that can block at once, so a worker is always
//   free to run the RPC response tasks.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace dsn {

//  A task: run on some pool, then signal whoever wait()s on it.
class task {
public:
  explicit task(std::string code, std::function<void()> cb) : code_(std::move(code)), cb_(std::move(cb)) {}
  const std::string &code() const { return code_; }
  void exec() {
    if (cb_)
      cb_();
    done_.release();
  }
  void wait() {
    done_.acquire();
  }

private:
  std::string code_;
  std::function<void()> cb_;
  std::counting_semaphore<> done_{0};
};
using task_ptr = std::shared_ptr<task>;

struct threadpool_spec {
  std::string name;
  int worker_count;
};

class task_worker_pool {
public:
  explicit task_worker_pool(threadpool_spec spec) : spec_(std::move(spec)) {}
  void start() {
    for (int i = 0; i < spec_.worker_count; ++i)
      workers_.emplace_back([this] { run(); });
  }
  void enqueue(task_ptr t) {
    std::lock_guard<std::mutex> lk(mu_);
    queue_.push_back(std::move(t));
    cv_.notify_one();
  }
  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stopped_ = true;
    }
    cv_.notify_all();
    for (auto &w : workers_)
      w.join();
  }

private:
  void run() {
    for (;;) {
      task_ptr t;
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [this] { return stopped_ || !queue_.empty(); });
        if (queue_.empty())
          return;
        t = std::move(queue_.front());
        queue_.pop_front();
      }
      t->exec();
    }
  }

  threadpool_spec spec_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<task_ptr> queue_;
  bool stopped_ = false;
  std::vector<std::thread> workers_;
};

//  Stands in for the network: the meta server answers each request after a
//  delay, and the response task is dispatched to the pool it was coded for.
class meta_server_stub {
public:
  void start() {
    thr_ = std::thread([this] { loop(); });
  }
  void call(task_ptr response, task_worker_pool *pool) {
    std::lock_guard<std::mutex> lk(mu_);
    pending_.push_back({std::move(response), pool});
    cv_.notify_one();
  }
  void stop() {
    {
      std::lock_guard<std::mutex> lk(mu_);
      stopped_ = true;
    }
    cv_.notify_all();
    thr_.join();
  }

private:
  struct req {
    task_ptr response;
    task_worker_pool *pool = nullptr;
  };
  void loop() {
    for (;;) {
      req r;
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [this] { return stopped_ || !pending_.empty(); });
        if (pending_.empty())
          return;
        r = std::move(pending_.front());
        pending_.pop_front();
      }
      std::this_thread::sleep_for(20ms); //  network + meta server latency
      r.pool->enqueue(std::move(r.response));
    }
  }
  std::thread thr_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<req> pending_;
  bool stopped_ = false;
};

} // namespace dsn

//  THREAD_POOL_DEFAULT as configured for the onebox info collector: more
//  workers than timer tasks that may block at once.
const dsn::threadpool_spec THREAD_POOL_DEFAULT_SPEC{"THREAD_POOL_DEFAULT", 5};

class replication_ddl_client {
public:
  replication_ddl_client(dsn::meta_server_stub *meta, dsn::task_worker_pool *pool) : meta_(meta), pool_(pool) {}
  //  Synchronous RPC: the response callback is coded for THREAD_POOL_DEFAULT.
  int call_meta_sync(const std::string &rpc_code) {
    int result = -1;
    auto resp = std::make_shared<dsn::task>(rpc_code + "_ACK", [&result] { result = 0; });
    meta_->call(resp, pool_);
    resp->wait();
    return result;
  }

private:
  dsn::meta_server_stub *meta_;
  dsn::task_worker_pool *pool_;
};

class info_collector {
public:
  info_collector(replication_ddl_client *ddl, dsn::task_worker_pool *pool) : ddl_(ddl), pool_(pool) {}

  //  Registers the four timers; their first round fires at start.
  void start() {
    add_timer("LPC_PEGASUS_APP_STAT_TIMER", "RPC_CM_LIST_APPS");
    add_timer("LPC_PEGASUS_STORAGE_SIZE_STAT_TIMER", "RPC_CM_QUERY_PARTITION_CONFIG");
    add_timer("LPC_DETECT_AVAILABLE", "RPC_CM_QUERY_NODE_PARTITIONS");
    add_timer("LPC_PEGASUS_CAPACITY_UNIT_STAT_TIMER", "RPC_CM_LIST_NODES");
  }
  //  Waits for the first round of every timer.
  void wait_first_round() {
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait(lk, [this] { return finished_ == 4; });
  }

private:
  void add_timer(const std::string &code, const std::string &rpc) {
    pool_->enqueue(std::make_shared<dsn::task>(code, [this, code, rpc] {
      int err = ddl_->call_meta_sync(rpc);
      std::printf("%s: %s -> %d\n", code.c_str(), rpc.c_str(), err);
      std::lock_guard<std::mutex> lk(mu_);
      ++finished_;
      cv_.notify_all();
    }));
  }

  replication_ddl_client *ddl_;
  dsn::task_worker_pool *pool_;
  std::mutex mu_;
  std::condition_variable cv_;
  int finished_ = 0;
};

int main() {
  dsn::task_worker_pool default_pool(THREAD_POOL_DEFAULT_SPEC);
  dsn::meta_server_stub meta;
  meta.start();
  default_pool.start();

  replication_ddl_client ddl(&meta, &default_pool);
  info_collector collector(&ddl, &default_pool);
  collector.start();
  collector.wait_first_round();

  default_pool.stop();
  meta.stop();
  return 0;
}
