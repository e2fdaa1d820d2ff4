// Port: apache/brpc#1781 ("Fix a deadlock happened in ClearAbandonedStreamsImpl path(issues/1778)")
//   brpc's HTTP/2 client keeps one H2Context per connection. When an RPC is
//   given up (timeout, cancel) before its stream ended, the stream's user
//   data is destroyed and calls H2Context::AddAbandonedStream(), which locks
//   _abandoned_streams_mutex and queues the stream id. The input-messenger
//   thread that parses the next frames calls ClearAbandonedStreams(), which
//   locked _abandoned_streams_mutex and, still holding it, called
//   RemoveStream() for each id; RemoveStream() gave the stream's consumed
//   window back through DeferWindowUpdate(), which may send a WINDOW_UPDATE
//   with WriteAck() -> Socket::Write(). If the peer has reset the connection
//   the write fails and Socket::SetFailed() runs the socket's failure hooks:
//   every RPC still pending on the connection is ended, and ending it
//   destroys its stream user data, which calls AddAbandonedStream() on the
//   same H2Context from the same thread: butil::Mutex is a plain
//   (non-recursive) pthread mutex, so the parsing thread blocks on the lock
//   it already holds, forever.
// Style: pthread C style (butil::Mutex as a PTHREAD_MUTEX_NORMAL pthread_mutex_t wrapper, std::unique_lock over it as in brpc), std::thread for the input-messenger and the timing-out RPC bthreads, std::function failure hooks on the Socket
// Bug class: self-deadlock: a non-recursive mutex re-acquired through a callback chain (write error -> SetFailed -> RPC end -> stream destructor) while it is held
// Shape: two RPCs (streams 1 and 3) are in flight. At 50 ms the RPC on
//   stream 1 times out and abandons it; at 100 ms the peer resets the
//   connection; at 150 ms a frame arrives and the input messenger clears the
//   abandoned streams: the WINDOW_UPDATE for stream 1 fails, SetFailed() ends
//   the RPC on stream 3 and its stream destructor locks
//   _abandoned_streams_mutex again. main's join of the messenger hangs.
// Fix: ClearAbandonedStreams() swaps the abandoned ids out under the lock
//   and calls RemoveStreamAndDeferWU() for each after releasing it, so a
//   re-entrant AddAbandonedStream() just queues the id for the next round.
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace butil {
// brpc's butil::Mutex: a bare pthread mutex, not recursive.
class Mutex {
public:
  Mutex() {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_NORMAL);
    pthread_mutex_init(&_mutex, &attr);
    pthread_mutexattr_destroy(&attr);
  }
  ~Mutex() { pthread_mutex_destroy(&_mutex); }
  void lock() { pthread_mutex_lock(&_mutex); }
  void unlock() { pthread_mutex_unlock(&_mutex); }

private:
  pthread_mutex_t _mutex;
};
} // namespace butil

namespace brpc {

static void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// The connection. Write() fails once the peer reset it, and the failure runs
// the hooks registered by the protocol (ending every pending RPC).
class Socket {
public:
  void AddFailureHook(std::function<void()> hook) { _on_failed.push_back(std::move(hook)); }
  void PeerReset() { _peer_reset.store(true); }
  int Write(const char *frame) {
    if (_peer_reset.load()) {
      std::printf("write of %s failed: connection reset by peer\n", frame);
      SetFailed();
      return -1;
    }
    return 0;
  }
  void SetFailed() {
    if (_failed.exchange(true))
      return;
    for (auto &hook : _on_failed)
      hook();
  }

private:
  std::atomic<bool> _peer_reset{false};
  std::atomic<bool> _failed{false};
  std::vector<std::function<void()>> _on_failed;
};

struct H2StreamContext {
  int stream_id;
  int64_t consumed; // bytes of DATA received, to give back to the window
};

class H2Context {
public:
  explicit H2Context(Socket *s) : _socket(s) {}
  ~H2Context() {
    for (auto &kv : _pending_streams)
      delete kv.second;
  }

