// The fix-it for "the stop path changes X but never notifies": notify the
// condition variable right after the write, where the stop path can name it
// and the write is a statement of its own. clang-tidy --fix applies it; the
// check is then silent and the file still compiles.
// RUN: rm -rf %t && mkdir -p %t && cp %s %t/fix.cpp
// RUN: %tidy --checks='-*,threadleak-cv-wait-no-stop' --fix %t/fix.cpp -- %stubflags | FileCheck --check-prefix=WARN %s
// RUN: FileCheck --input-file=%t/fix.cpp --check-prefix=FIXED %s
// RUN: %tidy --checks='-*,threadleak-cv-wait-no-stop' %t/fix.cpp -- %stubflags | %check-all --allow-empty --check-prefix=AFTER %s
// RUN: %threadleak --checks='-*,threadleak-cv-wait-no-stop' %t/fix.cpp -- %stubflags | %check-all --allow-empty --check-prefix=AFTER %s
// RUN: %clangxx -fsyntax-only %stubflags %t/fix.cpp
// AFTER-NOT: warning:

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

class Drainer {
public:
  Drainer() : thread_([this] { drain(); }) {}
  void stop() {
    {
      std::lock_guard<std::mutex> lk(m_);
      stopping_ = true;
      // FIXED: {{^}}      stopping_ = true;{{$}}
      // FIXED-NEXT: {{^}}      cv_.notify_all();{{$}}
    }
    thread_.join();
  }

private:
  void drain() {
    std::unique_lock<std::mutex> lk(m_);
    while (!stopping_ && queue_.empty())
      cv_.wait(lk);
    // WARN: :[[@LINE-1]]:11: warning: wait on 'cv_' can block forever: the stop path changes 'stopping_' but never notifies 'cv_'
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<int> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

// A local condition variable: the declaring function is the stop path.
void run_local() {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  std::thread t([&] {
    std::unique_lock<std::mutex> lk(m);
    cv.wait(lk, [&] { return done; });
    // WARN: :[[@LINE-1]]:8: warning: wait on 'cv' can block forever: the stop path changes 'done' but never notifies 'cv'
  });
  {
    std::lock_guard<std::mutex> lk(m);
    done = true;
    // FIXED: {{^}}    done = true;{{$}}
    // FIXED-NEXT: {{^}}    cv.notify_all();{{$}}
  }
  t.join();
}
