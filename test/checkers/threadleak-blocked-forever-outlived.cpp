// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// threadleak-blocked-forever, outlived partners: a context receives in a
// loop it cannot leave while the object has a partner (its way out is a
// receive nothing that runs completes, or there is none), and every send is
// finite: from other code that creates the object, sends to it and returns.
// Once that code has returned, nothing can complete the receive
// (Go runtime's MethodContractViolation: Stop() is never called).

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/fiber/all.hpp>
#include <memory>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using boost::system::error_code;
using Chan = asio::experimental::channel<void(error_code, int)>;
using Signal = asio::experimental::channel<void(error_code)>;
using FiberChan = boost::fibers::buffered_channel<int>;

void handle(int);

//===-- Positive ----------------------------------------------------------===//

struct Worker {
  Chan jobs;
  Signal done;
  explicit Worker(asio::any_io_executor ex) : jobs(ex), done(ex) {}
};

void start(std::shared_ptr<Worker> w, asio::any_io_executor ex) {
  asio::co_spawn(ex, [w]() -> asio::awaitable<void> {
    for (;;) {
      auto r = co_await (w->jobs.async_receive(asio::use_awaitable) ||
      // CHECK: :[[@LINE-1]]:26: warning: a receive from 'w->jobs' or 'w->done' waits forever: the loop leaves only on a receive from 'w->done', which nothing that runs sends to or closes, and every send comes from 'feed', to an object it creates, before it returns [threadleak-blocked-forever]
      // CHECK: :[[@LINE+15]]:12: note: 'w' is created here
      // CHECK: :[[@LINE+17]]:14: note: sends on 'w->jobs' here; 'feed' then runs to its end
      // CHECK: :[[@LINE+8]]:24: note: a close of 'w.done' is here, but nothing calls 'stop', and no other translation unit can
                         w->done.async_receive(asio::use_awaitable));
      if (r.index() == 1)
        co_return;
      handle(std::get<0>(r));
    }
  }, asio::detached);
}
void stop(Worker &w) { w.done.close(); }

// Nothing calls stop(): once feed() returns, the loop waits forever.
asio::awaitable<void> feed(std::vector<int> items) {
  auto ex = co_await asio::this_coro::executor;
  auto w = std::make_shared<Worker>(ex);
  start(w, ex);
  for (int item : items)
    co_await w->jobs.async_send(error_code{}, item, asio::use_awaitable);
}

// A member function that stops it, never called.
struct Pump {
  Chan in;
  Signal quit;
  explicit Pump(asio::any_io_executor ex) : in(ex), quit(ex) {}
  void shutdown() { quit.close(); }
};

asio::awaitable<void> pump_all(std::vector<int> items) {
  auto ex = co_await asio::this_coro::executor;
  auto p = std::make_shared<Pump>(ex);
  asio::co_spawn(ex, [p]() -> asio::awaitable<void> {
    for (;;) {
      auto r = co_await (p->quit.async_receive(asio::use_awaitable) ||
      // CHECK: :[[@LINE-1]]:26: warning: a receive from 'p->in' or 'p->quit' waits forever: the loop leaves only on a receive from 'p->quit', which nothing that runs sends to or closes, and every send comes from 'pump_all', to an object it creates, before it returns [threadleak-blocked-forever]
      // CHECK: :[[@LINE-5]]:12: note: 'p' is created here
      // CHECK: :[[@LINE+8]]:14: note: sends on 'p->in' here; 'pump_all' then runs to its end
      // CHECK: :[[@LINE-12]]:21: note: a close of 'quit' is here, but nothing calls 'Pump::shutdown', and no other translation unit can
                         p->in.async_receive(asio::use_awaitable));
      if (r.index() == 0)
        break;
    }
  }, asio::detached);
  for (int item : items)
    co_await p->in.async_send(error_code{}, item, asio::use_awaitable);
}

// No way out at all, and no close: the consumer outlives its producer.
void produce(const std::vector<int> &items) {
  auto ch = std::make_shared<FiberChan>(8);
  std::thread([ch] {
    for (;;)
      handle(ch->value_pop());
      // CHECK: :[[@LINE-1]]:14: warning: a receive from 'ch' waits forever: the loop never leaves, and every send comes from 'produce', to an object it creates, before it returns [threadleak-blocked-forever]
      // CHECK: :[[@LINE-5]]:13: note: 'ch' is created here
      // CHECK: :[[@LINE+3]]:5: note: sends on 'ch' here; 'produce' then runs to its end
  }).detach();
  for (int v : items)
    ch->push(v);
}

//===-- Negative ----------------------------------------------------------===//

