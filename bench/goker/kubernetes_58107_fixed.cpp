// GoKer port: gobench/goker/blocking/kubernetes/58107 (kubernetes/kubernetes#58107, fix 010a127)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (c) Go-style library, include/gochan.h (go::RWMutex, go::spawn) with std::condition_variable
// Bug class: cond + RWR: a cond wait made while holding a read lock that a
//   writer, and behind it the other worker, is waiting for
// Shape: each worker read-locks workerLock and then waits on its queue's
//   condition variable. Sync() takes workerLock for writing: it waits for the
//   first worker, and Go's RWMutex holds the second worker's RLock() back
//   behind it. By the time the second worker gets its read lock and waits on
//   its queue, the signals have stopped: it waits forever holding the read
//   lock.
// Fix: the workers get from their queues without holding workerLock.
#include "gochan.h"
#include <condition_variable>
#include <mutex>

struct Queue {
  std::mutex L;
  std::condition_variable cond;
  void Get() {
    std::unique_lock lk(L);
    cond.wait(lk);
  }
  void Put() { cond.notify_one(); }
};

struct ResourceQuotaController {
  go::RWMutex workerLock;
  Queue queue, missingUsageQueue;

  void worker(Queue &q) {
    auto workFunc = [&] {
      q.Get(); // the fix: not under workerLock
      return true;
    };
    for (;;)
      if (workFunc())
        return;
  }
  void Run() {
    go::spawn([this] { worker(queue); }); // G3
    go::spawn([this] {                    // G4
      go::sleep_ms(10);
      worker(missingUsageQueue);
    });
  }
  void Sync() { // G5
    go::sleep_ms(5);
    for (int i = 0; i < 2; ++i) {
      workerLock.lock();
      go::sleep_ms(40); // resync with the lock held
      workerLock.unlock();
      go::sleep_ms(1);  // the readers that waited get in (Go's RWMutex.Unlock)
    }
  }
  void HelperSignals() { // the informers' events, for a while
    for (int i = 0; i < 30; ++i) {
      go::sleep_ms(1);
      queue.Put();
      missingUsageQueue.Put();
    }
  }
};

int main() {
  go::spawn([] { // G1
    static ResourceQuotaController rq;
    rq.Run();
    go::spawn([] { rq.Sync(); });
    rq.HelperSignals();
  });
  go::wait_all_goroutines();
}
