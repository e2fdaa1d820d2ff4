// RUN: not %threadleak --checks='-*,threadleak-select-loop-no-exit' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-select-loop-no-exit' %s -- %stubflags | %check-all %s

// threadleak-select-loop-no-exit: an endless loop around a multi-way wait
// (Asio's awaitable operator ||, a parallel group's wait_for_one,
// poll/epoll_wait/select) in a thread or coroutine, where no outcome of the
// wait leads out of the loop and nothing observes a stop or cancellation.

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <chrono>
#include <poll.h>
#include <stdexcept>
#include <stop_token>
#include <sys/epoll.h>
#include <sys/select.h>
#include <thread>
#include <variant>

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using namespace std::chrono_literals;
using boost::system::error_code;
using Chan = asio::experimental::channel<void(error_code, int)>;

void handle(int);
void reconfigure(int);
void dispatch(const epoll_event &);

//===-- Positive: the SPEC's example -----------------------------------------===//

// select-loop-no-exit: no case leaves the loop; cancellation is never observed.
asio::awaitable<void> pump(Chan& data, Chan& control) {
  for (;;) {
  // CHECK: :[[@LINE-1]]:3: warning: endless loop around a multi-way wait: no alternative leads out of the loop and it observes no stop or cancellation [threadleak-select-loop-no-exit]
  // CHECK: :[[@LINE+1]]:24: note: waits here for the first of 2 alternatives; whichever completes, the loop goes on
    auto r = co_await (data.async_receive(asio::use_awaitable) ||
                       control.async_receive(asio::use_awaitable));
    if (r.index() == 0) handle(std::get<0>(r));
    else reconfigure(std::get<1>(r));
  }
}

//===-- Positive: Asio ---------------------------------------------------------===//

// Three alternatives, nested. Closing `data` fails only its own alternative:
// `||` completes as soon as another one does, so the exception a closed
// channel throws never leaves the loop.
asio::awaitable<void> pump_with_tick(Chan &data, Chan &control,
                                     asio::steady_timer &tick) {
  while (true) {
  // CHECK: :[[@LINE-1]]:3: warning: endless loop around a multi-way wait: no alternative leads out of the loop and it observes no stop or cancellation [threadleak-select-loop-no-exit]
  // CHECK: :[[@LINE+1]]:24: note: waits here for the first of 3 alternatives; whichever completes, the loop goes on
    auto r = co_await ((data.async_receive(asio::use_awaitable) ||
                        control.async_receive(asio::use_awaitable)) ||
                       tick.async_wait(asio::use_awaitable));
    handle(static_cast<int>(r.index()));
  }
}

// A parallel group reports its operations' errors as values: nothing
// throws, and nothing here looks at them.
asio::awaitable<void> group_pump(Chan &data, asio::steady_timer &t) {
  for (;;) {
  // CHECK: :[[@LINE-1]]:3: warning: endless loop around a multi-way wait: no alternative leads out of the loop and it observes no stop or cancellation [threadleak-select-loop-no-exit]
  // CHECK: :[[@LINE+2]]:18: note: waits here for the first of 2 operations of a parallel group; whichever completes, the loop goes on
    auto [order, ec1, v, ec2] =
        co_await asio::experimental::make_parallel_group(
            data.async_receive(asio::deferred), t.async_wait(asio::deferred))
            .async_wait(asio::experimental::wait_for_one(),
                        asio::use_awaitable);
    handle(v);
  }
}

// Errors as values (as_tuple): the loop ignores them.
asio::awaitable<void> ignores_errors(Chan &data, Chan &control) {
  for (;;) {
  // CHECK: :[[@LINE-1]]:3: warning: endless loop around a multi-way wait: no alternative leads out of the loop and it observes no stop or cancellation [threadleak-select-loop-no-exit]
  // CHECK: :[[@LINE+1]]:24: note: waits here for the first of 2 alternatives; whichever completes, the loop goes on
    auto r = co_await (data.async_receive(asio::as_tuple(asio::use_awaitable)) ||
                       control.async_receive(asio::as_tuple(asio::use_awaitable)));
    handle(static_cast<int>(r.index()));
  }
}

