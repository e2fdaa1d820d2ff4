// RUN: not %threadleak --checks='-*,threadleak-channel-recv-no-close' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-channel-recv-no-close' %s -- %stubflags | %check-all %s

// threadleak-channel-recv-no-close, the other way round: a function
// receives until a channel of its own is closed, and the only code that
// closes it is a context the function starts, which may return without
// closing it (telegraf#5612: an aggregator returns on a cancelled
// alignment without closing `aggregations`, and runAggregators' loop over
// it never ends).

#include <boost/fiber/all.hpp>
#include <memory>
#include <thread>

using Chan = boost::fibers::buffered_channel<int>;

bool cancelled();
int produce();
void consume(int);
void register_queue(Chan &);

// Reported: the producer returns early on a cancellation without closing.
void pump() {
  Chan out{8};
  std::thread producer([&out] {
    if (cancelled())
      return;
    for (int I = 0; I < 3; ++I)
      out.push(produce());
    out.close();
  });
  int V;
  while (out.pop(V) == boost::fibers::channel_op_status::success)
    // CHECK: :[[@LINE-1]]:14: warning: 'pump' may block here forever: it receives until 'out' is closed, and the thread that closes it may return without closing it [threadleak-channel-recv-no-close]
    // CHECK: :[[@LINE-10]]:15: note: thread started here
    // CHECK: :[[@LINE-9]]:7: note: the thread returns here without closing 'out'
    // CHECK: :[[@LINE-13]]:8: note: channel 'out' created here
    consume(V);
  producer.join();
}

// Silent: the fix closes on the early path too.
void pumpFixed() {
  Chan out{8};
  std::thread producer([&out] {
    if (cancelled()) {
      out.close();
      return;
    }
    for (int I = 0; I < 3; ++I)
      out.push(produce());
    out.close();
  });
  int V;
  while (out.pop(V) == boost::fibers::channel_op_status::success)
    consume(V);
  producer.join();
}

// Silent: the function itself closes the channel once the producer is done.
void pumpOwnerCloses() {
  Chan out{8};
  std::thread producer([&out] {
    if (cancelled())
      return;
    out.push(produce());
    out.close();
  });
  std::thread closer([&] {
    producer.join();
    out.close();
  });
  int V;
  while (out.pop(V) == boost::fibers::channel_op_status::success)
    consume(V);
  closer.join();
}

// Silent: the channel is handed to code this unit cannot read, which may
// close it.
void pumpRegistered() {
  Chan out{8};
  register_queue(out);
  std::thread producer([&out] {
    if (cancelled())
      return;
    out.push(produce());
    out.close();
  });
  int V;
  while (out.pop(V) == boost::fibers::channel_op_status::success)
    consume(V);
  producer.join();
}

// Silent: a single receive, not a loop until closed: a send releases it.
void single() {
  Chan out{8};
  std::thread producer([&out] {
    if (cancelled())
      return;
    out.push(produce());
    out.close();
  });
  int V;
  out.pop(V);
  producer.join();
}

// Silent: the producer's only way out without the close is an exception,
// which ends the process (std::terminate) rather than leaving the loop
// waiting.
void pumpThrows() {
  Chan out{8};
  std::thread producer([&out] {
    if (cancelled())
      throw 1;
    out.push(produce());
    out.close();
  });
  int V;
  while (out.pop(V) == boost::fibers::channel_op_status::success)
    consume(V);
  producer.join();
}
