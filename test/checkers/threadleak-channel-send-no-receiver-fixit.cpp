// The capacity-1 fix-it (GFix's first strategy) for a single result sent on
// an unbuffered channel whose receiver may give up: the literal 0 written as
// the capacity in the channel's construction becomes 1, where that is
// provably right: exactly one send can ever happen on the channel, and the
// sender does nothing after it that synchronises with anyone. The CLI's
// --fix applies it; the check is then silent on the fixed channels, the
// look-alikes keep their findings unchanged, and the file still compiles.
// clang-tidy with the plugin makes the same edits, and --export-fixes
// writes them for clang-apply-replacements.
//
// DEFINE: %{chan} = [{Type: app::Chan, Receive: [recv], Send: [send], Close: [close], CapacityArgument: 0, DefaultCapacity: 0}]
// RUN: rm -rf %t && mkdir -p %t && cp %s %t/fix.cpp && cp %s %t/tidy.cpp && cp %s %t/export.cpp
// RUN: not %threadleak --checks='-*,threadleak-channel-send-no-receiver' --config="{CheckOptions: {threadleak-channel-send-no-receiver.Channels: '%{chan}'}}" --fix %t/fix.cpp -- %stubflags | FileCheck --implicit-check-not=warning: --check-prefix=WARN %s
// RUN: FileCheck --input-file=%t/fix.cpp --check-prefix=FIXED %s
// RUN: not %threadleak --checks='-*,threadleak-channel-send-no-receiver' --config="{CheckOptions: {threadleak-channel-send-no-receiver.Channels: '%{chan}'}}" %t/fix.cpp -- %stubflags | FileCheck --implicit-check-not=warning: --check-prefix=AFTER %s
// RUN: %tidy --checks='-*,threadleak-channel-send-no-receiver' --config="{CheckOptions: {threadleak-channel-send-no-receiver.Channels: '%{chan}'}}" %t/fix.cpp -- %stubflags | FileCheck --implicit-check-not=warning: --check-prefix=AFTER %s
// RUN: %clangxx -fsyntax-only %stubflags %t/fix.cpp
//
// clang-tidy with the plugin applies the same edits.
// RUN: %tidy --checks='-*,threadleak-channel-send-no-receiver' --config="{CheckOptions: {threadleak-channel-send-no-receiver.Channels: '%{chan}'}}" --fix %t/tidy.cpp -- %stubflags > /dev/null
// RUN: diff %t/fix.cpp %t/tidy.cpp
//
// --export-fixes: one replacement per fixed finding, none for the others,
// and the source is left alone.
// RUN: not %threadleak --checks='-*,threadleak-channel-send-no-receiver' --config="{CheckOptions: {threadleak-channel-send-no-receiver.Channels: '%{chan}'}}" --export-fixes=%t/fixes.yaml %t/export.cpp -- %stubflags > /dev/null
// RUN: diff %s %t/export.cpp
// RUN: FileCheck --input-file=%t/fixes.yaml --check-prefix=YAML %s
// YAML:      - DiagnosticName:  threadleak-channel-send-no-receiver
// YAML-NEXT:     DiagnosticMessage:
// YAML-NEXT:       Message:         'coroutine may block here forever: ''result'' is unbuffered and on some path ''query_with_timeout'' neither receives from it nor closes it'
// YAML-NEXT:       FilePath:        '{{.*}}export.cpp'
// YAML-NEXT:       FileOffset:      {{[0-9]+}}
// YAML-NEXT:       Replacements:
// YAML-NEXT:         - FilePath:        '{{.*}}export.cpp'
// YAML-NEXT:           Offset:          {{[0-9]+}}
// YAML-NEXT:           Length:          1
// YAML-NEXT:           ReplacementText: '1'
// YAML-NEXT:     Notes:
//
// A unit that does not compile gets the findings but no fix-it (what the
// parser dropped may have named the channel), with either front-end.
// RUN: %expect-exit 3 %threadleak --checks='-*,threadleak-channel-send-no-receiver' --config="{CheckOptions: {threadleak-channel-send-no-receiver.Channels: '%{chan}'}}" --export-fixes=%t/broken.yaml %s -- %stubflags -DBROKEN > /dev/null 2>&1
// RUN: FileCheck --input-file=%t/broken.yaml --check-prefix=BROKEN %s
// RUN: not %tidy --checks='-*,threadleak-channel-send-no-receiver' --config="{CheckOptions: {threadleak-channel-send-no-receiver.Channels: '%{chan}'}}" --export-fixes=%t/broken-tidy.yaml %s -- %stubflags -DBROKEN > /dev/null 2>&1
// RUN: FileCheck --input-file=%t/broken-tidy.yaml --check-prefix=BROKEN %s
// BROKEN-NOT: ReplacementText
// BROKEN:     DiagnosticName:  threadleak-channel-send-no-receiver
// BROKEN-NOT: ReplacementText

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/fiber/all.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace boost::asio::experimental::awaitable_operators;
using boost::system::error_code;
using IntChan = asio::experimental::channel<void(error_code, int)>;

