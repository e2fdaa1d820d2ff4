// Port: yuzu-emu/yuzu#12019 ("audio_core: ignore renderer wait when stream is paused")
//   yuzu's ADSP audio renderer, a std::jthread answering Render messages
//   from the ADSP mailbox, calls SinkStream::WaitFreeSpace(stop_token) before
//   rendering; over max_queue_size + 3 queued buffers it waits on release_cv
//   (with its stop_token) for the sink callback to play them. On finalization
//   the sink streams are paused with data still queued: no callback releases
//   a buffer any more and the renderer's stop_token is requested only later
//   in the shutdown, so "the renderer might then block forever and prevent
//   shutdown" (a persistent shutdown deadlock on Android).
// Style: (d) standard library only, C++20 (yuzu's idiom: std::jthread loops on std::stop_token, condition_variable_any::wait with a stop_token, an ADSP mailbox of blocking queues; AudioRenderer, SinkStream/CubebSinkStream and SystemManager reduced)
// Bug class: condition wait whose predicate only a party stopped earlier can make true; the stop_token it also honours is requested only after it returns
// Shape: the SystemManager thread sends Render and waits for the response,
//   frame after frame; the sink plays one buffer per period. Emulation
//   stops: the frontend pauses the sink stream (its callback thread stops),
//   then stops the SystemManager (request_stop + join). The renderer queues
//   until it is over max_queue_size + 3, then waits in WaitFreeSpace()
//   forever; the SystemManager waits for its RenderResponse forever.
// Fix: stopping the stream sets `paused` under release_mutex and notifies
//   release_cv (SignalPause()); WaitFreeSpace() returns while it is paused.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <stop_token>
#include <thread>

using namespace std::chrono_literals;
using u32 = std::uint32_t;

namespace AudioCore::Sink {

class SinkStream {
public:
  void AppendBuffer() { // the renderer queued one buffer
    std::scoped_lock lk{release_mutex};
    ++queued_buffers;
  }

  void ProcessAudioOutAndRender() { // the backend plays one buffer
    std::scoped_lock lk{release_mutex};
    if (queued_buffers == 0)
      return; // underrun: repeat the last frame
    --queued_buffers;
    release_cv.notify_one();
  }

  void WaitFreeSpace(std::stop_token stop_token) {
    std::unique_lock lk{release_mutex};
    auto can_continue = [this] { return queued_buffers < max_queue_size; };
    release_cv.wait_for(lk, 5ms, can_continue);
    if (queued_buffers > max_queue_size + 3) {
      release_cv.wait(lk, stop_token, can_continue); // LEAK: the stream is paused, no callback will release a buffer, and the stop_token is requested only after this render
    }
  }

protected:
  static constexpr u32 max_queue_size = 2;
  std::mutex release_mutex;
  std::condition_variable_any release_cv;
  u32 queued_buffers{};
  std::atomic<bool> paused{true};
};

// The cubeb backend: its audio thread calls back once per period.
class CubebSinkStream final : public SinkStream {
public:
  void Start() {
    paused = false;
    callback_thread = std::jthread([this](std::stop_token stop) {
      while (!stop.stop_requested()) {
        std::this_thread::sleep_for(10ms);
        ProcessAudioOutAndRender();
      }
    });
  }
  void Stop() {
    paused = true;
    callback_thread.request_stop(); // cubeb_stream_stop(): no callback
    callback_thread.join();         // runs after it returns
  }

private:
  std::jthread callback_thread;
};

} // namespace AudioCore::Sink

namespace AudioCore::ADSP {

enum class Direction { Host, DSP };
enum Message : u32 { Shutdown = 2, Render, RenderResponse };

class Mailbox {
public:
  void Send(Direction dir, u32 message) {
    Queue &q = dir == Direction::Host ? host : dsp;
    std::scoped_lock lk{q.mutex};
    q.messages.push_back(message);
    q.cv.notify_one();
  }
  u32 Receive(Direction dir) {
    Queue &q = dir == Direction::Host ? host : dsp;
    std::unique_lock lk{q.mutex};
    q.cv.wait(lk, [&] { return !q.messages.empty(); }); // LEAK: (the SystemManager's Wait()) the renderer never gets to send RenderResponse
    const u32 message = q.messages.front();
    q.messages.pop_front();
    return message;
  }

private:
  struct Queue {
    std::mutex mutex;
    std::condition_variable cv;
    std::deque<u32> messages;
  };
  Queue host, dsp;
};

class AudioRenderer {
public:
  explicit AudioRenderer(Sink::SinkStream &stream_) : stream{stream_} {}
  void Start() {
    main_thread = std::jthread([this](std::stop_token stop_token) { Main(stop_token); });
  }
  void Stop() {
    mailbox.Send(Direction::DSP, Message::Shutdown);
    mailbox.Receive(Direction::Host); // the ADSP acknowledges the shutdown
    main_thread.request_stop();
    main_thread.join();
  }
  void Signal() { mailbox.Send(Direction::DSP, Message::Render); }
  void Wait() { mailbox.Receive(Direction::Host); } // RenderResponse

private:
  void Main(std::stop_token stop_token) {
    while (!stop_token.stop_requested()) {
      switch (mailbox.Receive(Direction::DSP)) {
      case Message::Shutdown:
        mailbox.Send(Direction::Host, Message::Shutdown);
        return;
      case Message::Render:
        stream.WaitFreeSpace(stop_token);
        stream.AppendBuffer(); // CommandListProcessor::Process() renders into it
        mailbox.Send(Direction::Host, Message::RenderResponse);
      }
    }
  }

  Sink::SinkStream &stream;
  Mailbox mailbox;
  std::jthread main_thread;
};

} // namespace AudioCore::ADSP

namespace AudioCore {
// AudioRenderer::SystemManager: drives the ADSP once per audio frame.
class SystemManager {
public:
  explicit SystemManager(ADSP::AudioRenderer &adsp_) : adsp{adsp_} {}
  void Start() {
    thread = std::jthread([this](std::stop_token stop_token) {
      while (!stop_token.stop_requested()) {
        adsp.Signal();
        adsp.Wait();
      }
    });
  }
  void Stop() {
    thread.request_stop();
    thread.join(); // LEAK: the SystemManager thread waits for a RenderResponse that never comes
  }

private:
  ADSP::AudioRenderer &adsp;
  std::jthread thread;
};

} // namespace AudioCore

int main() {
  AudioCore::Sink::CubebSinkStream stream;
  AudioCore::ADSP::AudioRenderer adsp{stream};
  AudioCore::SystemManager manager{adsp};
  stream.Start(), adsp.Start(), manager.Start();
  std::this_thread::sleep_for(60ms); // the game plays
  stream.Stop(); // emulation stops: the sinks are paused, then the audio core stops
  manager.Stop();
  adsp.Stop();
}
