// Port: nats-io/nats.go#172 ("Fixed leak of async subscription delivery routine on connection close")
//   An asynchronous subscription (Conn.Subscribe(subject, cb)) gets its own
//   delivery routine, waitForMsgs(), started by subscribe(). The readLoop
//   appends incoming messages to the subscription's pending list (pHead/
//   pTail) and signals the subscription's sync.Cond, pCond; waitForMsgs()
//   waits on pCond while the list is empty and the subscription is not
//   closed, and calls the handler for each message. Unsubscribe() (through
//   removeSub()) marks the subscription closed and signals pCond, so the
//   routine exits. Conn.Close() also marks every subscription closed
//   ("for signaling to waitForMsgs") but never signals pCond: a delivery
//   routine parked on an empty list sleeps forever, one leaked goroutine per
//   async subscription of every closed connection.
// Style: (d) standard library only (std::thread for the readLoop and the
//   delivery routine, std::mutex + std::condition_variable for the
//   subscription's mu/pCond, a std::deque for the pending list; the test's
//   goroutine-count check becomes a join of the delivery thread)
// Bug class: wait with no wake-up: the closer sets the exit condition but
//   does not notify the condition variable the waiter sleeps on
// Shape: main subscribes to "updates" and the readLoop delivers three
//   messages; the delivery routine handles them and parks on pCond with an
//   empty list. 100 ms later main closes the connection: the subscription is
//   marked closed, nobody notifies pCond, and main's join of the delivery
//   routine never returns.
// Fix: close() signals pCond of every async subscription after marking it
//   closed (`if s.typ == AsyncSubscription && s.pCond != nil {
//   s.pCond.Signal() }`), so waitForMsgs() sees `closed` and exits.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

using namespace std::chrono_literals;

enum SubscriptionType { AsyncSubscription, SyncSubscription };
enum Status { CONNECTED, CLOSED };

struct Msg {
  std::string Subject;
  std::string Data;
};
using MsgHandler = std::function<void(const Msg &)>;

struct Subscription {
  std::mutex mu;
  int64_t sid = 0;
  std::string Subject;
  SubscriptionType typ = AsyncSubscription;
  MsgHandler mcb;

  // the pending list, filled by the readLoop, drained by waitForMsgs()
  std::deque<Msg> pending; // pHead/pTail
  std::condition_variable pCond;
  bool closed = false;
  bool connClosed = false;
  uint64_t delivered = 0;

  std::thread dispatcher; // `go nc.waitForMsgs(sub)`
};

class Conn {
public:
  std::shared_ptr<Subscription> Subscribe(const std::string &subj, MsgHandler cb) {
    auto sub = std::make_shared<Subscription>();
    sub->Subject = subj;
    sub->mcb = std::move(cb);
    std::lock_guard lk(mu);
    sub->sid = ++ssid;
    subs[sub->sid] = sub;
    sub->dispatcher = std::thread([this, sub] { waitForMsgs(sub); });
    return sub;
  }

  // processMsg is called by the readLoop for each MSG from the server.
  void processMsg(int64_t sid, const std::string &subject, const std::string &data) {
    std::shared_ptr<Subscription> sub;
    {
      std::lock_guard lk(mu);
      auto it = subs.find(sid);
      if (it == subs.end())
        return;
      sub = it->second;
    }
    std::lock_guard lk(sub->mu);
    if (sub->closed)
      return;
    sub->pending.push_back({subject, data});
    sub->pCond.notify_one(); // sub.pCond.Signal()
  }

  // Close closes the connection: the subscriptions are invalidated.
  void Close() {
    std::lock_guard lk(mu);
    status = CLOSED;
    for (auto &[sid, s] : subs) {
      std::lock_guard slk(s->mu);
      // Mark as invalid, for signaling to waitForMsgs
      s->closed = true;
      // Mark connection closed in subscription
      s->connClosed = true;
    }
    subs.clear();
  }

private:
  // waitForMsgs waits on the conditional shared with readLoop and processMsg.
  void waitForMsgs(std::shared_ptr<Subscription> s) {
    for (;;) {
      std::unique_lock lk(s->mu);
      while (s->pending.empty() && !s->closed)
        s->pCond.wait(lk); // LEAK
      if (s->closed)
        return;
      Msg m = s->pending.front();
      s->pending.pop_front();
      s->delivered++;
      MsgHandler mcb = s->mcb;
      lk.unlock();
      mcb(m); // deliver the message
    }
  }

  std::mutex mu;
  Status status = CONNECTED;
  int64_t ssid = 0;
  std::map<int64_t, std::shared_ptr<Subscription>> subs;
};

int main() {
  Conn nc;
  std::shared_ptr<Subscription> sub =
      nc.Subscribe("updates", [](const Msg &m) { std::printf("received %s: %s\n", m.Subject.c_str(), m.Data.c_str()); });

  std::thread readLoop([&] { // the server sends three messages
    for (int i = 1; i <= 3; i++) {
      nc.processMsg(sub->sid, "updates", "update #" + std::to_string(i));
      std::this_thread::sleep_for(10ms);
    }
  });
  readLoop.join();

  std::this_thread::sleep_for(100ms); // the delivery routine is parked on pCond
  nc.Close();

  sub->dispatcher.join(); // the test's check that the delivery routine exited
  std::printf("delivery routine exited after %llu messages\n", (unsigned long long)sub->delivered);
  return 0;
}
