// RUN: not %threadleak --checks='-*,threadleak-channel-send-no-receiver' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-channel-send-no-receiver' %s -- %stubflags | %check-all %s

// threadleak-channel-send-no-receiver: a spawned context makes one blocking
// send on a certainly unbuffered channel, and on some path its owner gives up
// (a timeout, an early return, an exception) without receiving, closing or
// cancelling. Boost.Asio experimental channels and Boost.Fiber channels, on
// the hermetic stubs.

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/fiber/all.hpp>
#include <boost/thread.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <future>
#include <memory>
#include <thread>
#include <variant>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace boost::asio::experimental::awaitable_operators;
using boost::system::error_code;
using IntChan = asio::experimental::channel<void(error_code, int)>;
using Unbuf = boost::fibers::unbuffered_channel<int>;
using boost::fibers::channel_op_status;

asio::awaitable<int> slow_query();
int compute();
bool ready();
void handle(int);
void keep(std::shared_ptr<IntChan>);

//===-- Positive: the SPEC's example ---------------------------------------===//

// channel-send-no-receiver: after the timeout wins, nobody receives `result`.
// (The SPEC writes asio::error_code; Boost spells it boost::system::error_code.)
asio::awaitable<int> query_with_timeout(asio::io_context &io) {
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

//===-- Positive: Asio -------------------------------------------------------===//

// close() on the timeout branch is not enough: in Boost 1.81 it completes
// pending receives with channel_closed but leaves a pending async_send
// pending (only cancel() or reset() complete it).
asio::awaitable<int> close_does_not_wake_sender(asio::io_context &io) {
  auto result = std::make_shared<IntChan>(io, 0);
  asio::co_spawn(io, [result]() -> asio::awaitable<void> {
    co_await result->async_send(error_code{}, co_await slow_query(), asio::use_awaitable);
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

// The same close() in a guard's destructor.
class ChannelCloser {
public:
  explicit ChannelCloser(IntChan &c) : c_(c) {}
  ~ChannelCloser() { c_.close(); }

private:
  IntChan &c_;
};
asio::awaitable<int> close_guard_does_not_wake_sender(asio::io_context &io) {
  IntChan result(io, 0);
  asio::co_spawn(io, [&result]() -> asio::awaitable<void> {
    co_await result.async_send(error_code{}, co_await slow_query(), asio::use_awaitable);
  }, asio::detached);
  ChannelCloser guard(result);
  asio::steady_timer t(io, 100ms);
  auto r = co_await (result.async_receive(asio::use_awaitable) || t.async_wait(asio::use_awaitable));
  if (r.index() == 1)
    co_return -1;
  co_return std::get<0>(r);
}
// CHECK: :[[@LINE-9]]:21: warning: coroutine may block here forever: 'result' is unbuffered and on some path 'close_guard_does_not_wake_sender' neither receives from it nor closes it [threadleak-channel-send-no-receiver]
// CHECK: :[[@LINE-11]]:3: note: coroutine started here
// CHECK: :[[@LINE-13]]:11: note: channel 'result' created here
// CHECK: :[[@LINE-6]]:5: note: 'close_guard_does_not_wake_sender' co_returns here without receiving from or closing 'result'

// Resetting the shared_ptr drops a reference; it does not reset the channel
// (that is result->reset()).
asio::awaitable<int> pointer_reset(asio::io_context &io) {
  auto result = std::make_shared<IntChan>(io, 0);
  asio::co_spawn(io, [result]() -> asio::awaitable<void> {
    co_await result->async_send(error_code{}, co_await slow_query(), asio::use_awaitable);
  }, asio::detached);
  asio::steady_timer t(io, 100ms);
  auto r = co_await (result->async_receive(asio::use_awaitable) || t.async_wait(asio::use_awaitable));
  if (r.index() == 1) {
    result.reset();
    co_return -1;
  }
  co_return std::get<0>(r);
}
// CHECK: :[[@LINE-10]]:22: warning: coroutine may block here forever: 'result' is unbuffered and on some path 'pointer_reset' neither receives from it nor closes it [threadleak-channel-send-no-receiver]
// CHECK: :[[@LINE-12]]:3: note: coroutine started here
// CHECK: :[[@LINE-14]]:8: note: channel 'result' created here
// CHECK: :[[@LINE-7]]:5: note: 'pointer_reset' co_returns here without receiving from or closing 'result'

// The receive won only when index() == 0; the other branch gives up.
asio::awaitable<int> index_zero_first(asio::io_context &io) {
  auto result = std::make_shared<IntChan>(io, 0);
  asio::co_spawn(io, [result]() -> asio::awaitable<void> {
    co_await result->async_send(error_code{}, co_await slow_query(), asio::use_awaitable);
  }, asio::detached);
  asio::steady_timer t(io, 100ms);
  auto r = co_await (result->async_receive(asio::use_awaitable) || t.async_wait(asio::use_awaitable));
  if (r.index() == 0)
    co_return std::get<0>(r);
  co_return -1;
}
// CHECK: :[[@LINE-8]]:22: warning: coroutine may block here forever: 'result' is unbuffered and on some path 'index_zero_first' neither receives from it nor closes it [threadleak-channel-send-no-receiver]
// CHECK: :[[@LINE-10]]:3: note: coroutine started here
// CHECK: :[[@LINE-12]]:8: note: channel 'result' created here
// CHECK: :[[@LINE-5]]:3: note: 'index_zero_first' co_returns here without receiving from or closing 'result'

// Three alternatives: the receive is the second.
asio::awaitable<int> three_way(asio::io_context &io, IntChan &control) {
  auto result = std::make_shared<IntChan>(io, 0);
  asio::co_spawn(io, [result]() -> asio::awaitable<void> {
    co_await result->async_send(error_code{}, co_await slow_query(), asio::use_awaitable);
  }, asio::detached);
  asio::steady_timer t(io, 100ms);
  auto r = co_await (t.async_wait(asio::use_awaitable) || result->async_receive(asio::use_awaitable) ||
                     control.async_receive(asio::use_awaitable));
  if (r.index() == 1)
    co_return std::get<1>(r);
  co_return -1;
}
// CHECK: :[[@LINE-9]]:22: warning: coroutine may block here forever: 'result' is unbuffered and on some path 'three_way' neither receives from it nor closes it [threadleak-channel-send-no-receiver]
// CHECK: :[[@LINE-11]]:3: note: coroutine started here
// CHECK: :[[@LINE-13]]:8: note: channel 'result' created here
// CHECK: :[[@LINE-5]]:3: note: 'three_way' co_returns here without receiving from or closing 'result'

// The capacity argument omitted: unbuffered.
asio::awaitable<void> default_capacity(asio::io_context &io) {
  IntChan ch(io);
  asio::co_spawn(io, [&ch]() -> asio::awaitable<void> {
    co_await ch.async_send(error_code{}, 1, asio::use_awaitable);
  }, asio::detached);
  if (!ready())
    co_return;
  handle(co_await ch.async_receive(asio::use_awaitable));
}
// CHECK: :[[@LINE-6]]:17: warning: coroutine may block here forever: 'ch' is unbuffered and on some path 'default_capacity' neither receives from it nor closes it [threadleak-channel-send-no-receiver]
// CHECK: :[[@LINE-8]]:3: note: coroutine started here
// CHECK: :[[@LINE-10]]:11: note: channel 'ch' created here
// CHECK: :[[@LINE-6]]:5: note: 'default_capacity' co_returns here without receiving from or closing 'ch'

// The executor constructor, capacity omitted.
asio::awaitable<void> executor_constructor(asio::io_context &io) {
  IntChan ch(io.get_executor());
  asio::co_spawn(io, [&ch]() -> asio::awaitable<void> {
    co_await ch.async_send(error_code{}, 1, asio::use_awaitable);
  }, asio::detached);
  co_return;
}
// CHECK: :[[@LINE-4]]:17: warning: coroutine may block here forever: 'ch' is unbuffered and on some path 'executor_constructor' neither receives from it nor closes it [threadleak-channel-send-no-receiver]
// CHECK: :[[@LINE-6]]:3: note: coroutine started here
// CHECK: :[[@LINE-8]]:11: note: channel 'ch' created here
// CHECK: :[[@LINE-5]]:3: note: 'executor_constructor' co_returns here without receiving from or closing 'ch'

// A capacity that is a constant 0.
constexpr std::size_t kUnbuffered = 0;
asio::awaitable<void> constant_zero(asio::io_context &io) {
  IntChan ch(io, kUnbuffered);
  asio::co_spawn(io, [&ch]() -> asio::awaitable<void> {
    co_await ch.async_send(error_code{}, 1, asio::use_awaitable);
  }, asio::detached);
  co_return;
}
// CHECK: :[[@LINE-4]]:17: warning: coroutine may block here forever: 'ch' is unbuffered and on some path 'constant_zero' neither receives from it nor closes it [threadleak-channel-send-no-receiver]
// CHECK: :[[@LINE-6]]:3: note: coroutine started here
// CHECK: :[[@LINE-8]]:11: note: channel 'ch' created here
// CHECK: :[[@LINE-5]]:3: note: 'constant_zero' co_returns here without receiving from or closing 'ch'

// co_spawn with a call to a coroutine of this file.
asio::awaitable<void> produce(IntChan &ch) {
  co_await ch.async_send(error_code{}, compute(), asio::use_awaitable);
}
asio::awaitable<void> coro_call(asio::io_context &io) {
  IntChan ch(io, 0);
  asio::co_spawn(io, produce(ch), asio::detached);
  if (!ready())
    co_return;
  handle(co_await ch.async_receive(asio::use_awaitable));
}
// CHECK: :[[@LINE-9]]:15: warning: coroutine may block here forever: 'ch' is unbuffered and on some path 'coro_call' neither receives from it nor closes it [threadleak-channel-send-no-receiver]
// CHECK: :[[@LINE-6]]:3: note: coroutine started here
// CHECK: :[[@LINE-8]]:11: note: channel 'ch' created here
// CHECK: :[[@LINE-6]]:5: note: 'coro_call' co_returns here without receiving from or closing 'ch'

// A concurrent_channel, made with std::make_shared and no capacity.
asio::awaitable<void> concurrent(asio::io_context &io) {
  auto ch = std::make_shared<asio::experimental::concurrent_channel<void(error_code, int)>>(io);
  asio::co_spawn(io, [ch]() -> asio::awaitable<void> {
    co_await ch->async_send(error_code{}, compute(), asio::use_awaitable);
  }, asio::detached);
  if (!ready())
    co_return;
  handle(co_await ch->async_receive(asio::use_awaitable));
}
// CHECK: :[[@LINE-6]]:18: warning: coroutine may block here forever: 'ch' is unbuffered and on some path 'concurrent' neither receives from it nor closes it [threadleak-channel-send-no-receiver]
// CHECK: :[[@LINE-8]]:3: note: coroutine started here
// CHECK: :[[@LINE-10]]:8: note: channel 'ch' created here
// CHECK: :[[@LINE-6]]:5: note: 'concurrent' co_returns here without receiving from or closing 'ch'

//===-- Positive: Boost.Fiber ------------------------------------------------===//

// A fiber; the owner gives up after a timed receive.
int fiber_timed_receive() {
  auto ch = std::make_shared<Unbuf>();
  boost::fibers::fiber([ch] { ch->push(compute()); }).detach();
  int v;
  if (ch->pop_wait_for(v, 100ms) == channel_op_status::timeout)
    return -1;
  return v;
}
// The timed receive did receive when it returned success: the path that
// leaves the sender blocked is the timeout's.
// CHECK: :[[@LINE-8]]:35: warning: fiber may block here forever: 'ch' is unbuffered and on some path 'fiber_timed_receive' neither receives from it nor closes it [threadleak-channel-send-no-receiver]
// CHECK: :[[@LINE-9]]:3: note: fiber started here
// CHECK: :[[@LINE-11]]:8: note: channel 'ch' created here
// CHECK: :[[@LINE-8]]:5: note: 'fiber_timed_receive' returns here without receiving from or closing 'ch'

// A thread; an early return.
int thread_early_return() {
  Unbuf ch;
  std::thread t([&ch] { ch.push(compute()); });
  t.detach();
  if (!ready())
    return -1;
  return ch.value_pop();
}
// CHECK: :[[@LINE-6]]:28: warning: thread may block here forever: 'ch' is unbuffered and on some path 'thread_early_return' neither receives from it nor closes it [threadleak-channel-send-no-receiver]
// CHECK: :[[@LINE-7]]:15: note: thread started here
// CHECK: :[[@LINE-9]]:9: note: channel 'ch' created here
// CHECK: :[[@LINE-6]]:5: note: 'thread_early_return' returns here without receiving from or closing 'ch'

// boost::thread; the send is in a helper, the channel a std::ref argument.
void deliver(Unbuf &c) { c.push(compute()); }
int send_in_helper() {
  Unbuf ch;
  boost::thread t(deliver, std::ref(ch));
  t.detach();
  if (!ready())
    return -1;
  return ch.value_pop();
}
// CHECK: :[[@LINE-9]]:28: warning: thread may block here forever: 'ch' is unbuffered and on some path 'send_in_helper' neither receives from it nor closes it [threadleak-channel-send-no-receiver]
// CHECK: :[[@LINE-7]]:17: note: thread started here
// CHECK: :[[@LINE-9]]:9: note: channel 'ch' created here
// CHECK: :[[@LINE-6]]:5: note: 'send_in_helper' returns here without receiving from or closing 'ch'

// std::async; a throw.
int with_async() {
  auto ch = std::make_shared<Unbuf>();
  auto f = std::async(std::launch::async, [ch] { ch->push(compute()); });
  if (!ready())
    throw 1;
  return ch->value_pop();
}
// CHECK: :[[@LINE-5]]:54: warning: thread may block here forever: 'ch' is unbuffered and on some path 'with_async' neither receives from it nor closes it [threadleak-channel-send-no-receiver]
// CHECK: :[[@LINE-6]]:12: note: thread started here
// CHECK: :[[@LINE-8]]:8: note: channel 'ch' created here
// CHECK: :[[@LINE-6]]:5: note: 'with_async' throws here without receiving from or closing 'ch'

//===-- Negative: the idiomatic fixes ---------------------------------------===//

// Capacity 1 holds the single result.
asio::awaitable<int> capacity_one(asio::io_context &io) {
  auto result = std::make_shared<IntChan>(io, 1);
  asio::co_spawn(io, [result]() -> asio::awaitable<void> {
    co_await result->async_send(error_code{}, co_await slow_query(), asio::use_awaitable);
  }, asio::detached);
  asio::steady_timer t(io, 100ms);
  auto r = co_await (result->async_receive(asio::use_awaitable) || t.async_wait(asio::use_awaitable));
  if (r.index() == 1) co_return -1;
  co_return std::get<0>(r);
}

// cancel() on the timeout branch.
asio::awaitable<int> cancel_on_timeout(asio::io_context &io) {
  auto result = std::make_shared<IntChan>(io, 0);
  asio::co_spawn(io, [result]() -> asio::awaitable<void> {
    co_await result->async_send(error_code{}, co_await slow_query(), asio::use_awaitable);
  }, asio::detached);
  asio::steady_timer t(io, 100ms);
  auto r = co_await (result->async_receive(asio::use_awaitable) || t.async_wait(asio::use_awaitable));
  if (r.index() == 1) {
    result->cancel();
    co_return -1;
  }
  co_return std::get<0>(r);
}

// reset() of the channel itself, after `index() != 0`.
asio::awaitable<int> channel_reset_on_timeout(asio::io_context &io) {
  auto result = std::make_shared<IntChan>(io, 0);
  asio::co_spawn(io, [result]() -> asio::awaitable<void> {
    co_await result->async_send(error_code{}, co_await slow_query(), asio::use_awaitable);
  }, asio::detached);
  asio::steady_timer t(io, 100ms);
  auto r = co_await (result->async_receive(asio::use_awaitable) || t.async_wait(asio::use_awaitable));
  if (r.index() != 0) {
    result->reset();
    co_return -1;
  }
  co_return std::get<0>(r);
}

// The won branch first, cancel after it.
asio::awaitable<int> index_zero_first_cancel(asio::io_context &io) {
  auto result = std::make_shared<IntChan>(io, 0);
  asio::co_spawn(io, [result]() -> asio::awaitable<void> {
    co_await result->async_send(error_code{}, co_await slow_query(), asio::use_awaitable);
  }, asio::detached);
  asio::steady_timer t(io, 100ms);
  auto r = co_await (result->async_receive(asio::use_awaitable) || t.async_wait(asio::use_awaitable));
  if (r.index() == 0)
    co_return std::get<0>(r);
  result->cancel();
  co_return -1;
}

// A guard whose destructor cancels.
class ChannelCanceller {
public:
  explicit ChannelCanceller(IntChan &c) : c_(c) {}
  ~ChannelCanceller() { c_.cancel(); }

private:
  IntChan &c_;
};
asio::awaitable<int> cancel_guard(asio::io_context &io) {
  IntChan result(io, 0);
  asio::co_spawn(io, [&result]() -> asio::awaitable<void> {
    co_await result.async_send(error_code{}, co_await slow_query(), asio::use_awaitable);
  }, asio::detached);
  ChannelCanceller guard(result);
  asio::steady_timer t(io, 100ms);
  auto r = co_await (result.async_receive(asio::use_awaitable) || t.async_wait(asio::use_awaitable));
  if (r.index() == 1)
    co_return -1;
  co_return std::get<0>(r);
}

// The timeout branch drains the channel: a receive on every path.
asio::awaitable<int> drain_after_timeout(asio::io_context &io) {
  auto result = std::make_shared<IntChan>(io, 0);
  asio::co_spawn(io, [result]() -> asio::awaitable<void> {
    co_await result->async_send(error_code{}, co_await slow_query(), asio::use_awaitable);
  }, asio::detached);
  asio::steady_timer t(io, 100ms);
  auto r = co_await (result->async_receive(asio::use_awaitable) || t.async_wait(asio::use_awaitable));
  if (r.index() == 1) {
    (void)co_await result->async_receive(asio::use_awaitable);
    co_return -1;
  }
  co_return std::get<0>(r);
}

// Awaited directly: a certain receive.
asio::awaitable<int> always_receives(asio::io_context &io) {
  IntChan ch(io, 0);
  asio::co_spawn(io, [&ch]() -> asio::awaitable<void> {
    co_await ch.async_send(error_code{}, compute(), asio::use_awaitable);
  }, asio::detached);
  co_return co_await ch.async_receive(asio::use_awaitable);
}

// A receive in a helper that receives on every path.
int take(Unbuf &c) { return c.value_pop(); }
int receive_in_helper() {
  Unbuf ch;
  std::thread t([&ch] { ch.push(compute()); });
  t.detach();
  if (!ready())
    return take(ch);
  return take(ch) + 1;
}

// Fiber: close() wakes a blocked push (it returns channel_op_status::closed).
int fiber_close_on_timeout() {
  auto ch = std::make_shared<Unbuf>();
  boost::fibers::fiber([ch] { ch->push(compute()); }).detach();
  int v;
  if (ch->pop_wait_for(v, 100ms) == channel_op_status::timeout) {
    ch->close();
    return -1;
  }
  return v;
}

// A buffered fiber channel of capacity 2 holds one element.
int fiber_buffered() {
  auto ch = std::make_shared<boost::fibers::buffered_channel<int>>(2);
  boost::fibers::fiber([ch] { ch->push(compute()); }).detach();
  int v;
  if (ch->pop_wait_for(v, 100ms) == channel_op_status::timeout)
    return -1;
  return v;
}

// Buffered with a constant capacity.
constexpr std::size_t kOne = 1;
asio::awaitable<void> constant_capacity(asio::io_context &io) {
  auto ch = std::make_shared<IntChan>(io, kOne);
  asio::co_spawn(io, [ch]() -> asio::awaitable<void> {
    co_await ch->async_send(error_code{}, 1, asio::use_awaitable);
  }, asio::detached);
  co_return;
}

// Timed and non-blocking sends never block forever.
int timed_send() {
  auto ch = std::make_shared<Unbuf>();
  boost::fibers::fiber([ch] { ch->push_wait_for(compute(), 1s); }).detach();
  if (!ready())
    return -1;
  return ch->value_pop();
}
asio::awaitable<void> non_blocking_sends(asio::io_context &io) {
  auto ch = std::make_shared<IntChan>(io, 0);
  asio::co_spawn(io, [ch]() -> asio::awaitable<void> {
    ch->try_send(error_code{}, 1);
    ch->async_send(error_code{}, 2, [](error_code) {}); // not awaited
    co_return;
  }, asio::detached);
  co_return;
}

// A detached thread doing finite work on a buffered channel.
int detached_finite_work() {
  auto ch = std::make_shared<boost::fibers::buffered_channel<int>>(2);
  std::thread([ch] { ch->push(compute()); }).detach();
  if (!ready())
    return -1;
  return ch->value_pop();
}

//===-- Negative: the analysis cannot see enough ----------------------------===//

// A capacity only known at run time.
asio::awaitable<void> unknown_capacity(asio::io_context &io, std::size_t n) {
  auto ch = std::make_shared<IntChan>(io, n);
  asio::co_spawn(io, [ch]() -> asio::awaitable<void> {
    co_await ch->async_send(error_code{}, 1, asio::use_awaitable);
  }, asio::detached);
  co_return;
}

// The channel escapes to a function defined elsewhere.
asio::awaitable<void> escapes(asio::io_context &io) {
  auto ch = std::make_shared<IntChan>(io, 0);
  asio::co_spawn(io, [ch]() -> asio::awaitable<void> {
    co_await ch->async_send(error_code{}, 1, asio::use_awaitable);
  }, asio::detached);
  keep(ch);
  co_return;
}

// Stored in a container.
void stored(std::vector<std::shared_ptr<Unbuf>> &all) {
  auto ch = std::make_shared<Unbuf>();
  std::thread([ch] { ch->push(compute()); }).detach();
  all.push_back(ch);
}

// A global channel.
Unbuf global_results;
void global_channel() {
  std::thread([] { global_results.push(compute()); }).detach();
}

// Known limit: a channel that is a parameter of the owner is never reported.
void parameter_channel(Unbuf &ch) {
  std::thread([&ch] { ch.push(compute()); }).detach();
}

// Known limit: sends in a loop are not analysed by this check (a stream's
// receiver decides when to stop; see threadleak-channel-recv-no-close), even
// when nobody ever receives.
void send_loop() {
  auto ch = std::make_shared<Unbuf>();
  std::thread([ch] {
    for (int i = 0; i < 3; ++i)
      ch->push(i);
  }).detach();
}
