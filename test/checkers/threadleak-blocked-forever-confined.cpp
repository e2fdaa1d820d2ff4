// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags -I%S/Inputs | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags -I%S/Inputs | %check-all %s

// threadleak-blocked-forever: no partner anywhere, on an object that only
// code of this translation unit can reach. Two ways to be sure of that:
// a local object handed only to functions and lambdas we read, and a data
// member of a class defined in this file. Each shape both ways.

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/fiber/all.hpp>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <tbb/concurrent_queue.h>
#include <thread>
#include <vector>

#include "blocked-forever-shared-class.h"

namespace fibers = boost::fibers;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace boost::asio::experimental::awaitable_operators;
using boost::system::error_code;
using AsioChan = asio::experimental::channel<void(error_code, int)>;
using IntChan = fibers::unbuffered_channel<int>;
void work();
// Code we do not read may do anything to any channel of the type it is
// handed, so the negatives that hand one over use a type of their own.
using OpaqueChan = fibers::unbuffered_channel<long>;
void opaque(OpaqueChan &c); // defined elsewhere

//===-- Local objects handed to code we read ---------------------------------===//

// grpc-go#1424: the watcher is given the done channel and returns without
// closing it; its starter waits on it forever.
void watch(std::shared_ptr<IntChan> done) {
  work();
  (void)done;
}
void dial() {
  fibers::fiber([] {
    auto done = std::make_shared<IntChan>();
    fibers::fiber(watch, done).detach();
    watch(done);
    int v;
    done->pop(v);
    // CHECK: :[[@LINE-1]]:5: warning: a receive from 'done' waits forever: 'done' reaches only code of this translation unit, and none of it sends to it or closes it [threadleak-blocked-forever]
    // CHECK: :[[@LINE-6]]:17: note: 'done' is created here
    // CHECK: :[[@LINE-6]]:5: note: handed to 'watch' here, which does not send to it or close it
  }).detach();
}

// Negative: the watcher closes it when it returns (the fix).
void watchAndClose(std::shared_ptr<IntChan> done) {
  work();
  done->close();
}
void dialFixed() {
  fibers::fiber([] {
    auto done = std::make_shared<IntChan>();
    watchAndClose(done);
    int v;
    done->pop(v);
  }).detach();
}

// Negative: handed on to code we do not read.
void forward(std::shared_ptr<OpaqueChan> c) { opaque(*c); }
void dialOpaque() {
  auto done = std::make_shared<OpaqueChan>();
  forward(done);
  long v;
  done->pop(v);
}

// Negative: stored where the partner search cannot follow it.
struct Keeper {
  std::shared_ptr<IntChan> kept;
  void keep(std::shared_ptr<IntChan> c) { kept = c; }
  void wake() { kept->push(1); }
};
void dialStored(Keeper &k) {
  auto done = std::make_shared<IntChan>();
  k.keep(done);
  int v;
  done->pop(v);
}

// A lambda that captures it and only reads its state.
void captured() {
  auto ch = std::make_shared<IntChan>();
  fibers::fiber([ch] {
    if (ch->is_closed())
      return;
    work();
  }).detach();
  int v;
  ch->pop(v);
  // CHECK: :[[@LINE-1]]:3: warning: a receive from 'ch' waits forever: 'ch' reaches only code of this translation unit, and none of it sends to it or closes it [threadleak-blocked-forever]
  // CHECK: :[[@LINE-9]]:13: note: 'ch' is created here
}

// Negative: the lambda that captures it sends.
void capturedSender() {
  auto ch = std::make_shared<IntChan>();
  fibers::fiber([ch] { ch->push(1); }).detach();
  int v;
  ch->pop(v);
}

// Negative: a copy of the handle escapes through a local reference that is
// returned.
std::shared_ptr<IntChan> &slot();
void copiedOut() {
  auto ch = std::make_shared<IntChan>();
  auto &alias = slot();
  alias = ch;
  int v;
  ch->pop(v);
}

//===-- Data members of a class of this file ---------------------------------===//

// grpc-go#1275: the close path forgets to send; the reader of the stream's
// buffer waits forever.
struct Stream {
  IntChan recv;
  void read() {
    int v;
    recv.pop(v);
    // CHECK: :[[@LINE-1]]:5: warning: a receive from 'recv' waits forever: nothing in this translation unit sends to it or closes it, and no other code can reach 'Stream::recv' [threadleak-blocked-forever]
    // CHECK: :[[@LINE-5]]:11: note: 'Stream::recv' is declared here, in a class of this file that no other translation unit can name
  }
};
void closeStream(Stream &s) { (void)s; }

