// Go runtime pattern: src/runtime/testdata/testgoroutineleakprofile/simple.go, SelectNoCases
// Style: (c) Go-style library, include/gochan.h (go::select, go::spawn)
// Bug class: select with no cases (`select {}`): blocks forever by construction
// Shape: a goroutine runs `select {}`, which no event can ever complete.
// Fix (no upstream fix: a micro-test): the select waits on a channel that the
//   spawner closes.
#include "gochan.h"

int main() {
  go::spawn([] {
    go::select(); // LEAK: select {}
  });
  go::wait_all_goroutines();
}
