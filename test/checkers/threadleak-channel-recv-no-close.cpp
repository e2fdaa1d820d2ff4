// RUN: not %threadleak --checks='-*,threadleak-channel-recv-no-close' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-channel-recv-no-close' %s -- %stubflags | %check-all %s

// threadleak-channel-recv-no-close: a spawned context blocks receiving from a
// channel that some path of its owner neither closes nor (for a single
// receive) sends to. Boost.Fiber, Boost.Asio experimental channels and TBB's
// concurrent_bounded_queue, on the hermetic stubs.

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/fiber/all.hpp>
#include <boost/thread.hpp>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <memory>
#include <pthread.h>
#include <stdexcept>
#include <string>
#include <tbb/concurrent_queue.h>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using boost::fibers::buffered_channel;
using boost::fibers::channel_op_status;
using Chan = buffered_channel<int>;
using AsioChan = asio::experimental::channel<void(boost::system::error_code, int)>;

void download(const std::string &);
void handle(int);
bool failed(int);
bool ready();
void may_throw();
void register_queue(Chan &);

//===-- Positive: the SPEC's example ---------------------------------------===//

// channel-recv-no-close: the early return leaves the worker blocked forever.
void fetch_all(const std::vector<std::string> &urls) {
  boost::fibers::buffered_channel<std::string> jobs{64};
  std::thread worker([&jobs] {
    std::string url;
    while (jobs.pop(url) == boost::fibers::channel_op_status::success)
      download(url);
  });
  for (const auto &u : urls) {
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

//===-- Positive: how the context is spawned --------------------------------===//

// A fiber, receiving with a range-for; nothing ever closes the channel.
void fiber_range_for() {
  Chan ch{16};
  boost::fibers::fiber f([&ch] {
    for (int v : ch)
      handle(v);
  });
  ch.push(1);
  f.join();
}
// CHECK: :[[@LINE-6]]:5: warning: fiber may block here forever: 'ch' is not closed on every path of 'fiber_range_for' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-8]]:24: note: fiber started here
// CHECK: :[[@LINE-10]]:8: note: channel 'ch' created here
// CHECK: :[[@LINE-4]]:1: note: 'ch' goes out of scope here without closing it

// std::jthread; a throw skips the close.
void throw_path(int n) {
  Chan ch{16};
  std::jthread t([&ch] {
    int v;
    while (ch.pop(v) != channel_op_status::closed)
      handle(v);
  });
  for (int i = 0; i < n; ++i) {
    if (failed(i))
      throw std::runtime_error("bad input");
    ch.push(i);
  }
  ch.close();
}
// CHECK: :[[@LINE-10]]:15: warning: thread may block here forever: 'ch' is not closed on every path of 'throw_path' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-13]]:16: note: thread started here
// CHECK: :[[@LINE-15]]:8: note: channel 'ch' created here
// CHECK: :[[@LINE-8]]:7: note: 'throw_path' throws here without closing 'ch'

// boost::thread; the receive loop is in a helper the thread calls.
void drain(Chan &c) {
  for (;;)
    handle(c.value_pop());
}
void receive_in_helper() {
  Chan ch{16};
  boost::thread t([&ch] { drain(ch); });
  if (!ready())
    return;
  ch.close();
  t.join();
}
// CHECK: :[[@LINE-10]]:14: warning: thread may block here forever: 'ch' is not closed on every path of 'receive_in_helper' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-7]]:17: note: thread started here
// CHECK: :[[@LINE-8]]:27: note: which calls 'drain'
// CHECK: :[[@LINE-10]]:8: note: channel 'ch' created here
// CHECK: :[[@LINE-8]]:5: note: 'receive_in_helper' returns here without closing 'ch'

// Three calls deep, the loop one level up: still a receive loop.
int take_one(Chan &c) { return c.value_pop(); }
void take_all(Chan &c) {
  for (;;)
    handle(take_one(c));
}
void receive_two_calls_deep() {
  Chan ch{16};
  std::thread t([&ch] { take_all(ch); });
  t.detach();
  ch.push(1);
}
// CHECK: :[[@LINE-11]]:34: warning: thread may block here forever: 'ch' is not closed on every path of 'receive_two_calls_deep' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-5]]:15: note: thread started here
// CHECK: :[[@LINE-6]]:25: note: which calls 'take_all'
// CHECK: :[[@LINE-11]]:12: note: which calls 'take_one'
// CHECK: :[[@LINE-9]]:8: note: channel 'ch' created here
// CHECK: :[[@LINE-6]]:1: note: 'ch' goes out of scope here without closing it

// The channel as a std::ref thread argument.
void consume(Chan &c) {
  int v;
  while (c.pop(v) == channel_op_status::success)
    handle(v);
}
void ref_argument() {
  Chan ch{16};
  std::thread t(consume, std::ref(ch));
  if (!ready())
    return;
  ch.close();
  t.join();
}
// CHECK: :[[@LINE-11]]:12: warning: thread may block here forever: 'ch' is not closed on every path of 'ref_argument' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-7]]:15: note: thread started here
// CHECK: :[[@LINE-9]]:8: note: channel 'ch' created here
// CHECK: :[[@LINE-7]]:5: note: 'ref_argument' returns here without closing 'ch'
// CHECK: :[[@LINE-15]]:12: warning: thread may block here forever: 'ch' is not closed on every path of 'two_consumers' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE+8]]:15: note: thread started here
// CHECK: :[[@LINE+5]]:8: note: channel 'ch' created here
// CHECK: :[[@LINE+9]]:1: note: 'ch' goes out of scope here without closing it

// Two threads run the same loop on the same channel: one finding.
void two_consumers() {
  Chan ch{16};
  std::thread a(consume, std::ref(ch));
  std::thread b(consume, std::ref(ch));
  a.detach();
  b.detach();
}
// (Its CHECK lines are above, with ref_argument's: the same receive.)

// A shared_ptr copied into the thread; the owner falls off its end.
void shared_ptr_copy() {
  auto ch = std::make_shared<Chan>(16);
  std::thread t([ch] {
    int v;
    while (ch->pop(v) == channel_op_status::success)
      handle(v);
  });
  t.detach();
  ch->push(1);
}
// CHECK: :[[@LINE-6]]:16: warning: thread may block here forever: 'ch' is not closed on every path of 'shared_ptr_copy' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-9]]:15: note: thread started here
// CHECK: :[[@LINE-11]]:8: note: channel 'ch' created here
// CHECK: :[[@LINE-4]]:1: note: 'shared_ptr_copy' ends here without closing 'ch'

// An init-capture of a unique_ptr's raw pointer.
void unique_ptr_raw() {
  auto ch = std::make_unique<Chan>(16);
  std::thread t([p = ch.get()] { for (int v : *p) handle(v); });
  t.detach();
}
// CHECK: :[[@LINE-3]]:34: warning: thread may block here forever: 'ch' is not closed on every path of 'unique_ptr_raw' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-4]]:15: note: thread started here
// CHECK: :[[@LINE-6]]:8: note: channel 'ch' created here
// CHECK: :[[@LINE-4]]:1: note: 'ch' goes out of scope here without closing it

// A default by-reference capture.
void default_capture() {
  Chan ch{16};
  std::thread t([&] { for (int v : ch) handle(v); });
  if (!ready())
    return;
  ch.close();
  t.join();
}
// CHECK: :[[@LINE-6]]:23: warning: thread may block here forever: 'ch' is not closed on every path of 'default_capture' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-7]]:15: note: thread started here
// CHECK: :[[@LINE-9]]:8: note: channel 'ch' created here
// CHECK: :[[@LINE-7]]:5: note: 'default_capture' returns here without closing 'ch'

// std::async.
void with_async() {
  Chan ch{16};
  auto f = std::async(std::launch::async, [&ch] {
    int v;
    while (ch.pop(v) == channel_op_status::success)
      handle(v);
  });
  if (!ready())
    return;
  ch.close();
}
// CHECK: :[[@LINE-7]]:15: warning: thread may block here forever: 'ch' is not closed on every path of 'with_async' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-10]]:12: note: thread started here
// CHECK: :[[@LINE-12]]:8: note: channel 'ch' created here
// CHECK: :[[@LINE-6]]:5: note: 'with_async' returns here without closing 'ch'

// pthread_create, the channel passed as the void* argument.
void *pthread_worker(void *arg) {
  int v;
  while (static_cast<Chan *>(arg)->pop(v) == channel_op_status::success)
    handle(v);
  return nullptr;
}
void with_pthread() {
  Chan ch{16};
  pthread_t t;
  pthread_create(&t, nullptr, pthread_worker, &ch);
  if (!ready())
    return;
  ch.close();
  pthread_join(t, nullptr);
}
// CHECK: :[[@LINE-13]]:36: warning: thread may block here forever: 'ch' is not closed on every path of 'with_pthread' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-7]]:3: note: thread started here
// CHECK: :[[@LINE-10]]:8: note: channel 'ch' created here
// CHECK: :[[@LINE-7]]:5: note: 'with_pthread' returns here without closing 'ch'

// The usual way to write it: the void* is first converted to a local pointer.
void *pthread_worker_local(void *arg) {
  auto *q = static_cast<Chan *>(arg);
  int v;
  while (q->pop(v) == channel_op_status::success)
    handle(v);
  return nullptr;
}
void with_pthread_local() {
  Chan ch{16};
  pthread_t t;
  pthread_create(&t, nullptr, pthread_worker_local, &ch);
  if (!ready())
    return;
  ch.close();
  pthread_join(t, nullptr);
}
// CHECK: :[[@LINE-13]]:13: warning: thread may block here forever: 'ch' is not closed on every path of 'with_pthread_local' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-7]]:3: note: thread started here
// CHECK: :[[@LINE-10]]:8: note: channel 'ch' created here
// CHECK: :[[@LINE-7]]:5: note: 'with_pthread_local' returns here without closing 'ch'

// TBB: concurrent_bounded_queue::pop() blocks until an item or abort().
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

// co_spawn with a lambda; the owner co_returns early.
asio::awaitable<void> coro_lambda(asio::io_context &io) {
  auto ch = std::make_shared<AsioChan>(io, 8);
  asio::co_spawn(io, [ch]() -> asio::awaitable<void> {
    for (;;) {
      int v = co_await ch->async_receive(asio::use_awaitable);
      handle(v);
    }
  }, asio::detached);
  if (!ready())
    co_return;
  co_await ch->async_send(boost::system::error_code{}, 1, asio::use_awaitable);
  ch->close();
}
// CHECK: :[[@LINE-9]]:28: warning: coroutine may block here forever: 'ch' is not closed on every path of 'coro_lambda' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-12]]:3: note: coroutine started here
// CHECK: :[[@LINE-14]]:8: note: channel 'ch' created here
// CHECK: :[[@LINE-7]]:5: note: 'coro_lambda' co_returns here without closing 'ch'

// co_spawn with a call to a coroutine of this file.
asio::awaitable<void> receiver(AsioChan &ch) {
  for (;;)
    handle(co_await ch.async_receive(asio::use_awaitable));
}
asio::awaitable<void> coro_call(asio::io_context &io) {
  AsioChan ch(io, 8);
  asio::co_spawn(io, receiver(ch), asio::detached);
  if (!ready())
    co_return;
  ch.close();
}
// CHECK: :[[@LINE-9]]:24: warning: coroutine may block here forever: 'ch' is not closed on every path of 'coro_call' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-6]]:3: note: coroutine started here
// CHECK: :[[@LINE-8]]:12: note: channel 'ch' created here
// CHECK: :[[@LINE-6]]:5: note: 'coro_call' co_returns here without closing 'ch'

// A loop that leaves on channel_closed (a status, not a sentinel value)
// still needs someone to close: the owner's send does not end it.
asio::awaitable<void> until_closed_never_closed(asio::io_context &io) {
  auto ch = std::make_shared<AsioChan>(io, 8);
  asio::co_spawn(io, [ch]() -> asio::awaitable<void> {
    for (;;) {
      auto [ec, v] = co_await ch->async_receive(asio::as_tuple(asio::use_awaitable));
      if (ec)
        break;
      handle(v);
    }
  }, asio::detached);
  co_await ch->async_send(boost::system::error_code{}, 1, asio::use_awaitable);
}
// CHECK: :[[@LINE-8]]:35: warning: coroutine may block here forever: 'ch' is not closed on every path of 'until_closed_never_closed' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-11]]:3: note: coroutine started here
// CHECK: :[[@LINE-13]]:8: note: channel 'ch' created here
// CHECK: :[[@LINE-4]]:1: note: 'until_closed_never_closed' ends here without closing 'ch'

// The same with Boost.Fiber: the loop leaves when pop() says closed; the
// owner's sends before the early return do not end it.
void break_on_closed(const std::vector<std::string> &urls) {
  buffered_channel<std::string> jobs{64};
  std::thread worker([&jobs] {
    for (;;) {
      std::string url;
      if (jobs.pop(url) == channel_op_status::closed)
        break;
      download(url);
    }
  });
  for (const auto &u : urls) {
    jobs.push(u);
    if (u.empty())
      return;
  }
  jobs.close();
  worker.join();
}
// CHECK: :[[@LINE-13]]:16: warning: thread may block here forever: 'jobs' is not closed on every path of 'break_on_closed' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-17]]:15: note: thread started here
// CHECK: :[[@LINE-19]]:33: note: channel 'jobs' created here
// CHECK: :[[@LINE-8]]:7: note: 'break_on_closed' returns here without closing 'jobs'

// Resetting the shared_ptr drops the owner's reference; the coroutine still
// holds one, and the channel stays open.
asio::awaitable<void> pointer_reset(asio::io_context &io) {
  auto ch = std::make_shared<AsioChan>(io, 8);
  asio::co_spawn(io, [ch]() -> asio::awaitable<void> {
    for (;;)
      handle(co_await ch->async_receive(asio::use_awaitable));
  }, asio::detached);
  if (!ready()) {
    ch.reset();
    co_return;
  }
  ch->close();
}
// CHECK: :[[@LINE-8]]:27: warning: coroutine may block here forever: 'ch' is not closed on every path of 'pointer_reset' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-11]]:3: note: coroutine started here
// CHECK: :[[@LINE-13]]:8: note: channel 'ch' created here
// CHECK: :[[@LINE-7]]:5: note: 'pointer_reset' co_returns here without closing 'ch'

//===-- Positive: which path misses the close -------------------------------===//

// A single receive: a send would release it too, but neither happens.
void single_receive() {
  Chan reply{2};
  std::thread t([&reply] { handle(reply.value_pop()); });
  if (!ready())
    return;
  reply.push(42);
  t.join();
}
// CHECK: :[[@LINE-6]]:41: warning: thread may block here forever: 'reply' is not closed or sent to on every path of 'single_receive' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-7]]:15: note: thread started here
// CHECK: :[[@LINE-9]]:8: note: channel 'reply' created here
// CHECK: :[[@LINE-7]]:5: note: 'single_receive' returns here without closing or sending to 'reply'

// The close is conditional.
void conditional_close() {
  Chan ch{16};
  std::thread t([&ch] { for (int v : ch) handle(v); });
  if (ready())
    ch.close();
  t.join();
}
// CHECK: :[[@LINE-5]]:25: warning: thread may block here forever: 'ch' is not closed on every path of 'conditional_close' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-6]]:15: note: thread started here
// CHECK: :[[@LINE-8]]:8: note: channel 'ch' created here
// CHECK: :[[@LINE-4]]:1: note: 'ch' goes out of scope here without closing it

// The helper closes on some of its paths only.
void maybe_finish(Chan &c, bool flush) {
  if (flush)
    c.close();
}
void close_in_partial_helper() {
  Chan ch{16};
  std::thread t([&ch] { for (int v : ch) handle(v); });
  maybe_finish(ch, ready());
  t.join();
}
// CHECK: :[[@LINE-4]]:25: warning: thread may block here forever: 'ch' is not closed on every path of 'close_in_partial_helper' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-5]]:15: note: thread started here
// CHECK: :[[@LINE-7]]:8: note: channel 'ch' created here
// CHECK: :[[@LINE-4]]:1: note: 'ch' goes out of scope here without closing it

// A channel scoped to one loop iteration.
void loop_scoped(int n) {
  for (int i = 0; i < n; ++i) {
    Chan ch{4};
    std::thread t([&ch] { for (int v : ch) handle(v); });
    t.detach();
    ch.push(i);
  }
}
// CHECK: :[[@LINE-5]]:27: warning: thread may block here forever: 'ch' is not closed on every path of 'loop_scoped' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-6]]:17: note: thread started here
// CHECK: :[[@LINE-8]]:10: note: channel 'ch' created here
// CHECK: :[[@LINE-5]]:3: note: 'ch' goes out of scope here without closing it

// The owner is a member function.
struct Server {
  void run() {
    Chan ch{16};
    std::thread t([&ch] { for (int v : ch) handle(v); });
    if (!ready())
      return;
    ch.close();
    t.join();
  }
};
// CHECK: :[[@LINE-7]]:27: warning: thread may block here forever: 'ch' is not closed on every path of 'Server::run' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-8]]:17: note: thread started here
// CHECK: :[[@LINE-10]]:10: note: channel 'ch' created here
// CHECK: :[[@LINE-8]]:7: note: 'Server::run' returns here without closing 'ch'

// The owner is a lambda.
auto owner_lambda = [] {
  Chan ch{16};
  std::thread t([&ch] { for (int v : ch) handle(v); });
  t.join();
};
// CHECK: :[[@LINE-3]]:25: warning: thread may block here forever: 'ch' is not closed on every path of the enclosing lambda [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-4]]:15: note: thread started here
// CHECK: :[[@LINE-6]]:8: note: channel 'ch' created here
// CHECK: :[[@LINE-4]]:1: note: 'ch' goes out of scope here without closing it

// A local lambda that closes and joins, forgotten on the early return. It is
// called, not started: it releases nothing where it is not called.
void local_lambda_forgotten() {
  Chan ch{16};
  std::thread t([&ch] { for (int v : ch) handle(v); });
  auto finish = [&] {
    ch.close();
    t.join();
  };
  if (!ready())
    return;
  ch.push(1);
  finish();
}
// CHECK: :[[@LINE-10]]:25: warning: thread may block here forever: 'ch' is not closed on every path of 'local_lambda_forgotten' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-11]]:15: note: thread started here
// CHECK: :[[@LINE-13]]:8: note: channel 'ch' created here
// CHECK: :[[@LINE-7]]:5: note: 'local_lambda_forgotten' returns here without closing 'ch'

// A worker loop on a running flag: the early path clears the flag and joins,
// but nothing wakes the pop() the worker is blocked in, so join() hangs.
void flag_loop() {
  tbb::concurrent_bounded_queue<int> q;
  std::atomic<bool> running{true};
  std::thread t([&] {
    int v;
    while (running) {
      q.pop(v);
      handle(v);
    }
  });
  if (!ready()) {
    running = false;
    t.join();
    return;
  }
  q.push(1);
  running = false;
  q.abort();
  t.join();
}
// CHECK: :[[@LINE-14]]:9: warning: thread may block here forever: 'q' is not closed or sent to on every path of 'flag_loop' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-18]]:15: note: thread started here
// CHECK: :[[@LINE-21]]:38: note: channel 'q' created here
// CHECK: :[[@LINE-10]]:5: note: 'flag_loop' returns here without closing or sending to 'q'

// A pool of workers started with emplace_back: the std::thread is
// constructed inside the library.
void emplace_workers(int n) {
  Chan jobs{64};
  std::vector<std::thread> workers;
  for (int i = 0; i < n; ++i)
    workers.emplace_back([&jobs] { for (int v : jobs) handle(v); });
  if (!ready())
    return;
  jobs.close();
  for (auto &w : workers)
    w.join();
}
// CHECK: :[[@LINE-7]]:36: warning: thread may block here forever: 'jobs' is not closed on every path of 'emplace_workers' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-8]]:5: note: thread started here
// CHECK: :[[@LINE-12]]:8: note: channel 'jobs' created here
// CHECK: :[[@LINE-8]]:5: note: 'emplace_workers' returns here without closing 'jobs'

// ... and with push_back of a temporary thread.
void push_back_workers(int n) {
  Chan jobs{64};
  std::vector<std::thread> workers;
  for (int i = 0; i < n; ++i)
    workers.push_back(std::thread([&jobs] { for (int v : jobs) handle(v); }));
  if (!ready())
    return;
  jobs.close();
  for (auto &w : workers)
    w.join();
}
// CHECK: :[[@LINE-7]]:45: warning: thread may block here forever: 'jobs' is not closed on every path of 'push_back_workers' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-8]]:23: note: thread started here
// CHECK: :[[@LINE-12]]:8: note: channel 'jobs' created here
// CHECK: :[[@LINE-8]]:5: note: 'push_back_workers' returns here without closing 'jobs'

//===-- Positive: data members ----------------------------------------------===//

// No member function closes the member channel.
class LeakyPool {
public:
  LeakyPool() : worker_([this] { for (int v : jobs_) handle(v); }) {}
  void submit(int v) { jobs_.push(v); }
  ~LeakyPool() { worker_.join(); }

private:
  Chan jobs_{64};
  std::thread worker_;
};
// CHECK: :[[@LINE-8]]:34: warning: thread may block here forever: no member function of 'LeakyPool' closes 'jobs_' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-9]]:17: note: thread started here
// CHECK: :[[@LINE-5]]:8: note: channel 'jobs_' declared here

// A single receive: no member closes or sends to it.
class Reply {
public:
  Reply() : t_([this] { handle(r_.value_pop()); }) {}
  ~Reply() { t_.join(); }

private:
  Chan r_{2};
  std::thread t_;
};
// CHECK: :[[@LINE-7]]:35: warning: thread may block here forever: no member function of 'Reply' closes or sends to 'r_' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-8]]:13: note: thread started here
// CHECK: :[[@LINE-5]]:8: note: channel 'r_' declared here

//===-- Negative: the idiomatic fixes ---------------------------------------===//

// Close on every path.
void close_every_path(const std::vector<std::string> &urls) {
  buffered_channel<std::string> jobs{64};
  std::thread worker([&jobs] {
    std::string url;
    while (jobs.pop(url) == channel_op_status::success)
      download(url);
  });
  for (const auto &u : urls) {
    if (u.empty()) {
      jobs.close();
      worker.join();
      return;
    }
    jobs.push(u);
  }
  jobs.close();
  worker.join();
}

// RAII: a local guard struct whose destructor closes.
struct CloseOnExit {
  Chan &ch;
  ~CloseOnExit() { ch.close(); }
};
void raii_aggregate_guard() {
  Chan ch{16};
  std::thread t([&ch] { for (int v : ch) handle(v); });
  t.detach();
  CloseOnExit guard{ch};
  if (!ready())
    return;
  ch.push(1);
}

// RAII: a guard class with a constructor.
class Closer {
public:
  explicit Closer(Chan &c) : c_(c) {}
  ~Closer() { c_.close(); }

private:
  Chan &c_;
};
void raii_class_guard() {
  Chan ch{16};
  std::thread t([&ch] { for (int v : ch) handle(v); });
  t.detach();
  Closer guard(ch);
  if (!ready())
    return;
  ch.push(1);
}

// RAII: the guard constructed before the thread is started (its destructor
// still runs on every path out of the function).
void raii_guard_before_spawn() {
  Chan ch{16};
  Closer guard(ch);
  std::thread t([&ch] { for (int v : ch) handle(v); });
  t.detach();
  if (!ready())
    return;
  ch.push(1);
}

// RAII: a lambda-based scope_exit.
template <class F> class scope_exit {
public:
  explicit scope_exit(F f) : f_(f) {}
  ~scope_exit() { f_(); }

private:
  F f_;
};
void lambda_scope_exit() {
  Chan ch{16};
  std::thread t([&ch] { for (int v : ch) handle(v); });
  t.detach();
  scope_exit on_exit([&ch] { ch.close(); });
  if (!ready())
    return;
  ch.push(1);
}

// catch (...) { close; throw; }
void catch_close_rethrow() {
  Chan ch{16};
  std::thread t([&ch] { for (int v : ch) handle(v); });
  try {
    may_throw();
    ch.push(1);
  } catch (...) {
    ch.close();
    t.join();
    throw;
  }
  ch.close();
  t.join();
}

// A throw the owner catches itself, closing afterwards.
void throw_caught_then_close() {
  Chan ch{16};
  std::thread t([&ch] { for (int v : ch) handle(v); });
  try {
    if (!ready())
      throw std::runtime_error("not ready");
    ch.push(1);
  } catch (const std::exception &) {
  }
  ch.close();
  t.join();
}
void throw_caught_all_then_close() {
  Chan ch{16};
  std::thread t([&ch] { for (int v : ch) handle(v); });
  try {
    if (!ready())
      throw std::runtime_error("not ready");
    ch.push(1);
  } catch (...) {
  }
  ch.close();
  t.join();
}

// Close in a helper that closes on every path.
void finish(Chan &c, bool flush) {
  if (flush)
    c.push(0);
  c.close();
}
void close_in_helper() {
  Chan ch{16};
  std::thread t([&ch] { for (int v : ch) handle(v); });
  if (!ready()) {
    finish(ch, false);
    t.join();
    return;
  }
  finish(ch, true);
  t.join();
}

// A local lambda that closes, called on every path.
void local_lambda_called() {
  Chan ch{16};
  std::thread t([&ch] { for (int v : ch) handle(v); });
  auto stop = [&] {
    ch.close();
    t.join();
  };
  if (!ready()) {
    stop();
    return;
  }
  ch.push(1);
  stop();
}

// Timed and non-blocking receives never block forever.
void timed_receive() {
  Chan ch{16};
  std::thread t([&ch] {
    int v;
    while (ch.pop_wait_for(v, 100ms) != channel_op_status::closed)
      handle(v);
  });
  t.detach();
}
void try_receive() {
  tbb::concurrent_bounded_queue<int> q;
  std::thread t([&q] {
    int v;
    while (q.try_pop(v))
      handle(v);
  });
  t.detach();
}
asio::awaitable<void> try_receive_asio(asio::io_context &io) {
  auto ch = std::make_shared<AsioChan>(io, 8);
  asio::co_spawn(io, [ch]() -> asio::awaitable<void> {
    while (ch->try_receive([](boost::system::error_code, int v) { handle(v); }))
      ;
    co_return;
  }, asio::detached);
  co_return;
}

// An async_receive that is not awaited does not block the coroutine.
asio::awaitable<void> async_not_awaited(asio::io_context &io) {
  auto ch = std::make_shared<AsioChan>(io, 8);
  asio::co_spawn(io, [ch]() -> asio::awaitable<void> {
    ch->async_receive([](boost::system::error_code, int v) { handle(v); });
    co_return;
  }, asio::detached);
  co_return;
}

// A loop that ends on channel_closed, the owner closing (or cancelling) on
// every path.
asio::awaitable<void> until_closed(asio::io_context &io) {
  auto ch = std::make_shared<AsioChan>(io, 8);
  asio::co_spawn(io, [ch]() -> asio::awaitable<void> {
    for (;;) {
      auto [ec, v] = co_await ch->async_receive(asio::as_tuple(asio::use_awaitable));
      if (ec)
        break;
      handle(v);
    }
  }, asio::detached);
  if (!ready()) {
    ch->cancel();
    co_return;
  }
  co_await ch->async_send(boost::system::error_code{}, 1, asio::use_awaitable);
  ch->close();
}

// TBB: abort() on every path.
void tbb_abort_every_path() {
  tbb::concurrent_bounded_queue<int> q;
  std::thread t([&q] {
    int v;
    try {
      for (;;) {
        q.pop(v);
        handle(v);
      }
    } catch (...) {
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

// A producer thread closes when it is done.
void producer_closes() {
  Chan ch{16};
  std::thread producer([&ch] {
    for (int i = 0; i < 10; ++i)
      ch.push(i);
    ch.close();
  });
  std::thread consumer([&ch] { for (int v : ch) handle(v); });
  if (!ready())
    return; // the producer still closes
  producer.join();
  consumer.join();
}

// A single receive answered by a send on every path.
void single_receive_sent() {
  Chan reply{2};
  std::thread t([&reply] { handle(reply.value_pop()); });
  if (!ready()) {
    reply.push(-1);
    t.join();
    return;
  }
  reply.push(42);
  t.join();
}

// A receive loop that ends on a sentinel value, sent on every path.
void sentinel() {
  Chan ch{16};
  std::thread t([&ch] {
    for (;;) {
      int v = ch.value_pop();
      if (v < 0)
        break;
      handle(v);
    }
  });
  if (!ready()) {
    ch.push(-1);
    t.join();
    return;
  }
  ch.push(1);
  ch.push(-1);
  t.join();
}

// A counted receive loop: as many sends as receives.
void counted_loop() {
  Chan ch{16};
  std::thread t([&ch] {
    for (int i = 0; i < 3; ++i)
      handle(ch.value_pop());
  });
  for (int i = 0; i < 3; ++i)
    ch.push(i);
  t.join();
}

// The process ends on the early path.
void aborts_on_error() {
  Chan ch{16};
  std::thread t([&ch] { for (int v : ch) handle(v); });
  if (!ready())
    std::abort();
  ch.close();
  t.join();
}

// Returning the channel hands it to the caller.
std::shared_ptr<Chan> returns_channel() {
  auto ch = std::make_shared<Chan>(16);
  std::thread([ch] { for (int v : *ch) handle(v); }).detach();
  return ch;
}

//===-- Negative: the analysis cannot see enough ----------------------------===//

// The channel escapes to a function defined elsewhere.
void escapes_unknown() {
  Chan ch{16};
  std::thread t([&ch] { for (int v : ch) handle(v); });
  t.detach();
  register_queue(ch);
}

// The channel is stored in a container.
void stored_in_container(std::vector<Chan *> &all) {
  Chan ch{16};
  std::thread t([&ch] { for (int v : ch) handle(v); });
  t.detach();
  all.push_back(&ch);
}

// A global channel: anyone may close it.
Chan global_jobs{16};
void global_channel() {
  std::thread t([] { for (int v : global_jobs) handle(v); });
  t.detach();
}

// A copy of a channel handle the owner was given (containerd's
// `stream := req.resizeStream`): the channel is the caller's, which anyone
// may close.
struct ExecRequest {
  std::shared_ptr<Chan> resize;
};
void handle_resizes(const ExecRequest &req) {
  std::shared_ptr<Chan> stream = req.resize;
  std::thread([stream] {
    int v;
    while (stream->pop(v) == channel_op_status::success)
      handle(v);
  }).detach();
}

void handle_resizes_of(std::shared_ptr<Chan> resize) {
  std::shared_ptr<Chan> stream = resize;
  std::thread([stream] {
    int v;
    while (stream->pop(v) == channel_op_status::success)
      handle(v);
  }).detach();
}

// Known limit: a channel that is a parameter of the owner is never reported
// (its caller may close it), even when nothing can.
void channel_parameter(Chan &ch) {
  std::thread t([&ch] { for (int v : ch) handle(v); });
  t.detach();
}

// An out-parameter: before the start, the owner's variable is given the
// channel of another object, which that object closes (watermill's
// Subscribe(ctx, topic, &out)); it is not a channel the owner made. Given
// after the start, the thread still holds the owner's own, which nothing
// closes.
struct Topic {
  std::shared_ptr<Chan> out = std::make_shared<Chan>(8);
  void subscribe(std::shared_ptr<Chan> *Into) { *Into = out; }
  void shutdown() { out->close(); }
};
void out_parameter(Topic &T) {
  std::shared_ptr<Chan> Orders = std::make_shared<Chan>(8);
  T.subscribe(&Orders);
  std::thread Consumer([Orders] {
    int V;
    while (Orders->pop(V) == channel_op_status::success)
      handle(V);
  });
  Consumer.detach();
}
void out_parameter_after_start(Topic &T) {
  std::shared_ptr<Chan> Orders = std::make_shared<Chan>(8);
  std::thread Consumer([Orders] {
    int V;
    while (Orders->pop(V) == channel_op_status::success)
    // CHECK: :[[@LINE-1]]:20: warning: thread may block here forever: 'Orders' is not closed on every path of 'out_parameter_after_start' [threadleak-channel-recv-no-close]
    // CHECK: :[[@LINE-4]]:15: note: thread started here
    // CHECK: :[[@LINE-6]]:25: note: channel 'Orders' created here
    // CHECK: :[[@LINE+5]]:1: note: 'out_parameter_after_start' ends here without closing 'Orders'
      handle(V);
  });
  T.subscribe(&Orders);
  Consumer.detach();
}

// A detached thread doing finite work: it sends and closes; the owner's own
// receive loop is not a spawned context.
void detached_finite_work() {
  auto results = std::make_shared<Chan>(16);
  std::thread([results] {
    for (int i = 0; i < 4; ++i)
      results->push(i);
    results->close();
  }).detach();
  int v;
  while (results->pop(v) == channel_op_status::success)
    handle(v);
}

//===-- Negative: data members ----------------------------------------------===//

// Closed by another member function.
class ClosingPool {
public:
  ClosingPool() : worker_([this] { for (int v : jobs_) handle(v); }) {}
  void submit(int v) { jobs_.push(v); }
  void shutdown() { jobs_.close(); }
  ~ClosingPool() { worker_.join(); }

private:
  Chan jobs_{64};
  std::thread worker_;
};

// Closed by the destructor; the receive is in a member function.
class DtorClosingPool {
public:
  DtorClosingPool() : worker_([this] { run(); }) {}
  void submit(int v) { jobs_.push(v); }
  ~DtorClosingPool() {
    jobs_.close();
    worker_.join();
  }

private:
  void run() {
    int v;
    while (jobs_.pop(v) == channel_op_status::success)
      handle(v);
  }
  Chan jobs_{64};
  std::thread worker_;
};

// Closed by a member defined out of line.
class OutOfLine {
public:
  OutOfLine();
  void stop();

private:
  Chan q_{2};
  std::thread t_;
};
OutOfLine::OutOfLine() : t_([this] { for (int v : q_) handle(v); }) {}
void OutOfLine::stop() { q_.close(); }

// A single receive answered by another member.
class ReplySent {
public:
  ReplySent() : t_([this] { handle(r_.value_pop()); }) {}
  void answer(int v) { r_.push(v); }
  ~ReplySent() { t_.join(); }

private:
  Chan r_{2};
  std::thread t_;
};

// A member function defined in another file may close it.
class OpaquePool {
public:
  OpaquePool() : worker_([this] { for (int v : jobs_) handle(v); }) {}
  void stop();

private:
  Chan jobs_{64};
  std::thread worker_;
};

// A public member: anyone may close it.
struct PublicPool {
  PublicPool() : worker_([this] { for (int v : jobs) handle(v); }) {}
  Chan jobs{64};
  std::thread worker_;
};

// A friend may close it.
class FriendPool {
  friend void poke(FriendPool &);

public:
  FriendPool() : t_([this] { for (int v : q_) handle(v); }) {}

private:
  Chan q_{2};
  std::thread t_;
};

//===-- Released before the context starts ----------------------------------===//

// A channel closed before the receiver starts stays closed: it is woken at
// once.
void closed_before_start() {
  Chan ch{4};
  ch.close();
  std::thread t([&ch] { for (int v : ch) handle(v); });
  t.join();
}

// Handed, before the receiver starts, to a function that always hands it on
// in turn: that code may close it at any later time (gatekeeper#2708: the
// cert rotator, registered with the manager before the controllers'
// goroutine starts, closes the channel they wait on).
void register_closer(std::function<void()>);
void add_rotator(std::shared_ptr<Chan> ready) {
  register_closer([ready] { ready->close(); });
}
void handed_before_start() {
  auto ready = std::make_shared<Chan>(1);
  add_rotator(ready);
  std::thread t([ready] { handle(ready->value_pop()); });
  t.detach();
}

// Look-alike: the close before the start is on a path that returns before
// the receiver is started; on the other one nothing closes it.
void closed_on_another_path(bool quit) {
  Chan ch{4};
  if (quit) {
    ch.close();
    return;
  }
  std::thread t([&ch] { for (int v : ch) handle(v); });
  ch.push(1);
  t.join();
}
// CHECK: :[[@LINE-4]]:25: warning: thread may block here forever: 'ch' is not closed on every path of 'closed_on_another_path' [threadleak-channel-recv-no-close]
// CHECK: :[[@LINE-5]]:15: note: thread started here
// CHECK: :[[@LINE-11]]:8: note: channel 'ch' created here
// CHECK: :[[@LINE-4]]:1: note: 'ch' goes out of scope here without closing it
