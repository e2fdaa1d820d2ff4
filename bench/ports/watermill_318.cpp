// Port: ThreeDotsLabs/watermill#318 ("Fix deadlock in GoChannel")
//   GoChannel is watermill's in-process Pub/Sub. Subscribe() takes closedLock
//   to check `closed` and to register the subscription in subscribersWg
//   (Close() waits for that group under the same lock), then releases it
//   and starts the subscriber's goroutines. When the Pub/Sub is already
//   closed, Subscribe() returned the "Pub/Sub closed" error straight from
//   inside the locked region, leaving closedLock locked for good: every later
//   Subscribe(), Publish() or Close() on that GoChannel blocks on it (issue
//   #317: subscribing twice to a closed GoChannel deadlocks).
// Style: (c) gochan.h (go::Mutex for closedLock and subscribersLock, go::WaitGroup subscribersWg, go::chan for the closing channel and the subscribers' output channels, go::Context, go::select, go::spawn), watermill's GoChannel/subscriber reduced
// Bug class: lock not released on an early-return error path
// Shape: an "orders" handler subscribes and consumes one message; after
//   50 ms the service shuts the Pub/Sub down with Close(). Two handlers the
//   router starts late then subscribe: the first gets "Pub/Sub closed" and
//   returns with closedLock still locked, the second blocks forever in
//   Subscribe()'s closedLock.lock(), and main's wait for the handlers hangs.
// Fix: the closed branch unlocks closedLock before returning the error.
#include "gochan.h"

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

using go::unit;

struct Message {
  std::string uuid;
  std::string payload;
};
using MessagePtr = std::shared_ptr<Message>;
using Error = const char *; // nullptr is nil

struct subscriber {
  go::Context ctx;
  go::chan<MessagePtr> outputChannel{16};
  go::Mutex sending;
  bool closed = false;
  void Close() {
    sending.lock();
    if (!closed) {
      closed = true;
      outputChannel.close();
    }
    sending.unlock();
  }
  void sendMessageToSubscriber(const MessagePtr &msg) {
    sending.lock();
    if (!closed)
      outputChannel.send(msg);
    sending.unlock();
  }
};

class GoChannel {
  go::Mutex subscribersLock;
  std::map<std::string, std::vector<std::shared_ptr<subscriber>>> subscribers;
  go::WaitGroup subscribersWg;
  go::chan<unit> closing{0};
  go::Mutex closedLock;
  bool closed = false;

public:
  Error Publish(const std::string &topic, const MessagePtr &msg) {
    closedLock.lock();
    bool isClosed = closed;
    closedLock.unlock();
    if (isClosed)
      return "Pub/Sub closed";
    subscribersLock.lock();
    auto subs = subscribers[topic];
    subscribersLock.unlock();
    for (auto &s : subs)
      s->sendMessageToSubscriber(msg);
    return nullptr;
  }

  Error Subscribe(go::Context ctx, const std::string &topic, go::chan<MessagePtr> *out) {
    closedLock.lock(); // LEAK: a previous Subscribe() on the closed Pub/Sub returned without unlocking

    if (closed) {
      return "Pub/Sub closed";
    }

    subscribersWg.add(1);
    closedLock.unlock();

    subscribersLock.lock();
    auto s = std::make_shared<subscriber>();
    s->ctx = ctx;
    subscribers[topic].push_back(s);
    subscribersLock.unlock();

    go::chan<unit> closingCh = closing;
    go::spawn([this, s, topic, closingCh] {
      unit u;
      go::select(go::case_recv(s->ctx.done(), &u), go::case_recv(closingCh, &u));
      s->Close();
      subscribersLock.lock();
      auto &v = subscribers[topic];
      for (auto it = v.begin(); it != v.end(); ++it)
        if (*it == s) {
          v.erase(it);
          break;
        }
      subscribersLock.unlock();
      subscribersWg.done();
    });
    *out = s->outputChannel;
    return nullptr;
  }

  Error Close() {
    closedLock.lock();
    if (closed) {
      closedLock.unlock();
      return nullptr;
    }
    closed = true;
    closing.close();
    std::printf("Closing Pub/Sub, waiting for subscribers\n");
    subscribersWg.wait();
    std::printf("Pub/Sub closed\n");
    closedLock.unlock();
    return nullptr;
  }
};

int main() {
  GoChannel pubSub;
  go::Context ctx = go::background();
  go::WaitGroup handlers;

  // The "orders" handler: subscribe and consume until the channel closes.
  go::chan<MessagePtr> orders;
  pubSub.Subscribe(ctx, "orders", &orders);
  handlers.add(1);
  go::spawn([&handlers, orders] {
    for (MessagePtr m : orders)
      std::printf("orders handler got %s: %s\n", m->uuid.c_str(), m->payload.c_str());
    handlers.done();
  });
  pubSub.Publish("orders", std::make_shared<Message>(Message{"0a1b", "order placed"}));

  go::sleep_ms(50);
  pubSub.Close(); // shutdown signal

  // Handlers the router starts late subscribe to the closed Pub/Sub.
  for (const char *topic : {"payments", "audit"}) {
    go::sleep_ms(100);
    handlers.add(1);
    go::spawn([&pubSub, &handlers, ctx, topic] {
      go::chan<MessagePtr> ch;
      Error err = pubSub.Subscribe(ctx, topic, &ch);
      std::printf("subscribe %s: %s\n", topic, err ? err : "ok");
      handlers.done();
    });
  }

  handlers.wait();
  go::wait_all_goroutines();
  std::printf("done\n");
  return 0;
}
