// Port: microsoft/libHttpClient#690 ("Fix deadlock in threadpool_stl")
//   The STL build of libHttpClient runs XTaskQueue work on OS::ThreadPool
//   (ThreadPool_stl.cpp): Initialize() starts one std::thread per hardware
//   thread, and each worker takes m_wakeLock and loops on the m_wake
//   condition variable, running m_callback once per Submit() (m_calls).
//   Terminate() sets m_terminate under m_wakeLock, notifies m_wake, waits for
//   the active calls to drain and joins the workers. The worker entered
//   m_wake.wait(lock) without first looking at m_terminate. "Short lived libHC
//   instances were deadlocking": when many threads are created and the
//   instance is torn down at once, a worker can start running only after
//   Terminate() has already set m_terminate and sent its notify_all(); that
//   worker then waits for a wake-up that has come and gone, and Terminate()
//   blocks forever in join().
// Style: (d) standard library only: std::thread workers, std::mutex +
//   std::condition_variable (m_wakeLock/m_wake, m_activeLock/m_active),
//   std::atomic ref count; the HRESULT plumbing is reduced to bool
// Bug class: lost wake-up: shutdown's one-time notify is sent before a late
//   worker starts waiting, and the wait does not check the state first
// Shape: main creates a short-lived HC instance (HCInitialize: a task queue
//   port with its ThreadPool) and tears it down right away (HCCleanup). The
//   workers are scheduled late (forcing: 50 ms before they reach their
//   loop), so Terminate() sets m_terminate and notifies while no worker
//   waits yet; each worker then blocks in m_wake.wait() and main hangs
//   joining the first of them.
// Fix: the worker waits with a predicate, m_wake.wait(lock, [this]{ return
//   m_calls != 0 || m_terminate; }), so a termination (or a call) posted
//   before the worker got there is seen without a notify.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace OS {

struct ThreadPoolActionStatus {
  virtual void Complete() = 0;
  virtual void MayRunLong() = 0;
  virtual ~ThreadPoolActionStatus() = default;
};

using ThreadPoolCallback = void(void* context, ThreadPoolActionStatus& status);

class ThreadPoolImpl {
 public:
  ~ThreadPoolImpl() noexcept { Terminate(); }

  void AddRef() { m_refs++; }
  void Release() {
    if (--m_refs == 0) delete this;
  }

  bool Initialize(void* context, ThreadPoolCallback* callback) noexcept {
    m_context = context;
    m_callback = callback;

    uint32_t numThreads = std::thread::hardware_concurrency();
    if (numThreads == 0) numThreads = 1;
    if (numThreads > 4) numThreads = 4;

    while (numThreads != 0) {
      numThreads--;
      m_pool.emplace_back(std::thread([this] {
        // forcing: the OS gets round to the new worker only after its
        // short-lived owner has begun tearing the pool down.
        std::this_thread::sleep_for(50ms);

        std::unique_lock<std::mutex> lock(m_wakeLock);
        while (true) {
          m_wake.wait(lock); // LEAK: Terminate() notified before this worker was waiting

          if (m_terminate) break;

          if (m_calls != 0) {
            m_calls--;
            {
              std::unique_lock<std::mutex> active(m_activeLock);
              m_activeCalls++;
            }
            ActionStatusImpl status(this);
            lock.unlock();
            AddRef();
            m_callback(m_context, status);
            lock.lock();
            if (!status.IsComplete) status.Complete();
            if (m_terminate) {
              lock.unlock();
              Release();
              break;
            }
            Release();
          }
        }
      }));
    }
    return true;
  }

  void Terminate() noexcept {
    {
      std::unique_lock<std::mutex> wakeLock(m_wakeLock); // Must lock before m_activeLock
      m_terminate = true;
    }
    m_wake.notify_all();

    std::unique_lock<std::mutex> activeLock(m_activeLock);
    while (m_activeCalls != 0) m_active.wait(activeLock);
    activeLock.unlock();

    for (auto& t : m_pool) {
      if (t.get_id() == std::this_thread::get_id())
        t.detach();
      else
        t.join();
    }
    m_pool.clear();
  }

  void Submit() noexcept {
    {
      std::unique_lock<std::mutex> lock(m_wakeLock);
      m_calls++;
    }
    m_wake.notify_all();
  }

 private:
  struct ActionStatusImpl : ThreadPoolActionStatus {
    explicit ActionStatusImpl(ThreadPoolImpl* owner) : m_owner(owner) {}
    bool IsComplete = false;
    void Complete() override {
      IsComplete = true;
      {
        std::unique_lock<std::mutex> lock(m_owner->m_activeLock);
        m_owner->m_activeCalls--;
      }
      m_owner->m_active.notify_all();
    }
    void MayRunLong() override {}

   private:
    ThreadPoolImpl* m_owner = nullptr;
  };

  std::atomic<uint32_t> m_refs{1};

  std::mutex m_wakeLock;
  std::condition_variable m_wake;
  uint32_t m_calls{0};
  bool m_terminate{false};

  std::mutex m_activeLock;
  std::condition_variable m_active;
  uint32_t m_activeCalls{0};

  std::vector<std::thread> m_pool;
  void* m_context = nullptr;
  ThreadPoolCallback* m_callback = nullptr;
};

class ThreadPool {
 public:
  ThreadPool() noexcept = default;
  ~ThreadPool() noexcept { Terminate(); }

  bool Initialize(void* context, ThreadPoolCallback* callback) noexcept {
    if (m_impl != nullptr) return false;
    std::unique_ptr<ThreadPoolImpl> impl(new (std::nothrow) ThreadPoolImpl);
    if (!impl || !impl->Initialize(context, callback)) return false;
    m_impl = impl.release();
    return true;
  }

  void Terminate() noexcept {
    if (m_impl != nullptr) {
      m_impl->Terminate();
      m_impl->Release();
      m_impl = nullptr;
    }
  }

  void Submit() { m_impl->Submit(); }

 private:
  ThreadPoolImpl* m_impl = nullptr;
};

}  // namespace OS

// ---- the task queue port that owns the pool (TaskQueue.cpp, reduced) ----
class TaskQueuePortImpl {
 public:
  bool Initialize() { return m_threadPool.Initialize(this, ThreadPoolCallback); }
  void Terminate() { m_threadPool.Terminate(); }
  void QueueItem() { m_threadPool.Submit(); }

 private:
  static void ThreadPoolCallback(void* context, OS::ThreadPoolActionStatus& status) {
    auto* port = static_cast<TaskQueuePortImpl*>(context);
    port->m_dispatched++;
    status.Complete();
  }

  OS::ThreadPool m_threadPool;
  std::atomic<int> m_dispatched{0};
};

// ---- a libHttpClient instance (HCInitialize / HCCleanup, reduced) ----
static TaskQueuePortImpl* g_workPort = nullptr;

static bool HCInitialize() {
  g_workPort = new TaskQueuePortImpl();
  return g_workPort->Initialize();
}

static void HCCleanup() {
  g_workPort->Terminate();
  delete g_workPort;
  g_workPort = nullptr;
}

int main() {
  // A short-lived instance: initialised and cleaned up straight away.
  if (!HCInitialize()) return 1;
  HCCleanup();
  std::printf("libHC instance cleaned up\n");
  return 0;
}
