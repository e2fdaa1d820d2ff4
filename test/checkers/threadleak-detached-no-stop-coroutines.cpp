// RUN: not %threadleak --checks='-*,threadleak-detached-no-stop' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-detached-no-stop' %s -- %stubflags | %check-all %s

// threadleak-detached-no-stop on coroutines: asio::co_spawn(ex, coro,
// asio::detached) runs a coroutine nobody awaits and nobody can cancel. If
// its body loops with no way out, it lives as long as its io_context runs.
// A co_await whose completion token throws (use_awaitable, deferred) on an
// object that others can reach (a member, a parameter, a shared timer or
// channel) is a way out: closing or cancelling that object ends the loop.

#include <boost/asio.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <chrono>
#include <memory>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using boost::system::error_code;
using Chan = asio::experimental::channel<void(error_code, int)>;

void flush();
void handle(int);

//===-- Positive ---------------------------------------------------------------===//

// A timer of its own: nobody else can cancel it, so nothing ends the loop.
asio::awaitable<void> ticker() {
  asio::steady_timer t(co_await asio::this_coro::executor);
  for (;;) {
    t.expires_after(1s);
    co_await t.async_wait(asio::use_awaitable);
    flush();
  }
}

// Errors delivered as values and ignored.
asio::awaitable<void> ignores_errors(asio::steady_timer &t) {
  for (;;) {
    auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    flush();
  }
}

// Followed through a co_await of another coroutine of this file.
asio::awaitable<void> outer() { co_await ticker(); }

void start(asio::io_context &io, asio::steady_timer &t) {
  asio::co_spawn(io, ticker(), asio::detached);
  // CHECK: :[[@LINE-1]]:3: warning: detached coroutine can never stop: its body loops forever and observes no cancellation [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-21]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes cancellation
  asio::co_spawn(io, ignores_errors(t), asio::detached);
  // CHECK: :[[@LINE-1]]:3: warning: detached coroutine can never stop: its body loops forever and observes no cancellation [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-15]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes cancellation
  asio::co_spawn(io, outer(), asio::detached);
  // CHECK: :[[@LINE-1]]:3: warning: detached coroutine can never stop: its body loops forever and observes no cancellation [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-11]]:42: note: the coroutine's body calls 'ticker' here
  // CHECK: :[[@LINE-28]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes cancellation
  asio::co_spawn(io, []() -> asio::awaitable<void> {
  // CHECK: :[[@LINE-1]]:3: warning: detached coroutine can never stop: its body loops forever and observes no cancellation [threadleak-detached-no-stop]
  // CHECK: :[[@LINE+1]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes cancellation
    for (;;) {
      flush();
      co_await asio::post(asio::use_awaitable);
    }
  }, asio::detached);
}

//===-- Negative ---------------------------------------------------------------===//

// Receives until the channel is closed: async_receive throws then.
asio::awaitable<void> consumer(Chan &ch) {
  for (;;)
    handle(co_await ch.async_receive(asio::use_awaitable));
}

// A member timer: stop() may cancel it, and the wait throws.
struct Heartbeat {
  asio::steady_timer timer_;
  asio::awaitable<void> beat() {
    for (;;) {
      timer_.expires_after(1s);
      co_await timer_.async_wait(asio::use_awaitable);
      flush();
    }
  }
  void stop() { timer_.cancel(); }
};

// Breaks on the error.
asio::awaitable<void> breaks_on_error(asio::steady_timer &t) {
  for (;;) {
    auto [ec] = co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec)
      co_return;
    flush();
  }
}

// Observes its cancellation state.
asio::awaitable<void> checks_cancellation() {
  auto cs = co_await asio::this_coro::cancellation_state;
  asio::steady_timer t(co_await asio::this_coro::executor);
  while (cs.cancelled() == asio::cancellation_type::none) {
    t.expires_after(1s);
    co_await t.async_wait(asio::as_tuple(asio::use_awaitable));
    flush();
  }
}

void start_ok(asio::io_context &io, Chan &ch, Heartbeat &hb,
              asio::steady_timer &t, asio::cancellation_signal &stop) {
  asio::co_spawn(io, consumer(ch), asio::detached);
  asio::co_spawn(io, hb.beat(), asio::detached);
  asio::co_spawn(io, breaks_on_error(t), asio::detached);
  asio::co_spawn(io, checks_cancellation(), asio::detached);
  // A bound cancellation slot: the spawner can cancel it.
  asio::co_spawn(io, ticker(), asio::bind_cancellation_slot(stop.slot(), asio::detached));
}

// A detached coroutine that spawns a cancellable one: the child is not part
// of the parent's body.
asio::awaitable<void> spawns_child(asio::cancellation_signal &sig) {
  auto ex = co_await asio::this_coro::executor;
  asio::co_spawn(ex, ticker(), asio::bind_cancellation_slot(sig.slot(), asio::detached));
}

// A server's listener, spawned by main() on the io_context main() runs: the
// process's lifetime.
asio::awaitable<void> listener() {
  asio::steady_timer t(co_await asio::this_coro::executor);
  for (;;) {
    t.expires_after(1s);
    co_await t.async_wait(asio::use_awaitable);
  }
}

int main() {
  asio::io_context io;
  asio::cancellation_signal sig;
  asio::co_spawn(io, spawns_child(sig), asio::detached);
  asio::co_spawn(io, listener(), asio::detached);
  io.run();
}
