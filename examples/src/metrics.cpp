#include "service.h"
#include <chrono>

using namespace std::chrono_literals;

void flush_metrics() {}

void Metrics::start() {
  // threadleak-detached-no-stop: a detached thread looping forever.
  std::thread([] {
    for (;;) {
      flush_metrics();
      std::this_thread::sleep_for(1s);
    }
  }).detach();
}

void MetricsFixed::start() {
  flusher_ = std::jthread([](std::stop_token st) {
    while (!st.stop_requested()) {
      flush_metrics();
      std::this_thread::sleep_for(1s);
    }
  });
}
