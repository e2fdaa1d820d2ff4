// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// threadleak-blocked-forever on promises and futures: a one-shot channel
// whose state the promise names. A wait on a future (get(), wait())
// completes when the promise is set, or destroyed unset (broken_promise);
// every blocked-forever rule applies to it.

#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

std::mutex mu;

// The value is set only after the wait, in the same code.
void selfWait() {
  std::promise<int> p;
  std::future<int> f = p.get_future();
  int v = f.get();
  // CHECK: :[[@LINE-1]]:11: warning: a wait for the value of 'p' waits forever: every operation that could complete it runs only after it completes [threadleak-blocked-forever]
  p.set_value(v);
  // CHECK: :[[@LINE-1]]:3: note: setting the value of 'p' in 'selfWait' cannot come before it in the same code: it runs only after the blocked operation
}

void selfWaitTask() {
  std::packaged_task<int()> task([] { return 1; });
  std::future<int> f = task.get_future();
  f.wait();
  // CHECK: :[[@LINE-1]]:3: warning: a wait for the value of 'task' waits forever: every operation that could complete it runs only after it completes [threadleak-blocked-forever]
  task();
  // CHECK: :[[@LINE-1]]:3: note: setting the value of 'task' in 'selfWaitTask' cannot come before it in the same code: it runs only after the blocked operation
}

// The wait holds the mutex the only setter takes first.
void heldWhileWaiting() {
  std::promise<void> ready;
  std::future<void> f = ready.get_future();
  std::thread t([&] {
    std::lock_guard<std::mutex> g(mu);
    ready.set_value();
  });
  {
    std::lock_guard<std::mutex> g(mu);
    f.wait();
    // CHECK: :[[@LINE-1]]:5: warning: a wait for the value of 'ready' waits while holding 'mu', and every operation that could complete it may need 'mu' first: both sides wait forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-3]]:33: note: 'mu' is acquired here
  }
  t.join();
}
// CHECK: :[[@LINE-1]]:1: note: the destruction of 'ready' in 'heldWhileWaiting' cannot come before it in the same code: it runs only after the blocked operation
// CHECK: :[[@LINE-11]]:5: note: setting the value of 'ready' in the lambda runs only with 'mu' held

// A reply slot: the promise and its future are members of one object.
class Request {
public:
  void complete(int v) {
    std::lock_guard<std::mutex> g(mu_);
    reply_.set_value(v);
  }
  int await() {
    std::lock_guard<std::mutex> g(mu_);
    return replyF_.get();
    // CHECK: :[[@LINE-1]]:12: warning: a wait for the value of 'reply_' waits while holding 'mu_', and every operation that could complete it needs 'mu_' first: both sides wait forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-3]]:33: note: 'mu_' is acquired here
    // CHECK: :[[@LINE-7]]:5: note: setting the value of 'reply_' in 'Request::complete' runs only with 'mu_' held
  }

private:
  std::mutex mu_;
  std::promise<int> reply_;
  std::future<int> replyF_ = reply_.get_future();
};

void useRequest() {
  Request r;
  std::thread t([&] { r.complete(1); });
  r.await();
  t.join();
}

// Nothing sets the promise, and the object that holds it lives while the
// wait does.
class Loader {
public:
  void waitLoaded() { ready_.wait(); }
  // CHECK: :[[@LINE-1]]:23: warning: a wait for the value of 'loaded_' waits forever: nothing in this translation unit sets its value, and no other code can reach 'Loader::loaded_' [threadleak-blocked-forever]
  // CHECK: :[[@LINE+3]]:22: note: 'Loader::loaded_' is declared here, in a class of this file that no other translation unit can name

private:
  std::promise<void> loaded_;
  std::shared_future<void> ready_;

public:
  Loader() : ready_(loaded_.get_future().share()) {}
};

void useLoader() {
  Loader l;
  l.waitLoaded();
}

//===-- Negatives ----------------------------------------------------------===//

// Set by another thread, no lock held.
void handoff() {
  std::promise<int> p;
  std::future<int> f = p.get_future();
  std::thread t([&] { p.set_value(1); });
  f.get();
  t.join();
}

// Set before the wait.
void setFirst() {
  std::promise<int> p;
  std::future<int> f = p.get_future();
  p.set_value(2);
  f.get();
}

// Moved into the thread that sets it, which takes no lock.
void movedIntoThread() {
  std::promise<int> p;
  std::future<int> f = p.get_future();
  std::thread t([p = std::move(p)]() mutable { p.set_value(1); });
  {
    std::lock_guard<std::mutex> g(mu);
    f.get();
  }
  t.join();
}

// Shared with code we do not read, which may set it (or drop it) at any
// time.
void post(std::function<void()> fn);
void sharedPromise() {
  auto p = std::make_shared<std::promise<int>>();
  std::future<int> f = p->get_future();
  post([p] { p->set_value(3); });
  std::lock_guard<std::mutex> g(mu);
  f.get();
}

