// Port: temporalio/temporal#2076 ("Avoid acquiring shared lock recursively") -- FIXED version
//   The namespace.Registry caches namespaces in two maps (name -> ID and
//   ID -> Namespace) guarded by one sync.RWMutex, cacheLock. A background
//   refresher goroutine (a goro.Handle) periodically reloads the namespaces
//   from persistence and swaps them in under cacheLock.Lock(). Lookups take
//   the read side: getNamespace(name) read-locks cacheLock, maps the name to
//   an ID and then calls getNamespaceByID(id), which read-locks cacheLock a
//   second time. Go's RWMutex prefers writers: once the refresher's Lock()
//   is pending, new RLock()s wait for it. So if the refresh starts between
//   the two RLock()s of a lookup, the refresher waits for the lookup's first
//   read lock to be released, and the lookup's nested RLock() waits for the
//   refresher: both goroutines block forever, and with them every later
//   namespace lookup and the registry's Stop().
// Style: (c) Go-style library (gochan.h: go::RWMutex for cacheLock with Go's
//   writer preference, go::Context/go::after/go::select for the refresher's
//   ticker loop, go::chan closed as the goro.Handle's Done(), go::spawn for
//   the request-handler goroutine)
// Bug class: RWMutex recursive read lock deadlocking with a pending writer
// Shape: a frontend handler calls GetNamespace("orders") at 10 ms; it holds
//   the read lock from the name lookup and reaches the nested RLock() in
//   getNamespaceByID() at 60 ms (sleep standing in for preemption); the
//   refresher's tick at 30 ms calls Lock() in refreshNamespaces() and waits
//   for the reader, and the reader's second RLock() then waits for the
//   writer. main, which waits for the handler before calling the
//   registry's Stop(), never returns.
// Fix: getNamespace() no longer calls the locking getNamespaceByID(); both
//   lookups use getNamespaceByIDLocked(), which expects the caller to hold
//   cacheLock, so a lookup takes the read lock only once.
#include "gochan.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace persistence {

struct NamespaceRecord {
  std::string id;
  std::string name;
  bool active = true;
};

// MetadataManager stands in for the namespaces table.
class MetadataManager {
public:
  std::vector<NamespaceRecord> ListNamespaces() const {
    return {{"5f1a", "orders", true}, {"77c0", "billing", true}, {"9e02", "archive", false}};
  }
};

} // namespace persistence

namespace namespace_ {

struct Namespace {
  std::string id;
  std::string name;
  bool active;
};

using NamespacePtr = std::shared_ptr<const Namespace>;

struct lookupResult {
  NamespacePtr ns;
  std::string err; // "" is nil
};

constexpr int kRefreshIntervalMs = 30;
constexpr int kLookupPauseMs = 50; // forced schedule: the reader is preempted mid-lookup

// goro.Handle: a goroutine with a context and a Done() channel.
class Handle {
public:
  template <typename F> static std::shared_ptr<Handle> Go(F f) {
    auto h = std::make_shared<Handle>();
    auto [ctx, cancel] = go::with_cancel();
    h->ctx_ = ctx;
    h->cancel_ = cancel;
    go::spawn([h, f] {
      f(h->ctx_);
      h->done_.close();
    });
    return h;
  }
  void Cancel() { cancel_(); }
  go::chan<go::unit> Done() const { return done_; }

private:
  go::Context ctx_;
  std::function<void()> cancel_;
  go::chan<go::unit> done_{0};
};

class Registry {
public:
  explicit Registry(persistence::MetadataManager *pm) : persistence_(pm) {}

  void Start() {
    refreshNamespaces();
    refresher_ = Handle::Go([this](go::Context ctx) { refreshLoop(ctx); });
  }

  void Stop() {
    refresher_->Cancel();
    refresher_->Done().recv();
  }

  lookupResult GetNamespace(const std::string &name) { return getNamespace(name); }
  lookupResult GetNamespaceByID(const std::string &id) { return getNamespaceByID(id); }

private:
  void refreshLoop(go::Context ctx) {
    for (;;) {
      int i = go::select(go::case_recv(ctx.done()),
                         go::case_recv(go::after(std::chrono::milliseconds(kRefreshIntervalMs))));
      if (i == 0)
        return;
      refreshNamespaces();
    }
  }

  void refreshNamespaces() {
    std::vector<persistence::NamespaceRecord> records = persistence_->ListNamespaces();
    std::map<std::string, std::string> nameToID;
    std::map<std::string, NamespacePtr> byID;
    for (const auto &r : records) {
      nameToID[r.name] = r.id;
      byID[r.id] = std::make_shared<const Namespace>(Namespace{r.id, r.name, r.active});
    }

    cacheLock_.lock();
    cacheNameToID_ = std::move(nameToID);
    cacheByID_ = std::move(byID);
    ++refreshes_;
    cacheLock_.unlock();
  }

  lookupResult getNamespace(const std::string &name) {
    cacheLock_.rlock();
    auto it = cacheNameToID_.find(name);
    if (it == cacheNameToID_.end()) {
      cacheLock_.runlock();
      return {nullptr, "namespace not found: " + name};
    }
    std::string id = it->second;
    go::sleep_ms(kLookupPauseMs);
    lookupResult res = getNamespaceByIDLocked(id);
    cacheLock_.runlock();
    return res;
  }

  lookupResult getNamespaceByID(const std::string &id) {
    cacheLock_.rlock();
    lookupResult res = getNamespaceByIDLocked(id);
    cacheLock_.runlock();
    return res;
  }

  // getNamespaceByIDLocked expects cacheLock to be held (read or write).
  lookupResult getNamespaceByIDLocked(const std::string &id) const {
    auto it = cacheByID_.find(id);
    if (it == cacheByID_.end())
      return {nullptr, "namespace ID not found: " + id};
    return {it->second, ""};
  }

  persistence::MetadataManager *persistence_;
  std::shared_ptr<Handle> refresher_;

  go::RWMutex cacheLock_;
  std::map<std::string, std::string> cacheNameToID_;
  std::map<std::string, NamespacePtr> cacheByID_;
  int refreshes_ = 0;
};

} // namespace namespace_

int main() {
  persistence::MetadataManager pm;
  namespace_::Registry registry(&pm);
  registry.Start();

  // A frontend request handler resolves the namespace of an incoming call.
  go::WaitGroup handlers;
  handlers.add(1);
  go::spawn([&] {
    go::sleep_ms(10);
    namespace_::lookupResult r = registry.GetNamespace("orders");
    if (r.err.empty())
      std::printf("handler: namespace %s -> %s\n", r.ns->name.c_str(), r.ns->id.c_str());
    else
      std::printf("handler: %s\n", r.err.c_str());
    handlers.done();
  });

  handlers.wait();
  registry.Stop();
  go::wait_all_goroutines();
  std::printf("registry stopped\n");
  return 0;
}