asio::awaitable<int> slow_query();
int compute();
bool ready();
void log_done();

// An in-house channel, described by the check's Channels option (%{chan}):
// its constructor's argument 0 is the capacity.
namespace app {
template <class T> class Chan {
public:
  explicit Chan(int capacity = 0);
  bool recv(T &out);
  void send(const T &v);
  void close();
};
} // namespace app

#ifdef BROKEN
int broken = ;
#endif

//===-- The fix-it ---------------------------------------------------------===//

// The SPEC's example: std::make_shared<...>(io, 0).
asio::awaitable<int> query_with_timeout(asio::io_context &io) {
  auto result = std::make_shared<IntChan>(io, 0);
  // FIXED: {{^}}  auto result = std::make_shared<IntChan>(io, 1);{{$}}
  asio::co_spawn(io, [result]() -> asio::awaitable<void> {
    int v = co_await slow_query();
    co_await result->async_send(error_code{}, v, asio::use_awaitable);
    // WARN: :[[@LINE-1]]:22: warning: coroutine may block here forever: 'result' is unbuffered and on some path 'query_with_timeout' neither receives from it nor closes it
  }, asio::detached);
  asio::steady_timer t(io, 100ms);
  auto r = co_await (result->async_receive(asio::use_awaitable) || t.async_wait(asio::use_awaitable));
  if (r.index() == 1)
    co_return -1;
  co_return std::get<0>(r);
}

// Direct construction, captured by reference; the suffix is kept.
asio::awaitable<void> direct(asio::io_context &io) {
  IntChan ch(io, 0u);
  // FIXED: {{^}}  IntChan ch(io, 1u);{{$}}
  asio::co_spawn(io, [&ch]() -> asio::awaitable<void> {
    co_await ch.async_send(error_code{}, compute(), asio::use_awaitable);
    // WARN: :[[@LINE-1]]:17: warning: coroutine may block here forever: 'ch' is unbuffered and on some path 'direct' neither receives from it nor closes it
  }, asio::detached);
  if (!ready())
    co_return;
  (void)co_await ch.async_receive(asio::use_awaitable);
}

// A shared_ptr given a new channel; the result handed over by a helper
// coroutine.
asio::awaitable<void> produce(std::shared_ptr<IntChan> out) {
  co_await out->async_send(error_code{}, compute(), asio::use_awaitable);
  // WARN: :[[@LINE-1]]:17: warning: coroutine may block here forever: 'p' is unbuffered and on some path 'from_new' neither receives from it nor closes it
}
asio::awaitable<void> from_new(asio::io_context &io) {
  std::shared_ptr<IntChan> p(new IntChan(io, 0));
  // FIXED: {{^}}  std::shared_ptr<IntChan> p(new IntChan(io, 1));{{$}}
  asio::co_spawn(io, produce(p), asio::detached);
  if (!ready())
    co_return;
  (void)co_await p->async_receive(asio::use_awaitable);
}

