// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// In a program whose main() is in the file, code that nothing calls and that
// no other file can call (a member of a class of this file, a function with
// internal linkage) never runs: a wait whose only partner is there waits
// forever (Go's "the caller never cancels the context": cockroach#13197,
// #25456). Only for a wait main() leads to.

#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

// A context that can be cancelled once: done() becomes ready.
class CancelContext {
public:
  CancelContext() : done_(cancel_.get_future().share()) {}
  std::shared_future<void> done() const { return done_; }
  void cancel() {
    std::call_once(once_, [this] { cancel_.set_value(); });
  }

private:
  std::promise<void> cancel_;
  std::shared_future<void> done_;
  std::once_flag once_;
};

class Tx {
public:
  explicit Tx(std::shared_ptr<CancelContext> ctx) : ctx_(std::move(ctx)) {}
  void awaitDone() { ctx_->done().wait(); }
  void rollback() { close(); }

private:
  void close() { ctx_->cancel(); }
  std::shared_ptr<CancelContext> ctx_;
};

// Positive: a transaction is begun and dropped; only rollback() cancels
// its context, and nothing calls it.
std::shared_ptr<Tx> begin(std::vector<std::thread> &background) {
  auto tx = std::make_shared<Tx>(std::make_shared<CancelContext>());
  background.emplace_back([tx] { tx->awaitDone(); });
  return tx;
}
// CHECK: :[[@LINE-15]]:22: warning: a wait for the value of 'ctx_->cancel_' waits forever: nothing in this translation unit that runs sets its value, and no other code can reach 'CancelContext::cancel_' [threadleak-blocked-forever]
// CHECK: :[[@LINE-24]]:22: note: 'CancelContext::cancel_' is declared here, in a class of this file that no other translation unit can name
// CHECK: :[[@LINE-29]]:36: note: setting the value of 'cancel_' is here, but 'CancelContext::cancel' never runs: it is called only from code that never runs: nothing calls 'Tx::rollback', and no other translation unit can

// The same with a stopper whose stop() is reached only through a method
// whose address is taken: it may run from anywhere.
class Stopper {
public:
  Stopper() : quiesce_(quiescer_.get_future().share()) {}
  std::shared_future<void> shouldQuiesce() const { return quiesce_; }
  void stop() { quiescer_.set_value(); }

private:
  std::promise<void> quiescer_;
  std::shared_future<void> quiesce_;
};
struct Registry {
  void (Stopper::*onExit)() = nullptr;
};
void process(Stopper &s) { s.shouldQuiesce().wait(); }

// A wait in code main() does not lead to: its partner's caller may be an
// entry point of its own (silent).
class Queue {
public:
  Queue() : ready_(set_.get_future().share()) {}
  void wait() { ready_.wait(); }
  void publish() { set_.set_value(); }

private:
  std::promise<void> set_;
  std::shared_future<void> ready_;
};
void consumer(Queue &q) {
  std::thread t([&q] { q.wait(); });
  t.join();
}

// Negative: the fixed twin, rolled back (classes of its own: a member is
// one object per class).
class FixedContext {
public:
  FixedContext() : done_(cancel_.get_future().share()) {}
  std::shared_future<void> done() const { return done_; }
  void cancel() {
    std::call_once(once_, [this] { cancel_.set_value(); });
  }

private:
  std::promise<void> cancel_;
  std::shared_future<void> done_;
  std::once_flag once_;
};
class FixedTx {
public:
  explicit FixedTx(std::shared_ptr<FixedContext> ctx) : ctx_(std::move(ctx)) {}
  void awaitDone() { ctx_->done().wait(); }
  void rollback() { close(); }

private:
  void close() { ctx_->cancel(); }
  std::shared_ptr<FixedContext> ctx_;
};
void beginAndRollBack(std::vector<std::thread> &background) {
  auto tx = std::make_shared<FixedTx>(std::make_shared<FixedContext>());
  background.emplace_back([tx] { tx->awaitDone(); });
  tx->rollback();
}

int main() {
  std::vector<std::thread> background;
  begin(background);
  beginAndRollBack(background);
  Registry r;
  r.onExit = &Stopper::stop;
  Stopper s;
  std::thread p([&s] { process(s); });
  p.join();
  for (auto &t : background)
    t.join();
}
