// RUN: not %threadleak --checks='-*,threadleak-select-loop-no-exit' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-select-loop-no-exit' %s -- %stubflags | %check-all %s

// Coroutine templates: the instantiation is analysed (in the pattern the
// channel type, hence the whole co_await, is dependent), the finding points
// at the template's lines.

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>
namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using boost::system::error_code;
using Chan = asio::experimental::channel<void(error_code, int)>;
void handle(int);


// Reported: no alternative leaves the loop.
template <class Channel>
asio::awaitable<void> pump(Channel &data, Channel &control) {
  for (;;) {
  // CHECK: :[[@LINE-1]]:3: warning: endless loop around a multi-way wait: no alternative leads out of the loop and it observes no stop or cancellation [threadleak-select-loop-no-exit]
  // CHECK: :[[@LINE+1]]:24: note: waits here for the first of 2 alternatives; whichever completes, the loop goes on
    auto r = co_await (data.async_receive(asio::use_awaitable) ||
                       control.async_receive(asio::use_awaitable));
    handle(static_cast<int>(r.index()));
  }
}
template asio::awaitable<void> pump<Chan>(Chan &, Chan &);

// Look-alike: the control channel's alternative leaves it.

template <class Channel>
asio::awaitable<void> pump_until_closed(Channel &data, Channel &control) {
  for (;;) {
    auto r = co_await (data.async_receive(asio::use_awaitable) ||
                       control.async_receive(asio::use_awaitable));
    if (r.index() == 1)
      co_return;
    handle(static_cast<int>(r.index()));
  }
}
template asio::awaitable<void> pump_until_closed<Chan>(Chan &, Chan &);