// Spawned detached: nobody can cancel it.
void start_pump(asio::io_context &io, Chan &data, Chan &control) {
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    for (;;) {
    // CHECK: :[[@LINE-1]]:5: warning: endless loop around a multi-way wait: no alternative leads out of the loop and it observes no stop or cancellation [threadleak-select-loop-no-exit]
    // CHECK: :[[@LINE+2]]:26: note: waits here for the first of 2 alternatives; whichever completes, the loop goes on
    // CHECK: :[[@LINE-4]]:3: note: coroutine started here
      auto r = co_await (data.async_receive(asio::use_awaitable) ||
                         control.async_receive(asio::use_awaitable));
      handle(static_cast<int>(r.index()));
    }
  }, asio::detached);
}

//===-- Positive: poll, epoll, select in threads --------------------------------===//

class Poller {
public:
  Poller(int fd) : fd_(fd), thread_([this] { run(); }) {}
  ~Poller() { thread_.join(); }

private:
  void run() {
    pollfd p{fd_, POLLIN, 0};
    for (;;) {
    // CHECK: :[[@LINE-1]]:5: warning: endless loop around a multi-way wait: no alternative leads out of the loop and it observes no stop or cancellation [threadleak-select-loop-no-exit]
    // CHECK: :[[@LINE+3]]:15: note: waits here in 'poll'; whatever it reports, the loop goes on
    // CHECK: :[[@LINE-9]]:29: note: thread started here
    // CHECK: :[[@LINE-10]]:46: note: the thread's body calls 'run' here
      int n = ::poll(&p, 1, -1);
      if (n > 0 && (p.revents & POLLIN))
        handle(fd_);
    }
  }
  int fd_;
  std::thread thread_;
};

void epoll_thread(int ep) {
  std::thread([ep] {
    epoll_event events[16];
    for (;;) {
    // CHECK: :[[@LINE-1]]:5: warning: endless loop around a multi-way wait: no alternative leads out of the loop and it observes no stop or cancellation [threadleak-select-loop-no-exit]
    // CHECK: :[[@LINE+2]]:15: note: waits here in 'epoll_wait'; whatever it reports, the loop goes on
    // CHECK: :[[@LINE-5]]:3: note: thread started here
      int n = epoll_wait(ep, events, 16, 1000);
      for (int i = 0; i < n; ++i)
        dispatch(events[i]);
    }
  }).detach();
}

// The condition is a local nobody changes.
void select_thread(int fd) {
  std::thread t([fd] {
    bool running = true;
    while (running) {
    // CHECK: :[[@LINE-1]]:5: warning: endless loop around a multi-way wait: no alternative leads out of the loop and it observes no stop or cancellation [threadleak-select-loop-no-exit]
    // CHECK: :[[@LINE+6]]:11: note: waits here in 'select'; whatever it reports, the loop goes on
    // CHECK: :[[@LINE-3]]:12: note: the loop's condition 'running' cannot change while the loop runs
    // CHECK: :[[@LINE-6]]:15: note: thread started here
      fd_set set;
      FD_ZERO(&set);
      FD_SET(fd, &set);
      if (select(fd + 1, &set, nullptr, nullptr, nullptr) > 0)
        handle(fd);
    }
  });
  t.join();
}

// The wait is in a function the loop calls.
int wait_events(int ep, epoll_event *events) {
  return epoll_wait(ep, events, 16, -1);
}
void event_loop(int ep) {
  epoll_event events[16];
  for (;;) {
  // CHECK: :[[@LINE-1]]:3: warning: endless loop around a multi-way wait: no alternative leads out of the loop and it observes no stop or cancellation [threadleak-select-loop-no-exit]
  // CHECK: :[[@LINE+3]]:13: note: the loop calls 'wait_events' here
  // CHECK: :[[@LINE-7]]:10: note: waits here in 'epoll_wait'; whatever it reports, the loop goes on
  // CHECK: :[[@LINE+7]]:16: note: thread started here
    int n = wait_events(ep, events);
    for (int i = 0; i < n; ++i)
      dispatch(events[i]);
  }
}
void start_event_loop(int ep) {
  std::jthread t(event_loop, ep);
}

