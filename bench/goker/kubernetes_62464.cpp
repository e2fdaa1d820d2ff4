// GoKer port: gobench/goker/blocking/kubernetes/62464 (kubernetes/kubernetes#62464, fix c1b19fc)
// Style: (c) Go-style library, include/gochan.h (go::RWMutex, go::spawn)
// Bug class: lock: recursive read lock (RWR) against a waiting writer
// Shape: GetCPUSetOrDefault() read-locks the state and calls GetCPUSet(),
//   which read-locks it again. Between the two, SetDefaultCPUSet() asks for
//   the write lock; Go's RWMutex then holds back new readers, so the second
//   RLock() waits for the writer, which waits for the first reader.
// Fix: the outer method reads the state through unlocked helpers, taking the
//   read lock once.
#include "gochan.h"

struct StateMemory {
  go::RWMutex mu;
  bool getCPUSetLocked() { return false; }
  void GetCPUSetOrDefault() {
    mu.rlock();
    if (!GetCPUSet())
      GetDefaultCPUSet();
    mu.runlock();
  }
  bool GetCPUSet() {
    go::sleep_ms(5); // runtime.Gosched(): the writer arrives
    mu.rlock();      // LEAK: a writer is waiting
    bool ok = getCPUSetLocked();
    mu.runlock();
    return ok;
  }
  void GetDefaultCPUSet() {
    mu.rlock();
    mu.runlock();
  }
  void SetDefaultCPUSet() {
    mu.lock(); // LEAK: waits for the first reader
    mu.unlock();
  }
};

struct StaticPolicy {
  void RemoveContainer(StateMemory &s) {
    s.GetDefaultCPUSet();
    s.SetDefaultCPUSet();
  }
};

int main() {
  static StateMemory s;
  static StaticPolicy p;
  go::spawn([] { s.GetCPUSetOrDefault(); }); // G1: m.reconcileState()
  go::spawn([] {                             // G2
    go::sleep_ms(1);
    p.RemoveContainer(s);
  });
  go::wait_all_goroutines();
}
