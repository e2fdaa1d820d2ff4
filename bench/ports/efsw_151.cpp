// Port: SpartanJ/efsw#151 ("reslove file watcher inotfiy destructor deadlock")
//   FileWatcherInotify's destructor cleared mInitOK, took mInitLock and,
//   still holding it, deleted mThread, whose destructor joins the watcher
//   thread. The watcher thread delivers each inotify event through
//   handleAction(), which checks mInitOK and then takes mInitLock. An event
//   that passed the mInitOK check just before the destructor cleared it
//   blocks on mInitLock, so the thread never gets back to its
//   `while (mInitOK)` check, and the destructor joins it forever ("the
//   destructor holds init_lock mutex so that mThread can not join").
// Style: (d) standard library only, C++-native (efsw's idiom reduced: efsw::Thread whose destructor waits for the thread, efsw::Mutex/efsw::Lock, a FileWatcherInotify with watch()/addWatch() and a poll loop in run(), a FileWatchListener callback; the inotify descriptor is a small in-process event source)
// Bug class: lock held while joining: the destructor joins, under mInitLock, a thread that needs mInitLock to finish
// Shape: a file is modified; the watcher thread reads the event and enters
//   handleAction(), passing the mInitOK check. The owner deletes the
//   watcher: ~FileWatcherInotify() clears mInitOK, locks mInitLock and
//   deletes mThread, which joins. The watcher thread reaches
//   Lock initLock(mInitLock) and blocks behind the destructor.
// Fix: handleAction() raises mIsTakingAction before taking mInitLock and
//   clears it when done; the destructor waits (usleep loop) until no action
//   is in progress before it takes mInitLock and deletes the thread.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>
#include <utility>

using namespace std::chrono_literals;

namespace efsw {

#define efSAFE_DELETE(p) \
  do {                   \
    delete (p);          \
    (p) = nullptr;       \
  } while (0)

using WatchID = long;
enum class Action { Add, Delete, Modified };

class Mutex {
public:
  void lock() { mMutex.lock(); }
  void unlock() { mMutex.unlock(); }

private:
  std::mutex mMutex;
};

class Lock {
public:
  explicit Lock(Mutex &m) : mMutex(m) { mMutex.lock(); }
  ~Lock() { mMutex.unlock(); }

private:
  Mutex &mMutex;
};

class Thread {
public:
  explicit Thread(std::function<void()> fn) : mFn(std::move(fn)) {}
  ~Thread() { wait(); }
  void launch() { mThread = std::thread(mFn); }
  void wait() {
    if (mThread.joinable())
      mThread.join(); // LEAK: joined under mInitLock; the watcher thread waits for mInitLock
  }

private:
  std::function<void()> mFn;
  std::thread mThread;
};

class FileWatchListener {
public:
  virtual ~FileWatchListener() = default;
  virtual void handleFileAction(WatchID id, const std::string &dir, const std::string &filename,
                                Action action) = 0;
};

// The inotify descriptor: events the kernel queues for the watch ids.
struct InotifyEvent {
  int wd;
  std::string name;
  Action action;
};
class InotifyFd {
public:
  void kernelQueue(InotifyEvent ev) {
    std::lock_guard<std::mutex> l(mu);
    events.push_back(std::move(ev));
    cv.notify_all();
  }
  bool poll(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_for(l, timeout, [&] { return !events.empty(); });
  }
  std::deque<InotifyEvent> read() {
    std::lock_guard<std::mutex> l(mu);
    return std::exchange(events, {});
  }

private:
  std::mutex mu;
  std::condition_variable cv;
  std::deque<InotifyEvent> events;
};

struct WatcherInotify {
  WatchID ID;
  std::string Directory;
  FileWatchListener *Listener;
};

class FileWatcherInotify {
public:
  explicit FileWatcherInotify(InotifyFd &fd) : mFD(fd), mThread(nullptr) { mInitOK = true; }

  ~FileWatcherInotify() {
    mInitOK = false;
    Lock initLock(mInitLock);
    efSAFE_DELETE(mThread);
    Lock l(mWatchesLock);
    for (auto &w : mWatches)
      delete w.second;
    mWatches.clear();
  }

  WatchID addWatch(const std::string &directory, FileWatchListener *watcher) {
    if (!mInitOK)
      return -1;
    Lock initLock(mInitLock);
    Lock lock(mWatchesLock);
    WatchID wd = ++mLastWd;
    mWatches[wd] = new WatcherInotify{wd, directory, watcher};
    return wd;
  }

  void watch() {
    if (nullptr == mThread) {
      mThread = new Thread([this] { run(); });
      mThread->launch();
    }
  }

private:
  void run() {
    do {
      if (mFD.poll(100ms)) {
        for (const InotifyEvent &ev : mFD.read()) {
          WatcherInotify *curWatcher = nullptr;
          {
            Lock lock(mWatchesLock);
            auto it = mWatches.find(ev.wd);
            if (it != mWatches.end())
              curWatcher = it->second;
          }
          if (curWatcher)
            handleAction(curWatcher, ev.name, ev.action);
        }
      }
    } while (mInitOK);
  }

  void handleAction(WatcherInotify *watch, const std::string &filename, Action action) {
    if (!watch || !watch->Listener || !mInitOK) {
      return;
    }
    std::this_thread::sleep_for(20ms); // (forces the schedule: the watcher is deleted now)
    Lock initLock(mInitLock); // LEAK: the destructor holds mInitLock while it joins this thread
    watch->Listener->handleFileAction(watch->ID, watch->Directory, filename, action);
  }

  InotifyFd &mFD;
  Thread *mThread;
  std::atomic<bool> mInitOK{false};
  Mutex mInitLock;
  Mutex mWatchesLock;
  std::map<WatchID, WatcherInotify *> mWatches;
  WatchID mLastWd = 0;
};

} // namespace efsw

class UpdateListener : public efsw::FileWatchListener {
public:
  void handleFileAction(efsw::WatchID, const std::string &, const std::string &,
                        efsw::Action) override {
    ++actions;
  }
  std::atomic<int> actions{0};
};

int main() {
  efsw::InotifyFd kernel;
  UpdateListener listener;
  auto *fileWatcher = new efsw::FileWatcherInotify(kernel);
  efsw::WatchID id = fileWatcher->addWatch("/tmp/project", &listener);
  kernel.kernelQueue({static_cast<int>(id), "main.cpp", efsw::Action::Modified});
  fileWatcher->watch();
  std::this_thread::sleep_for(5ms); // the watcher thread is delivering the event
  delete fileWatcher;
  return 0;
}
