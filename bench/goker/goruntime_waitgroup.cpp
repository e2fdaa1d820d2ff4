// Go runtime pattern: src/runtime/testdata/testgoroutineleakprofile/simple.go, WaitGroup
// Style: (c) Go-style library, include/gochan.h (go::WaitGroup, go::spawn)
// Bug class: WaitGroup: wait with no Done() anywhere (object private to the blocked context)
// Shape: a goroutine adds one to a WaitGroup it shares with no one and waits.
// Fix (no upstream fix: a micro-test): a second goroutine does the work and
//   calls Done().
#include "gochan.h"
#include <memory>

int main() {
  go::spawn([] {
    auto wg = std::make_shared<go::WaitGroup>();
    wg->add(1);
    wg->wait(); // LEAK
  });
  go::wait_all_goroutines();
}
