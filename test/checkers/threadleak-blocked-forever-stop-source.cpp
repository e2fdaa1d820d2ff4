// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// Stop sources as objects: a wait that only a stop ends (Go's `<-ctx.Done()`,
// written `cv.wait(lk, token, [] { return false; })`, or a wait for
// `stop_requested()`) waits forever when nothing that runs stops the source
// its token comes from (cockroach#13755, thanos-io/promql-engine#94). The
// token is followed through get_token(), locals, captures, parameters of
// code only this file calls (virtual calls included) and token members; a
// request_stop() does not count in code that never runs, in code that runs
// only after the wait, or in a std::stop_callback on a token nothing stops.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

// Positive (cockroach#13755): the context is cancelled only by close(),
// which the watcher itself calls once the wait is over, and by a callback
// on a parent nobody stops.
class Rows {
public:
  ~Rows() {
    if (watcher_.joinable())
      watcher_.join();
  }
  void initContextClose(std::stop_token parent) {
    parentLink_.emplace(parent, [this] { cancel_.request_stop(); });
    watcher_ = std::thread([this, ctx = cancel_.get_token()] { awaitDone(ctx); });
  }
  void close() { cancel_.request_stop(); }

private:
  void awaitDone(std::stop_token ctx) {
    {
      std::mutex m;
      std::condition_variable_any cv;
      std::unique_lock<std::mutex> lk(m);
      cv.wait(lk, ctx, [] { return false; });
    }
    close();
  }
  std::stop_source cancel_;
  std::optional<std::stop_callback<std::function<void()>>> parentLink_;
  std::thread watcher_;
};
// CHECK: :[[@LINE-8]]:7: warning: a wait on 'cv' waits forever: only a stop of 'Rows::cancel_' ends it, and nothing that runs requests one [threadleak-blocked-forever]
// CHECK: :[[@LINE-19]]:41: note: its stop token is made here, of 'Rows::cancel_'
// CHECK: :[[@LINE-21]]:42: note: a stop of 'cancel_' is requested here only by a std::stop_callback on the token 'parent', which nothing stops:
// CHECK: :[[@LINE+351]]:20: note: nothing requests a stop of 'background'
// CHECK: :[[@LINE-10]]:5: note: 'Rows::awaitDone' gets here only after the blocked operation completes
// CHECK: :[[@LINE-21]]:18: note: a stop request on 'cancel_' in 'Rows::close' runs only from there

// Positive (promql-engine#94): the token reaches the drain thread through a
// virtual call and a capture; only Cancel() stops it, and nothing calls it.
struct Operator {
  virtual ~Operator() = default;
  virtual void next(std::stop_token ctx) = 0;
};
class Leaf : public Operator {
public:
  void next(std::stop_token) override {}
};
class Concurrent : public Operator {
public:
  void next(std::stop_token ctx) override {
    drain_ = std::jthread([this, ctx] { drainOnCancel(ctx); });
  }

private:
  void drainOnCancel(std::stop_token ctx) {
    std::mutex m;
    std::condition_variable_any done;
    std::unique_lock lk(m);
    done.wait(lk, ctx, [] { return false; });
  }
  std::jthread drain_;
};
// CHECK: :[[@LINE-4]]:5: warning: a wait on 'done' waits forever: only a stop of 'Query::cancel_' ends it, and nothing that runs requests one [threadleak-blocked-forever]
// CHECK: :[[@LINE+7]]:27: note: its stop token is made here, of 'Query::cancel_'
// CHECK: :[[@LINE+9]]:19: note: a stop of 'cancel_' is requested here, but nothing calls 'Query::Cancel', and no other translation unit can

class Query {
public:
  explicit Query(std::unique_ptr<Operator> root) : root_(std::move(root)) {}
  void Exec() {
    std::stop_token ctx = cancel_.get_token();
    root_->next(ctx);
  }
  void Cancel() { cancel_.request_stop(); }
  void Close() {}

private:
  std::stop_source cancel_;
  std::unique_ptr<Operator> root_;
};

