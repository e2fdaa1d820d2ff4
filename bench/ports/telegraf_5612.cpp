// Port: influxdata/telegraf#5612 ("Fix deadlock when Telegraf is aligning aggregators")
//   Agent.Run() wires a pipeline of goroutines with channels: runInputs
//   gathers metrics until the agent's context is cancelled (SIGTERM) and
//   then closes its output; runAggregators reads that channel, feeds the
//   aggregators and forwards the originals, and runs one goroutine per
//   aggregator which first aligns itself to the agent interval with
//   internal.SleepContext(), then pushes aggregates into the `aggregations`
//   channel every period and closes `aggregations` when it stops. Meanwhile
//   runAggregators itself ranges over `aggregations` and only returns (so
//   that Run can close the outputs' channel) once it is closed. The
//   aggregators' context is cancelled when the inputs' channel is drained.
//   If Telegraf is stopped while an aggregator is still aligning,
//   SleepContext() fails and the aggregator goroutine returns early, without
//   closing `aggregations`: runAggregators waits in its range loop forever,
//   runOutputs waits for a close of its input that never comes, and Run()
//   never returns, so Telegraf does not exit.
// Style: (a) Boost.Asio (io_context with C++20 coroutines via co_spawn for
//   the goroutines, asio::experimental::channel for the metric channels
//   (unbuffered here), channel close() for close(ch), steady_timers for
//   time.Sleep/SleepContext, a timer-based WaitGroup, and a small Context
//   whose cancel() cancels the pending sleeps)
// Bug class: missing close on an early-return path: the consumer's range
//   loop over the channel never ends
// Shape: one aggregator; with round_interval the agent started 250 ms into a
//   1 s interval, so the aggregator sleeps 750 ms to align. SIGTERM arrives
//   at 100 ms: the inputs stop and close their channel, runAggregators'
//   forwarding loop drains it and cancels the aggregators' context, the
//   aligning aggregator returns early, and runAggregators' receive on
//   `aggregations` never completes. main's io_context keeps running until
//   Run() completes, so it never returns.
// Fix: the aggregator goroutine closes `aggregations` on its early-return
//   path as well, so the range loop in runAggregators ends.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/experimental/channel.hpp>

#include <chrono>
#include <cstdio>
#include <exception>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using namespace std::chrono_literals;
using ms = std::chrono::milliseconds;

namespace telegraf {

using error = std::string; // "" is nil
using Executor = asio::any_io_executor;

struct Metric {
  std::string name;
  double value;
};

using MetricChannel = asio::experimental::channel<void(boost::system::error_code, Metric)>;

// context.Context reduced to cancellation of the sleeps waiting on it.
class Context {
public:
  explicit Context(Executor ex) : ex_(ex) {}
  void cancel() {
    if (done_)
      return;
    done_ = true;
    for (asio::steady_timer *t : sleepers_)
      t->cancel();
  }
  // internal.SleepContext: sleeps d, or fails when the context is cancelled.
  awaitable<error> sleep(ms d) {
    if (done_)
      co_return "context canceled";
    asio::steady_timer t(ex_, d);
    sleepers_.insert(&t);
    co_await t.async_wait(asio::as_tuple(use_awaitable));
    sleepers_.erase(&t);
    co_return done_ ? "context canceled" : "";
  }

private:
  Executor ex_;
  bool done_ = false;
  std::set<asio::steady_timer *> sleepers_;
};

// sync.WaitGroup for coroutines on one io_context.
class WaitGroup {
public:
  explicit WaitGroup(Executor ex) : timer_(ex, asio::steady_timer::time_point::max()) {}
  void add(int d) {
    n_ += d;
    if (n_ == 0)
      timer_.cancel();
  }
  void done() { add(-1); }
  awaitable<void> wait() {
    while (n_ > 0)
      co_await timer_.async_wait(asio::as_tuple(use_awaitable));
  }

private:
  asio::steady_timer timer_;
  int n_ = 0;
};

// `defer wg.Done()`
struct doneOnExit {
  WaitGroup &wg;
  ~doneOnExit() { wg.done(); }
};

using TimePoint = std::chrono::system_clock::time_point;

// internal.AlignDuration: how long until the next multiple of interval.
inline ms AlignDuration(TimePoint t, ms interval) {
  ms since = std::chrono::duration_cast<ms>(t.time_since_epoch());
  return interval - since % interval;
}

class RunningAggregator {
public:
  RunningAggregator(std::string name, ms period) : name_(std::move(name)), period_(period) {}
  ms Period() const { return period_; }
  void SetPeriodStart(TimePoint) { sum_ = 0; n_ = 0; }
  bool Add(const Metric &m) {
    sum_ += m.value;
    ++n_;
    return false; // drop_original = false
  }
  // Push hands this period's aggregate to the accumulator's channel.
  awaitable<void> Push(MetricChannel &acc) {
    if (n_ > 0)
      co_await acc.async_send(boost::system::error_code{}, Metric{name_ + "_mean", sum_ / n_},
                              asio::as_tuple(use_awaitable));
    SetPeriodStart({});
  }

private:
  std::string name_;
  ms period_;
  double sum_ = 0;
  int n_ = 0;
};

struct Config {
  ms interval = 1000ms;
  bool roundInterval = true;
  ms gatherInterval = 30ms;
  std::vector<RunningAggregator *> aggregators;
};

class Agent {
public:
  Agent(Executor ex, Config cfg) : ex_(ex), cfg_(std::move(cfg)) {}

