// threadleak-cv-wait-no-stop false positive: the workers' stop signal is a
// method named Abort(), and the class has an unrelated user-provided
// destructor, which the check takes as "the" stop path.
//
//   /tmp/tl-val/bin/threadleak --checks='-*,threadleak-cv-wait-no-stop' \
//       wait-no-stop-abort-method.cpp -- -std=c++20
//   -> warning at `Condition.wait(l);`: "wait on 'Condition' can block
//      forever: nothing on the stop path makes its loop's condition change"
//      note: "stop path '~Pool' changes none of it"
//
// Why it is wrong: Abort() sets the loop's exit state (Aborting) under the
// mutex and notifies Condition: it is a correct stop path. But the default
// StopMethods list (stop, shutdown, request_stop, close, cancel, terminate,
// quit, finish, join; matched case-insensitively) has no "abort", so the
// only stop path the check reads is the destructor, which neither joins the
// workers nor owns their lifetime: the threads are started and joined
// inside Run() (in CMake, started in one libuv callback and joined in
// another), long before the object dies. Renaming Abort() to Stop(), or
// removing the empty destructor, silences the check. Two fixes suggest
// themselves: add "abort" to the default StopMethods, and take the
// destructor as a stop path only when it can reach the join of the
// worker's thread (it joins, or destroys a member that owns the thread).
//
// Seen in: CMake 3.25.1 Source/cmWorkerPool.cxx:672, :680 (waits on
// Condition) and :695 (the fence wait on ConditionFence), with stop path
// '~cmWorkerPoolInternal' (which only calls uv_loop_close); the real stop
// is cmWorkerPoolInternal::Abort().
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

class Pool {
public:
  ~Pool() {}
  void Run(unsigned n) { // the threads' whole lifetime
    for (unsigned i = 0; i != n; ++i)
      Workers.emplace_back(&Pool::Work, this);
    for (auto &t : Workers)
      t.join();
    Workers.clear();
  }
  void Abort() { // the stop path: called by the last job, or by the owner
    std::lock_guard<std::mutex> g(Mutex);
    Aborting = true;
    Condition.notify_all();
  }

private:
  void Work() {
    std::unique_lock<std::mutex> l(Mutex);
    while (!Aborting) {
      if (Queue.empty()) {
        Condition.wait(l);
        continue;
      }
      auto job = std::move(Queue.front());
      Queue.pop_front();
      l.unlock();
      job();
      l.lock();
    }
  }
  std::mutex Mutex;
  std::condition_variable Condition;
  std::deque<std::function<void()>> Queue;
  bool Aborting = false;
  std::vector<std::thread> Workers;
};
