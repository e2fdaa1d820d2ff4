// Port: collectd/collectd#1704 ("statsd plugin: Fix deadlock on plugin shutdown (Issue #1703)")
//   (fixes collectd/collectd#1703, "Collectd statsd plugin deadlock".) The
//   statsd plugin runs a network thread that poll()s its UDP sockets, recv()s
//   each datagram and parses it line by line; every counter, gauge, timer or
//   set update goes through statsd_metric_add()/_set(), which lock the
//   global metrics_lock that also guards metrics_tree for the read callback.
//   statsd_shutdown() locked metrics_lock first and only then set
//   network_thread_shutdown, woke the thread with pthread_kill(SIGTERM) and
//   pthread_join()ed it, before freeing the tree under the same lock. If the
//   network thread was parsing a datagram when collectd shut down, its next
//   statsd_metric_add() waited for metrics_lock, held by the thread that was
//   joining it: collectd hung on shutdown with the network thread in
//   pthread_mutex_lock() and the main thread in pthread_join().
// Style: pthread (pthread_create/pthread_join/pthread_kill,
//   pthread_mutex_t with PTHREAD_MUTEX_INITIALIZER), poll() on a UDP socket,
//   a one-shot sigaction() SIGTERM handler in the daemon; C-style code
//   with a small c_avl_* stand-in over std::map
// Bug class: lock held across pthread_join of a thread that needs the lock
// Shape: the network thread listens on 127.0.0.1; at 20 ms main sends a
//   datagram of two metrics, whose parsing starts with a 50 ms stall
//   (forcing: a big datagram). At 40 ms main runs the shutdown callback:
//   statsd_shutdown() takes metrics_lock, signals the thread (which cuts the
//   stall short) and joins it; the thread's statsd_metric_add() blocks on
//   metrics_lock forever and main never returns from pthread_join().
// Fix: statsd_shutdown() stops and joins the network thread first and takes
//   metrics_lock only afterwards to free metrics_tree.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <map>
#include <string>

/* utils_avltree.h stand-in */
typedef std::map<std::string, void *> c_avl_tree_t;
static c_avl_tree_t *c_avl_create(void) { return new c_avl_tree_t; }
static int c_avl_get(c_avl_tree_t *t, const char *key, void **value) {
  auto it = t->find(key);
  if (it == t->end()) return -1;
  *value = it->second;
  return 0;
}
static int c_avl_insert(c_avl_tree_t *t, const char *key, void *value) { return t->emplace(key, value).second ? 0 : 1; }
static int c_avl_pick(c_avl_tree_t *t, void **value) {
  if (t->empty()) return -1;
  *value = t->begin()->second;
  t->erase(t->begin());
  return 0;
}
static void c_avl_destroy(c_avl_tree_t *t) { delete t; }

enum metric_type_e { STATSD_COUNTER, STATSD_TIMER, STATSD_GAUGE, STATSD_SET };
typedef enum metric_type_e metric_type_t;

struct statsd_metric_s {
  metric_type_t type;
  double value;
  unsigned long updates_num;
};
typedef struct statsd_metric_s statsd_metric_t;

static c_avl_tree_t *metrics_tree = NULL;
static pthread_mutex_t metrics_lock = PTHREAD_MUTEX_INITIALIZER;

static pthread_t network_thread;
static volatile bool network_thread_running = 0;
static volatile bool network_thread_shutdown = 0;
static int listen_fd = -1;
static unsigned short listen_port = 0;
static volatile sig_atomic_t loop = 0;

/* Must hold metrics_lock when calling this function. */
static statsd_metric_t *statsd_metric_lookup_unsafe(char const *name, metric_type_t type) {
  char key[128];
  snprintf(key, sizeof(key), "%c:%s", "ctgs"[type], name);
  void *metric;
  if (c_avl_get(metrics_tree, key, &metric) == 0) return (statsd_metric_t *)metric;
  statsd_metric_t *m = (statsd_metric_t *)calloc(1, sizeof(*m));
  m->type = type;
  c_avl_insert(metrics_tree, key, m);
  return m;
}

static int statsd_metric_add(char const *name, double delta, metric_type_t type) {
  pthread_mutex_lock(&metrics_lock);
  statsd_metric_t *metric = statsd_metric_lookup_unsafe(name, type);
  metric->value += delta;
  metric->updates_num++;
  pthread_mutex_unlock(&metrics_lock);
  return 0;
}