  void AddStream(int id, int64_t consumed) {
    std::unique_lock<butil::Mutex> mu(_stream_mutex);
    _pending_streams[id] = new H2StreamContext{id, consumed};
  }

  // Called by a stream's user data when its RPC ends before the stream did.
  void AddAbandonedStream(uint32_t stream_id) {
    std::unique_lock<butil::Mutex> mu(_abandoned_streams_mutex); // LEAK
    _abandoned_streams.push_back(stream_id);
  }

  // Called by the input messenger after each parsed message.
  void ClearAbandonedStreams() {
    std::unique_lock<butil::Mutex> mu(_abandoned_streams_mutex);
    while (!_abandoned_streams.empty()) {
      const uint32_t stream_id = _abandoned_streams.back();
      _abandoned_streams.pop_back();
      H2StreamContext *sctx = RemoveStream(stream_id);
      delete sctx;
    }
  }

private:
  H2StreamContext *RemoveStream(int stream_id) {
    H2StreamContext *sctx = nullptr;
    {
      std::unique_lock<butil::Mutex> mu(_stream_mutex);
      auto it = _pending_streams.find(stream_id);
      if (it == _pending_streams.end())
        return nullptr;
      sctx = it->second;
      _pending_streams.erase(it);
    }
    DeferWindowUpdate(sctx->consumed);
    return sctx;
  }

  void DeferWindowUpdate(int64_t size) {
    const int64_t before = _deferred_window_update.fetch_add(size);
    if (before + size >= kWindowUpdateThreshold) {
      _deferred_window_update.store(0);
      WriteAck("WINDOW_UPDATE");
    }
  }

  void WriteAck(const char *frame) { _socket->Write(frame); }

  static constexpr int64_t kWindowUpdateThreshold = 64 * 1024;
  Socket *_socket;
  butil::Mutex _stream_mutex;
  std::map<int, H2StreamContext *> _pending_streams;
  butil::Mutex _abandoned_streams_mutex;
  std::vector<uint32_t> _abandoned_streams;
  std::atomic<int64_t> _deferred_window_update{0};
};

// The client side of one RPC over a stream: ending the RPC destroys the
// stream user data, which abandons a stream that has not ended.
class Controller {
public:
  Controller(H2Context *ctx, int stream_id) : _ctx(ctx), _stream_id(stream_id) {}
  void EndRPC(const char *why) {
    if (_ended.exchange(true))
      return;
    std::printf("RPC on stream %d ended: %s\n", _stream_id, why);
    DestroyStreamUserData();
  }

private:
  void DestroyStreamUserData() { _ctx->AddAbandonedStream(_stream_id); }
  H2Context *_ctx;
  int _stream_id;
  std::atomic<bool> _ended{false};
};

} // namespace brpc

int main() {
  brpc::Socket socket;
  brpc::H2Context ctx(&socket);
  ctx.AddStream(1, 80 * 1024);
  ctx.AddStream(3, 16 * 1024);
  brpc::Controller rpc1(&ctx, 1), rpc3(&ctx, 3);
  socket.AddFailureHook([&] { rpc1.EndRPC("connection failed"); });
  socket.AddFailureHook([&] { rpc3.EndRPC("connection failed"); });

  // The bthread running the RPC on stream 1: its deadline expires.
  std::thread timeout([&] {
    brpc::sleep_ms(50);
    rpc1.EndRPC("timeout");
  });
  // The input messenger: a frame arrives after the peer reset.
  std::thread messenger([&] {
    brpc::sleep_ms(150);
    std::printf("input messenger: parsed a frame\n");
    ctx.ClearAbandonedStreams();
  });

  brpc::sleep_ms(100);
  socket.PeerReset();

  timeout.join();
  messenger.join();
  std::printf("connection closed\n");
  return 0;
}
