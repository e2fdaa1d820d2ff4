// Port: keptn/keptn#8446 ("Go-Utils: ControlPlane waits indefinitely when it's supposed to shut down after an error")
//   (fixed in keptn/go-utils: the control plane stops its components before
//   waiting for them.) ControlPlane.Register() in go-utils' connector SDK
//   starts an event source and a subscription source, each a goroutine that
//   calls wg.Done() on the WaitGroup Register() created with Add(2), then
//   multiplexes their channels. When a component reports an error on errC
//   (the HTTPEventSource gives up after maxAttempts failed polls of the Keptn
//   API, sending ErrMaxPollRetriesExceeded and calling wg.Done()), Register()
//   calls wg.Wait() and only afterwards cleanup(), which calls Stop() on both
//   components. The UniformSubscriptionSource goroutine only returns on ctx
//   cancellation or on the quit signal that Stop() sends, so wg.Wait() waits
//   for a Done() that only the later cleanup() could cause: the integration
//   stalls forever instead of shutting down after the error.
// Style: (c) gochan.h (go::chan for the update, error and quit channels,
//   go::select for the component loops and Register(), go::after for the
//   tickers, go::WaitGroup, go::Context, go::spawn, go::wait_all_goroutines)
// Bug class: WaitGroup wait ordered before the stop signal that lets the
//   counted goroutines call Done()
// Shape: the subscription source pings once (one subscription) and then
//   waits for its 5 s ticker or quitC; the HTTP event source polls every
//   20 ms, fails three times against an unreachable API and reports the
//   error at ~60 ms. Register() receives it and blocks in wg.Wait() forever.
// Fix: Register() calls stopComponents() (the former cleanup(): Stop() on
//   the subscription and event sources) before wg.Wait(), on both the error
//   and the cancellation path.
#include "gochan.h"

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

using error = std::string; // "" is nil
const error ErrMaxPollRetriesExceeded = "maximum retries for polling event api exceeded";

struct EventSubscription {
  std::string ID, Event;
};
struct EventUpdate {
  std::string ID, Type, Subject;
};
struct RegistrationData {
  std::string Name, ID;
};

// pkg/sdk/connector/subscriptionsource
class UniformSubscriptionSource {
public:
  explicit UniformSubscriptionSource(std::chrono::milliseconds fetchInterval) : fetchInterval(fetchInterval) {}

  std::pair<std::string, error> Register(const RegistrationData &integration) {
    return {"integration-" + integration.Name, ""}; // uniformAPI.RegisterIntegration
  }

  error Start(go::Context ctx, RegistrationData data, go::chan<std::vector<EventSubscription>> subscriptionChannel,
              go::chan<error> errC, go::WaitGroup *wg) {
    (void)errC;
    go::spawn([this, ctx, data, subscriptionChannel, wg] {
      ping(data.ID, subscriptionChannel);
      for (;;) {
        switch (go::select(go::case_recv(ctx.done()), go::case_recv(go::after(fetchInterval)), go::case_recv(quitC))) {
        case 0:
          wg->done();
          return;
        case 1:
          ping(data.ID, subscriptionChannel);
          break;
        case 2:
          wg->done();
          return;
        }
      }
    });
    return "";
  }

  error Stop() {
    quitC.send(go::unit{});
    return "";
  }

private:
  void ping(const std::string &id, go::chan<std::vector<EventSubscription>> subscriptionChannel) {
    std::printf("UniformSubscriptionSource: renewing integration ID %s\n", id.c_str());
    subscriptionChannel.send({{"sub-1", "sh.keptn.event.deployment.triggered"}});
  }

  std::chrono::milliseconds fetchInterval;
  go::chan<go::unit> quitC{1};
};

// pkg/sdk/connector/eventsource/http
class HTTPEventSource {
public:
  HTTPEventSource(std::chrono::milliseconds pollInterval, int maxAttempts)
      : pollInterval(pollInterval), maxAttempts(maxAttempts) {}

  error Start(go::Context ctx, RegistrationData, go::chan<EventUpdate> updates, go::chan<error> errChan,
              go::WaitGroup *wg) {
    go::spawn([this, ctx, updates, errChan, wg] {
      int failedPolls = 1;
      for (;;) {
        switch (go::select(go::case_recv(go::after(pollInterval)), go::case_recv(ctx.done()), go::case_recv(quitC))) {
        case 0:
          if (!doPoll(updates).empty()) {
            if (++failedPolls > maxAttempts) {
              std::printf("HTTPEventSource: reached max number of attempts to poll for new events\n");
              errChan.send(ErrMaxPollRetriesExceeded);
              wg->done();
              return;
            }
          }
          break;
        case 1:
        case 2:
          updates.close();
          wg->done();
          return;
        }
      }
    });
    return "";
  }

