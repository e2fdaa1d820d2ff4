// REQUIRES: boost, libstdcxx
// RUN: not %threadleak --checks='-*,threadleak-channel-*' %s -- %realflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-channel-*' %s -- %realflags | %check-all %s

// The channel checks on the real headers: Boost 1.81's Asio experimental
// channels (async_send declared in the base class
// experimental::detail::channel_send_functions, the completion-token
// machinery, awaitable operators), Boost.Fiber's channels (range-for through
// free begin()/end()), oneTBB 2021.8's concurrent_bounded_queue (declared in
// tbb::detail::d2 and exported to tbb:: by a using-declaration) and
// libstdc++'s std::thread, std::shared_ptr and std::ref. (The oneTBB and
// Boost.Fiber headers are installed with Boost on the machines that run this
// suite; the `boost` feature stands for all three.)

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/fiber/all.hpp>
#include <tbb/concurrent_queue.h>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace boost::asio::experimental::awaitable_operators;
using IntChan = asio::experimental::channel<void(boost::system::error_code, int)>;

void download(const std::string &);
asio::awaitable<int> slow_query();
void handle(int);
bool ready();
int compute();

//===-- The SPEC's examples -------------------------------------------------===//

// channel-recv-no-close: the early return leaves the worker blocked forever.
void fetch_all(const std::vector<std::string>& urls) {
  boost::fibers::buffered_channel<std::string> jobs{64};
  std::thread worker([&jobs] {
    std::string url;
    while (jobs.pop(url) == boost::fibers::channel_op_status::success)
      download(url);
  });
  for (const auto& u : urls) {
    if (u.empty()) return;          // leak: jobs is never closed on this path
    jobs.push(u);
  }
  jobs.close();
  worker.join();
}
// CHECK: :[[@LINE-10]]:17: warning: thread may block here forever: 'jobs' is not closed on every path of 'fetch_all' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-13]]:15: note: thread started here
// CHECK: :[[@LINE-15]]:48: note: channel 'jobs' created here
// CHECK: :[[@LINE-9]]:20: note: 'fetch_all' returns here without closing 'jobs'

// channel-send-no-receiver: after the timeout wins, nobody receives `result`.
asio::awaitable<int> query_with_timeout(asio::io_context& io) {
  auto result = std::make_shared<asio::experimental::channel<void(boost::system::error_code, int)>>(io, 0);
  asio::co_spawn(io, [result]() -> asio::awaitable<void> {
    int v = co_await slow_query();
    co_await result->async_send(boost::system::error_code{}, v, asio::use_awaitable);   // blocks forever
  }, asio::detached);
  asio::steady_timer t(io, 100ms);
  auto r = co_await (result->async_receive(asio::use_awaitable) || t.async_wait(asio::use_awaitable));
  if (r.index() == 1) co_return -1;   // fix: capacity 1, or close/cancel the channel here
  co_return std::get<0>(r);
}
// CHECK: :[[@LINE-7]]:22: warning: coroutine may block here forever: 'result' is unbuffered and on some path 'query_with_timeout' neither receives from it nor closes it [threadleak-channel-send-no-receiver]
// CHECK: :[[@LINE-10]]:3: note: coroutine started here
// CHECK: :[[@LINE-12]]:8: note: channel 'result' created here
// CHECK: :[[@LINE-6]]:23: note: 'query_with_timeout' co_returns here without receiving from or closing 'result'

//===-- Positive ------------------------------------------------------------===//

// Boost 1.81: close() completes a pending async_receive, not a pending
// async_send.
asio::awaitable<int> close_does_not_wake_sender(asio::io_context &io) {
  auto result = std::make_shared<IntChan>(io, 0);
  asio::co_spawn(io, [result]() -> asio::awaitable<void> {
    co_await result->async_send(boost::system::error_code{}, co_await slow_query(), asio::use_awaitable);
  }, asio::detached);
  asio::steady_timer t(io, 100ms);
  auto r = co_await (result->async_receive(asio::use_awaitable) || t.async_wait(asio::use_awaitable));
  if (r.index() == 1) {
    result->close();
    co_return -1;
  }
  co_return std::get<0>(r);
}
// CHECK: :[[@LINE-10]]:22: warning: coroutine may block here forever: 'result' is unbuffered and on some path 'close_does_not_wake_sender' neither receives from it nor closes it [threadleak-channel-send-no-receiver]
// CHECK: :[[@LINE-12]]:3: note: coroutine started here
// CHECK: :[[@LINE-14]]:8: note: channel 'result' created here
// CHECK: :[[@LINE-7]]:5: note: 'close_does_not_wake_sender' co_returns here without receiving from or closing 'result'

// co_spawn of a coroutine call; the capacity omitted (0).
asio::awaitable<void> receiver(IntChan &ch) {
  for (;;)
    handle(co_await ch.async_receive(asio::use_awaitable));
}
asio::awaitable<void> coro_call(asio::io_context &io) {
  IntChan ch(io);
  asio::co_spawn(io, receiver(ch), asio::detached);
  if (!ready())
    co_return;
  ch.close();
}
// CHECK: :[[@LINE-9]]:24: warning: coroutine may block here forever: 'ch' is not closed on every path of 'coro_call' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-6]]:3: note: coroutine started here
// CHECK: :[[@LINE-8]]:11: note: channel 'ch' created here
// CHECK: :[[@LINE-6]]:5: note: 'coro_call' co_returns here without closing 'ch'