// A thread started on a function with the channel as its argument; what
// the sender does after the send is its own business (a local string, a
// function of this file that synchronises with nobody).
int last_result = 0;
void remember(int v) { last_result = v; }
void deliver(app::Chan<int> &c) {
  std::string label = "result";
  int v = compute();
  c.send(v);
  // WARN: :[[@LINE-1]]:5: warning: thread may block here forever: 'ch' is unbuffered and on some path 'in_house' neither receives from it nor closes it
  remember(v);
}
int in_house() {
  app::Chan<int> ch(0);
  // FIXED: {{^}}  app::Chan<int> ch(1);{{$}}
  std::thread t(deliver, std::ref(ch));
  t.detach();
  if (!ready())
    return -1;
  int v = 0;
  ch.recv(v);
  return v;
}

// std::async on a function, the channel its argument.
void hand_back(app::Chan<int> &c) { c.send(compute()); }
// WARN: :[[@LINE-1]]:39: warning: thread may block here forever: 'ch' is unbuffered and on some path 'with_async' neither receives from it nor closes it
int with_async() {
  app::Chan<int> ch(0);
  // FIXED: {{^}}  app::Chan<int> ch(1);{{$}}
  auto f = std::async(std::launch::async, hand_back, std::ref(ch));
  if (!ready())
    return -1;
  int v = 0;
  ch.recv(v);
  return v;
}

// A lambda that takes the channel as its parameter.
int lambda_parameter() {
  app::Chan<int> ch(0);
  // FIXED: {{^}}  app::Chan<int> ch(1);{{$}}
  std::thread t([](app::Chan<int> &c) { c.send(compute()); }, std::ref(ch));
  // WARN: :[[@LINE-1]]:43: warning: thread may block here forever: 'ch' is unbuffered and on some path 'lambda_parameter' neither receives from it nor closes it
  t.detach();
  if (!ready())
    return -1;
  int v = 0;
  ch.recv(v);
  return v;
}

//===-- Look-alikes: the finding stays, with no fix-it ----------------------===//

// The capacity argument omitted: there is no literal to change.
asio::awaitable<void> defaulted(asio::io_context &io) {
  IntChan ch(io);
  // FIXED: {{^}}  IntChan ch(io);{{$}}
  asio::co_spawn(io, [&ch]() -> asio::awaitable<void> {
    co_await ch.async_send(error_code{}, 1, asio::use_awaitable);
    // WARN: :[[@LINE-1]]:17: warning: coroutine may block here forever: 'ch' is unbuffered
    // AFTER: :[[@LINE-2]]:17: warning: coroutine may block here forever: 'ch' is unbuffered and on some path 'defaulted'
  }, asio::detached);
  co_return;
}

// A named constant, and a macro: the name says something the fix would
// contradict.
constexpr std::size_t kUnbuffered = 0;
#define UNBUFFERED 0
asio::awaitable<void> named(asio::io_context &io) {
  IntChan ch(io, kUnbuffered);
  // FIXED: {{^}}  IntChan ch(io, kUnbuffered);{{$}}
  IntChan m(io, UNBUFFERED);
  // FIXED: {{^}}  IntChan m(io, UNBUFFERED);{{$}}
  asio::co_spawn(io, [&ch]() -> asio::awaitable<void> {
    co_await ch.async_send(error_code{}, 1, asio::use_awaitable);
    // WARN: :[[@LINE-1]]:17: warning: coroutine may block here forever: 'ch' is unbuffered
    // AFTER: :[[@LINE-2]]:17: warning: coroutine may block here forever: 'ch' is unbuffered and on some path 'named'
  }, asio::detached);
  asio::co_spawn(io, [&m]() -> asio::awaitable<void> {
    co_await m.async_send(error_code{}, 1, asio::use_awaitable);
    // WARN: :[[@LINE-1]]:16: warning: coroutine may block here forever: 'm' is unbuffered
    // AFTER: :[[@LINE-2]]:16: warning: coroutine may block here forever: 'm' is unbuffered and on some path 'named'
  }, asio::detached);
  co_return;
}

