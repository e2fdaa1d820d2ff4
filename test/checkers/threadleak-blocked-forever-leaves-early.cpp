// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// threadleak-blocked-forever, receivers and waiters that leave on their
// own: a feeder whose workers may all return on an error while it still
// sends (rclone#7039), a receiver that takes one item racing a stop that
// may win (cortex#1640), a wait for a group's count-downs made holding a
// mutex the counting code takes first (nomad#6082). Each with the
// look-alikes that are correct.

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/fiber/all.hpp>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using boost::fibers::channel_op_status;
using Jobs = boost::fibers::buffered_channel<std::string>;
bool fetch(const std::string &);
void report(const std::string &);

//===-- A feeder whose receivers may all leave ----------------------------===//

// Each worker returns on the first failed fetch; once all have, the
// feeder's push finds the buffer full and nobody to empty it.
void crawl(const std::vector<std::string> &urls) {
  Jobs jobs(4);
  std::vector<std::thread> workers;
  for (int i = 0; i < 3; ++i)
    workers.emplace_back([&jobs] {
      std::string url;
      while (jobs.pop(url) == channel_op_status::success) {
        if (!fetch(url))
          return;
      }
    });
  for (const auto &u : urls)
    jobs.push(u);
    // CHECK: :[[@LINE-1]]:5: warning: a send on 'jobs' may wait forever: every receiver may leave its loop before it, and nothing else receives from it or closes it [threadleak-blocked-forever]
    // CHECK: :[[@LINE-10]]:26: note: the receiving code, the lambda, is started here, before the loop that sends
    // CHECK: :[[@LINE-9]]:14: note: it takes from 'jobs' in a loop
    // CHECK: :[[@LINE-8]]:11: note: and may leave that loop here, on a path that does not depend on what it received; nothing then takes what this loop sends
  jobs.close();
  for (auto &w : workers)
    w.join();
}

// An unbuffered channel, a range-for, a `break` on the error.
void crawlUnbuffered(const std::vector<std::string> &urls) {
  boost::fibers::unbuffered_channel<std::string> jobs;
  std::thread worker([&jobs] {
    for (const std::string &url : jobs) {
      if (!fetch(url)) {
        report(url);
        break;
      }
    }
  });
  for (const auto &u : urls)
    jobs.push(u);
    // CHECK: :[[@LINE-1]]:5: warning: a send on 'jobs' may wait forever: every receiver may leave its loop before it, and nothing else receives from it or closes it [threadleak-blocked-forever]
    // CHECK: :[[@LINE-11]]:22: note: the receiving code, the lambda, is started here, before the loop that sends
    // CHECK: :[[@LINE-11]]:5: note: it takes from 'jobs' in a loop
    // CHECK: :[[@LINE-9]]:9: note: and may leave that loop here, on a path that does not depend on what it received; nothing then takes what this loop sends
  jobs.close();
  worker.join();
}

// The capacity is a setting, not the number of items.
void crawlWith(const std::vector<std::string> &urls, unsigned checkers) {
  Jobs jobs(checkers);
  std::vector<std::thread> workers;
  for (unsigned i = 0; i < checkers; ++i)
    workers.emplace_back([&jobs] {
      std::string url;
      while (jobs.pop(url) == channel_op_status::success)
        if (!fetch(url))
          return;
    });
  for (const auto &u : urls)
    jobs.push(u);
    // CHECK: :[[@LINE-1]]:5: warning: a send on 'jobs' may wait forever: every receiver may leave its loop before it, and nothing else receives from it or closes it [threadleak-blocked-forever]
    // CHECK: :[[@LINE-9]]:26: note: the receiving code, the lambda, is started here, before the loop that sends
    // CHECK: :[[@LINE-8]]:14: note: it takes from 'jobs' in a loop
    // CHECK: :[[@LINE-7]]:11: note: and may leave that loop here, on a path that does not depend on what it received; nothing then takes what this loop sends
  jobs.close();
  for (auto &w : workers)
    w.join();
}

