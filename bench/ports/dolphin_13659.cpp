// Port: dolphin-emu/dolphin#13659 ("RetroAchievements: Fix potential deadlock on shutdown.")
//   AchievementManager hands rcheevos' HTTP requests to its m_queue, a
//   Common::WorkQueueThread: Request() pushes a job that performs the HTTP
//   call on the queue's worker thread and then invokes rcheevos' completion
//   callback right there. For an unrecognised disc, the completion callback
//   LoadGameCallback() fails and calls CloseGame() (see #13675), which
//   cancels m_queue. WorkQueueThread::Cancel() is blocking: when items are
//   queued (the running job is still the queue's front) it posts a command
//   and waits, in WaitableSPSCQueue::WaitForEmpty(), until the worker has run
//   it. The caller is the worker itself, so nobody ever runs the command: the
//   async task waits for its own completion, and the host thread's
//   Shutdown(), which cancels the same queue, waits behind it.
// Style: (d) standard library only, with Dolphin's own primitives reduced: Common::Event (a flag plus std::condition_variable), Common::WaitableSPSCQueue (std::mutex + std::condition_variable, WaitForEmpty), Common::WorkQueueThread (worker thread, std::recursive_mutex producer lock, blocking Cancel/Shutdown through a command queue), Core::QueueHostJob for the host thread
// Bug class: worker waits on its own queue (self-wait: a job cancels, and blocks on, the queue that is running it)
// Shape: LoadGame() queues the identify request; the worker runs it (100 ms
//   of HTTP) and calls LoadGameCallback() with "unknown game", which calls
//   CloseGame() -> m_queue.Cancel() and blocks in WaitForEmpty() on the
//   worker thread. At 400 ms the host thread calls Shutdown(), whose
//   CloseGame() -> Cancel() blocks on the queue's producer lock, held by the
//   stuck worker.
// Fix: the request job no longer runs the rcheevos callback on the worker:
//   it queues it to the host thread with Core::QueueHostJob(), so CloseGame()
//   runs on the host thread and its Cancel() waits for a worker that is free
//   to run the command.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace Common {

// Common/Event.h: an auto-reset event.
class Event {
public:
  void Set() {
    std::lock_guard lk(m_mutex);
    m_flag = true;
    m_condvar.notify_one();
  }
  void Wait() {
    std::unique_lock lk(m_mutex);
    m_condvar.wait(lk, [this] { return m_flag; });
    m_flag = false;
  }

private:
  bool m_flag = false;
  std::mutex m_mutex;
  std::condition_variable m_condvar;
};

// Common/SPSCQueue.h: WaitableSPSCQueue, reduced to a locked deque.
template <typename T> class WaitableSPSCQueue {
public:
  template <typename... Args> void Emplace(Args &&...args) {
    std::lock_guard lk(m_mutex);
    m_items.emplace_back(std::forward<Args>(args)...);
  }
  T &Front() {
    std::lock_guard lk(m_mutex);
    return m_items.front();
  }
  void Pop() {
    std::lock_guard lk(m_mutex);
    m_items.pop_front();
    if (m_items.empty())
      m_empty_cv.notify_all();
  }
  bool Empty() {
    std::lock_guard lk(m_mutex);
    return m_items.empty();
  }
  void Clear() {
    std::lock_guard lk(m_mutex);
    m_items.clear();
    m_empty_cv.notify_all();
  }
  void WaitForEmpty() {
    std::unique_lock lk(m_mutex);
    m_empty_cv.wait(lk, [this] { return m_items.empty(); }); // LEAK
  }

private:
  std::mutex m_mutex;
  std::condition_variable m_empty_cv;
  std::deque<T> m_items;
};