// The fix: the producer stops the worker.
struct Worker2 {
  Chan jobs;
  Signal done;
  explicit Worker2(asio::any_io_executor ex) : jobs(ex), done(ex) {}
};
void start2(std::shared_ptr<Worker2> w, asio::any_io_executor ex) {
  asio::co_spawn(ex, [w]() -> asio::awaitable<void> {
    for (;;) {
      auto r = co_await (w->jobs.async_receive(asio::use_awaitable) ||
                         w->done.async_receive(asio::use_awaitable));
      if (r.index() == 1)
        co_return;
    }
  }, asio::detached);
}
void stop2(Worker2 &w) { w.done.close(); }
asio::awaitable<void> feed2(std::vector<int> items) {
  auto ex = co_await asio::this_coro::executor;
  auto w = std::make_shared<Worker2>(ex);
  start2(w, ex);
  for (int item : items)
    co_await w->jobs.async_send(error_code{}, item, asio::use_awaitable);
  stop2(*w);
}

// The producer never finishes: the consumer is never left without a partner.
void produce_forever() {
  auto ch = std::make_shared<FiberChan>(8);
  std::thread([ch] {
    for (;;)
      handle(ch->value_pop());
  }).detach();
  for (int v = 0;; ++v)
    ch->push(v);
}

// The consumer leaves on a value the producer sends.
void produce_sentinel(const std::vector<int> &items) {
  auto ch = std::make_shared<FiberChan>(8);
  std::thread([ch] {
    for (;;) {
      int v = ch->value_pop();
      if (v < 0)
        return;
      handle(v);
    }
  }).detach();
  for (int v : items)
    ch->push(v);
  ch->push(-1);
}

// The channel comes from the caller: a long-lived one, fed by code we do
// not see finish.
void consume(std::shared_ptr<FiberChan> ch) {
  std::thread([ch] {
    for (;;)
      handle(ch->value_pop());
  }).detach();
}
void produce_into(std::shared_ptr<FiberChan> ch, const std::vector<int> &items) {
  for (int v : items)
    ch->push(v);
}

// The stop function's address is taken: it may run from anywhere.
struct Worker3 {
  Chan jobs;
  Signal done;
  explicit Worker3(asio::any_io_executor ex) : jobs(ex), done(ex) {}
};
void stop3(Worker3 &w) { w.done.close(); }
void (*stopper)(Worker3 &) = &stop3;
asio::awaitable<void> feed3(std::vector<int> items) {
  auto ex = co_await asio::this_coro::executor;
  auto w = std::make_shared<Worker3>(ex);
  asio::co_spawn(ex, [w]() -> asio::awaitable<void> {
    for (;;) {
      auto r = co_await (w->jobs.async_receive(asio::use_awaitable) ||
                         w->done.async_receive(asio::use_awaitable));
      if (r.index() == 1)
        co_return;
    }
  }, asio::detached);
  for (int item : items)
    co_await w->jobs.async_send(error_code{}, item, asio::use_awaitable);
}

// A virtual stop is called through the base: it may run.
struct Stoppable {
  virtual void stop() = 0;
  virtual ~Stoppable() = default;
};
void stop_all(Stoppable &s) { s.stop(); }
struct Worker4 : Stoppable {
  Chan jobs;
  Signal done;
  explicit Worker4(asio::any_io_executor ex) : jobs(ex), done(ex) {}
  void stop() override { done.close(); }
};
asio::awaitable<void> feed4(std::vector<int> items) {
  auto ex = co_await asio::this_coro::executor;
  auto w = std::make_shared<Worker4>(ex);
  asio::co_spawn(ex, [w]() -> asio::awaitable<void> {
    for (;;) {
      auto r = co_await (w->jobs.async_receive(asio::use_awaitable) ||
                         w->done.async_receive(asio::use_awaitable));
      if (r.index() == 1)
        co_return;
    }
  }, asio::detached);
  for (int item : items)
    co_await w->jobs.async_send(error_code{}, item, asio::use_awaitable);
}

// A template nothing instantiates here stops it: an instantiation elsewhere
// in the program may run.
struct Worker5 {
  Chan jobs;
  Signal done;
  explicit Worker5(asio::any_io_executor ex) : jobs(ex), done(ex) {}
};
void stop5(Worker5 &w) { w.done.close(); }
template <class T> void finish(T &w) { stop5(w); }
asio::awaitable<void> feed5(std::vector<int> items) {
  auto ex = co_await asio::this_coro::executor;
  auto w = std::make_shared<Worker5>(ex);
  asio::co_spawn(ex, [w]() -> asio::awaitable<void> {
    for (;;) {
      auto r = co_await (w->jobs.async_receive(asio::use_awaitable) ||
                         w->done.async_receive(asio::use_awaitable));
      if (r.index() == 1)
        co_return;
    }
  }, asio::detached);
  for (int item : items)
    co_await w->jobs.async_send(error_code{}, item, asio::use_awaitable);
}
