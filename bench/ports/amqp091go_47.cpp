// Port: rabbitmq/amqp091-go#47 ("Fix deadlock on DeferredConfirmations")
//   (fixes rabbitmq/amqp091-go#46, "Possible deadlock on
//   DeferredConfirmation.Wait()".) In confirm mode, PublishWithDeferredConfirm()
//   registers a DeferredConfirmation for the publishing's delivery tag; its
//   Wait() waits on a sync.WaitGroup counted to one, which is counted down
//   only when the connection's reader goroutine dispatches a basic.ack/nack
//   for that tag. When the connection breaks first, the reader shuts the
//   channel down: Channel.shutdown() calls confirms.Close(), which closes the
//   NotifyPublish listeners but leaves the pending DeferredConfirmations
//   untouched, so a publisher in dc.Wait() waits forever.
// Style: (c) Go-style library (gochan.h: go::chan for the socket frames and
//   the NotifyClose/NotifyPublish listeners, go::WaitGroup inside
//   DeferredConfirmation, go::Mutex for the confirms' mutexes, go::spawn for
//   the reader, the publisher and the broker, go::wait_all_goroutines as goleak)
// Bug class: a WaitGroup used as a one-shot latch that the shutdown path
//   never counts down (wait for an event that can no longer happen)
// Shape: in confirm mode the publisher publishes three messages with
//   deferred confirms; the broker acks two (10 ms each) and the TCP
//   connection is reset 30 ms later. The reader shuts down and main gets the
//   NotifyClose error, but the publisher blocks in the third dc.Wait()
//   forever and main's goleak check hangs.
// Fix: deferredConfirmations gets a Close() that nacks every pending
//   DeferredConfirmation (sets Ack=false and calls wg.Done()), and
//   confirms.Close() calls it, so Wait() returns false after a shutdown.
#include "gochan.h"

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

using error = std::string; // "" is nil
const error ErrClosed = "Exception (504) Reason: \"channel/connection is not open\"";

struct Confirmation { uint64_t DeliveryTag = 0; bool Ack = false; };

// DeferredConfirmation represents a future publisher confirm for a message.
class DeferredConfirmation {
public:
  const uint64_t DeliveryTag;
  explicit DeferredConfirmation(uint64_t tag) : DeliveryTag(tag) { wg.add(1); }

  // Wait blocks until the publisher confirmation; true if the server received the publishing.
  bool Wait() {
    wg.wait(); // LEAK
    return confirmation.Ack;
  }

private:
  friend class deferredConfirmations;
  go::WaitGroup wg;
  Confirmation confirmation;
};

class deferredConfirmations {
  go::Mutex m;
  std::map<uint64_t, std::shared_ptr<DeferredConfirmation>> confirmations;

public:
  std::shared_ptr<DeferredConfirmation> Add(uint64_t tag) {
    std::lock_guard lk(m);
    auto dc = std::make_shared<DeferredConfirmation>(tag);
    confirmations[tag] = dc;
    return dc;
  }

  void Confirm(Confirmation confirmation) {
    std::lock_guard lk(m);
    auto it = confirmations.find(confirmation.DeliveryTag);
    if (it == confirmations.end())
      return; // a publishing sent with Publish(), not PublishWithDeferredConfirm()
    it->second->confirmation = confirmation;
    it->second->wg.done();
    confirmations.erase(it);
  }
};

// confirms resequences and notifies one or multiple publisher confirmation listeners
class confirms {
  go::Mutex m;
  std::vector<go::chan<Confirmation>> listeners;
  std::map<uint64_t, Confirmation> sequencer;
  deferredConfirmations deferred;
  go::Mutex publishedMut;
  uint64_t published = 0, expecting = 1;

  // confirm confirms one publishing, increments the expecting delivery tag
  void confirm(Confirmation confirmation) {
    sequencer.erase(expecting);
    expecting++;
    for (auto &l : listeners)
      l.send(confirmation);
    deferred.Confirm(confirmation);
  }

public:
  void Listen(go::chan<Confirmation> l) {
    std::lock_guard lk(m);
    listeners.push_back(l);
  }

  // Publish increments the publishing counter
  std::shared_ptr<DeferredConfirmation> Publish() {
    std::lock_guard lk(publishedMut);
    published++;
    return deferred.Add(published);
  }

