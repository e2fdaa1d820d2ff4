// Port: hashicorp/go-plugin#220 ("Ensure GRPCServer.Stop() calls GRPCBroker.Close()")
//   GRPCServer.Init() registers the broker service on the plugin's gRPC
//   server: it creates a gRPCBrokerServer, wraps it in a GRPCBroker and
//   starts `go s.broker.Run()`. Run() loops on the streamer's Recv(), which
//   selects between the broker server's recv channel (ConnInfos sent by the
//   host over the NewConn stream) and its quit channel, closed only by
//   gRPCBrokerServer.Close(), i.e. by GRPCBroker.Close(). GRPCServer.Stop()
//   and GracefulStop() only stopped the underlying grpc.Server: the NewConn
//   stream goes away, but nothing closes quit, so the Run goroutine blocks in
//   Recv() forever. terraform-plugin-sdk's acceptance tests serve providers
//   in-process and stop them after every test, and goleak reported one
//   leaked (*gRPCBrokerServer).Recv goroutine per provider instance.
// Style: (c) gochan.h (go::chan for the broker's send/recv/quit channels and
//   the stream, go::select in Recv()/NewConn()/Dial(), go::Context for the
//   stream context, go::spawn for the goroutines, go::after for the
//   time.After timeouts, go::wait_all_goroutines as goleak.VerifyNone)
// Bug class: select loop whose only exit channel is never closed (the owner's
//   Stop() forgets the component's Close())
// Shape: the test serves the plugin, the host opens the broker's NewConn
//   stream and sends the ConnInfo for service 1, the plugin Dial()s it; the
//   test then calls Stop(). The stream handler and Serve() return, but the
//   broker's Run() stays in Recv(): the leak check after the test hangs.
// Fix: Stop() and GracefulStop() call s.broker.Close() after stopping the
//   gRPC server, which closes quit and ends Run().
#include "gochan.h"

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

using error = std::string; // "" is nil

struct ConnInfo {
  uint32_t ServiceId = 0;
  std::string Network, Address;
};
using ConnInfoPtr = std::shared_ptr<ConnInfo>;

// A bidirectional GRPCBroker_NewConnServer stream, as seen by the plugin.
struct brokerStream {
  go::Context ctx;                        // cancelled when the server stops
  go::chan<ConnInfoPtr> fromHost{4}, toHost{4};
  std::pair<ConnInfoPtr, error> Recv() {
    ConnInfoPtr i;
    if (go::select(go::case_recv(ctx.done()), go::case_recv(fromHost, &i)) == 0)
      return {nullptr, "rpc error: code = Canceled"};
    return {i, ""};
  }
  error Send(ConnInfoPtr i) {
    if (go::select(go::case_recv(ctx.done()), go::case_send(toHost, i)) == 0)
      return "rpc error: code = Canceled";
    return "";
  }
};

struct sendErr {
  ConnInfoPtr i;
  go::chan<error> ch;
};

class gRPCBrokerServer {
public:
  // NewConn is the gRPC handler of the NewConn stream.
  error NewConn(std::shared_ptr<brokerStream> stream) {
    go::chan<go::unit> doneCh = stream->ctx.done();
    go::spawn([this, stream, doneCh] {
      for (;;) {
        std::shared_ptr<sendErr> se;
        switch (go::select(go::case_recv(doneCh), go::case_recv(quit), go::case_recv(send, &se))) {
        case 0:
        case 1:
          return;
        case 2:
          se->ch.send(stream->Send(se->i));
          break;
        }
      }
    });
    for (;;) {
      auto [i, err] = stream->Recv();
      if (!err.empty())
        return err;
      if (go::select(go::case_send(recv, i), go::case_recv(quit)) == 1)
        return "";
    }
  }

  error Send(ConnInfoPtr i) {
    auto se = std::make_shared<sendErr>(sendErr{i, go::chan<error>()});
    send.send(se);
    return *se->ch.recv();
  }

  std::pair<ConnInfoPtr, error> Recv() {
    ConnInfoPtr i;
    switch (go::select(go::case_recv(quit), go::case_recv(recv, &i))) {
    case 0:
      return {nullptr, "broker closed"};
    default:
      return {i, ""};
    }
  }

  void Close() {
    std::call_once(o, [this] { quit.close(); });
  }

private:
  go::chan<std::shared_ptr<sendErr>> send{0};
  go::chan<ConnInfoPtr> recv{0};
  go::chan<go::unit> quit{0};
  std::once_flag o;
};

struct gRPCBrokerPending {
  go::chan<ConnInfoPtr> ch{1};
  go::chan<go::unit> doneCh{0};
};

class GRPCBroker {
public:
  explicit GRPCBroker(gRPCBrokerServer *s) : streamer(s) {}

