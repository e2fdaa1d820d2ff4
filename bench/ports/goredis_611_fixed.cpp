// Port: redis/go-redis#611 ("Fix PubSub.Subscribe deadlock", issue #610 "Deadlock in Pub-Sub")
//   A PubSub keeps one dedicated connection (c.cn) guarded by c.mu.
//   Subscribe() locks c.mu, calls c.subscribe(), records the channels and
//   unlocks. subscribe() gets the connection with _conn(), writes the
//   SUBSCRIBE command and hands the connection back through putConn(), which
//   discards the connection if the write failed with a network error. But
//   putConn() locks c.mu itself to compare c.cn and close it: on the error
//   path the goroutine that already holds c.mu (from Subscribe) locks it a
//   second time. sync.Mutex is not reentrant, so the subscriber blocks on its
//   own lock forever, and every later user of the PubSub (Close, Receive,
//   Unsubscribe) blocks behind it. On success putConn() returns before
//   locking, which is why only a broken connection shows it.
// Style: (c) gochan.h (go::Mutex for PubSub.mu, go::spawn for the application's subscriber goroutine), a fake Redis server whose connections can be dropped
// Bug class: non-reentrant mutex re-locked by its holder on an error path (self-deadlock through a helper)
// Shape: the subscriber goroutine subscribes to "news" at once (the write
//   succeeds), main drops the server's connections at t=100 ms, and at
//   t=200 ms the subscriber subscribes to "sports": the write fails with
//   "broken pipe", putConn() calls c.mu.Lock() while Subscribe() holds it, and
//   main's wait for the subscriber hangs.
// Fix: the release is split into releaseConn() (locks c.mu) and
//   _releaseConn() (caller holds c.mu); subscribe(), which only runs under
//   c.mu, calls _releaseConn().
#include "gochan.h"

#include <atomic>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace redis {

using error = std::string; // "" is nil

// The server side: a restart breaks every open connection.
struct FakeServer {
  std::atomic<int> generation{0};
  void dropConnections() { generation++; }
};

namespace pool {
struct Conn {
  FakeServer *srv;
  int gen;
  bool closed = false;
  error Write(const std::string &cmd) {
    if (closed)
      return "redis: client is closed";
    if (gen != srv->generation.load())
      return "write tcp 127.0.0.1:51234->127.0.0.1:6379: write: broken pipe";
    std::printf("-> %s\n", cmd.c_str());
    return "";
  }
};
} // namespace pool

inline bool IsBadConn(const error &err) { return !err.empty(); }

class PubSub {
  go::Mutex mu;
  std::shared_ptr<pool::Conn> cn;
  std::map<std::string, bool> channels;
  bool closed = false;

  std::function<std::shared_ptr<pool::Conn>()> newConn;

public:
  explicit PubSub(std::function<std::shared_ptr<pool::Conn>()> nc) : newConn(std::move(nc)) {}

  // _conn: caller holds c.mu.
  std::shared_ptr<pool::Conn> _conn() {
    if (!cn)
      cn = newConn();
    return cn;
  }

  error _subscribe(pool::Conn &c, const std::string &redisCmd, const std::vector<std::string> &chans) {
    std::string cmd = redisCmd;
    for (auto &ch : chans)
      cmd += " " + ch;
    return c.Write(cmd);
  }

  void closeTheCn() {
    if (cn)
      cn->closed = true;
    cn.reset();
  }

  // releaseConn: for callers that do not hold c.mu.
  void releaseConn(const std::shared_ptr<pool::Conn> &c, const error &err) {
    mu.lock();
    _releaseConn(c, err);
    mu.unlock();
  }

  // _releaseConn: caller holds c.mu.
  void _releaseConn(const std::shared_ptr<pool::Conn> &c, const error &err) {
    if (cn != c)
      return;
    if (IsBadConn(err))
      closeTheCn();
  }

  // subscribe: caller holds c.mu.
  error subscribe(const std::string &redisCmd, const std::vector<std::string> &chans) {
    auto c = _conn();
    error err = _subscribe(*c, redisCmd, chans);
    _releaseConn(c, err);
    return err;
  }

  error Subscribe(const std::vector<std::string> &chans) {
    mu.lock();
    error err = subscribe("subscribe", chans);
    for (auto &ch : chans)
      channels[ch] = true; // resubscribed on the next connection
    mu.unlock();
    return err;
  }

  error Close() {
    mu.lock();
    if (closed) {
      mu.unlock();
      return "redis: client is closed";
    }
    closed = true;
    closeTheCn();
    mu.unlock();
    return "";
  }
};

} // namespace redis

int main() {
  using namespace redis;
  FakeServer server;
  PubSub pubsub([&server] { return std::make_shared<pool::Conn>(pool::Conn{&server, server.generation.load()}); });

  go::spawn([&pubsub] { // the application's subscriber
    error err = pubsub.Subscribe({"news"});
    std::printf("subscribe news: %s\n", err.empty() ? "ok" : err.c_str());
    go::sleep_ms(200);
    err = pubsub.Subscribe({"sports"});
    std::printf("subscribe sports: %s\n", err.empty() ? "ok" : err.c_str());
  });

  go::sleep_ms(100);
  server.dropConnections(); // redis restarts

  go::wait_all_goroutines();
  pubsub.Close();
  std::printf("pubsub closed\n");
  return 0;
}
