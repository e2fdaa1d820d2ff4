// Port: xbmc/xbmc#28869 ("application: fix two shutdown deadlocks on the manager lock")
//   Kodi's CAnnouncementManager is a CThread: Announce() queues an
//   announcement, and the manager thread's DoAnnounce() calls every
//   registered IAnnouncer while holding m_announcersCritSection. Since
//   edb9c9052a the player-process-info handler runs on that announce thread,
//   so its ActivateWindow(WINDOW_DIALOG_PLAYER_PROCESS_INFO) becomes a
//   synchronous CApplicationMessenger::SendMsg() that waits until the main
//   thread has processed the message. If Kodi is quitting at that moment the
//   main thread never processes messages again: CApplication::Stop() stops
//   the JSON-RPC CTCPServer and joins its thread, and that thread's
//   Deinitialize() calls RemoveAnnouncer(), which needs the manager lock held
//   by the announce thread. Main waits for the TCPServer thread, the
//   TCPServer thread for the lock, the lock holder for main: shutdown hangs
//   until the service manager kills the process.
// Style: (d) standard library only, Kodi's idioms reduced: CCriticalSection
//   (a recursive mutex), CEvent, CThread (Create/StopThread/Process),
//   IAnnouncer callbacks, CApplicationMessenger SendMsg/PostMsg with a wait
//   event, a CTCPServer that is both a thread and an announcer
// Bug class: lock held while blocking on a synchronous cross-thread message
//   whose handler (the main thread) is joining a thread that needs the lock
// Shape: main's first frame handles the process-info key (queues the
//   announcement) and renders for 100 ms; SIGTERM arrives at 50 ms. The
//   announce thread, holding m_announcersCritSection, waits in SendMsg() for
//   main; main leaves its loop without processing messages, calls Stop() and
//   joins the TCPServer thread, whose Deinitialize() blocks in
//   RemoveAnnouncer().
// Fix: the handler posts the activation (PostMsg, as JSON-RPC
//   GUI.ActivateWindow does) instead of sending it; Deinitialize() also
//   unregisters the announcer before taking m_connectionsCritSection.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

using CCriticalSection = std::recursive_mutex;

class CEvent {
  std::mutex m_mutex;
  std::condition_variable m_cond;
  bool m_signaled = false;
  bool m_manualReset;

public:
  explicit CEvent(bool manualReset = false) : m_manualReset(manualReset) {}
  void Set() {
    std::lock_guard lock(m_mutex);
    m_signaled = true;
    m_cond.notify_all();
  }
  void Wait() {
    std::unique_lock lock(m_mutex);
    m_cond.wait(lock, [this] { return m_signaled; });
    if (!m_manualReset)
      m_signaled = false;
  }
};

class CThread {
  std::thread m_thread;

protected:
  std::atomic<bool> m_bStop{false};
  CEvent m_StopEvent{true};
  virtual void Process() = 0;

public:
  virtual ~CThread() = default;
  void Create() {
    m_bStop = false;
    m_thread = std::thread([this] { Process(); });
  }
  bool IsCurrentThread() const { return m_thread.get_id() == std::this_thread::get_id(); }
  void StopThread(bool bWait = true) {
    m_bStop = true;
    m_StopEvent.Set();
    if (bWait && m_thread.joinable())
      m_thread.join();
  }
};

// ---- messaging (CApplicationMessenger, reduced) ----
enum { TMSG_GUI_ACTIVATE_WINDOW = 1 };
enum { WINDOW_DIALOG_PLAYER_PROCESS_INFO = 10161 };

struct ThreadMessage {
  int dwMessage;
  int param1;
  std::shared_ptr<CEvent> waitEvent;
};

class CApplicationMessenger {
  CCriticalSection m_critSection;
  std::deque<ThreadMessage> m_vecMessages;

public:
  void SendMsg(int msg, int param1) {
    auto waitEvent = std::make_shared<CEvent>(true);
    {
      std::lock_guard lock(m_critSection);
      m_vecMessages.push_back({msg, param1, waitEvent});
    }
    waitEvent->Wait(); // LEAK
  }
  void PostMsg(int msg, int param1) {
    std::lock_guard lock(m_critSection);
    m_vecMessages.push_back({msg, param1, nullptr});
  }
  // main (GUI) thread only
  void ProcessMessages() {
    std::unique_lock lock(m_critSection);
    while (!m_vecMessages.empty()) {
      ThreadMessage msg = m_vecMessages.front();
      m_vecMessages.pop_front();
      lock.unlock();
      std::printf("GUI: activate window %d\n", msg.param1);
      if (msg.waitEvent)
        msg.waitEvent->Set();
      lock.lock();
    }
  }
  void Cleanup() { // on shutdown: drop pending messages, release their senders
    std::lock_guard lock(m_critSection);
    for (auto &msg : m_vecMessages)
      if (msg.waitEvent)
        msg.waitEvent->Set();
    m_vecMessages.clear();
  }
};
CApplicationMessenger g_messenger;

