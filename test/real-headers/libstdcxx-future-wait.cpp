// REQUIRES: libstdcxx
// RUN: not %threadleak --checks='-*,threadleak-*' %s -- %realflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-*' %s -- %realflags | %check-all %s

// Regression: libstdc++ declares future::wait() once, in the base class
// std::__basic_future, so the callee is "std::__basic_future::wait". Listed
// methods also match through the class of the object they are called on.

#include <future>
#include <thread>

void blocks_on_future_wait(std::future<int> &f) {
  std::jthread t([&f](std::stop_token st) { f.wait(); });
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable takes a std::stop_token but never checks it; a stop request cannot interrupt its blocking wait and ~jthread() may wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:39: note: stop token 'st' is never used
  // CHECK: :[[@LINE-3]]:45: note: blocks here with no timeout and no stop token
}

void blocks_on_shared_future_wait(std::shared_future<int> f) {
  std::jthread t([f](std::stop_token st) { f.wait(); });
  // CHECK: :[[@LINE-1]]:16: warning: std::jthread's callable takes a std::stop_token but never checks it; a stop request cannot interrupt its blocking wait and ~jthread() may wait forever in join() [threadleak-jthread-ignores-stop]
  // CHECK: :[[@LINE-2]]:38: note: stop token 'st' is never used
  // CHECK: :[[@LINE-3]]:44: note: blocks here with no timeout and no stop token
}
