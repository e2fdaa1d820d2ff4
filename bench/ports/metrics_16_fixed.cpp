// Port: codahale/metrics#16 ("locking: Prevent deadlock by making lock ordering consistent.")
//   (fixes codahale/metrics#15, "NewHistogram vs Snapshot deadlock".) The
//   package keeps its counters, gauges and histograms in global maps guarded
//   by three global mutexes, cm, gm and hm. NewHistogram() locks hm, registers
//   the histogram and then adds its six quantile gauges with
//   Gauge.SetBatchFunc(), which locks gm: hm -> gm. Snapshot(), which the
//   expvar handler calls on every GET /debug/vars, locked cm, then gm, then
//   hm (to run the histograms' merge initialisers): gm -> hm. A service that
//   creates a histogram lazily on the first sample of a new metric name while
//   its metrics are being scraped deadlocks: the request goroutine holds hm
//   and waits for gm, the expvar goroutine holds gm (and cm) and waits for hm,
//   and every later counter update blocks on cm behind them.
// Style: (d) standard library only: std::mutex for cm/gm/hm, std::shared_mutex
//   for a histogram's rw lock, std::thread for the request worker, the
//   expvar handler and the rotation ticker, std::function gauges
// Bug class: lock-order inversion (ABBA) between two global mutexes
// Shape: an HTTP worker records the first lag sample of a new host, so
//   NewHistogram() runs: it takes hm and builds the windowed histogram
//   (forcing: 50 ms). At 20 ms a scrape of /debug/vars runs Snapshot(), which
//   takes cm and gm and blocks on hm; at 50 ms NewHistogram() blocks on gm.
//   main joins both threads forever.
// Fix: every path that needs several of the locks takes them in the order
//   hm, gm, cm: Snapshot() and Reset() are reordered; the twin does the same.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace std::chrono_literals;

