#include "service.h"

int main(int argc, char **argv) {
  Metrics metrics;
  MetricsFixed fixed;
  Poller poller;
  std::atomic<bool> shutdown{false};
  if (argc > 1) {
    metrics.start();
    fixed.start();
    poller.start();
    start_legacy_reader();
    start_legacy_reader_fixed(shutdown);
  }
  shutdown = true;
  // main()'s own lifetime is the process's: an endless serve loop here would
  // not be a leak, and no check looks at it.
  return 0;
}
