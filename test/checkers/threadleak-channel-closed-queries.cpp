// RUN: not %threadleak --checks='-*,threadleak-channel-recv-no-close,threadleak-channel-send-no-receiver' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-channel-recv-no-close,threadleak-channel-send-no-receiver' %s -- %stubflags | %check-all %s

// A path on which the channel is already closed releases it: the owner
// asks `ch.is_closed()` (or `!ch.is_open()`) and skips a close that would
// be a second one. Boost.Fiber's and Asio's channels, on the stubs.

#include <boost/asio.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/fiber/all.hpp>
#include <thread>

using Chan = boost::fibers::buffered_channel<int>;
using Rendezvous = boost::fibers::unbuffered_channel<int>;

bool cancelled();
int produce();
void consume(int);

void closeOnce(Chan &ch) {
  if (ch.is_closed())
    return;
  ch.close();
}

// Silent: the helper closes unless the channel already is.
void helperCloses() {
  Chan ch{8};
  std::thread t([&] {
    for (int v : ch)
      consume(v);
  });
  ch.push(produce());
  closeOnce(ch);
  t.join();
}

// Silent: the same test written in the owner, negated.
void ownerCloses() {
  Chan ch{8};
  std::thread t([&] {
    for (int v : ch)
      consume(v);
  });
  ch.push(produce());
  if (!ch.is_closed())
    ch.close();
  t.join();
}

// Reported: the close runs only when the channel is already closed.
void closesOnlyWhenClosed() {
  Chan ch{8};
  std::thread t([&] {
    for (int v : ch)
    // CHECK: :[[@LINE-1]]:5: warning: thread may block here forever: 'ch' is not closed on every path of 'closesOnlyWhenClosed' [threadleak-channel-recv-no-close]
    // CHECK: :[[@LINE-3]]:15: note: thread started here
    // CHECK: :[[@LINE-5]]:8: note: channel 'ch' created here
    // CHECK: :[[@LINE+7]]:1: note: 'ch' goes out of scope here without closing it
      consume(v);
  });
  ch.push(produce());
  if (ch.is_closed())
    ch.close();
  t.join();
}

// Reported: the test asks about another channel.
void asksAnother(Chan &other) {
  Chan ch{8};
  std::thread t([&] {
    for (int v : ch)
    // CHECK: :[[@LINE-1]]:5: warning: thread may block here forever: 'ch' is not closed on every path of 'asksAnother' [threadleak-channel-recv-no-close]
    // CHECK: :[[@LINE-3]]:15: note: thread started here
    // CHECK: :[[@LINE-5]]:8: note: channel 'ch' created here
    // CHECK: :[[@LINE+5]]:5: note: 'asksAnother' returns here without closing 'ch'
      consume(v);
  });
  ch.push(produce());
  if (other.is_closed())
    return;
  ch.close();
  t.join();
}

// Reported: a cancellation leaves too, with the channel open.
void cancelledOrClosed() {
  Chan ch{8};
  std::thread t([&] {
    for (int v : ch)
    // CHECK: :[[@LINE-1]]:5: warning: thread may block here forever: 'ch' is not closed on every path of 'cancelledOrClosed' [threadleak-channel-recv-no-close]
    // CHECK: :[[@LINE-3]]:15: note: thread started here
    // CHECK: :[[@LINE-5]]:8: note: channel 'ch' created here
    // CHECK: :[[@LINE+5]]:5: note: 'cancelledOrClosed' returns here without closing 'ch'
      consume(v);
  });
  ch.push(produce());
  if (cancelled() || ch.is_closed())
    return;
  ch.close();
  t.join();
}

// Silent: a sender on a rendezvous channel, released by the close or by
// the channel being closed already.
void sender() {
  Rendezvous ch;
  std::thread t([&] { ch.push(produce()); });
  if (cancelled()) {
    if (!ch.is_closed())
      ch.close();
    t.join();
    return;
  }
  int v;
  ch.pop(v);
  t.join();
}
