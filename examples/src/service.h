#pragma once
#include <atomic>
#include <stop_token>
#include <thread>

void flush_metrics();
void poll_once();
bool read_request();

// Leaks a detached flusher thread: nothing can ever stop it.
class Metrics {
public:
  void start();
};

// Fixed: the flusher is a member std::jthread that watches its stop token;
// ~MetricsFixed() requests stop and joins.
class MetricsFixed {
public:
  void start();

private:
  std::jthread flusher_;
};

// ~jthread() requests stop, then joins: a poller that never looks at its
// token makes the destructor hang.
class Poller {
public:
  void start();
  void stop();

private:
  std::jthread thread_;
  std::atomic<bool> running_{true};
};

void start_legacy_reader();
void start_legacy_reader_fixed(std::atomic<bool> &shutdown);
