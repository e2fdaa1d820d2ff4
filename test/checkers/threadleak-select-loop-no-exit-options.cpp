// Option variants. Without options, only the default model applies: the
// project's own demultiplexer is unknown and nothing is reported.
// RUN: %threadleak --checks='-*,threadleak-select-loop-no-exit' %s -- %stubflags | %check-all --allow-empty --check-prefix=DEFAULT %s
// RUN: %tidy --checks='-*,threadleak-select-loop-no-exit' %s -- %stubflags | %check-all --allow-empty --check-prefix=DEFAULT %s
//
// SelectFunctions declares it; SpawnFunctions declares the pool that runs
// the loop.
// RUN: not %threadleak --checks='-*,threadleak-select-loop-no-exit' --config="{CheckOptions: {threadleak-select-loop-no-exit.SelectFunctions: '::poll;::app::Reactor::wait_any', threadleak-select-loop-no-exit.SpawnFunctions: '::app::run_on_pool'}}" %s -- %stubflags | %check-all --check-prefix=CUSTOM %s
// RUN: %tidy --checks='-*,threadleak-select-loop-no-exit' --config="{CheckOptions: {threadleak-select-loop-no-exit.SelectFunctions: '::poll;::app::Reactor::wait_any', threadleak-select-loop-no-exit.SpawnFunctions: '::app::run_on_pool'}}" %s -- %stubflags | %check-all --check-prefix=CUSTOM %s
//
// The same from a .threadleak.yaml (Model: SelectFunctions, SpawnFunctions).
// RUN: rm -rf %t && mkdir -p %t && cp %s %t/options.cpp
// RUN: printf 'Model:\n  SelectFunctions: [app::Reactor::wait_any]\n  SpawnFunctions: [app::run_on_pool]\n' > %t/.threadleak.yaml
// RUN: not %threadleak --checks='-*,threadleak-select-loop-no-exit' %t/options.cpp -- %stubflags | %check-all --check-prefix=CUSTOM %s
// RUN: %tidy --checks='-*,threadleak-select-loop-no-exit' %t/options.cpp -- %stubflags | %check-all --check-prefix=CUSTOM %s

// DEFAULT-NOT: warning:

#include <functional>

namespace app {
struct Event {
  int id;
};
class Reactor {
public:
  // Blocks until one of the registered sources is ready.
  Event wait_any();
};
void run_on_pool(std::function<void()> job);
} // namespace app

void handle(app::Event);

void start(app::Reactor &r) {
  app::run_on_pool([&r] {
    for (;;)
      handle(r.wait_any());
  });
}
// CUSTOM: :[[@LINE-4]]:5: warning: endless loop around a multi-way wait: no alternative leads out of the loop and it observes no stop or cancellation [threadleak-select-loop-no-exit]
// CUSTOM: :[[@LINE-4]]:14: note: waits here in 'wait_any'; whatever it reports, the loop goes on
// CUSTOM: :[[@LINE-7]]:3: note: thread started here
