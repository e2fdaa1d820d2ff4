// Port: monero-project/monero#7237 ("p2p: fix deadlock banning while updating peer lists")
//   (commit 656b2f7; #7239 is the release-branch twin.) monerod's p2p
//   node_server guards its ban list with m_blocked_hosts_lock and each
//   network zone's peerlist_manager guards the white/gray/anchor lists with
//   m_peerlist_lock (both epee critical sections: recursive mutexes).
//   node_server::block_host() (a `set_bans` RPC, or add_host_fail() after a
//   misbehaving peer) takes m_blocked_hosts_lock, collects and drops the
//   host's connections, and then, still holding it, removes the host from
//   the peer lists (remove_from_peer_white/gray/anchor take
//   m_peerlist_lock). Meanwhile, on another I/O thread, a handshake or
//   timed-sync reply goes through handle_remote_peerlist(), whose
//   peerlist_manager::merge_peerlist() takes m_peerlist_lock and calls the
//   filter callback for every entry; the filter's is_remote_host_allowed()
//   takes m_blocked_hosts_lock. Each thread holds one lock and waits for the
//   other: the daemon's p2p layer stops and the I/O threads can no longer be
//   joined at exit.
// Style: (e) Boost.Asio + Boost.Thread (boost::asio::io_context run by a
//   boost::thread_group of I/O threads, asio::post and a steady_timer for the
//   RPC and the peer's reply, boost::recursive_mutex behind epee's
//   critical_section and CRITICAL_REGION_LOCAL, a std::function filter)
// Bug class: lock-order inversion between two recursive mutexes, one side
//   reached through a filter callback run under the other
//   (m_blocked_hosts_lock -> m_peerlist_lock vs m_peerlist_lock ->
//   m_blocked_hosts_lock)
// Shape: at 0 ms an I/O thread runs the `set_bans` RPC for 203.0.113.9:
//   block_host() locks m_blocked_hosts_lock and walks the connection map
//   (three connections, 20 ms each). At 20 ms the other I/O thread handles a
//   COMMAND_TIMED_SYNC reply from 198.51.100.4: merge_peerlist() locks
//   m_peerlist_lock and the filter blocks on m_blocked_hosts_lock. At 60 ms
//   block_host() blocks on m_peerlist_lock in remove_from_peer_white().
//   Main's join_all() hangs.
// Fix: handle_remote_peerlist() takes m_blocked_hosts_lock before calling
//   merge_peerlist(), so both paths lock m_blocked_hosts_lock first (the
//   filter's nested lock is recursive).
#include <boost/asio.hpp>
#include <boost/thread.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;

namespace epee {
using critical_section = boost::recursive_mutex;
#define CRITICAL_REGION_LOCAL(x) boost::lock_guard<epee::critical_section> critical_region_var(x)

namespace net_utils {
struct network_address {
  std::string host;
  uint16_t port = 0;
  std::string host_str() const { return host; }
  std::string str() const { return host + ":" + std::to_string(port); }
  bool is_same_host(const network_address &other) const { return host == other.host; }
};
struct connection_context_base {
  int m_connection_id = 0;
  network_address m_remote_address;
};
} // namespace net_utils
} // namespace epee

namespace nodetool {
using epee::net_utils::network_address;
using p2p_connection_context = epee::net_utils::connection_context_base;
const time_t P2P_IP_BLOCKTIME = 60 * 60 * 24;

struct peerlist_entry {
  network_address adr;
  uint64_t id = 0;
  int64_t last_seen = 0;
};

class peerlist_manager {
public:
  bool merge_peerlist(const std::vector<peerlist_entry> &outer_bs,
                      const std::function<bool(const peerlist_entry &)> &f = nullptr) {
    CRITICAL_REGION_LOCAL(m_peerlist_lock);
    for (const peerlist_entry &be : outer_bs) {
      if (!f || f(be))
        append_with_peer_gray(be);
    }
    return true;
  }
  bool append_with_peer_gray(const peerlist_entry &pe) {
    CRITICAL_REGION_LOCAL(m_peerlist_lock);
    m_peers_gray.push_back(pe);
    return true;
  }
  bool remove_from_peer_white(const peerlist_entry &pe) {
    CRITICAL_REGION_LOCAL(m_peerlist_lock);
    return erase_same_host(m_peers_white, pe.adr);
  }
  bool remove_from_peer_gray(const peerlist_entry &pe) {
    CRITICAL_REGION_LOCAL(m_peerlist_lock);
    return erase_same_host(m_peers_gray, pe.adr);
  }
  bool remove_from_peer_anchor(const network_address &addr) {
    CRITICAL_REGION_LOCAL(m_peerlist_lock);
    return erase_same_host(m_peers_anchor, addr);
  }
  size_t get_gray_peers_count() {
    CRITICAL_REGION_LOCAL(m_peerlist_lock);
    return m_peers_gray.size();
  }

private:
  static bool erase_same_host(std::vector<peerlist_entry> &list, const network_address &addr) {
    size_t n = list.size();
    std::erase_if(list, [&](const peerlist_entry &e) { return e.adr.is_same_host(addr); });
    return list.size() != n;
  }
  epee::critical_section m_peerlist_lock;
  std::vector<peerlist_entry> m_peers_white, m_peers_gray, m_peers_anchor;
};

class node_server {
public:
  void on_connection_new(const p2p_connection_context &ctx) {
    CRITICAL_REGION_LOCAL(m_connects_lock);
    m_connects[ctx.m_connection_id] = ctx;
  }

