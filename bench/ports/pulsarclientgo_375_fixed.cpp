// Port: apache/pulsar-client-go#375 ("Fixed deadlock in DLQ ack processing")
//   A consumer with a DLQPolicy hands messages that exceeded MaxDeliveries to
//   its dlqRouter goroutine, which publishes them with the DLQ producer's
//   SendAsync() and, in the send callback, acks the original message with
//   cm.Consumer.AckID(). Send receipts are handled on the connection's run()
//   goroutine (handleSendReceipt -> partitionProducer.ReceivedSendReceipt ->
//   callbacks), and when the DLQ producer shares the consumer's connection
//   that goroutine is also the only one that drains the connection's
//   incomingRequestsCh. AckID() pushes an ackRequest on the partition
//   consumer's eventsCh (capacity 10); the consumer's events loop turns each
//   one into a CommandAck with RequestOnCnxNoWait(), a send on
//   incomingRequestsCh (capacity 10). While the application acks a burst of
//   messages, the connection goroutine sits in the callback: incomingRequestsCh
//   fills, the events loop blocks on it, eventsCh fills, and the callback's
//   own AckID() blocks on eventsCh. The connection goroutine waits for the
//   events loop, which waits for the connection goroutine.
// Style: (c) gochan.h (go::chan for the connection's incomingRequestsCh /
//   incomingCmdCh / writeRequestsCh / closeCh, the consumer's eventsCh and the
//   DLQ router's channels, go::select in the run loops, go::spawn for the
//   goroutines, go::WaitGroup for the application, go::wait_all_goroutines
//   as the leak check)
// Bug class: circular wait through two bounded channels: a callback run on
//   the goroutine that drains channel B sends on channel A, whose consumer is
//   blocked sending on B
// Shape: at 0 ms a message is routed to the DLQ; its receipt reaches the
//   connection goroutine a few ms later and the callback spends 100 ms before
//   acking (forcing: the connection goroutine stays in the callback). At
//   20 ms the application acks 30 consumed messages; 21 of them fill
//   incomingRequestsCh, the events loop and eventsCh, then the application and
//   the callback both block on eventsCh. main's wait for the application hangs.
// Fix: the DLQ callback acks in a new goroutine (`go cm.Consumer.AckID(msgID)`),
//   so the connection goroutine returns to its loop and drains
//   incomingRequestsCh; the twin spawns the ack the same way.
#include "gochan.h"

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

struct messageID {
  int64_t ledgerID = 0, entryID = 0;
};

// Wire frames between the client connection and the (fake) broker.
struct baseCommand {
  std::string type; // "SEND", "SEND_RECEIPT", "ACK", "CLOSE_CONSUMER"
  uint64_t id = 0;  // producer / consumer id
  uint64_t sequenceID = 0;
  messageID msgID;
};
using cmdPtr = std::shared_ptr<baseCommand>;

class partitionProducer;

namespace internal {
class connection {
public:
  connection(go::chan<cmdPtr> toBroker, go::chan<cmdPtr> fromBroker) : wire(toBroker), socket(fromBroker) {}

  void start() {
    go::spawn([this] { readFromConnection(); });
    go::spawn([this] { run(); });
  }

  void AddProducerHandler(uint64_t id, partitionProducer *p) {
    std::lock_guard lk(listenersLock);
    producerHandlers[id] = p;
  }
  void SendRequestNoWait(cmdPtr cmd) { incomingRequestsCh.send(cmd); }
  void WriteData(cmdPtr cmd) { writeRequestsCh.send(cmd); }
  void Close() {
    std::call_once(closeOnce, [this] { closeCh.close(); });
  }

private:
  void readFromConnection() {
    for (cmdPtr cmd : socket) // until the broker closes the socket
      incomingCmdCh.send(cmd);
  }

  void run() {
    for (;;) {
      cmdPtr req, cmd, data;
      switch (go::select(go::case_recv(closeCh), go::case_recv(incomingRequestsCh, &req),
                         go::case_recv(incomingCmdCh, &cmd), go::case_recv(writeRequestsCh, &data))) {
      case 0:
        wire.close();
        return;
      case 1:
        wire.send(req); // internalSendRequest
        break;
      case 2:
        internalReceivedCommand(cmd);
        break;
      case 3:
        wire.send(data); // internalWriteData
        break;
      }
    }
  }

  void internalReceivedCommand(cmdPtr cmd);

  go::chan<cmdPtr> wire, socket;
  go::chan<cmdPtr> incomingRequestsCh{10};
  go::chan<cmdPtr> incomingCmdCh{10};
  go::chan<cmdPtr> writeRequestsCh{10};
  go::chan<go::unit> closeCh{0};
  std::once_flag closeOnce;
  std::mutex listenersLock;
  std::map<uint64_t, partitionProducer *> producerHandlers;
};
} // namespace internal

using SendCallback = std::function<void(messageID)>;

