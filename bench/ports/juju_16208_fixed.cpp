// Port: juju/juju#16208 ("Ensure that calls to DeleteDB never return catacomb.ErrDying")
//   The db-accessor worker serialises GetDB/DeleteDB requests through its
//   catacomb-managed loop: a caller builds a dbRequest with an unbuffered done
//   channel, sends it on dbRequests, and then selects on req.done and on
//   catacomb.Dying(). The loop takes the request, does the work (for a delete:
//   stops and removes the model's TrackedDB worker from the dbRunner) and
//   reports with a plain `req.done <- err`. If the worker is killed while the
//   loop is doing that work, the caller's select takes Dying() and returns
//   ErrDying, and the loop's send has no receiver left: the loop goroutine
//   never returns, so the catacomb never finishes and the dependency engine's
//   Wait() on the worker hangs.
// Style: (c) gochan.h (go::spawn goroutines, go::chan for dbRequests and each request's done channel, go::Context as the catacomb's Dying(), go::WaitGroup for the catacomb's Wait(), go::select)
// Bug class: channel send whose partner left: the reply send after the requester returned on cancellation
// Shape: a model is destroyed: DeleteDB("model-uuid") is queued at t=0 and the
//   loop starts closing the model's database, which takes 100 ms. The agent
//   kills the worker at t=50 ms; DeleteDB returns ErrDying; at t=100 ms the
//   loop blocks on `req.done <- nil`, and Wait() never returns.
// Fix: every reply from the loop is a select on sending to req.done or on
//   catacomb.Dying(), returning ErrDying from the loop when the worker dies.
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <string>

#include "gochan.h"

struct Error {
  std::string msg; // "" is nil
  bool nil() const { return msg.empty(); }
};
const Error ErrDying{"catacomb is dying"};

// catacomb.Catacomb reduced to Kill/Dying/Wait around one loop goroutine.
class Catacomb {
public:
  void Invoke(std::function<Error()> work) {
    wg.add(1);
    go::spawn([this, work] {
      Error err = work();
      finalErr = err;
      wg.done();
    });
  }
  void Kill() { dying.cancel(); }
  go::chan<go::unit> Dying() const { return dying.done(); }
  Error Wait() {
    wg.wait();
    return finalErr;
  }

private:
  go::Context dying;
  go::WaitGroup wg;
  Error finalErr;
};

enum class opType { getOp, delOp };

struct dbRequest {
  opType op = opType::getOp;
  std::string ns;
  go::chan<Error> done{0};
};

class dbWorker {
public:
  dbWorker() {
    dbReady.close(); // Dqlite is initialised
    catacomb.Invoke([this] { return loop(); });
  }

  void Kill() { catacomb.Kill(); }
  Error Wait() { return catacomb.Wait(); }

  // DeleteDB removes the worker tracking a model's database.
  Error DeleteDB(const std::string &ns) {
    if (go::select(go::case_recv(dbReady), go::case_recv(catacomb.Dying())) == 1)
      return ErrDying;

    dbRequest req{opType::delOp, ns, go::chan<Error>(0)};
    if (go::select(go::case_send(dbRequests, req), go::case_recv(catacomb.Dying())) == 1)
      return ErrDying;

    Error err;
    if (go::select(go::case_recv(req.done, &err), go::case_recv(catacomb.Dying())) == 1)
      return ErrDying;
    return err;
  }

private:
  Error loop() {
    for (;;) {
      dbRequest req;
      if (go::select(go::case_recv(dbRequests, &req), go::case_recv(catacomb.Dying())) == 1)
        return ErrDying;
      Error err;
      if (req.op == opType::delOp)
        err = closeDatabase(req.ns);
      if (go::select(go::case_send(req.done, err), go::case_recv(catacomb.Dying())) == 1)
        return ErrDying;
    }
  }

  // closeDatabase stops and removes the TrackedDB worker from the dbRunner.
  Error closeDatabase(const std::string &ns) {
    go::sleep_ms(100); // StopAndRemoveWorker waits for the TrackedDB to stop
    tracked.erase(ns);
    return Error{};
  }

  Catacomb catacomb;
  go::chan<go::unit> dbReady{0};
  go::chan<dbRequest> dbRequests{0};
  std::map<std::string, int> tracked{{"controller", 1}, {"model-uuid", 2}};
};

int main() {
  dbWorker w;

  go::spawn([&w] { // model removal in the domain services
    Error err = w.DeleteDB("model-uuid");
    std::printf("DeleteDB: %s\n", err.nil() ? "ok" : err.msg.c_str());
  });

  go::sleep_ms(50);
  w.Kill(); // the dependency engine bounces the db-accessor
  Error err = w.Wait();
  std::printf("db-accessor stopped: %s\n", err.nil() ? "ok" : err.msg.c_str());
  go::wait_all_goroutines();
  return 0;
}
