// RUN: not %threadleak --checks='-*,threadleak-channel-recv-no-close,threadleak-detached-no-stop' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-channel-recv-no-close,threadleak-detached-no-stop' %s -- %stubflags | %check-all %s

// The kind of context a finding is about is named in its message and
// notes: "fiber" for a boost::fibers::fiber however it is started
// (constructed, emplaced into a container of fibers, detached), "coroutine"
// for a coroutine however it is spawned (a library spawn, a spawn function
// handed a coroutine lambda), "thread" for the rest.

#include <boost/fiber/all.hpp>
#include <coro/coro.hpp>
#include <coroutine>
#include <thread>
#include <utility>
#include <vector>

using Chan = boost::fibers::buffered_channel<int>;
void handle(int);
void flush();

// Fibers emplaced into a container: the channel's receiver is a fiber.
void fibers_in_container() {
  Chan ch{16};
  std::vector<boost::fibers::fiber> fibers;
  fibers.emplace_back([&ch] {
    for (int v : ch)
    // CHECK: :[[@LINE-1]]:5: warning: fiber may block here forever: 'ch' is not closed on every path of 'fibers_in_container' [threadleak-channel-recv-no-close]
    // CHECK: :[[@LINE-3]]:3: note: fiber started here
    // CHECK: :[[@LINE-6]]:8: note: channel 'ch' created here
    // CHECK: :[[@LINE+6]]:1: note: 'ch' goes out of scope here without closing it
      handle(v);
  });
  ch.push(1);
  for (auto &f : fibers)
    f.join();
}

// The same with threads: a thread.
void threads_in_container() {
  Chan ch{16};
  std::vector<std::thread> threads;
  threads.emplace_back([&ch] {
    for (int v : ch)
    // CHECK: :[[@LINE-1]]:5: warning: thread may block here forever: 'ch' is not closed on every path of 'threads_in_container' [threadleak-channel-recv-no-close]
    // CHECK: :[[@LINE-3]]:3: note: thread started here
    // CHECK: :[[@LINE-6]]:8: note: channel 'ch' created here
    // CHECK: :[[@LINE+6]]:1: note: 'ch' goes out of scope here without closing it
      handle(v);
  });
  ch.push(1);
  for (auto &t : threads)
    t.join();
}

// Detached fibers in a container.
void detached_fibers() {
  std::vector<boost::fibers::fiber> fibers;
  fibers.emplace_back([] {
    for (;;) {
      flush();
      boost::this_fiber::yield();
    }
  });
  for (auto &f : fibers)
    f.detach();
    // CHECK: :[[@LINE-1]]:7: warning: detached fiber can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
    // CHECK: :[[@LINE-9]]:3: note: fiber started here
    // CHECK: :[[@LINE-9]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

// A libcoro spawn of a coroutine that receives on a channel nobody closes:
// a coroutine.
coro::task<void> consume(coro::thread_pool &tp, Chan &ch) {
  co_await tp.schedule();
  for (int v : ch)
  // CHECK: :[[@LINE-1]]:3: warning: coroutine may block here forever: 'ch' is not closed on every path of 'spawned_coroutine' [threadleak-channel-recv-no-close]
  // CHECK: :[[@LINE+8]]:3: note: coroutine started here
  // CHECK: :[[@LINE+6]]:8: note: channel 'ch' created here
  // CHECK: :[[@LINE+8]]:1: note: 'ch' goes out of scope here without closing it
    handle(v);
}

void spawned_coroutine(coro::thread_pool &tp) {
  Chan ch{16};
  tp.spawn(consume(tp, ch));
  ch.push(1);
}

// A fire-and-forget coroutine (eager, its return object carries nothing)
// is a context of its own from the call on: a coroutine.
struct fire_and_forget {
  struct promise_type {
    fire_and_forget get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept {}
  };
};

fire_and_forget drain(Chan &ch) {
  for (int v : ch)
  // CHECK: :[[@LINE-1]]:3: warning: coroutine may block here forever: 'ch' is not closed on every path of 'eager_coroutine' [threadleak-channel-recv-no-close]
  // CHECK: :[[@LINE+9]]:3: note: coroutine started here
  // CHECK: :[[@LINE+7]]:8: note: channel 'ch' created here
  // CHECK: :[[@LINE+9]]:1: note: 'ch' goes out of scope here without closing it
    handle(v);
  co_return;
}

void eager_coroutine() {
  Chan ch{16};
  drain(ch);
  ch.push(1);
}

// The same coroutine with a channel that is closed: silent.
void eager_coroutine_closed() {
  Chan ch{16};
  drain(ch);
  ch.push(1);
  ch.close();
}

// A lazy coroutine that nobody resumes never runs: no context.
coro::task<void> lazy_drain(Chan &ch) {
  for (int v : ch)
    handle(v);
  co_return;
}

void lazy_coroutine() {
  Chan ch{16};
  auto t = lazy_drain(ch);
  ch.push(1);
}
