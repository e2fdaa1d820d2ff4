// Port: XRPLF/rippled#680 ("Fix Overlay stop on exit")
//   The Overlay counts its dependent peers (m_child_count, plus one extra
//   count taken in the constructor) and reports itself stopped, which lets
//   the application's stop sequence finish, only when that count reaches
//   zero. onStop() drops the extra count and calls close_all() under
//   m_mutex, closing every peer; each closed peer removes itself and drops a
//   count. PeerFinder's periodic autoconnect runs on another thread and
//   calls OverlayImpl::connect(), which checks isStopping() first and only
//   later, under m_mutex, inserts the new outbound peer, takes a count and
//   starts it. "The stop sequence for Overlay had a race condition where
//   autoconnect could be called after close_all, resulting in a hang on
//   exit": a peer started after close_all() is never closed; the Overlay
//   has already reported itself stopped, but the peer's pending read keeps
//   the io_service busy, so the service threads never return and the exit
//   path waits for them forever.
// Style: (a) Boost.Asio: io_context run by two service threads, steady_timer
//   for the autoconnect period, local::stream_protocol socket pairs for the
//   peers' connections (async_read_some pending until closed), strand in the
//   fix; std::recursive_mutex + std::condition_variable_any for the stop wait
// Bug class: shutdown race: a connection started after the shutdown's
//   close-all pass is never closed, so the event loop never runs out of work
//   and the exit path's join hangs
// Shape: one fixed peer is connected at start. At 100 ms the autoconnect
//   timer fires on a service thread; connect() sees isStopping() == false and
//   then spends 200 ms getting its outbound slot (forcing). At 150 ms main
//   stops the Overlay: onStop() closes the fixed peer, the count reaches zero
//   and stop() returns; main lets the io_context run out of work and joins
//   the service threads. At 300 ms connect() inserts and starts the new
//   peer, which nobody closes: its pending read keeps io_context::run() busy
//   forever and main hangs in join().
// Fix: the close and the timer operations run on one strand: the
//   autoconnect timer's completion handler is bound to the strand and
//   onStop() posts close_all() to it, so close_all() cannot run in the middle
//   of an autoconnect pass and also closes the peer that pass started.
#include <boost/asio.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using socket_type = asio::local::stream_protocol::socket;
using namespace std::chrono_literals;

class OverlayImpl;

class PeerImp : public std::enable_shared_from_this<PeerImp> {
 public:
  PeerImp(int slot, std::string remote, asio::io_context& io, OverlayImpl& overlay)
      : slot_(slot), remote_endpoint_(std::move(remote)), socket_(io), wire_(io), overlay_(overlay) {
    asio::local::connect_pair(socket_, wire_);  // the remote node never says anything
  }
  void start() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buf_),
                            [self](boost::system::error_code ec, std::size_t) { self->on_read(ec); });
  }
  void close(bool /*graceful*/) {
    auto self = shared_from_this();
    asio::post(socket_.get_executor(), [self] {
      boost::system::error_code ignored;
      self->socket_.close(ignored);
      self->wire_.close(ignored);
    });
  }
  const std::string& remote_endpoint() const { return remote_endpoint_; }

 private:
  void on_read(boost::system::error_code ec);
  int slot_;
  std::string remote_endpoint_;
  socket_type socket_, wire_;
  char buf_[64];
  OverlayImpl& overlay_;
};

namespace PeerFinder {
struct Manager {
  int next_slot = 0;
  bool first_autoconnect = true;
  int new_outbound_slot(const std::string& /*remote*/, bool from_autoconnect) {
    if (from_autoconnect && first_autoconnect) {
      first_autoconnect = false;
      std::this_thread::sleep_for(200ms);  // forcing: slow slot bookkeeping
    }
    return ++next_slot;
  }
  std::vector<std::string> autoconnect() { return {"192.0.2.7:51235"}; }
};
}  // namespace PeerFinder