// Moved into a container: whoever takes it out sets it, or destroys it.
void intoContainer(std::vector<std::promise<int>> &pending) {
  std::promise<int> p;
  std::future<int> f = p.get_future();
  pending.push_back(std::move(p));
  std::lock_guard<std::mutex> g(mu);
  f.get();
}

// Moved into the thread that runs it.
void packagedOnThread() {
  std::packaged_task<int()> task([] { return 1; });
  std::future<int> fut = task.get_future();
  std::thread t(std::move(task));
  std::lock_guard<std::mutex> g(mu);
  fut.get();
  t.join();
}

// The setter takes another mutex.
void otherMutex() {
  std::mutex other;
  std::promise<void> ready;
  std::future<void> f = ready.get_future();
  std::thread t([&] {
    std::lock_guard<std::mutex> g(other);
    ready.set_value();
  });
  {
    std::lock_guard<std::mutex> g(mu);
    f.wait();
  }
  t.join();
}

// A timed wait returns on its own.
void timedWait() {
  std::promise<void> ready;
  std::future<void> f = ready.get_future();
  std::thread t([&] {
    std::lock_guard<std::mutex> g(mu);
    ready.set_value();
  });
  {
    std::lock_guard<std::mutex> g(mu);
    f.wait_for(std::chrono::milliseconds(10));
  }
  t.join();
}

// The reply slot, set without the lock.
class Slot {
public:
  void complete(int v) { reply_.set_value(v); }
  int await() {
    std::lock_guard<std::mutex> g(mu_);
    return replyF_.get();
  }

private:
  std::mutex mu_;
  std::promise<int> reply_;
  std::future<int> replyF_ = reply_.get_future();
};

void useSlot() {
  Slot s;
  std::thread t([&] { s.complete(1); });
  s.await();
  t.join();
}

// A copy of the future waited in a detached thread: the owner's end wakes
// it (broken_promise).
class Watcher {
public:
  void watch() {
    std::thread([f = ready_] { f.wait(); }).detach();
  }

private:
  std::promise<void> loaded_;
  std::shared_future<void> ready_ = loaded_.get_future().share();
};

void useWatcher() {
  Watcher w;
  w.watch();
}

// A future we cannot trace to a promise.
int fromAsync() {
  std::future<int> f = std::async([] { return 1; });
  std::lock_guard<std::mutex> g(mu);
  return f.get();
}
int fromParameter(std::future<int> &f) {
  std::lock_guard<std::mutex> g(mu);
  return f.get();
}

//===-- std::async: its task's end sets the future -------------------------===//

void asyncUnderLock() {
  std::lock_guard<std::mutex> g(mu);
  auto f = std::async(std::launch::async, [] {
    std::lock_guard<std::mutex> g2(mu);
    return 1;
  });
  f.get();
}
// CHECK: :[[@LINE-2]]:3: warning: a wait for the std::async task's result waits while holding 'mu', which the task acquires before it can finish: both wait forever [threadleak-blocked-forever]
// CHECK: :[[@LINE-8]]:31: note: 'mu' is acquired here
// CHECK: :[[@LINE-8]]:12: note: the task is started here
// CHECK: :[[@LINE-8]]:33: note: the task acquires 'mu' here

// A std::async task's future waits for the task when it is destroyed: at
// the end of its scope, or at once when the call's result is discarded.
void asyncFutureDies() {
  std::lock_guard<std::mutex> g(mu);
  auto f = std::async(std::launch::async, [] {
    std::lock_guard<std::mutex> g2(mu);
    return 1;
  });
}
// CHECK: :[[@LINE-2]]:4: warning: destroying 'f', the future of a std::async task, waits for the task while holding 'mu', which the task acquires before it can finish: both wait forever [threadleak-blocked-forever]
// CHECK: :[[@LINE-7]]:31: note: 'mu' is acquired here
// CHECK: :[[@LINE-7]]:12: note: the task is started here
// CHECK: :[[@LINE-7]]:33: note: the task acquires 'mu' here
void asyncDiscarded() {
  std::lock_guard<std::mutex> g(mu);
  std::async(std::launch::async, [] {
    std::lock_guard<std::mutex> g2(mu);
    return 1;
  });
}
// CHECK: :[[@LINE-5]]:3: warning: the future of this std::async call is discarded: its destructor waits for the task at once while holding 'mu', which the task acquires before it can finish: both wait forever [threadleak-blocked-forever]
// CHECK: :[[@LINE-7]]:31: note: 'mu' is acquired here
// CHECK: :[[@LINE-7]]:3: note: the task is started here
// CHECK: :[[@LINE-7]]:33: note: the task acquires 'mu' here
// Negatives: the guard dies first (declared after the future); the task
// was waited for already; a deferred task never runs unwaited.
void asyncGuardDiesFirst() {
  auto f = std::async(std::launch::async, [] {
    std::lock_guard<std::mutex> g2(mu);
    return 1;
  });
  std::lock_guard<std::mutex> g(mu);
}
void asyncWaitedFirst() {
  auto f = std::async(std::launch::async, [] {
    std::lock_guard<std::mutex> g2(mu);
    return 1;
  });
  f.wait();
  std::lock_guard<std::mutex> g(mu);
}
void asyncDeferred() {
  std::lock_guard<std::mutex> g(mu);
  auto f = std::async(std::launch::deferred, [] {
    std::lock_guard<std::mutex> g2(mu);
    return 1;
  });
}

