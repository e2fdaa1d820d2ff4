// Go runtime pattern: src/runtime/testdata/testgoroutineleakprofile/simple.go, Mixed
// Style: (c) Go-style library, include/gochan.h (go::chan, go::WaitGroup, go::spawn)
// Bug class: WaitGroup + chan: the waiter's own later receive is what would
//   release the child before its Done()
// Shape: the child sends on an unbuffered channel and then calls Done(); the
//   parent waits for the WaitGroup before receiving: each waits for the other.
// Fix (no upstream fix: a micro-test): the parent receives before waiting.
#include "gochan.h"
#include <memory>

int main() {
  go::spawn([] {
    go::chan<int> ch;
    auto wg = std::make_shared<go::WaitGroup>();
    wg->add(1);
    go::spawn([ch, wg] {
      ch.send(0); // LEAK
      wg->done();
    });
    wg->wait(); // LEAK
    ch.recv();
  });
  go::wait_all_goroutines();
}
