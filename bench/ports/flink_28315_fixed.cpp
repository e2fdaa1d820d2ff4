// Port: apache/flink#28315 ("[FLINK-39858][rest] Fail orphaned in-flight request futures on RestClient close")
//   Flink's RestClient (used by the CLI and RestClusterClient) sends each
//   REST request over a fresh Netty channel: submitRequest() connects, and
//   the terminal response future is completed by the channel's ClientHandler
//   (channelRead on the response, channelInactive with a
//   ConnectionClosedException if the connection drops). RestClient.close()
//   runs notifyResponseFuturesOfShutdown(), which fails only the futures in
//   responseChannelFutures - the connect-phase futures, which the connect
//   listener removes as soon as the TCP connection is established - and
//   then shuts the event-loop group down. A request that is already past
//   the connect phase and waiting for its response is tracked nowhere; once
//   the event loop is torn down its channelInactive is never dispatched, so
//   its response future is never completed and the caller blocked on it
//   hangs forever (seen as a watchdog-killed JVM in
//   RestClientTest.testRestClientClosedHandling).
// Style: (d) standard library only: std::promise/std::shared_future for the
//   CompletableFuture, a one-thread NioEventLoopGroup stand-in (std::thread
//   + task queue + scheduled tasks that are dropped on shutdown), Channel /
//   ClientHandler objects, std::atomic isRunning
// Bug class: wait on a future whose only completers (event-loop callbacks)
//   are discarded by close(); close() fails only part of the outstanding
//   futures
// Shape: a status poller asks the JobManager for a job's status; the
//   connection is up after 5 ms and the response would arrive after 800 ms.
//   At 50 ms the CLI closes the client; the event loop drops the pending
//   read and never fires channelInactive. The poller waits on get() forever;
//   main hangs joining it.
// Fix: every request's terminal response future is registered in
//   pendingRequestFutures for its whole lifetime (deregistered when it
//   completes), and notifyResponseFuturesOfShutdown() also fails those, so
//   close() fails in-flight requests in any phase.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace flink::rest {

struct JsonResponse {
  int status;
  std::string body;
};

// CompletableFuture<JsonResponse>: completes at most once.
class ResponseFuture {
 public:
  bool complete(JsonResponse r) {
    if (done_.exchange(true)) return false;
    promise_.set_value(std::move(r));
    fireCompletion();
    return true;
  }
  bool completeExceptionally(std::exception_ptr e) {
    if (done_.exchange(true)) return false;
    promise_.set_exception(std::move(e));
    fireCompletion();
    return true;
  }
  void whenComplete(std::function<void()> action) { onComplete_ = std::move(action); }
  std::shared_future<JsonResponse> future() const { return future_; }

 private:
  void fireCompletion() {
    if (onComplete_) onComplete_();
  }
  std::atomic<bool> done_{false};
  std::promise<JsonResponse> promise_;
  std::shared_future<JsonResponse> future_{promise_.get_future().share()};
  std::function<void()> onComplete_;
};

// Netty's NioEventLoopGroup with a single event loop.
class NioEventLoopGroup {
 public:
  NioEventLoopGroup() : loop_([this] { run(); }) {}
  ~NioEventLoopGroup() { shutdownGracefully(); }

  void schedule(std::chrono::milliseconds delay, std::function<void()> task) {
    std::lock_guard lock{mutex_};
    if (shuttingDown_) return;
    tasks_.push_back({std::chrono::steady_clock::now() + delay, std::move(task)});
    cv_.notify_one();
  }

  // Scheduled tasks that have not run yet are cancelled.
  void shutdownGracefully() {
    {
      std::lock_guard lock{mutex_};
      shuttingDown_ = true;
    }
    cv_.notify_one();
    if (loop_.joinable()) loop_.join();
  }

 private:
  struct Scheduled {
    std::chrono::steady_clock::time_point deadline;
    std::function<void()> task;
  };

  void run() {
    std::unique_lock lock{mutex_};
    while (!shuttingDown_) {
      auto next = tasks_.end();
      for (auto it = tasks_.begin(); it != tasks_.end(); ++it)
        if (next == tasks_.end() || it->deadline < next->deadline) next = it;
      if (next == tasks_.end()) {
        cv_.wait(lock);
      } else if (next->deadline > std::chrono::steady_clock::now()) {
        cv_.wait_until(lock, next->deadline);
      } else {
        auto task = std::move(next->task);
        tasks_.erase(next);
        lock.unlock();
        task();
        lock.lock();
      }
    }
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<Scheduled> tasks_;
  bool shuttingDown_ = false;
  std::thread loop_;
};

class ClientHandler {
 public:
  explicit ClientHandler(std::shared_ptr<ResponseFuture> jsonFuture) : jsonFuture_(std::move(jsonFuture)) {}
  void channelRead(JsonResponse msg) { jsonFuture_->complete(std::move(msg)); }
  void channelInactive() {
    jsonFuture_->completeExceptionally(std::make_exception_ptr(std::runtime_error("ConnectionClosedException: Channel became inactive.")));
  }

