// REQUIRES: boost, libstdcxx
// RUN: not %threadleak --checks='-*,threadleak-select-loop-no-exit,threadleak-detached-no-stop' %s -- %realflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-select-loop-no-exit,threadleak-detached-no-stop' %s -- %realflags | %check-all %s

// The select-loop check and detached coroutines on the real headers: Boost
// 1.81's awaitable operators (declared in
// experimental::awaitable_operators, taking awaitables by value),
// make_parallel_group(...).async_wait(wait_for_one(), ...), co_spawn's
// constrained overloads with detached and bind_cancellation_slot tokens,
// as_tuple; glibc's poll, epoll_wait and select (extern "C", select's
// fd_set macros).

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <atomic>
#include <chrono>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <thread>
#include <variant>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace boost::asio::experimental::awaitable_operators;
using Chan = asio::experimental::channel<void(boost::system::error_code, int)>;

void handle(int);

asio::awaitable<void> pump(Chan &data, Chan &control) {
  for (;;) {
  // CHECK: :[[@LINE-1]]:3: warning: endless loop around a multi-way wait: no alternative leads out of the loop and it observes no stop or cancellation [threadleak-select-loop-no-exit]
  // CHECK: :[[@LINE+1]]:24: note: waits here for the first of 2 alternatives; whichever completes, the loop goes on
    auto r = co_await (data.async_receive(asio::use_awaitable) ||
                       control.async_receive(asio::use_awaitable));
    handle(static_cast<int>(r.index()));
  }
}

asio::awaitable<void> group(Chan &data, asio::steady_timer &t) {
  for (;;) {
  // CHECK: :[[@LINE-1]]:3: warning: endless loop around a multi-way wait: no alternative leads out of the loop and it observes no stop or cancellation [threadleak-select-loop-no-exit]
  // CHECK: :[[@LINE+2]]:18: note: waits here for the first of 2 operations of a parallel group; whichever completes, the loop goes on
    auto [order, ec1, v, ec2] =
        co_await asio::experimental::make_parallel_group(
            data.async_receive(asio::deferred), t.async_wait(asio::deferred))
            .async_wait(asio::experimental::wait_for_one(), asio::use_awaitable);
    handle(v);
  }
}

// Fixed: the control alternative returns.
asio::awaitable<void> pump_stops(Chan &data, Chan &control) {
  for (;;) {
    auto r = co_await (data.async_receive(asio::use_awaitable) ||
                       control.async_receive(asio::use_awaitable));
    if (r.index() == 1)
      co_return;
    handle(std::get<0>(r));
  }
}

// Cancellable by its spawner.
asio::awaitable<void> cancellable(Chan &data, Chan &control) {
  for (;;) {
    auto r = co_await (data.async_receive(asio::use_awaitable) ||
                       control.async_receive(asio::use_awaitable));
    handle(static_cast<int>(r.index()));
  }
}

asio::awaitable<void> ticker() {
  asio::steady_timer t(co_await asio::this_coro::executor);
  for (;;) {
    t.expires_after(1s);
    co_await t.async_wait(asio::use_awaitable);
    handle(0);
  }
}

asio::awaitable<void> consume(Chan &ch) {
  for (;;)
    handle(co_await ch.async_receive(asio::use_awaitable));
}

void start(asio::io_context &io, Chan &data, Chan &control,
           asio::cancellation_signal &stop) {
  asio::co_spawn(io, cancellable(data, control),
                 asio::bind_cancellation_slot(stop.slot(), asio::detached));
  asio::co_spawn(io, ticker(), asio::detached);
  // CHECK: :[[@LINE-1]]:3: warning: detached coroutine can never stop: its body loops forever and observes no cancellation [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-18]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes cancellation
  asio::co_spawn(io, consume(data), asio::detached);
}

void poll_thread(int fd) {
  std::thread([fd] {
    pollfd p{fd, POLLIN, 0};
    for (;;)
    // CHECK: :[[@LINE-1]]:5: warning: endless loop around a multi-way wait: no alternative leads out of the loop and it observes no stop or cancellation [threadleak-select-loop-no-exit]
    // CHECK: :[[@LINE+2]]:11: note: waits here in 'poll'; whatever it reports, the loop goes on
    // CHECK: :[[@LINE-5]]:3: note: thread started here
      if (::poll(&p, 1, -1) > 0)
        handle(fd);
  }).detach();
  // CHECK: :[[@LINE-1]]:6: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-10]]:3: note: thread started here
  // CHECK: :[[@LINE-9]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void epoll_thread(int ep, std::atomic<bool> &stop) {
  std::thread t([ep, &stop] {
    epoll_event events[8];
    while (!stop) {
      int n = epoll_wait(ep, events, 8, 100);
      for (int i = 0; i < n; ++i)
        handle(events[i].data.fd);
    }
  });
  t.join();
}

void select_thread(int fd) {
  std::thread t([fd] {
    for (;;) {
      fd_set set;
      FD_ZERO(&set);
      FD_SET(fd, &set);
      if (select(fd + 1, &set, nullptr, nullptr, nullptr) < 0)
        return;
      handle(fd);
    }
  });
  t.join();
}

int main() {
  int ep = epoll_create1(0);
  epoll_event events[8];
  for (;;)
    handle(epoll_wait(ep, events, 8, -1));
}