  // Run starts the brokering and should be executed in a goroutine, since it
  // blocks forever, or until the session closes.
  void Run() {
    for (;;) {
      auto [stream, err] = streamer->Recv();
      if (!err.empty())
        break; // once we receive an error, just exit
      auto p = getStream(stream->ServiceId);
      go::select(go::case_send(p->ch, stream), go::case_default());
      uint32_t id = stream->ServiceId;
      go::spawn([this, id, p] { timeoutWait(id, p); });
    }
  }

  // Dial opens a connection by ID.
  std::pair<ConnInfoPtr, error> Dial(uint32_t id) {
    auto p = getStream(id);
    ConnInfoPtr c;
    if (go::select(go::case_recv(p->ch, &c), go::case_recv(go::after(std::chrono::milliseconds(5000)))) == 1) {
      std::lock_guard lk(mu);
      streams.erase(id);
      return {nullptr, "timeout waiting for accept"};
    }
    p->doneCh.close();
    return {c, ""};
  }

  // Close closes the stream and all streams.
  void Close() {
    streamer->Close();
    std::call_once(o, [this] { doneCh.close(); });
  }

private:
  std::shared_ptr<gRPCBrokerPending> getStream(uint32_t id) {
    std::lock_guard lk(mu);
    auto &p = streams[id];
    if (!p)
      p = std::make_shared<gRPCBrokerPending>();
    return p;
  }

  void timeoutWait(uint32_t id, std::shared_ptr<gRPCBrokerPending> p) {
    go::select(go::case_recv(p->doneCh), go::case_recv(doneCh), go::case_recv(go::after(std::chrono::milliseconds(5000))));
    std::lock_guard lk(mu);
    streams.erase(id); // delete the stream so no one else can grab it
  }

  gRPCBrokerServer *streamer;
  std::mutex mu;
  std::map<uint32_t, std::shared_ptr<gRPCBrokerPending>> streams;
  go::chan<go::unit> doneCh{0};
  std::once_flag o;
};

// grpc.Server reduced to what the broker needs: stream handlers and Stop().
class grpcServer {
public:
  void Serve() { stopped.recv(); }
  std::shared_ptr<brokerStream> openStream(std::function<error(std::shared_ptr<brokerStream>)> handler) {
    auto st = std::make_shared<brokerStream>();
    {
      std::lock_guard lk(mu);
      active.push_back(st);
    }
    go::spawn([handler, st] {
      error err = handler(st);
      std::printf("NewConn stream ended: %s\n", err.c_str());
    });
    return st;
  }
  void Stop() {
    std::lock_guard lk(mu);
    for (auto &st : active)
      st->ctx.cancel();
    active.clear();
    stopped.close();
  }
  void GracefulStop() { Stop(); }

private:
  std::mutex mu;
  std::vector<std::shared_ptr<brokerStream>> active;
  go::chan<go::unit> stopped{0};
};

// GRPCServer is a ServerType implementation that serves plugins over gRPC.
class GRPCServer {
public:
  void Init() {
    server = std::make_unique<grpcServer>();
    brokerServer = std::make_unique<gRPCBrokerServer>();
    broker = std::make_unique<GRPCBroker>(brokerServer.get());
    go::spawn([b = broker.get()] { b->Run(); });
  }
  void Serve() { server->Serve(); }
  std::shared_ptr<brokerStream> hostConnectsBroker() {
    return server->openStream([bs = brokerServer.get()](std::shared_ptr<brokerStream> st) { return bs->NewConn(st); });
  }
  GRPCBroker &Broker() { return *broker; }

  // Stop calls Stop on the underlying grpc.Server and Close on the underlying
  // grpc.Broker if present.
  void Stop() {
    server->Stop();
    if (broker)
      broker->Close();
  }

  // GracefulStop calls GracefulStop on the underlying grpc.Server and Close on
  // the underlying grpc.Broker if present.
  void GracefulStop() {
    server->GracefulStop();
    if (broker)
      broker->Close();
  }

private:
  std::unique_ptr<grpcServer> server;
  std::unique_ptr<gRPCBrokerServer> brokerServer;
  std::unique_ptr<GRPCBroker> broker;
};

int main() {
  GRPCServer s; // plugin.Serve() with a TestConfig, as in an acceptance test
  s.Init();
  go::WaitGroup serving;
  serving.add(1);
  go::spawn([&] {
    s.Serve();
    serving.done();
  });

  // The host opens the broker stream and announces the listener of service 1.
  auto stream = s.hostConnectsBroker();
  stream->fromHost.send(std::make_shared<ConnInfo>(ConnInfo{1, "unix", "/tmp/plugin-broker-1"}));

  // The provider dials the host's service (e.g. a provisioner UI output).
  auto [c, err] = s.Broker().Dial(1);
  if (err.empty())
    std::printf("dialed service %u at %s:%s\n", c->ServiceId, c->Network.c_str(), c->Address.c_str());

  s.Stop(); // the test is over
  serving.wait();
  go::wait_all_goroutines(); // goleak.VerifyNone(t)
  std::printf("no leaked goroutines\n");
  return 0;
}
