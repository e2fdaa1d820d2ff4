// GoKer port: gobench/goker/blocking/etcd/5509 (etcd-io/etcd#5509)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (c) Go-style library, include/gochan.h (go::RWMutex, go::spawn, go::chan)
// Bug class: lock: a read lock leaked on an early return (the writer waits forever)
// Shape: remoteClient.acquire() read-locks client.mu and, when the client is
//   closed, returns ErrConnClosed without RUnlock(). Client.Close() then
//   blocks in Lock() forever, and so does the test waiting for Close().
// Fix: acquire() releases the read lock before returning ErrConnClosed.
#include "gochan.h"
#include <functional>
#include <mutex>

enum class Err { none, connClosed };

struct Client {
  go::RWMutex mu;
  std::function<void()> cancel; // nil: the client is already closed
  void Close() {
    mu.lock();
    if (!cancel) {
      mu.unlock();
      return;
    }
    cancel();
    cancel = nullptr;
    mu.unlock();
  }
};

struct RemoteClient {
  Client *client;
  std::mutex mu;
  Err acquire() {
    for (;;) {
      client->mu.rlock();
      bool closed = !client->cancel;
      mu.lock();
      mu.unlock();
      if (closed) {
        client->mu.runlock(); // the fix
        return Err::connClosed;
      }
      client->mu.runlock();
    }
  }
};

struct KV {
  RemoteClient rc;
  Err Get() { return Do(); }
  Err Do() { return rc.acquire(); }
};

int main() {
  go::spawn([] {
    Client cli;
    KV kv{RemoteClient{&cli, {}}};
    go::chan<go::unit> donec;
    go::spawn([&kv, donec] {
      kv.Get();
      donec.close();
    });
    go::sleep_ms(5); // runtime.Gosched()
    cli.Close();
    donec.recv();
  });
  go::wait_all_goroutines();
}
