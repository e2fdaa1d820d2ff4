// Port: traefik/traefik#3036 ("Fix goroutine leak in consulcatalog when consul is down")
//   The Consul Catalog provider's watch() starts two long-polling watchers,
//   watchHealthState and watchCatalogServices, and hands both the same
//   unbuffered errorCh; watch() itself selects on the provider's stop channel
//   and errorCh and returns the first error it receives, so that
//   backoff.RetryNotify can call it again. When the Consul agent goes down,
//   both watchers fail. The first error is received and watch() returns
//   (closing stopCh and watchCh); the second watcher, still inside its
//   blocking query when stopCh was closed, then sends its error on errorCh,
//   whose only receiver has left. That watcher goroutine blocks forever, and
//   one more leaks on every retry while Consul stays down.
// Style: (c) gochan.h (go::chan for errorCh/watchCh/stop/configurationChan, go::select, go::spawn as safe.Go), a fake Consul agent whose blocking queries fail after a delay
// Bug class: channel send whose receiver has left (error path): two producers, one consumer that returns after the first error
// Shape: the catalog watcher's first query returns a service list (t=10 ms),
//   which flows through watchCh and getNodes to configurationChan. The health
//   watcher's blocking query fails at t=50 ms: watch() receives that error and
//   returns. The catalog watcher's second blocking query fails at t=200 ms and
//   it blocks sending on errorCh. Provide() waits for its backoff, main closes
//   stop at t=400 ms, and main's final wait for all goroutines hangs.
// Fix: the watchers no longer send on errorCh themselves; they call a
//   notifyError closure that sends under a sync.Once (errorOnce.Do), so only
//   the first error is ever sent and later failures return at once.
#include "gochan.h"

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace consulcatalog {

using error = std::string; // "" is nil
using ServiceIndex = std::map<std::string, std::vector<std::string>>;

struct QueryOptions {
  unsigned long long WaitIndex = 0;
};
struct QueryMeta {
  unsigned long long LastIndex = 0;
};

// The Consul agent's HTTP API, reduced: blocking queries that fail once the
// agent has gone away (each long poll notices it after its own delay).
struct ConsulAgent {
  int healthFailsAfterMs = 50;
  int catalogFailsAfterMs = 190;

  error HealthState(QueryOptions &opts, QueryMeta &meta) {
    (void)opts;
    (void)meta;
    go::sleep_ms(healthFailsAfterMs);
    return "Unexpected response code: 500 (agent unreachable)";
  }
  error CatalogServices(QueryOptions &opts, ServiceIndex &data, QueryMeta &meta) {
    if (opts.WaitIndex == 0) { // first query answers immediately
      go::sleep_ms(10);
      data = {{"whoami", {"traefik.enable=true"}}};
      meta.LastIndex = 7;
      return "";
    }
    go::sleep_ms(catalogFailsAfterMs);
    return "Get http://127.0.0.1:8500/v1/catalog/services: connection refused";
  }
};

struct ConfigMessage {
  std::string ProviderName;
  std::vector<std::string> Backends;
};

class Provider {
  ConsulAgent *client;

public:
  explicit Provider(ConsulAgent *c) : client(c) {}

  void watchCatalogServices(go::chan<go::unit> stopCh, go::chan<ServiceIndex> watchCh,
                            std::function<void(error)> notifyError) {
    go::spawn([this, stopCh, watchCh, notifyError] {
      ServiceIndex flashback;
      QueryOptions options;
      for (;;) {
        if (go::select(go::case_recv(stopCh), go::case_default()) == 0)
          return;
        ServiceIndex data;
        QueryMeta meta;
        error err = client->CatalogServices(options, data, meta);
        if (!err.empty()) {
          std::printf("Failed to list services: %s\n", err.c_str());
          notifyError(err);
          return;
        }
        if (options.WaitIndex == meta.LastIndex)
          continue;
        options.WaitIndex = meta.LastIndex;
        if (data != flashback) {
          watchCh.send(data);
          flashback = data;
        }
      }
    });
  }

  void watchHealthState(go::chan<go::unit> stopCh, go::chan<ServiceIndex> watchCh,
                        std::function<void(error)> notifyError) {
    (void)watchCh;
    go::spawn([this, stopCh, notifyError] {
      QueryOptions options;
      for (;;) {
        if (go::select(go::case_recv(stopCh), go::case_default()) == 0)
          return;
        QueryMeta meta;
        error err = client->HealthState(options, meta);
        if (!err.empty()) {
          std::printf("Failed to retrieve health checks: %s\n", err.c_str());
          notifyError(err);
          return;
        }
        options.WaitIndex = meta.LastIndex;
      }
    });
  }

  error watch(go::chan<ConfigMessage> configurationChan, go::chan<go::unit> stop) {
    go::chan<go::unit> stopCh;
    go::chan<ServiceIndex> watchCh;
    go::chan<error> errorCh;

    // var errorOnce sync.Once: only the first watcher that fails sends.
    auto errorOnce = std::make_shared<std::once_flag>();
    std::function<void(error)> notifyError = [errorOnce, errorCh](error err) {
      std::call_once(*errorOnce, [&] { errorCh.send(err); });
    };

    watchHealthState(stopCh, watchCh, notifyError);
    watchCatalogServices(stopCh, watchCh, notifyError);

    go::spawn([watchCh, configurationChan] {
      for (ServiceIndex index : watchCh) {
        ConfigMessage msg{"consul_catalog", {}};
        for (auto &kv : index)
          msg.Backends.push_back("backend-" + kv.first);
        configurationChan.send(msg);
      }
    });

    error result;
    for (;;) {
      error err;
      int i = go::select(go::case_recv(stop), go::case_recv(errorCh, &err));
      if (i == 0)
        break;
      result = err;
      break;
    }
    // defer close(watchCh); defer close(stopCh)
    watchCh.close();
    stopCh.close();
    return result;
  }

  // Provide: watch() under backoff.RetryNotify, stopped by the pool's stop channel.
  void Provide(go::chan<ConfigMessage> configurationChan, go::chan<go::unit> stop) {
    go::spawn([this, configurationChan, stop] {
      for (;;) {
        error err = watch(configurationChan, stop);
        if (err.empty())
          return;
        std::printf("Consul connection error %s, retrying in 600ms\n", err.c_str());
        if (go::select(go::case_recv(stop), go::case_recv(go::after(std::chrono::milliseconds(600)))) == 0)
          return;
      }
    });
  }
};

} // namespace consulcatalog

int main() {
  using namespace consulcatalog;
  ConsulAgent agent;
  Provider provider(&agent);
  go::chan<ConfigMessage> configurationChan;
  go::chan<go::unit> stop;

  go::spawn([configurationChan] {
    for (ConfigMessage m : configurationChan)
      std::printf("new configuration from %s: %zu backend(s)\n", m.ProviderName.c_str(), m.Backends.size());
  });

  provider.Provide(configurationChan, stop);
  go::sleep_ms(400);
  stop.close();
  go::sleep_ms(100);
  configurationChan.close();

  go::wait_all_goroutines();
  std::printf("provider stopped\n");
  return 0;
}
