// RUN: %threadleak --checks='-*,threadleak-jthread-ignores-stop' %s -- %stubflags | count 0
// RUN: %tidy --checks='-*,threadleak-jthread-ignores-stop' %s -- %stubflags | count 0
// RUN: not %threadleak --checks='-*,threadleak-jthread-ignores-stop' --config="{CheckOptions: {threadleak-jthread-ignores-stop.JThreadTypes: '::std::jthread;::app::JoiningThread', threadleak-jthread-ignores-stop.BlockingFunctions: '::app::BlockingQueue::pop'}}" %s -- %stubflags | %check-all --check-prefix=CUSTOM %s
// RUN: %tidy --checks='-*,threadleak-jthread-ignores-stop' --config="{CheckOptions: {threadleak-jthread-ignores-stop.JThreadTypes: '::std::jthread;::app::JoiningThread', threadleak-jthread-ignores-stop.BlockingFunctions: '::app::BlockingQueue::pop'}}" %s -- %stubflags | %check-all --check-prefix=CUSTOM %s

#include <stop_token>
#include <thread>

void work();

namespace app {
// An in-house jthread-alike: requests stop and joins in its destructor.
class JoiningThread {
public:
  template <class F> explicit JoiningThread(F f) {}
  ~JoiningThread();
};
// An in-house blocking queue with no timeout and no stop awareness.
template <class T> class BlockingQueue {
public:
  T pop();
};
} // namespace app

void own_jthread_type() {
  app::JoiningThread t([] { for (;;) work(); });
  // CUSTOM: :[[@LINE-1]]:22: warning: std::jthread's callable never observes its stop token; ~jthread() will request stop and then wait forever in join() [threadleak-jthread-ignores-stop]
  // CUSTOM: :[[@LINE-2]]:29: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void own_blocking_function(app::BlockingQueue<int> &q) {
  std::jthread t([&q](std::stop_token st) { int v = q.pop(); (void)v; });
  // CUSTOM: :[[@LINE-1]]:16: warning: std::jthread's callable takes a std::stop_token but never checks it; a stop request cannot interrupt its blocking wait and ~jthread() may wait forever in join() [threadleak-jthread-ignores-stop]
  // CUSTOM: :[[@LINE-2]]:39: note: stop token 'st' is never used
  // CUSTOM: :[[@LINE-3]]:53: note: blocks here with no timeout and no stop token
}
