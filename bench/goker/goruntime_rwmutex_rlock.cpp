// Go runtime pattern: src/runtime/testdata/testgoroutineleakprofile/simple.go, RWMutexRLock
// Style: (c) Go-style library, include/gochan.h (go::RWMutex, go::spawn)
// Bug class: lock: a read lock under one's own write lock (object private to
//   the blocked context)
// Shape: a goroutine write-locks an RWMutex it made and then read-locks it.
// Fix (no upstream fix: a micro-test): the write lock is released first.
#include "gochan.h"
#include <memory>

int main() {
  go::spawn([] {
    auto mu = std::make_shared<go::RWMutex>();
    mu->lock();
    mu->rlock(); // LEAK
    mu->runlock();
  });
  go::wait_all_goroutines();
}
