// RUN: not %threadleak --checks='-*,threadleak-channel-recv-no-close' %s -- %stubflags | %check-all %s

// threadleak-channel-recv-no-close: what reaching the spawn says about the
// owner's later branches. A consumer started in `for (i = 0; i < n; ++i)`
// runs only when n > 0, so the owner's `if (n == 0) return;` after the loop
// is not a path that leaves it: the variables the owner never changes keep
// what the conditions around the spawn said.

#include <boost/fiber/all.hpp>
#include <thread>
#include <vector>

using Chan = boost::fibers::buffered_channel<int>;
void handle(int);

//===-- Negative: the early return is only for the case with no consumer ---===//

void workers_then_return(const std::vector<int> &items, int workers) {
  Chan ch{8};
  std::vector<std::thread> pool;
  for (int i = 0; i < workers; ++i)
    pool.emplace_back([&ch] {
      int v;
      while (ch.pop(v) == boost::fibers::channel_op_status::success)
        handle(v);
    });
  if (workers == 0)
    return; // nobody was started
  for (int v : items)
    ch.push(v);
  ch.close();
  for (auto &t : pool)
    t.join();
}

void guarded_by_if(const std::vector<int> &items, unsigned n) {
  Chan ch{8};
  std::thread t;
  if (n > 2)
    t = std::thread([&ch] {
      int v;
      while (ch.pop(v) == boost::fibers::channel_op_status::success)
        handle(v);
    });
  if (n < 3)
    return;
  for (int v : items)
    ch.push(v);
  ch.close();
  t.join();
}

void negated_flag(bool quiet) {
  Chan ch{8};
  std::thread t;
  if (!quiet)
    t = std::thread([&ch] {
      int v;
      while (ch.pop(v) == boost::fibers::channel_op_status::success)
        handle(v);
    });
  if (quiet)
    return;
  ch.push(1);
  ch.close();
  t.join();
}

//===-- Positive: the facts do not decide the branch -----------------------===//

// The branch is decided for the consumer, but an empty list returns too.
void other_reason_to_return(const std::vector<int> &items, unsigned n) {
  Chan ch{8};
  std::thread t;
  if (n > 2)
    t = std::thread([&ch] {
      int v;
      while (ch.pop(v) == boost::fibers::channel_op_status::success)
      // CHECK: :[[@LINE-1]]:17: warning: thread may block here forever: 'ch' is not closed on every path of 'other_reason_to_return' [threadleak-channel-recv-no-close]
      // CHECK: :[[@LINE-4]]:9: note: thread started here
      // CHECK: :[[@LINE-8]]:8: note: channel 'ch' created here
      // CHECK: :[[@LINE+4]]:5: note: 'other_reason_to_return' returns here without closing 'ch'
        handle(v);
    });
  if (n < 3 || items.empty())
    return;
  for (int v : items)
    ch.push(v);
  ch.close();
  t.join();
}

// The counter runs from 0, the early return is for n == 1: the consumer was
// started and nobody closes.
void returns_for_one(const std::vector<int> &items, int n) {
  Chan ch{8};
  std::vector<std::thread> pool;
  for (int i = 0; i < n; ++i)
    pool.emplace_back([&ch] {
      int v;
      while (ch.pop(v) == boost::fibers::channel_op_status::success)
      // CHECK: :[[@LINE-1]]:17: warning: thread may block here forever: 'ch' is not closed on every path of 'returns_for_one' [threadleak-channel-recv-no-close]
      // CHECK: :[[@LINE-4]]:5: note: thread started here
      // CHECK: :[[@LINE-8]]:8: note: channel 'ch' created here
      // CHECK: :[[@LINE+4]]:5: note: 'returns_for_one' returns here without closing 'ch'
        handle(v);
    });
  if (n == 1)
    return;
  for (int v : items)
    ch.push(v);
  ch.close();
  for (auto &t : pool)
    t.join();
}

// The bound changes after the loop: what the loop said of it no longer holds.
void bound_changes(const std::vector<int> &items, int n) {
  Chan ch{8};
  std::vector<std::thread> pool;
  for (int i = 0; i < n; ++i)
    pool.emplace_back([&ch] {
      int v;
      while (ch.pop(v) == boost::fibers::channel_op_status::success)
      // CHECK: :[[@LINE-1]]:17: warning: thread may block here forever: 'ch' is not closed on every path of 'bound_changes' [threadleak-channel-recv-no-close]
      // CHECK: :[[@LINE-4]]:5: note: thread started here
      // CHECK: :[[@LINE-8]]:8: note: channel 'ch' created here
      // CHECK: :[[@LINE+5]]:5: note: 'bound_changes' returns here without closing 'ch'
        handle(v);
    });
  n = static_cast<int>(items.size());
  if (n == 0)
    return;
  for (int v : items)
    ch.push(v);
  ch.close();
  for (auto &t : pool)
    t.join();
}

// The counter is changed in the body too: not a counter from 0.
void counter_changed(const std::vector<int> &items, int n) {
  Chan ch{8};
  std::vector<std::thread> pool;
  for (int i = 0; i < n; ++i) {
    pool.emplace_back([&ch] {
      int v;
      while (ch.pop(v) == boost::fibers::channel_op_status::success)
      // CHECK: :[[@LINE-1]]:17: warning: thread may block here forever: 'ch' is not closed on every path of 'counter_changed' [threadleak-channel-recv-no-close]
      // CHECK: :[[@LINE-4]]:5: note: thread started here
      // CHECK: :[[@LINE-8]]:8: note: channel 'ch' created here
      // CHECK: :[[@LINE+6]]:5: note: 'counter_changed' returns here without closing 'ch'
        handle(v);
    });
    i -= 2;
  }
  if (n == 0)
    return;
  ch.close();
  for (auto &t : pool)
    t.join();
}
