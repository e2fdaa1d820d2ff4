#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <thread>

static void dispatch(const epoll_event &) {}

// threadleak-select-loop-no-exit: every outcome of epoll_wait goes round
// again; the thread (and the join in ~Dispatcher) never ends.
class Dispatcher {
public:
  explicit Dispatcher(int ep) : ep_(ep), thread_([this] { run(); }) {}
  ~Dispatcher() { thread_.join(); }

private:
  void run() {
    epoll_event events[16];
    for (;;) {
      int n = epoll_wait(ep_, events, 16, -1);
      for (int i = 0; i < n; ++i)
        dispatch(events[i]);
    }
  }
  int ep_;
  std::thread thread_;
};

// Fixed: an eventfd registered with the epoll set wakes the loop on
// shutdown, and its event leads out.
class DispatcherFixed {
public:
  explicit DispatcherFixed(int ep) : ep_(ep), wake_(eventfd(0, 0)) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = wake_;
    epoll_ctl(ep_, EPOLL_CTL_ADD, wake_, &ev);
    thread_ = std::thread([this] { run(); });
  }
  ~DispatcherFixed() {
    eventfd_write(wake_, 1);
    thread_.join();
    close(wake_);
  }

private:
  void run() {
    epoll_event events[16];
    for (;;) {
      int n = epoll_wait(ep_, events, 16, -1);
      for (int i = 0; i < n; ++i) {
        if (events[i].data.fd == wake_)
          return;
        dispatch(events[i]);
      }
    }
  }
  int ep_;
  int wake_;
  std::thread thread_;
};

void start_dispatchers() {
  int ep = epoll_create1(0);
  Dispatcher d(ep);
  DispatcherFixed f(ep);
}
