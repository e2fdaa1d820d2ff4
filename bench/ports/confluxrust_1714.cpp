// Port: Conflux-Chain/conflux-rust#1714 ("Fix join deadlock when dropping SocketWorker.")
//   (fixes Conflux-Chain/conflux-rust#939.) The node's IO service
//   (util/io, forked from Parity's ethcore-io) runs an event loop thread,
//   "io_service", whose IoManager owns a pool of socket IO workers. Each
//   SocketWorker is a thread that loops `while !deleting { match rx.recv() {
//   Ok(work) => do_work(work), Err(_) => break } }` on its own crossbeam
//   channel; the IoManager keeps the Sender half of every channel next to its
//   worker and routes each RemoteMessage to socket_workers[peer % 4].
//   Dropping a SocketWorker sets `deleting` and joins the thread. But the
//   worker only looks at `deleting` between two messages: when it is idle it
//   sits in rx.recv(), and the Sender is still owned by the IoManager that is
//   being torn down (the PR: "the sender is not directly accessible when we
//   drop the SocketWorker"), so the channel never disconnects and no message
//   ever comes. The join never returns, the io_service thread never exits,
//   and IoService::stop() hangs the node's shutdown.
// Style: (d) standard library only: std::thread for io_service and the
//   socket workers, a small unbounded MPSC channel written in the file
//   (crossbeam_channel::unbounded stand-in: std::mutex + std::condition_variable,
//   recv / recv_timeout, disconnect when the last Sender goes),
//   std::atomic<bool> `deleting`, Drop modelled by destructors
// Bug class: join of a worker blocked in a channel recv whose Sender the
//   joining owner still holds; the stop flag is only checked between messages
// Shape: main starts the IO service, posts two RemoteMessages (peers 1 and
//   6, handled by socket worker #1 and #2) and, at 50 ms, calls stop(). The
//   io_service thread handles Shutdown, returns from the event loop and
//   destroys the IoManager; dropping idle socket worker #0 joins a thread parked
//   in rx.recv() forever, and main's join of io_service hangs.
// Fix: the work loop waits with rx.recv_timeout(500 ms) and re-checks
//   `deleting` on every timeout, so a dropped SocketWorker exits within one
//   timeout even though its Sender is still alive.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

namespace crossbeam_channel {
template <typename T>
struct Shared {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<T> queue;
  int senders = 1;
};

enum class RecvTimeoutError { Timeout, Disconnected };

template <typename T>
class Sender {
 public:
  explicit Sender(std::shared_ptr<Shared<T>> s) : s(std::move(s)) {}
  Sender(const Sender& o) : s(o.s) { std::lock_guard g{s->mu}; ++s->senders; }
  Sender(Sender&& o) noexcept : s(std::move(o.s)) {}
  ~Sender() {
    if (!s) return;
    std::lock_guard g{s->mu};
    if (--s->senders == 0) s->cv.notify_all();
  }
  void send(T v) {
    std::lock_guard g{s->mu};
    s->queue.push_back(std::move(v));
    s->cv.notify_one();
  }

 private:
  std::shared_ptr<Shared<T>> s;
};

template <typename T>
class Receiver {
 public:
  explicit Receiver(std::shared_ptr<Shared<T>> s) : s(std::move(s)) {}
  // None once every Sender is gone (RecvError).
  std::optional<T> recv() {
    std::unique_lock g{s->mu};
    s->cv.wait(g, [&] { return !s->queue.empty() || s->senders == 0; });
    if (s->queue.empty()) return std::nullopt;
    T v = std::move(s->queue.front());
    s->queue.pop_front();
    return v;
  }
  // None with *err set on timeout or disconnection.
  std::optional<T> recv_timeout(std::chrono::milliseconds d, RecvTimeoutError* err) {
    std::unique_lock g{s->mu};
    if (!s->cv.wait_for(g, d, [&] { return !s->queue.empty() || s->senders == 0; })) {
      *err = RecvTimeoutError::Timeout;
      return std::nullopt;
    }
    if (s->queue.empty()) {
      *err = RecvTimeoutError::Disconnected;
      return std::nullopt;
    }
    T v = std::move(s->queue.front());
    s->queue.pop_front();
    return v;
  }

 private:
  std::shared_ptr<Shared<T>> s;
};

template <typename T>
std::pair<Sender<T>, Receiver<T>> unbounded() {
  auto s = std::make_shared<Shared<T>>();
  return {Sender<T>{s}, Receiver<T>{s}};
}
}  // namespace crossbeam_channel

