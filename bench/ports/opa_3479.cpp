// Port: open-policy-agent/opa#3479 ("Fix OPA deadlock while stopping bundle plugin")
//   (issue #3363). The bundle plugin runs one download.Downloader per
//   configured bundle. A downloader's doStart() goroutine starts loop(),
//   which polls the bundle server and reports every result (new bundle or
//   error) through the plugin's callback, Plugin.oneShot(), which takes the
//   plugin's mutex. Downloader.Stop() hands a done channel to doStart(),
//   which cancels loop()'s context, waits for loop() to return and only then
//   closes done. Plugin.Stop() locked the plugin's mutex and stopped each
//   downloader with it held: a loop() that was in the middle of a download
//   reports it (the download now fails with "context canceled") through the
//   callback, which waits for the mutex Stop() holds, while Stop() waits for
//   that loop() to return.
// Style: (c) Go-style gochan.h (go::chan of go::chan for the stop request,
//   go::Context with cancel, go::WaitGroup for the loop, go::Mutex for the
//   plugin and downloader mutexes, go::select over time.After and
//   ctx.Done(), go::spawn); plugins.Manager, bundle.Plugin and
//   download.Downloader reduced, the HTTP download replaced by a sleep
// Bug class: lock held while waiting for a goroutine to exit (Stop() joins
//   the download loop under the mutex its callback needs)
// Shape: the plugin starts the "authz" downloader, whose first download
//   takes 150 ms. OPA shuts down at 50 ms: Plugin.Stop() locks p.mtx and
//   sends the stop request; doStart() cancels the loop's context and waits
//   in wg.Wait(); at 150 ms the download fails and the callback blocks on
//   p.mtx; Stop() waits on done forever.
// Fix: Plugin.Stop() copies the downloaders under the mutex and releases it
//   before stopping them; Downloader.Stop() also becomes idempotent (a
//   stopped flag under the downloader's own mutex).
#include "gochan.h"

#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace plugins {

class Manager {
  go::Mutex mtx_;
  std::map<std::string, std::string> status_;

public:
  void UpdatePluginStatus(const std::string &name, const std::string &state) {
    mtx_.lock();
    status_[name] = state;
    mtx_.unlock();
    std::printf("plugin %s: %s\n", name.c_str(), state.c_str());
  }
};

} // namespace plugins

namespace download {

struct Update {
  std::string ETag;
  std::string Error;
};

class Downloader {
  std::string path_;
  std::function<void(go::Context, const Update &)> callback_;
  go::chan<go::chan<go::unit>> stop_{0};
  go::WaitGroup wg_;
  std::string etag_;

  // The HTTP GET of the bundle: 150 ms; fails if ctx was cancelled meanwhile.
  Update download(go::Context ctx) {
    go::sleep_ms(150);
    go::unit u;
    if (go::select(go::case_recv(ctx.done(), &u), go::case_default()) == 0)
      return Update{"", "bundle read failed: context canceled"};
    return Update{"\"v1\"", ""};
  }

  void oneShot(go::Context ctx) {
    Update u = download(ctx);
    if (!u.Error.empty())
      etag_.clear();
    else
      etag_ = u.ETag;
    if (callback_)
      callback_(ctx, u);
  }

  void loop(go::Context ctx) {
    for (;;) {
      oneShot(ctx);
      go::unit u;
      if (go::select(go::case_recv(go::after(std::chrono::milliseconds(1000)), &u),
                     go::case_recv(ctx.done(), &u)) == 1)
        break;
    }
    wg_.done();
  }

  void doStart() {
    auto [ctx, cancel] = go::with_cancel();
    wg_.add(1);
    go::spawn([this, ctx = ctx] { loop(ctx); });
    go::chan<go::unit> done = *stop_.recv(); // blocks until Stop()
    cancel();
    wg_.wait();
    done.close();
  }

public:
  explicit Downloader(std::string path) : path_(std::move(path)) {}

  Downloader &WithCallback(std::function<void(go::Context, const Update &)> f) {
    callback_ = std::move(f);
    return *this;
  }

  void Start(go::Context) {
    go::spawn([this] { doStart(); });
  }

  void Stop(go::Context) {
    go::chan<go::unit> done(0);
    stop_.send(done);
    done.recv();
  }
};

} // namespace download

namespace bundle {

class Plugin {
  plugins::Manager *manager_;
  go::Mutex mtx_;
  std::map<std::string, std::unique_ptr<download::Downloader>> downloaders_;
  std::map<std::string, std::string> status_;

  void oneShot(go::Context, const std::string &name, const download::Update &u) {
    mtx_.lock(); // LEAK
    if (!u.Error.empty())
      status_[name] = "error: " + u.Error;
    else
      status_[name] = "activated " + u.ETag;
    std::printf("bundle %s: %s\n", name.c_str(), status_[name].c_str());
    mtx_.unlock();
  }

public:
  explicit Plugin(plugins::Manager *m) : manager_(m) {}

  void Start(go::Context ctx, const std::vector<std::string> &bundles) {
    mtx_.lock();
    for (auto &name : bundles) {
      auto dl = std::make_unique<download::Downloader>("/bundles/" + name + ".tar.gz");
      dl->WithCallback([this, name](go::Context c, const download::Update &u) { oneShot(c, name, u); });
      dl->Start(ctx);
      downloaders_[name] = std::move(dl);
    }
    mtx_.unlock();
    manager_->UpdatePluginStatus("bundle", "NOT_READY");
  }

  void Stop(go::Context ctx) {
    mtx_.lock();
    for (auto &[name, dl] : downloaders_) {
      std::printf("stopping bundle loader %s\n", name.c_str());
      dl->Stop(ctx);
    }
    mtx_.unlock();
    manager_->UpdatePluginStatus("bundle", "NOT_READY");
  }
};

} // namespace bundle

int main() {
  go::Context ctx = go::background();
  plugins::Manager manager;
  bundle::Plugin plugin(&manager);

  plugin.Start(ctx, {"authz"});
  go::sleep_ms(50);
  plugin.Stop(ctx); // OPA shuts down while the first download is in flight

  go::wait_all_goroutines();
  return 0;
}