 private:
  std::shared_ptr<ResponseFuture> jsonFuture_;
};

struct Channel {
  std::shared_ptr<ClientHandler> handler;
};

class RestClient {
 public:
  std::shared_future<JsonResponse> sendRequest(const std::string& targetAddress, int targetPort, const std::string& url) {
    auto responseFuture = std::make_shared<ResponseFuture>();
    if (!isRunning_) {
      responseFuture->completeExceptionally(std::make_exception_ptr(std::runtime_error("RestClient is already closed")));
      return responseFuture->future();
    }
    return submitRequest(targetAddress, targetPort, url, responseFuture);
  }

  void close() {
    if (!isRunning_.exchange(false)) return;
    notifyResponseFuturesOfShutdown();
    group_.shutdownGracefully();
  }

 private:
  std::shared_future<JsonResponse> submitRequest(const std::string& targetAddress, int targetPort, const std::string& url,
                                                 std::shared_ptr<ResponseFuture> responseFuture) {
    std::printf("connecting to %s:%d for GET %s\n", targetAddress.c_str(), targetPort, url.c_str());
    {
      std::lock_guard lock{lock_};
      responseChannelFutures_.insert(responseFuture);  // connect phase
      pendingRequestFutures_.insert(responseFuture);   // whole lifetime
    }
    ResponseFuture* raw = responseFuture.get();
    responseFuture->whenComplete([this, raw] {
      std::lock_guard lock{lock_};
      for (auto it = pendingRequestFutures_.begin(); it != pendingRequestFutures_.end(); ++it)
        if (it->get() == raw) {
          pendingRequestFutures_.erase(it);
          break;
        }
    });
    // bootstrap.connect(): the connect listener runs on the event loop.
    group_.schedule(5ms, [this, responseFuture] {
      {
        std::lock_guard lock{lock_};
        responseChannelFutures_.erase(responseFuture);
      }
      auto channel = std::make_shared<Channel>(Channel{std::make_shared<ClientHandler>(responseFuture)});
      channels_.push_back(channel);
      // writeAndFlush(httpRequest): the JobManager answers in 800 ms.
      group_.schedule(800ms, [channel] { channel->handler->channelRead({200, R"({"status":"RUNNING"})"}); });
    });
    return responseFuture->future();
  }

  void notifyResponseFuturesOfShutdown() {
    std::vector<std::shared_ptr<ResponseFuture>> orphaned;
    {
      std::lock_guard lock{lock_};
      orphaned.assign(responseChannelFutures_.begin(), responseChannelFutures_.end());
      responseChannelFutures_.clear();
      orphaned.insert(orphaned.end(), pendingRequestFutures_.begin(), pendingRequestFutures_.end());
      pendingRequestFutures_.clear();
    }
    for (auto& f : orphaned)
      f->completeExceptionally(std::make_exception_ptr(std::runtime_error("RestClient is already closed")));
  }

  std::atomic<bool> isRunning_{true};
  std::mutex lock_;
  std::set<std::shared_ptr<ResponseFuture>> responseChannelFutures_;
  std::set<std::shared_ptr<ResponseFuture>> pendingRequestFutures_;
  std::vector<std::shared_ptr<Channel>> channels_;
  NioEventLoopGroup group_;
};

}  // namespace flink::rest

int main() {
  flink::rest::RestClient restClient;

  // RestClusterClient#getJobStatus, polled by the CLI.
  std::thread statusPoller{[&restClient] {
    auto response = restClient.sendRequest("jobmanager", 8081, "/jobs/7684be6004e4e955c2a558a9bc463f65/status");
    try {
      auto status = response.get();
      std::printf("job status: %s\n", status.body.c_str());
    } catch (const std::exception& e) {
      std::printf("job status request failed: %s\n", e.what());
    }
  }};

  std::this_thread::sleep_for(50ms);  // the user hits Ctrl-C: the CLI closes its client
  restClient.close();
  statusPoller.join();
  std::puts("client closed");
  return 0;
}
