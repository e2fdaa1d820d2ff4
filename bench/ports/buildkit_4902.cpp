// Port: moby/buildkit#4902 ("progress: fix leak of pipe goroutine from MultiReader")
//   util/progress's pipe() creates a progressReader with its own cancellable
//   context and starts a goroutine that waits for that context to be done
//   and then broadcasts the reader's sync.Cond; the cancel function is the
//   "closeWriter" that NewContext() hands back. MultiReader.Reader(ctx) gives
//   every status client (Job.Status -> Controller.Status) its own pipe, keeps
//   the closeWriter in mr.writers, and starts a goroutine that waits for the
//   client's ctx or mr.done and then deletes the writer from the map. Only
//   MultiReader.handle(), at the EOF of the job's main reader, calls the
//   closeWriters of the writers still in the map. A client whose context is
//   cancelled first is deleted without its closeWriter ever being called, so
//   its pipe goroutine waits for a context that is never done: one leaked
//   goroutine per cancelled status stream (thousands in Dagger's test runs).
// Style: (c) gochan.h (go::Context/go::with_cancel for the pipe and client
//   contexts, go::select, go::Mutex + go::Cond for the progressReader,
//   go::spawn, go::WaitGroup, go::wait_all_goroutines as goleak); contexts
//   carrying the writer are replaced by passing it explicitly, and the replay
//   of `sent` progress to late readers is left out
// Bug class: missed cancel: a goroutine waits on a context whose cancel
//   function is dropped on one path (the reader's cancellation)
// Shape: two `buildctl` clients attach to the job's status. The job writes
//   progress for 200 ms; client 2 is killed at 100 ms (its ctx cancelled),
//   so MultiReader's watcher deletes its writer. At EOF handle() closes only
//   client 1's writer. Client 2's pipe goroutine waits forever and main's
//   goleak check hangs.
// Fix: the watcher calls closeWriter() after deleting the writer, so the
//   pipe's context is cancelled on that path too.
#include "gochan.h"

#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

using error = std::string; // "" is nil
const error EOF_ = "EOF", ErrCanceled = "context canceled";

bool isDone(const go::chan<go::unit> &done) { return go::select(go::case_recv(done), go::case_default()) == 0; }

struct Progress {
  std::string ID, Sys;
};

struct progressWriter;

// util/progress/progress.go
struct progressReader {
  go::Context ctx;
  go::Mutex mu;
  go::Cond cond{&mu};
  std::map<progressWriter *, std::shared_ptr<progressWriter>> writers;
  std::map<std::string, Progress> dirty;

  std::pair<std::vector<Progress>, error> Read(go::Context rctx) {
    go::chan<go::unit> done{0};
    go::spawn([this, done, rctx] { // wakes the Wait below when either context ends
      bool prdone = false;
      for (;;) {
        int i = prdone ? go::select(go::case_recv(done), go::case_recv(rctx.done()))
                       : go::select(go::case_recv(done), go::case_recv(rctx.done()), go::case_recv(ctx.done()));
        if (i == 0)
          return;
        mu.lock();
        cond.Broadcast();
        mu.unlock();
        if (i == 1)
          return;
        prdone = true;
      }
    });
    std::unique_lock lk(mu);
    for (;;) {
      if (isDone(rctx.done())) {
        lk.unlock();
        done.close();
        return {{}, ErrCanceled};
      }
      if (dirty.empty()) {
        if (isDone(ctx.done()) && writers.empty()) {
          lk.unlock();
          done.close();
          return {{}, EOF_};
        }
        cond.Wait();
        continue;
      }
      std::vector<Progress> out;
      for (auto &[id, p] : dirty)
        out.push_back(p);
      dirty.clear();
      lk.unlock();
      done.close();
      return {out, ""};
    }
  }
};

struct progressWriter {
  std::shared_ptr<progressReader> reader;
  void writeRawProgress(const Progress &p) {
    reader->mu.lock();
    reader->dirty[p.ID] = p;
    reader->cond.Broadcast();
    reader->mu.unlock();
  }
  void Close() {
    reader->mu.lock();
    reader->writers.erase(this);
    reader->mu.unlock();
    reader->cond.Broadcast();
  }
};

struct pipeEnds {
  std::shared_ptr<progressReader> pr;
  std::shared_ptr<progressWriter> pw;
  std::function<void()> cancel; // the closeWriter of NewContext()
};