// kubernetes#25331: a result sent on an unbuffered member nobody reads.
class Watch {
  IntChan result;
  std::mutex mu;
  std::condition_variable cv;

public:
  void run() {
    result.push(1);
    // CHECK: :[[@LINE-1]]:5: warning: a send on 'result' waits forever: nothing in this translation unit receives from it or closes it, and no other code can reach 'Watch::result' [threadleak-blocked-forever]
    // CHECK: :[[@LINE-8]]:11: note: 'Watch::result' is declared here, in a class of this file that no other translation unit can name
  }
  // A wait with no predicate that nothing notifies.
  void park() {
    std::unique_lock lk(mu);
    cv.wait(lk);
    // CHECK: :[[@LINE-1]]:5: warning: a wait on 'cv' waits forever: nothing in this translation unit notifies it, and no other code can reach 'Watch::cv' [threadleak-blocked-forever]
    // CHECK: :[[@LINE-13]]:27: note: 'Watch::cv' is declared here, in a class of this file that no other translation unit can name
  }
};

// Negative: a function we read sends on it (grpc-go#1275's fix).
struct FixedStream {
  IntChan recv;
  void read() {
    int v;
    recv.pop(v);
  }
};
void closeFixed(FixedStream &s) { s.recv.push(0); }

// Negative: a thread started in the constructor's initialisers sends.
struct Ticker {
  IntChan ticks;
  fibers::fiber pump;
  Ticker() : pump([this] { ticks.push(1); }) {}
  void next() {
    int v;
    ticks.pop(v);
  }
};

// Negative: handed to a function we do not read.
struct Handed {
  OpaqueChan handedIn;
  void start() { opaque(handedIn); }
  void get() {
    long v;
    handedIn.pop(v);
  }
};

// Negative: a template may name it in a way the analysis does not resolve.
struct Generic {
  IntChan genericIn;
  void get() {
    int v;
    genericIn.pop(v);
  }
};
template <class T> void feed(T &t) { t.genericIn.push(1); }

// Negative: a class of a header: other translation units can name it.
void useHeader(HeaderInbox &h) { h.get(); }

// Negative: an element of a container of channels (which element is not
// known).
struct Pool {
  IntChan lanes[4];
  void get(int i) {
    int v;
    lanes[i].pop(v);
  }
};

//===-- Races: every operand must be stuck -----------------------------------===//

// Two channels made here, neither shared: the race can never end.
asio::awaitable<void> raceOfTwo(asio::any_io_executor ex) {
  AsioChan a(ex), b(ex);
  co_await (a.async_receive(asio::use_awaitable) ||
  // CHECK: :[[@LINE-1]]:13: warning: a receive from 'a' waits forever: 'a' is created here and never shared, and nothing sends to it or closes it (nor any other operation of the race) [threadleak-blocked-forever]
  // CHECK: :[[@LINE-3]]:12: note: 'a' is created here
            b.async_receive(asio::use_awaitable));
            // CHECK: :[[@LINE-1]]:13: warning: a receive from 'b' waits forever: 'b' is created here and never shared, and nothing sends to it or closes it (nor any other operation of the race) [threadleak-blocked-forever]
            // CHECK: :[[@LINE-6]]:19: note: 'b' is created here
}

// Negative: the other operand is a timer; the race ends when it fires.
asio::awaitable<void> raceWithTimer(asio::any_io_executor ex) {
  AsioChan a(ex);
  asio::steady_timer t(ex, 10ms);
  co_await (a.async_receive(asio::use_awaitable) ||
            t.async_wait(asio::use_awaitable));
}

//===-- Counts: more sends than the receives can take ------------------------===//

// Go's NCastLeak: one sender per item, only the first result is taken.
int firstResult(int items) {
  auto ch = std::make_shared<IntChan>();
  for (int i = 0; i < items; ++i)
    fibers::fiber([ch, i] { ch->push(i); }).detach();
    // CHECK: :[[@LINE-1]]:29: warning: a send on 'ch' may wait forever: one run of the code that reaches 'ch' can send to it any number of times, and at most 1 receive takes from it [threadleak-blocked-forever]
    // CHECK: :[[@LINE-4]]:13: note: 'ch' is created here
    // CHECK: :[[@LINE-3]]:19: note: a sender is started here, in a loop
    // CHECK: :[[@LINE+2]]:3: note: receives from 'ch' here
  int v;
  ch->pop(v);
  return v;
}

// Negative: as many receives as senders, in a loop of their own.
int allResults(int items) {
  auto ch = std::make_shared<IntChan>();
  for (int i = 0; i < items; ++i)
    fibers::fiber([ch, i] { ch->push(i); }).detach();
  int sum = 0;
  for (int i = 0; i < items; ++i) {
    int v;
    ch->pop(v);
    sum += v;
  }
  return sum;
}

