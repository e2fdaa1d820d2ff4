// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' --config="{CheckOptions: {threadleak-blocked-forever.DumpModel: true}}" %s -- %stubflags | FileCheck --check-prefix=DUMP %s

// Destructors are calls: `delete p`, a smart pointer's reset() or
// assignment, a container's erase()/pop_front()/clear(), a local's scope
// end and a destructor's members run code of ours, with the caller's locks
// held (SpartanJ/efsw#151: a watcher's destructor deletes, under its init
// lock, a thread wrapper whose destructor joins a thread that needs that
// lock; grpc/grpc#37459: a cache erases, under its mutex, the last owner
// of an object whose destructor unregisters a callback under the stats
// plugin's mutex, which the exporter holds while it runs the cache's
// callback, which takes the cache's mutex).

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <deque>
#include <utility>
#include <vector>

// A thread wrapper that joins in its destructor, given its body as a
// std::function.
class Thread {
public:
  explicit Thread(std::function<void()> fn) : fn_(std::move(fn)) {}
  ~Thread() { wait(); }
  void launch() { thread_ = std::thread(fn_); }
  void wait() {
    if (thread_.joinable())
      thread_.join();
  }

private:
  std::function<void()> fn_;
  std::thread thread_;
};
// CHECK: :[[@LINE-7]]:7: warning: join() waits for the thread while holding 'init_mu_', which the thread acquires before it can finish: both wait forever [threadleak-blocked-forever]
// CHECK: :[[@LINE+12]]:33: note: 'init_mu_' is acquired here
// CHECK: :[[@LINE+12]]:12: note: the destructor 'Thread::~Thread' runs here, holding 'init_mu_'
// CHECK: :[[@LINE-14]]:15: note: 'Thread::wait' is called here, holding 'init_mu_'
// CHECK: :[[@LINE-14]]:29: note: the thread is started here
// CHECK: :[[@LINE+12]]:35: note: 'Watcher::run' is called here, in the thread
// CHECK: :[[@LINE+18]]:35: note: the thread acquires 'init_mu_' here

// Positive (efsw#151): deleted under init_mu_, which the body takes.
class Watcher {
public:
  ~Watcher() {
    running_ = false;
    std::lock_guard<std::mutex> lock(init_mu_);
    delete thread_;
  }
  void watch() {
    thread_ = new Thread([this] { run(); });
    thread_->launch();
  }

private:
  void run() {
    while (running_) {
      std::lock_guard<std::mutex> lock(init_mu_);
      ++events_;
    }
  }
  std::mutex init_mu_;
  Thread *thread_ = nullptr;
  bool running_ = true;
  int events_ = 0;
};

// Positive: a worker owned by a std::unique_ptr, reset under the owner's
// mutex; the worker's thread reports to the owner under that mutex.
class Owner;
class Worker {
public:
  explicit Worker(Owner &o);
  ~Worker() { t_.join(); }

private:
  std::thread t_;
};
// CHECK: :[[@LINE-5]]:15: warning: join() waits for the thread while holding 'mu_', which the thread acquires before it can finish: both wait forever [threadleak-blocked-forever]
// CHECK: :[[@LINE+10]]:33: note: 'mu_' is acquired here
// CHECK: :[[@LINE+10]]:5: note: the destructor 'Worker::~Worker' runs here, holding 'mu_'
// CHECK: :[[@LINE+22]]:28: note: the thread is started here
// CHECK: :[[@LINE+21]]:38: note: 'Owner::report' is called here, in the thread
// CHECK: :[[@LINE+10]]:33: note: the thread acquires 'o.mu_' here

class Owner {
public:
  void start() { worker_ = std::make_unique<Worker>(*this); }
  void stop() {
    std::lock_guard<std::mutex> lock(mu_);
    worker_.reset();
  }
  void report() {
    std::lock_guard<std::mutex> lock(mu_);
    ++reports_;
  }

private:
  std::mutex mu_;
  std::unique_ptr<Worker> worker_;
  int reports_ = 0;
};

Worker::Worker(Owner &o) : t_([&o] { o.report(); }) {}

