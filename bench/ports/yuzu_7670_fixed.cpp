// Port: yuzu-emu/yuzu#7670 ("gpu: Add shut down method to synchronize threads before destruction")
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
//   (alternative to #7668, same goal: "avoiding hangs on the vsync thread
//   when stopping emulation"): NVFlinger's VSync thread is a std::jthread
//   whose loop checks its stop_token between frames, and ~NVFlinger relies
//   on the jthread's request_stop() + join(). But composing a frame calls
//   GPU::WaitFence(), a plain condition_variable wait for a syncpoint value
//   that ignores the stop_token. When emulation stops, the GPU thread stops
//   rendering, the fence of the frame being composed is never reached, and
//   the VSync thread never gets back to its stop_token check: stopping
//   emulation hangs in the jthread's join.
// Style: (d) standard library only, C++20 (yuzu's idiom: std::jthread with std::stop_token loops, condition_variable_any::wait with a stop_token on the GPU thread's queue, a plain condition_variable for syncpoints; Tegra::GPU, NVFlinger, System::Shutdown())
// Bug class: std::jthread whose loop honours its stop_token but blocks in a wait that ignores it (no notify on shutdown)
// Shape: the game submits two command lists, the second one signalling
//   syncpoint 0 to value 2, and queues a buffer fenced on that value; the
//   VSync thread composes it and waits in WaitFence(0, 2). The user stops
//   emulation while the GPU renders the first list: System::Shutdown() stops
//   the GPU thread (which leaves after the list it is on, syncpoint at 1),
//   then destroys NVFlinger, whose jthread requests stop and joins the VSync
//   thread, still waiting for the fence.
// Fix: GPU::NotifyShutdown() sets shutting_down under sync_mutex and wakes
//   sync_cv; WaitFence() also returns when shutting_down is set; System's
//   shutdown calls it before tearing the services down.
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>

using namespace std::chrono_literals;
using u32 = uint32_t;

namespace Tegra {

struct CommandList {
  u32 syncpoint_id;
  u32 fence_value;
};

class GPU {
public:
  void Start() {
    gpu_thread = std::jthread([this](std::stop_token stop_token) { RunThread(stop_token); });
  }
  void Stop() {
    gpu_thread.request_stop();
    if (gpu_thread.joinable())
      gpu_thread.join();
  }

  void PushGPUEntries(CommandList entries) {
    {
      std::scoped_lock lock{queue_mutex};
      queue.push_back(entries);
    }
    queue_cv.notify_one();
  }

  void WaitFence(u32 syncpoint_id, u32 value) {
    std::unique_lock lock{sync_mutex};
    sync_cv.wait(lock, [=, this] { return syncpoints.at(syncpoint_id).load() >= value || shutting_down; });
  }

  void NotifyShutdown() {
    std::unique_lock lock{sync_mutex};
    shutting_down.store(true, std::memory_order::relaxed);
    sync_cv.notify_all();
  }

  void IncrementSyncPoint(u32 syncpoint_id) {
    std::scoped_lock lock{sync_mutex};
    syncpoints.at(syncpoint_id)++;
    sync_cv.notify_all();
  }

private:
  void RunThread(std::stop_token stop_token) {
    while (!stop_token.stop_requested()) {
      CommandList next;
      {
        std::unique_lock lock{queue_mutex};
        if (!queue_cv.wait(lock, stop_token, [this] { return !queue.empty(); }))
          return;
        next = queue.front();
        queue.pop_front();
      }
      std::this_thread::sleep_for(20ms); // execute the command list
      while (syncpoints.at(next.syncpoint_id).load() < next.fence_value)
        IncrementSyncPoint(next.syncpoint_id);
    }
  }

  std::array<std::atomic<u32>, 4> syncpoints{};
  std::mutex sync_mutex;
  std::condition_variable sync_cv;
  std::atomic<bool> shutting_down{false};

  std::mutex queue_mutex;
  std::condition_variable_any queue_cv;
  std::deque<CommandList> queue;
  std::jthread gpu_thread;
};

} // namespace Tegra

namespace Service::NVFlinger {

struct Fence {
  u32 id;
  u32 value;
};

class NVFlinger {
public:
  explicit NVFlinger(Tegra::GPU &gpu_) : gpu(gpu_) {
    vsync_thread = std::jthread([this](std::stop_token stop_token) { SplitVSync(stop_token); });
  }
  // ~jthread requests stop and joins the VSync thread.
  ~NVFlinger() = default;

  void QueueBuffer(Fence fence) {
    std::scoped_lock lock{buffer_mutex};
    buffer_queue.push_back(fence);
  }

private:
  void SplitVSync(std::stop_token stop_token) {
    while (!stop_token.stop_requested()) {
      Compose();
      std::this_thread::sleep_for(2ms); // wait for the next vsync
    }
  }

  void Compose() {
    std::optional<Fence> buffer;
    {
      std::scoped_lock lock{buffer_mutex};
      if (!buffer_queue.empty()) {
        buffer = buffer_queue.front();
        buffer_queue.pop_front();
      }
    }
    if (!buffer)
      return;
    // Wait for the GPU to be idle (exhaust syncpoints)
    gpu.WaitFence(buffer->id, buffer->value);
    ++frames_presented;
  }

  Tegra::GPU &gpu;
  std::mutex buffer_mutex;
  std::deque<Fence> buffer_queue;
  std::atomic<int> frames_presented{0};
  std::jthread vsync_thread;
};

} // namespace Service::NVFlinger

class System {
public:
  void Run() {
    gpu_core.Start();
    nv_flinger = std::make_unique<Service::NVFlinger::NVFlinger>(gpu_core);
  }
  void SubmitFrame() {
    gpu_core.PushGPUEntries({0, 1});
    gpu_core.PushGPUEntries({0, 2});
    nv_flinger->QueueBuffer({0, 2});
  }
  void Shutdown() {
    gpu_core.Stop();
    gpu_core.NotifyShutdown();
    nv_flinger.reset();
  }

private:
  Tegra::GPU gpu_core;
  std::unique_ptr<Service::NVFlinger::NVFlinger> nv_flinger;
};

int main() {
  System system;
  system.Run();
  system.SubmitFrame();
  std::this_thread::sleep_for(10ms); // the GPU is executing the first command list
  system.Shutdown();                 // Emulation > Stop
  return 0;
}