class partitionProducer {
public:
  partitionProducer(internal::connection *cnx, uint64_t id) : cnx(cnx), producerID(id) {
    cnx->AddProducerHandler(id, this);
  }
  void SendAsync(const std::string &payload, SendCallback cb) {
    uint64_t seq;
    {
      std::lock_guard lk(mu);
      seq = ++sequenceID;
      pendingQueue[seq] = std::move(cb);
    }
    std::printf("producer %llu: sending %s\n", (unsigned long long)producerID, payload.c_str());
    cnx->WriteData(std::make_shared<baseCommand>(baseCommand{"SEND", producerID, seq, {}}));
  }
  // ReceivedSendReceipt runs on the connection goroutine.
  void ReceivedSendReceipt(cmdPtr receipt) {
    SendCallback cb;
    {
      std::lock_guard lk(mu);
      cb = std::move(pendingQueue[receipt->sequenceID]);
      pendingQueue.erase(receipt->sequenceID);
    }
    if (cb)
      cb(receipt->msgID);
  }

private:
  internal::connection *cnx;
  uint64_t producerID, sequenceID = 0;
  std::mutex mu;
  std::map<uint64_t, SendCallback> pendingQueue;
};

void internal::connection::internalReceivedCommand(cmdPtr cmd) {
  if (cmd->type == "SEND_RECEIPT") { // handleSendReceipt
    std::unique_lock lk(listenersLock);
    partitionProducer *p = producerHandlers[cmd->id];
    lk.unlock();
    if (p)
      p->ReceivedSendReceipt(cmd);
  }
}

struct consumerEvent {
  std::string kind; // "ack" | "close"
  messageID msgID;
  go::chan<go::unit> doneCh;
};

class partitionConsumer {
public:
  partitionConsumer(internal::connection *cnx, uint64_t id) : cnx(cnx), consumerID(id) {
    go::spawn([this] { runEventsLoop(); });
  }

  void AckID(messageID msgID) { // pc.eventsCh <- &ackRequest{msgID}
    eventsCh.send(std::make_shared<consumerEvent>(consumerEvent{"ack", msgID, {}}));
  }

  void Close() {
    auto req = std::make_shared<consumerEvent>(consumerEvent{"close", {}, go::chan<go::unit>()});
    eventsCh.send(req);
    req->doneCh.recv(); // wait for request to finish
  }

private:
  void runEventsLoop() {
    for (std::shared_ptr<consumerEvent> ev : eventsCh) {
      if (ev->kind == "ack") {
        internalAck(ev);
      } else if (ev->kind == "close") {
        cnx->SendRequestNoWait(std::make_shared<baseCommand>(baseCommand{"CLOSE_CONSUMER", consumerID, 0, {}}));
        ev->doneCh.close();
        return;
      }
    }
  }
  void internalAck(std::shared_ptr<consumerEvent> req) {
    // pc.client.rpcClient.RequestOnCnxNoWait(pc.conn, pb.BaseCommand_ACK, cmdAck)
    cnx->SendRequestNoWait(std::make_shared<baseCommand>(baseCommand{"ACK", consumerID, 0, req->msgID}));
  }

  internal::connection *cnx;
  uint64_t consumerID;
  go::chan<std::shared_ptr<consumerEvent>> eventsCh{10};
};

struct ConsumerMessage {
  std::string payload;
  messageID id;
  partitionConsumer *Consumer = nullptr;
};

class dlqRouter {
public:
  explicit dlqRouter(partitionProducer *p) : producer(p) {
    go::spawn([this] { run(); });
  }
  go::chan<ConsumerMessage> Chan() { return messageCh; }
  void close() { go::select(go::case_send(closeCh, go::unit{}), go::case_default()); }

private:
  void run() {
    for (;;) {
      ConsumerMessage cm;
      if (go::select(go::case_recv(messageCh, &cm), go::case_recv(closeCh)) == 1) {
        std::printf("closed DLQ router\n");
        return;
      }
      messageID msgID = cm.id;
      producer->SendAsync(cm.payload, [cm, msgID](messageID) {
        go::sleep_ms(100); // forcing: the connection goroutine is still in the receipt callback
        std::printf("sent message to DLQ\n");
        // The Producer ack might be coming from the connection goroutine that is
        // also used by the consumer: ack from a new goroutine to avoid a deadlock.
        go::spawn([cm, msgID] { cm.Consumer->AckID(msgID); });
      });
    }
  }

  partitionProducer *producer;
  go::chan<ConsumerMessage> messageCh{0};
  go::chan<go::unit> closeCh{1};
};

// The broker end of the TCP connection: answers SENDs with SEND_RECEIPTs.
void runBroker(go::chan<cmdPtr> wire, go::chan<cmdPtr> socket) {
  int64_t entry = 0;
  for (cmdPtr cmd : wire) {
    if (cmd->type == "SEND") {
      go::sleep_ms(5);
      socket.send(std::make_shared<baseCommand>(baseCommand{"SEND_RECEIPT", cmd->id, cmd->sequenceID, {42, entry++}}));
    }
  }
  socket.close();
}

int main() {
  go::chan<cmdPtr> wire(16), socket(16);
  go::spawn([=] { runBroker(wire, socket); });
  internal::connection cnx(wire, socket);
  cnx.start();

  partitionConsumer consumer(&cnx, 1);
  partitionProducer dlqProducer(&cnx, 2); // same broker, same connection
  dlqRouter dlq(&dlqProducer);

  // The dispatcher routes a message that was redelivered MaxDeliveries times.
  dlq.Chan().send(ConsumerMessage{"order-17", {7, 17}, &consumer});

  go::WaitGroup app;
  app.add(1);
  go::spawn([&] {
    go::sleep_ms(20);
    for (int64_t e = 0; e < 30; e++) // the application acks what it processed
      consumer.AckID({7, 100 + e});
    app.done();
  });
  app.wait();

  go::sleep_ms(50);
  consumer.Close();
  dlq.close();
  cnx.Close();
  go::wait_all_goroutines();
  std::printf("client closed\n");
  return 0;
}
