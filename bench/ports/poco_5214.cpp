// Port: pocoproject/poco#5214 ("fix(NotificationQueue): wakeUpAll() lost-wakeup race causes deadlock on shutdown")
//   (fixes pocoproject/poco#5213; the same race was reported in #827 and
//   #4003): NotificationQueue::wakeUpAll() signals only the threads already
//   parked in waitDequeueNotification(), each on its own WaitInfo event, and
//   then forgets them. The documented shutdown (set a stop flag, call
//   wakeUpAll(), join the workers) hangs when a worker is not parked at that
//   moment: its next waitDequeueNotification() parks on a fresh event that
//   no one will ever set.
// Style: (d) standard library only, C++-native (Poco's idiom reduced: a NotificationQueue class with a wait queue of per-waiter Events, a worker thread in a class with a stop() method)
// Bug class: lost wake-up on shutdown: the wake-up is sent before the waiter waits and is not remembered
// Shape: the worker takes a notification and processes it (a slow task);
//   meanwhile stop() sets the flag, calls wakeUpAll() (nobody is parked, so
//   it does nothing) and joins. The worker goes back to
//   waitDequeueNotification(), finds the queue empty, parks on a new
//   WaitInfo event and is never woken; stop() waits in join().
// Fix: wakeUpAll() also sets a sticky `_wokeUp` flag, and
//   waitDequeueNotification() returns null instead of parking once it is set.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

using namespace std::chrono_literals;

// Poco::Event (auto-reset)
class Event {
public:
  void set() {
    std::lock_guard lk(mu_);
    state_ = true;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return state_; });
    state_ = false;
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool state_ = false;
};

class Notification {
public:
  virtual ~Notification() = default;
  virtual void process() {}
};
using NotificationPtr = std::shared_ptr<Notification>;

class NotificationQueue {
public:
  void enqueueNotification(NotificationPtr pNf) {
    std::lock_guard lock(_mutex);
    if (_waitQueue.empty()) {
      _nfQueue.push_back(std::move(pNf));
    } else {
      WaitInfo *pWI = _waitQueue.front();
      _waitQueue.pop_front();
      pWI->pNf = std::move(pNf);
      pWI->nfAvailable.set();
    }
  }

  // Returns the next notification, waiting for one if the queue is empty;
  // returns null when woken up by wakeUpAll().
  NotificationPtr waitDequeueNotification() {
    NotificationPtr pNf;
    WaitInfo *pWI = nullptr;
    {
      std::lock_guard lock(_mutex);
      pNf = dequeueOne();
      if (pNf)
        return pNf;
      pWI = new WaitInfo;
      _waitQueue.push_back(pWI);
    }
    pWI->nfAvailable.wait(); // LEAK: wakeUpAll() already ran and signalled no one
    pNf = pWI->pNf;
    delete pWI;
    return pNf;
  }

  // Wakes up all threads that wait for a notification.
  void wakeUpAll() {
    std::lock_guard lock(_mutex);
    for (WaitInfo *p : _waitQueue)
      p->nfAvailable.set();
    _waitQueue.clear();
  }

private:
  struct WaitInfo {
    NotificationPtr pNf;
    Event nfAvailable;
  };
  NotificationPtr dequeueOne() {
    if (_nfQueue.empty())
      return nullptr;
    NotificationPtr pNf = _nfQueue.front();
    _nfQueue.pop_front();
    return pNf;
  }

  std::mutex _mutex;
  std::deque<NotificationPtr> _nfQueue;
  std::deque<WaitInfo *> _waitQueue;
};

class SlowWork : public Notification {
public:
  void process() override { std::this_thread::sleep_for(50ms); }
};

class Worker {
public:
  explicit Worker(NotificationQueue &q) : _queue(q), _thread([this] { run(); }) {}
  // The shutdown the class documentation recommends.
  void stop() {
    _stopped = true;
    _queue.wakeUpAll();
    _thread.join();
  }

private:
  void run() {
    for (;;) {
      NotificationPtr pNf = _queue.waitDequeueNotification();
      if (!pNf || _stopped)
        break;
      pNf->process();
    }
  }

  NotificationQueue &_queue;
  std::atomic<bool> _stopped{false};
  std::thread _thread;
};

int main() {
  NotificationQueue queue;
  Worker worker(queue);
  queue.enqueueNotification(std::make_shared<SlowWork>());
  std::this_thread::sleep_for(10ms); // the worker is busy with it
  worker.stop();
}