// Go's DoubleSend: the error path sends and goes on to send again.
bool failed();
void produce(std::shared_ptr<IntChan> out) {
  if (failed())
    out->push(-1);
  out->push(1);
  // CHECK: :[[@LINE-1]]:3: warning: a send on 'out' may wait forever: one run of the code that reaches 'ch' can send to it 2 times, and at most 1 receive takes from it [threadleak-blocked-forever]
  // CHECK: :[[@LINE+5]]:13: note: 'ch' is created here
  // CHECK: :[[@LINE+5]]:3: note: handed to 'produce' here
  // CHECK: :[[@LINE+6]]:3: note: receives from 'ch' here
}
int consumeOnce() {
  auto ch = std::make_shared<IntChan>();
  fibers::fiber(produce, ch).detach();
  int v;
  ch->pop(v);
  return v;
}

// Negative: the fix returns after the error send.
void produceFixed(std::shared_ptr<IntChan> out) {
  if (failed()) {
    out->push(-1);
    return;
  }
  out->push(1);
}
int consumeFixed() {
  auto ch = std::make_shared<IntChan>();
  fibers::fiber(produceFixed, ch).detach();
  int v;
  ch->pop(v);
  return v;
}

// Negative: inside a loop, but nothing comes back to the send: the error
// path sends once and returns.
bool step(int i);
void produceUntilError(std::shared_ptr<IntChan> out) {
  for (int i = 0;; ++i) {
    if (!step(i)) {
      out->push(-1);
      return;
    }
  }
}
int consumeError() {
  auto ch = std::make_shared<IntChan>();
  fibers::fiber(produceUntilError, ch).detach();
  int v;
  ch->pop(v);
  return v;
}

// Negative: two branches on the same condition exclude each other.
void produceEither(std::shared_ptr<IntChan> out, bool ok) {
  if (ok)
    out->push(1);
  work();
  if (!ok)
    out->push(-1);
}
int consumeEither(bool ok) {
  auto ch = std::make_shared<IntChan>();
  fibers::fiber(produceEither, ch, ok).detach();
  int v;
  ch->pop(v);
  return v;
}

// Negative: a buffer with room for every send.
asio::awaitable<void> buffered(asio::any_io_executor ex) {
  auto ch = std::make_shared<AsioChan>(ex, 2);
  asio::co_spawn(ex, [ch]() -> asio::awaitable<void> {
    co_await ch->async_send(error_code{}, 1, asio::use_awaitable);
    co_await ch->async_send(error_code{}, 2, asio::use_awaitable);
  }, asio::detached);
  co_await ch->async_receive(asio::use_awaitable);
}

// Negative: the receiver closes the channel when it is done.
int firstThenClose(int items) {
  auto ch = std::make_shared<IntChan>();
  for (int i = 0; i < items; ++i)
    fibers::fiber([ch, i] { ch->push(i); }).detach();
  int v;
  ch->pop(v);
  ch->close();
  return v;
}

// cockroach#18101: a TBB queue bounded by set_capacity(6) after it is made
// takes 8 spans and an end marker; its reader returns after the first one
// (its loop never comes round again). The 8th span waits for good.
using SpanQueue = tbb::concurrent_bounded_queue<int>;
void scatter(SpanQueue &q) {
  for (int i = 0; i < 8; ++i)
    q.push(i + 1);
  // CHECK: :[[@LINE-1]]:5: warning: a send on 'q' may wait forever: one run of the code that reaches 'spans' can send to it 9 times, and at most 1 receive takes from it and its buffer holds 6 [threadleak-blocked-forever]
  // CHECK: :[[@LINE+6]]:16: note: 'spans' is created here
  // CHECK: :[[@LINE+8]]:5: note: handed to 'scatter' here
  // CHECK: :[[@LINE+12]]:5: note: receives from 'spans' here
}
bool use(int);
int restore(std::thread &background) {
  auto spans = std::make_shared<SpanQueue>();
  spans->set_capacity(6);
  background = std::thread([spans] {
    scatter(*spans);
    spans->push(0); // the end marker
  });
  for (;;) {
    int span = 0;
    spans->pop(span);
    if (span == 0)
      break;
    return span;
  }
  return 0;
}

// The same, the reader's loop ending in an if/else that leaves either way.
void scatterBoth(SpanQueue &q) {
  for (int i = 0; i < 8; ++i)
    q.push(i + 1);
  // CHECK: :[[@LINE-1]]:5: warning: a send on 'q' may wait forever: one run of the code that reaches 'spans' can send to it 8 times, and at most 1 receive takes from it and its buffer holds 6 [threadleak-blocked-forever]
  // CHECK: :[[@LINE+5]]:16: note: 'spans' is created here
  // CHECK: :[[@LINE+7]]:5: note: handed to 'scatterBoth' here
  // CHECK: :[[@LINE+10]]:5: note: receives from 'spans' here
}
int restoreBoth(std::thread &background) {
  auto spans = std::make_shared<SpanQueue>();
  spans->set_capacity(6);
  background = std::thread([spans] {
    scatterBoth(*spans);
  });
  for (;;) {
    int span = 0;
    spans->pop(span);
    if (span == 0)
      break;
    else
      return span;
  }
  return 0;
}

