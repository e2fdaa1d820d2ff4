// Port: im7mortal/kmutex#5 ("Fix use of Cond.Signal to avoid deadlock")
//   kmutex is a "mutex per key" built from one sync.Mutex, one sync.Cond and
//   a set of locked keys. Lock(key) waits on the Cond while the key is in the
//   set; Unlock(key) deletes the key and calls Cond.Signal(), which wakes ONE
//   waiter, the one that has waited longest, whatever key it waits for. When
//   a goroutine waiting for another, still-locked key gets the signal, it
//   re-checks, finds its key still locked and goes back to sleep: the wake-up
//   meant for the waiter of the unlocked key is consumed and that waiter
//   sleeps on although its key is free. Here a job worker waits for
//   "job/nightly-backup" while a standby scheduler waits for the "leader"
//   key; the worker never wakes, and the leader, who keeps the "leader" key
//   until the job has run, waits for it forever.
// Style: (c) gochan.h (go::Mutex + go::Cond for sync.Mutex / sync.Cond,
//   go::spawn for goroutines, go::WaitGroup for the job, go::wait_all_goroutines)
// Bug class: condition variable shared by waiters of different predicates;
//   Signal() wakes the wrong waiter and the right one is never woken
// Shape: main becomes leader (locks "leader") and locks "job/nightly-backup"
//   while it writes the job spec. The standby scheduler starts waiting for
//   "leader" at once, the job worker starts waiting for the job key at 10 ms.
//   At 40 ms main unlocks the job key: Signal() wakes the standby (the oldest
//   waiter), which sleeps again; the worker is never woken and main's
//   wg.Wait() for the job hangs, so "leader" is never released either.
// Fix: one sync.Cond per key (created while a key has waiters): Unlock(key)
//   signals only the goroutines waiting for that key.
#include "gochan.h"

#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>

namespace kmutex {

// Kmutex can be locked by unique ID.
class Kmutex {
public:
  Kmutex() : c(&l) {}

  // Lock Kmutex by unique ID.
  void Lock(const std::string &key) {
    l.lock();
    while (locked(key))
      c.Wait(); // LEAK
    s.insert(key);
    l.unlock();
  }

  // Unlock Kmutex by unique ID.
  void Unlock(const std::string &key) {
    l.lock();
    s.erase(key);
    c.Signal();
    l.unlock();
  }

private:
  bool locked(const std::string &key) const { return s.count(key) != 0; }

  go::Mutex l;
  go::Cond c;
  std::set<std::string> s;
};

// Locker satisfies sync.Locker for one key.
class Locker {
public:
  Locker(Kmutex &km, std::string key) : km(km), key(std::move(key)) {}
  void Lock() { km.Lock(key); }
  void Unlock() { km.Unlock(key); }

private:
  Kmutex &km;
  std::string key;
};

} // namespace kmutex

// A tiny job scheduler that uses kmutex for its leader lease and per-job locks.
struct JobSpec {
  std::string name;
  std::string target;
};

class Scheduler {
public:
  Scheduler(kmutex::Kmutex &km, std::string id) : km(km), id(std::move(id)) {}

  void becomeLeader() {
    km.Lock("leader");
    std::printf("[%s] is the leader\n", id.c_str());
  }
  void stepDown() {
    std::printf("[%s] steps down\n", id.c_str());
    km.Unlock("leader");
  }

  // runJob runs a job once its spec is no longer being edited.
  void runJob(const JobSpec &spec) {
    kmutex::Locker jl(km, "job/" + spec.name);
    jl.Lock();
    std::printf("[%s] running job %s -> %s\n", id.c_str(), spec.name.c_str(), spec.target.c_str());
    go::sleep_ms(5);
    jl.Unlock();
  }

private:
  kmutex::Kmutex &km;
  std::string id;
};

int main() {
  kmutex::Kmutex km;
  Scheduler primary(km, "sched-0"), standby(km, "sched-1");

  primary.becomeLeader();
  km.Lock("job/nightly-backup"); // editing the job spec

  // The standby scheduler blocks until the leader steps down.
  go::spawn([&] {
    standby.becomeLeader();
    standby.stepDown();
  });

  JobSpec spec{"nightly-backup", "s3://backups/db"};
  go::WaitGroup wg;
  wg.add(1);
  go::spawn([&] {
    go::sleep_ms(10);
    primary.runJob(spec);
    wg.done();
  });

  go::sleep_ms(40); // the spec is written
  km.Unlock("job/nightly-backup");

  wg.wait(); // the leader keeps its lease until the job has run
  primary.stepDown();

  go::wait_all_goroutines();
  std::printf("done\n");
  return 0;
}
