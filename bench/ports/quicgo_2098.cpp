// Port: quic-go/quic-go#2098 ("fix deadlock when the crypto setup is closed while qtls writes messages")
//   (fixes quic-go/quic-go#2097): quic-go's cryptoSetup drives the TLS 1.3
//   handshake of a connection. RunHandshake() starts a goroutine running
//   qtls' conn.Handshake(), which calls back into the cryptoSetup as its
//   record layer: ReadHandshakeMessage() blocks on messageChan for the next
//   CRYPTO-frame payload, and WriteRecord() takes cryptoSetup.mutex to pick
//   the stream of the current encryption level. The goroutine closes
//   handshakeDone when Handshake() returns. cryptoSetup.Close() took the
//   same mutex (only to guard against a double Close), signalled closeChan
//   and then waited for handshakeDone while still holding the mutex. If
//   qtls was processing a message when Close() ran, its next WriteRecord()
//   blocks on the mutex, so Handshake() never returns, handshakeDone is
//   never closed, and Close() waits for it forever: Close(), the handshake
//   goroutine and RunHandshake() (which also waits for handshakeDone after
//   seeing closeChan) are stuck for good.
// Style: (b) Boost.Fiber (fibers for the goroutines, boost::fibers::mutex for
//   cryptoSetup.mutex, a buffered_channel for messageChan, an
//   unbuffered_channel that is only ever closed for handshakeDone, and one
//   buffered_channel of events standing in for RunHandshake's select over
//   closeChan / handshakeComplete / handshakeErrChan)
// Bug class: mutex held while waiting on a channel whose closer needs the
//   mutex (lock / channel deadlock)
// Shape: the client's Initial arrives at 5 ms; qtls reads the ClientHello and
//   spends 50 ms building its reply; at 20 ms the connection is closed:
//   Close() locks the mutex, signals RunHandshake and waits for
//   handshakeDone; at 55 ms qtls calls WriteRecord() and blocks on the
//   mutex. Every fiber is blocked and main never gets past Close().
// Fix: Close() no longer takes the mutex (closing twice is documented as not
//   allowed); it signals closeChan and waits for handshakeDone unlocked, so
//   the pending WriteRecord() completes and Handshake() returns.
#include <boost/fiber/all.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace fibers = boost::fibers;
using namespace std::chrono_literals;

namespace quic {

using Bytes = std::string;
using error = std::string; // "" is nil
struct unit {};

enum class EncryptionLevel { Initial, Handshake, OneRTT };

// The interface qtls uses to talk to QUIC (qtls.RecordLayer).
class recordLayer {
public:
  virtual ~recordLayer() = default;
  virtual std::optional<Bytes> ReadHandshakeMessage() = 0;
  virtual void WriteRecord(const Bytes &p) = 0;
  virtual void SetWriteKey(EncryptionLevel level) = 0;
};

// qtls.Conn reduced to a server-side handshake state machine.
class tlsConn {
public:
  explicit tlsConn(recordLayer *rl) : rl_(rl) {}

  error Handshake() {
    for (;;) {
      std::optional<Bytes> msg = rl_->ReadHandshakeMessage();
      if (!msg)
        return "error while handling the handshake message";
      if (*msg == "ClientHello") {
        boost::this_fiber::sleep_for(50ms); // key schedule, certificate signature
        rl_->WriteRecord("ServerHello");
        rl_->SetWriteKey(EncryptionLevel::Handshake);
        rl_->WriteRecord("EncryptedExtensions|Certificate|CertificateVerify|Finished");
      } else if (*msg == "Finished") {
        rl_->SetWriteKey(EncryptionLevel::OneRTT);
        return "";
      }
    }
  }

private:
  recordLayer *rl_;
};

enum class runnerEvent { closed, handshakeComplete, handshakeError };

class cryptoSetup : public recordLayer {
public:
  cryptoSetup() : conn_(this) {}

  // RunHandshake runs the handshake until it completes or the setup is closed.
  error RunHandshake() {
    fibers::fiber handshaker([this] {
      error err = conn_.Handshake();
      events_.push(err.empty() ? runnerEvent::handshakeComplete : runnerEvent::handshakeError);
      handshakeDone_.close();
    });

    runnerEvent ev;
    events_.pop(ev);
    error result;
    switch (ev) {
    case runnerEvent::closed: {
      messageChan_.close();
      // wait until the Handshake() fiber has returned
      unit u;
      handshakeDone_.pop(u);
      result = "Handshake aborted";
      break;
    }
    case runnerEvent::handshakeComplete:
      std::printf("crypto: handshake complete\n");
      break;
    case runnerEvent::handshakeError:
      result = "handshake failed";
      break;
    }
    handshaker.join();
    return result;
  }

  // HandleMessage is called by the connection for every CRYPTO frame.
  void HandleMessage(const Bytes &data) { messageChan_.push(data); }

  error Close() {
    std::lock_guard<fibers::mutex> lk(mutex_);
    if (closed_)
      return "";
    closed_ = true;

    events_.push(runnerEvent::closed); // close(h.closeChan)
    // wait until qtls.Handshake() actually returned
    unit u;
    handshakeDone_.pop(u); // LEAK
    return "";
  }

  // ---- recordLayer, called by qtls from the handshake fiber ----
  std::optional<Bytes> ReadHandshakeMessage() override {
    Bytes msg;
    if (messageChan_.pop(msg) != fibers::channel_op_status::success)
      return std::nullopt;
    return msg;
  }

  void WriteRecord(const Bytes &p) override {
    std::lock_guard<fibers::mutex> lk(mutex_); // LEAK
    switch (writeEncLevel_) {
    case EncryptionLevel::Initial:
      initialStream_.push_back(p);
      break;
    case EncryptionLevel::Handshake:
      handshakeStream_.push_back(p);
      break;
    case EncryptionLevel::OneRTT:
      break;
    }
  }

  void SetWriteKey(EncryptionLevel level) override {
    std::lock_guard<fibers::mutex> lk(mutex_);
    writeEncLevel_ = level;
  }

private:
  tlsConn conn_;
  fibers::buffered_channel<Bytes> messageChan_{16};
  fibers::buffered_channel<runnerEvent> events_{4};
  fibers::unbuffered_channel<unit> handshakeDone_; // only ever closed

  fibers::mutex mutex_; // protects the members below
  bool closed_ = false;
  EncryptionLevel writeEncLevel_ = EncryptionLevel::Initial;
  std::vector<Bytes> initialStream_;
  std::vector<Bytes> handshakeStream_;
};

} // namespace quic

int main() {
  quic::cryptoSetup cs;

  fibers::fiber runner([&] {
    quic::error err = cs.RunHandshake();
    std::printf("runner: %s\n", err.empty() ? "ok" : err.c_str());
  });

  // The connection's packet handler delivers the client's Initial.
  fibers::fiber packets([&] {
    boost::this_fiber::sleep_for(5ms);
    cs.HandleMessage("ClientHello");
  });

  // The connection is closed (idle timeout) while qtls is still busy.
  boost::this_fiber::sleep_for(20ms);
  cs.Close();

  packets.join();
  runner.join();
  std::printf("connection closed\n");
  return 0;
}
