// Port: open-telemetry/opentelemetry-go#3924 ("TracerProvider allows calling Tracer() while it's shutting down")
//   (fixes open-telemetry/opentelemetry-go#3890, "Deadlock in trace SDK
//   shutdown".) Since v1.13 sdktrace.TracerProvider.Shutdown() takes the
//   provider's mutex p.mu, sets isShutdown and, still holding it, shuts down
//   every registered span processor. BatchSpanProcessor.Shutdown() closes
//   stopCh and waits (no deadline on context.Background()) for its
//   processQueue goroutine, which drains the queue and exports the last
//   batch. Applications that install their gRPC tracing interceptor on every
//   client connection also trace the OTLP exporter's own connection: the
//   interceptor calls otel.GetTracerProvider().Tracer(...) for each export,
//   and Tracer() takes p.mu. The final export therefore waits for the mutex
//   that Shutdown() holds while Shutdown() waits for the export: the
//   application hangs on exit.
// Style: (d) standard library only (std::thread for the processQueue
//   goroutine, std::mutex + std::condition_variable for the span queue and
//   stop signal, std::async/std::future for Shutdown's wait goroutine,
//   std::once_flag for stopOnce, std::function for the gRPC interceptor)
// Bug class: lock held while waiting for a worker that needs the same lock
//   (re-entry through a callback on another thread)
// Shape: a request handler ends three spans (they stay queued: the batch
//   holds up to 512 spans and the timeout is 5 s), then main calls
//   tp.Shutdown(). The processor's worker drains the queue and exports; the
//   exporter's interceptor asks the provider for a Tracer and blocks on p.mu,
//   which Shutdown() holds while it waits for the worker: main never returns.
// Fix: isShutdown becomes an atomic flag. Shutdown() returns early if it is
//   set, then locks p.mu and sets it with a compare-and-swap before shutting
//   the processors down; Tracer() checks it before taking p.mu and returns a
//   no-op tracer once the provider is shutting down.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

struct Context {  // context.Context reduced to an optional deadline
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

struct ReadOnlySpan {
  std::string name;
  std::string scope;
};

class Tracer {
 public:
  Tracer(std::string scope, bool noop) : scope_(std::move(scope)), noop_(noop) {}
  bool noop() const { return noop_; }
  const std::string& scope() const { return scope_; }

 private:
  std::string scope_;
  bool noop_;
};

class SpanProcessor {
 public:
  virtual ~SpanProcessor() = default;
  virtual void OnEnd(const ReadOnlySpan& s) = 0;
  virtual void Shutdown(const Context& ctx) = 0;
};

class TracerProvider {
 public:
  std::shared_ptr<Tracer> Tracer(const std::string& name) {
    std::lock_guard<std::mutex> lk(mu);  // LEAK
    if (isShutdown) return std::make_shared<::Tracer>(name, true);
    auto& t = namedTracer[name];
    if (!t) t = std::make_shared<::Tracer>(name, false);
    return t;
  }

  void RegisterSpanProcessor(std::shared_ptr<SpanProcessor> sp) {
    std::lock_guard<std::mutex> lk(mu);
    if (isShutdown) return;
    spanProcessors.push_back(std::move(sp));
  }

  void endSpan(const std::shared_ptr<::Tracer>& t, const std::string& name) {
    std::vector<std::shared_ptr<SpanProcessor>> sps;
    {
      std::lock_guard<std::mutex> lk(mu);
      sps = spanProcessors;
    }
    for (auto& sp : sps) sp->OnEnd({name, t->scope()});
  }

  // Shutdown shuts down the span processors in the order they were registered.
  void Shutdown(const Context& ctx) {
    std::lock_guard<std::mutex> lk(mu);
    if (isShutdown) return;
    isShutdown = true;
    for (auto& sp : spanProcessors) sp->Shutdown(ctx);
    spanProcessors.clear();
  }

