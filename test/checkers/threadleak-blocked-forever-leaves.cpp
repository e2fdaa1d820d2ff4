// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// threadleak-blocked-forever, a receiver that leaves: a send whose only
// receiver is a loop racing the receive with a stop case waits forever when
// the stop comes first, and nothing orders the stop after the send
// (etcd#6857: Status() called after Stop()).

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <chrono>
#include <memory>

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using boost::system::error_code;
using Chan = asio::experimental::channel<void(error_code, int)>;
using Signal = asio::experimental::channel<void(error_code)>;

void handle(int);

//===-- Positive ----------------------------------------------------------===//

struct Node {
  Chan requests;
  Signal stop;
  explicit Node(asio::any_io_executor ex) : requests(ex), stop(ex) {}

  asio::awaitable<void> run() {
    for (;;) {
      auto r = co_await (requests.async_receive(asio::use_awaitable) ||
                         stop.async_receive(asio::use_awaitable));
      if (r.index() == 1)
        co_return;
      handle(std::get<0>(r));
    }
  }
  asio::awaitable<void> request(int v) {
    co_await requests.async_send(error_code{}, v, asio::use_awaitable);
    // CHECK: :[[@LINE-1]]:14: warning: a send on 'requests' may wait forever: its receiver's loop may have left before it, and nothing else receives from it or closes it [threadleak-blocked-forever]
    // CHECK: :[[@LINE-10]]:26: note: the only receiver, in 'Node::run', takes from 'requests' in a loop, racing a receive from 'stop'
    // CHECK: :[[@LINE+3]]:14: note: a send on 'stop' in 'Node::shutdown' ends that loop, and nothing orders it after this send
  }
  asio::awaitable<void> shutdown() {
    co_await stop.async_send(error_code{}, asio::use_awaitable);
  }
};

// The request and the stop run in contexts nothing orders.
void drive(asio::io_context &io) {
  auto n = std::make_shared<Node>(io.get_executor());
  asio::co_spawn(io, n->run(), asio::detached);
  asio::co_spawn(io, n->shutdown(), asio::detached);
  asio::co_spawn(io, [n]() -> asio::awaitable<void> {
    co_await n->request(1);
  }, asio::detached);
}

// An idle timeout ends the loop: a timer's wait fires by itself, and a
// request after it waits forever (Go's `case <-time.After(idle): return`).
struct IdleNode {
  Chan requests;
  asio::steady_timer idle;
  explicit IdleNode(asio::any_io_executor ex) : requests(ex), idle(ex) {}

  asio::awaitable<void> run() {
    for (;;) {
      idle.expires_after(std::chrono::seconds(1));
      auto r = co_await (requests.async_receive(asio::use_awaitable) ||
                         idle.async_wait(asio::use_awaitable));
      if (r.index() == 1)
        co_return;
      handle(std::get<0>(r));
    }
  }
  asio::awaitable<void> request(int v) {
    co_await requests.async_send(error_code{}, v, asio::use_awaitable);
    // CHECK: :[[@LINE-1]]:14: warning: a send on 'requests' may wait forever: its receiver's loop may have left before it, and nothing else receives from it or closes it [threadleak-blocked-forever]
    // CHECK: :[[@LINE-10]]:26: note: the only receiver, in 'IdleNode::run', takes from 'requests' in a loop, racing a timer's wait that ends the loop when it fires first
  }
};
void driveIdle(asio::io_context &io) {
  auto n = std::make_shared<IdleNode>(io.get_executor());
  asio::co_spawn(io, n->run(), asio::detached);
  asio::co_spawn(io, [n]() -> asio::awaitable<void> {
    co_await n->request(1);
  }, asio::detached);
}

//===-- Negative ----------------------------------------------------------===//

// A heartbeat: the timer's win goes round the loop again.
struct BeatNode {
  Chan requests;
  asio::steady_timer beat;
  explicit BeatNode(asio::any_io_executor ex) : requests(ex), beat(ex) {}

  asio::awaitable<void> run() {
    for (;;) {
      beat.expires_after(std::chrono::seconds(1));
      auto r = co_await (requests.async_receive(asio::use_awaitable) ||
                         beat.async_wait(asio::use_awaitable));
      if (r.index() == 1) {
        handle(0);
        continue;
      }
      handle(std::get<0>(r));
    }
  }
  asio::awaitable<void> request(int v) {
    co_await requests.async_send(error_code{}, v, asio::use_awaitable);
  }
};
void driveBeat(asio::io_context &io) {
  auto n = std::make_shared<BeatNode>(io.get_executor());
  asio::co_spawn(io, n->run(), asio::detached);
  asio::co_spawn(io, [n]() -> asio::awaitable<void> {
    co_await n->request(1);
  }, asio::detached);
}

// The fix: the sender gives up when the node is done.
struct Node2 {
  Chan requests;
  Signal stop, done;
  explicit Node2(asio::any_io_executor ex) : requests(ex), stop(ex), done(ex) {}