// A bounded queue the project writes (read as a channel), uploaders that
// give up on a failed upload.
template <typename T> class BoundedQueue {
public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity) {}
  void push(T v) {
    std::unique_lock<std::mutex> lk(mu_);
    not_full_.wait(lk, [this] { return closed_ || items_.size() < capacity_; });
    if (closed_)
      return;
    items_.push_back(std::move(v));
    not_empty_.notify_one();
  }
  std::optional<T> pop() {
    std::unique_lock<std::mutex> lk(mu_);
    not_empty_.wait(lk, [this] { return closed_ || !items_.empty(); });
    if (items_.empty())
      return std::nullopt;
    T v = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return v;
  }
  void close() {
    std::lock_guard<std::mutex> lk(mu_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

private:
  std::mutex mu_;
  std::condition_variable not_full_, not_empty_;
  std::deque<T> items_;
  size_t capacity_;
  bool closed_ = false;
};

bool upload(const std::string &);

void uploadAll(const std::vector<std::string> &files, size_t parallel) {
  BoundedQueue<std::string> q(parallel);
  std::vector<std::thread> uploaders;
  for (size_t i = 0; i < parallel; ++i)
    uploaders.emplace_back([&q] {
      while (auto f = q.pop()) {
        if (!upload(*f))
          return;
      }
    });
  for (const auto &f : files)
    q.push(f);
    // CHECK: :[[@LINE-1]]:5: warning: a send on 'q' may wait forever: every receiver may leave its loop before it, and nothing else receives from it or closes it [threadleak-blocked-forever]
    // CHECK: :[[@LINE-9]]:28: note: the receiving code, the lambda, is started here, before the loop that sends
    // CHECK: :[[@LINE-9]]:23: note: it takes from 'q' in a loop
    // CHECK: :[[@LINE-8]]:11: note: and may leave that loop here, on a path that does not depend on what it received; nothing then takes what this loop sends
    // CHECK: :[[@LINE-51]]:8: note: 'BoundedQueue' is read as a channel: 'push' waits for room, then puts an item
  q.close();
  for (auto &t : uploaders)
    t.join();
}

// Look-alike: the uploader leaves on an empty name, which the feeder sends
// last (a poison pill).
void uploadUntilEmpty(const std::vector<std::string> &files) {
  BoundedQueue<std::string> q(4);
  std::thread uploader([&q] {
    while (auto f = q.pop()) {
      if (f->empty())
        return;
      upload(*f);
    }
  });
  for (const auto &f : files)
    q.push(f);
  q.push("");
  uploader.join();
}

//===-- Look-alikes: the feeder always has a receiver, or a way out -------===//

// The worker skips a failed item and goes on.
void crawlSkips(const std::vector<std::string> &urls) {
  Jobs jobs(4);
  std::thread worker([&jobs] {
    std::string url;
    while (jobs.pop(url) == channel_op_status::success) {
      if (!fetch(url))
        continue;
      report(url);
    }
  });
  for (const auto &u : urls)
    jobs.push(u);
  jobs.close();
  worker.join();
}

// The worker leaves its loop on an error, then drains the channel.
void crawlDrains(const std::vector<std::string> &urls) {
  Jobs jobs(4);
  std::thread worker([&jobs] {
    std::string url;
    while (jobs.pop(url) == channel_op_status::success)
      if (!fetch(url))
        break;
    while (jobs.pop(url) == channel_op_status::success) {
    }
  });
  for (const auto &u : urls)
    jobs.push(u);
  jobs.close();
  worker.join();
}

// The worker closes the channel when it gives up: the push fails.
void crawlCloses(const std::vector<std::string> &urls) {
  Jobs jobs(4);
  std::thread worker([&jobs] {
    std::string url;
    while (jobs.pop(url) == channel_op_status::success)
      if (!fetch(url)) {
        jobs.close();
        return;
      }
  });
  for (const auto &u : urls)
    jobs.push(u);
  jobs.close();
  worker.join();
}

// The worker leaves on a sentinel value: what it received decides.
void crawlSentinel(const std::vector<std::string> &urls) {
  Jobs jobs(4);
  std::thread worker([&jobs] {
    std::string url;
    while (jobs.pop(url) == channel_op_status::success) {
      if (url.empty())
        return;
      fetch(url);
    }
  });
  for (const auto &u : urls)
    jobs.push(u);
  jobs.push("");
  worker.join();
}

// The buffer holds every item.
void crawlSized(const std::vector<std::string> &urls) {
  Jobs jobs(urls.size());
  std::thread worker([&jobs] {
    std::string url;
    while (jobs.pop(url) == channel_op_status::success)
      if (!fetch(url))
        return;
  });
  for (const auto &u : urls)
    jobs.push(u);
  jobs.close();
  worker.join();
}

void fourItems() {
  boost::fibers::buffered_channel<int> ch(8);
  std::thread worker([&ch] {
    int v;
    while (ch.pop(v) == channel_op_status::success)
      if (v < 0)
        return;
  });
  for (int i = 0; i < 4; ++i)
    ch.push(i);
  ch.close();
  worker.join();
}

// The feeder stops once a worker failed.
void crawlWatched(const std::vector<std::string> &urls) {
  Jobs jobs(4);
  std::atomic<bool> failed{false};
  std::thread worker([&] {
    std::string url;
    while (jobs.pop(url) == channel_op_status::success)
      if (!fetch(url)) {
        failed = true;
        return;
      }
  });
  for (const auto &u : urls) {
    if (failed)
      break;
    jobs.push(u);
  }
  jobs.close();
  worker.join();
}

// The feeder's loop stops once a worker failed (its condition reads a
// local the worker writes).
void crawlUntilFailed(const std::vector<std::string> &urls) {
  Jobs jobs(4);
  bool failed = false;
  std::thread worker([&jobs, &failed] {
    std::string url;
    while (jobs.pop(url) == channel_op_status::success)
      if (!fetch(url)) {
        failed = true;
        return;
      }
  });
  size_t n = urls.size();
  for (size_t i = 0; !failed && i < n; ++i)
    jobs.push(urls[i]);
  jobs.close();
  worker.join();
}

//===-- A receiver that takes one item, racing a stop ---------------------===//

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using boost::system::error_code;
using Chan = asio::experimental::channel<void(error_code, int)>;
using Signal = asio::experimental::channel<void(error_code)>;
void handle(int);

// The caller waits for one reply or a cancellation; once the cancellation
// won, the replier's send has nobody.
struct Call {
  Chan reply;
  Signal cancel;
  explicit Call(asio::any_io_executor ex) : reply(ex), cancel(ex) {}

  asio::awaitable<void> wait() {
    auto r = co_await (reply.async_receive(asio::use_awaitable) ||
                       cancel.async_receive(asio::use_awaitable));
    if (r.index() == 0)
      handle(std::get<0>(r));
  }
  asio::awaitable<void> respond(int v) {
    co_await reply.async_send(error_code{}, v, asio::use_awaitable);
    // CHECK: :[[@LINE-1]]:14: warning: a send on 'reply' may wait forever: its receiver may have gone on before it, and nothing else receives from it or closes it [threadleak-blocked-forever]
    // CHECK: :[[@LINE-8]]:24: note: the only receiver, in 'Call::wait', takes from 'reply' once, racing a receive from 'cancel'
    // CHECK: :[[@LINE+3]]:14: note: a send on 'cancel' in 'Call::abort' wins that race, and nothing orders it after this send
  }
  asio::awaitable<void> abort() {
    co_await cancel.async_send(error_code{}, asio::use_awaitable);
  }
};

void call(asio::io_context &io) {
  auto c = std::make_shared<Call>(io.get_executor());
  asio::co_spawn(io, c->wait(), asio::detached);
  asio::co_spawn(io, c->abort(), asio::detached);
  asio::co_spawn(io, [c]() -> asio::awaitable<void> {
    co_await c->respond(1);
  }, asio::detached);
}

// Look-alike: the reply has a slot of its own; the send never waits.
struct BufferedCall {
  Chan reply;
  Signal cancel;
  explicit BufferedCall(asio::any_io_executor ex) : reply(ex, 1), cancel(ex) {}

  asio::awaitable<void> wait() {
    auto r = co_await (reply.async_receive(asio::use_awaitable) ||
                       cancel.async_receive(asio::use_awaitable));
    if (r.index() == 0)
      handle(std::get<0>(r));
  }
  asio::awaitable<void> respond(int v) {
    co_await reply.async_send(error_code{}, v, asio::use_awaitable);
  }
  asio::awaitable<void> abort() {
    co_await cancel.async_send(error_code{}, asio::use_awaitable);
  }
};

void bufferedCall(asio::io_context &io) {
  auto c = std::make_shared<BufferedCall>(io.get_executor());
  asio::co_spawn(io, c->wait(), asio::detached);
  asio::co_spawn(io, c->abort(), asio::detached);
  asio::co_spawn(io, [c]() -> asio::awaitable<void> {
    co_await c->respond(1);
  }, asio::detached);
}

// Look-alike: the consumers leave only when the channel says so (a
// structured binding of the receive's error code), and the feeder closes it.
asio::awaitable<void> feed(std::vector<int> items, int workers) {
  auto ex = co_await asio::this_coro::executor;
  auto ch = std::make_shared<Chan>(ex);
  for (int i = 0; i < workers; ++i)
    asio::co_spawn(ex, [ch]() -> asio::awaitable<void> {
      for (;;) {
        auto [ec, v] =
            co_await ch->async_receive(asio::as_tuple(asio::use_awaitable));
        if (ec)
          break;
        handle(v);
      }
    }, asio::detached);
  for (int v : items)
    co_await ch->async_send(error_code{}, v, asio::use_awaitable);
  ch->close();
}

//===-- A wait for count-downs, holding what the counting code takes -------===//

// A wait group the project writes (read as add / done / wait).
class WaitGroup {
public:
  void Add(int n) {
    std::lock_guard<std::mutex> lk(m_);
    count_ += n;
  }
  void Done() {
    std::lock_guard<std::mutex> lk(m_);
    if (--count_ == 0)
      cv_.notify_all();
  }
  void Wait() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return count_ == 0; });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  int count_ = 0;
};

