// Port: apache/doris#12411 ("[fix](exec) Avoid query thread block on wait_for_start")
//   (fixes apache/doris#12412, "too many wait_for_start() thread and can not
//   execute query") A BE receives a query's plan fragments with
//   need_wait_execution_trigger set: FragmentMgr submits each instance to its
//   fragment ThreadPool, and FragmentExecState::execute() first parks the pool
//   thread in QueryFragmentsCtx::wait_for_start() until the FE's second RPC,
//   start_query_execution(), sets _ready_to_execute and notifies _start_cond.
//   If the FE restarts in between, that RPC never comes; FragmentMgr's
//   cancel_worker finds the query's coordinator gone and cancels every
//   instance, but FragmentExecState::cancel() only marks the executor
//   cancelled: nobody notifies _start_cond, the predicate has no cancel term,
//   and the pool threads stay parked forever (with enough queries, every
//   fragment thread, and the BE executes nothing).
// Style: (d) standard library only (std::thread, std::mutex, std::condition_variable, std::atomic); Doris' own classes reduced: a ThreadPool with submit_func()/shutdown(), FragmentMgr with its cancel_worker thread, FragmentExecState, QueryFragmentsCtx
// Bug class: condition wait with no cancel/shutdown notify (the waker's RPC never arrives; the cancel path does not signal)
// Shape: the FE sends two instances of one query (pool of two threads); both
//   park in wait_for_start(). The FE restarts at 50 ms; at its next round
//   (100 ms) cancel_worker sees the coordinator's new start time and cancels
//   both instances. At 500 ms
//   the BE stops: FragmentMgr's destructor shuts the pool down and joins its
//   threads, which never leave wait_for_start().
// Fix: the cancel path calls set_ready_to_execute(/*is_cancelled=*/true),
//   which records the cancellation and notifies _start_cond;
//   wait_for_start() also stops on _is_cancelled (and after a bounded wait of
//   max_fragment_start_wait_time_seconds) and returns false, and execute()
//   then returns CANCELLED without opening the plan.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace doris {

using TUniqueId = std::string;

// util/threadpool.h, reduced: fixed workers fed through a condition variable.
class ThreadPool {
public:
  explicit ThreadPool(int max_threads) {
    for (int i = 0; i < max_threads; ++i)
      _threads.emplace_back([this] { dispatch_thread(); });
  }
  bool submit_func(std::function<void()> f) {
    std::lock_guard<std::mutex> l(_lock);
    if (_shutdown)
      return false;
    _queue.push_back(std::move(f));
    _not_empty.notify_one();
    return true;
  }
  void shutdown() {
    {
      std::lock_guard<std::mutex> l(_lock);
      _shutdown = true;
      _not_empty.notify_all();
    }
    for (auto &t : _threads)
      t.join();
    _threads.clear();
  }

private:
  void dispatch_thread() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> l(_lock);
        _not_empty.wait(l, [this] { return _shutdown || !_queue.empty(); });
        if (_queue.empty())
          return;
        task = std::move(_queue.front());
        _queue.pop_front();
      }
      task();
    }
  }
  std::mutex _lock;
  std::condition_variable _not_empty;
  std::deque<std::function<void()>> _queue;
  bool _shutdown = false;
  std::vector<std::thread> _threads;
};

// runtime/query_fragments_ctx.h
class QueryFragmentsCtx {
public:
  QueryFragmentsCtx(TUniqueId qid, int fe_start_time) : query_id(std::move(qid)), coord_start_time(fe_start_time) {}

  void set_ready_to_execute() {
    {
      std::lock_guard<std::mutex> l(_start_lock);
      _ready_to_execute = true;
    }
    _start_cond.notify_all();
  }

  void wait_for_start() {
    std::unique_lock<std::mutex> l(_start_lock);
    while (!_ready_to_execute.load()) {
      _start_cond.wait(l); // LEAK
    }
  }

  TUniqueId query_id;
  int coord_start_time; // the FE's process start time when it sent the fragments

private:
  std::mutex _start_lock;
  std::condition_variable _start_cond;
  std::atomic<bool> _ready_to_execute{false};
};

// runtime/fragment_mgr.cpp: one fragment instance.
class FragmentExecState {
public:
  FragmentExecState(TUniqueId instance_id, std::shared_ptr<QueryFragmentsCtx> ctx)
      : _fragment_instance_id(std::move(instance_id)), _fragments_ctx(std::move(ctx)) {}

  std::string execute() {
    if (_need_wait_execution_trigger) {
      // If the query need to wait for execution trigger, wait here.
      _fragments_ctx->wait_for_start();
    }
    if (_cancelled)
      return "CANCELLED";
    std::printf("instance %s: open and run plan\n", _fragment_instance_id.c_str());
    return "OK";
  }

