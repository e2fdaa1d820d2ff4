// Port: hashicorp/memberlist#123 ("Fix deadlock in shutdown process of memberlist")
//   Memberlist.Shutdown() took m.nodeLock (the RWMutex guarding nodes and
//   nodeMap) for its whole body and, holding it, called
//   NetTransport.Shutdown(), which closes the UDP/TCP listeners and waits in
//   t.wg.Wait() for udpListen and tcpListen to return. udpListen hands every
//   datagram to memberlist's packetListen goroutine over the unbuffered
//   packetCh. packetListen runs ingestPacket -> handlePing -> encodeAndSendMsg
//   -> sendMsg -> rawSendMsgPacket, which read-locks nodeLock to look up the
//   destination's protocol version. If a ping is being handled when Shutdown
//   starts, packetListen blocks on the read lock, udpListen blocks handing it
//   the next packet, and Shutdown waits for udpListen while holding the lock
//   packetListen needs (issue #122, reported through serf).
// Style: (c) gochan.h (go::RWMutex for nodeLock, go::WaitGroup for the transport's wg, go::chan for packetCh/shutdownCh, go::spawn), a fake UDP socket
// Bug class: lock held while waiting for a goroutine (WaitGroup.Wait) whose progress needs that lock, through a channel hand-off
// Shape: two pings are queued on the UDP socket. packetListen takes the first
//   and spends 100 ms in its handler; udpListen reads the second and blocks on
//   packetCh. At t=50 ms Shutdown() write-locks nodeLock and waits in
//   NetTransport.Shutdown()'s wg.Wait(); at t=100 ms rawSendMsgPacket's
//   RLock() blocks forever, and so do udpListen's send and Shutdown.
// Fix: Shutdown() (and Leave()) take dedicated locks, m.shutdownLock and
//   m.leaveLock, instead of nodeLock, so rawSendMsgPacket can read-lock
//   nodeLock while the transport drains.
#include "gochan.h"

#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

namespace memberlist {

using error = std::string;

struct Packet {
  std::string Buf;
  std::string From;
};

// A UDP socket: ReadFrom() returns queued datagrams, or fails once closed.
class UDPConn {
  go::chan<Packet> incoming{8};
  go::chan<go::unit> closed;
  std::once_flag closeOnce;

public:
  void deliver(Packet p) { incoming.send(p); }
  bool ReadFrom(Packet &p) { return go::select(go::case_recv(incoming, &p), go::case_recv(closed)) == 0; }
  error WriteTo(const std::string &buf, const std::string &addr) {
    if (go::select(go::case_recv(closed), go::case_default()) == 0)
      return "use of closed network connection";
    std::printf("udp: %zu bytes to %s\n", buf.size(), addr.c_str());
    return "";
  }
  void Close() {
    std::call_once(closeOnce, [this] { closed.close(); });
  }
};

class NetTransport {
  go::chan<Packet> packetCh; // unbuffered, as in NewNetTransport
  go::WaitGroup wg;
  std::atomic<int> shutdown{0};

public:
  UDPConn udpListener;

  void start() {
    wg.add(1);
    go::spawn([this] { udpListen(); });
  }
  go::chan<Packet> PacketCh() { return packetCh; }
  error WriteTo(const std::string &b, const std::string &addr) { return udpListener.WriteTo(b, addr); }

  void udpListen() {
    for (;;) {
      Packet p;
      if (!udpListener.ReadFrom(p)) {
        if (shutdown.load())
          break;
        continue;
      }
      packetCh.send(p);
    }
    wg.done();
  }

  error Shutdown() {
    shutdown.store(1);
    udpListener.Close();
    wg.wait(); // block until udpListen has returned
    return "";
  }
};

struct NodeState {
  std::string Name;
  int PMax = 5; // highest protocol version the node speaks
};

class Memberlist {
  NetTransport *transport;
  bool shutdown_ = false;
  go::chan<go::unit> shutdownCh;

  go::RWMutex nodeLock;
  std::map<std::string, std::shared_ptr<NodeState>> nodeMap;

public:
  explicit Memberlist(NetTransport *t) : transport(t) {
    nodeMap["10.0.0.2:7946"] = std::make_shared<NodeState>(NodeState{"node-b", 5});
    go::spawn([this] { packetListen(); });
  }

  error rawSendMsgPacket(const std::string &addr, std::string msg) {
    // Check if we have compression / CRC enabled for this peer.
    nodeLock.rlock(); // LEAK
    auto it = nodeMap.find(addr);
    bool crc = it != nodeMap.end() && it->second->PMax >= 5;
    nodeLock.runlock();
    if (crc)
      msg = "crc:" + msg;
    return transport->WriteTo(msg, addr);
  }
  error sendMsg(const std::string &to, const std::string &msg) { return rawSendMsgPacket(to, msg); }

  void handlePing(const Packet &p) {
    go::sleep_ms(100); // decode + the delegate's AckPayload
    sendMsg(p.From, "ack:" + p.Buf);
  }
  void ingestPacket(const Packet &p) { handlePing(p); }

  void packetListen() {
    for (;;) {
      Packet packet;
      int i = go::select(go::case_recv(transport->PacketCh(), &packet), go::case_recv(shutdownCh));
      if (i == 1)
        return;
      ingestPacket(packet);
    }
  }

  error Shutdown() {
    nodeLock.lock();
    if (shutdown_) {
      nodeLock.unlock();
      return "";
    }
    // Shut down the transport first, which should block until it's
    // completely torn down.
    error err = transport->Shutdown();
    shutdown_ = true;
    shutdownCh.close();
    nodeLock.unlock();
    return err;
  }
};

} // namespace memberlist

int main() {
  using namespace memberlist;
  NetTransport transport;
  transport.udpListener.deliver({"ping seq=1", "10.0.0.2:7946"});
  transport.udpListener.deliver({"ping seq=2", "10.0.0.2:7946"});
  transport.start();
  Memberlist m(&transport);

  go::sleep_ms(50);
  go::spawn([&m] { // serf's Shutdown path
    m.Shutdown();
    std::printf("memberlist shut down\n");
  });

  go::wait_all_goroutines();
  return 0;
}
