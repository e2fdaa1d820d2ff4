// Threads held in data members, with both checks enabled: a member jthread
// that some member function detaches is never joined, so it is reported once,
// by threadleak-detached-no-stop, however it was initialised.
// RUN: not %threadleak --checks='-*,threadleak-*' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-*' %s -- %stubflags | %check-all %s

#include <thread>

void work();

struct Assigned {
  std::jthread t_;
  void start() { t_ = std::jthread([] { for (;;) work(); }); }
  void stop() { t_.detach(); }
  // CHECK: :[[@LINE-1]]:20: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-3]]:23: note: thread started here
  // CHECK: :[[@LINE-4]]:41: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
};

struct DefaultInitialised {
  std::jthread t_{[] { for (;;) work(); }};
  void stop() { t_.detach(); }
  // CHECK: :[[@LINE-1]]:20: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-3]]:18: note: thread started here
  // CHECK: :[[@LINE-4]]:24: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
};

struct ConstructorInitialised {
  std::jthread t_;
  ConstructorInitialised() : t_([] { for (;;) work(); }) {}
  ~ConstructorInitialised() { t_.detach(); }
  // CHECK: :[[@LINE-1]]:34: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-3]]:30: note: thread started here
  // CHECK: :[[@LINE-4]]:38: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
};

struct DetachedInALambda {
  std::jthread t_;
  void start() { t_ = std::jthread([] { for (;;) work(); }); }
  template <class F> void post(F f) { f(); }
  void stop() { post([this] { t_.detach(); }); }
  // CHECK: :[[@LINE-1]]:34: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-4]]:23: note: thread started here
  // CHECK: :[[@LINE-5]]:41: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
};

struct Joined {
  // Not detached anywhere: ~Joined() joins, forever.
  std::jthread t_;
  void start() { t_ = std::jthread([] { for (;;) work(); }); }
  // CHECK: :[[@LINE-1]]:23: warning: std::jthread's callable never observes its stop token; ~jthread() will request stop and then wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:41: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
};

// Virtual calls are not followed into one implementation: an override may
// behave differently.
struct Task {
  virtual void run() { for (;;) work(); }
  virtual ~Task();
};
struct FinalTask final : Task {
  void run() override { for (;;) work(); }
};

void spawn_tasks(Task &t, FinalTask &f) {
  // Through a pointer to a virtual member: an override may run.
  std::thread(&Task::run, &t).detach();
  std::thread([&t] { t.run(); }).detach();
  std::thread([&t] { t.Task::run(); }).detach();
  // CHECK: :[[@LINE-1]]:40: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-2]]:22: note: the thread's body calls 'run' here
  // CHECK: :[[@LINE-14]]:24: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
  std::thread([&f] { f.run(); }).detach();
  // CHECK: :[[@LINE-1]]:34: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-2]]:22: note: the thread's body calls 'run' here
  // CHECK: :[[@LINE-14]]:25: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}
