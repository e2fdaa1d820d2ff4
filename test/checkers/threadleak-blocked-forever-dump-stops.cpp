// --dump-model shows each wait only a stop ends and the stop sources its
// token was traced to, or why it was not: a user's answer to "why was this
// wait not reported?".
// RUN: %tidy --checks='-*,threadleak-blocked-forever' --config="{CheckOptions: {threadleak-blocked-forever.DumpModel: true}}" %s -- %stubflags | FileCheck %s

#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>

class Watcher {
public:
  void start() {
    t_ = std::thread([this, ctx = stop_.get_token()] { watch(ctx); });
  }
  ~Watcher() {
    stop_.request_stop();
    t_.join();
  }

private:
  void watch(std::stop_token ctx) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lk(m);
    cv.wait(lk, ctx, [] { return false; });
  }
  std::stop_source stop_;
  std::thread t_;
};

void jthreadLoop() {
  std::jthread t([](std::stop_token st) {
    while (!st.stop_requested()) {
    }
  });
}

// CHECK: unit 'Watcher::~Watcher'
// CHECK-NEXT: 17:5  request stop stop_  held {}
// CHECK-LABEL: waits only a stop ends:
// CHECK-NEXT: 26:5 wait in 'Watcher::watch': stop of Watcher::stop_
// CHECK-NEXT: 34:5 loop in lambda at 33:18: token not traced (a std::jthread's, a lambda's parameter, or from code another file may run)
