// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// threadleak-blocked-forever: a handle (a class of the project whose one
// data member is a smart pointer: lldb's SBMutex over the target's
// `shared_ptr<recursive_mutex>`) names what it points to, through copies,
// a construction from the pointer, and the functions that return one; a
// guard over the handle locks that mutex (llvm-project#163821: lldb-dap's
// request handlers run under the target's API mutex and take the modules
// mutex, its event thread takes them the other way round).
//
// Not an order: mutexes taken together by one statement
// (`std::scoped_lock l(a, b)`, whose algorithm backs off instead of
// waiting while holding one), and a recursive mutex taken again by the
// thread that holds it (it does not wait).

#include <memory>
#include <mutex>
#include <thread>

class ApiMutex {
public:
  explicit ApiMutex(std::shared_ptr<std::recursive_mutex> M) : m_(M) {}
  void lock() const { m_->lock(); }
  void unlock() const { m_->unlock(); }

private:
  std::shared_ptr<std::recursive_mutex> m_;
};

class Target {
public:
  ApiMutex apiMutex() const { return ApiMutex(api_); }
  int loadAddress() const {
    std::lock_guard<std::recursive_mutex> G(*api_);
    return 1;
  }

private:
  std::shared_ptr<std::recursive_mutex> api_ =
      std::make_shared<std::recursive_mutex>();
};

// Reported: the handler holds the API mutex through a handle and takes
// the modules mutex; the event thread holds the modules mutex and takes the
// API mutex.
struct Session {
  Target target;
  std::mutex modulesMu;
  int modules = 0;

  void onModulesLoaded() {
    std::lock_guard<std::mutex> G(modulesMu);
    modules += target.loadAddress();
  }
  void handleModulesRequest() {
    ApiMutex Api = target.apiMutex();
    std::lock_guard<ApiMutex> G(Api);
    std::lock_guard<std::mutex> M(modulesMu);
    // CHECK: :[[@LINE-1]]:33: warning: lock-order inversion: 'modulesMu' is acquired while 'target.api_' is held, and 'Session::onModulesLoaded' acquires 'target.api_' while holding 'modulesMu'; two threads taking both orders wait for each other forever [threadleak-blocked-forever]
    // CHECK: :[[@LINE-8]]:33: note: 'modulesMu' is acquired here
    // CHECK: :[[@LINE-8]]:16: note: 'Target::loadAddress' is called here, holding 'modulesMu'
    // CHECK: :[[@LINE-28]]:43: note: 'target.api_' is acquired here while 'modulesMu' is held
    // CHECK: :[[@LINE-6]]:31: note: 'target.api_' is acquired here
    ++modules;
  }
};

// Silent: the event thread takes both together, API mutex and modules
// mutex, and then the API mutex again (it holds it).
struct FixedSession {
  Target target;
  std::mutex modulesMu;
  int modules = 0;

  void onModulesLoaded() {
    ApiMutex Api = target.apiMutex();
    std::scoped_lock L(Api, modulesMu);
    modules += target.loadAddress();
  }
  void handleModulesRequest() {
    ApiMutex Api = target.apiMutex();
    std::lock_guard<ApiMutex> G(Api);
    std::lock_guard<std::mutex> M(modulesMu);
    ++modules;
  }
};

void run() {
  Session S;
  std::thread Events([&] { S.onModulesLoaded(); });
  std::thread Requests([&] { S.handleModulesRequest(); });
  Events.join();
  Requests.join();
  FixedSession F;
  std::thread FixedEvents([&] { F.onModulesLoaded(); });
  std::thread FixedRequests([&] { F.handleModulesRequest(); });
  FixedEvents.join();
  FixedRequests.join();
}
