// gochan.h - a small Go-style concurrency library for the GoKer ports.
//
// go::chan<T>      unbuffered (capacity 0) or buffered channel, a shared handle
//                  (copying it copies the reference, as in Go)
//                    send(v)        blocks until a receiver takes v / there is room;
//                                   throws go::panic on a closed channel
//                    recv()         std::optional<T>: nullopt once closed and drained
//                    recv(T &out)   bool ok, as `v, ok := <-ch`
//                    close()        wakes every receiver; a blocked sender panics
//                    for (T v : ch) receives until the channel is closed
// go::select(...)  waits for the first ready case and returns its index:
//                    go::case_recv(ch, &v [, &ok]), go::case_send(ch, v),
//                    go::case_default()
// go::WaitGroup    add(n) / done() / wait()
// go::spawn(f)     runs f on a detached std::thread (a goroutine)
// go::Context      done() channel closed by cancel(); go::with_cancel()
// go::after(ms)    a channel that receives once after the delay (time.After)
// go::RWMutex      Go's writer-preferring RWMutex (a pending Lock blocks new RLocks)
// go::Mutex        a mutex that, like Go's, may be unlocked by another goroutine
// go::Cond         sync.Cond over a go::Mutex (Wait/Signal/Broadcast; lost signals as in Go)
// go::leakcheck    go::wait_all_goroutines(): blocks until every go::spawn body
//                  returned (goleak's VerifyNone, without its timeout)
//
// The implementation is deliberately simple: one process-wide mutex and one
// condition variable serialise every channel operation, and each blocked
// operation is a waiter record queued on its channel(s), completed by the
// partner under the lock. Correct and thread-safe; not fast.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <utility>