pipeEnds pipe() {
  auto [ctx, cancel] = go::with_cancel();
  auto pr = std::make_shared<progressReader>();
  pr->ctx = ctx;
  go::spawn([pr, ctx = ctx] {
    ctx.done().recv(); // LEAK
    pr->mu.lock();
    pr->cond.Broadcast();
    pr->mu.unlock();
  });
  return {pr, std::make_shared<progressWriter>(progressWriter{pr}), cancel};
}

// FromContext(ctx)(ctx): a new writer on the same reader, registered with it.
std::shared_ptr<progressWriter> newWriter(const std::shared_ptr<progressWriter> &pw) {
  auto w = std::make_shared<progressWriter>(progressWriter{pw->reader});
  std::lock_guard lk(pw->reader->mu);
  if (!isDone(pw->reader->ctx.done()))
    pw->reader->writers[w.get()] = w;
  return w;
}

// util/progress/multireader.go
class MultiReader {
public:
  explicit MultiReader(std::shared_ptr<progressReader> pr) : main(std::move(pr)) {}

  std::shared_ptr<progressReader> Reader(go::Context ctx) {
    std::lock_guard lk(mu);
    pipeEnds p = pipe(); // pr, ctx, closeWriter := NewContext(ctx)
    std::shared_ptr<progressWriter> w = newWriter(p.pw);
    std::function<void()> closeWriter = p.cancel;
    if (!isDone(done))
      writers[w.get()] = {w, closeWriter};

    go::spawn([this, ctx, w, closeWriter] {
      go::select(go::case_recv(ctx.done()), go::case_recv(done));
      std::lock_guard lk(mu);
      writers.erase(w.get());
    });

    if (!initialized) {
      go::spawn([this] { handle(); });
      initialized = true;
    }
    return p.pr;
  }

private:
  void handle() {
    for (;;) {
      auto [ps, err] = main->Read(go::background());
      if (!err.empty()) {
        if (err == EOF_) {
          std::lock_guard lk(mu);
          for (auto &[ptr, wc] : writers) {
            wc.first->Close();
            wc.second();
          }
          done.close();
        }
        return;
      }
      std::lock_guard lk(mu);
      for (const Progress &p : ps)
        for (auto &[ptr, wc] : writers)
          wc.first->writeRawProgress(p);
    }
  }

  go::Mutex mu;
  std::shared_ptr<progressReader> main;
  bool initialized = false;
  go::chan<go::unit> done{0};
  std::map<progressWriter *, std::pair<std::shared_ptr<progressWriter>, std::function<void()>>> writers;
};

int main() {
  // The solver job's progress pipe, shared by every status client.
  pipeEnds job = pipe();
  std::shared_ptr<progressWriter> jobW = newWriter(job.pw);
  MultiReader mr(job.pr);

  go::WaitGroup clients;
  auto status = [&](const char *name, go::Context ctx) { // control.Status -> Job.Status
    clients.add(1);
    go::spawn([&, name, ctx] {
      std::shared_ptr<progressReader> pr = mr.Reader(ctx);
      for (;;) {
        auto [ps, err] = pr->Read(ctx);
        if (!err.empty()) {
          std::printf("%s: status stream ends: %s\n", name, err.c_str());
          break;
        }
        for (const Progress &p : ps)
          std::printf("%s: %s %s\n", name, p.ID.c_str(), p.Sys.c_str());
      }
      clients.done();
    });
  };
  auto [ctx1, cancel1] = go::with_cancel();
  auto [ctx2, cancel2] = go::with_cancel();
  status("client1", ctx1);
  status("client2", ctx2);

  go::sleep_ms(20);
  const char *steps[] = {"[1/4] FROM alpine", "[2/4] RUN apk add git", "[3/4] COPY . /src", "[4/4] RUN make"};
  for (int i = 0; i < 4; i++) {
    jobW->writeRawProgress({"vertex" + std::to_string(i), steps[i]});
    go::sleep_ms(50);
    if (i == 1)
      cancel2(); // client 2 (buildctl) is killed
  }
  jobW->Close(); // the job is done: its writer closes, its pipe is cancelled
  job.cancel();

  clients.wait();
  cancel1(); // client 1's RPC returned
  go::wait_all_goroutines();
  std::printf("done\n");
  return 0;
}