  std::function<TimePoint()> now = [] { return std::chrono::system_clock::now(); };

  awaitable<error> Run(Context &ctx) {
    TimePoint startTime = now();
    MetricChannel inputsOut(ex_, 0), aggregatorsOut(ex_, 0);
    WaitGroup wg(ex_);

    wg.add(1);
    asio::co_spawn(ex_, [&]() -> awaitable<void> {
      doneOnExit d{wg};
      co_await runInputs(ctx, inputsOut);
      inputsOut.close();
    }, asio::detached);

    wg.add(1);
    asio::co_spawn(ex_, [&]() -> awaitable<void> {
      doneOnExit d{wg};
      error err = co_await runAggregators(startTime, inputsOut, aggregatorsOut);
      if (!err.empty())
        std::printf("E! aggregators: %s\n", err.c_str());
      aggregatorsOut.close();
    }, asio::detached);

    wg.add(1);
    asio::co_spawn(ex_, [&]() -> awaitable<void> {
      doneOnExit d{wg};
      co_await runOutputs(aggregatorsOut);
    }, asio::detached);

    co_await wg.wait();
    co_return "";
  }

private:
  // runInputs gathers until the context is done.
  awaitable<void> runInputs(Context &ctx, MetricChannel &dst) {
    double v = 40;
    for (;;) {
      if (!(co_await ctx.sleep(cfg_.gatherInterval)).empty())
        co_return;
      co_await dst.async_send(boost::system::error_code{}, Metric{"mem_used_percent", v++},
                              asio::as_tuple(use_awaitable));
    }
  }

  // runAggregators adds metrics to the aggregators and forwards them, and
  // runs the aggregators' periodic push until src is drained.
  awaitable<error> runAggregators(TimePoint startTime, MetricChannel &src, MetricChannel &dst) {
    Context ctx(ex_); // context.WithCancel(context.Background())
    WaitGroup wg(ex_);

    wg.add(1);
    asio::co_spawn(ex_, [&]() -> awaitable<void> {
      doneOnExit d{wg};
      for (;;) {
        auto [ec, metric] = co_await src.async_receive(asio::as_tuple(use_awaitable));
        if (ec)
          break; // src closed
        bool dropOriginal = false;
        for (RunningAggregator *agg : cfg_.aggregators)
          if (agg->Add(metric))
            dropOriginal = true;
        if (!dropOriginal)
          co_await dst.async_send(boost::system::error_code{}, metric, asio::as_tuple(use_awaitable));
      }
      ctx.cancel();
    }, asio::detached);

    MetricChannel aggregations(ex_, 0);
    for (RunningAggregator *agg : cfg_.aggregators) {
      wg.add(1);
      asio::co_spawn(ex_, [&, agg]() -> awaitable<void> {
        doneOnExit d{wg};
        if (cfg_.roundInterval) {
          // Aggregators are aligned to the agent interval regardless of their period.
          error err = co_await ctx.sleep(AlignDuration(startTime, cfg_.interval));
          if (!err.empty())
            co_return;
        }
        agg->SetPeriodStart(startTime);
        co_await push(ctx, *agg, aggregations);
        aggregations.close();
      }, asio::detached);
    }

    for (;;) { // for metric := range aggregations
      auto [ec, metric] = co_await aggregations.async_receive(asio::as_tuple(use_awaitable)); // LEAK
      if (ec)
        break;
      co_await dst.async_send(boost::system::error_code{}, applyProcessors(metric), asio::as_tuple(use_awaitable));
    }

    co_await wg.wait();
    co_return "";
  }

  // push runs the push for a single aggregator every period.
  awaitable<void> push(Context &ctx, RunningAggregator &agg, MetricChannel &acc) {
    for (;;) {
      error err = co_await ctx.sleep(agg.Period());
      co_await agg.Push(acc);
      if (!err.empty())
        co_return;
    }
  }

  Metric applyProcessors(Metric m) { return m; }

  // runOutputs writes until src is closed, then flushes one last time.
  awaitable<void> runOutputs(MetricChannel &src) {
    int written = 0;
    for (;;) {
      auto [ec, metric] = co_await src.async_receive(asio::as_tuple(use_awaitable));
      if (ec)
        break;
      ++written;
    }
    std::printf("outputs: final flush, %d metrics written\n", written);
  }

  Executor ex_;
  Config cfg_;
};

} // namespace telegraf

int main() {
  asio::io_context io;
  auto work = asio::make_work_guard(io);

  telegraf::RunningAggregator basicstats("basicstats", 5000ms);
  telegraf::Config cfg;
  cfg.aggregators = {&basicstats};
  telegraf::Agent agent(io.get_executor(), cfg);
  // The agent starts 250 ms into an interval: the aggregator aligns for 750 ms.
  agent.now = [] { return telegraf::TimePoint(std::chrono::hours(480000) + 250ms); };

  telegraf::Context signalCtx(io.get_executor());
  asio::co_spawn(io, agent.Run(signalCtx), [&](std::exception_ptr, telegraf::error err) {
    std::printf("agent stopped%s%s\n", err.empty() ? "" : ": ", err.c_str());
    work.reset();
  });

  // SIGTERM before the aggregator is aligned.
  asio::steady_timer sigterm(io, 100ms);
  sigterm.async_wait([&](boost::system::error_code) {
    std::printf("received SIGTERM, stopping\n");
    signalCtx.cancel();
  });

  io.run();
  return 0;
}
