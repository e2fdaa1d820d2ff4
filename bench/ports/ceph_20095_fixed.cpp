// Port: ceph/ceph#20095 ("rgw: fix RGWCompletionManager get_next stuck after going down")
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
//   (tracker 22799): when all of a sync thread's coroutine stacks are blocked
//   on I/O, RGWCoroutinesManager::run() sleeps in
//   RGWCompletionManager::get_next(). Stopping calls go_down(), which sets
//   going_down and signals. get_next() only looked at going_down after
//   cond.Wait() returned, so a go_down() that ran before the sync thread got
//   to the wait ("cond.Signal() first then we go into cond.Wait()") was lost;
//   no completion comes, and the thread stopping the sync thread joins forever.
// Style: (d) standard library only, C++-native (Ceph's idiom reduced: Mutex with Mutex::Locker, Cond with Wait()/Signal(), atomic_t, a Thread base class with a virtual entry() and create()/join(), RGWCompletionManager, RGWCoroutinesManager::run()/stop(), an RGWHTTPManager that drops outstanding requests on stop(), an RGWRadosThread-style sync thread)
// Bug class: lost wake-up on shutdown: the going_down flag is checked only after the wait, so a go_down() signal that precedes the wait is missed
// Shape: the sync thread's coroutine sends a request and blocks on I/O.
//   Meanwhile the owner stops the thread: the HTTP manager drops the request,
//   cr_mgr.stop() sets going_down and signals nobody, then join(). The sync
//   thread, past run()'s going_down check, calls get_next(): complete_reqs is
//   empty and it waits for a signal that was already sent.
// Fix: get_next() tests going_down in its loop before it waits (-ECANCELED).
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <list>
#include <mutex>
#include <thread>
using namespace std::chrono_literals;

class Mutex {
  friend class Cond;
  std::mutex m;
public:
  explicit Mutex(const char * /*name*/) {}
  void Lock() { m.lock(); }
  void Unlock() { m.unlock(); }
  class Locker {
    Mutex &mutex;
  public:
    explicit Locker(Mutex &m) : mutex(m) { mutex.Lock(); }
    ~Locker() { mutex.Unlock(); }
  };
};

class Cond {
  std::condition_variable c;
public:
  int Wait(Mutex &mutex) {
    std::unique_lock<std::mutex> l(mutex.m, std::adopt_lock);
    c.wait(l);
    l.release();
    return 0;
  }
  void Signal() { c.notify_one(); }
};

class atomic_t {
  std::atomic<int> v{0};
public:
  int read() const { return v.load(); }
  void set(int n) { v.store(n); }
  int inc() { return ++v; }
};

class Thread {
  std::thread t;
public:
  virtual ~Thread() = default;
  void create(const char * /*name*/) { t = std::thread([this] { entry(); }); }
  int join() {
    t.join();
    return 0;
  }
protected:
  virtual void *entry() = 0;
};

class RGWCompletionManager {
public:
  void complete(void *user_info) {
    Mutex::Locker l(lock);
    complete_reqs.push_back(user_info);
    cond.Signal();
  }
  int get_next(void **user_info) {
    Mutex::Locker l(lock);
    while (complete_reqs.empty()) {
      if (going_down.read() != 0) {
        return -ECANCELED;
      }
      cond.Wait(lock);
    }
    *user_info = complete_reqs.front();
    complete_reqs.pop_front();
    return 0;
  }
  void go_down() {
    Mutex::Locker l(lock);
    going_down.set(1);
    cond.Signal();
  }
private:
  std::list<void *> complete_reqs;
  atomic_t going_down;
  Mutex lock{"RGWCompletionManager::lock"};
  Cond cond;
};

// Its reqs thread calls complete() when a reply arrives; stop() drops the rest.
class RGWHTTPManager {
public:
  void add_request(void *user_info) {
    Mutex::Locker l(reqs_lock);
    if (!going_down) reqs.push_back(user_info); // the remote zone is slow to answer
  }
  void stop() {
    Mutex::Locker l(reqs_lock);
    going_down = true, reqs.clear();
  }
private:
  Mutex reqs_lock{"RGWHTTPManager::reqs_lock"};
  std::list<void *> reqs;
  bool going_down = false;
};

struct RGWCoroutinesStack { // one RGWReadRESTResourceCR: send, block on I/O, finish
  bool io_blocked = false, done = false;
  int state = 0;
  RGWHTTPManager *http = nullptr;
  int operate() {
    if (state++ == 0) {
      std::this_thread::sleep_for(20ms); // (forces the schedule: the sync thread is stopped now)
      http->add_request(this);
      io_blocked = true;
    } else {
      done = true;
    }
    return 0;
  }
};

class RGWCoroutinesManager {
public:
  int run(std::list<RGWCoroutinesStack *> &stacks) {
    int blocked_count = 0;
    while (!stacks.empty() && !going_down.read()) {
      RGWCoroutinesStack *stack = stacks.front();
      stacks.pop_front();
      stack->operate();
      if (stack->io_blocked)
        blocked_count++;
      else if (!stack->done)
        stacks.push_back(stack);
      while (stacks.empty() && blocked_count > 0) {
        RGWCoroutinesStack *blocked_stack = nullptr;
        int ret = completion_mgr.get_next((void **)&blocked_stack);
        if (ret < 0)
          std::fprintf(stderr, "ERROR: completion_mgr.get_next() returned ret=%d\n", ret);
        if (going_down.read() > 0)
          return 0; // was stopped, exiting
        --blocked_count;
        blocked_stack->io_blocked = false;
        stacks.push_back(blocked_stack);
      }
    }
    return 0;
  }
  void stop() {
    if (going_down.inc() == 1) completion_mgr.go_down();
  }
private:
  atomic_t going_down;
  RGWCompletionManager completion_mgr;
};

class RGWMetaSyncProcessorThread : public Thread {
public:
  void stop() {
    http_manager.stop();
    cr_mgr.stop(); // stop_process()
    join();
  }
protected:
  void *entry() override {
    std::list<RGWCoroutinesStack *> stacks{&stack};
    cr_mgr.run(stacks);
    return nullptr;
  }
private:
  RGWCoroutinesManager cr_mgr;
  RGWHTTPManager http_manager;
  RGWCoroutinesStack stack{false, false, 0, &http_manager};
};

int main() {
  RGWMetaSyncProcessorThread meta_sync;
  meta_sync.create("meta-sync");
  std::this_thread::sleep_for(5ms); // the sync thread is inside stack->operate()
  meta_sync.stop();                 // RGWRados::finalize()
  std::puts("meta sync stopped");
  return 0;
}
