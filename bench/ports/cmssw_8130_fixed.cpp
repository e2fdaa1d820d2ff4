// Port: cms-sw/cmssw#8130 ("Avoid taking open handler mutex from request manager failure.")
//   CMSSW's XrdAdaptor reads a file through XrdCl from several sources at
//   once; its RequestManager keeps the active sources and an OpenHandler
//   that opens further sources asynchronously (the OpenHandler's m_mutex
//   guards the XrdCl::File being opened). Inside XrdCl every File has a
//   FileStateHandler (its own pMutex) registered with the process-wide
//   FileTimer (pMutex). The deadlock seen in production was a cycle of
//   three threads: the FileTimer thread holds FileTimer::pMutex and
//   FileStateHandler::Tick() wants the handler's pMutex; an XrdCl thread in
//   FileStateHandler::OnStateError() holds that pMutex and calls the
//   client's handler, whose RequestManager::requestFailure() asks the
//   OpenHandler for current_source() and wants OpenHandler::m_mutex; a
//   third thread in OpenHandler::HandleResponseWithHosts() holds m_mutex
//   and, destroying the File of the failed open, ends up in
//   ~FileStateHandler -> FileTimer::UnRegisterFileObject(), which wants
//   FileTimer::pMutex.
// Style: (d) standard library only (std::thread for the FileTimer thread
//   and the two XrdCl callback threads, std::mutex for the XrdSysMutex
//   pMutexes, std::recursive_mutex for OpenHandler::m_mutex and
//   m_source_mutex as in CMSSW, std::promise for the open's future)
// Bug class: lock-order cycle across three mutexes and three threads
//   (timer -> file state -> open handler -> timer)
// Shape: the read from source A fails at t=0 and OnStateError() holds A's
//   pMutex while it queues the request for recovery (150 ms); the FileTimer
//   ticks at ~10 ms and blocks on A's pMutex under the timer mutex; the
//   probe open of a new source fails at ~20 ms and HandleResponseWithHosts()
//   blocks destroying its File; at ~150 ms requestFailure() calls
//   current_source() and closes the cycle. main hangs joining.
// Fix: requestFailure() no longer calls OpenHandler::current_source(), so
//   it never takes the open handler's mutex while XrdCl holds a
//   FileStateHandler lock; the twin drops that call.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace XrdCl {

struct XRootDStatus {
  bool ok;
  std::string msg;
  bool IsOK() const { return ok; }
};

class FileStateHandler;

// Process-wide timer that ticks every open file (timeouts, recovery).
class FileTimer {
 public:
  void RegisterFileObject(FileStateHandler* f) {
    std::lock_guard sentry{pMutex};
    pFileObjects.push_back(f);
  }
  void UnRegisterFileObject(FileStateHandler* f) {
    std::lock_guard sentry{pMutex};
    pFileObjects.remove(f);
  }
  void Run();  // one tick
  void Loop() {
    while (!pStop) {
      std::this_thread::sleep_for(10ms);
      Run();
    }
  }
  void Stop() { pStop = true; }

 private:
  std::mutex pMutex;
  std::list<FileStateHandler*> pFileObjects;
  std::atomic<bool> pStop{false};
};

class ResponseHandler {
 public:
  virtual ~ResponseHandler() = default;
  virtual void HandleResponse(const XRootDStatus& status) = 0;
};

class FileStateHandler {
 public:
  FileStateHandler(FileTimer& timer, std::string url) : pTimer(timer), pUrl(std::move(url)) {
    pTimer.RegisterFileObject(this);
  }
  ~FileStateHandler() { pTimer.UnRegisterFileObject(this); }

  void Tick(std::chrono::steady_clock::time_point) {
    std::lock_guard scopedLock{pMutex};
    // expire timed-out requests, run recovery ...
  }

  // A request sent through this file failed.
  void OnStateError(const XRootDStatus& status, ResponseHandler* userHandler) {
    std::lock_guard scopedLock{pMutex};
    std::printf("[%s] file state error: %s, putting message in the recovery list\n", pUrl.c_str(), status.msg.c_str());
    std::this_thread::sleep_for(150ms);  // forcing: recovery bookkeeping under pMutex
    userHandler->HandleResponse(status);
  }

  const std::string& GetProperty() const { return pUrl; }

 private:
  FileTimer& pTimer;
  std::string pUrl;
  std::mutex pMutex;
};

void FileTimer::Run() {
  std::lock_guard sentry{pMutex};
  auto now = std::chrono::steady_clock::now();
  for (auto* f : pFileObjects) f->Tick(now);
}

class File {
 public:
  File(FileTimer& timer, std::string url) : pStateHandler(std::make_unique<FileStateHandler>(timer, std::move(url))) {}
  FileStateHandler& StateHandler() { return *pStateHandler; }
  std::string DataServer() const { return pStateHandler->GetProperty(); }

 private:
  std::unique_ptr<FileStateHandler> pStateHandler;
};

}  // namespace XrdCl

namespace XrdAdaptor {

class Source {
 public:
  Source(std::string id, std::unique_ptr<XrdCl::File> fh) : m_id(std::move(id)), m_fh(std::move(fh)) {}
  const std::string& ID() const { return m_id; }
  XrdCl::File& File() { return *m_fh; }

