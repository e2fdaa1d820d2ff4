// Regressions found reviewing the channel analysis: each case was a false
// positive (or an inconsistency) before its fix.
// RUN: not %threadleak --checks='-*,threadleak-channel-*' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-channel-*' %s -- %stubflags | %check-all %s
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/fiber/all.hpp>
#include <memory>
#include <thread>
#include <variant>
#include <vector>

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using namespace std::chrono_literals;
using AsioChan = asio::experimental::channel<void(boost::system::error_code, int)>;
using Chan = boost::fibers::buffered_channel<int>;
void handle(int);
bool ready();
asio::awaitable<int> compute();

// A switch on the race's index(): its two successors are cases, not the
// true and false branches of a test.
asio::awaitable<int> switch_on_index(asio::io_context &io) {
  auto ch = std::make_shared<AsioChan>(io, 0);
  asio::co_spawn(io, [ch]() -> asio::awaitable<void> {
    co_await ch->async_send(boost::system::error_code{}, co_await compute(), asio::use_awaitable);
  }, asio::detached);
  asio::steady_timer t(io, 1s);
  auto r = co_await (ch->async_receive(asio::use_awaitable) || t.async_wait(asio::use_awaitable));
  switch (r.index()) {
  case 0:
    co_return std::get<0>(r);
  default:
    ch->cancel();
    co_return -1;
  }
}

// std::shared_ptr<Chan> p(new Chan(io, 5)): capacity 5, not the default.
asio::awaitable<int> shared_ptr_from_new(asio::io_context &io) {
  std::shared_ptr<AsioChan> ch(new AsioChan(io, 5));
  asio::co_spawn(io, [ch]() -> asio::awaitable<void> {
    co_await ch->async_send(boost::system::error_code{}, 1, asio::use_awaitable);
  }, asio::detached);
  co_return 0;
}

// A virtual call may reach an override that closes: the channel escapes.
struct Finisher {
  virtual void finish(Chan &) {}
  virtual ~Finisher();
};
void virtual_release(Finisher &f) {
  Chan jobs{8};
  std::thread t([&jobs] { for (int v : jobs) handle(v); });
  f.finish(jobs);
  t.join();
}

// `co_await (recv && timer)` waits for both: the receive happens.
asio::awaitable<int> both_operands(asio::io_context &io) {
  auto ch = std::make_shared<AsioChan>(io, 0);
  asio::co_spawn(io, [ch]() -> asio::awaitable<void> {
    co_await ch->async_send(boost::system::error_code{}, 1, asio::use_awaitable);
  }, asio::detached);
  asio::steady_timer t(io, 1s);
  auto r = co_await (ch->async_receive(asio::use_awaitable) && t.async_wait(asio::use_awaitable));
  (void)r;
  co_return 0;
}

// An aggregate guard declared before the spawn closes when destroyed.
struct Closer {
  Chan &c;
  ~Closer() { c.close(); }
};
void aggregate_guard() {
  Chan jobs{8};
  Closer g{jobs};
  std::thread t([&jobs] { for (int v : jobs) handle(v); });
  t.detach();
  if (!ready())
    return;
  jobs.push(1);
}

// Handing the channel on as `const Chan&` cannot close it: still a leak
// (it used to count as an escape, for any class template).
void peek(const Chan &);
void const_ref_is_no_escape() {
  Chan jobs{8};
  std::thread t([&jobs] { for (int v : jobs) handle(v); });
  peek(jobs);
  if (!ready())
    return;
  jobs.close();
  t.join();
}
// CHECK: :[[@LINE-7]]:27: warning: thread may block here forever: 'jobs' is not closed on every path of 'const_ref_is_no_escape' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-8]]:15: note: thread started here
// CHECK: :[[@LINE-10]]:8: note: channel 'jobs' created here
// CHECK: :[[@LINE-7]]:5: note: 'const_ref_is_no_escape' returns here without closing 'jobs'

// A race whose result is dropped (`co_await (a || b);`) is, like a race
// whose result is never inspected, assumed to have received.
asio::awaitable<void> dropped_race(asio::io_context &io) {
  auto ch = std::make_shared<AsioChan>(io, 0);
  asio::co_spawn(io, [ch]() -> asio::awaitable<void> {
    co_await ch->async_send(boost::system::error_code{}, 1, asio::use_awaitable);
  }, asio::detached);
  asio::steady_timer t(io, 1s);
  co_await (ch->async_receive(asio::use_awaitable) || t.async_wait(asio::use_awaitable));
}

// `while (int v = ch.value_pop())` receives in its condition variable: a
// loop until closed, which sends do not end (it was judged a flag loop).
void condition_variable_receive(const std::vector<int> &xs) {
  Chan jobs{8};
  std::thread t([&jobs] {
    while (int v = jobs.value_pop())
      handle(v);
  });
  for (int x : xs)
    jobs.push(x);
  t.detach();
}
// CHECK: :[[@LINE-7]]:25: warning: thread may block here forever: 'jobs' is not closed on every path of 'condition_variable_receive' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-9]]:15: note: thread started here
// CHECK: :[[@LINE-11]]:8: note: channel 'jobs' created here
// CHECK: :[[@LINE-4]]:1: note: 'jobs' goes out of scope here without closing it
