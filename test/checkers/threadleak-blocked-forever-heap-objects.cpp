// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' --config="{CheckOptions: {threadleak-blocked-forever.DumpModel: true}}" %s -- %stubflags | FileCheck --check-prefix=DUMP %s

// threadleak-blocked-forever: callbacks kept as handles
// (`std::vector<std::shared_ptr<std::function<void()>>>`, called as
// `(*cb)()`) hold what `std::make_shared<std::function<...>>(cb)` was given;
// and an object `main` makes once on the heap (`std::make_shared<C>()`,
// `new C`, not in a loop, and no other object of C anywhere) is the only
// one of its class, so two names of one of its members are one mutex
// (rclcpp#2886: the context runs its shutdown callbacks under the
// callbacks' mutex; one of them destroys an executor, whose destructor
// unregisters its own callback and locks that mutex again).

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace once {
class Context {
public:
  std::shared_ptr<std::function<void()>> onShutdown(std::function<void()> Cb) {
    auto Handle = std::make_shared<std::function<void()>>(std::move(Cb));
    std::lock_guard<std::mutex> L(mu_);
    callbacks_.push_back(Handle);
    return Handle;
  }
  void remove(const std::shared_ptr<std::function<void()>> &Handle) {
    std::lock_guard<std::mutex> L(mu_);
    // CHECK: :[[@LINE-1]]:33: warning: 'exec_->ctx_->mu_' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE+130]]:14: note: the 'Context' made here is the only one the program makes: 'mu_' and 'exec_->ctx_->mu_' are both its 'mu_'
    // CHECK: :[[@LINE+9]]:33: note: 'mu_' is acquired here
    // CHECK: :[[@LINE+10]]:7: note: 'std::function<void ()>::operator()' is called here, with 'exec_->ctx_->mu_' held
    // CHECK: :[[@LINE+34]]:31: note: the destructor 'once::Executor::~Executor' runs here, with 'exec_->ctx_->mu_' held
    // CHECK: :[[@LINE+21]]:17: note: 'once::Context::remove' is called here, with 'exec_->ctx_->mu_' held
    for (auto &C : callbacks_)
      if (C == Handle)
        C = nullptr;
  }
  void shutdown() {
    std::lock_guard<std::mutex> L(mu_);
    for (const auto &Cb : callbacks_)
      (*Cb)();
  }

private:
  std::mutex mu_;
  std::vector<std::shared_ptr<std::function<void()>>> callbacks_;
};

class Executor {
public:
  explicit Executor(std::shared_ptr<Context> C) : ctx_(C) {
    handle_ = ctx_->onShutdown([this] { cancelled_ = true; });
  }
  ~Executor() { ctx_->remove(handle_); }

private:
  std::shared_ptr<Context> ctx_;
  std::shared_ptr<std::function<void()>> handle_;
  bool cancelled_ = false;
};

class Node {
public:
  explicit Node(std::shared_ptr<Context> C) : ctx_(C) {
    exec_ = std::make_unique<Executor>(ctx_);
    ctx_->onShutdown([this] { exec_.reset(); });
  }

private:
  std::shared_ptr<Context> ctx_;
  std::unique_ptr<Executor> exec_;
};
} // namespace once

// Silent: two contexts; the node's executor may belong to the other one.
namespace twice {
class Context {
public:
  void onShutdown(std::function<void()> Cb) {
    auto Handle = std::make_shared<std::function<void()>>(std::move(Cb));
    std::lock_guard<std::mutex> L(mu_);
    callbacks_.push_back(Handle);
  }
  void remove() { std::lock_guard<std::mutex> L(mu_); }
  void shutdown() {
    std::lock_guard<std::mutex> L(mu_);
    for (const auto &Cb : callbacks_)
      (*Cb)();
  }

private:
  std::mutex mu_;
  std::vector<std::shared_ptr<std::function<void()>>> callbacks_;
};

class Executor {
public:
  explicit Executor(Context *C) : ctx_(C) {}
  ~Executor() { ctx_->remove(); }

private:
  Context *ctx_;
};

class Node {
public:
  Node(Context *Mine, Context *Executors) : exec_(new Executor(Executors)) {
    Mine->onShutdown([this] { delete exec_; });
  }

private:
  Executor *exec_;
};
} // namespace twice

// Silent: a context made in a loop is one of many.
namespace many {
class Context {
public:
  void onShutdown(std::function<void()> Cb) {
    auto Handle = std::make_shared<std::function<void()>>(std::move(Cb));
    std::lock_guard<std::mutex> L(mu_);
    callbacks_.push_back(Handle);
  }
  void remove() { std::lock_guard<std::mutex> L(mu_); }
  void shutdown() {
    std::lock_guard<std::mutex> L(mu_);
    for (const auto &Cb : callbacks_)
      (*Cb)();
  }

private:
  std::mutex mu_;
  std::vector<std::shared_ptr<std::function<void()>>> callbacks_;
};

class Executor {
public:
  explicit Executor(std::shared_ptr<Context> C) : ctx_(C) {}
  ~Executor() { ctx_->remove(); }

private:
  std::shared_ptr<Context> ctx_;
};

class Node {
public:
  Node(std::shared_ptr<Context> Mine, std::shared_ptr<Context> Executors)
      : exec_(std::make_unique<Executor>(Executors)) {
    Mine->onShutdown([this] { exec_.reset(); });
  }

private:
  std::unique_ptr<Executor> exec_;
};
} // namespace many

int main() {
  auto Ctx = std::make_shared<once::Context>();
  {
    auto N = std::make_shared<once::Node>(Ctx);
    Ctx->shutdown();
  }

  twice::Context *A = new twice::Context;
  twice::Context *B = new twice::Context;
  {
    twice::Node N(A, B);
    A->shutdown();
  }

  std::vector<std::shared_ptr<many::Context>> Contexts;
  for (int I = 0; I < 2; ++I)
    Contexts.push_back(std::make_shared<many::Context>());
  {
    many::Node N(Contexts[0], Contexts[1]);
    Contexts[0]->shutdown();
  }
  return 0;
}

// DUMP-LABEL: unit 'once::Context::shutdown'
// DUMP: 44:{{[0-9]+}}  call through std::function: lambda at 55:32 lambda at 69:22  held {mu_}
// DUMP-LABEL: function objects:
// DUMP: once::Context::callbacks_ -> lambda at 55:32 lambda at 69:22
// DUMP: twice::Context::callbacks_ -> lambda at 111:22