// Negative: room for every span (the loop runs 8 times, not any number).
void scatterRoomy(SpanQueue &q) {
  for (int i = 0; i < 8; ++i)
    q.push(i + 1);
}
int restoreRoomy(std::thread &background) {
  auto spans = std::make_shared<SpanQueue>();
  spans->set_capacity(8);
  background = std::thread([spans] {
    scatterRoomy(*spans);
    spans->push(0);
  });
  for (;;) {
    int span = 0;
    spans->pop(span);
    if (span == 0)
      break;
    return span;
  }
  return 0;
}

// Negative: never bounded, a TBB queue's push does not wait.
void scatterUnbounded(SpanQueue &q) {
  for (int i = 0; i < 8; ++i)
    q.push(i + 1);
}
int restoreUnbounded(std::thread &background) {
  auto spans = std::make_shared<SpanQueue>();
  background = std::thread([spans] { scatterUnbounded(*spans); });
  int span = 0;
  spans->pop(span);
  return span;
}

// Negative: the reader's loop comes round again on `continue`: it may
// take every span.
void scatterAll(SpanQueue &q) {
  for (int i = 0; i < 8; ++i)
    q.push(i + 1);
}
int restoreAll(std::thread &background) {
  auto spans = std::make_shared<SpanQueue>();
  spans->set_capacity(6);
  background = std::thread([spans] { scatterAll(*spans); });
  int sum = 0;
  for (;;) {
    int span = 0;
    spans->pop(span);
    sum += span;
    if (!use(span))
      continue;
    return sum;
  }
}

// Negative: the capacity is set twice, to different values: unknown.
void scatterResized(SpanQueue &q) {
  for (int i = 0; i < 8; ++i)
    q.push(i + 1);
}
int restoreResized(std::thread &background, bool big) {
  auto spans = std::make_shared<SpanQueue>();
  spans->set_capacity(6);
  if (big)
    spans->set_capacity(64);
  background = std::thread([spans] { scatterResized(*spans); });
  int span = 0;
  spans->pop(span);
  return span;
}

// Negative: a fixed number of receives expects as many sends, which a loop
// over a container (of unknown length to us) may well make.
int sumThree(const std::vector<int> &items) {
  auto ch = std::make_shared<IntChan>();
  fibers::fiber([ch, &items] {
    for (int x : items)
      ch->push(x);
  }).detach();
  int sum = 0;
  for (int i = 0; i < 3; ++i) {
    int v;
    ch->pop(v);
    sum += v;
  }
  return sum;
}

// Counted on both sides: three receives, four sends.
void sendFour(std::shared_ptr<IntChan> ch) {
  for (int i = 0; i < 4; ++i)
    ch->push(i);
  // CHECK: :[[@LINE-1]]:5: warning: a send on 'ch' may wait forever: one run of the code that reaches 'ch' can send to it 4 times, and at most 3 receives take from it [threadleak-blocked-forever]
}
int takeThree() {
  auto ch = std::make_shared<IntChan>();
  // CHECK: :[[@LINE-1]]:13: note: 'ch' is created here
  fibers::fiber(sendFour, ch).detach();
  // CHECK: :[[@LINE-1]]:3: note: handed to 'sendFour' here
  int sum = 0;
  for (int i = 0; i < 3; ++i) {
    int v;
    ch->pop(v);
    // CHECK: :[[@LINE-1]]:5: note: receives from 'ch' here
    sum += v;
  }
  return sum;
}

// Negative: a send that races a receive another coroutine completes (Go's
// select with a partner on one case).
asio::awaitable<void> sendOrReceive(asio::any_io_executor ex) {
  auto a = std::make_shared<AsioChan>(ex), b = std::make_shared<AsioChan>(ex);
  asio::co_spawn(ex, [b]() -> asio::awaitable<void> {
    co_await b->async_send(error_code{}, 1, asio::use_awaitable);
  }, asio::detached);
  co_await (a->async_send(error_code{}, 0, asio::use_awaitable) ||
            b->async_receive(asio::use_awaitable));
}

// Negative: Boost.Test's macros wrap each check in `do { ... } while
// (dummy_cond())`, a function that returns false: one push, not a loop
// (Boost.Fiber's own channel tests).
namespace tt {
inline bool dummy_cond() { return false; }
} // namespace tt
#define CHECK_THAT(e)                                                          \
  do {                                                                         \
    (void)(e);                                                                 \
  } while (tt::dummy_cond())
void onePush() {
  fibers::buffered_channel<int> c(16);
  CHECK_THAT(c.push(1));
}
