// GoKer port: gobench/goker/blocking/moby/25384 (moby/moby#25384, fix 42360d1)
// Style: (d) standard library only (std::thread, std::latch as the WaitGroup)
// Bug class: WaitGroup: Wait() inside the loop that starts the workers (waits for n Done()s after one worker)
// Shape: Manager::init() sizes the latch to the number of plugins, then for
//   each plugin starts a thread that counts down once, and waits on the latch
//   inside the loop. With two plugins the first wait needs two count-downs
//   while only one worker has been started; the second is never started.
// Fix: the wait moves after the loop, once every worker has been started.
#include <latch>
#include <memory>
#include <thread>
#include <vector>

struct Plugin {};

class Manager {
public:
  explicit Manager(std::vector<std::shared_ptr<Plugin>> plugins) : plugins_(std::move(plugins)) {}

  void init() {
    std::latch group(static_cast<std::ptrdiff_t>(plugins_.size()));
    std::vector<std::thread> workers;
    for (auto &p : plugins_) {
      workers.emplace_back([&group, p] {
        // restore the plugin (p)
        group.count_down();
      });
      group.wait(); // LEAK: waits for every plugin while only this one was started
    }
    for (auto &w : workers)
      w.join();
  }

private:
  std::vector<std::shared_ptr<Plugin>> plugins_;
};

int main() {
  std::thread g([] {
    Manager pm({std::make_shared<Plugin>(), std::make_shared<Plugin>()});
    std::thread init([&pm] { pm.init(); });
    init.join();
  });
  g.join();
}