// Positive: a plain condition variable waiting for the source's
// stop_requested(), and no code stops it.
class Poller {
public:
  void run() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [this] { return stop_.stop_requested(); });
  }
  bool stopping() const { return stop_.stop_requested(); }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::stop_source stop_;
};
// CHECK: :[[@LINE-9]]:5: warning: a wait on 'cv_' waits forever: only a stop of 'Poller::stop_' ends it, and nothing that runs requests one [threadleak-blocked-forever]
// CHECK: :[[@LINE-3]]:20: note: nothing requests a stop of 'Poller::stop_'

// Positive: a token member set by the constructor from a source the
// caller never stops.
class Watcher {
public:
  explicit Watcher(std::stop_token st) : st_(st) {}
  void watch() {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lk(m);
    cv.wait(lk, st_, [] { return false; });
  }

private:
  std::stop_token st_;
};
void watchForever() {
  std::stop_source src;
  Watcher w(src.get_token());
  std::thread t([&w] { w.watch(); });
  t.join();
}
// CHECK: :[[@LINE-12]]:5: warning: a wait on 'cv' waits forever: only a stop of 'src' ends it, and nothing that runs requests one [threadleak-blocked-forever]
// CHECK: :[[@LINE-5]]:13: note: its stop token is made here, of 'src'
// CHECK: :[[@LINE-7]]:20: note: nothing requests a stop of 'src'

// Negative: the fixed twin of the first: the caller closes the rows.
class Rows2 {
public:
  ~Rows2() {
    if (watcher_.joinable())
      watcher_.join();
  }
  void init() {
    watcher_ = std::thread([this, ctx = cancel_.get_token()] { awaitDone(ctx); });
  }
  void close() { cancel_.request_stop(); }

private:
  void awaitDone(std::stop_token ctx) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock<std::mutex> lk(m);
    cv.wait(lk, ctx, [] { return false; });
  }
  std::stop_source cancel_;
  std::thread watcher_;
};

// Negative: a std::jthread's own token: its destructor stops it.
void jthreadToken() {
  std::jthread t([](std::stop_token st) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lk(m);
    cv.wait(lk, st, [] { return false; });
  });
}

// Negative: the source is copied; the copy shares its state and is stopped.
class Shared {
public:
  void start() {
    std::stop_source copy = stop_;
    stopper_ = std::thread([copy]() mutable { copy.request_stop(); });
    waiter_ = std::thread([this] { wait(); });
  }

private:
  void wait() {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lk(m);
    cv.wait(lk, stop_.get_token(), [] { return false; });
  }
  std::stop_source stop_;
  std::thread stopper_, waiter_;
};

// Negative: a function other files may call with another token.
void waitFor(std::stop_token st) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lk(m);
  cv.wait(lk, st, [] { return false; });
}
void callWaitFor() {
  std::stop_source src;
  waitFor(src.get_token());
}

// Negative: a predicate that can become true.
class Ready {
public:
  void wait(std::stop_token st) {
    std::unique_lock lk(mu_);
    cv_.wait(lk, st, [this] { return ready_; });
  }
  void set() {
    std::lock_guard g(mu_);
    ready_ = true;
    cv_.notify_all();
  }

private:
  std::mutex mu_;
  std::condition_variable_any cv_;
  bool ready_ = false;
};
static void readyWait() {
  std::stop_source src;
  Ready r;
  r.wait(src.get_token());
}

// Negative: a timed wait returns by itself.
static void timedWait() {
  std::stop_source src;
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lk(m);
  cv.wait_for(lk, src.get_token(), std::chrono::seconds(1), [] { return false; });
}

// Negative: a stop_callback on a parent that is stopped.
class Linked {
public:
  void init(std::stop_token parent) {
    link_.emplace(parent, [this] { cancel_.request_stop(); });
    watcher_ = std::thread([this] { awaitDone(cancel_.get_token()); });
  }
  ~Linked() { watcher_.join(); }

private:
  void awaitDone(std::stop_token ctx) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock<std::mutex> lk(m);
    cv.wait(lk, ctx, [] { return false; });
  }
  std::stop_source cancel_;
  std::optional<std::stop_callback<std::function<void()>>> link_;
  std::thread watcher_;
};

// Negative: the waiting thread is stopped before it is joined.
static void stopThenJoin() {
  std::stop_source src;
  std::thread t([tok = src.get_token()] {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lk(m);
    cv.wait(lk, tok, [] { return false; });
  });
  src.request_stop();
  t.join();
}

