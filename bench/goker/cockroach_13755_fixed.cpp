// GoKer port: goker/cockroach13755.go in the Go runtime's testgoroutineleakprofile (cockroachdb/cockroach#13755, fix ef90607)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (d) standard library only (std::thread, std::stop_source / std::stop_token, std::condition_variable_any)
// Bug class: context never cancelled on a path (the rows are never closed)
// Shape: Rows::initContextClose() derives a cancellable context and starts a
//   thread, awaitDone(), that waits for it to be cancelled and then closes the
//   rows. Only close() cancels it, and close() is only reached from
//   awaitDone() itself: the caller never closes the rows, so the thread waits
//   forever.
// Fix (reconstructed; the upstream patch is not in the corpus): the caller
//   closes the rows when it is done with them, which cancels the context.
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>
#include <system_error>
#include <thread>

class Rows {
public:
  ~Rows() {
    if (watcher_.joinable())
      watcher_.join();
  }

  void initContextClose(std::stop_token parent) {
    // ctx, rs.cancel = context.WithCancel(parent)
    parentLink_.emplace(parent, [this] { cancel_.request_stop(); });
    watcher_ = std::thread([this, ctx = cancel_.get_token()] { awaitDone(ctx); }); // G2
  }

  void close(std::error_code /*err*/) { cancel_.request_stop(); }

private:
  void awaitDone(std::stop_token ctx) {
    {
      std::mutex m;
      std::condition_variable_any cv;
      std::unique_lock<std::mutex> lk(m);
      cv.wait(lk, ctx, [] { return false; }); // <-ctx.Done()
    }
    close(std::make_error_code(std::errc::operation_canceled));
  }

  std::stop_source cancel_;
  std::optional<std::stop_callback<std::function<void()>>> parentLink_;
  std::thread watcher_;
};

int main() {
  std::stop_source background; // context.Background(): never cancelled
  Rows rs;
  rs.initContextClose(background.get_token()); // G1
  rs.close({});                                // done with the rows
}