  // One confirms one publishing and all following in the publishing sequence
  void One(Confirmation confirmed) {
    std::lock_guard lk(m);
    if (expecting != confirmed.DeliveryTag) { // out of order: resequenced later
      sequencer[confirmed.DeliveryTag] = confirmed;
      return;
    }
    confirm(confirmed);
    for (auto it = sequencer.find(expecting); it != sequencer.end(); it = sequencer.find(expecting))
      confirm(it->second);
  }

  // Close closes all listeners, discarding any out of sequence confirmations
  void Close() {
    std::lock_guard lk(m);
    for (auto &l : listeners)
      l.close();
    listeners.clear();
  }
};

struct frame {
  enum Kind { confirmSelect, confirmSelectOk, basicPublish, basicAck } kind;
  uint64_t deliveryTag = 0;
  std::string routingKey, body;
};

// channel.go + connection.go, one channel on one connection
class Connection {
public:
  Connection(go::chan<frame> in, go::chan<frame> out) : in(in), out(out) { go::spawn([this] { reader(); }); }

  go::chan<error> NotifyClose(go::chan<error> c) {
    std::lock_guard lk(m);
    closes.push_back(c);
    return c;
  }

  error Confirm() { // Channel.Confirm(noWait=false)
    out.send(frame{frame::confirmSelect});
    if (!rpc.recv())
      return ErrClosed;
    std::lock_guard lk(m);
    confirming = true;
    return "";
  }

  std::pair<std::shared_ptr<DeferredConfirmation>, error> PublishWithDeferredConfirm(const std::string &key,
                                                                                      const std::string &body) {
    std::lock_guard lk(m);
    if (closed)
      return {nullptr, ErrClosed};
    std::shared_ptr<DeferredConfirmation> dc;
    if (confirming)
      dc = confirmations.Publish();
    out.send(frame{frame::basicPublish, 0, key, body});
    return {dc, ""};
  }

private:
  // The reader goroutine: dispatch every frame read from the socket.
  void reader() {
    for (frame f : in) {
      if (f.kind == frame::basicAck)
        confirmations.One(Confirmation{f.deliveryTag, true});
      else if (f.kind == frame::confirmSelectOk)
        rpc.send(f);
    }
    shutdown("Exception (501) Reason: \"read tcp 10.0.0.7:5672: connection reset by peer\"");
  }

  // Channel.shutdown() and Connection.shutdown() for the one channel.
  void shutdown(const error &err) {
    std::lock_guard lk(m);
    closed = true;
    rpc.close();
    confirmations.Close();
    for (auto &c : closes) {
      c.send(err);
      c.close();
    }
  }

  go::chan<frame> in, out, rpc;
  go::Mutex m;
  bool closed = false, confirming = false;
  confirms confirmations;
  std::vector<go::chan<error>> closes;
};

int main() {
  go::chan<frame> toClient(8), toBroker(8);

  // The broker: acks the first two publishings; the TCP connection is reset
  // before the third is confirmed.
  go::spawn([toClient, toBroker] {
    uint64_t tag = 0;
    for (frame f : toBroker) {
      if (f.kind == frame::confirmSelect)
        toClient.send(frame{frame::confirmSelectOk});
      else if (++tag <= 2)
        go::sleep_ms(10), toClient.send(frame{frame::basicAck, tag});
      else
        return go::sleep_ms(30), toClient.close(); // RST
    }
  });

  Connection conn(toClient, toBroker);
  go::chan<error> closed = conn.NotifyClose(go::chan<error>(1));
  if (error err = conn.Confirm(); !err.empty())
    return 1;

  // The publisher (an output worker): publish a batch, then wait for each confirm.
  go::spawn([&conn] {
    std::vector<std::shared_ptr<DeferredConfirmation>> batch;
    for (const char *body : {"order-1", "order-2", "order-3"})
      if (auto [dc, err] = conn.PublishWithDeferredConfirm("orders", body); err.empty())
        batch.push_back(dc);
    for (auto &dc : batch)
      std::printf("publishing %llu: %s\n", (unsigned long long)dc->DeliveryTag, dc->Wait() ? "ack" : "nack, will retry");
  });

  if (auto err = closed.recv())
    std::printf("connection closed: %s\n", err->c_str());
  go::wait_all_goroutines();
  std::printf("done\n");
  return 0;
}
