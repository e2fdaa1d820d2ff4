// Port: mamedev/mame#15669 ("osd/sound/coreaudio_sound.cpp: fix a deadlock on exit")
//   MAME's CoreAudio sound module keeps one coreaudio_stream per output
//   stream: the emulation thread pushes samples into the stream's ring
//   buffer under m_stream_mutex (stream_sink_update), and the CoreAudio I/O
//   thread pulls them out in the render callback (sink_render), also under
//   m_stream_mutex. On exit coreaudio_stream::close() took m_stream_mutex and
//   then called AUGraphStop(). AUGraphStop blocks until the I/O thread has
//   finished any in-flight render callback, and that callback was itself
//   waiting for m_stream_mutex: close() waited for the callback, the callback
//   waited for the mutex, and MAME hung on exit.
// Style: (d) standard library only: the CoreAudio graph is reduced to a
//   small shim whose I/O thread is a std::thread firing the render callback
//   every I/O cycle; AUGraphStop() waits on a std::condition_variable for
//   the in-flight cycle to end and joins it; the stream uses std::mutex +
//   std::lock_guard as MAME does
// Bug class: lock held while waiting: the closer holds the mutex the
//   callback it waits for needs
// Shape: main is the emulation thread: it pushes 10 ms frames for 100 ms,
//   then exits and closes the stream. close() takes m_stream_mutex and
//   (forcing: 30 ms of teardown bookkeeping) only then stops the graph; the
//   I/O thread (8 ms cycle) has meanwhile entered a render cycle and blocks
//   on m_stream_mutex, and AUGraphStop() waits for that cycle forever.
// Fix: close() stops the graph first (which quiesces the I/O thread, so no
//   further callbacks fire) and takes m_stream_mutex only for the rest of
//   the teardown.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

// ---- AudioToolbox, reduced: a graph whose I/O thread renders every cycle ----
typedef int32_t OSStatus;
constexpr OSStatus noErr = 0;
typedef OSStatus (*AURenderCallback)(void* refcon, uint32_t number_frames, int16_t* data);

struct OpaqueAUGraph {
  AURenderCallback callback = nullptr;
  void* refcon = nullptr;
  std::mutex hal_mutex;  // the HAL's IOContext lock
  std::condition_variable hal_cv;
  bool running = false;
  bool in_render = false;
  std::thread io_thread;
};
typedef OpaqueAUGraph* AUGraph;

static void io_thread_proc(AUGraph graph) {
  std::vector<int16_t> buffer(2 * 384);
  std::unique_lock<std::mutex> hal(graph->hal_mutex);
  while (graph->running) {
    graph->in_render = true;
    hal.unlock();
    graph->callback(graph->refcon, 384, buffer.data());
    hal.lock();
    graph->in_render = false;
    graph->hal_cv.notify_all();
    graph->hal_cv.wait_for(hal, 8ms);  // next I/O cycle
  }
}

static OSStatus NewAUGraph(AUGraph* graph) {
  *graph = new OpaqueAUGraph();
  return noErr;
}
static OSStatus AUGraphSetNodeInputCallback(AUGraph graph, AURenderCallback cb, void* refcon) {
  graph->callback = cb;
  graph->refcon = refcon;
  return noErr;
}
static OSStatus AUGraphStart(AUGraph graph) {
  std::lock_guard<std::mutex> hal(graph->hal_mutex);
  graph->running = true;
  graph->io_thread = std::thread(io_thread_proc, graph);
  return noErr;
}
// Blocks until the I/O thread has finished any in-flight render callback.
static OSStatus AUGraphStop(AUGraph graph) {
  {
    std::unique_lock<std::mutex> hal(graph->hal_mutex);
    graph->running = false;
    graph->hal_cv.notify_all();
    graph->hal_cv.wait(hal, [graph] { return !graph->in_render; });
  }
  if (graph->io_thread.joinable()) graph->io_thread.join();
  return noErr;
}
static OSStatus DisposeAUGraph(AUGraph graph) {
  delete graph;
  return noErr;
}

