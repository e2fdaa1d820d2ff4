// GoKer port: gobench/goker/blocking/etcd/7443 (etcd-io/etcd#7443)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (c) Go-style library, include/gochan.h (go::chan, go::select, go::spawn) with std::mutex
// Bug class: lock+chan: blocking send (buffer full) while holding the
//   balancer's mutex that every partner must take first
// Shape: the balancer's Up() and its `down` callback send on notifyCh (one
//   slot) while holding b.mu. The only reader is lbWatcher, which itself runs
//   the `down` callbacks (tearDown) of the connections it drops: it blocks on
//   the full notifyCh holding b.mu, and resetTransport's Up() and both
//   Close() paths then wait for b.mu forever.
// Fix (the shape of the upstream one, simplified): notifications are no
//   longer sent under b.mu by Up()/down(): they record the pinned address and
//   a notify goroutine delivers the update in a select with the balancer's
//   stop channel, which Close() closes.
#include "gochan.h"
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

using Addrs = std::vector<int>;

struct SimpleBalancer {
  Addrs addrs{0, 1, 2}; // address 0 doubles as "nothing pinned", as in the kernel
  go::chan<Addrs> notifyCh{1};
  go::chan<go::unit> upc{1}; // the fix: "the pin changed", coalesced
  go::chan<go::unit> stopc;  // the fix: closed by Close()
  std::mutex mu;
  bool closed = false;
  int pinAddr = 0;

  SimpleBalancer() {
    notifyCh.send(addrs);
    go::spawn([this] { updateNotifyLoop(); });
  }
  void pinChanged() { go::select(go::case_send(upc, go::unit{}), go::case_default()); }
  // the fix: the only sender on notifyCh; it never holds mu while sending
  void updateNotifyLoop() {
    for (;;) {
      if (go::select(go::case_recv(upc), go::case_recv(stopc)) == 1)
        break;
      Addrs msg;
      {
        std::lock_guard lk(mu);
        msg = pinAddr == 0 ? addrs : Addrs{pinAddr};
      }
      if (go::select(go::case_send(notifyCh, msg), go::case_recv(stopc)) == 1)
        break;
    }
    notifyCh.close();
  }
  std::function<void()> Up(int addr) {
    bool pinned = false;
    {
      std::lock_guard lk(mu);
      if (closed)
        return [] {};
      if (pinAddr == 0) {
        pinAddr = addr;
        pinned = true;
      }
    }
    if (pinned)
      pinChanged(); // the fix: no send under mu
    return [this, addr] { // down
      bool changed = false;
      {
        std::lock_guard lk(mu);
        if (pinAddr == addr) {
          pinAddr = 0;
          changed = true;
        }
      }
      if (changed)
        pinChanged();
    };
  }
  void Close() {
    {
      std::lock_guard lk(mu);
      if (closed)
        return;
      closed = true;
      pinAddr = 0;
    }
    stopc.close();
  }
};

struct ClientConn;
struct AddrConn {
  std::mutex mu;
  ClientConn *cc;
  int addr;
  std::function<void()> down;
  void tearDown() {
    std::lock_guard lk(mu);
    if (down) {
      down();
      down = nullptr;
    }
  }
  void resetTransport();
};

struct ClientConn {
  SimpleBalancer *balancer;
  std::mutex mu;
  std::map<int, std::shared_ptr<AddrConn>> conns;
  bool closed = false;

  void lbWatcher() {
    for (const Addrs &addrs : balancer->notifyCh) {
      go::sleep_ms(5); // processing the update
      Addrs add;
      std::vector<std::shared_ptr<AddrConn>> del;
      {
        std::lock_guard lk(mu);
        for (int a : addrs)
          if (!conns.count(a))
            add.push_back(a);
        for (auto it = conns.begin(); it != conns.end();) {
          bool keep = false;
          for (int a : addrs)
            keep |= it->first == a;
          if (!keep) {
            del.push_back(it->second);
            it = conns.erase(it);
          } else {
            ++it;
          }
        }
      }
      for (int a : add)
        resetAddrConn(a);
      for (auto &c : del)
        c->tearDown();
    }
  }
  void resetAddrConn(int addr) {
    auto ac = std::make_shared<AddrConn>();
    ac->cc = this;
    ac->addr = addr;
    {
      std::lock_guard lk(mu);
      if (closed)
        return;
      conns[addr] = ac;
    }
    go::spawn([ac] { ac->resetTransport(); });
  }
  void Close() {
    std::map<int, std::shared_ptr<AddrConn>> cs;
    {
      std::lock_guard lk(mu);
      cs.swap(conns);
      closed = true;
    }
    balancer->Close();
    for (auto &[a, ac] : cs)
      ac->tearDown();
  }
};

void AddrConn::resetTransport() {
  go::sleep_ms(addr); // the addresses come up one after another
  std::lock_guard lk(mu);
  down = cc->balancer->Up(addr);
}

int main() {
  auto *sb = new SimpleBalancer(); // lives as long as its goroutines
  auto *conn = new ClientConn();
  conn->balancer = sb;
  go::spawn([conn] { conn->lbWatcher(); }); // DialContext
  go::sleep_ms(20);
  go::chan<go::unit> closec;
  go::spawn([sb, closec] {
    sb->Close();
    closec.close();
  });
  go::spawn([conn] { conn->Close(); });
  closec.recv();
  go::wait_all_goroutines();
}
