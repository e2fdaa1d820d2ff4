// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// threadleak-blocked-forever, a range-for over a channel: the loop blocks
// as the same loop written with a receive in its condition does, and is
// judged the same way.

#include <boost/fiber/all.hpp>
#include <memory>
#include <mutex>
#include <thread>

using boost::fibers::channel_op_status;
using Chan = boost::fibers::buffered_channel<int>;
void handle(int);

// The consumer holds mu_ across its loop; the producer and the closer
// need mu_ first. Written with pop() in the condition, and as a range-for.
class PopConsumer {
public:
  void consume() {
    std::lock_guard<std::mutex> g(mu_);
    int v;
    while (ch_.pop(v) == channel_op_status::success)
    // CHECK: :[[@LINE-1]]:12: warning: a receive from 'ch_' waits while holding 'mu_', and every operation that could complete it needs 'mu_' first: both sides wait forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-4]]:33: note: 'mu_' is acquired here
    // CHECK: :[[@LINE+6]]:5: note: a send on 'ch_' in 'PopConsumer::produce' runs only with 'mu_' held
    // CHECK: :[[@LINE+9]]:5: note: a close of 'ch_' in 'PopConsumer::stop' runs only with 'mu_' held
      handle(v);
  }
  void produce(int v) {
    std::lock_guard<std::mutex> g(mu_);
    ch_.push(v);
  }
  void stop() {
    std::lock_guard<std::mutex> g(mu_);
    ch_.close();
  }

private:
  std::mutex mu_;
  Chan ch_{8};
};

class RangeConsumer {
public:
  void consume() {
    std::lock_guard<std::mutex> g(mu_);
    for (int v : ch_)
    // CHECK: :[[@LINE-1]]:16: warning: a receive from 'ch_' waits while holding 'mu_', and every operation that could complete it needs 'mu_' first: both sides wait forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-3]]:33: note: 'mu_' is acquired here
    // CHECK: :[[@LINE+6]]:5: note: a send on 'ch_' in 'RangeConsumer::produce' runs only with 'mu_' held
    // CHECK: :[[@LINE+9]]:5: note: a close of 'ch_' in 'RangeConsumer::stop' runs only with 'mu_' held
      handle(v);
  }
  void produce(int v) {
    std::lock_guard<std::mutex> g(mu_);
    ch_.push(v);
  }
  void stop() {
    std::lock_guard<std::mutex> g(mu_);
    ch_.close();
  }

private:
  std::mutex mu_;
  Chan ch_{8};
};

// Look-alike: the producer and the closer do not take the consumer's
// mutex.
class FreeConsumer {
public:
  void consume() {
    std::lock_guard<std::mutex> g(mu_);
    for (int v : ch_)
      handle(v);
  }
  void produce(int v) { ch_.push(v); }
  void stop() { ch_.close(); }

private:
  std::mutex mu_;
  Chan ch_{8};
};

template <typename C> void run() {
  auto c = std::make_shared<C>();
  std::thread consumer([c] { c->consume(); });
  std::thread producer([c] {
    c->produce(1);
    c->stop();
  });
  consumer.join();
  producer.join();
}

void runAll() {
  run<PopConsumer>();
  run<RangeConsumer>();
  run<FreeConsumer>();
}
