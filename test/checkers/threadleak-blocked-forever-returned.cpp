// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' --config="{CheckOptions: {threadleak-blocked-forever.DumpModel: true}}" %s -- %stubflags | FileCheck --check-prefix=DUMP %s

// threadleak-blocked-forever: objects a function returns, and promises kept
// in containers. A call of a function defined here stands for the object
// every `return` of it names (a reference, a pointer, a future of a
// promise) in the caller's terms; an iterator taken from a container names
// its elements (all elements of a container are one object, a map's key
// and value included); erasing promises from a container breaks them (their
// waiters wake). Then a partner that takes, on its way, the mutex a waiter
// holds is held back when it may run apart from the waiter (another
// thread), and only a join on the way orders it first.

#include <condition_variable>
#include <functional>
#include <future>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

//===-- A future returned by a call: a request waits for its response ----===//

// The in-flight requests: one response promise per id. (One class per
// client below: objects are told apart by class and member.)
#define PENDING(Name, EXTRA)                                                      \
  class Name {                                                                 \
  public:                                                                      \
    std::future<std::string> expect(int id) {                                  \
      std::lock_guard<std::mutex> lk(mu_);                                     \
      return slots_[id].get_future();                                          \
    }                                                                          \
    void deliver(int id, std::string v) {                                      \
      std::lock_guard<std::mutex> lk(mu_);                                     \
      auto it = slots_.find(id);                                               \
      if (it == slots_.end())                                                  \
        return;                                                                \
      it->second.set_value(v);                                                 \
      slots_.erase(it);                                                        \
    }                                                                          \
    EXTRA                                                                      \
                                                                               \
  private:                                                                     \
    std::mutex mu_;                                                            \
    std::map<int, std::promise<std::string>> slots_;                           \
  };
PENDING(Pending, )
PENDING(FixedPending, )
// This one's requests may be dropped, unset: their waiters wake.
#define FORGET                                                                 \
  void forget(int id) {                                                        \
    std::lock_guard<std::mutex> lk(mu_);                                       \
    auto it = slots_.find(id);                                                 \
    if (it != slots_.end())                                                    \
      slots_.erase(it);                                                        \
  }
PENDING(WatchedPending, FORGET)

// The client waits for the response holding its own mutex, which the
// delivery takes first (emitter-io/go#28's shape).
class Client {
public:
  std::string call(int id) {
    std::lock_guard<std::mutex> lk(mu_);
    std::future<std::string> resp = pending_.expect(id);
    std::thread([this, id] { onResponse(id, "ok"); }).detach();
    return resp.get();
  }
// CHECK: :[[@LINE-2]]:12: warning: a wait for the value of 'pending_.slots_[...]' waits while holding 'mu_', and every operation that could complete it needs 'mu_' first: both sides wait forever [threadleak-blocked-forever]
// CHECK: :[[@LINE-6]]:33: note: 'mu_' is acquired here
// CHECK: :[[@LINE-24]]:1: note: setting the value of 'slots_[...]' in 'Pending::deliver' runs only with 'mu_' held by every caller of 'Pending::deliver'
// CHECK: :[[@LINE-34]]:7: note: expanded from macro 'PENDING'
  void onResponse(int id, std::string v) {
    std::lock_guard<std::mutex> lk(mu_);
    pending_.deliver(id, v);
  }

private:
  std::mutex mu_;
  Pending pending_;
};

// The fix: the request is registered under the mutex, the wait is outside.
class FixedClient {
public:
  std::string call(int id) {
    std::future<std::string> resp;
    {
      std::lock_guard<std::mutex> lk(mu_);
      resp = pending_.expect(id);
      std::thread([this, id] { onResponse(id, "ok"); }).detach();
    }
    return resp.get();
  }
  void onResponse(int id, std::string v) {
    std::lock_guard<std::mutex> lk(mu_);
    pending_.deliver(id, v);
  }

private:
  std::mutex mu_;
  FixedPending pending_;
};

