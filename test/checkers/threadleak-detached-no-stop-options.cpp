// Option variants. Without options, only the default model applies:
// RUN: not %threadleak --checks='-*,threadleak-detached-no-stop' %s -- %stubflags | %check-all --check-prefix=DEFAULT %s
// RUN: %tidy --checks='-*,threadleak-detached-no-stop' %s -- %stubflags | %check-all --check-prefix=DEFAULT %s
//
// Users extend the model: their own thread type, detached-spawn function and
// stop signal; and a call depth too small to reach the loop.
// RUN: not %threadleak --checks='-*,threadleak-detached-no-stop' --config="{CheckOptions: {threadleak-detached-no-stop.ThreadTypes: '::std::thread;::app::Thread', threadleak-detached-no-stop.DetachedSpawnFunctions: '::app::fire_and_forget', threadleak-detached-no-stop.StopSignalFunctions: '::app::throw_if_cancelled', threadleak-detached-no-stop.MaxCallDepth: 1}}" %s -- %stubflags | %check-all --check-prefix=CUSTOM %s
// RUN: %tidy --checks='-*,threadleak-detached-no-stop' --config="{CheckOptions: {threadleak-detached-no-stop.ThreadTypes: '::std::thread;::app::Thread', threadleak-detached-no-stop.DetachedSpawnFunctions: '::app::fire_and_forget', threadleak-detached-no-stop.StopSignalFunctions: '::app::throw_if_cancelled', threadleak-detached-no-stop.MaxCallDepth: 1}}" %s -- %stubflags | %check-all --check-prefix=CUSTOM %s

#include <thread>

void work();

namespace app {
// An in-house thread class.
class Thread {
public:
  template <class F> explicit Thread(F f) {}
  void detach();
};
// A thread pool's fire-and-forget submission.
template <class F> void fire_and_forget(F f) {}
// Throws when the application shuts down (defined elsewhere).
void throw_if_cancelled();
} // namespace app

void own_thread_type() {
  app::Thread t([] { for (;;) work(); });
  t.detach();
  // CUSTOM: :[[@LINE-1]]:5: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CUSTOM: :[[@LINE-3]]:15: note: thread started here
  // CUSTOM: :[[@LINE-4]]:22: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void own_spawn_function() {
  app::fire_and_forget([] { for (;;) work(); });
  // CUSTOM: :[[@LINE-1]]:3: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CUSTOM: :[[@LINE-2]]:29: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void own_stop_signal() {
  // Flagged by default; a declared stop signal makes it stoppable.
  std::thread([] {
    for (;;) {
      app::throw_if_cancelled();
      work();
    }
  }).detach();
  // DEFAULT: :[[@LINE-1]]:6: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // DEFAULT: :[[@LINE-7]]:3: note: thread started here
  // DEFAULT: :[[@LINE-7]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void level2() { for (;;) work(); }
void level1() { level2(); }

void call_depth() {
  // Two calls deep: found by default (MaxCallDepth 4), not with depth 1.
  std::thread([] { level1(); }).detach();
  // DEFAULT: :[[@LINE-1]]:33: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // DEFAULT: :[[@LINE-2]]:20: note: the thread's body calls 'level1' here
  // DEFAULT: :[[@LINE-7]]:17: note: which calls 'level2' here
  // DEFAULT: :[[@LINE-9]]:17: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}