// Positive: a Go-style context class; the watcher's token comes through an
// accessor, and nothing calls cancel().
class Context {
public:
  std::stop_token done() const { return src_.get_token(); }
  void cancel() { src_.request_stop(); }

private:
  std::stop_source src_;
};
class Session {
public:
  Session() : watcher_([this] { watch(ctx_.done()); }) {}
  ~Session() { watcher_.join(); }

private:
  static void watch(std::stop_token done) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lk(m);
    cv.wait(lk, done, [] { return false; });
  }
  Context ctx_;
  std::thread watcher_;
};
// CHECK: :[[@LINE-5]]:5: warning: a wait on 'cv' waits forever: only a stop of 'Context::src_' ends it, and nothing that runs requests one [threadleak-blocked-forever]
// CHECK: :[[@LINE-22]]:41: note: its stop token is made here, of 'Context::src_'
// CHECK: :[[@LINE-22]]:19: note: a stop of 'src_' is requested here, but nothing calls 'Context::cancel', and no other translation unit can

// Positive: a loop only a stop ends; nothing stops the source.
class Heartbeat {
public:
  void start() {
    t_ = std::thread([this] {
      while (!stop_.stop_requested()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    });
  }
  ~Heartbeat() { t_.join(); }

private:
  std::stop_source stop_;
  std::thread t_;
};
// CHECK: :[[@LINE-11]]:7: warning: this loop never ends: only a stop of 'Heartbeat::stop_' ends it, and nothing that runs requests one [threadleak-blocked-forever]
// CHECK: :[[@LINE-4]]:20: note: nothing requests a stop of 'Heartbeat::stop_'

// Negative: the destructor stops it before the join.
class Heartbeat2 {
public:
  void start() {
    t_ = std::thread([tok = stop_.get_token()] {
      while (!tok.stop_requested()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    });
  }
  ~Heartbeat2() {
    stop_.request_stop();
    t_.join();
  }

private:
  std::stop_source stop_;
  std::thread t_;
};

// Negative: the loop has another way out.
class Retry {
public:
  void start() {
    t_ = std::thread([this] {
      while (!stop_.stop_requested()) {
        if (attempt())
          break;
      }
    });
  }
  ~Retry() { t_.join(); }

private:
  bool attempt() { return true; }
  std::stop_source stop_;
  std::thread t_;
};

// Positive: the token is an argument of the thread the method runs on.
class Tail {
public:
  void start() { t_ = std::thread(&Tail::follow, this, stop_.get_token()); }
  ~Tail() { t_.join(); }

private:
  void follow(std::stop_token st) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lk(m);
    cv.wait(lk, st, [] { return false; });
  }
  std::stop_source stop_;
  std::thread t_;
};
// CHECK: :[[@LINE-5]]:5: warning: a wait on 'cv' waits forever: only a stop of 'Tail::stop_' ends it, and nothing that runs requests one [threadleak-blocked-forever]
// CHECK: :[[@LINE-14]]:56: note: its stop token is made here, of 'Tail::stop_'
// CHECK: :[[@LINE-5]]:20: note: nothing requests a stop of 'Tail::stop_'

// Negative: the same, stopped by the destructor.
class Tail2 {
public:
  void start() { t_ = std::thread(&Tail2::follow, this, stop_.get_token()); }
  ~Tail2() {
    stop_.request_stop();
    t_.join();
  }

private:
  void follow(std::stop_token st) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lk(m);
    cv.wait(lk, st, [] { return false; });
  }
  std::stop_source stop_;
  std::thread t_;
};

int main() {
  std::stop_source background;
  Rows rs;
  rs.initContextClose(background.get_token());
  Query q(std::make_unique<Concurrent>());
  q.Exec();
  q.Close();
  Poller p;
  p.run();
  watchForever();
  Rows2 r2;
  r2.init();
  r2.close();
  jthreadToken();
  Shared s;
  s.start();
  callWaitFor();
  readyWait();
  timedWait();
  std::stop_source parent;
  Linked l;
  l.init(parent.get_token());
  parent.request_stop();
  stopThenJoin();
  Session session;
  Heartbeat hb;
  hb.start();
  Heartbeat2 hb2;
  hb2.start();
  Retry retry;
  retry.start();
  Tail tail;
  tail.start();
  Tail2 tail2;
  tail2.start();
}
