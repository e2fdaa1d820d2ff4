// Port: canonical/mir#4469 ("WaylandExecutor::spawn() - do not try to lock the queue unless the execution state is Running")
//   (fixes canonical/mir#4406, "Deadlock during shutdown".) Work for the
//   Wayland thread is handed to the WaylandExecutor: spawn() locks the
//   executor's mutex, appends the work to workqueue if the execution state is
//   Running, and wakes the event loop through an eventfd. When the display
//   is destroyed, WaylandExecutor::drain() runs on the Wayland thread, marks
//   the executor stopped and calls workqueue.clear() whilst holding the
//   mutex. A queued work item can own the last reference to a
//   NotifyingMappableBackedShmBuffer; destroying it runs the buffer's
//   destructor, which calls on_release(), which asks the executor to spawn()
//   the wl_buffer.release event; spawn() then blocks on the mutex its own
//   thread holds in drain(). The Wayland thread never exits and the server
//   hangs on shutdown.
// Style: (d) standard library only: std::thread for the Wayland thread,
//   std::mutex + std::deque<std::function<void()>> work queue,
//   std::atomic execution state, std::shared_ptr-owned buffer whose
//   destructor fires a release callback; eventfd + poll() for the loop
// Bug class: self-deadlock through a destructor callback: clearing a queue
//   under its mutex destroys an item whose destructor re-enters the queue
// Shape: the Wayland thread is dispatching a client commit (forcing: 100 ms)
//   when, at 20 ms, the compositor hands it a frame-done work item holding
//   the last reference to the client's shm buffer and, at 40 ms, the server
//   is told to stop. The loop then sees the terminate fd, runs drain(), and
//   the buffer's release callback deadlocks the Wayland thread on the
//   executor mutex; main hangs joining it.
// Fix: spawn() checks the execution state before locking the queue (and
//   again under the lock), so work spawned while the queue is being drained
//   is dropped without touching the mutex.
#include <sys/eventfd.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

using namespace std::chrono_literals;

namespace mir {
namespace frontend {

class WaylandExecutor {
 public:
  enum class ExecutionState { Running, Stopped };

  WaylandExecutor() : state{std::make_shared<State>()} {}
  ~WaylandExecutor() { close(state->notify_fd); }

  void spawn(std::function<void()>&& work) { state->enqueue(std::move(work)); }

  int notify_fd() const { return state->notify_fd; }

  // Event-loop callback for notify_fd: run the queued work, one item at a time.
  void on_notify() {
    eventfd_t unused;
    eventfd_read(state->notify_fd, &unused);
    while (auto work = state->get_work()) work();
  }

  // Called on the Wayland thread when the display is destroyed.
  void drain() {
    std::lock_guard lock{state->mutex};
    state->state = ExecutionState::Stopped;
    state->workqueue.clear();
  }

 private:
  struct State {
    std::mutex mutex;
    std::deque<std::function<void()>> workqueue;
    std::atomic<ExecutionState> state{ExecutionState::Running};
    int const notify_fd{eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};

    void enqueue(std::function<void()>&& work) {
      if (state == ExecutionState::Running)
      {
        std::lock_guard lock{mutex};
        if (state == ExecutionState::Running) workqueue.emplace_back(std::move(work));
      }
      eventfd_write(notify_fd, 1);
    }

    std::function<void()> get_work() {
      std::lock_guard lock{mutex};
      if (workqueue.empty()) return {};
      auto work = std::move(workqueue.front());
      workqueue.pop_front();
      return work;
    }
  };
  std::shared_ptr<State> const state;
};

}  // namespace frontend

namespace graphics {
// An shm buffer that tells its client when the server is done with it.
class NotifyingMappableBackedShmBuffer {
 public:
  explicit NotifyingMappableBackedShmBuffer(std::function<void()> on_release)
      : on_release{std::move(on_release)} {}
  ~NotifyingMappableBackedShmBuffer() { on_release(); }

 private:
  std::function<void()> const on_release;
};
}  // namespace graphics
}  // namespace mir

namespace mf = mir::frontend;
namespace mg = mir::graphics;

int main() {
  auto executor = std::make_shared<mf::WaylandExecutor>();
  int const terminate_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  int const client_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

  // The Wayland thread: a poll()-based event loop (wl_event_loop stand-in).
  std::thread wayland_thread{[&] {
    for (;;) {
      pollfd fds[3] = {{terminate_fd, POLLIN, 0}, {client_fd, POLLIN, 0}, {executor->notify_fd(), POLLIN, 0}};
      poll(fds, 3, -1);
      if (fds[0].revents & POLLIN) {
        std::puts("display destroyed: draining executor");
        executor->drain();  // on_display_destruction()
        return;
      }
      if (fds[1].revents & POLLIN) {
        eventfd_t unused;
        eventfd_read(client_fd, &unused);
        std::this_thread::sleep_for(100ms);  // forcing: wl_surface.commit takes a while
      }
      if (fds[2].revents & POLLIN) executor->on_notify();
    }
  }};

  // A client commits an shm buffer.
  auto buffer = std::make_shared<mg::NotifyingMappableBackedShmBuffer>([executor] {
    executor->spawn([] { std::puts("wl_buffer.release sent"); });
  });
  eventfd_write(client_fd, 1);

  // The compositor is done with the buffer: it queues the frame-done work
  // for the Wayland thread, which now holds the last reference.
  std::this_thread::sleep_for(20ms);
  executor->spawn([buffer = std::move(buffer)] { std::puts("frame callbacks sent"); });

  std::this_thread::sleep_for(20ms);  // the server is asked to stop
  eventfd_write(terminate_fd, 1);

  wayland_thread.join();
  close(client_fd);
  close(terminate_fd);
  std::puts("server stopped");
  return 0;
}
