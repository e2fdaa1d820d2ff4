// Option variants. By default `halt()` is no stop method and the project's
// own condition variable is unknown: nothing is reported.
// RUN: %threadleak --checks='-*,threadleak-cv-wait-no-stop' %s -- %stubflags | %check-all --allow-empty --check-prefix=DEFAULT %s
// RUN: %tidy --checks='-*,threadleak-cv-wait-no-stop' %s -- %stubflags | %check-all --allow-empty --check-prefix=DEFAULT %s
//
// StopMethods and ConditionVariableTypes as check options (',' or ';').
// RUN: not %threadleak --checks='-*,threadleak-cv-wait-no-stop' --config="{CheckOptions: {threadleak-cv-wait-no-stop.StopMethods: 'stop,halt', threadleak-cv-wait-no-stop.ConditionVariableTypes: '::app::Event'}}" %s -- %stubflags | %check-all --check-prefix=CUSTOM %s
// RUN: %tidy --checks='-*,threadleak-cv-wait-no-stop' --config="{CheckOptions: {threadleak-cv-wait-no-stop.StopMethods: 'stop,halt', threadleak-cv-wait-no-stop.ConditionVariableTypes: '::app::Event'}}" %s -- %stubflags | %check-all --check-prefix=CUSTOM %s
//
// The same from a .threadleak.yaml; a qualified stop method is taken by its
// last component.
// RUN: rm -rf %t && mkdir -p %t && cp %s %t/options.cpp
// RUN: printf 'Model:\n  StopMethods: [app::Worker::halt]\n  ConditionVariableTypes: [app::Event]\n' > %t/.threadleak.yaml
// RUN: not %threadleak --checks='-*,threadleak-cv-wait-no-stop' %t/options.cpp -- %stubflags | %check-all --check-prefix=CUSTOM %s
// RUN: %tidy --checks='-*,threadleak-cv-wait-no-stop' %t/options.cpp -- %stubflags | %check-all --check-prefix=CUSTOM %s

// DEFAULT-NOT: warning:

#include <mutex>
#include <thread>

namespace app {
// The project's own condition variable.
class Event {
public:
  template <class Pred> void wait(std::unique_lock<std::mutex> &lk, Pred p);
  void notify_all();
};

class Worker {
public:
  Worker() : thread_([this] { run(); }) {}
  void halt() {
    halted_ = true;
    thread_.join();
  }

private:
  void run() {
    std::unique_lock lk(m_);
    ev_.wait(lk, [this] { return halted_; });
  }
  std::mutex m_;
  Event ev_;
  bool halted_ = false;
  std::thread thread_;
};
} // namespace app
// CUSTOM: :[[@LINE-8]]:9: warning: wait on 'ev_' can block forever: the stop path changes 'halted_' but never notifies 'ev_' [threadleak-cv-wait-no-stop]
// CUSTOM: :[[@LINE-16]]:5: note: 'halted_' is changed here
// CUSTOM: :[[@LINE-18]]:8: note: 'halt' calls neither notify_one() nor notify_all() on 'ev_'
// CUSTOM: :[[@LINE-20]]:14: note: thread started here
// CUSTOM: :[[@LINE-21]]:31: note: the thread's body calls 'run' here
