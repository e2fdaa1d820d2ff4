// Port: jesseduffield/gocui#25 ("fix goroutine leak")
//   gocui (lazygit's fork) runs two background loops per Gui that are meant to
//   stop when Gui.Close() is called: MainLoop()'s event poller,
//   `for { select { case <-g.stop: return; default: g.gEvents <- g.pollEvent() } }`,
//   and StartTicking()'s loader animation, which selects on its ticker,
//   ctx.Done() and g.stop. Close() signalled them with a single
//   `go func() { g.stop <- struct{}{} }()` and then finalised the screen. One
//   send wakes only one receiver: the ticking loop, parked in its select,
//   takes it and returns, and the event poller never sees a stop. After
//   Screen.Fini(), PollEvent() returns nil at once, so the poller keeps
//   pushing empty events into gEvents, a channel of capacity 20 that nobody
//   reads once MainLoop() has returned, and blocks on the 21st send forever.
//   lazygit's integration tests, which create and close a Gui per test,
//   leaked one poller each (found with goleak).
// Style: (c) gochan.h (go::chan for g.stop, gEvents, userEvents and the
//   terminal's event queue, go::select for the loops, go::after as the
//   ticker, go::Context for StartTicking's ctx, go::spawn for the
//   goroutines, go::wait_all_goroutines as goleak.VerifyNone)
// Bug class: select loop with no exit on shutdown: the stop signal is one
//   send instead of a close, so only one of the loops that wait for it leaves
// Shape: lazygit shows a "Fetching..." loader, so StartTicking() ticks every
//   50 ms; at 120 ms the user presses 'q', MainLoop() returns ErrQuit and
//   main calls Close(). The ticking loop takes the one stop value; the
//   screen's Fini() (forcing: 50 ms to restore the terminal) then makes
//   PollEvent() return nil, and the poller fills gEvents and blocks. main's
//   goleak check waits forever.
// Fix: Close() does close(g.stop), which every loop selecting on it sees;
//   the twin closes the channel instead of spawning the single send.
#include "gochan.h"

#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace gocui {

using error = std::string; // "" is nil
const error ErrQuit = "quit";

// tcell.Screen stand-in: the terminal's input queue.
struct tcellScreen {
  go::chan<char> events{64};
  std::optional<char> PollEvent() { return events.recv(); } // nil once finalised
  void InjectKey(char ch) { events.send(ch); }
  void Fini() {
    go::sleep_ms(50); // forcing: restoring the terminal (leaving the alternate screen) takes a while
    events.close();
  }
};
tcellScreen Screen;

enum eventType { eventNone, eventKey, eventResize };
struct GocuiEvent {
  eventType Type = eventNone;
  char Ch = 0;
};

class Gui;
struct userEvent {
  std::function<error(Gui *)> f;
};
struct View {
  std::string name;
  bool HasLoader = false;
};

class Gui {
public:
  Gui() : gEvents(20), userEvents(20), stop(0) {}

  // Close finalizes the library. It should be called after a successful
  // initialization and when gocui is not needed anymore.
  void Close() {
    stop.close();
    Screen.Fini();
  }

  View *SetView(const std::string &name, bool hasLoader) {
    std::lock_guard lk(ViewsMutex);
    views.push_back(View{name, hasLoader});
    return &views.back();
  }

  void SetKeybinding(char ch, std::function<error(Gui *)> handler) { keybindings[ch] = std::move(handler); }

  // UpdateAsync queues f to run on the main loop.
  void UpdateAsync(std::function<error(Gui *)> f) { userEvents.send(userEvent{std::move(f)}); }

  // MainLoop runs the main loop until an error is returned. A successful
  // finish should return ErrQuit.
  error MainLoop() {
    go::spawn([this] {
      for (;;) {
        if (go::select(go::case_recv(stop), go::case_default()) == 0)
          return;
        gEvents.send(pollEvent());
      }
    });
    for (;;) {
      error err = processEvent();
      if (!err.empty())
        return err;
    }
  }

  void StartTicking(go::Context ctx) {
    go::spawn([this, ctx] {
      std::lock_guard lk(tickingMutex);
      for (;;) {
        switch (go::select(go::case_recv(go::after(std::chrono::milliseconds(50))), go::case_recv(ctx.done()),
                           go::case_recv(stop))) {
        case 0:
          if (anyLoader()) {
            UpdateAsync([](Gui *) -> error { return ""; }); // redraw the spinner
            continue;
          }
          return;
        case 1:
          return;
        case 2:
          return;
        }
      }
    });
  }

  int frames = 0;

private:
  GocuiEvent pollEvent() {
    std::optional<char> ev = Screen.PollEvent();
    if (!ev)
      return GocuiEvent{eventNone, 0};
    return GocuiEvent{eventKey, *ev};
  }

  error processEvent() {
    GocuiEvent ev;
    userEvent uev;
    error err;
    if (go::select(go::case_recv(gEvents, &ev), go::case_recv(userEvents, &uev)) == 0)
      err = handleEvent(ev);
    else
      err = uev.f(this);
    if (!err.empty())
      return err;
    flush();
    return "";
  }

  error handleEvent(const GocuiEvent &ev) {
    if (ev.Type != eventKey)
      return "";
    auto it = keybindings.find(ev.Ch);
    return it == keybindings.end() ? "" : it->second(this);
  }

  bool anyLoader() {
    std::lock_guard lk(ViewsMutex);
    for (const View &v : views)
      if (v.HasLoader)
        return true;
    return false;
  }

  void flush() { frames++; } // layout and draw every view

  go::chan<GocuiEvent> gEvents;
  go::chan<userEvent> userEvents;
  go::chan<go::unit> stop;
  std::vector<View> views;
  std::map<char, std::function<error(Gui *)>> keybindings;
  std::mutex tickingMutex, ViewsMutex;
};

} // namespace gocui

int main() {
  using namespace gocui;
  Gui g;
  g.SetView("status", true); // "Fetching..." while `git fetch` runs
  g.SetView("files", false);
  g.SetKeybinding('q', [](Gui *) -> error { return ErrQuit; });
  g.StartTicking(go::background());

  go::spawn([] { // the user
    go::sleep_ms(120);
    Screen.InjectKey('q');
  });

  error err = g.MainLoop();
  std::printf("MainLoop returned '%s' after %d frames\n", err.c_str(), g.frames);
  g.Close();

  go::wait_all_goroutines(); // goleak.VerifyNone
  std::puts("no leaked goroutines");
  return 0;
}