namespace io {
using HandlerId = std::size_t;

struct IoHandler {
  virtual ~IoHandler() = default;
  virtual void message(HandlerId, const std::string& msg) = 0;
};

enum class WorkType { Timeout, Message };

struct Work {
  WorkType work_type;
  std::size_t token;
  HandlerId handler_id;
  std::shared_ptr<IoHandler> handler;
  std::string message;
};

/// A socket IO worker thread
class SocketWorker {
 public:
  SocketWorker(std::size_t index, crossbeam_channel::Receiver<Work> rx)
      : deleting(std::make_shared<std::atomic<bool>>(false)) {
    thread = std::thread([index, rx = std::move(rx), deleting = deleting]() mutable {
      std::printf("Socket IO Worker #%zu started\n", index);
      work_loop(rx, *deleting);
    });
  }
  SocketWorker(SocketWorker&&) = default;
  ~SocketWorker() {  // impl Drop for SocketWorker
    if (!deleting) return;
    deleting->store(true, std::memory_order_release);
    if (thread.joinable()) thread.join();
  }

 private:
  static void work_loop(crossbeam_channel::Receiver<Work>& rx, std::atomic<bool>& deleting) {
    while (!deleting.load(std::memory_order_acquire)) {
      auto work = rx.recv();  // LEAK
      if (!work) break;
      do_work(std::move(*work));
    }
  }

  static void do_work(Work work) {
    if (work.work_type == WorkType::Message) work.handler->message(work.handler_id, work.message);
  }

  std::thread thread;
  std::shared_ptr<std::atomic<bool>> deleting;
};

enum class IoMessageKind { Shutdown, RemoteMessage };
struct IoMessage {
  IoMessageKind kind;
  std::size_t peer = 0;
  HandlerId handler_id = 0;
  std::string msg;
};

/// Root IO handler. Manages user handlers and the socket workers.
class IoManager {
 public:
  static void start(crossbeam_channel::Receiver<IoMessage>& event_loop,
                    std::vector<std::shared_ptr<IoHandler>> handlers) {
    IoManager io;
    io.handlers = std::move(handlers);
    const std::size_t num_socket_workers = 4;
    for (std::size_t i = 0; i < num_socket_workers; ++i) {
      auto [tx, rx] = crossbeam_channel::unbounded<Work>();
      io.socket_workers.emplace_back(std::move(tx), SocketWorker{i, std::move(rx)});
    }
    while (auto msg = event_loop.recv()) {  // event_loop.run(&mut io)
      if (!io.notify(*msg)) break;
    }
  }  // io dropped here

 private:
  bool notify(const IoMessage& msg) {
    switch (msg.kind) {
      case IoMessageKind::Shutdown:
        return false;
      case IoMessageKind::RemoteMessage: {
        socket_workers[msg.peer % 4].first.send(
            Work{WorkType::Message, msg.peer, msg.handler_id, handlers.at(msg.handler_id), msg.msg});
        return true;
      }
    }
    return true;
  }

  std::vector<std::shared_ptr<IoHandler>> handlers;
  std::vector<std::pair<crossbeam_channel::Sender<Work>, SocketWorker>> socket_workers;
};

/// General IO Service. Starts an event loop and dispatches IO requests.
class IoService {
 public:
  explicit IoService(std::vector<std::shared_ptr<IoHandler>> handlers) {
    auto [tx, rx] = crossbeam_channel::unbounded<IoMessage>();
    host_channel.emplace(std::move(tx));
    thread = std::thread([rx = std::move(rx), handlers = std::move(handlers)]() mutable {
      IoManager::start(rx, std::move(handlers));
    });
  }
  void send_remote(std::size_t peer, std::string msg) {
    host_channel->send(IoMessage{IoMessageKind::RemoteMessage, peer, 0, std::move(msg)});
  }
  void stop() {
    std::puts("[IoService] Closing...");
    host_channel->send(IoMessage{IoMessageKind::Shutdown});
    if (thread.joinable()) thread.join();
    std::puts("[IoService] Closed.");
  }

 private:
  std::optional<crossbeam_channel::Sender<IoMessage>> host_channel;
  std::thread thread;
};
}  // namespace io

struct NetworkProtocolHandler : io::IoHandler {
  void message(io::HandlerId, const std::string& msg) override { std::printf("handled %s\n", msg.c_str()); }
};

int main() {
  io::IoService service{{std::make_shared<NetworkProtocolHandler>()}};
  service.send_remote(1, "GetBlockHeaders");
  service.send_remote(6, "NewBlockHashes");
  std::this_thread::sleep_for(50ms);
  service.stop();
  return 0;
}
