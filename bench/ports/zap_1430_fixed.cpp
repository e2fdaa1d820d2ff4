// Port: uber-go/zap#1430 ("Fix deadlock when Stop and flush race")
//   (fixes uber-go/zap#1428): zapcore.BufferedWriteSyncer buffers log writes
//   in a bufio.Writer guarded by s.mu. On the first Write() it initializes
//   itself: a ticker from its Clock and a flushLoop() goroutine that calls
//   s.Sync() (which locks s.mu) on every tick, and returns, closing s.done,
//   when s.stop is closed. Stop() takes s.mu, stops the ticker, closes
//   s.stop and then waits for `<-s.done` still inside that critical
//   section. If the ticker fired just before, flushLoop() is already in the
//   tick branch and blocks in Sync() on the mutex Stop() holds, so it never
//   returns to see s.stop, s.done is never closed, and Stop() (the
//   application's `defer ws.Stop()` at exit) hangs forever.
// Style: (c) Go-style library (gochan.h: go::Mutex for s.mu, go::chan for
//   s.stop, s.done and the ticker channel, go::select for flushLoop,
//   go::spawn for the goroutine; a small time.Ticker over go::chan returned
//   by the Clock)
// Bug class: a mutex held while waiting for a goroutine that needs that
//   mutex to finish (wait-for-exit inside the critical section)
// Shape: the first Info() at 0 ms starts the ticker (100 ms) and flushLoop();
//   at 100 ms flushLoop() takes the tick and is preempted before Sync()
//   (forced with a 150 ms sleep); at 150 ms main logs its last line and calls
//   Stop(), which locks s.mu, stops the ticker, closes s.stop and waits on
//   s.done; at 250 ms flushLoop() calls Sync() and blocks on s.mu forever.
// Fix: Stop() only marks itself stopped, stops the ticker and closes s.stop
//   under the lock; it waits for s.done after unlocking ("as it may need the
//   lock to complete") and then calls Sync().
#include "gochan.h"

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

using error = std::string; // "" is nil

// ---- time.Ticker: C has a buffer of one; Stop() does not close C ----
class Ticker {
  struct state {
    std::mutex m;
    std::condition_variable cv;
    bool stopped = false;
  };
  std::shared_ptr<state> st_ = std::make_shared<state>();
  std::thread runtime_;

public:
  go::chan<go::unit> C{1};
  explicit Ticker(std::chrono::milliseconds d) {
    runtime_ = std::thread([st = st_, c = C, d] {
      std::unique_lock lk(st->m);
      while (!st->cv.wait_for(lk, d, [&] { return st->stopped; }))
        go::select(go::case_send(c, go::unit{}), go::case_default());
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

// zapcore.Clock
struct Clock {
  std::unique_ptr<Ticker> NewTicker(std::chrono::milliseconds d) { return std::make_unique<Ticker>(d); }
};

// zapcore.WriteSyncer: the log file
struct WriteSyncer {
  std::string contents;
  error Write(const std::string &p) {
    contents += p;
    return "";
  }
  error Sync() { return ""; } // fsync
};

// bufio.Writer
struct BufioWriter {
  WriteSyncer *ws;
  std::string buf;
  void Write(const std::string &p) { buf += p; }
  error Flush() {
    error err = ws->Write(buf);
    buf.clear();
    return err;
  }
};

// zapcore.BufferedWriteSyncer
class BufferedWriteSyncer {
public:
  WriteSyncer *WS = nullptr;
  std::chrono::milliseconds FlushInterval{30000};
  Clock *clock = nullptr;

  error Write(const std::string &bs) {
    std::lock_guard<go::Mutex> lk(mu);
    if (!initialized)
      initialize();
    writer.Write(bs);
    return "";
  }

  // Sync flushes buffered log data into disk directly.
  error Sync() {
    std::lock_guard<go::Mutex> lk(mu);
    error err;
    if (initialized)
      err = writer.Flush();
    if (err.empty())
      err = WS->Sync();
    return err;
  }

  // Stop closes the buffer, cleans up background goroutines, and flushes
  // remaining unwritten data.
  error Stop() {
    // Critical section.
    bool stopped = [&] {
      std::lock_guard<go::Mutex> lk(mu);
      if (!initialized)
        return false;
      if (this->stopped)
        return false;
      this->stopped = true;
      ticker->Stop();
      stop.close(); // tell flushLoop to stop
      return true;
    }();
    // Not initialized, or already stopped, no need for any cleanup.
    if (!stopped)
      return "";
    // Wait for flushLoop to end outside of the lock, as it may need the lock
    // to complete.
    done.recv();
    return Sync();
  }

private:
  go::Mutex mu;
  bool initialized = false;
  bool stopped = false;
  BufioWriter writer;
  std::unique_ptr<Ticker> ticker;
  go::chan<go::unit> stop, done;

  void initialize() {
    ticker = clock->NewTicker(FlushInterval);
    writer = BufioWriter{WS, {}};
    stop = go::chan<go::unit>();
    done = go::chan<go::unit>();
    initialized = true;
    go::spawn([this] { flushLoop(); });
  }

  // flushLoop flushes the buffer at the configured interval until Stop is called.
  void flushLoop() {
    for (;;) {
      if (go::select(go::case_recv(ticker->C), go::case_recv(stop)) == 1)
        break; // case <-s.stop
      go::sleep_ms(150); // schedule forcing: preempted between the tick and Sync()
      (void)Sync(); // errors are kept by the bufio writer and returned by Stop()
    }
    done.close(); // defer close(s.done)
  }
};

// zap.Logger reduced to a JSON core writing into the syncer
struct Logger {
  BufferedWriteSyncer *ws;
  void Info(const std::string &msg) { ws->Write("{\"level\":\"info\",\"msg\":\"" + msg + "\"}\n"); }
};

int main() {
  WriteSyncer file;
  Clock clock;
  BufferedWriteSyncer ws;
  ws.WS = &file;
  ws.FlushInterval = std::chrono::milliseconds(100);
  ws.clock = &clock;
  Logger logger{&ws};

  logger.Info("service starting");
  go::sleep_ms(150);
  logger.Info("service stopping");
  error err = ws.Stop(); // defer ws.Stop()
  std::printf("stopped (%s), wrote %zu bytes\n", err.empty() ? "ok" : err.c_str(), file.contents.size());
  go::wait_all_goroutines();
  return 0;
}