 private:
  std::mutex mu;
  std::map<std::string, std::shared_ptr<::Tracer>> namedTracer;
  std::vector<std::shared_ptr<SpanProcessor>> spanProcessors;
  bool isShutdown = false;
};

// otel.GetTracerProvider()
TracerProvider* globalProvider = nullptr;
TracerProvider* GetTracerProvider() { return globalProvider; }

// The OTLP exporter's gRPC client, with the application's unary interceptors.
using UnaryClientInterceptor = std::function<void(const std::string& method)>;

class otlpTraceExporter {
 public:
  explicit otlpTraceExporter(std::vector<UnaryClientInterceptor> interceptors)
      : interceptors_(std::move(interceptors)) {}
  void ExportSpans(const std::vector<ReadOnlySpan>& batch) {
    const std::string method = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
    for (auto& ic : interceptors_) ic(method);
    std::printf("exported %zu spans\n", batch.size());
  }
  void Shutdown() { std::printf("exporter: connection closed\n"); }

 private:
  std::vector<UnaryClientInterceptor> interceptors_;
};

class batchSpanProcessor : public SpanProcessor {
 public:
  batchSpanProcessor(std::shared_ptr<otlpTraceExporter> e, std::size_t maxExportBatchSize,
                     std::chrono::milliseconds batchTimeout)
      : e_(std::move(e)), maxExportBatchSize_(maxExportBatchSize), batchTimeout_(batchTimeout) {
    worker_ = std::thread([this] { processQueue(); });
  }
  ~batchSpanProcessor() override {
    if (worker_.joinable()) worker_.join();
  }

  void OnEnd(const ReadOnlySpan& s) override {
    std::lock_guard<std::mutex> lk(mu_);
    if (stopped_) return;
    queue_.push_back(s);
    cv_.notify_all();
  }

  void Shutdown(const Context& ctx) override {
    std::call_once(stopOnce_, [&] {
      auto wait = std::async(std::launch::async, [this] {
        {
          std::lock_guard<std::mutex> lk(mu_);
          stopped_ = true;  // close(bsp.stopCh)
        }
        cv_.notify_all();
        worker_.join();  // bsp.stopWait.Wait()
        e_->Shutdown();
      });
      if (ctx.deadline)
        wait.wait_until(*ctx.deadline);  // case <-ctx.Done()
      else
        wait.wait();  // context.Background() never expires
    });
  }

 private:
  void processQueue() {
    std::unique_lock<std::mutex> lk(mu_);
    for (;;) {
      cv_.wait_for(lk, batchTimeout_, [this] { return stopped_ || queue_.size() >= maxExportBatchSize_; });
      if (!queue_.empty()) {
        std::vector<ReadOnlySpan> batch(queue_.begin(), queue_.end());
        queue_.clear();
        lk.unlock();
        e_->ExportSpans(batch);  // drainQueue / exportSpans
        lk.lock();
      }
      if (stopped_ && queue_.empty()) return;
    }
  }

  std::shared_ptr<otlpTraceExporter> e_;
  std::size_t maxExportBatchSize_;
  std::chrono::milliseconds batchTimeout_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<ReadOnlySpan> queue_;
  bool stopped_ = false;
  std::once_flag stopOnce_;
  std::thread worker_;
};

int main() {
  // otelgrpc.UnaryClientInterceptor(), installed on every gRPC client connection.
  UnaryClientInterceptor otelgrpcInterceptor = [](const std::string& method) {
    auto tracer = GetTracerProvider()->Tracer("go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc");
    if (!tracer->noop()) std::printf("span started for %s\n", method.c_str());
  };

  auto exporter = std::make_shared<otlpTraceExporter>(std::vector<UnaryClientInterceptor>{otelgrpcInterceptor});
  TracerProvider tp;
  tp.RegisterSpanProcessor(std::make_shared<batchSpanProcessor>(exporter, 512, 5000ms));
  globalProvider = &tp;  // otel.SetTracerProvider(tp)

  auto tracer = tp.Tracer("checkout-service");
  for (const char* name : {"GET /cart", "SELECT items", "POST /checkout"}) tp.endSpan(tracer, name);

  tp.Shutdown(Context{});  // defer tp.Shutdown(context.Background())
  std::printf("shut down\n");
  return 0;
}
