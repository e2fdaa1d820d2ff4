// Port: pion/webrtc#1834 ("Fixed deadlock in peerconnection.go")
//   (fixes pion/webrtc#1809, "Potential deadlock : createoffer when ice
//   connection state changing".) PeerConnection.CreateOffer() holds pc.mu
//   while it builds the SDP; generateMatchedSDP() asks the ICEGatherer for
//   the local ICE credentials, which pion/ice's Agent.GetLocalUserCredentials()
//   serves through Agent.run(): the task is handed to the agent's taskLoop
//   goroutine over chanTask and the caller waits for it. The taskLoop, after
//   each task, runs the afterRun callbacks; updateConnectionState() queues
//   one that sends the new state on chanState to the goroutine that calls
//   the state-change handler. That handler ends in
//   PeerConnection.onICEConnectionStateChange(), which took pc.mu to store
//   iceConnectionState (and the derived connectionState). With CreateOffer()
//   in progress: the handler goroutine waits for pc.mu, the taskLoop waits
//   to hand it the next state on chanState, and CreateOffer() (holding pc.mu)
//   waits for the taskLoop to take its task: a three-goroutine cycle.
// Style: (c) gochan.h (go::chan for chanTask/chanState/done, go::select in
//   Agent.run() and the taskLoop, go::RWMutex for pc.mu, go::spawn,
//   go::wait_all_goroutines)
// Bug class: lock held across a synchronous request to an event loop whose
//   callbacks need the same lock (callback re-entry across goroutines)
// Shape: main calls CreateOffer(), which locks pc.mu and spends 50 ms on the
//   media sections. The agent's connectivity checks move it to Checking at
//   10 ms (the handler goroutine takes the state and blocks on pc.mu) and to
//   Connected at 20 ms (the taskLoop blocks sending it on chanState). At
//   50 ms CreateOffer() asks for the local credentials and blocks on chanTask;
//   nothing moves again.
// Fix: iceConnectionState and connectionState become atomic values, so
//   onICEConnectionStateChange() no longer takes pc.mu.
#include "gochan.h"

#include <atomic>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace ice {

enum class ConnectionState { New, Checking, Connected, Closed };
const char *str(ConnectionState s) {
  switch (s) {
  case ConnectionState::New: return "new";
  case ConnectionState::Checking: return "checking";
  case ConnectionState::Connected: return "connected";
  default: return "closed";
  }
}

struct task {
  std::function<void()> fn;
  go::chan<go::unit> done;
};

class Agent {
public:
  Agent() {
    go::spawn([this] { taskLoop(); });
    startOnConnectionStateChangeRoutine();
  }

  void OnConnectionStateChange(std::function<void(ConnectionState)> f) { onConnectionStateChangeHdlr = std::move(f); }

  // run executes fn on the agent's taskLoop and waits for it.
  bool run(std::function<void()> fn) {
    task t{std::move(fn), go::chan<go::unit>(0)};
    if (go::select(go::case_send(chanTask, t), go::case_recv(done)) == 1)
      return false; // ErrClosed
    return go::select(go::case_recv(t.done), go::case_recv(done)) == 0;
  }

  std::pair<std::string, std::string> GetLocalUserCredentials() {
    std::pair<std::string, std::string> creds;
    run([&] { creds = {localUfrag, localPwd}; });
    return creds;
  }

  // Called from the connectivity checks, always on the taskLoop.
  void updateConnectionState(ConnectionState newState) {
    if (connectionState != newState) {
      std::printf("ice: setting new connection state: %s\n", str(newState));
      connectionState = newState;
      afterRun([this, newState] { chanState.send(newState); });
    }
  }

  void Close() { done.close(); }

private:
  void afterRun(std::function<void()> f) { afterRunFns.push_back(std::move(f)); }

