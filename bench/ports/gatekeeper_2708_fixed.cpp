// Port: open-policy-agent/gatekeeper#2708 ("fix: eliminate deadlock-on-exit")
//   Gatekeeper's innerMain() starts two goroutines: one runs
//   setupControllers() (which first waits for the cert rotator to close
//   setupFinished) and sends its result on the unbuffered setupErr; the
//   other runs the controller-runtime manager, mgr.Start(ctx), and sends on
//   the unbuffered mgrErr only `if err != nil`. The blockingLoop then waits,
//   for at most two events, on setupErr and mgrErr, leaving when the manager
//   has returned. On SIGTERM the signal handler's context is cancelled and
//   mgr.Start() returns nil, so nothing is ever sent on mgrErr and it is
//   never closed: after setupErr's nil, the loop's second select waits
//   forever, the ControllerSwitch is never stopped and the process never
//   exits (Kubernetes SIGKILLs it after the termination grace period).
// Style: (c) Go-style library (gochan.h: go::chan for setupErr, mgrErr and
//   setupFinished, go::select for the blockingLoop, go::Context for the
//   signal handler's context, go::WaitGroup and go::spawn for the manager's
//   runnables)
// Bug class: a close forgotten on one path: the result channel is written
//   only on error, so the waiter's select cannot leave after a clean exit
// Shape: the cert rotator closes setupFinished at 30 ms; setupControllers()
//   registers the controllers and sends nil on setupErr, which the first
//   select takes; SIGTERM arrives at 150 ms, the manager stops its runnables
//   and Start() returns nil; its goroutine exits without touching mgrErr,
//   and the blockingLoop's second select waits on setupErr and mgrErr
//   forever.
// Fix: the manager goroutine closes mgrErr after mgr.Start() returns, so the
//   blockingLoop receives the close and exits.
#include "gochan.h"

#include <cstdio>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

using error = std::string; // "" is nil

// ---- sigs.k8s.io/controller-runtime: the Manager runs runnables until ctx is done ----
class Manager {
  std::mutex mu_;
  bool started_ = false;
  go::Context ctx_;
  go::WaitGroup wg_;
  std::vector<std::function<void(go::Context)>> runnables_;

  void startRunnable(std::function<void(go::Context)> r) {
    wg_.add(1);
    go::spawn([this, r] {
      r(ctx_);
      wg_.done();
    });
  }

public:
  // Add registers a runnable; one added after Start() is started at once.
  void Add(std::function<void(go::Context)> r) {
    std::lock_guard lk(mu_);
    if (started_)
      startRunnable(std::move(r));
    else
      runnables_.push_back(std::move(r));
  }

  // Start starts all registered runnables and blocks until the context is
  // cancelled; it returns nil on a clean shutdown.
  error Start(go::Context ctx) {
    {
      std::lock_guard lk(mu_);
      ctx_ = ctx;
      started_ = true;
      for (auto &r : runnables_)
        startRunnable(r);
    }
    go::select(go::case_recv(ctx.done()));
    std::printf("manager: stopping and waiting for runnables\n");
    wg_.wait();
    return "";
  }
};

// ctrl.SetupSignalHandler(): a context cancelled on SIGTERM
go::Context SetupSignalHandler() {
  auto [ctx, cancel] = go::with_cancel();
  std::function<void()> stop = cancel;
  go::spawn([stop] {
    go::sleep_ms(150); // the kubelet sends SIGTERM
    std::printf("signal: terminated\n");
    stop();
  });
  return ctx;
}

// ---- open-policy-agent/cert-controller: the rotator closes IsReady once certs exist ----
void AddRotator(Manager &mgr, go::chan<go::unit> isReady) {
  mgr.Add([isReady](go::Context ctx) {
    go::sleep_ms(30); // generate the CA and the webhook serving certificate
    isReady.close();
    go::select(go::case_recv(ctx.done()));
  });
}

// ---- pkg/readiness: the tracker is a runnable too ----
struct Tracker {
  void Run(go::Context ctx) { go::select(go::case_recv(ctx.done())); }
};

// ---- pkg/watch: ControllerSwitch lets controllers stop work synchronously ----
class ControllerSwitch {
  std::mutex mu_;
  bool running_ = true;

public:
  void Stop() {
    std::lock_guard lk(mu_);
    running_ = false;
  }
};

error setupControllers(go::Context, Manager &mgr, ControllerSwitch *, Tracker *tracker, go::chan<go::unit> setupFinished) {
  // Block until the setup (certificate generation) finishes.
  go::select(go::case_recv(setupFinished));
  for (const char *name : {"constrainttemplate", "config", "constraintstatus", "mutators"}) {
    std::printf("setup: adding %s controller\n", name);
    mgr.Add([tracker](go::Context c) { tracker->Run(c); });
  }
  return "";
}

int innerMain() {
  Manager mgr;
  ControllerSwitch sw;
  Tracker tracker;

  // Make sure certs are generated and valid if cert rotation is enabled.
  go::chan<go::unit> setupFinished;
  AddRotator(mgr, setupFinished);
  mgr.Add([&tracker](go::Context c) { tracker.Run(c); });

  // Setup controllers asynchronously, they will block for certificate generation if needed.
  go::chan<error> setupErr;
  go::Context ctx = SetupSignalHandler();
  go::spawn([ctx, &mgr, &sw, &tracker, setupFinished, setupErr] {
    setupErr.send(setupControllers(ctx, mgr, &sw, &tracker, setupFinished));
  });

  std::printf("setup: starting manager\n");
  go::chan<error> mgrErr;
  go::spawn([ctx, &mgr, mgrErr] {
    if (error err = mgr.Start(ctx); !err.empty()) {
      std::printf("setup: problem running manager: %s\n", err.c_str());
      mgrErr.send(err);
    }
    mgrErr.close();
  });

  // block until either setupControllers or mgr has an error, or mgr exits.
  // end after two events (one per goroutine) to guard against deadlock.
  bool hadError = false;
  for (int i = 0; i < 2; ++i) { // blockingLoop:
    error err;
    int fired = go::select(go::case_recv(setupErr, &err), go::case_recv(mgrErr, &err));
    if (fired == 0) {
      if (!err.empty()) {
        hadError = true;
        break;
      }
    } else {
      if (!err.empty())
        hadError = true;
      // if manager has returned, we should exit the program
      break;
    }
  }

  // Manager stops controllers asynchronously; the switch stops them synchronously.
  std::printf("setup: disabling controllers...\n");
  sw.Stop();
  return hadError ? 1 : 0;
}

int main() {
  int code = innerMain(); // os.Exit(innerMain())
  go::wait_all_goroutines();
  return code;
}