// A fiber on a range-for over an unbuffered_channel, via std::ref.
void consume(boost::fibers::unbuffered_channel<int> &c) {
  for (int v : c)
    handle(v);
}
void fiber_range_for() {
  boost::fibers::unbuffered_channel<int> ch;
  boost::fibers::fiber f(consume, std::ref(ch));
  if (!ready())
    return;
  ch.close();
  f.join();
}
// CHECK: :[[@LINE-11]]:3: warning: fiber may block here forever: 'ch' is not closed on every path of 'fiber_range_for' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-7]]:24: note: fiber started here
// CHECK: :[[@LINE-9]]:42: note: channel 'ch' created here
// CHECK: :[[@LINE-7]]:5: note: 'fiber_range_for' returns here without closing 'ch'

// TBB's concurrent_bounded_queue.
void tbb_queue() {
  tbb::concurrent_bounded_queue<int> q;
  std::thread t([&q] {
    int v;
    for (;;) {
      q.pop(v);
      handle(v);
    }
  });
  if (!ready())
    return;
  q.abort();
  t.join();
}
// CHECK: :[[@LINE-9]]:9: warning: thread may block here forever: 'q' is not closed on every path of 'tbb_queue' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-13]]:15: note: thread started here
// CHECK: :[[@LINE-15]]:38: note: channel 'q' created here
// CHECK: :[[@LINE-7]]:5: note: 'tbb_queue' returns here without closing 'q'

// A single unbuffered send from a std::thread; the owner returns early.
int thread_early_return() {
  auto ch = std::make_shared<boost::fibers::unbuffered_channel<int>>();
  std::thread([ch] { ch->push(compute()); }).detach();
  if (!ready())
    return -1;
  return ch->value_pop();
}
// CHECK: :[[@LINE-5]]:26: warning: thread may block here forever: 'ch' is unbuffered and on some path 'thread_early_return' neither receives from it nor closes it [threadleak-channel-send-no-receiver]
// CHECK: :[[@LINE-6]]:3: note: thread started here
// CHECK: :[[@LINE-8]]:8: note: channel 'ch' created here
// CHECK: :[[@LINE-6]]:5: note: 'thread_early_return' returns here without receiving from or closing 'ch'

//===-- Negative ------------------------------------------------------------===//

void close_every_path(const std::vector<std::string> &urls) {
  boost::fibers::buffered_channel<std::string> jobs{64};
  std::thread worker([&jobs] {
    std::string url;
    while (jobs.pop(url) == boost::fibers::channel_op_status::success)
      download(url);
  });
  for (const auto &u : urls) {
    if (u.empty())
      break;
    jobs.push(u);
  }
  jobs.close();
  worker.join();
}

asio::awaitable<int> cancel_on_timeout(asio::io_context &io) {
  auto result = std::make_shared<IntChan>(io, 0);
  asio::co_spawn(io, [result]() -> asio::awaitable<void> {
    co_await result->async_send(boost::system::error_code{}, co_await slow_query(), asio::use_awaitable);
  }, asio::detached);
  asio::steady_timer t(io, 100ms);
  auto r = co_await (result->async_receive(asio::use_awaitable) || t.async_wait(asio::use_awaitable));
  if (r.index() == 1) {
    result->cancel();
    co_return -1;
  }
  co_return std::get<0>(r);
}

asio::awaitable<int> capacity_one(asio::io_context &io) {
  auto result = std::make_shared<IntChan>(io, 1);
  asio::co_spawn(io, [result]() -> asio::awaitable<void> {
    co_await result->async_send(boost::system::error_code{}, co_await slow_query(), asio::use_awaitable);
  }, asio::detached);
  asio::steady_timer t(io, 100ms);
  auto r = co_await (result->async_receive(asio::use_awaitable) || t.async_wait(asio::use_awaitable));
  if (r.index() == 1) co_return -1;
  co_return std::get<0>(r);
}

void tbb_abort_every_path() {
  tbb::concurrent_bounded_queue<int> q;
  std::thread t([&q] {
    int v;
    try {
      for (;;) {
        q.pop(v);
        handle(v);
      }
    } catch (const tbb::user_abort &) {
    }
  });
  if (!ready()) {
    q.abort();
    t.join();
    return;
  }
  q.push(1);
  q.abort();
  t.join();
}

void timed_and_try_receives() {
  auto ch = std::make_shared<boost::fibers::buffered_channel<int>>(16);
  std::thread([ch] {
    int v;
    while (ch->pop_wait_for(v, 100ms) != boost::fibers::channel_op_status::closed)
      handle(v);
  }).detach();
  tbb::concurrent_bounded_queue<int> q;
  std::thread t([&q] {
    int v;
    while (q.try_pop(v))
      handle(v);
  });
  t.detach();
}

template <class F> struct scope_exit {
  F f;
  ~scope_exit() { f(); }
};
template <class F> scope_exit(F) -> scope_exit<F>;
void lambda_scope_guard() {
  boost::fibers::buffered_channel<int> ch{16};
  std::thread t([&ch] { for (int v : ch) handle(v); });
  t.detach();
  scope_exit guard{[&ch] { ch.close(); }};
  if (!ready())
    return;
  ch.push(1);
}
