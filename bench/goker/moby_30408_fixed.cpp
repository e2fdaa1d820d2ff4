// GoKer port: gobench/goker/blocking/moby/30408 (moby/moby#30408)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (d) standard library only (std::thread, std::mutex, std::condition_variable, std::promise)
// Bug class: cond: a wait whose predicate ignores the failure that ends it (activation failed, the waiter waits for success)
// Shape: waitActive() waits on the plugin's condition variable until the
//   plugin has a manifest (is activated). Activation failed: activateErr is
//   set and the plugin will never get a manifest, but the wait's predicate
//   does not look at the error, so the waiter waits forever, and the test
//   waits for the waiter.
// Fix: waitActive() also stops waiting once activateErr is set (and returns it).
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

struct Manifest {
  std::vector<std::string> implements;
};

class Plugin {
public:
  std::error_code waitActive() {
    std::unique_lock lk(activateMu_);
    activateWait_.wait(lk, [this] { return activated() || activateErr_; });
    return activateErr_;
  }

  void setActivateErr(std::error_code ec) {
    {
      std::lock_guard lk(activateMu_);
      activateErr_ = ec;
    }
    activateWait_.notify_all();
  }

private:
  bool activated() const { return manifest_.has_value(); }

  std::mutex activateMu_;
  std::condition_variable activateWait_;
  std::error_code activateErr_;
  std::optional<Manifest> manifest_;
};

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
    Plugin p;
    p.setActivateErr(std::make_error_code(std::errc::io_error)); // "some junk happened"
    testActive(p);
  });
  g.join();
}
