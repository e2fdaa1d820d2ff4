// RUN: %expect-exit 1 %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// threadleak-blocked-forever: a condition wait gives its mutex up and takes
// it back before it returns, after every other lock its caller holds: a
// lock order like any other. And a C callback table's pointers to
// functions, set by assignment, are followed where they are called
// (SDL#12365: the opener waits on the PipeWire loop's condition holding
// the device lock; the loop thread, holding the loop lock, calls the
// stream's process callback, which takes the device lock).

#include <pthread.h>

struct loop {
  pthread_mutex_t lock;
  pthread_cond_t cond;
  int ready;
};

struct stream {
  void *data;
  void (*process)(void *data);
};

struct device {
  pthread_mutex_t lock;
  int frames;
};

static struct loop g_loop;
static struct stream g_stream;

static void loop_wait(struct loop *l) { pthread_cond_wait(&l->cond, &l->lock); }

static void *loop_thread(void *arg) {
  struct loop *l = (struct loop *)arg;
  pthread_mutex_lock(&l->lock);
  l->ready = 1;
  pthread_cond_broadcast(&l->cond);
  g_stream.process(g_stream.data);
  pthread_mutex_unlock(&l->lock);
  return 0;
}

static void output_callback(void *data) {
  struct device *d = (struct device *)data;
  pthread_mutex_lock(&d->lock);
  // CHECK: :[[@LINE-1]]:3: warning: lock-order inversion: 'lock' is acquired while 'l->lock' is held, and 'open_device' acquires 'g_loop.lock' while holding 'd->lock'; two threads taking both orders wait for each other forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE+11]]:3: note: 'd->lock' is acquired here
  // CHECK: :[[@LINE+15]]:5: note: 'loop_wait' is called here, holding 'd->lock'
  // CHECK: :[[@LINE-18]]:41: note: 'g_loop.lock' is taken back here, by the wait, while 'd->lock' is held
  // CHECK: :[[@LINE-15]]:3: note: 'l->lock' is acquired here
  // CHECK: :[[@LINE-13]]:3: note: the function object 'process' is called here, holding 'l->lock'
  d->frames++;
  pthread_mutex_unlock(&d->lock);
}

static void open_device(struct device *d) {
  pthread_t t;
  pthread_mutex_lock(&d->lock);
  g_stream.data = d;
  g_stream.process = output_callback;
  pthread_create(&t, 0, loop_thread, &g_loop);
  while (!g_loop.ready)
    loop_wait(&g_loop);
  pthread_mutex_unlock(&d->lock);
  pthread_join(t, 0);
}

// Look-alike: the callback the loop thread runs under its lock takes no
// lock of the device's.
struct quiet_device {
  pthread_mutex_t lock;
  int frames;
};
static struct loop q_loop;
static struct stream q_stream;

static void *quiet_loop_thread(void *arg) {
  struct loop *l = (struct loop *)arg;
  pthread_mutex_lock(&l->lock);
  l->ready = 1;
  pthread_cond_broadcast(&l->cond);
  q_stream.process(q_stream.data);
  pthread_mutex_unlock(&l->lock);
  return 0;
}

static void count_frames(void *data) { ((struct quiet_device *)data)->frames++; }

static void open_quiet_device(struct quiet_device *d) {
  pthread_t t;
  pthread_mutex_lock(&d->lock);
  q_stream.data = d;
  q_stream.process = count_frames;
  pthread_create(&t, 0, quiet_loop_thread, &q_loop);
  pthread_mutex_lock(&q_loop.lock);
  while (!q_loop.ready)
    pthread_cond_wait(&q_loop.cond, &q_loop.lock);
  pthread_mutex_unlock(&q_loop.lock);
  pthread_mutex_unlock(&d->lock);
  pthread_join(t, 0);
}
