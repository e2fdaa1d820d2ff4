// Port: restic/restic#2963 ("backup: Fix possible deadlock of scanner goroutine")
//   (seen in the stack dump of restic/restic#2834) `restic backup` runs the
//   progress UI (ui.Backup.Run), the Scanner and the archiver as goroutines
//   of one tomb. The Scanner walks the targets to estimate the totals and
//   reports them after every item through Backup.ReportTotal(), which selects
//   between sending on the unbuffered totalCh and the `finished` channel; the
//   archiver reports through the other unbuffered channels (processedCh,
//   workerCh, errCh). Run() receives them all, and returns as soon as the
//   context is cancelled. `finished` is closed only by Finish(), after a
//   snapshot was written. When the backup is cancelled (Ctrl-C) while the
//   scanner is inside an Lstat(), Run() is gone by the time the scanner
//   reports that item: ReportTotal's select has neither a receiver on totalCh
//   nor a closed `finished`, the scanner goroutine blocks forever and the
//   tomb's Wait() in runBackup never returns.
// Style: (c) gochan.h (go::chan for the UI channels, go::select in Run() and
//   ReportTotal(), go::Context/go::with_cancel for the tomb's context,
//   go::spawn + go::WaitGroup for the tomb, go::wait_all_goroutines as goleak)
// Bug class: send (in a select) whose only partner, the UI loop, returned on
//   cancellation, and whose escape case is closed only on the success path
// Shape: the scanner reports /home/user/docs and its files, then spends
//   200 ms in Lstat(/home/user/photos/big.raw) (a slow NFS mount). At 150 ms
//   the user hits Ctrl-C: the context is cancelled, Run() returns and the
//   archiver gives up. The scanner's Lstat() returns at ~260 ms and its
//   ReportTotal() blocks forever; main's tomb Wait() hangs.
// Fix: Backup gets a `closed` channel that Run() closes when it returns
//   (`defer close(b.closed)`), and every report (ReportTotal, CompleteItem,
//   CompleteBlob, StartFile, Error) selects its send against it.
#include "gochan.h"

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

using error = std::string; // "" is nil
const error ErrCanceled = "context canceled";

struct counter {
  unsigned Files = 0, Dirs = 0;
  unsigned long long Bytes = 0;
};
struct fileWorkerMessage {
  std::string filename;
  bool done = false;
};

// internal/ui/backup.go
class Backup {
public:
  // Run regularly updates the status lines. It should be called in a separate goroutine.
  error Run(go::Context ctx) {
    counter total, processed;
    unsigned errors = 0;
    std::set<std::string> currentFiles;
    go::chan<counter> total_ch = totalCh; // set to "nil" once the scan finished
    for (;;) {
      counter c;
      bool ok = false;
      fileWorkerMessage m;
      switch (go::select(go::case_recv(ctx.done()), go::case_recv(finished), go::case_recv(total_ch, &c, &ok),
                         go::case_recv(processedCh, &c), go::case_recv(errCh), go::case_recv(workerCh, &m))) {
      case 0:
        return "";
      case 1:
        break;
      case 2:
        if (ok)
          total = c;
        else
          total_ch = go::chan<counter>(); // scan has finished: b.totalCh = nil
        break;
      case 3:
        processed.Files += c.Files, processed.Dirs += c.Dirs, processed.Bytes += c.Bytes;
        break;
      case 4:
        errors++;
        break;
      case 5:
        if (m.done)
          currentFiles.erase(m.filename);
        else
          currentFiles.insert(m.filename);
        break;
      }
      std::printf("[status] %u files %llu B, total %u files %llu B, %u errors\n", processed.Files,
                  processed.Bytes, total.Files, total.Bytes, errors);
    }
  }

  // Error is the error callback function for the archiver.
  error Error(const std::string &item, const error &err) {
    std::printf("error: %s: %s\n", item.c_str(), err.c_str());
    errCh.send(go::unit{});
    return "";
  }
  void StartFile(const std::string &filename) { workerCh.send({filename, false}); }
  void CompleteBlob(unsigned long long bytes) { processedCh.send(counter{0, 0, bytes}); }
  void CompleteItem(const std::string &item) {
    processedCh.send(counter{1, 0, 0});
    workerCh.send({item, true});
  }