 private:
  std::string m_id;
  std::unique_ptr<XrdCl::File> m_fh;
};

class RequestManager;

class ClientRequest : public XrdCl::ResponseHandler {
 public:
  ClientRequest(RequestManager& manager, std::shared_ptr<Source> source) : m_manager(manager), m_source(std::move(source)) {}
  void HandleResponse(const XrdCl::XRootDStatus& status) override;
  std::shared_ptr<Source> getCurrentSource() const { return m_source; }

 private:
  RequestManager& m_manager;
  std::shared_ptr<Source> m_source;
};

class RequestManager {
 public:
  // Opens additional sources in the background.
  class OpenHandler {
   public:
    explicit OpenHandler(RequestManager& manager) : m_manager(manager) {}

    void open(XrdCl::FileTimer& timer, const std::string& url) {
      std::lock_guard sentry{m_mutex};
      m_file = std::make_unique<XrdCl::File>(timer, url);
      m_shared_future = m_promise.get_future().share();
    }

    // XrdCl callback for the asynchronous open.
    void HandleResponseWithHosts(const XrdCl::XRootDStatus& status) {
      std::shared_ptr<Source> source;
      {
        std::lock_guard sentry{m_mutex};
        if (status.IsOK()) {
          source = std::make_shared<Source>(m_file->DataServer(), std::move(m_file));
          m_promise.set_value(source);
        } else {
          std::printf("open of %s failed: %s\n", m_file->DataServer().c_str(), status.msg.c_str());
          m_promise.set_exception(std::make_exception_ptr(std::runtime_error(status.msg)));
          m_file.reset();  // ~File -> ~FileStateHandler -> FileTimer::UnRegisterFileObject
        }
      }
      m_manager.handleOpen(status, source);
    }

    std::string current_source() {
      std::lock_guard sentry{m_mutex};
      if (!m_file) return "(no open in progress)";
      return m_file->DataServer();
    }

   private:
    RequestManager& m_manager;
    std::recursive_mutex m_mutex;
    std::unique_ptr<XrdCl::File> m_file;
    std::promise<std::shared_ptr<Source>> m_promise;
    std::shared_future<std::shared_ptr<Source>> m_shared_future;
  };

  RequestManager() : m_open_handler(std::make_unique<OpenHandler>(*this)) {}

  void addSource(std::shared_ptr<Source> s) {
    std::lock_guard sentry{m_source_mutex};
    m_activeSources.push_back(std::move(s));
  }
  OpenHandler& openHandler() { return *m_open_handler; }

  void handleOpen(const XrdCl::XRootDStatus& status, std::shared_ptr<Source> source) {
    std::lock_guard sentry{m_source_mutex};
    if (status.IsOK()) m_activeSources.push_back(std::move(source));
  }

  void requestFailure(ClientRequest& c, const XrdCl::XRootDStatus& status) {
    auto source_ptr = c.getCurrentSource();
    std::printf("Request failure when reading from %s (%s)\n", source_ptr->ID().c_str(), status.msg.c_str());

    std::lock_guard sentry{m_source_mutex};
    m_disabledSourceStrings.push_back(source_ptr->ID());
    for (auto it = m_activeSources.begin(); it != m_activeSources.end(); ++it) {
      if (it->get() == source_ptr.get()) {
        m_activeSources.erase(it);
        break;
      }
    }
    if (!m_activeSources.empty()) std::printf("retrying the read on %s\n", m_activeSources.front()->ID().c_str());
  }

 private:
  std::recursive_mutex m_source_mutex;
  std::vector<std::shared_ptr<Source>> m_activeSources;
  std::vector<std::string> m_disabledSourceStrings;
  std::unique_ptr<OpenHandler> m_open_handler;
};

void ClientRequest::HandleResponse(const XrdCl::XRootDStatus& status) {
  if (!status.IsOK()) m_manager.requestFailure(*this, status);
}

}  // namespace XrdAdaptor

int main() {
  XrdCl::FileTimer timer;
  XrdAdaptor::RequestManager manager;
  auto sourceA = std::make_shared<XrdAdaptor::Source>(
      "xrootd-a.cern.ch:1094", std::make_unique<XrdCl::File>(timer, "xrootd-a.cern.ch:1094"));
  auto sourceC = std::make_shared<XrdAdaptor::Source>(
      "xrootd-c.fnal.gov:1094", std::make_unique<XrdCl::File>(timer, "xrootd-c.fnal.gov:1094"));
  manager.addSource(sourceA);
  manager.addSource(sourceC);
  // Periodic source check: probe a third site.
  manager.openHandler().open(timer, "xrootd-b.infn.it:1094");

  std::thread timerThread{[&] { timer.Loop(); }};

  XrdAdaptor::ClientRequest request{manager, sourceA};
  std::thread pollerThread{[&] {  // socket error on the stream to source A
    sourceA->File().StateHandler().OnStateError({false, "[ERROR] Socket error"}, &request);
  }};
  std::thread workerThread{[&] {  // the probe open comes back with an error
    std::this_thread::sleep_for(20ms);
    manager.openHandler().HandleResponseWithHosts({false, "[ERROR] Server responded with an error: [3011] No such file"});
  }};

  pollerThread.join();
  workerThread.join();
  timer.Stop();
  timerThread.join();
  std::puts("read recovered");
  return 0;
}
