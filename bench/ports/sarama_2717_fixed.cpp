// Port: IBM/sarama#2717 ("fix: prevent ConsumerGroup.Close infinitely locking")
//   consumerGroup.Consume() takes c.lock for the whole life of a session: it
//   joins the group, builds a consumerGroupSession and then waits for the
//   session's context, `<-sess.ctx.Done()`, before releasing the session and
//   the lock. The session context is cancelled by the parent context, by a
//   rebalance seen by the heartbeat loop, or by the first ConsumeClaim()
//   goroutine that exits (each claim is closed when c.closed is). A member
//   that was assigned no partition (two consumers, one partition) has no
//   claim goroutine at all, so Close() closing c.closed reaches nothing that
//   cancels the session: Consume() keeps waiting while holding c.lock, and
//   Close() blocks in leave(), which needs c.lock to send LeaveGroup.
// Style: (c) gochan.h (go::Mutex for c.lock, go::chan closed channels for c.closed/hbDying/hbDead, go::with_cancel for the session context, go::select with go::after in the heartbeat loop, go::WaitGroup for the claim goroutines, go::spawn), sarama's types reduced: consumerGroup, consumerGroupSession, ConsumerGroupHandler
// Bug class: lock held while blocking on a channel receive; the closer (Close -> leave) needs the same lock
// Shape: the group's only partition is assigned to the other member; the
//   application's consume loop calls Consume() with context.Background(),
//   which waits on the session context holding c.lock. After 200 ms main
//   calls Close(): c.closed is closed, leave() waits for c.lock, and the
//   session context is never cancelled, so Consume() waits forever.
// Fix: Consume() waits with `select { case <-c.closed: case <-sess.ctx.Done(): }`,
//   so Close() wakes it; it releases the session and c.lock, and leave() runs.
#include "gochan.h"

#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

using go::unit;
using Error = const char *; // nullptr is nil
static const Error ErrClosedConsumerGroup = "kafka: tried to use a consumer group that was closed";

struct consumerGroupSession;

struct ConsumerGroupHandler {
  virtual ~ConsumerGroupHandler() = default;
  virtual Error Setup(consumerGroupSession &) = 0;
  virtual Error Cleanup(consumerGroupSession &) = 0;
  virtual Error ConsumeClaim(consumerGroupSession &, const std::string &topic, int partition) = 0;
};

struct consumerGroup;

struct consumerGroupSession {
  consumerGroup *parent;
  std::string memberID;
  ConsumerGroupHandler *handler;
  std::map<std::string, std::vector<int>> claims;
  go::Context ctx;
  std::function<void()> cancel;
  go::WaitGroup waitGroup;
  std::once_flag releaseOnce;
  go::chan<unit> hbDying{0}, hbDead{0};

  void heartbeatLoop() {
    for (;;) {
      // heartbeatRequest(coordinator, memberID, generationID): ErrNoError
      go::chan<unit> pause = go::after(std::chrono::milliseconds(50));
      unit u;
      int i = go::select(go::case_recv(pause, &u), go::case_recv(hbDying, &u));
      if (i == 1)
        break;
    }
    cancel(); // trigger the end of the session on exit
    hbDead.close();
  }

  Error release(bool withCleanup) {
    cancel();
    waitGroup.wait(); // wait for the ConsumeClaim goroutines
    std::call_once(releaseOnce, [&] {
      if (withCleanup)
        handler->Cleanup(*this);
      hbDying.close();
      hbDead.recv();
    });
    std::printf("consumergroup/session/%s released\n", memberID.c_str());
    return nullptr;
  }
};

struct consumerGroup {
  std::string groupID = "my-group";
  std::string memberID;
  go::Mutex lock;
  go::chan<unit> closed{0};
  std::once_flag closeOnce;

  // JoinGroup + SyncGroup: the topic has one partition, and the leader gave
  // it to the other member.
  std::shared_ptr<consumerGroupSession> newSession(const std::vector<std::string> &, ConsumerGroupHandler *handler) {
    memberID = "sarama-member-2";
    std::map<std::string, std::vector<int>> claims; // nothing for us
    auto sess = std::make_shared<consumerGroupSession>();
    sess->parent = this;
    sess->memberID = memberID;
    sess->handler = handler;
    sess->claims = claims;
    auto [ctx, cancel] = go::with_cancel(); // context.WithCancel(context.Background())
    sess->ctx = ctx;
    sess->cancel = cancel;
    go::spawn([sess] { sess->heartbeatLoop(); });
    handler->Setup(*sess);
    for (auto &[topic, partitions] : sess->claims) {
      for (int partition : partitions) {
        sess->waitGroup.add(1);
        go::spawn([sess, topic, partition] {
          sess->handler->ConsumeClaim(*sess, topic, partition);
          sess->cancel(); // the first claim goroutine to exit ends the session
          sess->waitGroup.done();
        });
      }
    }
    return sess;
  }

  Error Consume(const std::vector<std::string> &topics, ConsumerGroupHandler *handler) {
    unit u;
    if (go::select(go::case_recv(closed, &u), go::case_default()) == 0)
      return ErrClosedConsumerGroup;

    lock.lock();
    auto sess = newSession(topics, handler);
    std::printf("joined %s as %s with %zu claim(s)\n", groupID.c_str(), memberID.c_str(), sess->claims.size());

    // Wait for session exit signal or Close() call
    go::select(go::case_recv(closed, &u), go::case_recv(sess->ctx.done(), &u));

    Error err = sess->release(true);
    lock.unlock();
    return err;
  }

  Error leave() {
    lock.lock();
    if (!memberID.empty()) {
      std::printf("LeaveGroup %s\n", memberID.c_str());
      memberID.clear();
    }
    lock.unlock();
    return nullptr;
  }

  Error Close() {
    Error err = nullptr;
    std::call_once(closeOnce, [&] {
      closed.close();
      err = leave();
    });
    return err;
  }
};

struct exampleConsumerGroupHandler : ConsumerGroupHandler {
  Error Setup(consumerGroupSession &) override { return nullptr; }
  Error Cleanup(consumerGroupSession &) override { return nullptr; }
  Error ConsumeClaim(consumerGroupSession &, const std::string &, int) override { return nullptr; }
};

int main() {
  consumerGroup group;
  exampleConsumerGroupHandler handler;

  go::spawn([&] {
    for (;;) {
      Error err = group.Consume({"my-topic"}, &handler);
      if (err == ErrClosedConsumerGroup)
        return;
    }
  });

  go::sleep_ms(200);
  group.Close();
  go::wait_all_goroutines();
  std::printf("done\n");
  return 0;
}