  asio::awaitable<void> run() {
    for (;;) {
      auto r = co_await (requests.async_receive(asio::use_awaitable) ||
                         stop.async_receive(asio::use_awaitable));
      if (r.index() == 1) {
        done.close();
        co_return;
      }
    }
  }
  asio::awaitable<void> request(int v) {
    co_await (requests.async_send(error_code{}, v, asio::use_awaitable) ||
              done.async_receive(asio::use_awaitable));
  }
  asio::awaitable<void> shutdown() {
    co_await stop.async_send(error_code{}, asio::use_awaitable);
  }
};
void drive2(asio::io_context &io) {
  auto n = std::make_shared<Node2>(io.get_executor());
  asio::co_spawn(io, n->run(), asio::detached);
  asio::co_spawn(io, n->shutdown(), asio::detached);
  asio::co_spawn(io, [n]() -> asio::awaitable<void> {
    co_await n->request(1);
  }, asio::detached);
}

// The receiver closes the channel it leaves: later sends fail, not wait.
struct Node3 {
  Chan requests;
  Signal stop;
  explicit Node3(asio::any_io_executor ex) : requests(ex), stop(ex) {}

  asio::awaitable<void> run() {
    for (;;) {
      auto r = co_await (requests.async_receive(asio::use_awaitable) ||
                         stop.async_receive(asio::use_awaitable));
      if (r.index() == 1) {
        requests.close();
        co_return;
      }
    }
  }
  asio::awaitable<void> request(int v) {
    co_await requests.async_send(error_code{}, v, asio::use_awaitable);
  }
  asio::awaitable<void> shutdown() {
    co_await stop.async_send(error_code{}, asio::use_awaitable);
  }
};
void drive3(asio::io_context &io) {
  auto n = std::make_shared<Node3>(io.get_executor());
  asio::co_spawn(io, n->run(), asio::detached);
  asio::co_spawn(io, n->shutdown(), asio::detached);
  asio::co_spawn(io, [n]() -> asio::awaitable<void> {
    co_await n->request(1);
  }, asio::detached);
}

// The stop comes after the request, in the same code.
struct Node4 {
  Chan requests;
  Signal stop;
  explicit Node4(asio::any_io_executor ex) : requests(ex), stop(ex) {}

  asio::awaitable<void> run() {
    for (;;) {
      auto r = co_await (requests.async_receive(asio::use_awaitable) ||
                         stop.async_receive(asio::use_awaitable));
      if (r.index() == 1)
        co_return;
    }
  }
  asio::awaitable<void> request(int v) {
    co_await requests.async_send(error_code{}, v, asio::use_awaitable);
  }
  asio::awaitable<void> shutdown() {
    co_await stop.async_send(error_code{}, asio::use_awaitable);
  }
};
asio::awaitable<void> drive4() {
  auto n = std::make_shared<Node4>(co_await asio::this_coro::executor);
  asio::co_spawn(co_await asio::this_coro::executor, n->run(), asio::detached);
  co_await n->request(1);
  co_await n->request(2);
  co_await n->shutdown();
}

// Only the destructor stops it: a request after that uses a dead object.
struct Node5 {
  Chan requests;
  Signal stop;
  explicit Node5(asio::any_io_executor ex) : requests(ex), stop(ex) {}
  ~Node5() { stop.close(); }

  asio::awaitable<void> run() {
    for (;;) {
      auto r = co_await (requests.async_receive(asio::use_awaitable) ||
                         stop.async_receive(asio::use_awaitable));
      if (r.index() == 1)
        co_return;
    }
  }
  asio::awaitable<void> request(int v) {
    co_await requests.async_send(error_code{}, v, asio::use_awaitable);
  }
};
void drive5(asio::io_context &io) {
  auto n = std::make_shared<Node5>(io.get_executor());
  asio::co_spawn(io, n->run(), asio::detached);
  asio::co_spawn(io, [n]() -> asio::awaitable<void> {
    co_await n->request(1);
  }, asio::detached);
}

// The loop never leaves: nothing stops it.
struct Node6 {
  Chan requests;
  Signal stop;
  explicit Node6(asio::any_io_executor ex) : requests(ex), stop(ex) {}

  asio::awaitable<void> run() {
    for (;;) {
      auto r = co_await (requests.async_receive(asio::use_awaitable) ||
                         stop.async_receive(asio::use_awaitable));
      if (r.index() == 1)
        co_return;
    }
  }
  asio::awaitable<void> request(int v) {
    co_await requests.async_send(error_code{}, v, asio::use_awaitable);
  }
};
void drive6(asio::io_context &io) {
  auto n = std::make_shared<Node6>(io.get_executor());
  asio::co_spawn(io, n->run(), asio::detached);
  asio::co_spawn(io, [n]() -> asio::awaitable<void> {
    co_await n->request(1);
  }, asio::detached);
}
