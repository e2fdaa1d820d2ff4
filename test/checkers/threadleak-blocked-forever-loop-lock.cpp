// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// threadleak-blocked-forever: a round of a loop that takes a mutex first
// thing and comes back round, on one of its ways, still holding it; its
// other ways release it. The next round's acquisition waits for itself.

#include <mutex>
#include <pthread.h>
#include <shared_mutex>
#include <vector>

bool dial(int i);
void track(int i);
bool more();

// moby#7559: the error path `continue`s without the unlock.
struct Proxy {
  std::mutex mu;
  std::vector<int> table;
  void run(int n) {
    for (int i = 0; i < n; ++i) {
      mu.lock();
      // CHECK: :[[@LINE-1]]:7: warning: 'mu' is acquired again by code that already holds it: a round of the loop can come back here without releasing it, and the next round waits for itself forever [threadleak-blocked-forever]
      // CHECK: :[[@LINE-2]]:7: note: 'mu' is acquired here
      if (!dial(i))
        continue;
      // CHECK: :[[@LINE-1]]:9: note: this way back round the loop keeps 'mu' held
      table.push_back(i);
      mu.unlock();
    }
  }
};

// The fix: the error path unlocks first.
struct FixedProxy {
  std::mutex mu;
  void run(int n) {
    for (int i = 0; i < n; ++i) {
      mu.lock();
      if (!dial(i)) {
        mu.unlock();
        continue;
      }
      track(i);
      mu.unlock();
    }
  }
};

// A pthread mutex (a default one: its static initialiser says so) in a
// `while` loop; the unlock is after the loop, so every round comes back
// round holding it.
pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
void drain() {
  while (more()) {
    pthread_mutex_lock(&table_lock);
    // CHECK: :[[@LINE-1]]:5: warning: 'table_lock' is acquired again by code that already holds it: a round of the loop can come back here without releasing it, and the next round waits for itself forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-2]]:5: note: 'table_lock' is acquired here
    track(0);
    // CHECK: :[[@LINE-1]]:5: note: this way back round the loop keeps 'table_lock' held
  }
  pthread_mutex_unlock(&table_lock);
}

// Negative: the lock is taken only when a flag says it is not held; the
// loop carries it from round to round on purpose.
struct Batcher {
  std::mutex mu;
  void run() {
    bool held = false;
    for (;;) {
      if (!held) {
        mu.lock();
        held = true;
      }
      if (more())
        continue;
      mu.unlock();
      held = false;
      if (!dial(1))
        return;
    }
  }
};

// Negative: a recursive mutex may be taken again.
struct Reentrant {
  std::recursive_mutex mu;
  void run() {
    for (;;) {
      mu.lock();
      if (more())
        continue;
      mu.unlock();
      if (!dial(2))
        return;
    }
  }
};

// A pthread mutex member initialised with no attributes is a default one.
struct Table {
  pthread_mutex_t mu;
  Table() { pthread_mutex_init(&mu, nullptr); }
  void run() {
    for (;;) {
      pthread_mutex_lock(&mu);
      // CHECK: :[[@LINE-1]]:7: warning: 'mu' is acquired again by code that already holds it: a round of the loop can come back here without releasing it, and the next round waits for itself forever [threadleak-blocked-forever]
      // CHECK: :[[@LINE-2]]:7: note: 'mu' is acquired here
      if (more())
        continue;
      // CHECK: :[[@LINE-1]]:9: note: this way back round the loop keeps 'mu' held
      pthread_mutex_unlock(&mu);
      if (!dial(5))
        return;
    }
  }
};

// Negative: one initialised with attributes may be a recursive one.
struct RecursiveTable {
  pthread_mutex_t mu;
  RecursiveTable() {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&mu, &attr);
  }
  void run() {
    for (;;) {
      pthread_mutex_lock(&mu);
      if (more())
        continue;
      pthread_mutex_unlock(&mu);
      if (!dial(6))
        return;
    }
  }
};

// Negative: nothing here says how this one is made.
extern pthread_mutex_t elsewhere;
void spin() {
  for (;;) {
    pthread_mutex_lock(&elsewhere);
    if (more())
      continue;
    pthread_mutex_unlock(&elsewhere);
    if (!dial(7))
      return;
  }
}

// Negative: a shared lock taken twice does not wait for itself.
struct Reader {
  std::shared_mutex mu;
  void run() {
    for (;;) {
      mu.lock_shared();
      if (more())
        continue;
      mu.unlock_shared();
      if (!dial(3))
        return;
    }
  }
};

// Negative: the lock is held from round to round on purpose; each round
// lets it go around the task and takes it back last.
struct Worker {
  std::mutex mu;
  void run() {
    std::unique_lock lk(mu);
    while (more()) {
      lk.unlock();
      track(8);
      lk.lock();
    }
  }
  void pump() {
    mu.lock();
    for (;;) {
      if (!dial(9))
        break;
      mu.unlock();
      track(9);
      mu.lock();
    }
    mu.unlock();
  }
};

// Negative: a guard releases at the end of every round.
struct Guarded {
  std::mutex mu;
  void run(int n) {
    for (int i = 0; i < n; ++i) {
      std::unique_lock lk(mu);
      if (!dial(i))
        continue;
      track(i);
    }
  }
};

// Negative: a loop that runs once has no next round.
struct Once {
  std::mutex mu;
  void run() {
    for (int i = 0; i < 1; ++i) {
      mu.lock();
      if (!dial(i))
        continue;
      mu.unlock();
    }
  }
};

// Negative: try_lock does not wait.
struct Trier {
  std::mutex mu;
  void run() {
    for (;;) {
      if (!mu.try_lock())
        continue;
      if (more())
        continue;
      mu.unlock();
      if (!dial(4))
        return;
    }
  }
};