//===-- Negative: a case leads out ----------------------------------------------===//

// The control channel's alternative ends the coroutine.
asio::awaitable<void> pump_stops(Chan &data, Chan &control) {
  for (;;) {
    auto r = co_await (data.async_receive(asio::use_awaitable) ||
                       control.async_receive(asio::use_awaitable));
    if (r.index() == 1)
      co_return;
    handle(std::get<0>(r));
  }
}

// A closed channel's error breaks the loop.
asio::awaitable<void> pump_closed(Chan &data, asio::steady_timer &t) {
  for (;;) {
    auto r = co_await (data.async_receive(asio::as_tuple(asio::use_awaitable)) ||
                       t.async_wait(asio::as_tuple(asio::use_awaitable)));
    if (r.index() == 0) {
      auto [ec, v] = std::get<0>(r);
      if (ec)
        break;
      handle(v);
    }
  }
}

// The coroutine looks at its cancellation state.
asio::awaitable<void> pump_cancellable(Chan &data, Chan &control) {
  auto cs = co_await asio::this_coro::cancellation_state;
  for (;;) {
    auto r = co_await (data.async_receive(asio::use_awaitable) ||
                       control.async_receive(asio::use_awaitable));
    if (cs.cancelled() != asio::cancellation_type::none)
      co_return;
    handle(static_cast<int>(r.index()));
  }
}

// Every alternative waits on the same channel: closing it fails them all,
// and the exception leaves the loop.
asio::awaitable<void> same_channel(Chan &data) {
  for (;;) {
    auto r = co_await (data.async_receive(asio::use_awaitable) ||
                       data.async_receive(asio::use_awaitable));
    handle(static_cast<int>(r.index()));
  }
}

// A flag written elsewhere.
struct Service {
  std::atomic<bool> stopping{false};
  asio::awaitable<void> serve(Chan &data, asio::steady_timer &t) {
    while (!stopping) {
      auto r = co_await (data.async_receive(asio::use_awaitable) ||
                         t.async_wait(asio::use_awaitable));
      handle(static_cast<int>(r.index()));
    }
  }
};

// Spawned with a cancellation slot: cancelling it makes the pending wait
// throw operation_aborted, which leaves the loop.
asio::awaitable<void> cancelled_by_owner(Chan &data, Chan &control) {
  for (;;) {
    auto r = co_await (data.async_receive(asio::use_awaitable) ||
                       control.async_receive(asio::use_awaitable));
    handle(static_cast<int>(r.index()));
  }
}
void start_cancellable(asio::io_context &io, Chan &data, Chan &control,
                       asio::cancellation_signal &stop) {
  asio::co_spawn(io, cancelled_by_owner(data, control),
                 asio::bind_cancellation_slot(stop.slot(), asio::detached));
}

// Awaited by a parent: the parent's cancellation reaches it.
asio::awaitable<void> awaited_child(Chan &data, Chan &control) {
  for (;;) {
    auto r = co_await (data.async_receive(asio::use_awaitable) ||
                       control.async_receive(asio::use_awaitable));
    handle(static_cast<int>(r.index()));
  }
}
asio::awaitable<void> parent(Chan &data, Chan &control) {
  auto ex = co_await asio::this_coro::executor;
  co_await asio::co_spawn(ex, awaited_child(data, control), asio::use_awaitable);
}

