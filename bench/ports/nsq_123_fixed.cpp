// Port: nsqio/nsq#123 ("unlucky timing of notify.Post can cause exit deadlock")
//   nsqd tells its lookupLoop about topic/channel changes through the go-notify
//   package: notify.Post() read-locks the package's RWMutex and sends the event
//   on every listener channel registered with notify.Start(), the listener being
//   lookupLoop's unbuffered syncTopicChan. An ephemeral channel whose last
//   client left deletes itself and posts "channel_change" from its own
//   goroutine. If that Post runs after NSQd.Exit() closed exitChan, lookupLoop
//   has already left its select loop: nobody receives, so Post blocks in the
//   send holding the read lock, and lookupLoop's exit path calls notify.Stop(),
//   which needs the write lock. lookupLoop never finishes and Exit() waits for
//   it in waitGroup.Wait() forever.
// Style: (c) gochan.h (go::chan, go::select, go::spawn, go::WaitGroup, go::RWMutex for go-notify's rwMutex)
// Bug class: lock held while blocking on a channel send whose receiver has left; the receiver's shutdown path then waits for the lock
// Shape: main makes an ephemeral channel lose its last client (its deleter
//   goroutine posts after 100 ms), then calls Exit() at 50 ms. lookupLoop sees
//   exitChan, spends 150 ms closing its lookupd peers, then calls notify.Stop().
//   The deleter's Post (t=100 ms) holds the read lock and blocks sending on
//   syncTopicChan; Stop() (t=200 ms) waits for the write lock; Exit() hangs in
//   waitGroup.Wait().
// Fix: go-notify is dropped; NSQd.Notify() selects between sending on
//   n.notifyChan and <-n.exitChan ("by selecting on exitChan we guarantee that
//   we do not block exit, see issue #123"), and lookupLoop needs no Stop().
#include "gochan.h"

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace nsqd {

class NSQd;

class Channel {
public:
  std::string name;
  bool ephemeralChannel = false;
  int clients = 1;
  NSQd *ctx;
  explicit Channel(std::string n, bool eph, NSQd *c) : name(std::move(n)), ephemeralChannel(eph), ctx(c) {}

  // the last consumer of an ephemeral channel disconnected: delete it and tell lookupd
  void RemoveClient();
};

class NSQd {
public:
  go::chan<go::unit> exitChan;
  go::chan<Channel *> notifyChan; // unbuffered, read by lookupLoop
  go::WaitGroup waitGroup;

  void Main() {
    waitGroup.add(1);
    go::spawn([this] { lookupLoop(); });
  }

  void Exit() {
    std::printf("NSQ: closing\n");
    exitChan.close();
    waitGroup.wait(); // waits for lookupLoop
    std::printf("NSQ: exited\n");
  }

  // by selecting on exitChan we do not block exit
  void Notify(Channel *v) {
    int i = go::select(go::case_recv(exitChan), go::case_send(notifyChan, v));
    if (i == 0)
      std::printf("NSQ: exiting, channel_change for %s dropped\n", v->name.c_str());
  }

private:
  void lookupLoop() {
    for (;;) {
      Channel *c = nullptr;
      int i = go::select(go::case_recv(notifyChan, &c), go::case_recv(exitChan));
      if (i == 0) {
        std::printf("LOOKUP: channel_change %s -> UNREGISTER\n", c->name.c_str());
        continue;
      }
      break; // <-exitChan
    }
    std::printf("LOOKUP: closing\n");
    go::sleep_ms(150); // close the lookupd peer connections
    waitGroup.done();
  }
};

void Channel::RemoveClient() {
  if (--clients == 0 && ephemeralChannel) {
    go::spawn([this] {
      go::sleep_ms(100); // exit() of the channel: flush, close the backend
      std::printf("CHANNEL(%s): deleting, notifying channel_change\n", name.c_str());
      ctx->Notify(this);
    });
  }
}

} // namespace nsqd

int main() {
  auto n = std::make_unique<nsqd::NSQd>();
  n->Main();
  nsqd::Channel ch("archive#ephemeral", true, n.get());
  ch.RemoveClient(); // the deleter goroutine notifies at ~100 ms
  go::sleep_ms(50);
  n->Exit(); // lookupLoop leaves its select before the Notify
  go::wait_all_goroutines();
  return 0;
}
