// Port: mpv-player/mpv#13994 ("ao_wasapi: fix player core lockup when avoiding premature buffer fills")
//   ao_wasapi runs an audio thread that sleeps on one auto-reset event,
//   hWake, set both by WASAPI (the device wants data) and by the player
//   core. AO controls (get/set volume, mute) are run on that thread through
//   an mp_dispatch_queue: control() calls mp_dispatch_run(), which queues
//   the item, calls the wakeup function and waits until the item is done.
//   Commit 6863eef made the wakeup function set thread_state to
//   WASAPI_THREAD_DISPATCH and only process the queue in that state, and the
//   loop ends each turn with a compare-exchange back to WASAPI_THREAD_FEED.
//   When a second control is queued after the thread has processed the
//   queue but before that compare-exchange, its DISPATCH store changes
//   nothing, the exchange still succeeds, and the next wake-up (its own
//   SetEvent) is served as a feed: the item is never processed and the core
//   waits in mp_dispatch_run() forever while the audio keeps playing.
// Style: (d) standard library only, C-style C++ (mpv's idiom reduced: an mp_dispatch_queue with mp_dispatch_run/mp_dispatch_queue_process and a wakeup callback, a Win32 auto-reset event object with SetEvent/WaitForSingleObject, a wasapi_state with an atomic thread_state, a device thread raising buffer events)
// Bug class: lost wake-up: the wake-up's reason is a state value that the waiter overwrites after the second request stored it again
// Shape: the core issues AOCONTROL_GET_VOLUME and, as soon as it returns,
//   AOCONTROL_GET_MUTE. The audio thread processes the first item and is
//   preempted for 100 ms before its compare-exchange, in which window the
//   second item is queued; the exchange resets the state to FEED and the
//   queue is never looked at again. The core thread's join in main hangs.
// Fix: the audio thread processes the dispatch queue on every wake-up; the
//   dispatch wake-up only sets a flag that makes the thread skip feeding for
//   that turn.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

using namespace std::chrono_literals;

// A Win32 auto-reset event (CreateEventW(NULL, FALSE, FALSE, NULL)).
struct HANDLE_EVENT {
  std::mutex m;
  std::condition_variable cv;
  bool signaled = false;
};
static void SetEvent(HANDLE_EVENT *e) {
  std::lock_guard l(e->m);
  e->signaled = true;
  e->cv.notify_one();
}
static void WaitForSingleObject(HANDLE_EVENT *e) { // INFINITE
  std::unique_lock l(e->m);
  e->cv.wait(l, [e] { return e->signaled; });
  e->signaled = false;
}

// misc/dispatch.c
struct mp_dispatch_item {
  std::function<void()> fn;
  bool completed = false;
};
struct mp_dispatch_queue {
  std::mutex lock;
  std::condition_variable cond;
  std::deque<mp_dispatch_item *> items;
  std::function<void()> wakeup_fn;
};
static void mp_dispatch_run(mp_dispatch_queue *queue, std::function<void()> fn) {
  mp_dispatch_item item{std::move(fn)};
  std::unique_lock l(queue->lock);
  queue->items.push_back(&item);
  l.unlock();
  queue->wakeup_fn();
  l.lock();
  while (!item.completed)
    queue->cond.wait(l); // LEAK: the audio thread reset the dispatch state and never processes the queue again
}
static void mp_dispatch_queue_process(mp_dispatch_queue *queue) { // timeout 0
  std::unique_lock l(queue->lock);
  while (!queue->items.empty()) {
    mp_dispatch_item *item = queue->items.front();
    queue->items.pop_front();
    l.unlock();
    item->fn();
    l.lock();
    item->completed = true;
    queue->cond.notify_all();
  }
}

// audio/out/ao_wasapi.c
enum wasapi_thread_state {
  WASAPI_THREAD_FEED = 0,
  WASAPI_THREAD_RESUME,
  WASAPI_THREAD_RESET,
  WASAPI_THREAD_SHUTDOWN,
  WASAPI_THREAD_DISPATCH,
};
enum aocontrol { AOCONTROL_GET_VOLUME, AOCONTROL_GET_MUTE };

struct wasapi_state {
  HANDLE_EVENT hWake;
  std::atomic<int> thread_state{WASAPI_THREAD_FEED};
  mp_dispatch_queue dispatch;
  std::atomic<long> sample_count{0};
  float volume = 0.8f;
  bool mute = false;
};

static void set_thread_state(wasapi_state *state, wasapi_thread_state thread_state) {
  state->thread_state.store(thread_state);
  SetEvent(&state->hWake);
}
static void thread_process_dispatch(wasapi_state *state) { set_thread_state(state, WASAPI_THREAD_DISPATCH); }
static void thread_feed(wasapi_state *state) { state->sample_count += 480; }

static void AudioThread(wasapi_state *state) {
  while (true) {
    WaitForSingleObject(&state->hWake);

    int thread_state = state->thread_state.load();
    switch (thread_state) {
    case WASAPI_THREAD_DISPATCH:
      mp_dispatch_queue_process(&state->dispatch);
      std::this_thread::sleep_for(100ms); // preempted before the state is reset
      break;
    case WASAPI_THREAD_FEED:
      thread_feed(state);
      break;
    case WASAPI_THREAD_SHUTDOWN:
      return;
    default:
      break;
    }
    // the default is to feed unless something else is requested
    state->thread_state.compare_exchange_strong(thread_state, WASAPI_THREAD_FEED);
  }
}

static int control(wasapi_state *state, aocontrol cmd, void *arg) {
  int ret = 0;
  mp_dispatch_run(&state->dispatch, [&] {
    if (cmd == AOCONTROL_GET_VOLUME)
      *static_cast<float *>(arg) = state->volume;
    else
      *static_cast<bool *>(arg) = state->mute;
    ret = 1; // CONTROL_OK
  });
  return ret;
}

int main() {
  wasapi_state state;
  state.dispatch.wakeup_fn = [&state] { thread_process_dispatch(&state); };
  std::thread audio_thread(AudioThread, &state);

  // WASAPI raises hWake every 10 ms period while the stream plays.
  std::atomic<bool> device_running{true};
  std::thread device([&] {
    while (device_running) {
      SetEvent(&state.hWake);
      std::this_thread::sleep_for(10ms);
    }
  });

  // The player core: the OSD asks for the volume, then for the mute state.
  std::this_thread::sleep_for(30ms);
  float volume = 0;
  bool mute = true;
  std::thread core([&] {
    control(&state, AOCONTROL_GET_VOLUME, &volume);
    control(&state, AOCONTROL_GET_MUTE, &mute);
  });
  core.join();

  // uninit()
  set_thread_state(&state, WASAPI_THREAD_SHUTDOWN);
  audio_thread.join();
  device_running = false;
  device.join();
  std::printf("volume %.1f mute %d\n", volume, int(mute));
  return (volume > 0.7f && !mute) ? 0 : 1;
}