// Positive: through a virtual destructor, by a base-class pointer.
class Task {
public:
  virtual ~Task() = default;
};
class Scheduler;
class Poller : public Task {
public:
  explicit Poller(Scheduler &s);
  ~Poller() override { t_.join(); }

private:
  std::thread t_;
};
// CHECK: :[[@LINE-5]]:24: warning: join() waits for the thread while holding 'mu_', which the thread acquires before it can finish: both wait forever [threadleak-blocked-forever]
// CHECK: :[[@LINE+9]]:33: note: 'mu_' is acquired here
// CHECK: :[[@LINE+9]]:5: note: the destructor 'Poller::~Poller' runs here, holding 'mu_'
// CHECK: :[[@LINE+20]]:32: note: the thread is started here
// CHECK: :[[@LINE+19]]:42: note: 'Scheduler::tick' is called here, in the thread
// CHECK: :[[@LINE+9]]:33: note: the thread acquires 's.mu_' here
class Scheduler {
public:
  void add() { tasks_.push_back(std::make_unique<Poller>(*this)); }
  void drop() {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.pop_back();
  }
  void tick() {
    std::lock_guard<std::mutex> lock(mu_);
    ++ticks_;
  }

private:
  std::mutex mu_;
  std::vector<std::unique_ptr<Task>> tasks_;
  int ticks_ = 0;
};
Poller::Poller(Scheduler &s) : t_([&s] { s.tick(); }) {}

// Positive (grpc#37459): an AB-BA through a chain of destructors.
class Registry;
class Registration {
public:
  Registration(Registry &r, std::function<void()> cb);
  ~Registration();
  void run() { cb_(); }

private:
  Registry &registry_;
  std::function<void()> cb_;
};

class Registry {
public:
  void add(Registration *r) {
    std::lock_guard<std::mutex> lock(mu_);
    regs_.push_back(r);
  }
  void remove(Registration *r) {
    std::lock_guard<std::mutex> lock(mu_);
    regs_.clear();
  }
  void collect() {
    std::lock_guard<std::mutex> lock(mu_);
    for (Registration *r : regs_)
      r->run();
  }

private:
  std::mutex mu_;
  std::vector<Registration *> regs_;
};

Registration::Registration(Registry &r, std::function<void()> cb)
    : registry_(r), cb_(std::move(cb)) {
  registry_.add(this);
}
Registration::~Registration() { registry_.remove(this); }

struct Client {
  explicit Client(Registry &r) : reg(std::make_unique<Registration>(r, [] {})) {}
  std::unique_ptr<Registration> reg;
};

class Cache {
public:
  explicit Cache(Registry &r)
      : reg_(std::make_unique<Registration>(r, [this] {
          std::lock_guard<std::mutex> lock(mu_);
          ++scrapes_;
        })) {}
  // Overwriting an entry drops its old owner too.
  void put(int k, std::shared_ptr<Client> c) {
    std::lock_guard<std::mutex> lock(mu_);
    entries_[k] = std::move(c);
  }
  void expire(int k) {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.erase(k);
  }

private:
  std::mutex mu_;
  std::map<int, std::shared_ptr<Client>> entries_;
  std::unique_ptr<Registration> reg_;
  int scrapes_ = 0;
};

// CHECK: :[[@LINE-20]]:39: warning: lock-order inversion: 'Cache::mu_' is acquired while 'Registry::mu_' is held, and 'Cache::put' acquires 'Registry::mu_' while holding 'Cache::mu_'; two threads taking both orders wait for each other forever [threadleak-blocked-forever]
// CHECK: :[[@LINE-16]]:33: note: 'mu_' is acquired here
// CHECK: :[[@LINE-16]]:5: note: the destructor 'Registration::~Registration' runs here, holding 'mu_'
// CHECK: :[[@LINE-34]]:33: note: 'Registry::remove' is called here, holding 'mu_'
// CHECK: :[[@LINE-53]]:33: note: 'registry_.mu_' is acquired here while 'mu_' is held
// CHECK: :[[@LINE-50]]:33: note: 'mu_' is acquired here
// CHECK: :[[@LINE-49]]:7: note: 'Registration::run' is called here, holding 'Registry::mu_'
// CHECK: :[[@LINE-70]]:16: note: the function object 'cb_' is called here, holding 'Registry::mu_'
// Negative: the grpc fix, the entries are moved out under the mutex and
// dropped after it.
class CacheFixed {
public:
  explicit CacheFixed(Registry &r)
      : reg_(std::make_unique<Registration>(r, [this] {
          std::lock_guard<std::mutex> lock(mu_);
          ++scrapes_;
        })) {}
  void expire(int k) {
    std::vector<std::shared_ptr<Client>> evicted;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = entries_.find(k);
      evicted.push_back(std::move(it->second));
      entries_.erase(it);
    }
    evicted.clear();
  }

private:
  std::mutex mu_;
  std::map<int, std::shared_ptr<Client>> entries_;
  std::unique_ptr<Registration> reg_;
  int scrapes_ = 0;
};

// Negative: the entry is copied out before the lock, so the erase does
// not drop the last owner; the copy is dropped after the lock.
class CacheCopies {
public:
  explicit CacheCopies(Registry &r)
      : reg_(std::make_unique<Registration>(r, [this] {
          std::lock_guard<std::mutex> lock(mu_);
          ++scrapes_;
        })) {}
  void expire(int k) {
    std::shared_ptr<Client> last;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = entries_.find(k);
      last = it->second;
      entries_.erase(it);
    }
  }