void asyncWaitsForCaller() {
  std::promise<void> go;
  std::shared_future<void> ready = go.get_future();
  auto f = std::async(std::launch::async, [ready] { ready.wait(); });
  f.get();
  go.set_value();
}
// CHECK: :[[@LINE-4]]:53: warning: a wait for the value of 'go' waits forever: every operation that could complete it runs only after it completes [threadleak-blocked-forever]
// CHECK: :[[@LINE-3]]:3: note: setting the value of 'go' in 'asyncWaitsForCaller' runs only after a wait for the value of 'f' completes
// CHECK: :[[@LINE-5]]:3: note: a wait for the value of 'f' waits here, and every operation that could complete it is held back too:
// CHECK: :[[@LINE-7]]:67: note: setting the value of 'f' in the lambda cannot come before it in the same code: it runs only after the blocked operation
// CHECK: :[[@LINE-7]]:3: warning: a wait for the value of 'f' waits forever: every operation that could complete it runs only after it completes [threadleak-blocked-forever]
// CHECK: :[[@LINE-9]]:67: note: setting the value of 'f' in the lambda runs only after a wait for the value of 'go' completes
// CHECK: :[[@LINE-10]]:53: note: a wait for the value of 'go' waits here, and every operation that could complete it is held back too:
// CHECK: :[[@LINE-9]]:3: note: setting the value of 'go' in 'asyncWaitsForCaller' cannot come before it in the same code: it runs only after the blocked operation

// Negatives: set before the wait; the lock released before it.
void asyncSetFirst() {
  std::promise<void> go;
  std::shared_future<void> ready = go.get_future();
  auto f = std::async(std::launch::async, [ready] { ready.wait(); });
  go.set_value();
  f.get();
}
void asyncOutsideLock() {
  auto f = std::async(std::launch::async, [] {
    std::lock_guard<std::mutex> g2(mu);
    return 1;
  });
  { std::lock_guard<std::mutex> g(mu); }
  f.get();
}

//===-- A promise shared through a shared_ptr ------------------------------===//

// Every copy dies at the end of code we read (the lambda's, after it sets
// the promise): the only way to complete the wait is the setter, which
// needs the mutex the waiter holds.
void sharedUnderLock() {
  auto p = std::make_shared<std::promise<int>>();
  std::future<int> f = p->get_future();
  std::thread t([p] {
    std::lock_guard<std::mutex> g(mu);
    p->set_value(3);
  });
  {
    std::lock_guard<std::mutex> g(mu);
    f.get();
  }
  t.join();
}
// CHECK: :[[@LINE-4]]:5: warning: a wait for the value of 'p' waits while holding 'mu', and every operation that could complete it needs 'mu' first: both sides wait forever [threadleak-blocked-forever]
// CHECK: :[[@LINE-6]]:33: note: 'mu' is acquired here
// CHECK: :[[@LINE-10]]:5: note: setting the value of 'p' in the lambda runs only with 'mu' held

// The lambda may end without setting it (its copy's end wakes the waiter
// with broken_promise), but on its other way it needs 'mu' first.
bool ready();
void sharedMaybeUnset() {
  auto p = std::make_shared<std::promise<int>>();
  std::future<int> f = p->get_future();
  std::thread t([p] {
    if (!ready())
      return;
    std::lock_guard<std::mutex> g(mu);
    p->set_value(3);
  });
  {
    std::lock_guard<std::mutex> g(mu);
    f.get();
  }
  t.join();
}
// CHECK: :[[@LINE-4]]:5: warning: a wait for the value of 'p' waits while holding 'mu', and every operation that could complete it may need 'mu' first: both sides wait forever [threadleak-blocked-forever]
// CHECK: :[[@LINE-6]]:33: note: 'mu' is acquired here
// CHECK: :[[@LINE-10]]:5: note: setting the value of 'p' in the lambda runs only with 'mu' held
// CHECK: :[[@LINE-12]]:5: note: the lambda may take 'mu' here, on its way to the destruction of 'p'

// Negative: either way wakes the waiter before the lambda takes 'mu'.
void sharedSetsFirst() {
  auto p = std::make_shared<std::promise<int>>();
  std::future<int> f = p->get_future();
  std::thread t([p] {
    if (!ready())
      return;
    p->set_value(3);
    std::lock_guard<std::mutex> g(mu);
  });
  {
    std::lock_guard<std::mutex> g(mu);
    f.get();
  }
  t.join();
}
