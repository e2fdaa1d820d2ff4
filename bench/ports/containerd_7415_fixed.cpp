// Port: containerd/containerd#7415 ("With ExecSync failures Containerd memory continuously increasing and retains, never recovers")
//   (fixed in containerd 1.6.12 / 1.5.16 as GHSA-2qjp-425j-52j9,
//   CVE-2022-23471; first diagnosed in PR #7738 "Fix a goroutine leak in CRI
//   code"). The CRI streaming server serves `kubectl exec -t`: when the
//   client opens a resize stream, createStreams() makes an unbuffered
//   resizeChan and starts handleResizeEvents(), which decodes the client's
//   TerminalSize frames and sends each one on resizeChan. The receiver is
//   the handleResizing() goroutine that criService.execInternal() starts
//   only after the exec process has been started in the task. When the exec
//   fails (a command that does not exist), execInternal returns the error
//   before starting handleResizing(), ServeExec reports the error and
//   returns, and handleResizeEvents stays blocked on `channel <- size` with
//   no receiver, forever (about 1 MB per failed exec).
// Style: (c) Go-style gochan.h (go::chan for the resize stream and resizeChan, go::select for the fixed send, go::Context for the request context, go::spawn, go::WaitGroup for the request handlers); the SPDY stream and JSON decoder reduced to a channel of frames
// Bug class: channel send whose receiver is only started on the success path: the error path leaves the sender without a partner
// Shape: two exec requests with a TTY. The first runs `/bin/sh -c true`:
//   handleResizing() receives its size and the request completes. The
//   second runs `/bin/gunziplklk`: the client's initial size is decoded at
//   once, the task's exec start fails at 100 ms, ServeExec returns and the
//   client hangs up at 150 ms, but the resize goroutine is stuck in its send;
//   go::wait_all_goroutines() in main hangs.
// Fix: handleResizeEvents() takes the HTTP request's context and selects
//   between `channel <- size` and `<-ctx.Done()`, so it exits once the
//   request has finished even if nothing ingests the resize events.
#include "gochan.h"

#include <cstdio>
#include <stdexcept>
#include <string>

namespace remotecommand {

struct TerminalSize {
  int Width = 0;
  int Height = 0;
};

// The client's side of the SPDY connection, reduced to the resize stream:
// one frame per JSON-encoded TerminalSize, closed when the client hangs up.
struct Request {
  go::Context ctx;                     // req.Context(), cancelled when ServeExec returns
  go::chan<TerminalSize> resizeStream; // the data the json.Decoder reads
  std::string cmd;
};

struct conns {
  go::chan<TerminalSize> resizeChan;
};

// Read terminal resize events off of passed stream and queue into passed channel.
void handleResizeEvents(go::Context ctx, go::chan<TerminalSize> stream,
                        go::chan<TerminalSize> channel) {
  TerminalSize size;
  while (stream.recv(size)) { // decoder.Decode(&size); EOF breaks
    int chosen = go::select(go::case_send(channel, size), go::case_recv(ctx.done()));
    if (chosen == 1) {
      // To avoid leaking this routine, exit if the http request finishes:
      // nothing was started to ingest these resize events.
      break;
    }
  }
  channel.close(); // defer close(channel)
}

conns createStreams(const Request &req) {
  conns c;
  go::chan<TerminalSize> resizeChan; // make(chan remotecommand.TerminalSize)
  c.resizeChan = resizeChan;
  go::chan<TerminalSize> stream = req.resizeStream;
  go::Context ctx = req.ctx;
  go::spawn([ctx, stream, resizeChan] { handleResizeEvents(ctx, stream, resizeChan); });
  return c;
}

} // namespace remotecommand

namespace cri {

using remotecommand::TerminalSize;

struct execOptions {
  std::string cmd;
  go::chan<TerminalSize> resize;
};

// handleResizing spawns a goroutine that processes the resize channel.
void handleResizing(go::chan<TerminalSize> resize, std::function<void(TerminalSize)> resizeFunc) {
  go::spawn([resize, resizeFunc] {
    for (TerminalSize size : resize)
      resizeFunc(size);
  });
}

struct criService {
  // execInternal: start the exec process in the task, then wire the TTY.
  void execInternal(const execOptions &opts) {
    go::sleep_ms(100); // task.Exec() + process.Start() in the shim
    if (opts.cmd.rfind("/bin/sh", 0) != 0)
      throw std::runtime_error("failed to start exec \"" + opts.cmd +
                               "\": executable file not found in $PATH");
    handleResizing(opts.resize, [](TerminalSize size) {
      std::printf("resize console to %dx%d\n", size.Width, size.Height);
    });
    go::sleep_ms(20); // the process runs and exits
  }
};

} // namespace cri

namespace streaming {

// ServeExec handles requests to execute a command in a container.
void ServeExec(cri::criService &svc, const remotecommand::Request &req) {
  remotecommand::conns c = remotecommand::createStreams(req);
  try {
    svc.execInternal(cri::execOptions{req.cmd, c.resizeChan});
    std::printf("exec %s: done\n", req.cmd.c_str());
  } catch (const std::exception &e) {
    std::printf("exec %s: %s\n", req.cmd.c_str(), e.what()); // written to the error stream
  }
}

} // namespace streaming

int main() {
  cri::criService svc;
  go::WaitGroup handlers;

  for (std::string cmd : {"/bin/sh -c true", "/bin/gunziplklk"}) {
    remotecommand::Request req{go::background(), go::chan<remotecommand::TerminalSize>(1), cmd};
    handlers.add(1);
    // net/http: the handler goroutine; the request context is cancelled when it returns.
    go::spawn([&svc, &handlers, req] {
      streaming::ServeExec(svc, req);
      req.ctx.cancel();
      handlers.done();
    });
    // kubectl: send the initial terminal size, then hang up after the reply.
    req.resizeStream.send(remotecommand::TerminalSize{80, 24});
    go::sleep_ms(150);
    req.resizeStream.close();
    go::sleep_ms(50);
  }

  handlers.wait();
  go::wait_all_goroutines();
  std::printf("all exec streams released\n");
  return 0;
}
