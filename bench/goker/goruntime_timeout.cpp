// Go runtime pattern: src/runtime/testdata/testgoroutineleakprofile/commonpatterns.go, Timeout
// Style: (c) Go-style library, include/gochan.h (go::chan, go::select, go::Context, go::spawn)
// Bug class: chan send, partner returns early (select takes ctx.Done())
// Shape: timeout() starts a sender on an unbuffered channel and selects on it
//   and ctx.Done(); with the context already cancelled the select returns
//   through Done() and the sender blocks forever.
// Fix (the pattern's usual cure): the channel gets a buffer of one.
#include "gochan.h"

void timeout(go::Context ctx) {
  go::chan<go::unit> ch;
  go::spawn([ch] {
    go::sleep_ms(5);
    ch.send(go::unit{}); // LEAK
  });
  go::select(go::case_recv(ch), go::case_recv(ctx.done()));
}

int main() {
  auto [ctx, cancel] = go::with_cancel();
  cancel();
  for (int i = 0; i < 10; ++i)
    go::spawn([ctx = ctx] { timeout(ctx); });
  go::wait_all_goroutines();
}
