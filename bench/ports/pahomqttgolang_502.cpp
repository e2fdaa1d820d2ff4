// Port: eclipse/paho.mqtt.golang#502 ("Handle connection loss during call to Disconnect() (including test)")
//   (fixes eclipse/paho.mqtt.golang#501, "Disconnect hang": goroutine in
//   [chan send, 6863 minutes] at client.Disconnect.) client.Disconnect()
//   checks that the client is connected, marks it disconnected and hands the
//   DISCONNECT packet to the comms workers with a plain send on the
//   unbuffered c.oboundP, then waits (with a timeout) on its token. If the
//   network connection is lost while Disconnect() is in progress, the
//   incoming worker reports the read error, internalConnLost() stops the
//   comms workers (close(c.stop), wait, close(c.commsStopped)) and the
//   outgoing worker, whose write fails, returns without ever reading
//   oboundP again. Disconnect() blocks on the send forever: the quiesce
//   timeout only covers the wait on the token, which is never reached.
// Style: (c) gochan.h (go::chan for obound/oboundP/stop/commsStopped and the
//   token, go::select in the outgoing worker and Token.WaitTimeout,
//   go::after, go::WaitGroup for c.workers, go::spawn, go::wait_all_goroutines);
//   std::atomic for the status
// Bug class: send on an unbuffered channel whose only receiver (the comms
//   worker) exited on connection loss
// Shape: the client publishes a large message; the outgoing worker spends
//   40 ms writing it. At 10 ms the application calls Disconnect(250) and
//   blocks on oboundP; at 20 ms the broker drops the connection, the incoming
//   worker hits EOF and internalConnLost() stops the workers; the write fails
//   at 40 ms and the outgoing worker returns. Disconnect() never returns.
// Fix: the DISCONNECT packet is sent in a select that also gives up when
//   c.commsStopped is closed or after the quiesce time, and the token is only
//   waited on if the packet was sent.
#include "gochan.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace mqtt {

enum : uint32_t { disconnected, connecting, reconnecting, connected };

struct Packet {
  std::string kind, topic;
  size_t size = 2;
};

// Token completes when the flow of its packet is complete.
class Token {
public:
  void flowComplete() { std::call_once(once, [this] { complete.close(); }); }
  bool WaitTimeout(int ms) {
    return go::select(go::case_recv(complete), go::case_recv(go::after(std::chrono::milliseconds(ms)))) == 0;
  }

private:
  go::chan<go::unit> complete{0};
  std::once_flag once;
};

struct PacketAndToken {
  Packet p;
  std::shared_ptr<Token> t;
};

// netConn: the TCP connection to the broker (writes cost 1 ms per KiB).
class netConn {
public:
  std::string Write(const Packet &p) {
    go::sleep_ms(static_cast<int>(p.size / 1024));
    if (broken)
      return "write tcp 10.1.0.5:50112->10.1.0.1:1883: write: broken pipe";
    std::printf("[net] wrote %s %s\n", p.kind.c_str(), p.topic.c_str());
    return "";
  }
  std::string Read() {
    auto pk = fromBroker.recv();
    return pk ? "" : "EOF";
  }
  void brokerDrop() { // the broker (or a NAT box) resets the connection
    broken = true;
    fromBroker.close();
  }

private:
  std::atomic<bool> broken{false};
  go::chan<Packet> fromBroker{8};
};

class client {
public:
  explicit client(netConn &conn) : conn(conn) {}

  void Connect() {
    status = connected;
    startCommsWorkers();
  }

  std::shared_ptr<Token> Publish(const std::string &topic, size_t size) {
    auto token = std::make_shared<Token>();
    obound.send(PacketAndToken{Packet{"PUBLISH", topic, size}, token});
    return token;
  }

  // Disconnect will end the connection with the server, but not before waiting
  // the specified number of milliseconds to wait for existing work to be completed.
  void Disconnect(unsigned quiesce) {
    if (status.load() == connected) {
      std::printf("[client] disconnecting\n");
      status = disconnected;
      Packet dm{"DISCONNECT", "", 2};
      auto dt = std::make_shared<Token>();
      oboundP.send(PacketAndToken{dm, dt}); // LEAK
      // wait for work to finish, or quiesce time consumed
      dt->WaitTimeout(static_cast<int>(quiesce));
    } else {
      std::printf("[client] Disconnect() called but not connected\n");
      status = disconnected;
    }
    disconnect();
  }

  std::function<void(const std::string &)> OnConnectionLost;

private:
  void startCommsWorkers() {
    stop = go::chan<go::unit>(0);
    commsStopped = go::chan<go::unit>(0);
    workers.add(2);
    go::spawn([this] { outgoing(); });
    go::spawn([this] { incoming(); });
  }

  void outgoing() {
    for (;;) {
      PacketAndToken pt;
      int i = go::select(go::case_recv(stop), go::case_recv(oboundP, &pt), go::case_recv(obound, &pt));
      if (i == 0)
        break;
      std::string err = conn.Write(pt.p);
      if (!err.empty()) {
        std::printf("[net] outgoing stopped with error: %s\n", err.c_str());
        break;
      }
      pt.t->flowComplete();
      if (pt.p.kind == "DISCONNECT")
        break;
    }
    workers.done();
  }

  void incoming() {
    std::string err;
    while ((err = conn.Read()).empty()) {
    }
    std::printf("[net] incoming stopped with error: %s\n", err.c_str());
    go::spawn([this, err] { internalConnLost(err); });
    workers.done();
  }

  // stopCommsWorkers returns a channel closed once the workers are gone, or
  // an invalid one if they are already stopping.
  std::optional<go::chan<go::unit>> stopCommsWorkers() {
    std::lock_guard lk(mu);
    if (commsStopping)
      return std::nullopt;
    commsStopping = true;
    stop.close();
    go::chan<go::unit> doneC(0);
    go::spawn([this, doneC] {
      workers.wait();
      commsStopped.close();
      doneC.close();
    });
    return doneC;
  }

  void internalConnLost(const std::string &err) {
    if (auto stopDone = stopCommsWorkers()) {
      stopDone->recv();
      status = disconnected; // AutoReconnect is off
      if (OnConnectionLost)
        go::spawn([this, err] { OnConnectionLost(err); });
    }
  }

  void disconnect() {
    if (auto stopDone = stopCommsWorkers())
      stopDone->recv();
    std::printf("[client] disconnected\n");
  }

  netConn &conn;
  std::atomic<uint32_t> status{disconnected};
  go::chan<PacketAndToken> obound{0}, oboundP{0};
  go::chan<go::unit> stop, commsStopped;
  go::WaitGroup workers;
  std::mutex mu;
  bool commsStopping = false;
};

} // namespace mqtt

int main() {
  mqtt::netConn conn;
  mqtt::client c(conn);
  c.OnConnectionLost = [](const std::string &err) { std::printf("[app] connection lost: %s\n", err.c_str()); };
  c.Connect();

  go::spawn([&] {
    go::sleep_ms(20);
    conn.brokerDrop();
  });

  c.Publish("cameras/cam1/snapshot", 40 * 1024); // a 40 KiB JPEG
  go::sleep_ms(10);
  c.Disconnect(250); // the application shuts down

  go::wait_all_goroutines();
  std::printf("done\n");
  return 0;
}