  void cancel(const std::string &msg) {
    std::lock_guard<std::mutex> l(_status_lock);
    if (!_cancelled) {
      _cancelled = true;
      std::printf("instance %s cancelled: %s\n", _fragment_instance_id.c_str(), msg.c_str());
    }
  }

  const TUniqueId &fragment_instance_id() const { return _fragment_instance_id; }
  std::shared_ptr<QueryFragmentsCtx> fragments_ctx() const { return _fragments_ctx; }

private:
  TUniqueId _fragment_instance_id;
  std::shared_ptr<QueryFragmentsCtx> _fragments_ctx;
  bool _need_wait_execution_trigger = true;
  std::mutex _status_lock;
  std::atomic<bool> _cancelled{false};
};

class FragmentMgr {
public:
  FragmentMgr() : _thread_pool(2), _cancel_thread([this] { cancel_worker(); }) {}

  ~FragmentMgr() {
    {
      std::lock_guard<std::mutex> l(_lock);
      _stop_background_threads = true;
    }
    _stop_cv.notify_all();
    _cancel_thread.join();
    _thread_pool.shutdown();
  }

  // The FE's first RPC.
  void exec_plan_fragment(const TUniqueId &query_id, const TUniqueId &instance_id, int fe_start_time) {
    std::shared_ptr<FragmentExecState> exec_state;
    {
      std::lock_guard<std::mutex> l(_lock);
      auto &ctx = _fragments_ctx_map[query_id];
      if (!ctx)
        ctx = std::make_shared<QueryFragmentsCtx>(query_id, fe_start_time);
      exec_state = std::make_shared<FragmentExecState>(instance_id, ctx);
      _fragment_map[instance_id] = exec_state;
    }
    _thread_pool.submit_func([this, exec_state] { _exec_actual(exec_state); });
  }

  // The FE's second RPC.
  void start_query_execution(const TUniqueId &query_id) {
    std::lock_guard<std::mutex> l(_lock);
    auto it = _fragments_ctx_map.find(query_id);
    if (it != _fragments_ctx_map.end())
      it->second->set_ready_to_execute();
  }

  void cancel(const TUniqueId &instance_id, const std::string &msg) {
    std::shared_ptr<FragmentExecState> exec_state;
    {
      std::lock_guard<std::mutex> l(_lock);
      auto it = _fragment_map.find(instance_id);
      if (it == _fragment_map.end())
        return;
      exec_state = it->second;
    }
    exec_state->cancel(msg);
  }

  // Heartbeat: the FE reports its current process start time.
  void set_fe_start_time(int t) { _fe_start_time.store(t); }

private:
  void _exec_actual(const std::shared_ptr<FragmentExecState> &exec_state) {
    std::string st = exec_state->execute();
    std::printf("instance %s finished: %s\n", exec_state->fragment_instance_id().c_str(), st.c_str());
    std::lock_guard<std::mutex> l(_lock);
    _fragment_map.erase(exec_state->fragment_instance_id());
  }

  // Cancels the fragments whose coordinator FE restarted.
  void cancel_worker() {
    std::unique_lock<std::mutex> l(_lock);
    while (!_stop_cv.wait_for(l, std::chrono::milliseconds(100), [this] { return _stop_background_threads; })) {
      std::vector<TUniqueId> to_cancel;
      for (auto &[id, state] : _fragment_map)
        if (state->fragments_ctx()->coord_start_time != _fe_start_time.load())
          to_cancel.push_back(id);
      l.unlock();
      for (auto &id : to_cancel)
        cancel(id, "Source frontend is not running or restarted");
      l.lock();
    }
  }

  std::mutex _lock;
  std::condition_variable _stop_cv;
  bool _stop_background_threads = false;
  std::map<TUniqueId, std::shared_ptr<FragmentExecState>> _fragment_map;
  std::map<TUniqueId, std::shared_ptr<QueryFragmentsCtx>> _fragments_ctx_map;
  std::atomic<int> _fe_start_time{1};
  ThreadPool _thread_pool;
  std::thread _cancel_thread;
};

} // namespace doris

int main() {
  using namespace std::chrono_literals;
  {
    doris::FragmentMgr mgr;
    // The FE (start time 1) sends both instances of a query, then restarts
    // before it sends start_query_execution().
    mgr.exec_plan_fragment("q1", "q1-i0", 1);
    mgr.exec_plan_fragment("q1", "q1-i1", 1);
    std::this_thread::sleep_for(50ms);
    mgr.set_fe_start_time(2); // FE restarted
    std::this_thread::sleep_for(450ms);
    // BE shutdown: ~FragmentMgr stops the cancel worker and the fragment pool.
  }
  std::printf("BE stopped\n");
  return 0;
}