// Two sends: an error on one path, the result on the other. Capacity 1
// holds one of them; which one may block is the sender's to say.
asio::awaitable<void> two_sends(asio::io_context &io) {
  auto ch = std::make_shared<IntChan>(io, 0);
  // FIXED: {{^}}  auto ch = std::make_shared<IntChan>(io, 0);{{$}}
  asio::co_spawn(io, [ch]() -> asio::awaitable<void> {
    int v = co_await slow_query();
    if (v < 0)
      co_await ch->async_send(asio::error::operation_aborted, 0, asio::use_awaitable);
    // WARN: :[[@LINE-1]]:20: warning: coroutine may block here forever: 'ch' is unbuffered
    // AFTER: :[[@LINE-2]]:20: warning: coroutine may block here forever: 'ch' is unbuffered and on some path 'two_sends'
    co_await ch->async_send(error_code{}, v, asio::use_awaitable);
  }, asio::detached);
  if (!ready())
    co_return;
  (void)co_await ch->async_receive(asio::use_awaitable);
}

// Another context sends on the channel in a loop.
int loop_elsewhere() {
  app::Chan<int> ch(0);
  // FIXED: {{^}}  app::Chan<int> ch(0);{{$}}
  std::thread once([&ch] { ch.send(compute()); });
  // WARN: :[[@LINE-1]]:31: warning: thread may block here forever: 'ch' is unbuffered
  // AFTER: :[[@LINE-2]]:31: warning: thread may block here forever: 'ch' is unbuffered and on some path 'loop_elsewhere'
  std::thread stream([&ch] {
    for (int i = 0; i < 3; ++i)
      ch.send(i);
  });
  once.detach();
  stream.detach();
  if (!ready())
    return -1;
  int v = 0;
  ch.recv(v);
  return v;
}

// The sender is started in a loop: as many sends as turns.
int spawned_in_loop() {
  app::Chan<int> ch(0);
  // FIXED: {{^}}  app::Chan<int> ch(0);{{$}}
  for (int i = 0; i < 2; ++i)
    std::thread([&ch] { ch.send(compute()); }).detach();
  // WARN: :[[@LINE-1]]:28: warning: thread may block here forever: 'ch' is unbuffered
  // AFTER: :[[@LINE-2]]:28: warning: thread may block here forever: 'ch' is unbuffered and on some path 'spawned_in_loop'
  if (!ready())
    return -1;
  int v = 0;
  ch.recv(v);
  return v;
}

// The sender's lambda is a variable: it may be started, or called, again.
int stored_lambda() {
  app::Chan<int> ch(0);
  // FIXED: {{^}}  app::Chan<int> ch(0);{{$}}
  auto work = [&ch] { ch.send(compute()); };
  // WARN: :[[@LINE-1]]:26: warning: thread may block here forever: 'ch' is unbuffered
  // AFTER: :[[@LINE-2]]:26: warning: thread may block here forever: 'ch' is unbuffered and on some path 'stored_lambda'
  std::thread t(work);
  t.detach();
  if (!ready())
    return -1;
  int v = 0;
  ch.recv(v);
  return v;
}

// The same lambda started twice with the channel.
int started_twice() {
  app::Chan<int> ch(0);
  // FIXED: {{^}}  app::Chan<int> ch(0);{{$}}
  auto work = [](app::Chan<int> &c) { c.send(compute()); };
  // WARN: :[[@LINE-1]]:41: warning: thread may block here forever: 'ch' is unbuffered
  // AFTER: :[[@LINE-2]]:41: warning: thread may block here forever: 'ch' is unbuffered and on some path 'started_twice'
  std::thread t(work, std::ref(ch));
  t.detach();
  if (!ready())
    return -1;
  std::thread again(work, std::ref(ch));
  again.detach();
  int v = 0;
  ch.recv(v);
  return v;
}

