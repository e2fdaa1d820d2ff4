#include "service.h"
#include <pthread.h>

bool read_request() { return false; }

static void *reader(void *) {
  // threadleak-detached-no-stop: the thread detaches itself and never ends;
  // the loop condition is a local that nothing changes.
  pthread_detach(pthread_self());
  bool running = true;
  while (running)
    read_request();
  return nullptr;
}

void start_legacy_reader() {
  pthread_t tid;
  pthread_create(&tid, nullptr, reader, nullptr);
}

void start_legacy_reader_fixed(std::atomic<bool> &shutdown) {
  // Fine: the loop ends when the owner sets `shutdown`.
  std::thread([&shutdown] {
    while (!shutdown.load())
      read_request();
  }).detach();
}
