// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// A wait whose only partner may give up (a receive with a timeout, one
// given a stop token that something stops, a poll) and moves on when it
// does: the wait has nobody left. Go's commonest leak, the sender of a
// result nobody waits for after a timeout.

#include <boost/fiber/all.hpp>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

using namespace std::chrono_literals;

// A channel the project writes: send() hands its item to a receiver (it
// waits until the item is taken).
template <typename T> class Rendezvous {
public:
  void send(T v) {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return !slot_; });
    slot_ = std::move(v);
    cv_.notify_all();
    cv_.wait(lk, [this] { return !slot_; });
  }
  bool try_send(T v) {
    std::unique_lock<std::mutex> lk(m_);
    if (waiting_ == 0 || slot_)
      return false;
    slot_ = std::move(v);
    cv_.notify_all();
    return true;
  }
  T recv() {
    std::unique_lock<std::mutex> lk(m_);
    ++waiting_;
    cv_.wait(lk, [this] { return slot_.has_value(); });
    --waiting_;
    T v = std::move(*slot_);
    slot_.reset();
    cv_.notify_all();
    return v;
  }
  std::optional<T> recv_for(std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lk(m_);
    if (!cv_.wait_for(lk, d, [this] { return slot_.has_value(); }))
      return std::nullopt;
    std::optional<T> v = std::move(slot_);
    slot_.reset();
    cv_.notify_all();
    return v;
  }
  std::optional<T> recv(std::stop_token st) {
    std::unique_lock<std::mutex> lk(m_);
    if (!cv_.wait(lk, st, [this] { return slot_.has_value(); }))
      return std::nullopt;
    std::optional<T> v = std::move(slot_);
    slot_.reset();
    cv_.notify_all();
    return v;
  }
  // The fix's send: gives up too once the stop token is stopped.
  bool send(T v, std::stop_token st) {
    std::unique_lock<std::mutex> lk(m_);
    if (!cv_.wait(lk, st, [this] { return !slot_; }))
      return false;
    slot_ = std::move(v);
    cv_.notify_all();
    return cv_.wait(lk, st, [this] { return !slot_; });
  }

private:
  std::mutex m_;
  std::condition_variable_any cv_;
  std::optional<T> slot_;
  int waiting_ = 0;
};

std::string compute();
void log(const char *);

// Positive: the caller gives up after a timeout; the thread's send waits
// for a receiver forever.
std::string fetchTimeout() {
  auto ch = std::make_shared<Rendezvous<std::string>>();
  std::thread([ch] { ch->send(compute()); }).detach();
  std::optional<std::string> r = ch->recv_for(100ms);
  if (!r)
    return "timeout";
  return *r;
  // CHECK: :[[@LINE-5]]:22: warning: a send on 'ch' may wait forever: its only receiver may give up first, and nothing else receives from it or closes it [threadleak-blocked-forever]
  // CHECK: :[[@LINE-5]]:34: note: the only receiver of 'ch', in 'fetchTimeout', gives up when its time is up, and then goes on without it
  // CHECK: :25:8: note: 'Rendezvous' is read as a channel: 'send' waits for the slot, puts an item, then waits until it is taken
}

// Positive: the consumer leaves its loop once the stop is requested; the
// producer, which checks the stop only between sends, waits in its send.
void pipeline() {
  Rendezvous<int> events;
  std::stop_source stopper;
  std::thread producer([&events, st = stopper.get_token()] {
    while (!st.stop_requested())
      events.send(1);
  });
  std::thread consumer([&events, st = stopper.get_token()] {
    while (auto e = events.recv(st))
      log("event");
  });
  std::this_thread::sleep_for(10ms);
  stopper.request_stop();
  // CHECK: :[[@LINE-8]]:7: warning: a send on 'events' may wait forever: its only receiver may give up first, and nothing else receives from it or closes it [threadleak-blocked-forever]
  // CHECK: :[[@LINE-6]]:21: note: the only receiver of 'events', in the lambda, gives up once its stop token is stopped, and its loop then ends
  // CHECK: :[[@LINE-3]]:3: note: a stop is requested here, and nothing orders it after this send
  // CHECK: :25:8: note: 'Rendezvous' is read as a channel: 'send' waits for the slot, puts an item, then waits until it is taken
  consumer.join();
  producer.join();
}

// Positive: the only sender hands its item over only if the receiver is
// already waiting; the receiver started just before may not be.
void handOff() {
  Rendezvous<int> ch;
  std::thread t([&ch] { log(ch.recv() ? "one" : "zero"); });
  if (!ch.try_send(1))
    log("nobody waiting");
  t.join();
  // CHECK: :[[@LINE-4]]:29: warning: a receive from 'ch' may wait forever: its only sender may give up first, and nothing else sends to it or closes it [threadleak-blocked-forever]
  // CHECK: :[[@LINE-4]]:8: note: the only sender of 'ch', in 'handOff', hands its item over only if a receiver is waiting, and then goes on without it
  // CHECK: :40:5: note: 'Rendezvous' is read as a channel: 'recv' waits for an item and takes it
}

//===-- Look-alikes that are fine ---------------------------------------===//

