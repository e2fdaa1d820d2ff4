// Go runtime pattern: src/runtime/testdata/testgoroutineleakprofile/simple.go, MutexStack
// Style: (c) Go-style library, include/gochan.h (go::spawn) with std::mutex
// Bug class: lock: double locking of a mutex private to the blocked context
// Shape: a goroutine locks a mutex it made and locks it again: it waits for
//   itself (Go's runtime reports it as leaked; glibc's default mutex blocks).
// Fix (no upstream fix: a micro-test): the goroutine unlocks between the two locks.
#include "gochan.h"
#include <mutex>

int main() {
  for (int i = 0; i < 10; ++i) {
    go::spawn([] {
      std::mutex mu;
      mu.lock();
      mu.lock(); // LEAK
      mu.unlock();
    });
  }
  go::wait_all_goroutines();
}
