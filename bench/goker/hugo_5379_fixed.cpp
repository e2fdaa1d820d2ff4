// GoKer port: gobench/goker/blocking/hugo/5379 (gohugoio/hugo#5379)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (c) Go-style library, include/gochan.h (go::chan, go::select, go::after, go::spawn)
// Bug class: lock: double locking across a once (plus a goroutine abandoned
//   by a timeout select)
// Shape: Page.initContent() runs once: it starts a goroutine that takes
//   contentInitMu and renders the page, and waits for it or a 1ms timeout.
//   Rendering a shortcode calls WordCount() -> initPlain(true), which takes
//   contentInitMu again in the goroutine that already holds it. The page's
//   own WordCount() then waits for that once forever.
// Fix (reconstructed; the upstream patch is not in the corpus): the rendering
//   path, which runs with contentInitMu held, calls initPlain(false), and
//   initPlain(true) takes contentInitMu before entering the once, so no
//   goroutine waits for the mutex inside the once.
#include "gochan.h"
#include <chrono>
#include <functional>
#include <map>
#include <mutex>

struct Page {
  std::once_flag contentInit, plainInit;
  std::mutex contentInitMu;
  std::map<int, std::function<void()>> contentShortcodes;

  void WordCount() { initContentPlainAndMeta(true); }
  void initContentPlainAndMeta(bool lock) {
    initContent();
    initPlain(lock);
  }
  void initPlain(bool lock) {
    std::unique_lock<std::mutex> lk; // the fix: lock outside the once
    if (lock)
      lk = std::unique_lock(contentInitMu);
    std::call_once(plainInit, [&] {});
  }
  void prepareForRender() { // executeShortcodesForDelta
    for (auto &[k, render] : contentShortcodes)
      render();
  }
  void initContent() {
    std::call_once(contentInit, [&] {
      go::chan<int> c(1);
      go::spawn([this, c] { // G2
        std::lock_guard lk(contentInitMu); // first lock here
        prepareForRender();
        c.send(0);
      });
      int err;
      // the Go kernel waits 1ms; 50ms lets the renderer take contentInitMu first on a busy machine
      go::select(go::case_recv(go::after(std::chrono::milliseconds(50))), go::case_recv(c, &err));
    });
  }
};

int main() {
  go::spawn([] { // G1: site.renderPages() -> pageRenderer -> WordCount()
    static Page p;
    p.contentShortcodes[0] = [] { p.initContentPlainAndMeta(false); }; // the fix: no second lock
    p.WordCount();
  });
  go::wait_all_goroutines();
}