// A one-slot buffer (Go's fix, `make(chan T, 1)`): the send does not wait
// for the item to be taken.
template <typename T> class Slot {
public:
  void send(T v) {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return !slot_; });
    slot_ = std::move(v);
    cv_.notify_all();
  }
  bool try_send(T v) {
    std::unique_lock<std::mutex> lk(m_);
    if (slot_)
      return false;
    slot_ = std::move(v);
    cv_.notify_all();
    return true;
  }
  T recv() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return slot_.has_value(); });
    T v = std::move(*slot_);
    slot_.reset();
    cv_.notify_all();
    return v;
  }
  std::optional<T> recv_for(std::chrono::milliseconds d) {
    std::unique_lock<std::mutex> lk(m_);
    if (!cv_.wait_for(lk, d, [this] { return slot_.has_value(); }))
      return std::nullopt;
    std::optional<T> v = std::move(slot_);
    slot_.reset();
    cv_.notify_all();
    return v;
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  std::optional<T> slot_;
};
std::string fetchBuffered() {
  auto ch = std::make_shared<Slot<std::string>>();
  std::thread([ch] { ch->send(compute()); }).detach();
  std::optional<std::string> r = ch->recv_for(100ms);
  return r ? *r : "timeout";
}

// The try-send finds the empty slot whether or not the receiver waits yet.
void handOffBuffered() {
  Slot<int> ch;
  std::thread t([&ch] { log(ch.recv() ? "one" : "zero"); });
  if (!ch.try_send(1))
    log("full");
  t.join();
}

// The receive is tried again until it succeeds.
std::string fetchRetrying() {
  auto ch = std::make_shared<Rendezvous<std::string>>();
  std::thread([ch] { ch->send(compute()); }).detach();
  std::optional<std::string> r;
  while (!(r = ch->recv_for(100ms)))
    log("still waiting");
  return *r;
}

// On a timeout a drainer takes the late result: a receive that waits.
std::string fetchDrained() {
  auto ch = std::make_shared<Rendezvous<std::string>>();
  std::thread([ch] { ch->send(compute()); }).detach();
  std::optional<std::string> r = ch->recv_for(100ms);
  if (!r) {
    std::thread([ch] { ch->recv(); }).detach();
    return "timeout";
  }
  return *r;
}

// The stop comes only after the producer's last send.
void pipelineDrained() {
  Rendezvous<int> events;
  std::stop_source stopper;
  std::thread consumer([&events, st = stopper.get_token()] {
    while (auto e = events.recv(st))
      log("event");
  });
  for (int i = 0; i < 3; ++i)
    events.send(i);
  stopper.request_stop();
  consumer.join();
}

// The producer is joined before the stop.
void pipelineJoined() {
  Rendezvous<int> events;
  std::stop_source stopper;
  std::thread producer([&events] {
    for (int i = 0; i < 3; ++i)
      events.send(i);
  });
  std::thread consumer([&events, st = stopper.get_token()] {
    while (auto e = events.recv(st))
      log("event");
  });
  producer.join();
  stopper.request_stop();
  consumer.join();
}

// Nothing requests a stop: the token's receive waits like recv().
void pipelineNeverStopped(std::stop_source &stopper) {
  Rendezvous<int> events;
  std::thread consumer([&events, st = stopper.get_token()] {
    while (auto e = events.recv(st))
      log("event");
  });
  for (int i = 0; i < 3; ++i)
    events.send(i);
  consumer.join();
}

// The fix: the producer's send watches the stop too.
void pipelineFixed() {
  Rendezvous<int> events;
  std::stop_source stopper;
  std::thread producer([&events, st = stopper.get_token()] {
    while (!st.stop_requested())
      if (!events.send(1, st))
        return;
  });
  std::thread consumer([&events, st = stopper.get_token()] {
    while (auto e = events.recv(st))
      log("event");
  });
  std::this_thread::sleep_for(10ms);
  stopper.request_stop();
  consumer.join();
  producer.join();
}

// A poll in a loop that goes on.
void polling(std::stop_token st) {
  auto ch = std::make_shared<Rendezvous<int>>();
  std::thread([ch] { ch->send(1); }).detach();
  for (;;) {
    if (auto v = ch->recv_for(1ms))
      return;
    log("nothing yet");
  }
}

// A test that expects the timed receive to succeed (the result goes to an
// assertion's macro, no branch of the code's own): the give-up is not a
// path it takes on purpose.
void expect(bool ok, const char *what);
#define EXPECT_TRUE(x) expect(static_cast<bool>(x), #x)
void testRecvFor() {
  auto ch = std::make_shared<Rendezvous<int>>();
  std::thread t([ch] { ch->send(1); });
  EXPECT_TRUE(ch->recv_for(1000ms));
  t.join();
}

// A library channel's send in a fiber the giving-up code starts:
// threadleak-channel-send-no-receiver reports it (its spawner may not
// receive), not this check.
int fetchFiber() {
  auto ch = std::make_shared<boost::fibers::unbuffered_channel<int>>();
  boost::fibers::fiber([ch] { ch->push(1); }).detach();
  int v = 0;
  if (ch->pop_wait_for(v, 100ms) != boost::fibers::channel_op_status::success)
    return -1;
  return v;
}
