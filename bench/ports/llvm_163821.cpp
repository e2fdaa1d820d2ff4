// Port: llvm/llvm-project#163821 ("[lldb-dap] Fix mutex acquisition order for modules event.")
//   lldb-dap has two threads touching the module list it reports to the IDE.
//   DAP::EventThread() handles eBroadcastBitModulesLoaded: it locks
//   DAP::modules_mutex and, for each module, builds the "module" JSON object,
//   which asks the target for the module's load address through the SB API
//   and so takes the target's API mutex. The request loop runs every request
//   handler under the target's API mutex (BaseRequestHandler::Run() holds an
//   SBMutex lock, since #137026); the "modules" request handler then locks
//   modules_mutex. API mutex -> modules_mutex on one thread, modules_mutex ->
//   API mutex on the other.
// Style: (d) standard library only, C++-native (lldb-dap's idiom reduced: an SB API facade whose SBTarget hands out an SBMutex wrapping the target's std::recursive_mutex, a DAP object with an event thread fed by a listener queue, request handlers in a class hierarchy run by a BaseRequestHandler that locks the API mutex)
// Bug class: lock-order inversion (ABBA) between a project wrapper mutex (SBMutex over the target API recursive_mutex) and a std::mutex
// Shape: a modules-loaded event arrives first: the event thread locks
//   modules_mutex and spends 100 ms on the module before resolving its load
//   address. At 50 ms the IDE sends a "modules" request: the request loop
//   locks the API mutex and waits for modules_mutex; the event thread then
//   waits for the API mutex. main() joins both threads.
// Fix: the event thread acquires both mutexes together, API mutex first
//   (std::scoped_lock lock(api_mutex, modules_mutex)), the same order the
//   request path uses.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace lldb {

// SBMutex: a handle on the target's API mutex, usable with std::lock_guard
// and std::scoped_lock.
class SBMutex {
public:
  explicit SBMutex(std::shared_ptr<std::recursive_mutex> m) : m_opaque_sp(std::move(m)) {}
  void lock() const { m_opaque_sp->lock(); }
  bool try_lock() const { return m_opaque_sp->try_lock(); }
  void unlock() const { m_opaque_sp->unlock(); }

private:
  std::shared_ptr<std::recursive_mutex> m_opaque_sp;
};

struct SBModule {
  std::string file_spec;
  uint64_t header_offset;
};

class SBTarget {
public:
  SBMutex GetAPIMutex() const { return SBMutex(m_api_mutex); }
  void AddModule(SBModule module) {
    std::lock_guard<std::recursive_mutex> guard(*m_api_mutex);
    m_images.push_back(std::move(module));
  }
  std::vector<SBModule> GetImages() const {
    std::lock_guard<std::recursive_mutex> guard(*m_api_mutex);
    return m_images;
  }
  // SBAddress::GetLoadAddress(target): every SB entry point locks the API mutex.
  uint64_t GetModuleLoadAddress(const SBModule &module) const {
    std::lock_guard<std::recursive_mutex> guard(*m_api_mutex); // LEAK
    return 0x100000000ull + module.header_offset;
  }

private:
  std::shared_ptr<std::recursive_mutex> m_api_mutex = std::make_shared<std::recursive_mutex>();
  std::vector<SBModule> m_images;
};

enum EventKind { eBroadcastBitModulesLoaded, eBroadcastBitTerminate };

} // namespace lldb

namespace lldb_dap {

template <typename T> class Queue {
public:
  void Push(T v) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_items.push_back(std::move(v));
    m_cv.notify_one();
  }
  T Pop() {
    std::unique_lock<std::mutex> lock(m_mutex);
    m_cv.wait(lock, [this] { return !m_items.empty(); });
    T v = std::move(m_items.front());
    m_items.pop_front();
    return v;
  }

private:
  std::mutex m_mutex;
  std::condition_variable m_cv;
  std::deque<T> m_items;
};

struct DAP;

// CreateModule() in JSONUtils.cpp: the JSON for one module.
std::string CreateModule(lldb::SBTarget &target, const lldb::SBModule &module) {
  std::this_thread::sleep_for(100ms); // reads the symbol file, the UUID...
  uint64_t load_address = target.GetModuleLoadAddress(module);
  char buf[128];
  std::snprintf(buf, sizeof buf, "{\"name\":\"%s\",\"addressRange\":\"0x%llx\"}", module.file_spec.c_str(),
                (unsigned long long)load_address);
  return buf;
}

struct DAP {
  lldb::SBTarget target;
  std::mutex modules_mutex;
  std::map<std::string, std::string> modules; // what the IDE was told
  Queue<lldb::EventKind> listener;
  Queue<std::string> requests;

  lldb::SBMutex GetAPIMutex() const { return target.GetAPIMutex(); }

  void EventThread() {
    while (true) {
      lldb::EventKind event = listener.Pop();
      if (event == lldb::eBroadcastBitTerminate)
        return;
      std::vector<lldb::SBModule> loaded = target.GetImages(); // SBTarget::GetModuleAtIndexFromEvent
      std::lock_guard<std::mutex> guard(modules_mutex);
      for (const lldb::SBModule &module : loaded)
        modules[module.file_spec] = CreateModule(target, module);
    }
  }
  void Loop();
};

class BaseRequestHandler {
public:
  explicit BaseRequestHandler(DAP &dap) : dap(dap) {}
  virtual ~BaseRequestHandler() = default;
  void Run(const std::string &request) {
    lldb::SBMutex lock = dap.GetAPIMutex();
    std::lock_guard<lldb::SBMutex> guard(lock);
    operator()(request);
  }
  virtual void operator()(const std::string &request) = 0;

protected:
  DAP &dap;
};

class ModulesRequestHandler : public BaseRequestHandler {
public:
  using BaseRequestHandler::BaseRequestHandler;
  void operator()(const std::string &) override {
    std::lock_guard<std::mutex> guard(dap.modules_mutex);
    std::printf("modules response: %zu modules\n", dap.modules.size());
  }
};

void DAP::Loop() {
  ModulesRequestHandler modules_handler(*this);
  while (true) {
    std::string request = requests.Pop();
    if (request == "disconnect")
      return;
    if (request == "modules")
      modules_handler.Run(request);
  }
}

} // namespace lldb_dap

int main() {
  lldb_dap::DAP dap;
  dap.target.AddModule({"a.out", 0x0});
  dap.target.AddModule({"libc.so.6", 0x200000});
  std::thread event_thread([&] { dap.EventThread(); });
  std::thread request_loop([&] { dap.Loop(); });

  dap.listener.Push(lldb::eBroadcastBitModulesLoaded); // the process stopped at the dyld breakpoint
  std::this_thread::sleep_for(50ms);
  dap.requests.Push("modules"); // the IDE refreshes its Modules view
  std::this_thread::sleep_for(300ms);
  dap.requests.Push("disconnect");
  dap.listener.Push(lldb::eBroadcastBitTerminate);
  request_loop.join();
  event_thread.join();
  std::printf("done\n");
  return 0;
}