// Common/WorkQueueThread.h (the multiple-producer flavour).
template <typename T> class WorkQueueThread {
public:
  using FunctionType = std::function<void(T)>;
  ~WorkQueueThread() { Shutdown(); }

  void Reset(std::string name, FunctionType function) {
    std::lock_guard lg(m_mutex);
    Shutdown();
    m_thread = std::thread([this, name = std::move(name), function = std::move(function)] { ThreadLoop(name, function); });
  }
  void EmplaceItem(T item) {
    std::lock_guard lg(m_mutex);
    m_items.Emplace(std::move(item));
    m_event.Set();
  }
  // Empties the queue, skipping all work. Blocks until the current work is cancelled.
  void Cancel() {
    std::lock_guard lg(m_mutex);
    if (m_items.Empty()) // fast path
      return;
    RunCommand([this] { m_items.Clear(); });
  }
  // Stops the worker when its queue is empty; blocks until it exits.
  void Shutdown() {
    std::lock_guard lg(m_mutex);
    if (IsRunning())
      m_items.WaitForEmpty();
    StopThread();
  }

private:
  using CommandFunction = std::function<void()>;

  void RunCommand(CommandFunction cmd) {
    if (!IsRunning()) {
      cmd();
      return;
    }
    m_commands.Emplace(std::move(cmd));
    m_event.Set();
    m_commands.WaitForEmpty();
  }
  void StopThread() {
    if (!m_thread.joinable())
      return;
    m_commands.Emplace(CommandFunction{}); // empty-function shutdown signal
    m_event.Set();
    m_thread.join();
    m_commands.Clear();
  }
  bool IsRunning() { return m_thread.joinable(); }

  void ThreadLoop(const std::string &, const FunctionType &function) {
    while (true) {
      while (!m_commands.Empty()) {
        CommandFunction &command = m_commands.Front();
        if (!command)
          return;
        command();
        m_commands.Pop();
      }
      if (m_items.Empty()) {
        m_event.Wait();
        continue;
      }
      function(std::move(m_items.Front()));
      m_items.Pop();
    }
  }

  std::thread m_thread;
  WaitableSPSCQueue<T> m_items;
  WaitableSPSCQueue<CommandFunction> m_commands;
  Event m_event;
  std::recursive_mutex m_mutex;
};

} // namespace Common

namespace Core {
// Jobs run by the host (UI) thread between its events.
static std::mutex s_host_jobs_lock;
static std::deque<std::function<void()>> s_host_jobs;
void QueueHostJob(std::function<void()> job) {
  std::lock_guard lk(s_host_jobs_lock);
  s_host_jobs.push_back(std::move(job));
}
void HostDispatchJobs() {
  std::deque<std::function<void()>> jobs;
  {
    std::lock_guard lk(s_host_jobs_lock);
    jobs.swap(s_host_jobs);
  }
  for (auto &job : jobs)
    job();
}
} // namespace Core

// rcheevos' rc_client, reduced to the identify-and-load call.
constexpr int RC_OK = 0;
constexpr int RC_NO_GAME_LOADED = -32;
struct rc_api_server_response_t {
  int http_status_code;
  std::string body;
};
using rc_client_server_callback_t = std::function<void(const rc_api_server_response_t &)>;
using rc_client_callback_t = void (*)(int result, const char *error_message);

class AchievementManager {
public:
  static AchievementManager &GetInstance() {
    static AchievementManager s_instance;
    return s_instance;
  }
  void Init() {
    m_queue.Reset("AchievementManagerQueue", [](const std::function<void()> &func) { func(); });
  }

  // rc_client_begin_identify_and_load_game: hash the disc, ask the server for its game id.
  void LoadGame(const std::string &file_path) {
    {
      std::lock_guard lg{m_lock};
      m_loading = true;
    }
    Request("r=gameid&m=" + file_path, [](const rc_api_server_response_t &response) {
      bool known = response.http_status_code == 200 && response.body != "{\"GameID\":0}";
      LoadGameCallback(known ? RC_OK : RC_NO_GAME_LOADED, known ? nullptr : "Unknown game");
    });
  }

  void CloseGame() {
    {
      std::lock_guard lg{m_lock};
      m_loading = false;
      m_game_id = 0;
    }
    m_queue.Cancel();
    std::printf("Game closed.\n");
  }

  void Shutdown() {
    CloseGame();
    m_queue.Shutdown();
    std::printf("Achievement Manager shut down.\n");
  }

private:
  // rc_client's server_call: performs the HTTP request on m_queue.
  static void Request(std::string url, rc_client_server_callback_t callback) {
    AchievementManager::GetInstance().m_queue.EmplaceItem([url = std::move(url), callback = std::move(callback)] {
      std::this_thread::sleep_for(std::chrono::milliseconds(100)); // Common::HttpRequest::Post
      rc_api_server_response_t response{200, "{\"GameID\":0}"};
      callback(response);
    });
  }

  static void LoadGameCallback(int result, const char *error_message) {
    if (result != RC_OK) {
      std::printf("Failed to load data for current game: %s\n", error_message);
      GetInstance().CloseGame();
      return;
    }
    std::lock_guard lg{GetInstance().m_lock};
    GetInstance().m_loading = false;
  }

  std::recursive_mutex m_lock;
  bool m_loading = false;
  unsigned m_game_id = 0;
  Common::WorkQueueThread<std::function<void()>> m_queue;
};

int main() {
  using namespace std::chrono_literals;
  auto &manager = AchievementManager::GetInstance();
  manager.Init();
  manager.LoadGame("/games/homebrew.iso"); // a disc RetroAchievements does not know

  // The host thread: dispatches its jobs for a while, then the user quits.
  auto deadline = std::chrono::steady_clock::now() + 400ms;
  while (std::chrono::steady_clock::now() < deadline) {
    Core::HostDispatchJobs();
    std::this_thread::sleep_for(10ms);
  }
  manager.Shutdown();
  return 0;
}
