// Port: rclone/rclone#7039 ("fs: fix deadlock error when all checkers exit")
//   (fixes rclone/rclone#7037 "rclone will deadlock after all checkers exit by
//   error"). Filter.MakeListR() builds the ListR function used with
//   --files-from: it starts ci.Checkers checker goroutines in an errgroup, each
//   ranging over the buffered `remotes` channel (capacity = checkers) and
//   calling NewObject() on each remote, then feeds every --files-from entry
//   into `remotes` from the calling goroutine, closes it and waits for the
//   group. A checker returns as soon as NewObject() or the callback fails. When
//   every checker has returned on an error, nobody receives from `remotes`
//   any more: the feeder's `remotes <- remote` blocks forever once the buffer
//   is full, so close(remotes) and g.Wait() are never reached and the listing
//   (and the whole sync) hangs.
// Style: (c) gochan.h (go::chan for `remotes`, go::select, go::spawn; a small
//   errgroup.Group / errgroup.WithContext on go::WaitGroup and go::Context)
// Bug class: channel send whose receivers all left on an error path
// Shape: --checkers 1, five --files-from entries; the backend's NewObject()
//   takes 50 ms and fails on the entry "error" (second in order). The checker
//   lists "docs/readme.md", then fails on "error" and returns; the feeder has
//   "photos/1.jpg" in the one-slot buffer and blocks sending "photos/2.jpg".
//   main() (the caller of listR) never returns.
// Fix: the group is made with errgroup.WithContext(); the checkers call
//   NewObject(gCtx, ...), and the feeder selects between `remotes <- remote`
//   and <-gCtx.Done(), breaking out of the loop (then closing remotes and
//   waiting) once a checker's error cancelled gCtx.
#include "gochan.h"

#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

using error = std::string; // "" is nil

namespace fs {

const error ErrorObjectNotFound = "object not found";

struct Object {
  std::string remote;
};
using ObjectPtr = std::shared_ptr<Object>;
using DirEntries = std::vector<ObjectPtr>;
using ListRCallback = std::function<error(const DirEntries &)>;
using ListRFn = std::function<error(go::Context, const std::string &dir, ListRCallback)>;
using NewObjectFn = std::function<std::pair<ObjectPtr, error>(go::Context, const std::string &)>;

struct ConfigInfo {
  int Checkers = 8;
};
inline ConfigInfo &GetConfig(go::Context) {
  static ConfigInfo ci;
  return ci;
}

} // namespace fs

// golang.org/x/sync/errgroup, reduced
namespace errgroup {
class Group {
  go::WaitGroup wg_;
  std::mutex mu_;
  bool failed_ = false;
  error err_;
  std::function<void()> cancel_;

public:
  void Go(std::function<error()> f) {
    wg_.add(1);
    go::spawn([this, f] {
      error err = f();
      if (!err.empty()) {
        std::lock_guard lk(mu_);
        if (!failed_) {
          failed_ = true;
          err_ = err;
          if (cancel_)
            cancel_();
        }
      }
      wg_.done();
    });
  }
  error Wait() {
    wg_.wait();
    if (cancel_)
      cancel_();
    return err_;
  }
  friend std::pair<std::shared_ptr<Group>, go::Context> WithContext(go::Context);
};

// The derived context is cancelled by the first goroutine that returns an error.
inline std::pair<std::shared_ptr<Group>, go::Context> WithContext(go::Context) {
  auto g = std::make_shared<Group>();
  auto [gctx, cancel] = go::with_cancel();
  g->cancel_ = cancel;
  return {g, gctx};
}
} // namespace errgroup

namespace filter {

class Filter {
public:
  std::set<std::string> files; // --files-from

  bool HaveFilesFrom() const { return !files.empty(); }

  // MakeListR makes a function to return all the files set using --files-from
  fs::ListRFn MakeListR(fs::NewObjectFn NewObject) {
    return [this, NewObject](go::Context ctx, const std::string &, fs::ListRCallback callback) -> error {
      fs::ConfigInfo &ci = fs::GetConfig(ctx);
      if (!HaveFilesFrom())
        return "--files-from not set so can't use Filter.ListR";
      int checkers = ci.Checkers;
      go::chan<std::string> remotes(checkers);
      auto g = std::make_shared<errgroup::Group>();
      for (int i = 0; i < checkers; i++) {
        g->Go([remotes, NewObject, callback, ctx]() -> error {
          fs::DirEntries entries(1);
          for (std::string remote : remotes) {
            error err;
            std::tie(entries[0], err) = NewObject(ctx, remote);
            if (err == fs::ErrorObjectNotFound) {
              // Skip files that are not found
            } else if (!err.empty()) {
              return err;
            } else {
              err = callback(entries);
              if (!err.empty())
                return err;
            }
          }
          return "";
        });
      }
      for (const std::string &remote : files)
        remotes.send(remote); // LEAK
      remotes.close();
      return g->Wait();
    };
  }
};

} // namespace filter

int main() {
  go::Context ctx = go::background();
  fs::GetConfig(ctx).Checkers = 1;

  filter::Filter f;
  f.files = {"docs/readme.md", "error", "photos/1.jpg", "photos/2.jpg", "photos/3.jpg"};

  // the backend: a remote round trip per object, one of which fails
  fs::NewObjectFn newObject = [](go::Context, const std::string &remote) -> std::pair<fs::ObjectPtr, error> {
    go::sleep_ms(50);
    if (remote == "error")
      return {nullptr, "failed to read object \"error\": backend error"};
    return {std::make_shared<fs::Object>(fs::Object{remote}), ""};
  };
  std::mutex listedMu;
  std::vector<std::string> listed;
  fs::ListRCallback listRcallback = [&](const fs::DirEntries &entries) -> error {
    std::lock_guard lk(listedMu);
    for (const auto &o : entries)
      listed.push_back(o->remote);
    return "";
  };

  fs::ListRFn listR = f.MakeListR(newObject);
  error err = listR(ctx, "", listRcallback);
  std::printf("listR: %zu listed, err=%s\n", listed.size(), err.c_str());

  go::wait_all_goroutines();
  return 0;
}
