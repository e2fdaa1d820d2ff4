// Port: influxdata/kapacitor#2498 ("fix: avoid infinite hang when closing
//   Kakfa writer") (fixes influxdata/kapacitor#2497): the Kafka service keeps
//   one writer per topic in each Cluster. writer.Open() starts a
//   time.Ticker and a pollStats() goroutine that does `for range
//   w.ticker.C`, reading the kafka-go Writer's Stats() on every tick into
//   the expvar counters, and calls wg.Done() when the range ends.
//   writer.Close() calls w.ticker.Stop(), deletes the statistics, closes the
//   kafka-go Writer and waits in w.wg.Wait(). But Ticker.Stop() does not
//   close the ticker's channel, so the range never ends, Done() is never
//   called, and Close() hangs; so does Cluster.Update(), which closes every
//   writer when the broker or TLS settings change (and Cluster.Close()).
// Style: (c) Go-style library (gochan.h: go::chan for the ticker channel,
//   go::WaitGroup for the writer's wg, go::RWMutex for Cluster.mu, go::spawn
//   for the pollStats goroutine; a small time.Ticker over go::chan whose
//   Stop(), as in Go, stops the ticks without closing C)
// Bug class: a range over a channel that is never closed (a stopped ticker);
//   the closer waits for the ranging goroutine in WaitGroup.Wait()
// Shape: WriteMessage("testTopic") creates the topic's writer, whose ticker
//   ticks every 50 ms (1 s upstream) into pollStats(); at 120 ms the config
//   is updated with UseSSL=true, so Cluster.Update() closes the writer: the
//   ticker stops, pollStats() waits in its range over ticker.C forever, and
//   Update() waits in writer.Close()'s wg.Wait() forever, holding Cluster.mu.
// Fix: the writer gets a tickerDone channel; pollStats() selects on
//   ticker.C and tickerDone, and Close() closes tickerDone after stopping
//   the ticker, so the goroutine returns and wg.Wait() completes.
#include "gochan.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

// ---- time.Ticker: C has a buffer of one; Stop() does not close C ----
class Ticker {
  struct state {
    std::mutex m;
    std::condition_variable cv;
    bool stopped = false;
  };
  std::shared_ptr<state> st_ = std::make_shared<state>();
  std::thread runtime_; // the runtime timer that sends the ticks

public:
  go::chan<go::unit> C{1};
  explicit Ticker(std::chrono::milliseconds d) {
    runtime_ = std::thread([st = st_, c = C, d] {
      std::unique_lock lk(st->m);
      while (!st->cv.wait_for(lk, d, [&] { return st->stopped; }))
        go::select(go::case_send(c, go::unit{}), go::case_default()); // drop the tick if C is full
    });
  }
  void Stop() {
    {
      std::lock_guard lk(st_->m);
      st_->stopped = true;
    }
    st_->cv.notify_all();
    if (runtime_.joinable())
      runtime_.join();
  }
  ~Ticker() { Stop(); }
};

// ---- segmentio/kafka-go: the Writer, reduced to its statistics ----
namespace kafka {
struct WriterStats {
  long Messages = 0, Errors = 0;
};
class Writer {
  std::mutex mu_;
  WriterStats stats_;

public:
  explicit Writer(std::string topic) : Topic(std::move(topic)) {}
  std::string Topic;
  void WriteMessages(const std::string &, const std::string &) {
    std::lock_guard lk(mu_);
    ++stats_.Messages;
  }
  // Stats returns the counters accumulated since the last call and resets them.
  WriterStats Stats() {
    std::lock_guard lk(mu_);
    WriterStats s = stats_;
    stats_ = {};
    return s;
  }
  void Close() {}
};
} // namespace kafka

// ---- server/vars: the expvar statistics registry ----
namespace vars {
std::mutex mu;
std::map<std::string, std::map<std::string, std::atomic<long> *>> stats;
std::string NewStatistic(const std::string &name, const std::string &tags) {
  std::lock_guard lk(mu);
  std::string key = name + "," + tags;
  stats[key];
  return key;
}
void DeleteStatistic(const std::string &key) {
  std::lock_guard lk(mu);
  stats.erase(key);
}
} // namespace vars

// ---- services/kafka ----
struct Config {
  std::string ID;
  std::vector<std::string> Brokers;
  bool UseSSL = false;
};

bool configChanged(const Config &old, const Config &nw) { return old.Brokers != nw.Brokers || old.UseSSL != nw.UseSSL; }

// writer wraps a kafka.Writer and tracks stats
struct writer {
  std::atomic<long> messageCount{0}, errorCount{0};
  std::unique_ptr<kafka::Writer> kafka;
  std::string cluster, topic;
  go::WaitGroup wg;
  std::string statsKey;
  std::unique_ptr<Ticker> ticker;
  go::chan<go::unit> tickerDone;

  void Open() {
    statsKey = vars::NewStatistic("kafka", "cluster=" + cluster + ",topic=" + topic);
    ticker = std::make_unique<Ticker>(std::chrono::milliseconds(50));
    tickerDone = go::chan<go::unit>(1);
    wg.add(1);
    go::spawn([this] {
      pollStats();
      wg.done(); // defer w.wg.Done()
    });
  }

  void Close() {
    ticker->Stop();
    tickerDone.close();
    vars::DeleteStatistic(statsKey);
    kafka->Close();
    wg.wait();
  }

  // pollStats periodically reads the writer Stats and accumulates the results.
  void pollStats() {
    for (;;) {
      if (go::select(go::case_recv(ticker->C), go::case_recv(tickerDone)) == 1)
        return; // case <-w.tickerDone
      kafka::WriterStats stats = kafka->Stats();
      messageCount += stats.Messages;
      errorCount += stats.Errors;
    }
  }
};

class Cluster {
  go::RWMutex mu;
  Config cfg;
  std::map<std::string, std::unique_ptr<writer>> writers;

  writer *getWriter(const std::string &topic) {
    mu.rlock();
    auto it = writers.find(topic);
    writer *w = it == writers.end() ? nullptr : it->second.get();
    mu.runlock();
    if (w)
      return w;
    mu.lock();
    auto &slot = writers[topic];
    if (!slot) {
      slot = std::make_unique<writer>();
      slot->kafka = std::make_unique<kafka::Writer>(topic);
      slot->cluster = cfg.ID;
      slot->topic = topic;
      slot->Open();
    }
    w = slot.get();
    mu.unlock();
    return w;
  }

  void clearWriters() {
    for (auto it = writers.begin(); it != writers.end();) {
      it->second->Close();
      it = writers.erase(it);
    }
  }

public:
  explicit Cluster(Config c) : cfg(std::move(c)) {}

  void WriteMessage(const std::string &topic, const std::string &key, const std::string &msg) {
    getWriter(topic)->kafka->WriteMessages(key, msg);
  }

  void Update(const Config &c) {
    mu.lock();
    if (configChanged(cfg, c))
      clearWriters();
    cfg = c;
    mu.unlock();
  }

  void Close() {
    mu.lock();
    clearWriters();
    mu.unlock();
  }
};

int main() {
  Config c{"default", {"localhost:9092"}, false};
  Cluster cluster(c);

  // An alert handler writes a message, which creates the topic's writer.
  cluster.WriteMessage("testTopic", "alert-1", "{\"level\":\"CRITICAL\"}");
  go::sleep_ms(120);

  // The config changes in a way that requires shutting down all active writers.
  c.UseSSL = true;
  cluster.Update(c);
  std::printf("cluster updated\n");

  cluster.Close();
  go::wait_all_goroutines();
  return 0;
}