  template <class callback_t> bool foreach_connection(const callback_t &cb) {
    CRITICAL_REGION_LOCAL(m_connects_lock);
    for (auto &c : m_connects) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20)); // forcing: a busy connection map
      if (!cb(c.second))
        return false;
    }
    return true;
  }

  bool is_addr_recently_failed(const network_address &addr) {
    CRITICAL_REGION_LOCAL(m_conn_fails_cache_lock);
    return m_conn_fails_cache.count(addr.host_str()) != 0;
  }

  bool is_remote_host_allowed(const network_address &address) {
    CRITICAL_REGION_LOCAL(m_blocked_hosts_lock); // LEAK
    auto it = m_blocked_hosts.find(address.host_str());
    return it == m_blocked_hosts.end() || time(nullptr) >= it->second;
  }

  bool block_host(network_address addr, time_t seconds = P2P_IP_BLOCKTIME) {
    CRITICAL_REGION_LOCAL(m_blocked_hosts_lock);
    m_blocked_hosts[addr.host_str()] = time(nullptr) + seconds;

    // drop any connection to that address
    std::vector<int> conns;
    foreach_connection([&](const p2p_connection_context &cntxt) {
      if (cntxt.m_remote_address.is_same_host(addr))
        conns.push_back(cntxt.m_connection_id);
      return true;
    });
    peerlist_entry pe{addr};
    m_peerlist.remove_from_peer_white(pe);
    m_peerlist.remove_from_peer_gray(pe);
    m_peerlist.remove_from_peer_anchor(addr);
    for (int c : conns)
      close(c);
    std::printf("Host %s blocked.\n", addr.host_str().c_str());
    return true;
  }

  bool handle_remote_peerlist(const std::vector<peerlist_entry> &peerlist, const p2p_connection_context &context) {
    std::printf("[%s] REMOTE PEERLIST: remote peerlist size=%zu\n", context.m_remote_address.str().c_str(),
                peerlist.size());
    return m_peerlist.merge_peerlist(peerlist, [this](const peerlist_entry &pe) {
      return !is_addr_recently_failed(pe.adr) && is_remote_host_allowed(pe.adr);
    });
  }

  peerlist_manager m_peerlist;

private:
  void close(int connection_id) {
    CRITICAL_REGION_LOCAL(m_connects_lock);
    m_connects.erase(connection_id);
  }

  epee::critical_section m_blocked_hosts_lock, m_conn_fails_cache_lock, m_connects_lock;
  std::map<std::string, time_t> m_blocked_hosts, m_conn_fails_cache;
  std::map<int, p2p_connection_context> m_connects;
};
} // namespace nodetool

int main() {
  using namespace nodetool;
  node_server p2p;
  p2p.on_connection_new({1, {"198.51.100.4", 18080}});
  p2p.on_connection_new({2, {"203.0.113.9", 18080}});
  p2p.on_connection_new({3, {"192.0.2.77", 18080}});

  asio::io_context io;
  auto work = asio::make_work_guard(io);
  boost::thread_group io_threads; // boosted_tcp_server's worker threads
  for (int i = 0; i < 2; ++i)
    io_threads.create_thread([&io] { io.run(); });

  // The `set_bans` RPC bans a spamming node.
  asio::post(io, [&p2p] { p2p.block_host({"203.0.113.9", 18080}); });

  // A COMMAND_TIMED_SYNC reply from 198.51.100.4 arrives with its peer list.
  asio::steady_timer reply(io, std::chrono::milliseconds(20));
  reply.async_wait([&p2p](const boost::system::error_code &) {
    std::vector<peerlist_entry> peerlist = {
        {{"203.0.113.9", 18080}, 11}, {{"192.0.2.150", 18080}, 12}, {{"198.51.100.23", 18080}, 13}};
    p2p.handle_remote_peerlist(peerlist, {1, {"198.51.100.4", 18080}});
    std::printf("gray peers: %zu\n", p2p.m_peerlist.get_gray_peers_count());
  });

  work.reset(); // node_server::deinit(): let the I/O threads finish
  io_threads.join_all();
  std::printf("p2p stopped\n");
  return 0;
}
