// Port: nextcloud/desktop#6868 ("avoid deadlock: cancel hydration requests coming from itself")
//   With Windows virtual files (CfAPI), opening a dehydrated placeholder makes
//   the cloud filter block the opener's read and call the client's
//   FETCH_DATA callback on a filter thread. cfApiFetchDataCallback() queues
//   VfsCfApi::requestHydration() to the client's main (GUI) thread with
//   QMetaObject::invokeMethod(..., Qt::QueuedConnection) and blocks in a
//   local QEventLoop until hydrationRequestReady/Failed for its request id;
//   only then does it send the data (or an error) that completes the open.
//   When the opener is the client itself, on its main thread (here the sync
//   engine computing the checksum of a local file it is about to upload),
//   the main thread is stuck in the open and never runs the queued
//   requestHydration(): the callback waits for the main thread and the main
//   thread waits for the callback, and the whole client freezes.
// Style: (d) standard library (std::thread for the filter thread, an explorer process
//   and a timer; a Qt-like main EventLoop with invokeMethod/exec/quit, a QEventLoop-like
//   LocalEventLoop, a Signal<> of std::function slots, std::promise/std::future for
//   the transfer completion of a blocked open)
// Bug class: cyclic wait through an event loop: a callback blocks on work queued to the thread that is blocked on it
// Shape: an explorer process hydrates Photos/beach.jpg through the main
//   loop normally. At 100 ms the main thread runs a sync that checksums the
//   placeholder Documents/report.odt and opens it with the client's own pid;
//   the filter thread's callback queues requestHydration to the main loop
//   and waits forever; the main thread never returns from the open and never
//   reaches the quit posted at 300 ms.
// Fix: the callback compares the requesting process id with the client's own
//   pid and, for a self-triggered (implicit) hydration, logs it, sends a
//   transfer error at once and returns, so the open fails instead of hanging.
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

using namespace std::chrono_literals;

// ---- a Qt-like main event loop (QCoreApplication) ----
class EventLoop {
public:
  void invokeMethod(std::function<void()> fn) { // Qt::QueuedConnection
    std::lock_guard lk(m_mutex);
    m_events.push_back(std::move(fn));
    m_cv.notify_one();
  }
  void quit() {
    invokeMethod([this] { m_quit = true; });
  }
  void exec() {
    while (!m_quit) {
      std::function<void()> ev;
      {
        std::unique_lock lk(m_mutex);
        m_cv.wait(lk, [this] { return !m_events.empty(); });
        ev = std::move(m_events.front());
        m_events.pop_front();
      }
      ev();
    }
  }

private:
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::deque<std::function<void()>> m_events;
  bool m_quit = false;
};
static EventLoop qApp;
static long applicationPid() { return static_cast<long>(::getpid()); }

// QEventLoop on a non-GUI thread: exec() blocks until quit() from any thread.
class LocalEventLoop {
public:
  void exec() {
    std::unique_lock lk(m_mutex);
    m_cv.wait(lk, [this] { return m_quit; });
  }
  void quit() {
    std::lock_guard lk(m_mutex);
    m_quit = true;
    m_cv.notify_all();
  }

private:
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_quit = false;
};

template <typename... Args> class Signal {
public:
  int connect(std::function<void(Args...)> slot) {
    std::lock_guard lk(m_mutex);
    m_slots[++m_next] = std::move(slot);
    return m_next;
  }
  void disconnect(int id) {
    std::lock_guard lk(m_mutex);
    m_slots.erase(id);
  }
  void emit(Args... args) {
    std::lock_guard lk(m_mutex);
    for (auto &[id, slot] : m_slots)
      slot(args...);
  }

private:
  std::mutex m_mutex;
  std::map<int, std::function<void(Args...)>> m_slots;
  int m_next = 0;
};

// ---- the cloud filter driver (cldflt.sys), reduced to FETCH_DATA ----
enum NTSTATUS { STATUS_SUCCESS = 0, STATUS_UNSUCCESSFUL = -1 };
class VfsCfApi;
struct CF_CALLBACK_INFO {
  VfsCfApi *CallbackContext;
  std::string NormalizedPath;
  long long TransferKey;
  long ProcessId;
  std::promise<NTSTATUS> *transfer; // completes the blocked open
};
using CF_CALLBACK = void (*)(const CF_CALLBACK_INFO &);

class CloudFilter {
public:
  void connectSyncRoot(VfsCfApi *vfs, CF_CALLBACK fetchData) {
    m_vfs = vfs;
    m_fetchData = fetchData;
    m_thread = std::thread([this] { dispatch(); });
  }
  void disconnectSyncRoot() {
    {
      std::lock_guard lk(m_mutex);
      m_stop = true;
      m_cv.notify_all();
    }
    m_thread.join();
  }
  void markDehydrated(const std::string &path) { m_dehydrated.insert(path); }

