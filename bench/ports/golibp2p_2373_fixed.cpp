// Port: libp2p/go-libp2p#2373 ("fix: in the swarm move Connectedness emit after releasing conns")
//   go-libp2p's host event bus delivers each event by a blocking send into
//   every subscriber's buffered channel (eventbus node.emit: sink.ch <- evt).
//   go-libp2p-kad-dht subscribes, on ONE subscription, to both
//   EvtPeerIdentificationCompleted and EvtPeerConnectednessChanged, and while
//   handling an identification it calls Network().ConnsToPeer(), which takes
//   the swarm's conns read lock. The swarm, when a peer's first connection is
//   added, emitted EvtPeerConnectednessChanged while still holding
//   s.conns.Lock(). If the subscriber's channel is full, the swarm blocks in
//   the send with the conns lock held, and the only goroutine that could make
//   room in the channel is the subscriber, blocked on s.conns.RLock(): the
//   swarm waits for the subscriber, the subscriber waits for the lock.
// Style: (c) Go-style library gochan.h: go::chan (buffered subscription channel), go::RWMutex (swarm conns lock), go::spawn, go::WaitGroup
// Bug class: lock held while blocking on a channel send whose only receiver needs that lock
// Shape: the subscription buffer holds one event. At 0 ms identify emits
//   IdentificationCompleted(A), which the DHT handler takes and works on for
//   100 ms; at 30 ms identify emits IdentificationCompleted(C), filling the
//   buffer; at 50 ms the swarm adds the first connection to peer B and emits
//   ConnectednessChanged(B) under conns.Lock(): the send blocks; at 100 ms the
//   handler calls ConnsToPeer(A) and blocks on conns.RLock(). Both hang.
// Fix: Swarm.addConn() decides under the lock whether the connectedness
//   changed, releases s.conns, and only then emits the event, so a slow
//   subscriber can stall the emitter but no longer while it holds conns.
#include "gochan.h"

#include <cstdio>
#include <map>
#include <string>
#include <variant>
#include <vector>

using PeerID = std::string;

struct EvtPeerIdentificationCompleted {
  PeerID peer;
};
struct EvtPeerConnectednessChanged {
  PeerID peer;
  bool connected;
};
using Event = std::variant<EvtPeerIdentificationCompleted, EvtPeerConnectednessChanged>;

// ---- p2p/host/eventbus (basic.go) ----
struct sink {
  go::chan<Event> ch;
};

class basicBus {
  go::RWMutex lk_;
  std::vector<sink> sinks_;

public:
  go::chan<Event> Subscribe(std::size_t bufSize) {
    sink s{go::chan<Event>(bufSize)};
    lk_.lock();
    sinks_.push_back(s);
    lk_.unlock();
    return s.ch;
  }
  void emit(const Event &evt) {
    lk_.rlock();
    for (auto &s : sinks_) {
      s.ch.send(evt);
    }
    lk_.runlock();
  }
};

// ---- p2p/net/swarm ----
struct Conn {
  PeerID remote;
  int id;
};

class Swarm {
  basicBus *bus_;
  struct {
    go::RWMutex mu;
    std::map<PeerID, std::vector<Conn>> m;
  } conns;

public:
  explicit Swarm(basicBus *bus) : bus_(bus) {}

  void addConn(const Conn &c) {
    conns.mu.lock();
    auto &cs = conns.m[c.remote];
    bool isNew = cs.empty();
    cs.push_back(c);
    conns.mu.unlock();
    // Emit the connectedness change only after releasing s.conns: a
    // subscriber may call back into the swarm before draining its channel.
    if (isNew) {
      bus_->emit(EvtPeerConnectednessChanged{c.remote, true});
    }
  }

  std::vector<Conn> ConnsToPeer(const PeerID &p) {
    conns.mu.rlock();
    std::vector<Conn> out = conns.m[p];
    conns.mu.runlock();
    return out;
  }
};

// ---- go-libp2p-kad-dht subscriber_notifee.go ----
class subscriberNotifee {
  Swarm *net_;
  go::chan<Event> sub_;

public:
  subscriberNotifee(Swarm *net, go::chan<Event> sub) : net_(net), sub_(sub) {}

  void subscribe() {
    for (Event e : sub_) {
      if (auto *id = std::get_if<EvtPeerIdentificationCompleted>(&e)) {
        handlePeerIdentificationCompletedEvent(*id);
      } else {
        auto &cc = std::get<EvtPeerConnectednessChanged>(e);
        std::printf("dht: %s connected=%d\n", cc.peer.c_str(), cc.connected);
      }
    }
  }

  void handlePeerIdentificationCompletedEvent(const EvtPeerIdentificationCompleted &e) {
    go::sleep_ms(100); // check the peer's protocols in the peerstore
    // validRTPeer: only peers we still have a connection to go in the table
    std::vector<Conn> cs = net_->ConnsToPeer(e.peer);
    std::printf("dht: %s identified, %zu conns\n", e.peer.c_str(), cs.size());
  }
};

int main() {
  basicBus bus;
  Swarm swarm(&bus);
  swarm.addConn(Conn{"QmA", 1}); // peers connected before the DHT starts
  swarm.addConn(Conn{"QmC", 2});
  go::chan<Event> sub = bus.Subscribe(1);
  subscriberNotifee dht(&swarm, sub);

  go::WaitGroup emitters;
  go::spawn([&] { dht.subscribe(); });

  emitters.add(2);
  go::spawn([&] { // identify service
    bus.emit(EvtPeerIdentificationCompleted{"QmA"});
    go::sleep_ms(30);
    bus.emit(EvtPeerIdentificationCompleted{"QmC"});
    emitters.done();
  });
  go::spawn([&] { // swarm dialer: first connection to QmB
    go::sleep_ms(50);
    swarm.addConn(Conn{"QmB", 3});
    emitters.done();
  });

  emitters.wait();
  go::sleep_ms(50);
  sub.close(); // the DHT closes its subscription on shutdown
  go::wait_all_goroutines();
  std::printf("done\n");
  return 0;
}