  void OnSubscriptionUpdate(const std::vector<EventSubscription> &subscriptions) {
    std::lock_guard lk(mutex);
    currentSubscriptions = subscriptions;
  }

  error Stop() {
    quitC.send(go::unit{});
    return "";
  }

private:
  error doPoll(go::chan<EventUpdate>) {
    std::vector<EventSubscription> subscriptions;
    {
      std::lock_guard lk(mutex);
      subscriptions = currentSubscriptions;
    }
    for (const auto &sub : subscriptions) {
      // eventAPI.Get(filter): the Keptn API is unreachable
      std::printf("HTTPEventSource: could not retrieve events of type %s\n", sub.Event.c_str());
      return "dial tcp 10.0.0.7:8080: connect: connection refused";
    }
    return "";
  }

  std::mutex mutex;
  std::vector<EventSubscription> currentSubscriptions;
  std::chrono::milliseconds pollInterval;
  int maxAttempts;
  go::chan<go::unit> quitC{1};
};

// pkg/sdk/connector/controlplane
class ControlPlane {
public:
  ControlPlane(UniformSubscriptionSource &ss, HTTPEventSource &es) : subscriptionSource(ss), eventSource(es) {}

  error Register(go::Context ctx, const RegistrationData &integration) {
    go::chan<EventUpdate> eventUpdates{0};
    go::chan<std::vector<EventSubscription>> subscriptionUpdates{0};
    go::chan<error> errC{0};

    RegistrationData registrationData = integration;
    error err;
    std::tie(integrationID, err) = subscriptionSource.Register(registrationData);
    if (!err.empty())
      return "could not register integration: " + err;
    registrationData.ID = integrationID;

    // WaitGroup used for synchronized shutdown of eventsource and subscription source
    go::WaitGroup wg;
    wg.add(2);
    if (!(err = eventSource.Start(ctx, registrationData, eventUpdates, errC, &wg)).empty())
      return err;
    if (!(err = subscriptionSource.Start(ctx, registrationData, subscriptionUpdates, errC, &wg)).empty())
      return err;
    registered = true;

    for (;;) {
      EventUpdate event;
      std::vector<EventSubscription> subscriptions;
      error e;
      switch (go::select(go::case_recv(eventUpdates, &event), go::case_recv(subscriptionUpdates, &subscriptions),
                         go::case_recv(ctx.done()), go::case_recv(errC, &e))) {
      case 0:
        std::printf("ControlPlane: got event %s\n", event.Type.c_str());
        break;
      case 1:
        std::printf("ControlPlane: got a subscription update with %zu subscriptions\n", subscriptions.size());
        currentSubscriptions = subscriptions;
        eventSource.OnSubscriptionUpdate(subscriptions);
        break;
      case 2:
        std::printf("ControlPlane cancelled via context. Unregistering...\n");
        wg.wait();
        eventHandlerWaitGroup.wait();
        cleanup();
        registered = false;
        return "";
      case 3:
        std::printf("Stopping control plane due to error: %s\n", e.c_str());
        std::printf("Waiting for components to shutdown\n");
        wg.wait(); // LEAK
        eventHandlerWaitGroup.wait();
        cleanup();
        registered = false;
        return "";
      }
    }
  }

private:
  void cleanup() {
    std::printf("Stopping subscription source...\n");
    subscriptionSource.Stop();
    std::printf("Stopping event source...\n");
    eventSource.Stop();
  }

  UniformSubscriptionSource &subscriptionSource;
  HTTPEventSource &eventSource;
  std::vector<EventSubscription> currentSubscriptions;
  std::string integrationID;
  bool registered = false;
  go::WaitGroup eventHandlerWaitGroup;
};

int main() {
  using namespace std::chrono_literals;
  UniformSubscriptionSource subscriptionSource(5000ms);
  HTTPEventSource eventSource(20ms, 3);
  ControlPlane controlPlane(subscriptionSource, eventSource);

  auto [ctx, cancel] = go::with_cancel(); // RunWithGracefulShutdown's signal context
  error err = controlPlane.Register(ctx, RegistrationData{"job-executor-service", ""});
  std::printf("control plane stopped: '%s'\n", err.c_str());
  cancel();

  go::wait_all_goroutines();
  std::printf("done\n");
  return 0;
}
