// Port: apache/brpc#2916 ("Fix ParkingLot::signal does not modify _pending_signal when there is no waiter")
//   bthread parks idle worker pthreads on a ParkingLot, a futex word
//   (_pending_signal) whose value is bumped by every signal. A worker in
//   TaskGroup::wait_task() reads the state with get_state(), tries to steal a
//   task, and if none is found calls wait(state): the futex wait sleeps only
//   if _pending_signal still equals the state read before the steal, so a
//   signal that lands between the read and the wait makes the wait return at
//   once. PR #2907 added a waiter counter (_waiter_num) and made signal()
//   return early, without touching _pending_signal, when no worker was
//   counted as waiting. A task started from a non-worker thread
//   (bthread_start_background -> remote run queue -> signal_task) while the
//   only worker is between get_state() and wait() is then lost: the signal
//   neither wakes anyone nor changes the word, the worker sleeps on the stale
//   state forever, and the task (and whoever joins it) never runs.
// Style: (d) standard library: the futex is emulated by a FutexWord (std::atomic<int> value + std::mutex/std::condition_variable sleepers with wake tokens, the kernel's check-and-sleep made atomic under the mutex); TaskControl/TaskGroup/ParkingLot reduced, one worker std::thread, a CountdownEvent for bthread_join
// Bug class: lost wake-up: the signal path skips the state change when it sees no waiter, so a waiter that committed to sleeping on the old state is never woken
// Shape: one worker starts and finds its queues empty; its scan of the
//   other groups (steal_task) takes 150 ms. At 50 ms main, a non-worker
//   pthread, starts a bthread: it is pushed to the remote run queue and
//   signal(1) sees _waiter_num == 0 and returns. At 150 ms the worker waits
//   on the unchanged futex value and never wakes; main's join of the bthread
//   hangs behind it.
// Fix: signal() always adds num_task<<1 to _pending_signal and only skips
//   the futex wake when no worker is waiting, so the late wait() sees a
//   changed value and returns.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace bthread {

static void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// sys_futex.h: futex_wait_private()/futex_wake_private() on one word.
class FutexWord {
public:
  std::atomic<int> value{0};

  // Sleeps until woken, unless the word no longer holds `expected'.
  int wait(int expected) {
    std::unique_lock<std::mutex> lk(_m);
    if (value.load() != expected)
      return -1; // EWOULDBLOCK
    ++_sleepers;
    _cv.wait(lk, [this] { return _tokens > 0; }); // LEAK
    --_tokens;
    --_sleepers;
    return 0;
  }
  int wake(int n) {
    std::lock_guard<std::mutex> lk(_m);
    int k = _sleepers - _tokens;
    if (k > n)
      k = n;
    if (k > 0) {
      _tokens += k;
      _cv.notify_all();
    }
    return k;
  }

private:
  std::mutex _m;
  std::condition_variable _cv;
  int _sleepers = 0;
  int _tokens = 0;
};

// Park idle workers.
class ParkingLot {
public:
  struct State {
    bool stopped() const { return val & 1; }
    int val;
  };

  // Wake up at most `num_task' workers. Returns #workers woken up.
  int signal(int num_task) {
    if (_waiter_num.load() == 0) {
      return 0; // nobody is parked: skip the futex syscall
    }
    _pending_signal.value.fetch_add(num_task << 1);
    return _pending_signal.wake(num_task);
  }

  State get_state() { return State{_pending_signal.value.load()}; }

  // Wait for tasks. If `expected_state' does not match, returns directly.
  void wait(const State &expected_state) {
    _waiter_num.fetch_add(1);
    _pending_signal.wait(expected_state.val);
    _waiter_num.fetch_sub(1);
  }

  // Wake up suspended wait() and make them unwaitable ever.
  void stop() {
    _pending_signal.value.fetch_or(1);
    _pending_signal.wake(10000);
  }

private:
  FutexWord _pending_signal; // higher 31 bits for signalling, LSB for stopping
  std::atomic<int> _waiter_num{0};
};

using Task = std::function<void()>;

class TaskGroup {
public:
  explicit TaskGroup(ParkingLot *pl) : _pl(pl) {}

  void push_remote_rq(Task t) {
    std::lock_guard<std::mutex> lk(_remote_mutex);
    _remote_rq.push_back(std::move(t));
  }

  // The worker pthread's loop.
  void run_main_task() {
    Task t;
    while (wait_task(&t)) {
      t();
      t = nullptr;
    }
  }

private:
  bool wait_task(Task *t) {
    do {
      if (_pl->get_state().stopped())
        return false;
      const ParkingLot::State st = _pl->get_state();
      if (steal_task(t))
        return true;
      _pl->wait(st);
    } while (true);
  }

  bool steal_task(Task *t) {
    {
      std::lock_guard<std::mutex> lk(_remote_mutex);
      if (!_remote_rq.empty()) {
        *t = std::move(_remote_rq.front());
        _remote_rq.pop_front();
        return true;
      }
    }
    // Scanning the other groups' run queues; the first scan at start-up is
    // slow (the other workers are still being created).
    if (_first_steal) {
      _first_steal = false;
      sleep_ms(150);
    }
    return false;
  }

  ParkingLot *_pl;
  std::mutex _remote_mutex;
  std::deque<Task> _remote_rq;
  bool _first_steal = true;
};

class TaskControl {
public:
  TaskControl() : _group(&_pl) {
    _worker = std::thread([this] { _group.run_main_task(); });
  }
  // bthread_start_background() from a pthread that is not a worker.
  void start_background(Task t) {
    _group.push_remote_rq(std::move(t));
    signal_task(1);
  }
  void signal_task(int num_task) { _pl.signal(num_task); }
  void stop_and_join() {
    _pl.stop();
    _worker.join();
  }

private:
  ParkingLot _pl;
  TaskGroup _group;
  std::thread _worker;
};

// bthread::CountdownEvent, used here as bthread_join.
class CountdownEvent {
public:
  void signal() {
    std::lock_guard<std::mutex> lk(_m);
    _done = true;
    _cv.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lk(_m);
    _cv.wait(lk, [this] { return _done; });
  }

private:
  std::mutex _m;
  std::condition_variable _cv;
  bool _done = false;
};

} // namespace bthread

int main() {
  bthread::TaskControl control;
  bthread::CountdownEvent finished;

  bthread::sleep_ms(50);
  control.start_background([&] {
    std::printf("bthread ran\n");
    finished.signal();
  });

  finished.wait();
  control.stop_and_join();
  std::printf("workers stopped\n");
  return 0;
}
