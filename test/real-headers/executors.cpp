// REQUIRES: boost, libstdcxx
// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %realflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %realflags | %check-all %s

// threadleak-blocked-forever on the real headers of two executors that run
// what they are handed once: Boost.Asio's post() into a thread_pool and
// oneTBB's task_group::run(). A task that may return before it completes
// the wait is a partner that may return first.

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <future>
#include <latch>
#include <oneapi/tbb/task_group.h>

bool check(int);
int compute(int);

int viaPost(boost::asio::thread_pool &pool, int n) {
  std::promise<int> p;
  boost::asio::post(pool, [&] {
    if (!check(n))
      return;
    p.set_value(compute(n));
  });
  return p.get_future().get();
  // CHECK: :[[@LINE-1]]:10: warning: a wait for the value of 'p' may wait forever: the code that sets its value may return without doing so [threadleak-blocked-forever]
  // CHECK: :[[@LINE-4]]:5: note: setting the value of 'p' here, in the lambda, would complete it
  // CHECK: :[[@LINE-8]]:27: note: the lambda is started here
  // CHECK: :[[@LINE-7]]:7: note: the lambda may return here without setting the value of 'p'
}

void viaTaskGroup() {
  std::latch l(4);
  tbb::task_group g;
  for (int i = 0; i < 4; ++i)
    g.run([&, i] {
      if (!check(i))
        return;
      l.count_down();
    });
  l.wait();
  // CHECK: :[[@LINE-1]]:3: warning: a wait on 'l' may wait forever: it needs every count-down its count asks for, and code that makes one may return without it [threadleak-blocked-forever]
  // CHECK: :[[@LINE-10]]:14: note: 'l' is created here with a count of 4
  // CHECK: :[[@LINE-8]]:11: note: the lambda is started here, once per round: it makes one of them
  // CHECK: :[[@LINE-7]]:9: note: the lambda may return here without calling 'count_down()' on 'l'
  // CHECK: :[[@LINE-7]]:7: note: the one it skips is here
  g.wait();
}

// Negative: every way out of the task sets the value.
int everyWay(boost::asio::thread_pool &pool, int n) {
  std::promise<int> p;
  boost::asio::post(pool, [&] {
    if (!check(n)) {
      p.set_value(-1);
      return;
    }
    p.set_value(compute(n));
  });
  return p.get_future().get();
}
