// Go runtime pattern: src/runtime/testdata/testgoroutineleakprofile/simple.go, Select
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (c) Go-style library, include/gochan.h (go::chan, go::select, go::spawn)
// Bug class: select with no partner on any case (objects private to the blocked context)
// Shape: a goroutine selects on a send and a receive on two channels it just
//   made and shares with no one.
// Fix (no upstream fix: a micro-test): a second goroutine sends on the
//   receive case's channel.
#include "gochan.h"

int main() {
  go::spawn([] {
    go::chan<int> a, b;
    int v;
    go::spawn([b] { b.send(1); }); // the fix: a partner
    go::select(go::case_send(a, 0), go::case_recv(b, &v));
  });
  go::wait_all_goroutines();
}