  // CreateFile + ReadFile by process `pid`: blocks until the provider transfers the data.
  NTSTATUS openAndRead(const std::string &path, long pid) {
    if (!m_dehydrated.count(path))
      return STATUS_SUCCESS;
    std::promise<NTSTATUS> transfer;
    std::future<NTSTATUS> done = transfer.get_future();
    {
      std::lock_guard lk(m_mutex);
      m_requests.push_back(CF_CALLBACK_INFO{m_vfs, path, ++m_transferKey, pid, &transfer});
      m_cv.notify_all();
    }
    return done.get();
  }

private:
  void dispatch() {
    for (;;) {
      CF_CALLBACK_INFO info;
      {
        std::unique_lock lk(m_mutex);
        m_cv.wait(lk, [this] { return m_stop || !m_requests.empty(); });
        if (m_requests.empty())
          return;
        info = m_requests.front();
        m_requests.pop_front();
      }
      m_fetchData(info);
    }
  }

  VfsCfApi *m_vfs = nullptr;
  CF_CALLBACK m_fetchData = nullptr;
  std::thread m_thread;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::deque<CF_CALLBACK_INFO> m_requests;
  std::set<std::string> m_dehydrated;
  long long m_transferKey = 0x1db54b8a079e560;
  bool m_stop = false;
};
static CloudFilter cldflt;

// ---- src/libsync/vfs/cfapi ----
class VfsCfApi {
public:
  Signal<const std::string &> hydrationRequestReady;
  Signal<const std::string &> hydrationRequestFailed;

  // Main thread: starts the HydrationJob (download) and reports back.
  void requestHydration(const std::string &requestId, const std::string &path) {
    std::printf("vfs: hydrating %s (request %s)\n", path.c_str(), requestId.c_str());
    std::this_thread::sleep_for(30ms); // GET /remote.php/dav/files/...
    hydrationRequestReady.emit(requestId);
  }
};

static void cfApiSendTransferInfo(const CF_CALLBACK_INFO &info, NTSTATUS status) { info.transfer->set_value(status); }

// src/libsync/vfs/cfapi/cfapiwrapper.cpp
static void cfApiFetchDataCallback(const CF_CALLBACK_INFO &callbackInfo) {
  VfsCfApi *vfs = callbackInfo.CallbackContext;
  const std::string path = callbackInfo.NormalizedPath;
  char key[32];
  std::snprintf(key, sizeof key, "%llx", callbackInfo.TransferKey);
  const std::string requestId = key;

  if (applicationPid() == callbackInfo.ProcessId) {
    std::printf("cfapi: hydration of %s (request %s) requested by the client process itself would deadlock, cancelled\n",
                path.c_str(), requestId.c_str());
    cfApiSendTransferInfo(callbackInfo, STATUS_UNSUCCESSFUL);
    return;
  }

  bool hydrationRequestResult = false;
  LocalEventLoop loop;
  int ready = vfs->hydrationRequestReady.connect([&](const std::string &id) {
    if (id == requestId) {
      hydrationRequestResult = true;
      loop.quit();
    }
  });
  int failed = vfs->hydrationRequestFailed.connect([&](const std::string &id) {
    if (id == requestId)
      loop.quit();
  });
  qApp.invokeMethod([=] { vfs->requestHydration(requestId, path); });

  loop.exec();
  vfs->hydrationRequestReady.disconnect(ready);
  vfs->hydrationRequestFailed.disconnect(failed);
  cfApiSendTransferInfo(callbackInfo, hydrationRequestResult ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL);
}

// The sync engine uploading a local change: checksum first (reads the file).
static void computeChecksumAndUpload(const std::string &path) {
  NTSTATUS st = cldflt.openAndRead(path, applicationPid());
  if (st != STATUS_SUCCESS)
    std::printf("propagator: could not compute checksum of %s, will retry next sync\n", path.c_str());
  else
    std::printf("propagator: uploading %s\n", path.c_str());
}

int main() {
  VfsCfApi vfs;
  cldflt.markDehydrated("Photos/beach.jpg");
  cldflt.markDehydrated("Documents/report.odt");
  cldflt.connectSyncRoot(&vfs, &cfApiFetchDataCallback);

  std::thread explorer([] { // explorer.exe opens a photo
    NTSTATUS st = cldflt.openAndRead("Photos/beach.jpg", 4242);
    std::printf("explorer: open Photos/beach.jpg -> %d\n", st);
  });
  std::thread timers([] {
    std::this_thread::sleep_for(100ms);
    qApp.invokeMethod([] { computeChecksumAndUpload("Documents/report.odt"); }); // sync run
    std::this_thread::sleep_for(200ms);
    qApp.quit();
  });

  qApp.exec();
  explorer.join();
  timers.join();
  cldflt.disconnectSyncRoot();
  std::printf("client exited\n");
  return 0;
}
