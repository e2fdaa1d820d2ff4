// GoKer port: gobench/goker/blocking/moby/29733 (moby/moby#29733)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (d) standard library only (std::thread, std::mutex, std::condition_variable, std::shared_mutex, std::promise)
// Bug class: cond: a wait on a condition nobody will make true (Handle() marks an active plugin inactive again)
// Shape: waitActive() waits on the plugin's condition variable until the
//   plugin is activated. The test's plugin is activated up front, so the first
//   testActive() returns; Handle() then marks every stored plugin as not
//   activated (under the handlers' lock, without notifying), and nothing will
//   activate it again: the second testActive()'s waiter waits forever, and
//   the test waits for it.
// Fix: (upstream, as we know it) Handle() no longer resets `activated`; it
//   marks the plugin's handlers to be run again (`handlersRun = false`) under
//   the plugin's mutex, and waitActive() only waits for activation.
// (The Go kernel leaves `activated` false from the start, so its first
//   testActive() already blocks; here the plugin is pre-activated as in
//   moby's TestPluginAddHandler, so it is Handle() that loses the wake-up.)
#include <condition_variable>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>

struct Plugin {
  std::mutex activateMu;
  std::condition_variable activateWait;
  bool activated = false;
  bool handlersRun = false;

  void waitActive() {
    std::unique_lock lk(activateMu);
    activateWait.wait(lk, [this] { return activated; });
  }
};

struct PluginStorage {
  std::mutex mu;
  std::map<int, std::shared_ptr<Plugin>> plugins;
};

struct ExtpointHandlers {
  std::shared_mutex mu;
  std::map<int, int> extpointHandlers;
};

void Handle(PluginStorage &storage, ExtpointHandlers &handlers) {
  std::lock_guard lk(handlers.mu);
  std::lock_guard slk(storage.mu);
  for (auto &[id, p] : storage.plugins) {
    std::lock_guard plk(p->activateMu);
    p->handlersRun = false;
  }
}

void testActive(Plugin &p) {
  std::promise<void> done;
  std::thread waiter([&] {
    p.waitActive();
    done.set_value();
  });
  done.get_future().wait();
  waiter.join();
}

int main() {
  std::thread g([] {
    PluginStorage storage;
    ExtpointHandlers handlers;
    auto p = std::make_shared<Plugin>();
    p->activated = true; // a plugin which is pre-activated
    storage.plugins[0] = p;

    testActive(*p);
    Handle(storage, handlers);
    testActive(*p);
  });
  g.join();
}