  void taskLoop() {
    for (;;) {
      task t;
      if (go::select(go::case_recv(done), go::case_recv(chanTask, &t)) == 0)
        return;
      t.fn();
      t.done.close();
      std::vector<std::function<void()>> fns;
      fns.swap(afterRunFns);
      for (auto &f : fns)
        f();
    }
  }

  void startOnConnectionStateChangeRoutine() {
    go::spawn([this] {
      for (;;) {
        ConnectionState s;
        if (go::select(go::case_recv(chanState, &s), go::case_recv(done)) == 1)
          return;
        if (onConnectionStateChangeHdlr)
          onConnectionStateChangeHdlr(s);
      }
    });
  }

  go::chan<task> chanTask{0};
  go::chan<ConnectionState> chanState{0};
  go::chan<go::unit> done{0};
  std::vector<std::function<void()>> afterRunFns; // taskLoop only
  std::function<void(ConnectionState)> onConnectionStateChangeHdlr;
  ConnectionState connectionState = ConnectionState::New;
  std::string localUfrag = "pTrQ", localPwd = "0x5fbb3a3d6f1e47b8c2";
};

} // namespace ice

namespace webrtc {

using ICEConnectionState = ice::ConnectionState;
enum class PeerConnectionState { New, Connecting, Connected, Closed };

class ICEGatherer {
public:
  explicit ICEGatherer(ice::Agent &agent) : agent(agent) {}
  std::pair<std::string, std::string> GetLocalParameters() { return agent.GetLocalUserCredentials(); }

private:
  ice::Agent &agent;
};

class PeerConnection {
public:
  explicit PeerConnection(ice::Agent &agent) : agent(agent), iceGatherer(agent) {
    // ICETransport forwards the agent's state changes to the PeerConnection.
    agent.OnConnectionStateChange([this](ICEConnectionState cs) { onICEConnectionStateChange(cs); });
  }

  std::string CreateOffer() {
    pc_mu.lock();
    go::sleep_ms(50); // forcing: populating the transceivers' media sections
    std::string sdp = generateMatchedSDP();
    pc_mu.unlock();
    return sdp;
  }

  ICEConnectionState ICEConnectionStateNow() {
    pc_mu.rlock();
    ICEConnectionState s = iceConnectionState;
    pc_mu.runlock();
    return s;
  }

  void Close() { agent.Close(); }

private:
  std::string generateMatchedSDP() {
    auto [ufrag, pwd] = iceGatherer.GetLocalParameters();
    return "v=0\r\na=ice-ufrag:" + ufrag + "\r\na=ice-pwd:" + pwd + "\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n";
  }

  void onICEConnectionStateChange(ICEConnectionState cs) {
    pc_mu.lock(); // LEAK
    iceConnectionState = cs;
    connectionState = cs == ICEConnectionState::Connected ? PeerConnectionState::Connected : PeerConnectionState::Connecting;
    pc_mu.unlock();
    std::printf("webrtc: ICE connection state changed: %s\n", ice::str(cs));
  }

  go::RWMutex pc_mu;
  ice::Agent &agent;
  ICEGatherer iceGatherer;
  ICEConnectionState iceConnectionState = ICEConnectionState::New;
  PeerConnectionState connectionState = PeerConnectionState::New;
};

} // namespace webrtc

int main() {
  ice::Agent agent;
  webrtc::PeerConnection pc(agent);

  // The agent's connectivity checks (they run on the taskLoop via run()).
  go::spawn([&] {
    go::sleep_ms(10);
    agent.run([&] { agent.updateConnectionState(ice::ConnectionState::Checking); });
    go::sleep_ms(10);
    agent.run([&] { agent.updateConnectionState(ice::ConnectionState::Connected); });
  });

  std::string offer = pc.CreateOffer(); // renegotiation after adding a track
  std::printf("offer:\n%s", offer.c_str());

  go::sleep_ms(10);
  pc.Close();
  go::wait_all_goroutines();
  std::printf("done\n");
  return 0;
}
