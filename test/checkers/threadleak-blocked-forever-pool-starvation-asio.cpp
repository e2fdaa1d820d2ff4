// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// threadleak-blocked-forever: a handler of an Asio execution context that
// waits for a handler it posted to the same context (a std::promise only
// that handler sets) holds one of the threads that run the context; when
// they are all held so, the posted handler never runs. The threads: a
// thread_pool's constructor argument, or the run() calls of an io_context
// (main's, a thread's started once or in a counted loop); a strand runs one
// handler at a time.

#include <boost/asio.hpp>
#include <future>
#include <memory>
#include <thread>
#include <vector>

namespace asio = boost::asio;
int compute(int);
unsigned configuredThreads();

// A handler on a one-thread io_context waits for a result another handler
// posted to the same context produces.
struct Session {
  asio::io_context &Io;
  void onRequest(int Id) {
    std::promise<int> Reply;
    std::future<int> F = Reply.get_future();
    asio::post(Io, [&Reply, Id] { Reply.set_value(compute(Id)); });
    (void)F.get();
    // CHECK: :[[@LINE-1]]:11: warning: a handler of io_context 'Io' waits for a handler it posted to the same context; one thread runs the context and this handler holds it, so the posted handler never runs [threadleak-blocked-forever]
    // CHECK: :[[@LINE+13]]:3: note: 'Io' runs its handlers on the one thread that runs it here
    // CHECK: :[[@LINE+5]]:5: note: the handler is posted to 'Io' here
    // CHECK: :[[@LINE+4]]:29: note: the handler calls 'Session::onRequest'
    // CHECK: :[[@LINE-6]]:5: note: it posts the handler it waits for to the same context here
  }
  void start() {
    asio::post(Io, [this] { onRequest(1); });
  }
};
int main() {
  asio::io_context Io;
  Session S{Io};
  S.start();
  Io.run();
}

// A thread_pool of one thread, and a packaged result through a shared promise.
void pool_of_one() {
  asio::thread_pool Pool(1);
  asio::post(Pool, [&Pool] {
    auto P = std::make_shared<std::promise<int>>();
    std::future<int> F = P->get_future();
    asio::post(Pool.get_executor(), [P] { P->set_value(1); });
    F.wait();
    // CHECK: :[[@LINE-1]]:5: warning: a task of thread pool 'Pool' waits for a task it queued on the same pool; the pool has one worker thread and this task holds it, so the queued task never runs [threadleak-blocked-forever]
    // CHECK: :[[@LINE-7]]:26: note: one worker thread, given here
    // CHECK: :[[@LINE-7]]:3: note: the task is queued on 'Pool' here
    // CHECK: :[[@LINE-5]]:5: note: it queues the task it waits for on the same pool here
  });
  Pool.join();
}

// Silent: four threads run the context; one handler waits.
void four_runners() {
  asio::io_context Io;
  asio::post(Io, [&Io] {
    std::promise<int> R;
    std::future<int> F = R.get_future();
    asio::post(Io, [&R] { R.set_value(1); });
    F.get();
  });
  std::vector<std::thread> Ts;
  for (int I = 0; I < 4; ++I)
    Ts.emplace_back([&Io] { Io.run(); });
  for (auto &T : Ts)
    T.join();
}

// Silent: the result comes from another context.
void two_contexts() {
  asio::thread_pool Pool(1), Other(1);
  asio::post(Pool, [&Other] {
    std::promise<int> R;
    std::future<int> F = R.get_future();
    asio::post(Other, [&R] { R.set_value(1); });
    F.get();
  });
  Pool.join();
  Other.join();
}

// Silent: the thread count is not known.
void unknown_pool() {
  asio::thread_pool Pool(configuredThreads());
  asio::post(Pool, [&Pool] {
    std::promise<int> R;
    std::future<int> F = R.get_future();
    asio::post(Pool, [&R] { R.set_value(1); });
    F.get();
  });
  Pool.join();
}

// A handler on a strand waits for a handler it posted to the same strand:
// the strand runs one at a time, whatever the threads of its context.
struct Connection {
  asio::strand<asio::io_context::executor_type> Strand;
  int header();
  void onRead() {
    std::promise<int> Parsed;
    std::future<int> F = Parsed.get_future();
    asio::post(Strand, [this, &Parsed] { Parsed.set_value(header()); });
    F.wait();
    // CHECK: :[[@LINE-1]]:5: warning: a handler on strand 'Strand' waits for a handler it posted to the same strand; the strand runs one handler at a time, so the posted handler never runs [threadleak-blocked-forever]
    // CHECK: :[[@LINE+4]]:18: note: the handler is posted to 'Strand' here
    // CHECK: :[[@LINE+3]]:46: note: the handler calls 'Connection::onRead'
    // CHECK: :[[@LINE-5]]:5: note: it posts the handler it waits for to the same strand here
  }
  void start() { asio::post(Strand, [this] { onRead(); }); }
};