namespace metrics {

// Note - If multiple locks must be concurrently held they should be
// acquired in this order hm, gm, cm or deadlock will result.

class Histogram;
std::map<std::string, uint64_t> counters;
std::map<std::string, std::function<int64_t()>> gauges;
std::map<std::string, std::function<void()>> inits;
std::map<std::string, std::shared_ptr<Histogram>> histograms;
std::mutex cm, gm, hm;

// A Counter is a monotonically increasing unsigned integer.
struct Counter {
  std::string name;
  void Add() { AddN(1); }
  void AddN(uint64_t delta) {
    std::lock_guard lk(cm);
    counters[name] += delta;
  }
};

// A Gauge is an instantaneous measurement of a value.
struct Gauge {
  std::string name;
  void Set(int64_t value) {
    std::lock_guard lk(gm);
    gauges[name] = [value] { return value; };
  }
  // SetBatchFunc sets the gauge's value to the lazily-called return value of
  // f, with an initializer for a related batch of gauges keyed by key.
  void SetBatchFunc(const std::string &key, std::function<void()> init, std::function<int64_t()> f) {
    std::lock_guard lk(gm);
    gauges[name] = std::move(f);
    inits.emplace(key, std::move(init));
  }
};

// A Histogram measures the distribution of a stream of values, over a window
// of five one-minute buckets (hdrhistogram.WindowedHistogram stand-in).
class Histogram {
public:
  Histogram(int64_t minValue, int64_t maxValue) : minValue(minValue), maxValue(maxValue), windows(5) {
    std::this_thread::sleep_for(50ms); // forcing: allocating the windows' counts arrays takes a while
  }
  bool RecordValue(int64_t v) {
    std::unique_lock lk(rw);
    if (v < minValue || v > maxValue)
      return false;
    windows[current].push_back(v);
    return true;
  }
  void rotate() {
    std::unique_lock lk(rw);
    current = (current + 1) % windows.size();
    windows[current].clear();
  }
  void merge() {
    std::unique_lock lk(rw);
    merged.clear();
    for (auto &w : windows)
      merged.insert(merged.end(), w.begin(), w.end());
    std::sort(merged.begin(), merged.end());
  }
  std::function<int64_t()> valueAt(double q) {
    return [this, q]() -> int64_t {
      std::shared_lock lk(rw);
      if (merged.empty())
        return 0;
      return merged[size_t(q / 100.0 * double(merged.size() - 1))];
    };
  }

private:
  int64_t minValue, maxValue;
  std::vector<std::vector<int64_t>> windows;
  size_t current = 0;
  std::vector<int64_t> merged;
  std::shared_mutex rw;
};

// NewHistogram returns a windowed histogram which drops data older than five minutes.
std::shared_ptr<Histogram> NewHistogram(const std::string &name, int64_t minValue, int64_t maxValue) {
  std::lock_guard lk(hm);
  if (histograms.count(name))
    throw std::logic_error(name + " already exists");
  auto hist = std::make_shared<Histogram>(minValue, maxValue);
  histograms[name] = hist;

  auto merge = [hist] { hist->merge(); };
  Gauge{name + ".P50"}.SetBatchFunc(name, merge, hist->valueAt(50));
  Gauge{name + ".P75"}.SetBatchFunc(name, merge, hist->valueAt(75));
  Gauge{name + ".P90"}.SetBatchFunc(name, merge, hist->valueAt(90));
  Gauge{name + ".P95"}.SetBatchFunc(name, merge, hist->valueAt(95));
  Gauge{name + ".P99"}.SetBatchFunc(name, merge, hist->valueAt(99));
  Gauge{name + ".P999"}.SetBatchFunc(name, merge, hist->valueAt(99.9));
  return hist;
}

// Reset removes all existing counters and gauges.
void Reset() {
  std::lock_guard lh(hm);
  std::lock_guard lg(gm);
  std::lock_guard lc(cm);
  counters.clear();
  gauges.clear();
  histograms.clear();
  inits.clear();
}

// Snapshot returns a copy of the values of all registered counters and gauges.
std::pair<std::map<std::string, uint64_t>, std::map<std::string, int64_t>> Snapshot() {
  std::lock_guard lh(hm);
  std::lock_guard lg(gm);
  std::lock_guard lc(cm);

  for (auto &[key, init] : inits)
    init();
  std::map<std::string, uint64_t> c = counters;
  std::map<std::string, int64_t> g;
  for (auto &[n, f] : gauges)
    g[n] = f();
  return {c, g};
}

// init(): rotate the histograms every minute, for the life of the process.
void startRotation() {
  std::thread([] {
    for (;;) {
      std::this_thread::sleep_for(std::chrono::minutes(1));
      std::lock_guard lk(hm);
      for (auto &[name, h] : histograms)
        h->rotate();
    }
  }).detach();
}

} // namespace metrics

// common/telemetry.go of the reporting service: lag histograms created on first use.
struct TelemetryInstance {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<metrics::Histogram>> hists;

  void RecordTime(const std::string &name, int64_t micros) {
    std::shared_ptr<metrics::Histogram> h;
    {
      std::lock_guard lk(mu);
      auto it = hists.find(name);
      if (it == hists.end())
        it = hists.emplace(name, metrics::NewHistogram(name, 0, 1000000)).first;
      h = it->second;
    }
    h->RecordValue(micros);
  }
};

int main() {
  metrics::startRotation();
  metrics::Counter{"requests"}.Add();
  metrics::Gauge{"workers"}.Set(4);

  TelemetryInstance telemetry;
  // httpworker: a response from a new backend host arrives.
  std::thread worker([&] {
    metrics::Counter{"requests"}.Add();
    telemetry.RecordTime("lag.backend-7", 1830);
    std::puts("recorded lag for backend-7");
  });
  // expvar: GET /debug/vars
  std::thread debugVars([] {
    std::this_thread::sleep_for(20ms);
    auto [c, g] = metrics::Snapshot();
    std::printf("/debug/vars: %zu counters, %zu gauges\n", c.size(), g.size());
  });

  worker.join();
  debugVars.join();
  auto [c, g] = metrics::Snapshot();
  std::printf("requests=%llu, lag.backend-7.P50=%lld\n", (unsigned long long)c["requests"],
              (long long)g["lag.backend-7.P50"]);
  return 0;
}
