// GoKer port: goker/cockroach18101.go in the Go runtime's testgoroutineleakprofile (cockroachdb/cockroach#18101, fix 822bd17)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (e) oneTBB: tbb::concurrent_bounded_queue (capacity 6) as the buffered channel, std::thread, std::stop_source as the context
// Bug class: chan send (buffer full), the receiver returned early on ctx.Done()
// Shape: restore() starts splitAndScatter(), which sends 8 spans on a queue
//   of capacity 6 (then an end-of-stream marker, Go's close), and reads them;
//   at the first span it waits for the context and returns. The context is
//   cancelled, restore() returns, and the producer blocks forever on its 8th
//   push: nobody reads the queue any more.
// Fix (reconstructed; the upstream patch is not in the corpus):
//   splitAndScatter() gives up a send when the context is cancelled (Go:
//   select between the send and ctx.Done()). With TBB, which has no select,
//   the push becomes try_push retried until the context is cancelled.
#include <tbb/concurrent_queue.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <vector>

constexpr int chanSize = 6;

using SpanQueue = tbb::concurrent_bounded_queue<std::optional<bool>>; // nullopt: closed

// <-ctx.Done()
void waitDone(std::stop_token ctx) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock<std::mutex> lk(m);
  cv.wait(lk, ctx, [] { return false; });
}

// select { case q <- v: return true; case <-ctx.Done(): return false }
bool pushOrCancel(SpanQueue &q, std::optional<bool> v, std::stop_token ctx) {
  while (!q.try_push(v)) {
    if (ctx.stop_requested())
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

void splitAndScatter(std::stop_token ctx, SpanQueue &readyForImport) {
  for (int i = 0; i < chanSize + 2; ++i)
    if (!pushOrCancel(readyForImport, i != 0, ctx))
      return;
}

bool restore(std::stop_token ctx, std::vector<std::thread> &background) {
  auto readyForImport = std::make_shared<SpanQueue>();
  readyForImport->set_capacity(chanSize);
  background.emplace_back([ctx, readyForImport] { // G2
    splitAndScatter(ctx, *readyForImport);
    pushOrCancel(*readyForImport, std::nullopt, ctx); // defer close(readyForImportCh)
  });
  for (;;) { // for span := range readyForImportCh
    std::optional<bool> span;
    readyForImport->pop(span);
    if (!span)
      break;
    waitDone(ctx); // select { case <-ctx.Done(): return span }
    return *span;
  }
  return true;
}

int main() {
  std::vector<std::thread> background;
  std::stop_source cancel; // context.WithCancel(context.Background())
  std::thread g1([&background, ctx = cancel.get_token()] { restore(ctx, background); }); // G1
  std::thread helper([&cancel] { cancel.request_stop(); }); // go cancel()
  g1.join();
  helper.join();
  for (auto &t : background)
    t.join();
}
