#include "service.h"

void poll_once() {}

static void poll_forever() {
  while (true)
    poll_once();
}

void Poller::start() {
  // threadleak-jthread-ignores-stop: the body never sees the stop token, so
  // ~Poller() (through ~jthread) will block forever.
  thread_ = std::jthread([] { poll_forever(); });

  // Fine: a second worker that stops on the poller's own flag.
  std::jthread helper([this] {
    while (running_)
      poll_once();
  });
  running_ = false;
}

void Poller::stop() { running_ = false; }
