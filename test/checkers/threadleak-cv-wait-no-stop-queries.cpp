// RUN: not %threadleak --checks='-*,threadleak-cv-wait-no-stop' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-cv-wait-no-stop' %s -- %stubflags | %check-all %s

// A StopMethods prefix names a stop path only on a member function that can
// change something: a const member function (`closed()`, `stopped()`) is a
// query, not a stop path.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

void run(int);

// Silent: closed() starts with "close" but is a query; the class has no stop
// path this unit can read (its owner's code stops it elsewhere).
class QueryOnly {
public:
  QueryOnly() : thread_([this] { worker(); }) {}
  bool closed() const { return closed_; }

private:
  void worker() {
    std::unique_lock lk(m_);
    for (;;) {
      cv_.wait(lk, [&] { return !queue_.empty(); });
      run(queue_.front());
      queue_.pop_front();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> queue_;
  bool closed_ = false;
  std::thread thread_;
};

// Reported: the destructor is the stop path, and the notes name it alone,
// not the query stopped().
class WithDestructor {
public:
  WithDestructor() : thread_([this] { worker(); }) {}
  ~WithDestructor() {
    {
      std::lock_guard lk(m_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  bool stopped() const { return stopping_; }

private:
  void worker() {
    std::unique_lock lk(m_);
    for (;;) {
      cv_.wait(lk, [&] { return !queue_.empty(); });
      // CHECK: :[[@LINE-1]]:11: warning: wait on 'cv_' can block forever: nothing on the stop path makes its predicate true [threadleak-cv-wait-no-stop]
      // CHECK: :[[@LINE-2]]:20: note: the predicate reads 'queue_'
      // CHECK: :[[@LINE-17]]:3: note: stop path '~WithDestructor' changes none of it
      // CHECK: :[[@LINE-19]]:22: note: thread started here
      // CHECK: :[[@LINE-20]]:39: note: the thread's body calls 'worker' here
      run(queue_.front());
      queue_.pop_front();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

// Reported: close() is a stop path (not const), and it changes nothing the
// predicate reads.
class NonConstClose {
public:
  NonConstClose() : thread_([this] { worker(); }) {}
  void close() {
    closing_ = true;
    thread_.join();
  }

private:
  void worker() {
    std::unique_lock lk(m_);
    for (;;) {
      cv_.wait(lk, [&] { return !queue_.empty(); });
      // CHECK: :[[@LINE-1]]:11: warning: wait on 'cv_' can block forever: nothing on the stop path makes its predicate true [threadleak-cv-wait-no-stop]
      // CHECK: :[[@LINE-2]]:20: note: the predicate reads 'queue_'
      // CHECK: :[[@LINE-12]]:8: note: stop path 'close' changes none of it
      // CHECK: :[[@LINE-14]]:21: note: thread started here
      // CHECK: :[[@LINE-15]]:38: note: the thread's body calls 'worker' here
      run(queue_.front());
      queue_.pop_front();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> queue_;
  bool closing_ = false;
  std::thread thread_;
};
