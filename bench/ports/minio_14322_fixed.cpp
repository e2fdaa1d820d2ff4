// Port: minio/minio#14322 ("Fix leaked healing goroutines")
//   (A regression from #13990.) erasureServerPools.HealObjects() heals a
//   prefix on every erasure set in parallel: a coordinator goroutine starts
//   one goroutine per set, each sending the result of set.listAndHeal() on the
//   unbuffered errCh, waits for them with a WaitGroup and then closes errCh.
//   HealObjects() itself only did `return <-errCh`: "only the first
//   listAndHeal would ever be able to write on errCh, blocking all others
//   indefinitely". Every heal run (the background
//   healer calls it over and over) leaks the other sets' goroutines, blocked in
//   the send, and the coordinator, blocked in wg.Wait().
// Style: (c) gochan.h (go::chan, go::spawn, go::WaitGroup, go::Context/with_cancel, go::wait_all_goroutines as goleak)
// Bug class: fan-in whose receiver stops after the first result: the remaining senders on the unbuffered channel have no partner
// Shape: a pool with three erasure sets; their listAndHeal() calls finish after
//   50, 100 and 150 ms. HealObjects() returns the first result; the second and
//   third senders block on errCh forever, the coordinator waits in wg.Wait(),
//   and main's leak check (wait for all goroutines) never returns.
// Fix: HealObjects() ranges over errCh until the coordinator closes it,
//   keeping the first non-nil error (and cancelling the others on an error),
//   so every sender finds a receiver.
#include "gochan.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace cmd {

using error = std::string; // "" is nil

struct HealOpts {
  bool Recursive = true;
  int ScanMode = 1; // madmin.HealNormalScan
};

using HealObjectFn = std::function<error(const std::string &bucket, const std::string &object)>;

class erasureObjects {
public:
  int setIndex;
  int listMs;
  erasureObjects(int idx, int ms) : setIndex(idx), listMs(ms) {}

  // List a prefix on the set's online disks and heal every entry
  error listAndHeal(go::Context ctx, const std::string &bucket, const std::string &prefix,
                    const HealObjectFn &healEntry) {
    int i = go::select(go::case_recv(ctx.done()), go::case_recv(go::after(std::chrono::milliseconds(listMs))));
    if (i == 0)
      return "context canceled";
    error err = healEntry(bucket, prefix + "object-" + std::to_string(setIndex));
    std::printf("set %d: listAndHeal done\n", setIndex);
    return err;
  }
};

struct erasureSets {
  std::vector<std::shared_ptr<erasureObjects>> sets;
};

class erasureServerPools {
public:
  std::vector<erasureSets> serverPools;

  error HealObjects(go::Context parent, const std::string &bucket, const std::string &prefix, HealOpts opts,
                    HealObjectFn healObjectFn) {
    (void)parent;
    (void)opts;
    go::chan<error> errCh; // unbuffered
    auto [ctx, cancel] = go::with_cancel();
    auto pools = serverPools;
    go::spawn([=] {
      for (const auto &erasureSet : pools) {
        auto wg = std::make_shared<go::WaitGroup>();
        for (const auto &set : erasureSet.sets) {
          wg->add(1);
          go::spawn([=] {
            errCh.send(set->listAndHeal(ctx, bucket, prefix, healObjectFn));
            wg->done();
          });
        }
        wg->wait();
      }
      errCh.close();
      cancel();
    });
    error firstErr;
    for (error err : errCh) { // read every result until the coordinator closes errCh
      if (!err.empty() && firstErr.empty()) {
        firstErr = err;
        cancel();
      }
    }
    return firstErr;
  }
};

} // namespace cmd

int main() {
  cmd::erasureServerPools z;
  cmd::erasureSets pool0;
  pool0.sets.push_back(std::make_shared<cmd::erasureObjects>(0, 50));
  pool0.sets.push_back(std::make_shared<cmd::erasureObjects>(1, 100));
  pool0.sets.push_back(std::make_shared<cmd::erasureObjects>(2, 150));
  z.serverPools.push_back(pool0);

  cmd::HealOpts opts;
  cmd::error err = z.HealObjects(go::background(), "photos", "2022/", opts,
                                 [](const std::string &bucket, const std::string &object) -> cmd::error {
                                   std::printf("healed %s/%s\n", bucket.c_str(), object.c_str());
                                   return "";
                                 });
  std::printf("HealObjects returned %s\n", err.empty() ? "<nil>" : err.c_str());
  go::wait_all_goroutines(); // goleak.VerifyNone
  return 0;
}
