"""deep-ast.test.py gen DIR TERMS [NAME...]: write one file per analysis, each with
TERMS-term expressions (`a + a + ...`, as many levels of BinaryOperator)
where that analysis walks: a detached thread's loop, a channel's receiver
and its owner's early return, an unbuffered send, a condition variable's
predicate and stop path, a jthread's loop and its stop token, a select
loop, and a wait, a call and a loop condition at the bottom of the tree
(or only the files NAME.cpp).

deep-ast.test.py stack KIB CMD...: run CMD with its main thread's stack
limited to KIB kibibytes (clang-tidy runs the plugin on that stack)."""
import os, resource, sys

if sys.argv[1] == "stack":
    want = int(sys.argv[2]) * 1024
    _, hard = resource.getrlimit(resource.RLIMIT_STACK)
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)  # a lower limit only makes the test harder
    resource.setrlimit(resource.RLIMIT_STACK, (want, want))
    os.execvp(sys.argv[3], sys.argv[3:])

d, n = sys.argv[2], int(sys.argv[3])
def chain(x):
    return " + ".join([x] * n)
a = chain("a")
files = {
"detached": """#include <thread>
void work(int);
void f(int a) {
  std::thread([a] { for (;;) work(%(a)s); }).detach();
}
""",
"channel": """#include <boost/fiber/all.hpp>
#include <thread>
void handle(int);
bool bad(int);
void fetch(int a) {
  boost::fibers::buffered_channel<int> jobs{64};
  std::thread worker([&jobs, a] {
    int v;
    while (jobs.pop(v) == boost::fibers::channel_op_status::success)
      handle(v + %(a)s);
  });
  if (bad(%(a)s)) return;
  jobs.push(%(a)s);
  jobs.close();
  worker.join();
}
void send(int a) {
  boost::fibers::unbuffered_channel<int> ch;
  std::thread t([&ch, a] { ch.push(%(a)s); });
  if (bad(%(a)s)) return;
  int v;
  ch.pop(v);
  t.join();
}
""",
"cv": """#include <condition_variable>
#include <mutex>
#include <thread>
void run(int);
bool ready(int);
class Pool {
public:
  Pool() : thread_([this] { worker(); }) {}
  ~Pool() {
    {
      std::lock_guard lk(m_);
      count_ = %(count)s;
    }
    flag_ = %(count)s;
    cv_.notify_all();
    thread_.join();
  }
private:
  void worker() {
    std::unique_lock lk(m_);
    for (;;) {
      cv_.wait(lk, [&] { return ready(%(flag)s); });
      run(%(count)s);
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  int flag_ = 0;
  int count_ = 0;
  std::thread thread_;
};
void use() { Pool p; }
""",
"jthread": """#include <stop_token>
#include <thread>
void work(int);
bool more(int);
void f(int a) {
  std::jthread t([a](std::stop_token st) {
    while (more(%(a)s))
      work(%(a)s);
  });
  std::jthread u([a](std::stop_token) { for (;;) work(%(a)s); });
}
""",
"select": """#include <poll.h>
#include <thread>
void handle(int);
void f(int a) {
  std::thread([a] {
    pollfd fds[2];
    for (;;) {
      int n = poll(fds, 2, -1);
      handle(n + %(a)s);
    }
  }).detach();
}
""",
"leaf": """#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <thread>
void work(int);
int more(int);
struct Q {
  Q() : t_([this] { run(); }) {}
  ~Q() {
    {
      std::lock_guard lk(m_);
      stop_ = (%(n)s) != 0;
    }
    cv_.notify_one();
    t_.join();
  }
  void run() {
    std::unique_lock lk(m_);
    while ((%(n)s) == 0)
      work((cv_.wait(lk, [this] { return stop_ || (%(n)s) != 0; }), n_) + %(n)s);
  }
  std::mutex m_;
  std::condition_variable cv_;
  bool stop_ = false;
  int n_ = 0;
  std::thread t_;
};
void use() { Q q; }
void g(int a) {
  std::jthread j([a](std::stop_token st) {
    while (!st.stop_requested() && (%(a)s) != 0)
      work((more(a), a) + %(a)s);
  });
  std::thread d([a] { while ((%(a)s) != 0) work(a); });
  d.detach();
}
""",
}
subst = {"a": a, "count": chain("count_"), "flag": chain("flag_"),
         "n": chain("n_")}
names = sys.argv[4:] or list(files)
for name in names:
    text = files[name]
    with open(os.path.join(d, name + ".cpp"), "w") as f:
        f.write(text % subst)