namespace go {

struct unit {}; // struct{}

struct panic : std::logic_error {
  using std::logic_error::logic_error;
};

namespace detail {
inline std::mutex &big_lock() {
  static std::mutex m;
  return m;
}
inline std::condition_variable &big_cv() {
  static std::condition_variable c;
  return c;
}
// One blocked goroutine: a plain send/recv, or a select over several cases.
struct waiter {
  int fired = -1;            // index of the case that completed
  bool closed_send = false;  // completed because a send's channel was closed
};
} // namespace detail

template <typename T> class chan {
  struct recv_entry {
    detail::waiter *w;
    int idx;
    T *out;
    bool *ok;
  };
  struct send_entry {
    detail::waiter *w;
    int idx;
    T val;
  };
  struct state {
    std::size_t cap = 0;
    std::deque<T> buf;
    bool closed = false;
    std::deque<recv_entry> recvq;
    std::deque<send_entry> sendq;
  };
  std::shared_ptr<state> s_;

public:
  chan() : chan(0) {} // make(chan T)
  explicit chan(std::size_t capacity) : s_(std::make_shared<state>()) { // make(chan T, capacity)
    s_->cap = capacity;
  }

  // ---- the operations, with the lock held (used by send/recv/select) ----
  bool try_send_locked(const T &v) const {
    if (s_->closed)
      throw panic("send on closed channel");
    while (!s_->recvq.empty()) {
      recv_entry r = s_->recvq.front();
      s_->recvq.pop_front();
      if (r.w->fired >= 0)
        continue; // a select already completed elsewhere
      *r.out = v;
      if (r.ok)
        *r.ok = true;
      r.w->fired = r.idx;
      detail::big_cv().notify_all();
      return true;
    }
    if (s_->buf.size() < s_->cap) {
      s_->buf.push_back(v);
      return true;
    }
    return false;
  }
  bool try_recv_locked(T *out, bool *ok) const {
    if (!s_->buf.empty()) {
      *out = std::move(s_->buf.front());
      s_->buf.pop_front();
      if (ok)
        *ok = true;
      while (!s_->sendq.empty()) { // refill from a blocked sender
        send_entry e = std::move(s_->sendq.front());
        s_->sendq.pop_front();
        if (e.w->fired >= 0)
          continue;
        s_->buf.push_back(std::move(e.val));
        e.w->fired = e.idx;
        detail::big_cv().notify_all();
        break;
      }
      return true;
    }
    while (!s_->sendq.empty()) { // unbuffered hand-off
      send_entry e = std::move(s_->sendq.front());
      s_->sendq.pop_front();
      if (e.w->fired >= 0)
        continue;
      *out = std::move(e.val);
      if (ok)
        *ok = true;
      e.w->fired = e.idx;
      detail::big_cv().notify_all();
      return true;
    }
    if (s_->closed) {
      *out = T{};
      if (ok)
        *ok = false;
      return true;
    }
    return false;
  }
  void enqueue_recv_locked(detail::waiter *w, int idx, T *out, bool *ok) const {
    s_->recvq.push_back({w, idx, out, ok});
  }
  void enqueue_send_locked(detail::waiter *w, int idx, const T &v) const {
    s_->sendq.push_back({w, idx, v});
  }
  void dequeue_locked(detail::waiter *w) const {
    auto &rq = s_->recvq;
    rq.erase(std::remove_if(rq.begin(), rq.end(), [w](const recv_entry &e) { return e.w == w; }), rq.end());
    auto &sq = s_->sendq;
    sq.erase(std::remove_if(sq.begin(), sq.end(), [w](const send_entry &e) { return e.w == w; }), sq.end());
  }

  // ---- the blocking API ----
  void send(T v) const {
    std::unique_lock lk(detail::big_lock());
    if (try_send_locked(v))
      return;
    detail::waiter w;
    enqueue_send_locked(&w, 0, v);
    detail::big_cv().wait(lk, [&] { return w.fired >= 0; });
    if (w.closed_send)
      throw panic("send on closed channel");
  }
  bool recv(T &out) const {
    std::unique_lock lk(detail::big_lock());
    bool ok = false;
    if (try_recv_locked(&out, &ok))
      return ok;
    detail::waiter w;
    enqueue_recv_locked(&w, 0, &out, &ok);
    detail::big_cv().wait(lk, [&] { return w.fired >= 0; });
    return ok;
  }
  std::optional<T> recv() const {
    T v{};
    if (recv(v))
      return v;
    return std::nullopt;
  }
  void close() const {
    std::lock_guard lk(detail::big_lock());
    if (s_->closed)
      throw panic("close of closed channel");
    s_->closed = true;
    for (recv_entry &r : s_->recvq) {
      if (r.w->fired >= 0)
        continue;
      *r.out = T{};
      if (r.ok)
        *r.ok = false;
      r.w->fired = r.idx;
    }
    s_->recvq.clear();
    for (send_entry &e : s_->sendq) {
      if (e.w->fired >= 0)
        continue;
      e.w->closed_send = true;
      e.w->fired = e.idx;
    }
    s_->sendq.clear();
    detail::big_cv().notify_all();
  }
  std::size_t len() const {
    std::lock_guard lk(detail::big_lock());
    return s_->buf.size();
  }
  std::size_t cap() const { return s_->cap; }
  bool operator==(const chan &o) const { return s_ == o.s_; }

  // range-for: `for (T v : ch)` receives until the channel is closed
  class iterator {
    const chan *c_;
    std::optional<T> v_;

  public:
    explicit iterator(const chan *c) : c_(c) {
      if (c_)
        v_ = c_->recv();
    }
    const T &operator*() const { return *v_; }
    iterator &operator++() {
      v_ = c_->recv();
      return *this;
    }
    bool operator!=(const iterator &) const { return v_.has_value(); }
  };
  iterator begin() const { return iterator(this); }
  iterator end() const { return iterator(nullptr); }
};

// ---- select ----
namespace detail {
template <typename T> struct recv_case {
  chan<T> ch;
  T *out;
  bool *ok;
  T scratch{}; // the value of a case that discards it (`case <-ch:`)
  T *dst() { return out ? out : &scratch; }
  bool try_fire() { return ch.try_recv_locked(dst(), ok); }
  void enqueue(waiter *w, int i) { ch.enqueue_recv_locked(w, i, dst(), ok); }
  void dequeue(waiter *w) { ch.dequeue_locked(w); }
  static constexpr bool is_default = false;
};
template <typename T> struct send_case {
  chan<T> ch;
  T val;
  bool try_fire() { return ch.try_send_locked(val); }
  void enqueue(waiter *w, int i) { ch.enqueue_send_locked(w, i, val); }
  void dequeue(waiter *w) { ch.dequeue_locked(w); }
  static constexpr bool is_default = false;
};
struct default_case {
  bool try_fire() { return false; }
  void enqueue(waiter *, int) {}
  void dequeue(waiter *) {}
  static constexpr bool is_default = true;
};
template <typename Tup, typename F, std::size_t... I>
void visit_at(Tup &t, int i, F &&f, std::index_sequence<I...>) {
  ((int(I) == i ? f(std::get<I>(t)) : void()), ...);
}
inline unsigned random_start(unsigned n) {
  thread_local std::minstd_rand rng(std::random_device{}());
  return n ? rng() % n : 0;
}
} // namespace detail

template <typename T> detail::recv_case<T> case_recv(const chan<T> &ch, T *out = nullptr, bool *ok = nullptr) {
  return {ch, out, ok, T{}};
}
template <typename T> detail::send_case<T> case_send(const chan<T> &ch, T v) { return {ch, std::move(v)}; }
inline detail::default_case case_default() { return {}; }

// Returns the index (0-based, in argument order) of the case that fired; the
// default case's index when nothing was ready and there is one.
template <typename... Cases> int select(Cases... cs) {
  constexpr int n = sizeof...(Cases);
  std::tuple<Cases...> t(std::move(cs)...);
  std::unique_lock lk(detail::big_lock());
  int fired = -1, dflt = -1;
  unsigned start = detail::random_start(n); // Go picks among ready cases at random
  for (int k = 0; k < n && fired < 0; ++k) {
    int i = int((start + k) % n);
    detail::visit_at(t, i, [&](auto &c) {
      if (c.is_default)
        dflt = i;
      else if (c.try_fire())
        fired = i;
    }, std::index_sequence_for<Cases...>{});
  }
  if (fired >= 0)
    return fired;
  if (dflt >= 0)
    return dflt;
  if constexpr (n == 0) {
    for (;;)
      detail::big_cv().wait(lk); // select {}
  }
  detail::waiter w;
  int i = 0;
  std::apply([&](auto &...c) { ((c.enqueue(&w, i++)), ...); }, t);
  detail::big_cv().wait(lk, [&] { return w.fired >= 0; });
  std::apply([&](auto &...c) { ((c.dequeue(&w)), ...); }, t);
  if (w.closed_send)
    throw panic("send on closed channel");
  return w.fired;
}

// ---- goroutines ----
namespace detail {
inline std::atomic<int> &live_goroutines() {
  static std::atomic<int> n{0};
  return n;
}
} // namespace detail

template <typename F> void spawn(F f) {
  detail::live_goroutines()++;
  std::thread([f = std::move(f)]() mutable {
    try {
      f();
    } catch (const panic &) {
    }
    std::lock_guard lk(detail::big_lock());
    detail::live_goroutines()--;
    detail::big_cv().notify_all();
  }).detach();
}

// Blocks until every goroutine started by go::spawn has returned: a leaked
// goroutine makes the program hang here, which the driver reports as a timeout.
inline void wait_all_goroutines() {
  std::unique_lock lk(detail::big_lock());
  detail::big_cv().wait(lk, [] { return detail::live_goroutines().load() == 0; });
}

class WaitGroup {
  std::mutex m_;
  std::condition_variable cv_;
  long n_ = 0;

public:
  void add(long d) {
    std::lock_guard lk(m_);
    n_ += d;
    if (n_ < 0)
      throw panic("sync: negative WaitGroup counter");
    if (n_ == 0)
      cv_.notify_all();
  }
  void done() { add(-1); }
  void wait() {
    std::unique_lock lk(m_);
    cv_.wait(lk, [this] { return n_ == 0; });
  }
};

// sync.Mutex: unlike std::mutex, may be unlocked by a goroutine other than the locker.
class Mutex {
  std::mutex m_;
  std::condition_variable cv_;
  bool locked_ = false;

public:
  void lock() {
    std::unique_lock lk(m_);
    cv_.wait(lk, [this] { return !locked_; });
    locked_ = true;
  }
  void unlock() {
    std::lock_guard lk(m_);
    locked_ = false;
    cv_.notify_all();
  }
};

// sync.Cond over a go::Mutex. As in Go, Wait() unlocks L, waits for a
// Signal()/Broadcast() made after it started waiting (a signal with no waiter
// is lost), and locks L again; waiters wake in arrival order.
class Cond {
  Mutex *L_;
  std::mutex m_;
  std::condition_variable cv_;
  unsigned long long next_ = 0, woken_ = 0; // tickets, like Go's notifyList

public:
  explicit Cond(Mutex *L) : L_(L) {}
  Mutex &L() { return *L_; }
  void Wait() {
    unsigned long long t;
    {
      std::lock_guard lk(m_);
      t = next_++;
    }
    L_->unlock();
    {
      std::unique_lock lk(m_);
      cv_.wait(lk, [&] { return woken_ > t; });
    }
    L_->lock();
  }
  void Signal() {
    std::lock_guard lk(m_);
    if (woken_ < next_) {
      ++woken_;
      cv_.notify_all();
    }
  }
  void Broadcast() {
    std::lock_guard lk(m_);
    woken_ = next_;
    cv_.notify_all();
  }
};

// sync.RWMutex: a blocked Lock() keeps new RLock()s out (writer preference),
// which is what makes Go's recursive-read-lock deadlocks possible.
class RWMutex {
  std::mutex m_;
  std::condition_variable cv_;
  int readers_ = 0;
  int writers_waiting_ = 0;
  bool writer_ = false;

public:
  void lock() {
    std::unique_lock lk(m_);
    ++writers_waiting_;
    cv_.wait(lk, [this] { return !writer_ && readers_ == 0; });
    --writers_waiting_;
    writer_ = true;
  }
  void unlock() {
    std::lock_guard lk(m_);
    writer_ = false;
    cv_.notify_all();
  }
  void rlock() {
    std::unique_lock lk(m_);
    cv_.wait(lk, [this] { return !writer_ && writers_waiting_ == 0; });
    ++readers_;
  }
  void runlock() {
    std::lock_guard lk(m_);
    --readers_;
    cv_.notify_all();
  }
};

// context.Context reduced to what the kernels use: Done() and cancel().
class Context {
  struct st {
    chan<unit> done{0};
    std::once_flag once;
  };
  std::shared_ptr<st> s_ = std::make_shared<st>();

public:
  chan<unit> done() const { return s_->done; }
  void cancel() const {
    std::call_once(s_->once, [this] { s_->done.close(); });
  }
};
inline Context background() { return Context{}; }
inline std::pair<Context, std::function<void()>> with_cancel() {
  Context c;
  return {c, [c] { c.cancel(); }};
}

// time.After(d)
inline chan<unit> after(std::chrono::milliseconds d) {
  chan<unit> c(1);
  std::thread([c, d] {
    std::this_thread::sleep_for(d);
    c.send(unit{});
  }).detach();
  return c;
}

inline void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

} // namespace go
