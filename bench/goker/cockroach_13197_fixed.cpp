// GoKer port: goker/cockroach13197.go in the Go runtime's testgoroutineleakprofile (cockroachdb/cockroach#13197, fix 9bf770c)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (d) standard library only (std::thread, std::promise / std::shared_future as the cancellable context)
// Bug class: context never cancelled on a path (the caller drops the transaction)
// Shape: DB::begin() derives a cancellable context for the transaction and
//   starts a watcher thread, awaitDone(), that waits for it to be cancelled.
//   Only Tx::Rollback() (or a commit) cancels it; the caller begins a
//   transaction and drops it, so the watcher waits forever.
// Fix (reconstructed; the upstream patch is not in the corpus): the caller
//   closes the transaction it began (Rollback()), which cancels its context.
#include <functional>
#include <future>
#include <memory>
#include <thread>
#include <vector>

// A context that can be cancelled once: Done() is a future that becomes ready.
class CancelContext {
public:
  CancelContext() : done_(cancel_.get_future().share()) {}
  std::shared_future<void> Done() const { return done_; }
  void Cancel() {
    std::call_once(once_, [this] { cancel_.set_value(); });
  }

private:
  std::promise<void> cancel_;
  std::shared_future<void> done_;
  std::once_flag once_;
};

class Tx {
public:
  explicit Tx(std::shared_ptr<CancelContext> ctx) : ctx_(std::move(ctx)) {}

  void awaitDone() {
    ctx_->Done().wait();
  }

  void Rollback() { rollback(); }

private:
  void rollback() { close(); }
  void close() { ctx_->Cancel(); }

  std::shared_ptr<CancelContext> ctx_;
};

class DB {
public:
  explicit DB(std::vector<std::thread> &background) : background_(background) {}

  std::shared_ptr<Tx> begin() {
    auto tx = std::make_shared<Tx>(std::make_shared<CancelContext>());
    background_.emplace_back([tx] { tx->awaitDone(); }); // G2
    return tx;
  }

private:
  std::vector<std::thread> &background_;
};

int main() {
  std::vector<std::thread> background;
  {
    DB db(background);
    auto tx = db.begin(); // G1
    tx->Rollback();
  }
  for (auto &t : background)
    t.join();
}
