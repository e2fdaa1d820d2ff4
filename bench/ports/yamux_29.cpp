// Port: hashicorp/yamux#29 ("Properly handles closing streams before they are ACKed.")
//   A yamux Session limits the number of streams it has opened but the peer
//   has not yet acknowledged: OpenStream() puts a token into the buffered
//   channel synCh (capacity Config.AcceptBacklog) before sending the SYN
//   window update, and the token is taken back out only in
//   establishStream(), when the peer's ACK arrives. A stream that dies
//   before it is ACKed -- here the peer answers the SYN with RST because its
//   own accept backlog is exceeded -- goes through closeStream(), which just
//   forgets the stream and leaves its token in synCh. After AcceptBacklog
//   such streams synCh is full for good and every later OpenStream() parks
//   in its select on synCh/shutdownCh while the session is perfectly alive
//   (issue #26, "OpenStream hanging on synCh", seen in IPFS).
// Style: (c) gochan.h (go::chan as synCh/shutdownCh/the wire, go::select,
//   go::spawn for Session.recv and the remote peer, go::WaitGroup)
// Bug class: semaphore token leaked on an error path (stream reset before
//   ACK never releases the in-flight SYN slot)
// Shape: AcceptBacklog = 2 and a remote peer whose application never
//   accepts, so it resets every incoming stream. The client opens a stream,
//   reads until the reset arrives, and repeats. The first two resets each
//   leak a token; the third OpenStream() blocks on synCh forever and main's
//   wait for the client goroutine hangs.
// Fix: the session records un-ACKed streams in an inflight set; closeStream()
//   (and a failed initial window update) give the synCh token back when the
//   closed stream was still in flight, and establishStream() removes it from
//   the set, so every token is returned exactly once.
#include "gochan.h"

#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <set>

namespace yamux {

enum : uint16_t { flagSYN = 1, flagACK = 2, flagFIN = 4, flagRST = 8 };
enum : uint8_t { typeData = 0, typeWindowUpdate = 1 };

struct header {
  uint8_t type = typeWindowUpdate;
  uint16_t flags = 0;
  uint32_t streamID = 0;
};

struct Config {
  int AcceptBacklog = 2;
};

enum streamState { streamInit, streamSYNSent, streamEstablished, streamReset };

class Session;

class Stream {
 public:
  Stream(Session *s, uint32_t id) : session_(s), id_(id) {}
  uint32_t StreamID() const { return id_; }
  bool sendWindowUpdate();
  void processFlags(uint16_t flags);
  // Read blocks until data arrives or the stream is reset; data is elided.
  bool Read() {
    recvNotifyCh_.recv();
    std::lock_guard<std::mutex> l(stateLock_);
    return state_ != streamReset;
  }

 private:
  Session *session_;
  uint32_t id_;
  std::mutex stateLock_;
  streamState state_ = streamInit;
  go::chan<go::unit> recvNotifyCh_{0};
};

class Session {
 public:
  Session(Config cfg, go::chan<header> out, go::chan<header> in)
      : config_(cfg), synCh_(cfg.AcceptBacklog), out_(out), in_(in) {
    go::spawn([this] { recv(); });
  }

  std::shared_ptr<Stream> OpenStream() {
    // Block if we have too many inflight SYNs
    int i = go::select(go::case_send(synCh_, go::unit{}), go::case_recv(shutdownCh_)); // LEAK
    if (i == 1) return nullptr; // ErrSessionShutdown
    uint32_t id = nextStreamID_;
    nextStreamID_ += 2;
    auto stream = std::make_shared<Stream>(this, id);
    {
      std::lock_guard<std::mutex> l(streamLock_);
      streams_[id] = stream;
    }
    if (!stream->sendWindowUpdate()) return nullptr;
    return stream;
  }

  bool sendNoWait(header h) {
    out_.send(h);
    return true;
  }

  void establishStream(uint32_t id) {
    (void)id;
    std::lock_guard<std::mutex> l(streamLock_);
    int i = go::select(go::case_recv(synCh_), go::case_default());
    if (i == 1) std::fprintf(stderr, "[ERR] yamux: established stream without inflight SYN\n");
  }

  void closeStream(uint32_t id) {
    std::lock_guard<std::mutex> l(streamLock_);
    streams_.erase(id);
  }

  void Close() {
    shutdownCh_.close();
    in_.close(); // the conn is closed: recv() returns
  }

 private:
  void recv() {
    header h;
    while (in_.recv(h)) {
      std::shared_ptr<Stream> stream;
      {
        std::lock_guard<std::mutex> l(streamLock_);
        auto it = streams_.find(h.streamID);
        if (it != streams_.end()) stream = it->second;
      }
      if (stream) stream->processFlags(h.flags);
    }
  }

  Config config_;
  go::chan<go::unit> synCh_;
  go::chan<go::unit> shutdownCh_{0};
  go::chan<header> out_, in_;
  std::mutex streamLock_;
  std::map<uint32_t, std::shared_ptr<Stream>> streams_;
  uint32_t nextStreamID_ = 1; // client side
};

bool Stream::sendWindowUpdate() {
  header h;
  {
    std::lock_guard<std::mutex> l(stateLock_);
    if (state_ == streamInit) {
      h.flags |= flagSYN;
      state_ = streamSYNSent;
    }
  }
  h.streamID = id_;
  return session_->sendNoWait(h);
}

void Stream::processFlags(uint16_t flags) {
  bool closeStream = false;
  {
    std::lock_guard<std::mutex> l(stateLock_);
    if (flags & flagACK) {
      if (state_ == streamSYNSent) state_ = streamEstablished;
      session_->establishStream(id_);
    }
    if (flags & flagRST) {
      state_ = streamReset;
      closeStream = true;
    }
  }
  if (closeStream) {
    session_->closeStream(id_);
    recvNotifyCh_.close(); // wake readers: connection reset
  }
}

} // namespace yamux

int main() {
  using namespace yamux;
  go::chan<header> toRemote(16), fromRemote(16);
  go::chan<uint32_t> remoteAcceptCh(0); // the remote application is not accepting

  // The remote session: an incoming SYN goes to its accept backlog, or is
  // reset when the backlog is exceeded.
  go::spawn([=] {
    header h;
    while (toRemote.recv(h)) {
      if (!(h.flags & flagSYN)) continue;
      if (go::select(go::case_send(remoteAcceptCh, h.streamID), go::case_default()) == 1) {
        std::fprintf(stderr, "[WARN] yamux: backlog exceeded, forcing connection reset\n");
        fromRemote.send(header{typeWindowUpdate, flagRST, h.streamID});
      }
    }
  });

  Session session(Config{}, toRemote, fromRemote);
  go::WaitGroup wg;
  wg.add(1);
  go::spawn([&] { // a client dialing the peer three times
    for (int i = 0; i < 3; i++) {
      auto stream = session.OpenStream();
      if (!stream) break;
      bool ok = stream->Read();
      std::printf("stream %u: %s\n", stream->StreamID(), ok ? "data" : "connection reset");
    }
    wg.done();
  });
  wg.wait();
  session.Close();
  toRemote.close();
  go::wait_all_goroutines();
  return 0;
}
