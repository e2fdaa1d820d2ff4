// Go runtime pattern: src/runtime/testdata/testgoroutineleakprofile/simple.go, SelectNoCases
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (c) Go-style library, include/gochan.h (go::select, go::spawn)
// Bug class: select with no cases (`select {}`): blocks forever by construction
// Shape: a goroutine runs `select {}`, which no event can ever complete.
// Fix (no upstream fix: a micro-test): the select waits on a channel that the
//   spawner closes.
#include "gochan.h"

int main() {
  go::chan<go::unit> stop;
  go::spawn([stop] {
    go::select(go::case_recv(stop)); // the fix: a case that can fire
  });
  stop.close();
  go::wait_all_goroutines();
}
