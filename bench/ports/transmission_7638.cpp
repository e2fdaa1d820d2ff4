// Port: transmission/transmission#7638 ("fix: acquire lock in tr_peerMgrPeerStats")
//   transmission-qt runs libtransmission in-process: an RPC request from the
//   Qt main thread is executed by tr_rpc_request_exec() under the session
//   lock (a std::recursive_mutex behind tr_session::unique_lock()). Since
//   #5992, tr_peerMgrPeerStats() (called by torrentGet for the "peers" field)
//   no longer read the swarm itself: it posted a lambda with
//   run_in_session_thread() and waited on a std::promise<void> that the
//   lambda sets. The session thread, meanwhile, is inside a libevent
//   callback, tr_peerIo::can_read_wrapper(), which takes the same session
//   lock before handling the received block. It waits for the main thread,
//   the main thread waits for the future, and the posted lambda sits in the
//   session thread's queue behind the blocked callback: opening the Torrent
//   Properties window while downloading hung the client.
// Style: (d) standard library only, C++-native (libtransmission's idiom reduced: tr_session with a recursive session mutex and unique_lock(), a tr_session_thread event loop with run_in_session_thread(std::function<void()>) and a socket-readable event, std::promise/std::future)
// Bug class: lock held while blocking on a future that only the lock-waiting event-loop thread can fulfil
// Shape: the Qt main thread starts a torrent-get RPC and holds the session
//   lock; 50 ms in, a block arrives and the session thread's read callback
//   waits for the lock; at 150 ms the RPC reaches tr_peerMgrPeerStats(),
//   posts the stats lambda and waits on its future. Neither returns, so
//   tr_sessionClose() is never reached and main never returns.
// Fix: tr_peerMgrPeerStats() takes the session lock itself (recursively, on
//   the caller's thread) and builds the stats in place instead of posting
//   to the session thread and waiting.
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

struct tr_peer_stat {
  std::string addr;
  double progress;
};

struct tr_peerMsgs {
  std::string addr;
  int blocks_received = 0;
  int n_blocks = 4;
};

struct tr_session;

struct tr_torrent {
  tr_session *session;
  std::vector<tr_peerMsgs *> peers; // tor->swarm->peers
  std::unique_lock<std::recursive_mutex> unique_lock() const;
};

// The libevent loop of the session thread, reduced to a queue of callbacks.
class tr_session_thread {
public:
  tr_session_thread() : thread_([this] { loop(); }) {}
  ~tr_session_thread() {
    queue([this] { stopping_ = true; });
    thread_.join();
  }
  bool am_in_session_thread() const { return std::this_thread::get_id() == thread_.get_id(); }
  void run(std::function<void()> &&func) {
    if (am_in_session_thread())
      func();
    else
      queue(std::move(func));
  }
  // An event source firing (socket readable): its callback runs on the loop.
  void queue(std::function<void()> &&func) {
    {
      std::lock_guard l(work_mutex_);
      work_.push_back(std::move(func));
    }
    work_cv_.notify_one();
  }

private:
  void loop() {
    while (!stopping_) {
      std::function<void()> func;
      {
        std::unique_lock l(work_mutex_);
        work_cv_.wait(l, [this] { return !work_.empty(); });
        func = std::move(work_.front());
        work_.pop_front();
      }
      func();
    }
  }
  std::mutex work_mutex_;
  std::condition_variable work_cv_;
  std::deque<std::function<void()>> work_;
  bool stopping_ = false; // only touched on the session thread
  std::thread thread_;
};

struct tr_session {
  std::unique_lock<std::recursive_mutex> unique_lock() { return std::unique_lock(session_mutex_); }
  void run_in_session_thread(std::function<void()> &&func) { session_thread_.run(std::move(func)); }
  tr_session_thread &session_thread() { return session_thread_; }

private:
  std::recursive_mutex session_mutex_;
  tr_session_thread session_thread_;
};

std::unique_lock<std::recursive_mutex> tr_torrent::unique_lock() const { return session->unique_lock(); }

// peer-io.cc: the read callback registered with libevent for a peer socket.
void can_read_wrapper(tr_torrent *tor, tr_peerMsgs *peer) {
  auto const lock = tor->session->unique_lock();
  ++peer->blocks_received; // process the incoming block
}

// peer-mgr.cc
tr_peer_stat *tr_peerMgrPeerStats(tr_torrent const *tor, size_t *setme_count) {
  auto const &peers = tor->peers;
  auto *const ret = new tr_peer_stat[peers.size()];

  auto done_promise = std::promise<void>{};
  auto done_future = done_promise.get_future();
  tor->session->run_in_session_thread([&peers, &ret, &done_promise]() {
    for (size_t i = 0; i < peers.size(); ++i)
      ret[i] = {peers[i]->addr, double(peers[i]->blocks_received) / peers[i]->n_blocks};
    done_promise.set_value();
  });
  done_future.wait(); // LEAK: the session thread is stuck on the session lock this thread holds

  *setme_count = peers.size();
  return ret;
}

// rpcimpl.cc: torrentGet with fields ["peers", ...]
std::string tr_rpc_request_exec(tr_torrent *tor) {
  auto const lock = tor->session->unique_lock();
  std::this_thread::sleep_for(150ms); // the other torrent fields are serialized first
  size_t n = 0;
  tr_peer_stat *stats = tr_peerMgrPeerStats(tor, &n);
  std::string reply = "{\"peers\":[";
  for (size_t i = 0; i < n; ++i)
    reply += (i ? ",\"" : "\"") + stats[i].addr + "\"";
  reply += "]}";
  delete[] stats;
  return reply;
}

int main() {
  tr_peerMsgs peer_a{"10.0.0.2:51413"};
  tr_peerMsgs peer_b{"10.0.0.3:51413"};
  std::string reply;
  {
    auto *session = new tr_session{};
    tr_torrent tor{session, {&peer_a, &peer_b}};

    // The network: a block from peer_a arrives 50 ms into the RPC.
    std::thread network([&] {
      std::this_thread::sleep_for(50ms);
      session->session_thread().queue([&] { can_read_wrapper(&tor, &peer_a); });
    });

    // Qt main thread: the Torrent Properties window asks for the peer list.
    reply = tr_rpc_request_exec(&tor);
    network.join();

    delete session; // tr_sessionClose(): stops and joins the session thread
  }
  std::printf("%s, peer_a blocks %d\n", reply.c_str(), peer_a.blocks_received);
  return peer_a.blocks_received == 1 ? 0 : 1;
}
