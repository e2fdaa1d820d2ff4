// Port: arvidn/libtorrent#1203 ("fix issue where shutting down the session immediately and asynchronously starting the DHT would cause a shutdown hang")
//   A libtorrent session runs session_impl on its own network thread, which
//   sits in io_context::run() until the context runs out of work.
//   ~session() posts session_impl::abort() to that thread and joins it;
//   abort() sets m_abort, stops the DHT, cancels the session timer and drops
//   the io_context work guard, after which run() is expected to return.
//   With DHT enabled the session first resolves its DHT bootstrap routers
//   (router.bittorrent.com, ...): start_dht() is postponed while
//   m_outstanding_router_lookups > 0 and is called again from
//   on_dht_router_name_lookup() when the last lookup completes. If the
//   session is destroyed while a lookup is still running (issue #1199: a
//   script that adds a torrent and exits), the lookup completes after
//   abort(), start_dht() creates and starts a fresh dht_tracker, and its
//   refresh timer re-arms itself forever: the network thread's run() never
//   runs out of work and the destructor's join never returns.
// Style: (a) Boost.Asio (io_context on a network thread, executor_work_guard,
//   steady_timer re-armed from its own handler, asio::post; a host_resolver
//   that completes on the io_context from a resolver thread, like asio's)
// Bug class: event loop that never exits: an asynchronous completion that
//   arrives after shutdown starts a new self-re-arming timer
// Shape: the session starts with two DHT routers whose lookups take 150 ms;
//   main destroys the session after 50 ms. abort() runs while both lookups
//   are outstanding; at 150 ms the second completion starts the DHT, its
//   100 ms refresh timer keeps the io_context busy, and run() on the network
//   thread (with ~session()'s join of it) never returns.
// Fix: start_dht() returns early ("not starting DHT, aborting") when
//   m_abort is set.
#include <boost/asio.hpp>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
using error_code = boost::system::error_code;
using namespace std::chrono_literals;

namespace libtorrent {
namespace aux {

// resolves host names on its own thread and posts the completion handler
// back to the io_context; the pending operation counts as outstanding work
struct host_resolver {
  explicit host_resolver(asio::io_context &ios) : m_ios(ios) {}
  ~host_resolver() {
    for (auto &t : m_threads) t.join();
  }
  void async_resolve(std::string const &host,
                     std::function<void(error_code const &, std::vector<std::string> const &)> h) {
    auto work = asio::make_work_guard(m_ios);
    std::lock_guard<std::mutex> l(m_mutex);
    m_threads.emplace_back([this, host, h, work]() mutable {
      std::this_thread::sleep_for(150ms); // getaddrinfo()
      asio::post(m_ios, [h, host, work]() mutable {
        h(error_code(), {host == "router.bittorrent.com" ? "67.215.246.10" : "82.221.103.244"});
        work.reset();
      });
    });
  }
  asio::io_context &m_ios;
  std::mutex m_mutex;
  std::vector<std::thread> m_threads;
};

} // namespace aux

namespace dht {
struct dht_tracker : std::enable_shared_from_this<dht_tracker> {
  explicit dht_tracker(asio::io_context &ios) : m_refresh_timer(ios) {}
  void start() {
    m_running = true;
    refresh_timeout(error_code());
  }
  void stop() {
    m_running = false;
    m_refresh_timer.cancel();
  }
  void refresh_timeout(error_code const &e) {
    if (e || !m_running) return;
    ++m_ticks; // m_dht.tick(): refresh buckets, ping routers
    m_refresh_timer.expires_after(100ms);
    m_refresh_timer.async_wait(
        [self = shared_from_this()](error_code const &ec) { self->refresh_timeout(ec); });
  }
  asio::steady_timer m_refresh_timer;
  bool m_running = false;
  int m_ticks = 0;
};
} // namespace dht

namespace aux {

struct session_impl {
  explicit session_impl(asio::io_context &ios)
      : m_io_context(ios), m_work(asio::make_work_guard(ios)), m_timer(ios), m_host_resolver(ios) {}

  void start_session() {
    add_dht_router("router.bittorrent.com");
    add_dht_router("dht.transmissionbt.com");
    start_dht();
    on_tick(error_code());
  }

  void add_dht_router(std::string const &name) {
    ++m_outstanding_router_lookups;
    m_host_resolver.async_resolve(name, [this](error_code const &e, std::vector<std::string> const &a) {
      on_dht_router_name_lookup(e, a);
    });
  }

  void on_dht_router_name_lookup(error_code const &e, std::vector<std::string> const &addresses) {
    --m_outstanding_router_lookups;
    if (!e)
      for (auto const &a : addresses) m_dht_router_nodes.push_back(a);
    if (m_outstanding_router_lookups == 0) start_dht();
  }

  void start_dht() {
    stop_dht();
    // postpone starting the DHT if we're still resolving the DHT router
    if (m_outstanding_router_lookups > 0) {
      std::fprintf(stderr, "not starting DHT, outstanding router lookups: %d\n", m_outstanding_router_lookups);
      return;
    }
    if (m_abort) {
      std::fprintf(stderr, "not starting DHT, aborting\n");
      return;
    }
    std::fprintf(stderr, "starting DHT, router nodes: %zu\n", m_dht_router_nodes.size());
    m_dht = std::make_shared<dht::dht_tracker>(m_io_context);
    m_dht->start();
  }

  void stop_dht() {
    if (!m_dht) return;
    m_dht->stop();
    m_dht.reset();
  }

  void on_tick(error_code const &e) {
    if (e || m_abort) return;
    m_timer.expires_after(50ms);
    m_timer.async_wait([this](error_code const &ec) { on_tick(ec); });
  }

  void abort() {
    if (m_abort) return;
    m_abort = true;
    stop_dht();
    m_timer.cancel();
    m_work.reset();
  }

  void main_thread() {
    m_io_context.run();
  }

  asio::io_context &m_io_context;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> m_work;
  asio::steady_timer m_timer;
  bool m_abort = false;
  int m_outstanding_router_lookups = 0;
  std::vector<std::string> m_dht_router_nodes;
  std::shared_ptr<dht::dht_tracker> m_dht;
  host_resolver m_host_resolver;
};

} // namespace aux

class session {
 public:
  session() : m_io_service(std::make_shared<asio::io_context>()) {
    m_impl = std::make_shared<aux::session_impl>(*m_io_service);
    auto impl = m_impl;
    asio::post(*m_io_service, [impl] { impl->start_session(); });
    m_thread = std::make_shared<std::thread>([impl] { impl->main_thread(); });
  }
  ~session() {
    auto impl = m_impl;
    asio::post(*m_io_service, [impl] { impl->abort(); });
    m_thread->join();
    m_impl.reset();
  }

 private:
  std::shared_ptr<asio::io_context> m_io_service;
  std::shared_ptr<aux::session_impl> m_impl;
  std::shared_ptr<std::thread> m_thread;
};

} // namespace libtorrent

int main() {
  {
    libtorrent::session s; // settings: enable_dht = true
    std::this_thread::sleep_for(50ms); // add_torrent(), then the script exits
  }
  std::printf("session destroyed\n");
  return 0;
}
