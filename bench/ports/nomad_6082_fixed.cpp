// Port: hashicorp/nomad#6082 ("vault: fix deadlock in SetConfig")
//   The Nomad server's vaultClient runs two goroutines in a tomb.Tomb:
//   establishConnection(), which retries validating the server's Vault token
//   until it succeeds (on each failure it records connEstablishedErr under
//   the client lock v.l), and revokeDaemon(). On a configuration reload
//   (SIGHUP) the server calls SetConfig(), which took v.l for the whole
//   reconfiguration and, still holding it, killed the tomb and waited for its
//   goroutines with tomb.Wait(). establishConnection only notices the tomb
//   dying at the top of its retry loop; if it is in the middle of a failed
//   token lookup it first needs v.l to record the error, so it blocks on the
//   lock SetConfig holds, while SetConfig waits for it to return.
// Style: (c) Go-style gochan.h (go::Mutex for v.l, go::select/go::after for the retry timer and tomb.Dying(), go::spawn); gopkg.in/tomb.v2 written over a go::chan closed by Kill() and a go::WaitGroup
// Bug class: lock held while waiting for a goroutine to exit (join) that must take the same lock before it can exit
// Shape: the server starts with a token Vault rejects; establishConnection's
//   first lookup takes 150 ms. At 50 ms the operator reloads the config:
//   SetConfig() locks v.l, kills the tomb and waits in tomb.Wait(). At 150 ms
//   the lookup fails and establishConnection blocks in v.l.Lock(); SetConfig
//   never returns and main's wait for the reload hangs.
// Fix: SetConfig() releases v.l around tomb.Wait() (kill, unlock, wait,
//   lock again), so establishConnection can record its error, see the tomb
//   dying and return.
#include "gochan.h"

#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

namespace tomb {
// gopkg.in/tomb.v2 reduced: Go() tracks a goroutine, Kill() closes Dying(),
// Wait() blocks until every tracked goroutine has returned.
class Tomb {
public:
  void Go(std::function<void()> f) {
    wg_.add(1);
    go::spawn([this, f] {
      f();
      wg_.done();
    });
  }
  void Kill() {
    std::call_once(once_, [this] { dying_.close(); });
  }
  go::chan<go::unit> Dying() const { return dying_; }
  void Wait() {
    wg_.wait();
  }

private:
  go::chan<go::unit> dying_;
  std::once_flag once_;
  go::WaitGroup wg_;
};
} // namespace tomb

namespace nomad {

struct VaultConfig {
  bool Enabled = false;
  std::string Token;
  int ConnectionRetryIntvMs = 50;
};

class vaultClient {
public:
  // SetConfig is used to update the Vault config being used. A temporary
  // outage may occur after calling as it re-establishes a connection to Vault.
  void SetConfig(const VaultConfig &config) {
    l.lock();
    // Kill any background routines
    if (running) {
      // Kill any background routine
      t->Kill();

      // Locking around tomb.Wait can deadlock with establishConnection
      // exiting, so we must unlock here.
      l.unlock();
      t->Wait();
      l.lock();

      // Stop accepting any new requests
      connEstablished = false;
      t = std::make_shared<tomb::Tomb>();
      running = false;
    }

    // Store the new config
    this->config = config;

    // Check if we should relaunch
    if (config.Enabled) {
      std::shared_ptr<tomb::Tomb> cur = t;
      cur->Go([this, cur] { establishConnection(cur.get()); });
      cur->Go([this, cur] { revokeDaemon(cur.get()); });
      running = true;
    }
    l.unlock();
  }

  void Stop() {
    l.lock();
    bool wasRunning = running;
    running = false;
    std::shared_ptr<tomb::Tomb> cur = t;
    l.unlock();
    if (wasRunning) {
      cur->Kill();
      cur->Wait();
    }
  }

private:
  // parseSelfToken looks up the server's own token in Vault.
  bool parseSelfToken(const std::string &token, std::string *err) {
    go::sleep_ms(150); // auth/token/lookup-self round trip
    if (token != "s.valid-server-token") {
      *err = "failed to lookup Vault periodic token: permission denied";
      return false;
    }
    return true;
  }

  // establishConnection is used to make first contact with Vault. It retries
  // until the Vault client is stopped or the connection is made.
  void establishConnection(tomb::Tomb *tb) {
    l.lock();
    VaultConfig cfg = config;
    l.unlock();
    go::chan<go::unit> retryTimer = go::after(std::chrono::milliseconds(0));
    for (;;) {
      int chosen = go::select(go::case_recv(tb->Dying()), go::case_recv(retryTimer));
      if (chosen == 0)
        return;
      std::string err;
      if (!parseSelfToken(cfg.Token, &err)) {
        std::printf("vault: failed to validate self token/role, retrying: %s\n", err.c_str());
        retryTimer = go::after(std::chrono::milliseconds(cfg.ConnectionRetryIntvMs));
        l.lock();
        connEstablished = false;
        connEstablishedErr = err;
        l.unlock();
        continue;
      }
      l.lock();
      connEstablished = true;
      connEstablishedErr.clear();
      l.unlock();
      std::printf("vault: connection established\n");
      return; // the token renewal loop would start here
    }
  }

  // revokeDaemon periodically revokes the accessors of stopped allocations.
  void revokeDaemon(tomb::Tomb *tb) {
    for (;;) {
      go::chan<go::unit> tick = go::after(std::chrono::milliseconds(40));
      if (go::select(go::case_recv(tb->Dying()), go::case_recv(tick)) == 0)
        return;
    }
  }

  go::Mutex l;
  VaultConfig config;
  bool running = false;
  bool connEstablished = false;
  std::string connEstablishedErr;
  std::shared_ptr<tomb::Tomb> t = std::make_shared<tomb::Tomb>();
};

} // namespace nomad

int main() {
  nomad::vaultClient v;
  v.SetConfig({true, "s.expired-server-token", 50});

  go::sleep_ms(50);
  // SIGHUP: the operator fixed the token in the server config.
  go::WaitGroup reload;
  reload.add(1);
  go::spawn([&] {
    v.SetConfig({true, "s.valid-server-token", 50});
    std::printf("config reloaded\n");
    reload.done();
  });
  reload.wait();

  go::sleep_ms(200);
  v.Stop();
  go::wait_all_goroutines();
  return 0;
}