  // ReportTotal sets the total stats up to now (the Scanner's Result callback).
  void ReportTotal(const std::string &item, counter s) {
    go::select(go::case_send(totalCh, s), go::case_recv(finished)); // LEAK
    if (item.empty()) {
      std::printf("scan finished: %u files, %llu B\n", s.Files, s.Bytes);
      totalCh.close();
    }
  }

  // Finish prints the finishing messages (only after a snapshot was saved).
  void Finish() { finished.close(); }

private:
  go::chan<counter> totalCh{0}, processedCh{0};
  go::chan<go::unit> errCh{0};
  go::chan<fileWorkerMessage> workerCh{0};
  go::chan<go::unit> finished{0};
};

// internal/archiver/scanner.go, over a fake file system: path -> (Lstat cost in ms, size; -1 = dir)
struct FSEntry {
  int lstatMs;
  long long size;
  std::vector<std::string> names;
};
using FS = std::map<std::string, FSEntry>;

struct Scanner {
  const FS &fs;
  Backup &result; // Scanner.Result = p.ReportTotal

  std::pair<counter, error> scan(go::Context ctx, counter stats, const std::string &target) {
    if (isDone(ctx)) // if ctx.Err() != nil
      return {stats, ErrCanceled};
    const FSEntry &fi = fs.at(target);
    go::sleep_ms(fi.lstatMs); // s.FS.Lstat(target)
    if (fi.size >= 0) {
      stats.Files++;
      stats.Bytes += fi.size;
    } else {
      for (const std::string &name : fi.names) {
        error err;
        std::tie(stats, err) = scan(ctx, stats, target + "/" + name);
        if (!err.empty())
          return {stats, err};
      }
      stats.Dirs++;
    }
    result.ReportTotal(target, stats);
    return {stats, ""};
  }

  error Scan(go::Context ctx, const std::vector<std::string> &targets) {
    counter stats;
    for (const std::string &target : targets) {
      error err;
      std::tie(stats, err) = scan(ctx, stats, target);
      if (!err.empty())
        return err;
      if (isDone(ctx))
        return "";
    }
    result.ReportTotal("", stats);
    return "";
  }

  static bool isDone(go::Context ctx) { // ctx.Err() != nil
    return go::select(go::case_recv(ctx.done()), go::case_default()) == 0;
  }
};

int main() {
  FS fs = {
      {"/home/user/docs", {5, -1, {"a.txt", "b.txt"}}},
      {"/home/user/docs/a.txt", {10, 1200, {}}},
      {"/home/user/docs/b.txt", {10, 3400, {}}},
      {"/home/user/photos", {5, -1, {"big.raw", "small.jpg"}}},
      {"/home/user/photos/big.raw", {200, 50000000, {}}}, // on a slow NFS mount
      {"/home/user/photos/small.jpg", {10, 90000, {}}},
  };
  std::vector<std::string> targets = {"/home/user/docs", "/home/user/photos"};

  Backup p;
  auto [ctx, cancel] = go::with_cancel(); // gopts.ctx, cancelled by the cleanup handler on SIGINT
  go::WaitGroup t;                        // the tomb
  t.add(2);
  go::spawn([&, ctx = ctx] {
    p.Run(ctx);
    t.done();
  });
  go::spawn([&, ctx = ctx] {
    Scanner sc{fs, p};
    error err = sc.Scan(ctx, targets);
    std::printf("scanner returned '%s'\n", err.c_str());
    t.done();
  });

  go::spawn([cancel = cancel] { // Ctrl-C
    go::sleep_ms(150);
    cancel();
  });

  // arch.Snapshot(): the archiver saves docs, then uploads big.raw blob by blob.
  error err;
  for (const char *f : {"/home/user/docs/a.txt", "/home/user/docs/b.txt"}) {
    p.StartFile(f);
    p.CompleteBlob(fs.at(f).size);
    p.CompleteItem(f);
  }
  for (;;) {
    if (Scanner::isDone(ctx)) {
      err = ErrCanceled;
      break;
    }
    go::sleep_ms(20); // saving a blob of big.raw
  }
  std::printf("archiver: %s\n", err.c_str());

  t.wait(); // t.Kill(nil); t.Wait()
  go::wait_all_goroutines();
  std::printf("done\n");
  return 0;
}
