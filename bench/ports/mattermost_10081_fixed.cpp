// Port: mattermost/mattermost#10081 ("MM-13678: fix web hub deadlock")
//   (mattermost-server; regression from #9863). Each websocket Hub runs one
//   goroutine that serves the register/unregister/broadcast channels. On
//   shutdown App.HubStop() closes every hub's `stop` channel and waits on its
//   `didStop`. The hub goroutine reacts to `stop` by closing all the WebConns
//   it owns, and WebConn.Close() unregisters the connection through
//   App.HubUnregister() -> Hub.Unregister(), which selects between sending on
//   the hub's unbuffered `unregister` channel and `<-h.didStop`. That code runs
//   on the hub goroutine itself, the only receiver of `unregister`, and
//   `didStop` is closed by that same goroutine after the loop over the
//   connections: neither case can ever fire, the hub goroutine blocks in its
//   own Unregister(), and HubStop() waits on didStop forever (the server never
//   exits).
// Style: (c) gochan.h (go::chan for the hub's channels, go::select, go::spawn)
// Bug class: channel send on the sender's own goroutine (self-deadlock); the
//   select's escape case waits for a close only the blocked goroutine performs
// Shape: one hub, two websocket connections registered by main(); after
//   100 ms main() calls HubStop(): the hub goroutine closes the first WebConn,
//   whose Close() -> HubUnregister() -> Unregister() blocks in the select, and
//   main() blocks receiving from didStop.
// Fix: Unregister() selects on `<-h.stop` (already closed when the hub is
//   stopping) instead of `<-h.didStop`, so an unregister during the stop
//   returns at once.
#include "gochan.h"

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace app {

class App;

struct WebSocketEvent {
  std::string Event;
};

class WebConn {
public:
  App *app;
  std::string UserId;
  go::chan<std::shared_ptr<WebSocketEvent>> Send{64};
  bool socketClosed = false;

  WebConn(App *a, std::string userId) : app(a), UserId(std::move(userId)) {}
  void Close();
};

class Hub {
  std::map<WebConn *, bool> connections; // owned by the hub goroutine
  go::chan<WebConn *> register_;
  go::chan<WebConn *> unregister;
  go::chan<std::shared_ptr<WebSocketEvent>> broadcast{4096};

public:
  go::chan<go::unit> stop;
  go::chan<go::unit> didStop;
  bool ExplicitStop = false;

  void Register(WebConn *webConn) { go::select(go::case_send(register_, webConn), go::case_recv(didStop)); }

  void Unregister(WebConn *webConn) {
    go::select(go::case_send(unregister, webConn), go::case_recv(stop));
  }

  void Stop() { stop.close(); }

  void Start() {
    go::spawn([this] {
      for (;;) {
        WebConn *webCon = nullptr;
        std::shared_ptr<WebSocketEvent> msg;
        int fired = go::select(go::case_recv(register_, &webCon), go::case_recv(unregister, &webCon),
                               go::case_recv(broadcast, &msg), go::case_recv(stop));
        switch (fired) {
        case 0:
          connections[webCon] = true;
          break;
        case 1:
          if (connections.erase(webCon))
            webCon->Send.close();
          break;
        case 2:
          for (auto &[wc, _] : connections)
            go::select(go::case_send(wc->Send, msg), go::case_default());
          break;
        case 3: {
          std::vector<WebConn *> all;
          for (auto &[wc, _] : connections)
            all.push_back(wc);
          for (WebConn *wc : all)
            wc->Close();
          ExplicitStop = true;
          didStop.close();
          return;
        }
        }
      }
    });
  }
};

class App {
public:
  std::vector<std::unique_ptr<Hub>> hubs;

  void HubStart(int numberOfHubs) {
    for (int i = 0; i < numberOfHubs; i++) {
      hubs.push_back(std::make_unique<Hub>());
      hubs.back()->Start();
    }
  }
  Hub *GetHubForUserId(const std::string &userId) {
    return hubs[std::hash<std::string>{}(userId) % hubs.size()].get();
  }
  void HubRegister(WebConn *webConn) { GetHubForUserId(webConn->UserId)->Register(webConn); }
  void HubUnregister(WebConn *webConn) { GetHubForUserId(webConn->UserId)->Unregister(webConn); }

  void HubStop() {
    std::printf("stopping websocket hub connections\n");
    for (auto &hub : hubs)
      hub->Stop();
    for (auto &hub : hubs)
      hub->didStop.recv();
  }
};

void WebConn::Close() {
  socketClosed = true; // wc.WebSocket.Close()
  app->HubUnregister(this);
}

} // namespace app

int main() {
  app::App a;
  a.HubStart(1);

  app::WebConn c1(&a, "user-hwk1"), c2(&a, "user-ztq9");
  a.HubRegister(&c1);
  a.HubRegister(&c2);

  go::sleep_ms(100); // server running; then SIGTERM
  a.HubStop();
  std::printf("hub stopped\n");

  go::wait_all_goroutines();
  return 0;
}
