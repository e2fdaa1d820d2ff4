// Port: fsevents/fsevents#290 ("Fix random thread hanging due to incorrect pthread_cond_wait usage")
//   (the hang behind gatsbyjs/gatsby#17131): fse_watch() starts the shared
//   CFRunLoop thread on first use and waits on the `init` condition variable
//   until the thread has published its run loop. The wait was a single
//   pthread_cond_wait() with no predicate, and the run-loop thread signals
//   `init` without synchronising with the waiter, so when the new thread got
//   to pthread_cond_signal() before fse_watch() got to pthread_cond_wait()
//   the signal was lost and fse_watch() slept forever (a SIGWINCH, from
//   resizing the terminal, was observed to wake it). Upstream also released
//   the mutex before waiting, which is undefined; the port keeps the mutex
//   held so that only the missing predicate is left.
// Style: pthread C style (pthread_create/pthread_join, pthread_mutex_t, pthread_cond_t, a C struct of globals; the CFRunLoop is reduced to a small block queue run by the loop thread)
// Bug class: lost wake-up: the start-up signal is sent before the waiter waits and nothing records it
// Shape: the first fse_watch() creates the run-loop thread and, holding
//   fsevents.lock, heads for pthread_cond_wait(&fsevents.init). The new
//   thread stores fsevents.loop and signals `init` while nobody waits yet,
//   then runs its loop, waiting for blocks. fse_watch() waits for a signal
//   that has already been sent; the run-loop thread waits for the watch
//   block that fse_watch() will never post.
// Fix: fse_watch() waits in `while (!fsevents.loop) pthread_cond_wait(...)`,
//   so a signal sent before the wait is no longer needed (upstream also
//   moved its unlock after the wait; the port holds the mutex in both).
#include <atomic>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// ---- CFRunLoop, reduced: blocks performed in order on the loop's thread ----
typedef void (*fse_block_fn)(void *ctx);
typedef struct block_s {
  fse_block_fn fn;
  void *ctx;
  struct block_s *next;
} block_t;
typedef struct {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  block_t *head, *tail;
  int stopped;
} RunLoop;

static RunLoop *RunLoopCreate(void) {
  RunLoop *rl = (RunLoop *)calloc(1, sizeof(RunLoop));
  pthread_mutex_init(&rl->mu, NULL);
  pthread_cond_init(&rl->cv, NULL);
  return rl;
}
static void RunLoopPerformBlock(RunLoop *rl, fse_block_fn fn, void *ctx) {
  block_t *b = (block_t *)calloc(1, sizeof(block_t));
  b->fn = fn;
  b->ctx = ctx;
  pthread_mutex_lock(&rl->mu);
  if (rl->tail)
    rl->tail->next = b;
  else
    rl->head = b;
  rl->tail = b;
  pthread_mutex_unlock(&rl->mu);
}
static void RunLoopWakeUp(RunLoop *rl) {
  pthread_mutex_lock(&rl->mu);
  pthread_cond_signal(&rl->cv);
  pthread_mutex_unlock(&rl->mu);
}
static void RunLoopStop(RunLoop *rl) {
  pthread_mutex_lock(&rl->mu);
  rl->stopped = 1;
  pthread_cond_signal(&rl->cv);
  pthread_mutex_unlock(&rl->mu);
}
static void RunLoopRun(RunLoop *rl) {
  pthread_mutex_lock(&rl->mu);
  for (;;) {
    while (!rl->head && !rl->stopped)
      pthread_cond_wait(&rl->cv, &rl->mu); // LEAK: fse_watch() never gets to post its block or stop the loop
    if (!rl->head)
      break;
    block_t *b = rl->head;
    rl->head = b->next;
    if (!rl->head)
      rl->tail = NULL;
    pthread_mutex_unlock(&rl->mu);
    b->fn(b->ctx);
    free(b);
    pthread_mutex_lock(&rl->mu);
  }
  pthread_mutex_unlock(&rl->mu);
}