static int statsd_metric_set(char const *name, double value, metric_type_t type) {
  pthread_mutex_lock(&metrics_lock);
  statsd_metric_t *metric = statsd_metric_lookup_unsafe(name, type);
  metric->value = value;
  metric->updates_num++;
  pthread_mutex_unlock(&metrics_lock);
  return 0;
}

static int statsd_parse_line(char *buffer) {
  char *name = buffer;
  char *type = strchr(name, '|');
  if (type == NULL) return -1;
  *type++ = 0;
  char *value = strrchr(name, ':');
  if (value == NULL) return -1;
  *value++ = 0;
  double v = strtod(value, NULL);
  if (strcmp("c", type) == 0) return statsd_metric_add(name, v, STATSD_COUNTER);
  if (strcmp("g", type) == 0) return statsd_metric_set(name, v, STATSD_GAUGE);
  return -1;
}

static void statsd_parse_buffer(char *buffer) {
  while (buffer != NULL) {
    char *next = strchr(buffer, '\n');
    if (next != NULL) *next++ = 0;
    if (*buffer != 0 && statsd_parse_line(buffer) != 0) fprintf(stderr, "statsd plugin: Unable to parse line\n");
    buffer = next;
  }
}

static void statsd_network_read(int fd) {
  char buffer[4096];
  ssize_t status = recv(fd, buffer, sizeof(buffer) - 1, MSG_DONTWAIT);
  if (status < 0) return;
  buffer[status] = 0;
  struct timespec stall = {0, 50 * 1000 * 1000};
  nanosleep(&stall, NULL); /* forcing: a datagram with thousands of lines */
  statsd_parse_buffer(buffer);
}

static void *statsd_network_thread(void *args) {
  struct pollfd fds[1] = {{listen_fd, POLLIN | POLLPRI, 0}};
  while (!network_thread_shutdown) {
    int status = poll(fds, 1, /* timeout = */ -1);
    if (status < 0) {
      if ((errno == EINTR) || (errno == EAGAIN)) continue;
      break;
    }
    if (fds[0].revents & (POLLIN | POLLPRI)) statsd_network_read(fds[0].fd);
    fds[0].revents = 0;
  }
  close(listen_fd);
  return (void *)0;
}

static int statsd_init(void) {
  pthread_mutex_lock(&metrics_lock);
  if (metrics_tree == NULL) metrics_tree = c_avl_create();
  pthread_mutex_unlock(&metrics_lock);

  listen_fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in sa = {};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) return errno;
  socklen_t len = sizeof(sa);
  getsockname(listen_fd, (struct sockaddr *)&sa, &len);
  listen_port = ntohs(sa.sin_port);

  if (pthread_create(&network_thread, NULL, statsd_network_thread, NULL) != 0) return -1;
  network_thread_running = 1;
  return 0;
}

static int statsd_shutdown(void) {
  void *value;

  if (network_thread_running) {
    network_thread_shutdown = 1;
    pthread_kill(network_thread, SIGTERM);
    pthread_join(network_thread, /* retval = */ NULL);
  }
  network_thread_running = 0;

  pthread_mutex_lock(&metrics_lock);

  while (c_avl_pick(metrics_tree, &value) == 0) free(value);
  c_avl_destroy(metrics_tree);
  metrics_tree = NULL;

  pthread_mutex_unlock(&metrics_lock);
  return 0;
}

static void sig_term_handler(int) { loop = loop + 1; }

int main(void) {
  struct sigaction sa = {};
  sa.sa_handler = sig_term_handler;
  sa.sa_flags = SA_RESETHAND; /* a second SIGTERM terminates the daemon outright */
  sigaction(SIGTERM, &sa, NULL);

  if (statsd_init() != 0) return 1;

  struct timespec ts = {0, 20 * 1000 * 1000};
  nanosleep(&ts, NULL);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in dst = {};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(listen_port);
  dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const char *payload = "consul.memberlist.udp.received:30|c\nconsul.runtime.num_goroutines:42|g\n";
  sendto(fd, payload, strlen(payload), 0, (struct sockaddr *)&dst, sizeof(dst));
  close(fd);

  nanosleep(&ts, NULL);
  statsd_shutdown(); /* plugin_shutdown_all() */
  printf("collectd: shutdown complete\n");
  return 0;
}