// ---- announcements ----
enum AnnouncementFlag { Player = 0x1, GUI = 0x2, System = 0x4 };

class IAnnouncer {
public:
  virtual ~IAnnouncer() = default;
  virtual void Announce(AnnouncementFlag flag, const std::string &sender, const std::string &message) = 0;
};

class CAnnouncementManager : public CThread {
  struct CAnnounceData {
    AnnouncementFlag flag;
    std::string sender, message;
  };
  CCriticalSection m_announcersCritSection;
  std::map<IAnnouncer *, int> m_announcers;
  CCriticalSection m_queueCritSection;
  std::deque<CAnnounceData> m_announcementQueue;
  CEvent m_queueEvent;

  void DoAnnounce(const CAnnounceData &a) {
    std::lock_guard lock(m_announcersCritSection);
    // copy: announcers may remove themselves during IAnnouncer::Announce()
    std::map<IAnnouncer *, int> announcers{m_announcers};
    for (auto &[announcer, flagMask] : announcers)
      if (a.flag & flagMask)
        announcer->Announce(a.flag, a.sender, a.message);
  }

protected:
  void Process() override {
    while (!m_bStop) {
      m_queueEvent.Wait();
      std::unique_lock lock(m_queueCritSection);
      while (!m_announcementQueue.empty() && !m_bStop) {
        CAnnounceData data = m_announcementQueue.front();
        m_announcementQueue.pop_front();
        lock.unlock();
        DoAnnounce(data);
        lock.lock();
      }
    }
  }

public:
  void Start() { Create(); }
  void Deinitialize() {
    m_bStop = true;
    m_queueEvent.Set();
    StopThread(true);
  }
  void AddAnnouncer(IAnnouncer *listener, int flagMask) {
    std::lock_guard lock(m_announcersCritSection);
    m_announcers[listener] = flagMask;
  }
  void RemoveAnnouncer(IAnnouncer *listener) {
    std::lock_guard lock(m_announcersCritSection);
    m_announcers.erase(listener);
  }
  void Announce(AnnouncementFlag flag, const std::string &sender, const std::string &message) {
    {
      std::lock_guard lock(m_queueCritSection);
      m_announcementQueue.push_back({flag, sender, message});
    }
    m_queueEvent.Set();
  }
};
CAnnouncementManager g_announcementManager;

// the OSD's process-info handler, run on the announce thread since edb9c9052a
class CPlayerProcessInfoHandler : public IAnnouncer {
public:
  void Announce(AnnouncementFlag, const std::string &, const std::string &message) override {
    if (message == "OnShowProcessInfo")
      g_messenger.SendMsg(TMSG_GUI_ACTIVATE_WINDOW, WINDOW_DIALOG_PLAYER_PROCESS_INFO);
  }
};

// JSON-RPC over TCP: a thread that is also an announcer (notifications to clients)
class CTCPServer : public CThread, public IAnnouncer {
  CCriticalSection m_connectionsCritSection;
  std::vector<std::string> m_connections{"192.168.1.20:51012"};

  void Deinitialize() {
    std::lock_guard lock(m_connectionsCritSection);
    m_connections.clear();
    g_announcementManager.RemoveAnnouncer(this);
  }

protected:
  void Process() override {
    while (!m_bStop)
      std::this_thread::sleep_for(10ms); // select() on the sockets
    Deinitialize();
  }

public:
  void Announce(AnnouncementFlag, const std::string &, const std::string &) override {
    std::lock_guard lock(m_connectionsCritSection);
    // send the notification to every connection
  }
  void StartServer() {
    g_announcementManager.AddAnnouncer(this, Player | GUI | System);
    Create();
  }
  void StopServer() { StopThread(true); }
};

class CApplication {
public:
  std::atomic<bool> m_bStop{false};
  CTCPServer m_tcpServer;
  CPlayerProcessInfoHandler m_processInfo;
  int m_frame = 0;

  void Initialize() {
    g_announcementManager.Start();
    g_announcementManager.AddAnnouncer(&m_processInfo, Player);
    m_tcpServer.StartServer();
  }
  void FrameMove() {
    if (m_frame++ == 0) // ACTION_PLAYER_PROCESS_INFO from the remote
      g_announcementManager.Announce(Player, "xbmc", "OnShowProcessInfo");
    std::this_thread::sleep_for(100ms); // render
  }
  void Run() {
    while (!m_bStop) {
      g_messenger.ProcessMessages();
      FrameMove();
    }
  }
  void Stop() {
    std::printf("stopping services\n");
    m_tcpServer.StopServer();
    g_announcementManager.RemoveAnnouncer(&m_processInfo);
    g_messenger.Cleanup();
    g_announcementManager.Deinitialize();
  }
};

int main() {
  CApplication app;
  app.Initialize();
  std::thread sigterm([&app] {
    std::this_thread::sleep_for(50ms);
    app.m_bStop = true;
  });
  app.Run();
  app.Stop();
  sigterm.join();
  std::printf("exited\n");
  return 0;
}