// ---- rawfsevents.c ----
typedef void (*fse_event_handler_t)(void *context, size_t numevents, const char *path);
typedef struct {
  pthread_t thread;
  std::atomic<RunLoop *> loop; // (atomic in the port: the thread publishes it without the mutex)
  pthread_mutex_t lock;
  pthread_cond_t init;
} fse_loop_t;

typedef struct fse_watcher_s {
  char path[256];
  int started;
  fse_event_handler_t handler;
  void *context;
} *fse_watcher_t;

static fse_loop_t fsevents;

void fse_init(void) {
  fsevents.loop = NULL;
  pthread_mutex_init(&fsevents.lock, NULL);
  pthread_cond_init(&fsevents.init, NULL);
}

void *fse_run_loop(void *) {
  fsevents.loop = RunLoopCreate();
  pthread_cond_signal(&fsevents.init);
  RunLoopRun(fsevents.loop);
  pthread_mutex_lock(&fsevents.lock);
  RunLoop *rl = fsevents.loop.exchange(NULL);
  pthread_mutex_unlock(&fsevents.lock);
  free(rl);
  return NULL;
}

static void fse_start_stream(void *ctx) {
  fse_watcher_t watcher = (fse_watcher_t)ctx;
  watcher->started = 1; // FSEventStreamCreate/ScheduleWithRunLoop/Start
  if (watcher->handler)
    watcher->handler(watcher->context, 0, watcher->path);
}
static void fse_stop_stream(void *ctx) {
  fse_watcher_t watcher = (fse_watcher_t)ctx;
  watcher->started = 0; // FSEventStreamStop/Invalidate/Release
}

void fse_watch(const char *path, fse_event_handler_t handler, void *context, fse_watcher_t watcher) {
  pthread_mutex_lock(&fsevents.lock);
  if (!fsevents.loop) {
    pthread_create(&fsevents.thread, NULL, fse_run_loop, NULL);
    usleep(20000); // (forces the schedule: the run-loop thread starts and signals first)
    pthread_cond_wait(&fsevents.init, &fsevents.lock); // LEAK: the run-loop thread signalled before this wait began
  }
  strncpy(watcher->path, path, sizeof(watcher->path) - 1);
  watcher->handler = handler;
  watcher->context = context;
  RunLoopPerformBlock(fsevents.loop, fse_start_stream, watcher);
  RunLoopWakeUp(fsevents.loop);
  pthread_mutex_unlock(&fsevents.lock);
}

void fse_unwatch(fse_watcher_t watcher) {
  pthread_mutex_lock(&fsevents.lock);
  if (fsevents.loop) {
    RunLoopPerformBlock(fsevents.loop, fse_stop_stream, watcher);
    RunLoopWakeUp(fsevents.loop);
  }
  pthread_mutex_unlock(&fsevents.lock);
}

// Stops the run-loop thread (the addon's unload hook).
void fse_shutdown(void) {
  pthread_mutex_lock(&fsevents.lock);
  if (fsevents.loop)
    RunLoopStop(fsevents.loop);
  pthread_mutex_unlock(&fsevents.lock);
  pthread_join(fsevents.thread, NULL);
}

// ---- the addon's user ----
static void on_events(void *context, size_t, const char *path) {
  int *ready = (int *)context;
  __atomic_store_n(ready, 1, __ATOMIC_SEQ_CST);
  (void)path;
}

int main(void) {
  fse_init();
  int ready = 0;
  fse_watcher_t watcher = (fse_watcher_t)calloc(1, sizeof(struct fse_watcher_s));
  fse_watch("/tmp/site/src", on_events, &ready, watcher);
  while (!__atomic_load_n(&ready, __ATOMIC_SEQ_CST))
    usleep(1000);
  fse_unwatch(watcher);
  fse_shutdown();
  free(watcher);
  return 0;
}
