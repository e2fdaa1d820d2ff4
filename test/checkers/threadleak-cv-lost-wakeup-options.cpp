// Option variants. By default the project's own condition variable and
// guard are unknown: nothing is reported.
// DEFAULT-NOT: warning:
// RUN: %threadleak --checks='-*,threadleak-cv-lost-wakeup' %s -- %stubflags | %check-all --allow-empty --check-prefix=DEFAULT %s
// RUN: %tidy --checks='-*,threadleak-cv-lost-wakeup' %s -- %stubflags | %check-all --allow-empty --check-prefix=DEFAULT %s
//
// ConditionVariableTypes and LockGuardTypes as check options.
// RUN: not %threadleak --checks='-*,threadleak-cv-lost-wakeup' --config="{CheckOptions: {threadleak-cv-lost-wakeup.ConditionVariableTypes: '::app::Event', threadleak-cv-lost-wakeup.LockGuardTypes: '::std::unique_lock;::app::Hold'}}" %s -- %stubflags | %check-all --check-prefix=CUSTOM %s
// RUN: %tidy --checks='-*,threadleak-cv-lost-wakeup' --config="{CheckOptions: {threadleak-cv-lost-wakeup.ConditionVariableTypes: '::app::Event', threadleak-cv-lost-wakeup.LockGuardTypes: '::std::unique_lock;::app::Hold'}}" %s -- %stubflags | %check-all --check-prefix=CUSTOM %s
//
// The condition variable type from a .threadleak.yaml (the guard stays
// unknown: its trivially destructible class is no guard by shape, so the
// write it protects looks unprotected).
// RUN: rm -rf %t && mkdir -p %t && cp %s %t/options.cpp
// RUN: printf 'Model:\n  ConditionVariableTypes: [app::Event]\n' > %t/.threadleak.yaml
// RUN: not %threadleak --checks='-*,threadleak-cv-lost-wakeup' %t/options.cpp -- %stubflags | %check-all --check-prefix=YAML %s

#include <mutex>

namespace app {
class Event {
public:
  template <class Lock, class Pred> void wait(Lock &lock, Pred pred) {}
  void notify_all();
};
// A guard without a user-declared destructor: known only when listed.
struct Hold {
  explicit Hold(std::mutex &m);
};
} // namespace app

class Service {
public:
  void stop() {
    stopping_ = true;
    // CUSTOM: :[[@LINE-1]]:5: warning: lost wake-up: 'stopping_' is changed without holding 'm_', the mutex the wait on 'ev_' checks it under; a waiter between its check and its sleep misses the notify and waits forever [threadleak-cv-lost-wakeup]
    // CUSTOM: :[[@LINE+17]]:9: note: the waiter checks 'stopping_' here, holding 'm_', and then sleeps on 'ev_'
    // CUSTOM: :[[@LINE+4]]:9: note: 'ev_' is notified here, and 'm_' has not been held since 'stopping_' changed
    // YAML: :[[@LINE-4]]:5: warning: lost wake-up: 'stopping_' is changed without holding 'm_'
    // YAML: :[[@LINE+14]]:9: note: the waiter checks 'stopping_' here
    // YAML: :[[@LINE+1]]:9: note: 'ev_' is notified here, and 'm_' has not been held since 'stopping_' changed
    ev_.notify_all();
  }
  void stop_held() {
    app::Hold h(m_);
    held_ = true;
    // YAML: :[[@LINE-1]]:5: warning: lost wake-up: 'held_' is changed without holding 'm_'
    // YAML: :[[@LINE+6]]:9: note: the waiter checks 'held_' here
    // YAML: :[[@LINE+1]]:9: note: 'ev_' is notified here, and 'm_' has not been held since 'held_' changed
    ev_.notify_all();
  }
  void run() {
    std::unique_lock<std::mutex> lk(m_);
    ev_.wait(lk, [this] { return stopping_ || held_; });
  }

private:
  std::mutex m_;
  app::Event ev_;
  bool stopping_ = false, held_ = false;
};
