// Port: golang/tools#129 ("internal/lsp: fix deadlocks loading lots of files at once")
//   (fixes golang/go#32910.) In gopls' cache, every view has a mutex
//   (view.mu) that guards its files and their type-checked packages, and the
//   session keeps a WatchMap (filesWatchMap) of per-file callbacks, guarded
//   by the WatchMap's own mutex, that are run when a file's overlay changes.
//   Two paths take the two mutexes in opposite orders:
//   (1) (*goFile).GetPackages() holds view.mu while loadParseTypecheck()
//       runs go/packages and, for every file of the new metadata, registers
//       an invalidation callback with (*WatchMap).Watch(), which takes the
//       watcher mutex;
//   (2) a didOpen/didChange runs (*session).openOverlay(), whose
//       (*WatchMap).Notify() holds the watcher mutex while it calls the
//       file's callbacks, and the callback (*goFile).invalidateContent()
//       takes view.mu.
//   When a client opens many files at once, a diagnostics request in (1) and
//   a didChange in (2) each hold one mutex and wait for the other: gopls
//   stops answering.
// Style: (d) standard library only (std::thread for the two LSP request
//   handlers, std::mutex for view.mu, the WatchMap mutex and the overlay
//   mutex, std::function callbacks, std::map/std::vector bookkeeping)
// Bug class: lock-order inversion through a callback invoked while holding
//   the callback registry's mutex (watcher mutex -> view.mu vs view.mu ->
//   watcher mutex)
// Shape: main loads example.com/app (main.go, util.go) and edits main.go to
//   import example.com/app/store. At 0 ms the diagnostics handler calls
//   GetPackages(main.go): it locks view.mu and reloads (go/packages takes
//   100 ms). At 50 ms a didChange for util.go notifies util.go's watchers:
//   Notify() holds the watcher mutex and the callback blocks on view.mu. At
//   100 ms the reload registers a watcher for store/store.go and blocks on
//   the watcher mutex. Main's joins hang.
// Fix: Notify() copies the key's callbacks under the watcher mutex and calls
//   them after releasing it ("Fix by not holding the watcher mutex as we
//   invoke the callbacks").
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace cache {
using URI = std::string;

// WatchMap calls the callbacks registered for a key when the key is notified.
class WatchMap {
public:
  std::function<void()> Watch(const URI &key, std::function<void()> callback) {
    std::lock_guard lock(mu);
    uint64_t id = nextID++;
    watchers[key].push_back({id, std::move(callback)});
    return [this, key, id] { removeWatcher(key, id); };
  }

  void Notify(const URI &key) {
    std::vector<std::function<void()>> callbacks;
    {
      std::lock_guard lock(mu);
      for (auto &w : watchers[key])
        callbacks.push_back(w.callback);
    }
    for (auto &callback : callbacks)
      callback();
  }

private:
  struct watcher {
    uint64_t id;
    std::function<void()> callback;
  };

  void removeWatcher(const URI &key, uint64_t id) {
    std::lock_guard lock(mu);
    auto &ws = watchers[key];
    for (auto it = ws.begin(); it != ws.end(); ++it)
      if (it->id == id) {
        ws.erase(it);
        return;
      }
  }

  std::mutex mu;
  uint64_t nextID = 0;
  std::map<URI, std::vector<watcher>> watchers;
};

struct pkg {
  std::string pkgPath;
};

class view;

// goFile holds all of the information we know about a Go file.
class goFile {
public:
  goFile(view *v, URI uri) : v(v), uri(std::move(uri)) {}
  std::vector<std::shared_ptr<pkg>> GetPackages();
  void invalidateContent();
  bool isDirty() const { return pkgs.empty(); } // view.mu must be held

  view *const v;
  const URI uri;
  std::vector<std::shared_ptr<pkg>> pkgs; // guarded by view.mu
  std::function<void()> cancelWatch;
};

class session {
public:
  WatchMap filesWatchMap;

  // openOverlay records the editor's content and invalidates what depends on it.
  void openOverlay(const URI &uri, const std::string &data) {
    {
      std::lock_guard lock(overlayMu);
      overlays[uri] = data;
    }
    filesWatchMap.Notify(uri);
  }

private:
  std::mutex overlayMu;
  std::map<URI, std::string> overlays;
};

class view {
public:
  explicit view(session *s) : s(s) {}
  std::mutex mu;

  goFile *getFile(const URI &uri) { // mu must be held
    auto &f = filesByURI[uri];
    if (!f)
      f = std::make_unique<goFile>(this, uri);
    return f.get();
  }

  // loadParseTypecheck loads and type-checks the package of f; mu must be held.
  void loadParseTypecheck(goFile *f) {
    std::vector<URI> files = {"file:///app/main.go", "file:///app/util.go"};
    std::string path = "example.com/app";
    if (importsStore) {
      std::this_thread::sleep_for(100ms); // packages.Load: go list + parse + type-check
      files.push_back("file:///app/store/store.go");
    }
    auto p = std::make_shared<pkg>(pkg{path});
    for (const URI &uri : files) {
      goFile *gof = getFile(uri);
      gof->pkgs = {p};
      if (!gof->cancelWatch) // new metadata: invalidate the file when its overlay changes
        gof->cancelWatch = s->filesWatchMap.Watch(uri, [gof] { gof->invalidateContent(); });
    }
    std::printf("loaded %s for %s (%zu files)\n", path.c_str(), f->uri.c_str(), files.size());
  }

  bool importsStore = false;

private:
  session *const s;
  std::map<URI, std::unique_ptr<goFile>> filesByURI;
};

std::vector<std::shared_ptr<pkg>> goFile::GetPackages() {
  std::lock_guard lock(v->mu);
  if (isDirty())
    v->loadParseTypecheck(this);
  return pkgs;
}

void goFile::invalidateContent() {
  std::lock_guard lock(v->mu);
  pkgs.clear();
}

} // namespace cache

int main() {
  cache::session s;
  cache::view v(&s);
  cache::goFile *mainGo, *utilGo;
  {
    std::lock_guard lock(v.mu);
    mainGo = v.getFile("file:///app/main.go");
    utilGo = v.getFile("file:///app/util.go");
  }
  mainGo->GetPackages(); // textDocument/didOpen main.go

  // The user adds `import "example.com/app/store"` to main.go.
  {
    std::lock_guard lock(v.mu);
    v.importsStore = true;
  }
  s.openOverlay(mainGo->uri, "package main\n\nimport \"example.com/app/store\"\n");

  std::thread diagnostics([&] { // diagnostics for main.go after the change
    auto pkgs = mainGo->GetPackages();
    std::printf("diagnostics for %s: %zu package(s)\n", mainGo->uri.c_str(), pkgs.size());
  });
  std::thread didChange([&] { // the editor saves util.go a moment later
    std::this_thread::sleep_for(50ms);
    s.openOverlay(utilGo->uri, "package main\n\nfunc helper() {}\n");
    std::printf("didChange %s handled\n", utilGo->uri.c_str());
  });

  diagnostics.join();
  didChange.join();
  std::printf("done\n");
  return 0;
}