// A stop flag checked after every wake-up.
class StoppablePoller {
public:
  StoppablePoller(int fd) : fd_(fd), thread_([this] { run(); }) {}
  ~StoppablePoller() {
    stop_ = true;
    thread_.join();
  }

private:
  void run() {
    pollfd p{fd_, POLLIN, 0};
    while (!stop_.load()) {
      if (::poll(&p, 1, 100) > 0)
        handle(fd_);
    }
  }
  int fd_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// A wake-up descriptor that returns.
void wakeup_thread(int ep, int wake_fd) {
  std::thread([=] {
    epoll_event events[16];
    for (;;) {
      int n = epoll_wait(ep, events, 16, -1);
      for (int i = 0; i < n; ++i) {
        if (events[i].data.fd == wake_fd)
          return;
        dispatch(events[i]);
      }
    }
  }).detach();
}

// std::jthread's stop token.
void jthread_poller(int fd) {
  std::jthread t([fd](std::stop_token st) {
    pollfd p{fd, POLLIN, 0};
    while (!st.stop_requested())
      if (::poll(&p, 1, 100) > 0)
        handle(fd);
  });
}

// An error that throws, in a function of this file.
void check(int n) {
  if (n < 0)
    throw std::runtime_error("poll failed");
}
void throwing_thread(int fd) {
  std::thread t([fd] {
    pollfd p{fd, POLLIN, 0};
    for (;;)
      check(::poll(&p, 1, -1));
  });
  t.join();
}

// goto out.
void goto_thread(int fd) {
  std::thread t([fd] {
    pollfd p{fd, POLLIN, 0};
    for (;;) {
      if (::poll(&p, 1, -1) < 0)
        goto done;
    }
  done:
    handle(fd);
  });
  t.join();
}

// Inside a try block: exceptions are the intended way out.
void try_thread(int fd) {
  std::thread t([fd] {
    try {
      pollfd p{fd, POLLIN, 0};
      for (;;)
        handle(::poll(&p, 1, -1));
    } catch (...) {
    }
  });
  t.join();
}

//===-- Negative: not a context -------------------------------------------------===//

// A coroutine and a thread that only main() starts: main()'s io_context and
// main() itself live as long as the process.
asio::awaitable<void> main_pump(Chan &data, Chan &control) {
  for (;;) {
    auto r = co_await (data.async_receive(asio::use_awaitable) ||
                       control.async_receive(asio::use_awaitable));
    handle(static_cast<int>(r.index()));
  }
}
void main_poll(int fd) {
  pollfd p{fd, POLLIN, 0};
  for (;;)
    handle(::poll(&p, 1, -1));
}

// Cancellable, and errors as values: cancellation still throws at the next
// co_await (Asio's throw_if_cancelled is on by default).
asio::awaitable<void> cancelled_tuple(Chan &data, Chan &control) {
  for (;;) {
    auto r = co_await (data.async_receive(asio::as_tuple(asio::use_awaitable)) ||
                       control.async_receive(asio::as_tuple(asio::use_awaitable)));
    handle(static_cast<int>(r.index()));
  }
}
void start_cancelled_tuple(asio::io_context &io, Chan &data, Chan &control,
                           asio::cancellation_signal &stop) {
  asio::co_spawn(io, cancelled_tuple(data, control),
                 asio::bind_cancellation_slot(stop.slot(), asio::detached));
}

// main()'s event loop is the process's lifetime.
void serve_forever(int ep) {
  epoll_event events[16];
  for (;;) {
    int n = epoll_wait(ep, events, 16, -1);
    for (int i = 0; i < n; ++i)
      dispatch(events[i]);
  }
}
int main() {
  int ep = epoll_create1(0);
  serve_forever(ep);
  asio::io_context io;
  Chan data(io), control(io);
  asio::co_spawn(io, main_pump(data, control), asio::detached);
  std::thread t(main_poll, 0);
  io.run();
  t.join();
  pollfd p{0, POLLIN, 0};
  for (;;)
    handle(::poll(&p, 1, -1));
}

// An endless loop with a single wait is not a select loop (other checks
// report it where it leaks: detached-no-stop, jthread-ignores-stop).
void single_wait(Chan &data) {
  std::thread t([&] {
    for (;;)
      handle(0);
  });
  t.join();
}
