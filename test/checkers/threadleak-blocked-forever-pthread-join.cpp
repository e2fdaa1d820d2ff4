// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// threadleak-blocked-forever and pthread_join(): it waits for the routine
// pthread_create started on the same pthread_t, whether the id is a local
// of the joining function or a global another function created it in
// (collectd#1704: statsd_shutdown() joins the network thread holding
// metrics_lock, which the thread takes to add a metric).

#include <pthread.h>

extern "C" int poll_socket(void);

static pthread_mutex_t metrics_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t network_thread;
static int shutdown_requested;
static int metrics;

static void metric_add(void) {
  pthread_mutex_lock(&metrics_lock);
  ++metrics;
  pthread_mutex_unlock(&metrics_lock);
}

static void *network_main(void *) {
  while (!shutdown_requested)
    if (poll_socket() > 0)
      metric_add();
  return nullptr;
}

int plugin_init(void) {
  return pthread_create(&network_thread, nullptr, network_main, nullptr);
}

// Reported: the join waits for a thread that needs the lock it holds.
int plugin_shutdown(void) {
  pthread_mutex_lock(&metrics_lock);
  shutdown_requested = 1;
  pthread_join(network_thread, nullptr);
  // CHECK: :[[@LINE-1]]:3: warning: pthread_join() waits for the thread while holding 'metrics_lock', which the thread acquires before it can finish: both wait forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE-4]]:3: note: 'metrics_lock' is acquired here
  // CHECK: :[[@LINE-10]]:10: note: the thread is started here
  // CHECK: :[[@LINE-16]]:7: note: 'metric_add' is called here, in the thread
  // CHECK: :[[@LINE-25]]:3: note: the thread acquires 'metrics_lock' here
  metrics = 0;
  pthread_mutex_unlock(&metrics_lock);
  return 0;
}

// Silent: the fix joins first, and locks only to clear what is left.
int plugin_shutdown_fixed(void) {
  shutdown_requested = 1;
  pthread_join(network_thread, nullptr);
  pthread_mutex_lock(&metrics_lock);
  metrics = 0;
  pthread_mutex_unlock(&metrics_lock);
  return 0;
}

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;

static void *counter(void *) {
  for (int i = 0; i < 3; ++i)
    if (poll_socket() > 0)
      return nullptr;
  return nullptr;
}

// Reported: a local thread, joined under the lock its routine takes.
int run_local(void) {
  pthread_t t;
  pthread_create(&t, nullptr, network_main, nullptr);
  pthread_mutex_lock(&metrics_lock);
  pthread_join(t, nullptr);
  // CHECK: :[[@LINE-1]]:3: warning: pthread_join() waits for the thread while holding 'metrics_lock', which the thread acquires before it can finish: both wait forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE-3]]:3: note: 'metrics_lock' is acquired here
  // CHECK: :[[@LINE-5]]:3: note: the thread is started here
  // CHECK: :[[@LINE-51]]:7: note: 'metric_add' is called here, in the thread
  // CHECK: :[[@LINE-60]]:3: note: the thread acquires 'metrics_lock' here
  pthread_mutex_unlock(&metrics_lock);
  return 0;
}

// Silent: a local thread joined under a lock its routine never takes.
int run_counter(void) {
  pthread_t t;
  pthread_mutex_lock(&queue_lock);
  pthread_create(&t, nullptr, counter, nullptr);
  pthread_join(t, nullptr);
  pthread_mutex_unlock(&queue_lock);
  return 0;
}
