// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// threadleak-blocked-forever: a latch waited for inside the loop that
// starts, one per round, the threads that count it down. Its count is set
// before the loop, so the first round waits for every count-down while
// only one of them has started (moby#25384). Both ways.

#include <cstddef>
#include <latch>
#include <memory>
#include <thread>
#include <vector>

struct Plugin {};
void restore(const Plugin &);

class Manager {
public:
  void init() {
    std::latch group(static_cast<std::ptrdiff_t>(plugins_.size()));
    std::vector<std::thread> workers;
    for (auto &p : plugins_) {
      workers.emplace_back([&group, p] {
        restore(*p);
        group.count_down();
      });
      group.wait();
      // CHECK: :[[@LINE-1]]:7: warning: 'group' is waited for inside the loop that starts what counts it down, one per round: the first round waits for its count with only one of them started [threadleak-blocked-forever]
      // CHECK: :[[@LINE-9]]:16: note: 'group' is created here with a count of 'plugins_.size()'
      // CHECK: :[[@LINE-7]]:28: note: started here, once per round: it counts 'group' down
      // CHECK: :[[@LINE-6]]:9: note: counts it down here
    }
    for (auto &w : workers)
      w.join();
  }

  // Negative: the fix waits once every worker has been started.
  void initFixed() {
    std::latch group(static_cast<std::ptrdiff_t>(plugins_.size()));
    std::vector<std::thread> workers;
    for (auto &p : plugins_)
      workers.emplace_back([&group, p] {
        restore(*p);
        group.count_down();
      });
    group.wait();
    for (auto &w : workers)
      w.join();
  }

  // Negative: a count of one lets every round through.
  void initOne() {
    std::latch first(1);
    std::vector<std::thread> workers;
    for (auto &p : plugins_) {
      workers.emplace_back([&first, p] {
        restore(*p);
        first.count_down();
      });
      first.wait();
    }
    for (auto &w : workers)
      w.join();
  }

  // Negative: each worker counts down by two, the whole count.
  void initByTwo() {
    std::latch pair(2);
    std::vector<std::thread> workers;
    for (auto &p : plugins_) {
      workers.emplace_back([&pair, p] {
        restore(*p);
        pair.count_down(2);
      });
      pair.wait();
    }
    for (auto &w : workers)
      w.join();
  }

  // Negative: the loop's own code counts it down too.
  void initSelf() {
    std::latch both(2);
    std::vector<std::thread> workers;
    for (auto &p : plugins_) {
      workers.emplace_back([&both, p] {
        restore(*p);
        both.count_down();
      });
      both.count_down();
      both.wait();
    }
    for (auto &w : workers)
      w.join();
  }

private:
  std::vector<std::shared_ptr<Plugin>> plugins_;
};

// A constant count of three, a counted loop.
void three() {
  std::latch done(3);
  for (int i = 0; i < 3; ++i) {
    std::thread([&done] { done.count_down(); }).detach();
    done.wait();
    // CHECK: :[[@LINE-1]]:5: warning: 'done' is waited for inside the loop that starts what counts it down, one per round: the first round waits for all 3 count-downs with only one of them started [threadleak-blocked-forever]
    // CHECK: :[[@LINE-5]]:14: note: 'done' is created here with a count of 3
    // CHECK: :[[@LINE-4]]:17: note: started here, once per round: it counts 'done' down
    // CHECK: :[[@LINE-5]]:27: note: counts it down here
  }
}