// A look-alike: a watchdog may drop the request without the client's
// mutex; erasing the promise breaks it and wakes the wait.
class WatchedClient {
public:
  std::string call(int id) {
    std::lock_guard<std::mutex> lk(mu_);
    std::future<std::string> resp = pending_.expect(id);
    std::thread([this, id] { onResponse(id, "ok"); }).detach();
    std::thread([this, id] { pending_.forget(id); }).detach();
    return resp.get();
  }
  void onResponse(int id, std::string v) {
    std::lock_guard<std::mutex> lk(mu_);
    pending_.deliver(id, v);
  }

private:
  std::mutex mu_;
  WatchedPending pending_;
};

// A function returning a copy of a local promise's future: a fresh
// promise per call, which nothing here sets (and it dies with the call).
std::future<int> fresh() {
  std::promise<int> p;
  return p.get_future();
}
std::mutex fmu;
int useFresh() {
  std::lock_guard<std::mutex> lk(fmu);
  return fresh().get();
}

//===-- A partner that takes the mutex on its way, on another thread -----===//

// A stage counter: writers enter and leave, a flush waits for none left.
class Stage {
public:
  void enter() {
    std::lock_guard<std::mutex> lk(mu_);
    ++n_;
  }
  void leave() {
    std::lock_guard<std::mutex> lk(mu_);
    --n_;
    cv_.notify_all();
  }
  void drain() {
    std::unique_lock<std::mutex> lk(mu_);
    cv_.wait(lk, [&] { return n_ == 0; });
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  int n_ = 0;
};

// facebook/rocksdb#3923's shape: a writer in the stage may read through
// get(), which takes the DB mutex; the flush drains the stage holding it.
class Db {
public:
  void write(bool fold) {
    stage_.enter();
    if (fold)
      get();
    stage_.leave();
  }
  int get() {
    std::lock_guard<std::mutex> l(mutex_);
    return value_;
  }
  void flush() {
    std::lock_guard<std::mutex> l(mutex_);
    stage_.drain();
  }
// CHECK: :[[@LINE-2]]:5: warning: a wait on 'stage_' waits while holding 'mutex_', and every operation that could complete it may need 'mutex_' first: both sides wait forever [threadleak-blocked-forever]
// CHECK: :[[@LINE-4]]:33: note: 'mutex_' is acquired here
// CHECK: :[[@LINE-13]]:7: note: 'Db::write' may take 'mutex_' here, on its way to a release of 'stage_'
// CHECK: :[[@LINE-10]]:33: note: 'mutex_' is acquired here

private:
  std::mutex mutex_;
  Stage stage_;
  int value_ = 0;
};

void runDb() {
  Db db;
  db.write(false); // before any thread: ordered before the flush
  std::thread writer([&] { db.write(true); });
  std::thread flusher([&] { db.flush(); });
  writer.join();
  flusher.join();
}

// The fix: the flush drains the stage before it takes the DB mutex.
class FixedDb {
public:
  void write(bool fold) {
    stage_.enter();
    if (fold)
      get();
    stage_.leave();
  }
  int get() {
    std::lock_guard<std::mutex> l(mutex_);
    return value_;
  }
  void flush() {
    stage_.drain();
    std::lock_guard<std::mutex> l(mutex_);
  }

private:
  std::mutex mutex_;
  Stage stage_;
  int value_ = 0;
};

void runFixedDb() {
  FixedDb db;
  std::thread writer([&] { db.write(true); });
  std::thread flusher([&] { db.flush(); });
  writer.join();
  flusher.join();
}

// A look-alike: the writer's thread is joined before the flush starts, so
// its way through the mutex is over when the flush takes it.
class SerialDb {
public:
  void write(bool fold) {
    stage_.enter();
    if (fold)
      get();
    stage_.leave();
  }
  int get() {
    std::lock_guard<std::mutex> l(mutex_);
    return value_;
  }
  void flush() {
    std::lock_guard<std::mutex> l(mutex_);
    stage_.drain();
  }

private:
  std::mutex mutex_;
  Stage stage_;
  int value_ = 0;
};

void runSerialDb() {
  SerialDb db;
  std::thread writer([&] { db.write(true); });
  writer.join();
  std::thread flusher([&] { db.flush(); });
  flusher.join();
}

// cockroachdb#1055's shape: the worker takes the mutex in a call before the
// one that counts down (its caller's way, not the counting function's).
// The workers are started in a loop whose smart pointers' get() is no join.
class Stopper {
public:
  void startTask() {
    std::lock_guard<std::mutex> g(mu_);
    ++tasks_;
  }
  void setStopped() { stopped_.count_down(); }
  void stop() {
    std::lock_guard<std::mutex> g(mu_);
    stopped_.wait();
  }
// CHECK: :[[@LINE-2]]:5: warning: a wait on 'stopped_' waits while holding 'mu_', and every operation that could complete it may need 'mu_' first: both sides wait forever [threadleak-blocked-forever]
// CHECK: :[[@LINE-4]]:33: note: 'mu_' is acquired here
// CHECK: :[[@LINE+17]]:7: note: the lambda takes 'mu_' here, on its way to the call of 'Stopper::setStopped'
// CHECK: :[[@LINE-11]]:33: note: 'mu_' is acquired here
// CHECK: :[[@LINE-9]]:23: note: a release of 'stopped_' in 'Stopper::setStopped' comes after that

private:
  std::mutex mu_;
  std::latch stopped_{1};
  int tasks_ = 0;
};

void runStoppers() {
  std::vector<std::unique_ptr<Stopper>> stoppers;
  stoppers.push_back(std::make_unique<Stopper>());
  std::vector<std::thread> workers;
  for (auto &sp : stoppers) {
    Stopper *s = sp.get();
    workers.emplace_back([s] {
      s->startTask();
      s->setStopped();
    });
  }
  std::thread stopper([&stoppers] {
    for (auto &s : stoppers)
      s->stop();
  });
  stopper.join();
  for (auto &w : workers)
    w.join();
}

// A look-alike: the workers are joined before the stopper starts.
class JoinedStopper {
public:
  void startTask() {
    std::lock_guard<std::mutex> g(mu_);
    ++tasks_;
  }
  void setStopped() { stopped_.count_down(); }
  void stop() {
    std::lock_guard<std::mutex> g(mu_);
    stopped_.wait();
  }

private:
  std::mutex mu_;
  std::latch stopped_{1};
  int tasks_ = 0;
};

void runJoinedStoppers() {
  std::vector<std::unique_ptr<JoinedStopper>> stoppers;
  stoppers.push_back(std::make_unique<JoinedStopper>());
  std::vector<std::thread> workers;
  for (auto &sp : stoppers) {
    JoinedStopper *s = sp.get();
    workers.emplace_back([s] {
      s->startTask();
      s->setStopped();
    });
  }
  for (auto &w : workers)
    w.join();
  std::thread stopper([&stoppers] {
    for (auto &s : stoppers)
      s->stop();
  });
  stopper.join();
}

//===-- A callback kept for later is not a callback skipped --------------===//

// apache/arrow's Future: a callback added before the future finishes is
// stored and run by finish(); one added after runs at once.
class Notifier {
public:
  void onDone(std::function<void()> cb) {
    {
      std::lock_guard<std::mutex> lk(mu_);
      if (!done_) {
        cbs_.push_back(std::move(cb));
        return;
      }
    }
    cb();
  }
  void finish() {
    std::vector<std::function<void()>> cbs;
    {
      std::lock_guard<std::mutex> lk(mu_);
      done_ = true;
      cbs.swap(cbs_);
    }
    for (auto &c : cbs)
      c();
  }

private:
  std::mutex mu_;
  bool done_ = false;
  std::vector<std::function<void()>> cbs_;
};

class Job {
public:
  std::future<void> start(Notifier &n) {
    n.onDone([this] { done_.set_value(); });
    return done_.get_future();
  }

private:
  std::promise<void> done_;
};

void runJob() {
  Notifier n;
  Job j;
  std::future<void> f = j.start(n);
  std::thread t([&] { n.finish(); });
  f.wait();
  t.join();
}

// The model: the returned future is the caller's name of the container's
// promises; the iterator's element is set and erased; a local's future
// names nothing.
// DUMP-LABEL: unit 'Pending::deliver'
// DUMP:   set slots_[...]  held {mu_}
// DUMP:   destroy slots_[...]  held {mu_}
// DUMP-LABEL: unit 'Client::call'
// DUMP:   wait for pending_.slots_[...]  held {mu_}
// DUMP-LABEL: unit 'useFresh'
// DUMP:   wait for ?  held {fmu}