private:
  std::mutex mu_;
  std::map<int, std::shared_ptr<Client>> entries_;
  std::unique_ptr<Registration> reg_;
  int scrapes_ = 0;
};

// Negative: deleted after the lock is released.
class WatcherFixed {
public:
  ~WatcherFixed() {
    Thread *t;
    {
      std::lock_guard<std::mutex> lock(init_mu_);
      running_ = false;
      t = thread_;
      thread_ = nullptr;
    }
    delete t;
  }
  void watch() {
    thread_ = new Thread([this] { run(); });
    thread_->launch();
  }

private:
  void run() {
    while (running_) {
      std::lock_guard<std::mutex> lock(init_mu_);
      ++events_;
    }
  }
  std::mutex init_mu_;
  Thread *thread_ = nullptr;
  bool running_ = true;
  int events_ = 0;
};

// Negative: a job moved out of the queue under the lock and destroyed
// (joining) after it; and a worker handed away before its scope ends.
class Pool {
public:
  void run_one() {
    std::unique_ptr<Worker> job;
    {
      std::lock_guard<std::mutex> lock(mu_);
      job = std::move(queue_.front());
      queue_.pop_front();
    }
  }
  void adopt(Owner &o) {
    std::lock_guard<std::mutex> lock(mu_);
    auto w = std::make_unique<Worker>(o);
    keep_.push_back(std::move(w));
  }

private:
  std::mutex mu_;
  std::deque<std::unique_ptr<Worker>> queue_;
  std::vector<std::unique_ptr<Worker>> keep_;
};

// Positive: a std::jthread joins when it is destroyed: at the end of its
// scope, under a guard declared before it; and as a member of an object a
// std::unique_ptr drops under the lock.
class Ticker {
public:
  void tick() {
    std::lock_guard<std::mutex> lock(mu_);
    ++ticks_;
  }
  void burst() {
    std::lock_guard<std::mutex> lock(mu_);
    std::jthread t([this] { tick(); });
  }
// CHECK: :[[@LINE-2]]:38: warning: destroying the std::jthread 't' joins its thread while holding 'mu_', which the thread acquires before it can finish: both wait forever [threadleak-blocked-forever]
// CHECK: :[[@LINE-4]]:33: note: 'mu_' is acquired here
// CHECK: :[[@LINE-4]]:18: note: the thread is started here
// CHECK: :[[@LINE-5]]:29: note: 'Ticker::tick' is called here, in the thread
// CHECK: :[[@LINE-11]]:33: note: the thread acquires 'mu_' here
  // Negative: the guard is declared after the jthread, so it is released
  // first.
  void burst_ok() {
    std::jthread t([this] { tick(); });
    std::lock_guard<std::mutex> lock(mu_);
  }
  std::mutex mu_;
  int ticks_ = 0;
};
struct TickWorker {
  explicit TickWorker(Ticker &tk) : t([&tk] { tk.tick(); }) {}
  std::jthread t;
};
class TickOwner {
public:
  void start() { w_ = std::make_unique<TickWorker>(tk_); }
  void stop() {
    std::lock_guard<std::mutex> lock(tk_.mu_);
    w_.reset();
  }
// CHECK: :[[@LINE-2]]:5: warning: destroying the std::jthread 'w_->t' joins its thread while holding 'tk_.mu_', which the thread acquires before it can finish: both wait forever [threadleak-blocked-forever]
// CHECK: :[[@LINE-4]]:33: note: 'tk_.mu_' is acquired here
// CHECK: :[[@LINE-12]]:37: note: the thread is started here
// CHECK: :[[@LINE-13]]:47: note: 'Ticker::tick' is called here, in the thread
// CHECK: :[[@LINE-36]]:33: note: the thread acquires 'tk.mu_' here

private:
  Ticker tk_;
  std::unique_ptr<TickWorker> w_;
};

// Positive: a container of jthreads cleared under the mutex its threads
// take; negative: moved out under it and dropped after it.
class JPool {
public:
  void start() {
    for (int i = 0; i < 4; ++i)
      threads_.emplace_back([this] { work(); });
  }
  void work() {
    std::lock_guard<std::mutex> lock(mu_);
    ++done_;
  }
  void stop() {
    std::lock_guard<std::mutex> lock(mu_);
    threads_.clear();
  }
// CHECK: :[[@LINE-2]]:5: warning: destroying the std::jthreads of 'threads_' joins their threads while holding 'mu_', which the thread acquires before it can finish: both wait forever [threadleak-blocked-forever]
// CHECK: :[[@LINE-4]]:33: note: 'mu_' is acquired here
// CHECK: :[[@LINE-12]]:7: note: the thread is started here
// CHECK: :[[@LINE-13]]:38: note: 'JPool::work' is called here, in the thread
// CHECK: :[[@LINE-11]]:33: note: the thread acquires 'mu_' here
  void stop_ok() {
    std::vector<std::jthread> old;
    {
      std::lock_guard<std::mutex> lock(mu_);
      old = std::move(threads_);
    }
  }

private:
  std::mutex mu_;
  std::vector<std::jthread> threads_;
  int done_ = 0;
};

