// Port: prometheus/prometheus#8965 ("web:Fix a potential goroutine leak by channel")
//   web.Handler.Run() starts the HTTP server in a child goroutine that sends
//   the result of toolkit_web.Serve() on errCh, an unbuffered channel, and
//   then selects between errCh and ctx.Done(). On shutdown the context is
//   cancelled: Run takes the ctx.Done() case, calls httpSrv.Shutdown() and
//   returns nil. Shutdown makes Serve return http.ErrServerClosed, and the
//   child goroutine's `errCh <- err` has no receiver left: it blocks forever.
// Style: (c) gochan.h (go::chan, go::select, go::spawn, go::Context, go::WaitGroup); Prometheus's idiom reduced: a web.Handler with Run(ctx, listener, webConfig), an http.Server with Serve/Shutdown over a listener channel, the exporter-toolkit Serve wrapper, main's run group cancelling the handler on SIGTERM
// Bug class: channel send whose partner left: the receiver's select took the cancellation case and returned
// Shape: the web handler serves one request, then main cancels the
//   context (SIGTERM) after 200 ms. Run returns through ctx.Done(); the
//   server goroutine gets ErrServerClosed from Serve and blocks sending it on
//   errCh. main's go::wait_all_goroutines() (goleak) never returns.
// Fix: errCh gets a buffer of one (`make(chan error, 1)`), so the send
//   completes whether or not Run is still there to receive it.
#include "gochan.h"

#include <cstdio>
#include <string>

using error = std::string; // "" is nil

namespace http {

const error ErrServerClosed = "http: Server closed";

struct Listener {
  go::chan<int> conns{0}; // accepted connections (their ids)
};

class Server {
public:
  // Serve accepts connections until Shutdown; it always returns a non-nil error.
  error Serve(Listener &l) {
    for (;;) {
      int conn = 0;
      bool ok = false;
      int i = go::select(go::case_recv(l.conns, &conn, &ok), go::case_recv(inShutdown_));
      if (i == 1)
        return ErrServerClosed;
      std::printf("served request on conn %d\n", conn);
    }
  }
  // Shutdown closes the listeners; Serve returns ErrServerClosed.
  error Shutdown(const go::Context &) {
    inShutdown_.close();
    return "";
  }

private:
  go::chan<go::unit> inShutdown_{0};
};

} // namespace http

namespace toolkit_web {
// exporter-toolkit's web.Serve: TLS/basic-auth config, then srv.Serve(l).
error Serve(http::Listener &l, http::Server &srv, const std::string &webConfigFile) {
  if (!webConfigFile.empty())
    std::printf("loading web config %s\n", webConfigFile.c_str());
  return srv.Serve(l);
}
} // namespace toolkit_web

namespace web {

class Handler {
public:
  // Run serves the HTTP endpoints until ctx is cancelled.
  error Run(go::Context ctx, http::Listener &listener, std::string webConfig) {
    auto httpSrv = std::make_shared<http::Server>();
    go::chan<error> errCh(1);
    go::spawn([errCh, httpSrv, &listener, webConfig] {
      errCh.send(toolkit_web::Serve(listener, *httpSrv, webConfig));
    });

    error e;
    switch (go::select(go::case_recv(errCh, &e), go::case_recv(ctx.done()))) {
    case 0:
      return e;
    default:
      httpSrv->Shutdown(ctx);
      return "";
    }
  }
};

} // namespace web

int main() {
  http::Listener listener;
  web::Handler webHandler;
  auto [ctxWeb, cancelWeb] = go::with_cancel();

  // cmd/prometheus: the "Web handler" actor of the run group.
  go::WaitGroup g;
  g.add(1);
  go::spawn([&, ctxWeb = ctxWeb] {
    error err = webHandler.Run(ctxWeb, listener, "");
    std::printf("web handler stopped: '%s'\n", err.c_str());
    g.done();
  });

  go::sleep_ms(50);
  listener.conns.send(1); // GET /-/healthy
  go::sleep_ms(150);
  cancelWeb(); // SIGTERM: the run group interrupts the web handler
  g.wait();

  go::wait_all_goroutines();
  std::printf("done\n");
  return 0;
}
