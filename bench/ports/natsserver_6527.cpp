// Port: nats-io/nats-server#6527 ("[FIXED] Deadlock on getting account name tag")
//   The monitoring endpoint /accountz?acc=NAME is served by
//   Server::accountInfo(), which read-locks the Account (a.mu.RLock()) while
//   it copies the account's imports, exports, JWT and mappings into an
//   AccountInfo. PR #6310 added the account's name tag to that reply through
//   a.getNameTag(), a helper that takes a.mu.RLock() itself, so the monitor
//   goroutine read-locks the same sync.RWMutex twice. Go's RWMutex is
//   writer-preferring: once another goroutine calls a.mu.Lock() (an account
//   JWT update from the resolver, updateAccountClaims), new RLock()s wait for
//   that writer, and the writer waits for the first read lock to be released.
//   The monitor blocks in its nested RLock, the claims update blocks in Lock,
//   and every later user of the account piles up behind them.
// Style: (c) Go-style gochan.h (go::RWMutex with Go's writer preference, go::spawn for the HTTP handler and the resolver update goroutines, go::WaitGroup); Server/Account/AccountInfo reduced
// Bug class: recursive read lock on a writer-preferring RWMutex: a writer queued between the two RLocks deadlocks both
// Shape: the /accountz handler read-locks account ACME and spends 100 ms
//   collecting its imports and exports; at 50 ms the resolver pushes a new
//   JWT for ACME and updateAccountClaims() blocks in a.mu.Lock(); at 100 ms
//   the handler calls getNameTag() and its second RLock waits behind the
//   writer. Both goroutines hang; main's wait for them hangs.
// Fix: accountInfo() already holds the read lock, so it reads a.nameTag
//   directly instead of calling getNameTag().
#include "gochan.h"

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace server {

struct AccountClaims {
  std::string Name; // the human-readable name tag
  std::vector<std::string> Exports;
  std::vector<std::string> Imports;
};

struct AccountInfo {
  std::string AccountName;
  std::string NameTag;
  std::vector<std::string> Exports;
  std::vector<std::string> Imports;
  bool IsSystem = false;
};

class Account {
public:
  explicit Account(std::string name) : Name(std::move(name)) {}

  const std::string Name;
  go::RWMutex mu;
  std::string nameTag;
  std::vector<std::string> exports;
  std::vector<std::string> imports;

  std::string getNameTag() {
    mu.rlock(); // LEAK
    std::string tag = nameTag;
    mu.runlock();
    return tag;
  }
};

class Server {
public:
  Account *registerAccount(const std::string &name) {
    mu_.lock();
    auto &slot = accounts_[name];
    slot = std::make_unique<Account>(name);
    Account *a = slot.get();
    mu_.unlock();
    return a;
  }

  Account *lookupAccount(const std::string &name) {
    mu_.lock();
    auto it = accounts_.find(name);
    Account *a = it == accounts_.end() ? nullptr : it->second.get();
    mu_.unlock();
    return a;
  }

  // monitor.go: the body of the /accountz?acc=NAME reply.
  AccountInfo accountInfo(const std::string &accName) {
    AccountInfo info;
    Account *a = lookupAccount(accName);
    if (a == nullptr)
      return info;
    a->mu.rlock();
    info.AccountName = a->Name;
    for (const auto &e : a->exports)
      info.Exports.push_back(e); // per export: latency, revocations, ...
    for (const auto &i : a->imports)
      info.Imports.push_back(i);
    go::sleep_ms(100); // the service import/export tables of a large account
    info.NameTag = a->getNameTag();
    info.IsSystem = a->Name == "$SYS";
    a->mu.runlock();
    return info;
  }

  // accounts.go: a new JWT for the account arrived from the resolver.
  void updateAccountClaims(Account *a, const AccountClaims &ac) {
    a->mu.lock();
    a->nameTag = ac.Name;
    a->exports = ac.Exports;
    a->imports = ac.Imports;
    a->mu.unlock();
    std::printf("account %s updated, name tag %s\n", a->Name.c_str(), ac.Name.c_str());
  }

private:
  go::Mutex mu_;
  std::map<std::string, std::unique_ptr<Account>> accounts_;
};

} // namespace server

int main() {
  server::Server s;
  server::Account *acme = s.registerAccount("ACME");
  s.updateAccountClaims(acme, {"acme-corp", {"orders.>"}, {"billing.>"}});

  go::WaitGroup wg;
  wg.add(2);
  // The monitoring HTTP handler.
  go::spawn([&] {
    server::AccountInfo info = s.accountInfo("ACME");
    std::printf("accountz: %s (%s), %zu exports, %zu imports\n", info.AccountName.c_str(),
                info.NameTag.c_str(), info.Exports.size(), info.Imports.size());
    wg.done();
  });
  // The account resolver pushing an updated JWT.
  go::spawn([&] {
    go::sleep_ms(50);
    s.updateAccountClaims(acme, {"acme-inc", {"orders.>", "events.>"}, {"billing.>"}});
    wg.done();
  });

  wg.wait();
  go::wait_all_goroutines();
  return 0;
}
