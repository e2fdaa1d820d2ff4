// Port: CppMicroServices/CppMicroServices#211 ("Prevent possible deadlock during framework shutdown.")
//   (fixes CppMicroServices/CppMicroServices#210, "Stopping a framework while
//   bundle threads are still running may deadlock".) Bundle activators'
//   Start()/Stop() run on BundleThreads: StartAndWait() hands the operation
//   to an idle thread and puts the thread back into
//   CoreBundleContext::bundleThreads.value when it is done. An idle thread
//   waits on its op condition for KEEP_ALIVE; when that expires with no work
//   it takes the bundleThreads lock, moves itself from `value` to `zombies`
//   and returns. During framework shutdown, CoreBundleContext::Uninit1()
//   takes the bundleThreads lock and, still holding it, calls Quit() on
//   every thread in `value`, which sets doRun = false, notifies and join()s.
//   A thread whose keep-alive expired just before, and which is on its way
//   to retire itself, blocks on the bundleThreads lock, so the join never
//   returns and Framework::Stop()/WaitForStop() hang.
// Style: (d) standard library only (std::thread per BundleThread,
//   std::mutex + std::condition_variable behind a MultiThreaded helper with
//   Lock()/WaitFor()/NotifyAll(), std::promise/std::future for the operation
//   result, std::atomic<bool> doRun, std::enable_shared_from_this)
// Bug class: a thread joined while the joiner holds a mutex the joined
//   thread needs before it can exit
// Shape: the user starts and then stops the webconsole bundle (0-10 ms); its
//   bundle thread goes idle at ~10 ms. The keep-alive (100 ms in this port,
//   1 s upstream) expires at ~110 ms and the thread is preempted before it
//   retires itself (forced with an 80 ms sleep). At ~150 ms main stops the
//   framework: Uninit1() locks bundleThreads and joins the thread, which at
//   ~190 ms blocks on that lock. Main hangs.
// Fix: Uninit1() swaps the list of bundle threads out under the lock, then
//   Quit()s them with the lock released; the zombies are cleared after.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <functional>
#include <future>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

using namespace std::chrono_literals;

namespace cppmicroservices {
using UniqueLock = std::unique_lock<std::mutex>;

// detail::MultiThreaded: a mutex and a condition variable for the wrapped state
struct MultiThreaded {
  UniqueLock Lock() const { return UniqueLock(m_Mtx); }
  void NotifyAll() { m_Cond.notify_all(); }
  void WaitFor(UniqueLock &l, std::chrono::milliseconds rel) { m_Cond.wait_for(l, rel); }
  template <class Pred> void WaitFor(UniqueLock &l, std::chrono::milliseconds rel, Pred pred) {
    if (rel.count() == 0)
      m_Cond.wait(l, pred);
    else
      m_Cond.wait_for(l, rel, pred);
  }

private:
  mutable std::mutex m_Mtx;
  std::condition_variable m_Cond;
};

class BundleThread;

struct BundlePrivate {
  long id;
  std::string symbolicName;
  std::function<void()> activatorStart, activatorStop;
  std::exception_ptr Start0() { return activatorStart(), nullptr; }
  std::exception_ptr Stop1() { return activatorStop(), nullptr; }
};

struct CoreBundleContext {
  struct : MultiThreaded {
    std::list<std::shared_ptr<BundleThread>> value;
    std::list<std::shared_ptr<BundleThread>> zombies;
  } bundleThreads;
  MultiThreaded resolver;

  std::shared_ptr<BundleThread> GetBundleThread();
  void Uninit1();
};

class BundleThread : public std::enable_shared_from_this<BundleThread> {
public:
  static const int OP_IDLE = 0, OP_START = 2, OP_STOP = 3;
  static constexpr std::chrono::milliseconds KEEP_ALIVE{100};

  explicit BundleThread(CoreBundleContext *ctx) : fwCtx(ctx), doRun(true) { th.v = std::thread(&BundleThread::Run, this); }
  ~BundleThread() { Quit(); }

  void Quit() {
    doRun = false;
    op.NotifyAll();
    auto l = th.Lock();
    if (th.v.joinable())
      th.v.join();
  }

