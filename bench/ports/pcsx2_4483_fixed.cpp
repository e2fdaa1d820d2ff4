// Port: PCSX2/pcsx2#4483 ("MTVU: Fix freeze on shutdown")
//   The multi-threaded GS (MTGS) thread consumes a ring buffer of GIF packets
//   that the EE thread and the multi-threaded VU1 (MTVU) thread append to,
//   each SendDataPacket() posting the MTGS work semaphore. After an XGKICK
//   the MTVU thread calls GetMTGS().WaitGS() and sleeps until the MTGS has
//   emptied the ring buffer. On shutdown the core thread cancels the MTGS
//   thread first; the MTGS loop honours the cancel request between packets,
//   so it exits with packets (including the MTVU's) still queued. Nobody
//   will ever empty the ring buffer again: the MTVU thread waits in WaitGS()
//   forever and the core thread's join of the MTVU thread never returns,
//   freezing the emulator on exit.
// Style: (d) standard library (std::thread for the MTGS/MTVU/core threads, a
//   Threading::KernelSemaphore class (mutex + condition variable), an atomic
//   read/write position ring buffer with its own empty condition variable)
// Bug class: shutdown order: waiter on a queue whose consumer thread already exited with work pending
// Shape: the EE queues three 60 ms GS packets; at 20 ms the MTVU thread
//   queues its PATH1 packet and calls WaitGS(). At 90 ms the core thread
//   shuts down: it cancels the MTGS thread, which stops after its second
//   packet with two packets left, then cancels the MTVU thread and joins it;
//   the MTVU thread never leaves WaitGS() and the join hangs.
// Fix: the MTGS thread no longer stops while it has work in its queue: the
//   cancel request is only honoured once the ring buffer is empty (after the
//   empty notification), so WaitGS() returns and the MTVU thread can exit.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace Threading {
// common/Semaphore.cpp
class KernelSemaphore {
public:
  void Post() {
    std::lock_guard lk(m_mutex);
    ++m_count;
    m_cv.notify_one();
  }
  void Wait() {
    std::unique_lock lk(m_mutex);
    m_cv.wait(lk, [this] { return m_count > 0; });
    --m_count;
  }

private:
  std::mutex m_mutex;
  std::condition_variable m_cv;
  int m_count = 0;
};

inline void Sleep(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }
} // namespace Threading

enum GIF_PATH { GIF_PATH_1 = 0, GIF_PATH_2, GIF_PATH_3 };

struct GSPacket {
  GIF_PATH path;
  std::string what;
  int cost_ms;
};

// pcsx2/MTGS.cpp
class SysMtgsThread {
public:
  void Start() { m_thread = std::thread([this] { ExecuteTaskInThread(); }); }

  void SendDataPacket(GSPacket p) {
    {
      std::lock_guard lk(m_mtx_RingBuffer);
      m_RingBuffer.push_back(std::move(p));
      m_WritePos.fetch_add(1);
    }
    m_sem_event.Post();
  }

  // Waits for the GS thread to finish every packet queued so far.
  void WaitGS() {
    std::unique_lock lk(m_mtx_RingBuffer);
    m_cv_empty.wait(lk, [this] { return m_ReadPos.load() == m_WritePos.load(); });
  }

  void Cancel() {
    m_shutdown_requested = true;
    m_sem_event.Post();
    m_thread.join();
    std::printf("MTGS: thread stopped (read=%d write=%d)\n", m_ReadPos.load(), m_WritePos.load());
  }

private:
  bool PopPacket(GSPacket &out) {
    std::lock_guard lk(m_mtx_RingBuffer);
    if (m_RingBuffer.empty())
      return false;
    out = m_RingBuffer.front();
    return true;
  }
  void CommitPacket() {
    std::lock_guard lk(m_mtx_RingBuffer);
    m_RingBuffer.pop_front();
    m_ReadPos.fetch_add(1);
    if (m_ReadPos.load() == m_WritePos.load())
      m_cv_empty.notify_all();
  }

  void ExecuteTaskInThread() {
    for (;;) {
      m_sem_event.Wait();
      GSPacket packet;
      while (PopPacket(packet)) {
        Threading::Sleep(packet.cost_ms); // GSgifTransfer
        CommitPacket();
      }
      // Only stop with an empty queue: a WaitGS() caller may be waiting on it.
      if (m_shutdown_requested)
        return;
    }
  }

  std::thread m_thread;
  std::mutex m_mtx_RingBuffer;
  std::condition_variable m_cv_empty;
  std::deque<GSPacket> m_RingBuffer;
  std::atomic<int> m_ReadPos{0}, m_WritePos{0};
  Threading::KernelSemaphore m_sem_event;
  std::atomic<bool> m_shutdown_requested{false};
};

static SysMtgsThread mtgsThread;
SysMtgsThread &GetMTGS() { return mtgsThread; }

// pcsx2/MTVU.cpp
class VU_Thread {
public:
  void Start() { m_thread = std::thread([this] { ExecuteRingBuffer(); }); }
  void ExecuteVU(const std::string &program) {
    {
      std::lock_guard lk(m_mtx);
      m_programs.push_back(program);
    }
    m_sem_event.Post();
  }
  void Cancel() {
    m_shutdown = true;
    m_sem_event.Post();
    m_thread.join();
    std::printf("MTVU: thread stopped\n");
  }

private:
  void ExecuteRingBuffer() {
    for (;;) {
      m_sem_event.Wait();
      if (m_shutdown)
        return;
      std::string program;
      {
        std::lock_guard lk(m_mtx);
        program = m_programs.front();
        m_programs.pop_front();
      }
      // vu1Exec: the microprogram XGKICKs a PATH1 packet, then syncs with the GS
      GetMTGS().SendDataPacket({GIF_PATH_1, "XGKICK " + program, 40});
      GetMTGS().WaitGS();
    }
  }

  std::thread m_thread;
  std::mutex m_mtx;
  std::deque<std::string> m_programs;
  Threading::KernelSemaphore m_sem_event;
  std::atomic<bool> m_shutdown{false};
};

static VU_Thread vu1Thread;

int main() {
  GetMTGS().Start();
  vu1Thread.Start();

  // EE thread: the game's GIF DMA (PATH3) for this frame
  GetMTGS().SendDataPacket({GIF_PATH_3, "IMAGE transfer", 60});
  GetMTGS().SendDataPacket({GIF_PATH_3, "PACKED prims", 60});
  GetMTGS().SendDataPacket({GIF_PATH_3, "REGLIST flush", 60});
  Threading::Sleep(20);
  vu1Thread.ExecuteVU("skinning @0x0800");

  Threading::Sleep(70);
  // VMManager shutdown (core thread): GS first, then VU1
  GetMTGS().Cancel();
  vu1Thread.Cancel();
  std::printf("VM shut down\n");
  return 0;
}