class OverlayImpl {
 public:
  explicit OverlayImpl(asio::io_context& io)
      : m_io_service(io), m_strand(asio::make_strand(io)), m_timer(io) {}

  void start() {
    connect("192.0.2.1:51235", false);  // [ips_fixed]
    m_timer.expires_after(100ms);
    m_timer.async_wait(
        asio::bind_executor(m_strand, [this](boost::system::error_code ec) { on_timer(ec); }));
  }

  // Stoppable::stop(): request the stop, then block until stopped().
  void stop() {
    m_stopping = true;
    onStop();
    std::unique_lock<std::recursive_mutex> lock(m_mutex);
    m_cond.wait(lock, [this] { return m_stopped; });
    std::printf("Overlay stopped\n");
  }

  bool isStopping() const { return m_stopping; }

  void connect(const std::string& remote_endpoint, bool from_autoconnect) {
    if (isStopping()) {
      std::printf("Skipping %s connect on stop\n", remote_endpoint.c_str());
      return;
    }
    int const slot = m_peerFinder.new_outbound_slot(remote_endpoint, from_autoconnect);
    auto const peer = std::make_shared<PeerImp>(slot, remote_endpoint, m_io_service, *this);
    std::lock_guard<std::recursive_mutex> lock(m_mutex);
    m_peers.emplace(slot, peer);
    ++m_child_count;
    // This has to happen while holding the lock,
    // otherwise the socket might not be canceled during a stop.
    peer->start();
    std::printf("connected to %s\n", remote_endpoint.c_str());
  }

  void remove(int slot) {
    std::lock_guard<std::recursive_mutex> lock(m_mutex);
    m_peers.erase(slot);
    release();
  }

 private:
  void on_timer(boost::system::error_code ec) {
    if (ec == asio::error::operation_aborted || isStopping()) return;
    autoconnect();
    if (isStopping()) return;
    m_timer.expires_after(1s);
    m_timer.async_wait(
        asio::bind_executor(m_strand, [this](boost::system::error_code ec) { on_timer(ec); }));
  }

  void autoconnect() {
    for (auto const& ep : m_peerFinder.autoconnect()) connect(ep, true);
  }

  void onStop() {
    // Close on the strand, serialized with the autoconnect timer's handler.
    asio::post(m_strand, [this] {
      m_timer.cancel();
      std::lock_guard<std::recursive_mutex> lock(m_mutex);
      release();  // Take off the extra count we added in the constructor
      close_all(false);
    });
  }

  // Caller must hold the mutex.
  void close_all(bool graceful) {
    for (auto const& entry : m_peers)
      if (auto peer = entry.second.lock()) peer->close(graceful);
  }

  // Caller must hold the mutex.
  void release() {
    if (--m_child_count == 0) check_stopped();
  }
  void check_stopped() {
    m_stopped = true;
    m_cond.notify_all();
  }

  asio::io_context& m_io_service;
  asio::strand<asio::io_context::executor_type> m_strand;
  asio::steady_timer m_timer;
  PeerFinder::Manager m_peerFinder;
  std::recursive_mutex m_mutex;
  std::condition_variable_any m_cond;
  std::map<int, std::weak_ptr<PeerImp>> m_peers;
  int m_child_count = 1;
  bool m_stopped = false;
  std::atomic<bool> m_stopping{false};
};

void PeerImp::on_read(boost::system::error_code ec) {
  if (!ec) {
    start();
    return;
  }
  std::printf("peer %s closed\n", remote_endpoint_.c_str());
  overlay_.remove(slot_);
}

int main() {
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::vector<std::thread> io_threads;
  for (int i = 0; i < 2; ++i) io_threads.emplace_back([&io] { io.run(); });

  OverlayImpl overlay(io);
  overlay.start();

  std::this_thread::sleep_for(150ms);  // the server is asked to exit
  overlay.stop();

  work.reset();
  for (auto& t : io_threads) t.join();
  return 0;
}