// The sender relies on the rendezvous after its send: it takes a lock,
// notifies, receives a reply, or calls code we cannot read.
std::mutex m;
std::condition_variable cv;
bool delivered = false;
int locks_after() {
  app::Chan<int> ch(0);
  // FIXED: {{^}}  app::Chan<int> ch(0);{{$}}
  std::thread t([&ch] {
    ch.send(compute());
    // WARN: :[[@LINE-1]]:8: warning: thread may block here forever: 'ch' is unbuffered
    // AFTER: :[[@LINE-2]]:8: warning: thread may block here forever: 'ch' is unbuffered and on some path 'locks_after'
    std::lock_guard<std::mutex> lk(m);
    delivered = true;
  });
  t.detach();
  if (!ready())
    return -1;
  int v = 0;
  ch.recv(v);
  return v;
}
int notifies_after() {
  app::Chan<int> ch(0);
  // FIXED: {{^}}  app::Chan<int> ch(0);{{$}}
  std::thread t([&ch] {
    ch.send(compute());
    // WARN: :[[@LINE-1]]:8: warning: thread may block here forever: 'ch' is unbuffered
    // AFTER: :[[@LINE-2]]:8: warning: thread may block here forever: 'ch' is unbuffered and on some path 'notifies_after'
    cv.notify_one();
  });
  t.detach();
  if (!ready())
    return -1;
  int v = 0;
  ch.recv(v);
  return v;
}
asio::awaitable<void> receives_after(asio::io_context &io, IntChan &reply) {
  IntChan ch(io, 0);
  // FIXED: {{^}}  IntChan ch(io, 0);{{$}}
  asio::co_spawn(io, [&ch, &reply]() -> asio::awaitable<void> {
    co_await ch.async_send(error_code{}, compute(), asio::use_awaitable);
    // WARN: :[[@LINE-1]]:17: warning: coroutine may block here forever: 'ch' is unbuffered
    // AFTER: :[[@LINE-2]]:17: warning: coroutine may block here forever: 'ch' is unbuffered and on some path 'receives_after'
    (void)co_await reply.async_receive(asio::use_awaitable);
  }, asio::detached);
  if (!ready())
    co_return;
  (void)co_await ch.async_receive(asio::use_awaitable);
}
int opaque_after() {
  app::Chan<int> ch(0);
  // FIXED: {{^}}  app::Chan<int> ch(0);{{$}}
  std::thread t([&ch] {
    ch.send(compute());
    // WARN: :[[@LINE-1]]:8: warning: thread may block here forever: 'ch' is unbuffered
    // AFTER: :[[@LINE-2]]:8: warning: thread may block here forever: 'ch' is unbuffered and on some path 'opaque_after'
    log_done();
  });
  t.detach();
  if (!ready())
    return -1;
  int v = 0;
  ch.recv(v);
  return v;
}

// The same after the send, one call up: the helper sends, its caller locks.
void send_result(app::Chan<int> &c) { c.send(compute()); }
// WARN: :[[@LINE-1]]:41: warning: thread may block here forever: 'ch' is unbuffered
// AFTER: :[[@LINE-2]]:41: warning: thread may block here forever: 'ch' is unbuffered and on some path 'caller_locks_after'
int caller_locks_after() {
  app::Chan<int> ch(0);
  // FIXED: {{^}}  app::Chan<int> ch(0);{{$}}
  std::thread t([&ch] {
    send_result(ch);
    std::lock_guard<std::mutex> lk(m);
    delivered = true;
  });
  t.detach();
  if (!ready())
    return -1;
  int v = 0;
  ch.recv(v);
  return v;
}

// A lock held across the send: its destructor unlocks after it.
int unlocks_after() {
  app::Chan<int> ch(0);
  // FIXED: {{^}}  app::Chan<int> ch(0);{{$}}
  std::thread t([&ch] {
    std::lock_guard<std::mutex> lk(m);
    ch.send(compute());
    // WARN: :[[@LINE-1]]:8: warning: thread may block here forever: 'ch' is unbuffered
    // AFTER: :[[@LINE-2]]:8: warning: thread may block here forever: 'ch' is unbuffered and on some path 'unlocks_after'
  });
  t.detach();
  if (!ready())
    return -1;
  int v = 0;
  ch.recv(v);
  return v;
}