int main() {
  auto *w = new Watcher;
  w->watch();
  delete w;
  auto *wf = new WatcherFixed;
  wf->watch();
  delete wf;
  Owner o;
  o.start();
  o.stop();
  Scheduler s;
  s.add();
  s.drop();
  Registry r;
  Cache c(r);
  c.put(1, std::make_shared<Client>(r));
  std::thread exporter([&r] { r.collect(); });
  c.expire(1);
  CacheFixed cf(r);
  cf.expire(1);
  CacheCopies cc(r);
  cc.expire(1);
  exporter.join();
  Pool p;
  p.run_one();
  p.adopt(o);
  Ticker tk;
  tk.burst();
  tk.burst_ok();
  TickOwner to;
  to.start();
  to.stop();
  JPool jp;
  jp.start();
  jp.stop();
  jp.stop_ok();
}

// The dump says where destructors run: after `delete`, and at a scope's
// end (the implicit ~Owner destroys its unique_ptr<Worker> member).
// DUMP-LABEL: unit 'Watcher::~Watcher'
// DUMP:   [[@LINE-407]]:12  destroy: runs 'Thread::~Thread'  held {init_mu_}
// DUMP:   summary: {{.*}}joins thread_->thread_ (via calls)
// DUMP-LABEL: unit 'main'
// DUMP:   [[@LINE-8]]:1  destroy: runs 'Worker::~Worker'  held {}

// A std::function's target is destroyed with it: assigning over one
// destroys the closure it held and what that captured (envoy#3645: the
// dispatcher assigns the next posted callback over the previous one while
// it holds post_lock_; the previous one held the last reference to a
// connection whose destructor posts, locking post_lock_ again). A local
// declared in the loop's body is a new one each round: its assignment
// destroys nothing, and its end comes after the guard's.
namespace callable_targets {
class Dispatcher {
public:
  void post(std::function<void()> cb) {
    std::lock_guard<std::mutex> g(post_lock_);
    // CHECK: :[[@LINE-1]]:33: warning: 'd_.post_lock_' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE+46]]:12: note: 'dispatcher' is the only 'Dispatcher' the program makes: 'post_lock_' and 'd_.post_lock_' are both its 'post_lock_'
    // CHECK: :[[@LINE+9]]:37: note: 'post_lock_' is acquired here
    // CHECK: :[[@LINE+11]]:9: note: the destructor 'callable_targets::Connection::~Connection' runs here, with 'd_.post_lock_' held
    // CHECK: :[[@LINE+48]]:5: note: 'callable_targets::Dispatcher::post' is called here, with 'd_.post_lock_' held
    callbacks_.push_back(std::move(cb));
  }
  void runPostCallbacks() {
    std::function<void()> callback;
    while (true) {
      {
        std::lock_guard<std::mutex> g(post_lock_);
        if (callbacks_.empty())
          return;
        callback = callbacks_.front();
        callbacks_.pop_front();
      }
      callback();
    }
  }
  // The local is returned (moved out): its end destroys nothing.
  std::function<void()> take() {
    std::lock_guard<std::mutex> g(post_lock_);
    if (callbacks_.empty())
      return {};
    auto work = std::move(callbacks_.front());
    callbacks_.pop_front();
    return work;
  }
  void runPostCallbacksFixed() {
    while (true) {
      std::function<void()> callback;
      {
        std::lock_guard<std::mutex> g(post_lock_);
        if (callbacks_.empty())
          return;
        callback = callbacks_.front();
        callbacks_.pop_front();
      }
      callback();
    }
  }

private:
  std::mutex post_lock_;
  std::deque<std::function<void()>> callbacks_;
};
Dispatcher dispatcher;
class Connection {
public:
  explicit Connection(Dispatcher &d) : d_(d) {}
  ~Connection() {
    d_.post([] {});
  }
  void onWrite() {}

private:
  Dispatcher &d_;
};
void serve() {
  auto c = std::make_shared<Connection>(dispatcher);
  dispatcher.post([c] { c->onWrite(); });
  std::thread t([] { dispatcher.runPostCallbacks(); });
  t.join();
  if (auto w = dispatcher.take())
    w();
  std::thread u([] { dispatcher.runPostCallbacksFixed(); });
  u.join();
}
} // namespace callable_targets
