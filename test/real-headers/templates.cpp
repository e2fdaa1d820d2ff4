// REQUIRES: libstdcxx
// RUN: not %threadleak --checks='-*,threadleak-*' %s -- %realflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-*' %s -- %realflags | %check-all %s

// Templates on the real libstdc++: the instantiations the unit makes are
// analysed, findings point at the user's template lines, and the library
// templates they instantiate (std::thread's constructor, std::async,
// std::vector<std::thread>::emplace_back, std::jthread) give no findings
// about their own internals.

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <stop_token>
#include <thread>
#include <vector>

void work();
int compute();

template <class T> class receiver {
public:
  receiver() : thread_([this] { loop(); }) {}
  ~receiver() {
    {
      std::lock_guard lk(m_);
      stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

private:
  void loop() {
    for (;;) {
      std::unique_lock lk(m_);
      cv_.wait(lk, [&] { return !q_.empty(); });
      // CHECK: :[[@LINE-1]]:11: warning: wait on 'cv_' can block forever: nothing on the stop path makes its predicate true [threadleak-cv-wait-no-stop]
      // CHECK: :[[@LINE-2]]:20: note: the predicate reads 'q_'
      // CHECK: :[[@LINE-16]]:3: note: stop path '~receiver' changes none of it
      // CHECK: :[[@LINE-18]]:16: note: thread started here
      // CHECK: :[[@LINE-19]]:33: note: the thread's body calls 'loop' here
      q_.pop_front();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<T> q_;
  bool stopping_ = false;
  std::thread thread_;
};
receiver<int> int_receiver;
receiver<double> double_receiver;

template <class Callback> void read_input(Callback cb) {
  std::thread([cb] { for (;;) cb(); }).detach();
  // CHECK: :[[@LINE-1]]:40: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-2]]:22: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}
void use_read_input() {
  read_input([] { work(); });
  read_input(&work);
}

// Look-alikes: library templates instantiated from user templates.
template <class F> int run_async(F f) {
  auto fut = std::async(std::launch::async, f);
  return fut.get();
}
int use_async() { return run_async(&compute); }

template <class F> void run_all(F f, int n) {
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back(f);
  for (auto &t : threads)
    t.join();
}
void use_run_all() { run_all(&work, 4); }

template <class T> struct Stoppable {
  void start() {
    t_ = std::jthread([](std::stop_token st) {
      while (!st.stop_requested())
        work();
    });
  }
  std::jthread t_;
};
void use_stoppable() {
  Stoppable<int> s;
  s.start();
}