// tomb.Tomb: Go() tracks a goroutine, Wait() waits for all of them.
class Tomb {
public:
  void Go(std::function<void()> f) {
    wg_.Add(1);
    std::thread([this, f] {
      f();
      wg_.Done();
    }).detach();
  }
  void Wait() { wg_.Wait(); }
  // CHECK: :[[@LINE-1]]:17: warning: a wait on 't_.wg_' while holding 'l_', for code that acquires 'l_' before it counts it down: both wait forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE+21]]:33: note: 'l_' is acquired here
  // CHECK: :[[@LINE+21]]:5: note: 'Tomb::Wait' is called here, holding 'l_'
  // CHECK: :[[@LINE-8]]:7: note: the function object 'f' is called here, in the code that counts down
  // CHECK: :[[@LINE+13]]:20: note: 'VaultClient::establish' is called here, in the code that counts down
  // CHECK: :[[@LINE+33]]:33: note: it may acquire 'l_' here
  // CHECK: :[[@LINE-10]]:7: note: before it counts 't_.wg_' down here

private:
  WaitGroup wg_;
};

bool lookup(const std::string &token);

class VaultClient {
public:
  void Start() {
    t_.Go([this] { establish(); });
  }
  // Reconfiguring waits for the old routines holding l_, which establish()
  // takes before it returns.
  void SetConfig(const std::string &token) {
    std::lock_guard<std::mutex> lk(l_);
    t_.Wait();
    token_ = token;
  }
  // Look-alike: stopping waits with nothing held.
  void Stop() {
    {
      std::lock_guard<std::mutex> lk(l_);
      token_.clear();
    }
    t_.Wait();
  }

private:
  void establish() {
    bool ok = lookup(token_);
    std::lock_guard<std::mutex> lk(l_);
    connected_ = ok;
  }
  std::mutex l_;
  std::string token_;
  bool connected_ = false;
  Tomb t_;
};

// Look-alike: the counting code takes another mutex.
class Reporter {
public:
  void Start() {
    t_.Go([this] { flush(); });
  }
  void Reset() {
    std::lock_guard<std::mutex> lk(l_);
    t_.Wait();
  }

private:
  void flush() {
    std::lock_guard<std::mutex> lk(out_);
    report("flushed");
  }
  std::mutex l_, out_;
  Tomb t_;
};
