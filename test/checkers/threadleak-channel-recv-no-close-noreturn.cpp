// RUN: not %threadleak --checks='-*,threadleak-channel-recv-no-close' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-channel-recv-no-close' %s -- %stubflags | %check-all %s

// A witness must be a path that can be taken: a join() of a thread whose
// body never returns ([[noreturn]], or a loop nothing leaves) never returns
// either, so no path through it reaches the end of the channel's scope.

#include <boost/fiber/all.hpp>
#include <thread>

using boost::fibers::channel_op_status;
using Chan = boost::fibers::buffered_channel<int>;

void handle(int);
void work();
bool ready();
[[noreturn]] void serve_forever();
void serve_once();

// Silent: the only way to the end of ch's scope is through server.join(),
// and the server never returns.
void serve_noreturn(int n) {
  Chan ch{16};
  std::thread consumer([&ch] {
    int v;
    while (ch.pop(v) == channel_op_status::success)
      handle(v);
  });
  for (int i = 0; i < n; ++i)
    ch.push(i);
  std::thread server(serve_forever);
  server.join();
}

// Silent: the server's body is a loop nothing leaves.
void serve_loop(int n) {
  Chan ch{16};
  std::thread consumer([&ch] {
    int v;
    while (ch.pop(v) == channel_op_status::success)
      handle(v);
  });
  for (int i = 0; i < n; ++i)
    ch.push(i);
  std::thread server([] {
    for (;;)
      work();
  });
  server.join();
}

// Reported: this server returns, so the end of the scope is reachable.
void serve_returns(int n) {
  Chan ch{16};
  std::thread consumer([&ch] {
    int v;
    while (ch.pop(v) == channel_op_status::success)
    // CHECK: :[[@LINE-1]]:15: warning: thread may block here forever: 'ch' is not closed on every path of 'serve_returns' [threadleak-channel-recv-no-close]
    // CHECK: :[[@LINE-4]]:15: note: thread started here
    // CHECK: :[[@LINE-6]]:8: note: channel 'ch' created here
    // CHECK: :[[@LINE+7]]:1: note: 'ch' goes out of scope here without closing it
      handle(v);
  });
  for (int i = 0; i < n; ++i)
    ch.push(i);
  std::thread server(serve_once);
  server.join();
}

// Reported, with the path that can be taken: the early return, before the
// join.
void serve_early_return(int n) {
  Chan ch{16};
  std::thread consumer([&ch] {
    int v;
    while (ch.pop(v) == channel_op_status::success)
    // CHECK: :[[@LINE-1]]:15: warning: thread may block here forever: 'ch' is not closed on every path of 'serve_early_return' [threadleak-channel-recv-no-close]
    // CHECK: :[[@LINE-4]]:15: note: thread started here
    // CHECK: :[[@LINE-6]]:8: note: channel 'ch' created here
    // CHECK: :[[@LINE+4]]:5: note: 'serve_early_return' returns here without closing 'ch'
      handle(v);
  });
  if (!ready())
    return;
  for (int i = 0; i < n; ++i)
    ch.push(i);
  std::thread server(serve_forever);
  server.join();
}