// An atomic flag set after the send, a handler that notifies.
std::atomic<bool> sent{false};
int atomic_after() {
  app::Chan<int> ch(0);
  // FIXED: {{^}}  app::Chan<int> ch(0);{{$}}
  std::thread t([&ch] {
    ch.send(compute());
    // WARN: :[[@LINE-1]]:8: warning: thread may block here forever: 'ch' is unbuffered
    // AFTER: :[[@LINE-2]]:8: warning: thread may block here forever: 'ch' is unbuffered and on some path 'atomic_after'
    sent.store(true);
  });
  t.detach();
  if (!ready())
    return -1;
  int v = 0;
  ch.recv(v);
  return v;
}
int handler_notifies() {
  app::Chan<int> ch(0);
  // FIXED: {{^}}  app::Chan<int> ch(0);{{$}}
  std::thread t([&ch] {
    try {
      ch.send(compute());
      // WARN: :[[@LINE-1]]:10: warning: thread may block here forever: 'ch' is unbuffered
      // AFTER: :[[@LINE-2]]:10: warning: thread may block here forever: 'ch' is unbuffered and on some path 'handler_notifies'
    } catch (...) {
      cv.notify_all();
    }
  });
  t.detach();
  if (!ready())
    return -1;
  int v = 0;
  ch.recv(v);
  return v;
}

// The owner sends too.
int owner_sends() {
  app::Chan<int> ch(0);
  // FIXED: {{^}}  app::Chan<int> ch(0);{{$}}
  std::thread t([&ch] { ch.send(compute()); });
  // WARN: :[[@LINE-1]]:28: warning: thread may block here forever: 'ch' is unbuffered
  // AFTER: :[[@LINE-2]]:28: warning: thread may block here forever: 'ch' is unbuffered and on some path 'owner_sends'
  t.detach();
  if (!ready())
    return -1;
  ch.send(0);
  int v = 0;
  ch.recv(v);
  return v;
}

// A template: its text is every instantiation's.
template <class T> T in_template() {
  app::Chan<T> ch(0);
  // FIXED: {{^}}  app::Chan<T> ch(0);{{$}}
  std::thread t([&ch] { ch.send(T()); });
  // WARN: :[[@LINE-1]]:28: warning: thread may block here forever: 'ch' is unbuffered
  // AFTER: :[[@LINE-2]]:28: warning: thread may block here forever: 'ch' is unbuffered and on some path 'in_template'
  t.detach();
  if (!ready())
    return T();
  T v{};
  ch.recv(v);
  return v;
}
int instantiated = in_template<int>();

// A completion handler runs when the sender ends (co_spawn's token).
asio::awaitable<void> completion_handler(asio::io_context &io) {
  IntChan ch(io, 0);
  // FIXED: {{^}}  IntChan ch(io, 0);{{$}}
  asio::co_spawn(io, [&ch]() -> asio::awaitable<void> {
    co_await ch.async_send(error_code{}, compute(), asio::use_awaitable);
    // WARN: :[[@LINE-1]]:17: warning: coroutine may block here forever: 'ch' is unbuffered
    // AFTER: :[[@LINE-2]]:17: warning: coroutine may block here forever: 'ch' is unbuffered and on some path 'completion_handler'
  }, [](std::exception_ptr) { cv.notify_all(); });
  if (!ready())
    co_return;
  (void)co_await ch.async_receive(asio::use_awaitable);
}

// A Boost.Fiber unbuffered_channel: its capacity is its type.
int fiber_type() {
  boost::fibers::unbuffered_channel<int> ch;
  std::thread t([&ch] { ch.push(compute()); });
  // WARN: :[[@LINE-1]]:28: warning: thread may block here forever: 'ch' is unbuffered
  // AFTER: :[[@LINE-2]]:28: warning: thread may block here forever: 'ch' is unbuffered and on some path 'fiber_type'
  t.detach();
  if (!ready())
    return -1;
  return ch.value_pop();
}
