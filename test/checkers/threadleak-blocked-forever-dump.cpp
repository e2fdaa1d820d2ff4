// The model the blocking analysis works on, as --dump-model prints it (here
// through the check's DumpModel option, with the plugin): code units and
// their skeletons with lock sets, calls resolved through std::function and
// over the class hierarchy,
// abstract objects with the names that reach them, roots and contexts.
// RUN: %tidy --checks='-*,threadleak-blocked-forever' --config="{CheckOptions: {threadleak-blocked-forever.DumpModel: true}}" %s -- %stubflags | FileCheck %s

#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

struct Registry {
  std::mutex mu;
  std::vector<std::unique_ptr<std::mutex>> locks;
  std::function<void()> onChange;

  // CHECK-LABEL: unit 'Registry::lockOne' ({{.*}}) [callers: 1]
  // CHECK-NEXT: [[@LINE+7]]:5  acquire mu  held {}
  // A local reference stands for its initialiser: an element of `locks`.
  // CHECK-NEXT: [[@LINE+7]]:5  acquire locks[...]  held {mu}
  // CHECK-NEXT: [[@LINE+7]]:5  release mu  held {mu, locks[...]}
  // CHECK-NEXT: [[@LINE+7]]:3  return  held {locks[...]}
  // CHECK-NEXT: summary: acquires mu; acquires locks[...]; returns holding locks[...];
  void lockOne(int k) {
    mu.lock();
    auto &l = locks[k];
    l->lock();
    mu.unlock();
  }
  // A call through a std::function reaches the lambdas it is given.
  // CHECK-LABEL: unit 'Registry::notify'
  // CHECK-NEXT: [[@LINE+5]]:21  acquire mu  held {}
  // CHECK-NEXT: [[@LINE+5]]:{{[0-9]+}}  call through std::function: lambda at [[@LINE+25]]:18  held {mu}
  // CHECK-NEXT: [[@LINE+5]]:3  release mu (end of scope)  held {mu}
  // CHECK-NEXT: [[@LINE+4]]:3  return  held {}
  void notify() {
    std::lock_guard g(mu);
    onChange();
  }
};

// A helper object built with braces stands for what it was built with.
struct Holder {
  Registry *r;
  // CHECK-LABEL: unit 'Holder::poke'
  // CHECK: summary: acquires r->mu (via calls);
  void poke() { r->notify(); }
};

// Parameters take the caller's names; a lock a callee returns holding is
// held after the call.
// CHECK-LABEL: unit 'watch'
// CHECK-NEXT: [[@LINE+6]]:3  call 'Registry::lockOne'  held {}
// CHECK-NEXT: [[@LINE+7]]:3  call 'Holder::poke'  held {reg.locks[...]}
// CHECK-NEXT: return  held {reg.locks[...]}
// CHECK-NEXT: summary: acquires reg.mu (via calls); acquires reg.locks[...] (via calls); returns holding reg.locks[...];
void watch(Registry &reg) {
  reg.onChange = [] {};
  reg.lockOne(0);
  Holder h{&reg};
  h.poke();
}

// A virtual call may run each overrider the class hierarchy gives it.
struct Shape {
  virtual ~Shape() = default;
  virtual void draw() = 0;
};
struct Square : Shape {
  std::mutex m;
  void draw() override { std::lock_guard<std::mutex> g(m); }
};
struct Circle : Shape {
  std::mutex m;
  void draw() override { std::lock_guard<std::mutex> g(m); }
};
// CHECK-LABEL: unit 'render'
// CHECK-NEXT: [[@LINE+1]]:25  virtual call, may run: 'Square::draw' 'Circle::draw'  held {}
void render(Shape &s) { s.draw(); }

// A thread's body is a context; a function nothing calls is a root.
// CHECK: unit lambda at [[@LINE+4]]:17 ({{.*}}) [context: a thread body or callback]
// CHECK-NEXT: [[@LINE+3]]:26  call 'watch'  held {}
int main() {
  Registry reg;
  std::thread t([&reg] { watch(reg); });
  t.join();
}

// A method a thread is started on (its address handed to the thread) is a
// context, with where it starts.
struct Server {
  std::mutex mu;
  std::thread t;
  void start() { t = std::thread(&Server::loop, this); }
  // CHECK: unit 'Server::loop' ({{.*}}) [context: a thread started at [[@LINE-1]]:22]
  // CHECK-NEXT: [[@LINE+1]]:45  acquire mu  held {}
  void loop() { std::lock_guard<std::mutex> g(mu); }
};

// CHECK-LABEL: function objects:
// CHECK-NEXT: Registry::onChange -> lambda at 60:18

// Every name that reaches an object, across functions.
// CHECK-LABEL: objects:
// CHECK-NEXT: Circle::m <- m s.m
// CHECK-NEXT: Registry::locks[...] <- locks[...] reg.locks[...]
// CHECK-NEXT: Registry::mu <- mu r->mu reg.mu
// CHECK-NEXT: Server::mu <- mu
// CHECK-NEXT: Square::m <- m s.m
