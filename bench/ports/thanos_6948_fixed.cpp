// Port: thanos-io/thanos#6948 ("Receive: fix serverAsClient.Series goroutines leak")
//   storepb.ServerAsClient() lets Thanos Receive call an in-process
//   StoreServer (a tenant's TSDB store) through the StoreClient interface.
//   Series() starts a goroutine that runs the server's Series() against an
//   inProcessStream: every Send() hands a response to the client over the
//   unbuffered `recv` channel (or gives up when the request context is done),
//   and an error returned by the server is handed over on the unbuffered `err`
//   channel. The client's Recv() selects on ctx.Done(), recv and err. When the
//   query is cancelled, Recv() returns the context error at once and the
//   caller stops reading; the server's next Send() sees the cancelled context,
//   Series() returns context.Canceled, and the goroutine blocks forever
//   sending it on `err`, whose only reader has already left.
// Style: (c) gochan.h (go::chan for recv/err, go::select in Send/Recv, go::with_cancel for the query context, go::spawn, go::wait_all_goroutines as goleak); Thanos' storepb types reduced: StoreServer, Store_SeriesServer, inProcessStream, inProcessClientStream, serverAsClient, a tenant TSDB store
// Bug class: channel send whose partner left on cancellation (error path of the producer goroutine)
// Shape: the tenant store streams one series every 200 ms. The proxy reads
//   the first one and waits in Recv(); main cancels the query at 300 ms, so
//   Recv() returns context.Canceled through its ctx.Done() case and the proxy
//   returns. At 400 ms the store's Send() sees the cancellation, Series()
//   returns the error, and the goroutine blocks on `err <- err`; main's
//   goleak check waits for it forever.
// Fix: Recv() no longer returns on ctx.Done(): it keeps waiting on recv and
//   err, the server side alone watches the context (in Send()), and the
//   goroutine closes `err` when Series() returns, so the client always
//   collects the error (or io.EOF) and the goroutine can always finish.
#include "gochan.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

using error = std::string; // "" is nil
static const error ContextCanceled = "context canceled";
static const error EOF_ = "EOF";

struct SeriesRequest {
  long minTime, maxTime;
  std::string matchers;
};
struct SeriesResponse {
  std::string series;
};

// pkg/store/storepb: the server side of a Series stream.
class Store_SeriesServer {
public:
  virtual ~Store_SeriesServer() = default;
  virtual error Send(const SeriesResponse &r) = 0;
  virtual go::Context Context() const = 0;
};

class StoreServer {
public:
  virtual ~StoreServer() = default;
  virtual error Series(const SeriesRequest &req, Store_SeriesServer *srv) = 0;
};

// A tenant's TSDB store: reads the chunks of each matching series and sends it.
class TenantTSDBStore : public StoreServer {
public:
  error Series(const SeriesRequest &req, Store_SeriesServer *srv) override {
    std::vector<std::string> matching = {"{__name__=\"up\",job=\"a\"}", "{__name__=\"up\",job=\"b\"}",
                                         "{__name__=\"up\",job=\"c\"}"};
    (void)req;
    for (const std::string &s : matching) {
      go::sleep_ms(200); // read and re-encode the series' chunks
      if (error err = srv->Send(SeriesResponse{s}); !err.empty())
        return err;
    }
    return "";
  }
};

struct inProcessStream : Store_SeriesServer {
  go::Context ctx;
  go::chan<SeriesResponse> recv{0};
  go::chan<error> err{0};

  error Send(const SeriesResponse &r) override {
    int fired = go::select(go::case_recv(ctx.done()), go::case_send(recv, r));
    if (fired == 0)
      return ContextCanceled;
    return "";
  }
  go::Context Context() const override { return ctx; }
};

class inProcessClientStream {
public:
  explicit inProcessClientStream(std::shared_ptr<inProcessStream> srv) : srv_(std::move(srv)) {}

  error Recv(SeriesResponse &out) {
    SeriesResponse r;
    bool ok = false;
    error e;
    bool errOk = false;
    // The server side watches the context; the client waits for its verdict.
    int fired = go::select(go::case_recv(srv_->recv, &r, &ok), go::case_recv(srv_->err, &e, &errOk));
    switch (fired) {
    case 0:
      if (!ok)
        return EOF_;
      out = r;
      return "";
    default:
      if (!errOk || e.empty())
        return EOF_;
      return e;
    }
  }

private:
  std::shared_ptr<inProcessStream> srv_;
};

// serverAsClient allows to use servers as clients.
class serverAsClient {
public:
  explicit serverAsClient(StoreServer *srv) : srv_(srv) {}

  std::unique_ptr<inProcessClientStream> Series(go::Context ctx, const SeriesRequest &in) {
    auto inSrv = std::make_shared<inProcessStream>();
    inSrv->ctx = ctx;
    StoreServer *srv = srv_;
    go::spawn([srv, inSrv, in] {
      if (error err = srv->Series(in, inSrv.get()); !err.empty())
        inSrv->err.send(err); // Recv() is still there to take it
      inSrv->err.close();
    });
    return std::make_unique<inProcessClientStream>(inSrv);
  }

private:
  StoreServer *srv_;
};

int main() {
  TenantTSDBStore tenant;
  serverAsClient client(&tenant);
  auto [ctx, cancel] = go::with_cancel();

  // The proxy's response set for this tenant: reads until an error or EOF.
  go::spawn([&client, ctx = ctx] {
    auto stream = client.Series(ctx, SeriesRequest{0, 3600, "{__name__=\"up\"}"});
    for (;;) {
      SeriesResponse r;
      error err = stream->Recv(r);
      if (!err.empty()) {
        std::printf("proxy: stream ended: %s\n", err.c_str());
        return;
      }
      std::printf("proxy: got %s\n", r.series.c_str());
    }
  });

  go::sleep_ms(300); // the querier gives up: the client went away
  cancel();
  go::wait_all_goroutines(); // goleak.VerifyNone
  std::printf("no goroutine leaked\n");
  return 0;
}
