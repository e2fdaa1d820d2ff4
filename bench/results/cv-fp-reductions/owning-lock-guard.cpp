// threadleak-cv-lost-wakeup false positive (rule a): an "owning lock" (a
// mutex bundled with the data it guards) whose acquire() returns a guard
// object by value; the waiter passes the guard's std::unique_lock member
// to wait() through get_lock().
//
//   /tmp/tl-reval/bin/threadleak --checks='-*,threadleak-cv-lost-wakeup' \
//       owning-lock-guard.cpp -- -std=c++20
//   -> warning at `data->has_reader = false;`: "'has_reader' is changed
//      without holding 'lock', the mutex the wait on 'notifier_' checks it
//      under"
//
// What the analysis misunderstands: the same accessor resolution as
// guard-member-via-accessor.cpp: the waiter's "mutex" becomes the decl
// get_lock() returns, `acquired_lock::lock` (a std::unique_lock member),
// and whatever the notifier's guard (`auto data = data_.acquire();`, a
// custom guard returned by value, which locks owning_lock::lock) is taken
// to hold, it is never that unique_lock member. So every write made while
// `data` is alive is reported, including the writes in helpers that take
// `acquired_lock<T>&` (the caller holds the lock).
// The old binary (586ecbef) did not resolve `data.get_lock()` and was
// silent.
//
// Seen in: fish 3.6.0 src/topic_monitor.cpp:164, :213 (status_ CAS),
// :222, :249 (data->has_reader = ...), all under `data_.acquire()`
// (fish's owning_lock<T> / acquired_lock<T> in src/common.h); the wait is
// `data_notifier_.wait(data.get_lock())` at :205.
#include <condition_variable>
#include <mutex>

template <typename T> class owning_lock;

template <typename T> class acquired_lock { // guard returned by value
  friend class owning_lock<T>;
  acquired_lock(std::mutex &m, T *v) : lock(m), value(v) {}
  std::unique_lock<std::mutex> lock;
  T *value;
public:
  T *operator->() { return value; }
  std::unique_lock<std::mutex> &get_lock() { return lock; }
};

template <typename T> class owning_lock { // a mutex and the data it guards
  std::mutex lock;
  T data;
public:
  acquired_lock<T> acquire() { return acquired_lock<T>(lock, &data); }
};

struct state_t { bool has_reader = false; };

class Monitor {
  owning_lock<state_t> data_;
  std::condition_variable notifier_;
public:
  void await_reader_done() {
    auto data = data_.acquire();
    while (data->has_reader)
      notifier_.wait(data.get_lock());
  }
  void reader_done() {
    auto data = data_.acquire();
    data->has_reader = false; // reported, but 'data' holds the mutex
    notifier_.notify_all();
  }
};

void use(Monitor &m) { m.reader_done(); m.await_reader_done(); }