// ---- osd/modules/sound/coreaudio_sound.cpp, reduced ----
namespace osd {
namespace {

class coreaudio_stream {
 public:
  explicit coreaudio_stream(uint32_t buffer_frames)
      : m_buffer_size(buffer_frames * 2), m_buffer(std::make_unique<int16_t[]>(buffer_frames * 2)) {}

  bool open() {
    if (NewAUGraph(&m_graph) != noErr) return false;
    AUGraphSetNodeInputCallback(m_graph, &coreaudio_stream::render_callback, this);
    return AUGraphStart(m_graph) == noErr;
  }

  void close() {
    std::lock_guard<std::mutex> lock(m_stream_mutex);
    std::this_thread::sleep_for(30ms);  // forcing: teardown bookkeeping under the lock
    AUGraphStop(m_graph);
    DisposeAUGraph(m_graph);
    m_graph = nullptr;
    m_buffer.reset();
    std::printf("Sound buffer: overflows=%u underflows=%u\n", m_overflows, m_underflows);
  }

  // Emulation thread: push one frame of interleaved stereo samples.
  void stream_sink_update(int16_t const* buffer, int samples_this_frame) {
    std::lock_guard<std::mutex> lock(m_stream_mutex);
    if (!m_buffer) return;
    uint32_t const count = samples_this_frame * 2;
    if (count >= m_buffer_size - m_used) {
      m_overflows++;
      return;
    }
    for (uint32_t i = 0; i < count; i++) m_buffer[(m_writepos + i) % m_buffer_size] = buffer[i];
    m_writepos = (m_writepos + count) % m_buffer_size;
    m_used += count;
  }

 private:
  // CoreAudio I/O thread: pull samples for the hardware.
  OSStatus sink_render(uint32_t number_frames, int16_t* data) {
    std::lock_guard<std::mutex> lock(m_stream_mutex); // LEAK: close() holds it while AUGraphStop() waits for this callback
    if (!m_buffer) return noErr;
    uint32_t const want = number_frames * 2;
    uint32_t const have = std::min(want, m_used);
    for (uint32_t i = 0; i < have; i++) data[i] = m_buffer[(m_playpos + i) % m_buffer_size];
    std::memset(data + have, 0, (want - have) * sizeof(int16_t));
    if (have < want) m_underflows++;
    m_playpos = (m_playpos + have) % m_buffer_size;
    m_used -= have;
    return noErr;
  }

  static OSStatus render_callback(void* refcon, uint32_t number_frames, int16_t* data) {
    return static_cast<coreaudio_stream*>(refcon)->sink_render(number_frames, data);
  }

  AUGraph m_graph = nullptr;
  std::mutex m_stream_mutex;
  uint32_t m_buffer_size;
  std::unique_ptr<int16_t[]> m_buffer;
  uint32_t m_playpos = 0;
  uint32_t m_writepos = 0;
  uint32_t m_used = 0;
  unsigned m_overflows = 0;
  unsigned m_underflows = 0;
};

class sound_coreaudio {
 public:
  int init() {
    m_stream = std::make_unique<coreaudio_stream>(48000 / 5);
    return m_stream->open() ? 0 : -1;
  }
  void exit() {
    if (m_stream) m_stream->close();
    m_stream.reset();
  }
  void stream_sink_update(int16_t const* buffer, int samples) { m_stream->stream_sink_update(buffer, samples); }

 private:
  std::unique_ptr<coreaudio_stream> m_stream;
};

}  // namespace
}  // namespace osd

int main() {
  osd::sound_coreaudio sound;
  if (sound.init() != 0) return 1;

  // The emulation thread produces 10 ms of 48 kHz stereo per frame.
  std::vector<int16_t> frame(2 * 480);
  for (size_t i = 0; i < frame.size(); i++) frame[i] = int16_t((i * 97) % 2000 - 1000);
  for (int f = 0; f < 10; f++) {
    sound.stream_sink_update(frame.data(), 480);
    std::this_thread::sleep_for(10ms);
  }

  sound.exit();  // the user quits MAME
  std::printf("audio shut down\n");
  return 0;
}