  std::exception_ptr CallStart0(BundlePrivate *b, UniqueLock &resolveLock) { return StartAndWait(b, OP_START, resolveLock); }
  std::exception_ptr CallStop1(BundlePrivate *b, UniqueLock &resolveLock) { return StartAndWait(b, OP_STOP, resolveLock); }

private:
  void Run() {
    while (doRun) {
      std::promise<bool> pr;
      int operation = OP_IDLE;
      BundlePrivate *bundle = nullptr;

      while (doRun) {
        {
          auto l = op.Lock();
          if (doRun && op.operation == OP_IDLE)
            op.WaitFor(l, KEEP_ALIVE);
          if (!doRun)
            return;
          if (op.operation != OP_IDLE) {
            pr = std::move(op.pr);
            operation = op.operation;
            bundle = op.bundle;
            break;
          }
        }
        std::this_thread::sleep_for(80ms); // forcing: the idle thread is preempted before retiring
        {
          auto l2 = fwCtx->bundleThreads.Lock(); // LEAK
          auto &threads = fwCtx->bundleThreads.value;
          auto iter = std::find(threads.begin(), threads.end(), shared_from_this());
          if (iter != threads.end()) {
            std::printf("bundle thread idle for %lld ms, retiring\n", (long long)KEEP_ALIVE.count());
            fwCtx->bundleThreads.zombies.push_back(*iter);
            threads.erase(iter);
            return;
          }
        }
      }
      if (!doRun)
        return;

      std::exception_ptr tmpres = operation == OP_START ? bundle->Start0() : bundle->Stop1();
      op.Lock(), op.operation = OP_IDLE;
      tmpres ? pr.set_exception(tmpres) : pr.set_value(true);
      // lock the resolver in order to synchronize with StartAndWait
      fwCtx->resolver.Lock(), fwCtx->resolver.NotifyAll();
    }
  }

  std::exception_ptr StartAndWait(BundlePrivate *b, int operation, UniqueLock &resolveLock) {
    std::future<bool> res;
    {
      auto l = op.Lock();
      op.pr = std::promise<bool>();
      op.bundle = b;
      op.operation = operation;
      res = op.pr.get_future();
    }
    op.NotifyAll();
    fwCtx->resolver.WaitFor(resolveLock, 0ms, [&res] { return res.wait_for(0ms) == std::future_status::ready; });
    fwCtx->bundleThreads.Lock(), fwCtx->bundleThreads.value.push_front(shared_from_this());
    try {
      res.get();
      return nullptr;
    } catch (...) {
      return std::current_exception();
    }
  }

  CoreBundleContext *fwCtx;
  std::atomic<bool> doRun;
  struct : MultiThreaded {
    int operation = OP_IDLE;
    BundlePrivate *bundle = nullptr;
    std::promise<bool> pr;
  } op;
  struct : MultiThreaded {
    std::thread v;
  } th;
};

std::shared_ptr<BundleThread> CoreBundleContext::GetBundleThread() {
  {
    auto l = bundleThreads.Lock();
    if (!bundleThreads.value.empty()) {
      auto bt = bundleThreads.value.front();
      bundleThreads.value.pop_front();
      return bt;
    }
  }
  return std::make_shared<BundleThread>(this);
}

void CoreBundleContext::Uninit1() {
  auto l = bundleThreads.Lock();
  while (!bundleThreads.value.empty()) {
    bundleThreads.value.front()->Quit();
    bundleThreads.value.pop_front();
  }
  bundleThreads.zombies.clear();
}

} // namespace cppmicroservices

using namespace cppmicroservices;

int main() {
  CoreBundleContext fwCtx;
  BundlePrivate webconsole{1, "usWebConsole", [] {
                             std::this_thread::sleep_for(10ms); // start the servlet container
                             std::printf("usWebConsole started\n");
                           },
                           [] { std::printf("usWebConsole stopped\n"); }};

  for (bool start : {true, false}) { // Bundle::Start(), then Bundle::Stop()
    UniqueLock resolveLock = fwCtx.resolver.Lock();
    auto bt = fwCtx.GetBundleThread();
    start ? bt->CallStart0(&webconsole, resolveLock) : bt->CallStop1(&webconsole, resolveLock);
  }

  std::this_thread::sleep_for(140ms); // later, the application exits
  std::printf("stopping framework\n");
  fwCtx.Uninit1(); // Framework::Stop() -> FrameworkPrivate::Shutdown0()
  std::printf("framework stopped\n");
  return 0;
}
