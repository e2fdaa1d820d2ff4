// Port: memcached/memcached#920 ("Race leads to deadlock during shutdown (sigterm/sigusr1)")
//   On SIGTERM/SIGUSR1 memcached's main thread runs stop_threads(), which
//   parks the worker threads on worker_hang_lock and then stops the
//   background threads one by one; stop_logger_thread() clears
//   do_run_logger_thread, signals logger_stack_cond and joins the logger
//   thread. The logger thread, when no watcher is attached, takes
//   logger_stack_lock, sees watcher_count == 0 and sleeps in
//   pthread_cond_wait(logger_stack_cond). stop_logger_thread() set the flag
//   and signalled without taking logger_stack_lock, so the signal could land
//   after the logger thread had decided to wait but before it was waiting:
//   the signal is lost, the logger thread waits forever, the main thread
//   hangs in pthread_join() and the workers stay stuck on worker_hang_lock.
// Style: pthread C style (pthread_mutex_t / pthread_cond_t statics with
//   PTHREAD_*_INITIALIZER, pthread_create / pthread_join, a volatile run flag,
//   usleep back-off as in logger.c)
// Bug class: lost wake-up: the stopper writes the flag and signals the
//   condition variable without holding the mutex the waiter checks under
// Shape: a watcher attaches and detaches, so the logger thread makes one
//   pass over the logger stack and comes back to wait. On that pass it is
//   preempted (forcing: 200 ms) while holding logger_stack_lock, after it
//   has seen watcher_count == 0 and before pthread_cond_wait(). SIGTERM
//   arrives at ~100 ms: stop_logger_thread() clears the flag, signals nobody
//   and joins; the logger thread then waits forever and main hangs.
// Fix: stop_logger_thread() takes logger_stack_lock around clearing
//   do_run_logger_thread and pthread_cond_signal(), so the signal can only be
//   sent once the logger thread is inside pthread_cond_wait() (or has not yet
//   taken the lock and will see the cleared flag).
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct _logger {
    struct _logger *prev;
    struct _logger *next;
    pthread_mutex_t mutex;
    unsigned int written;
} logger;

static logger *logger_stack_head = NULL;
static unsigned int logger_count = 0;
static volatile int do_run_logger_thread = 1;
static pthread_t logger_tid;
static pthread_mutex_t logger_stack_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t logger_stack_cond = PTHREAD_COND_INITIALIZER;
static int watcher_count = 0;
static volatile int forced_preemption = 0; /* port only: forces the bad schedule */

static pthread_mutex_t worker_hang_lock = PTHREAD_MUTEX_INITIALIZER;

#define MAX_LOGGER_SLEEP 1000000
#define MIN_LOGGER_SLEEP 1000

static void logger_link_q(logger *l) {
    pthread_mutex_lock(&logger_stack_lock);
    l->prev = NULL;
    l->next = logger_stack_head;
    if (l->next) l->next->prev = l;
    logger_stack_head = l;
    logger_count++;
    pthread_mutex_unlock(&logger_stack_lock);
}

static int logger_thread_read(logger *l) {
    pthread_mutex_lock(&l->mutex);
    unsigned int n = l->written;
    l->written = 0;
    pthread_mutex_unlock(&l->mutex);
    return (int)n;
}

/* Primary logger thread routine */
static void *logger_thread(void *arg) {
    (void)arg;
    useconds_t to_sleep = MIN_LOGGER_SLEEP;
    while (do_run_logger_thread) {
        int found_logs = 0;
        logger *l;

        if (to_sleep > MIN_LOGGER_SLEEP)
            usleep(to_sleep);

        pthread_mutex_lock(&logger_stack_lock);
        if (watcher_count == 0) {
            if (forced_preemption) {
                forced_preemption = 0;
                usleep(200 * 1000); /* preempted between the check and the wait */
            }
            // Not bothering to loop on the condition here since it's fine to
            // walk through with zero watchers.
            pthread_cond_wait(&logger_stack_cond, &logger_stack_lock); // LEAK
        }
        for (l = logger_stack_head; l != NULL; l = l->next)
            found_logs += logger_thread_read(l);
        pthread_mutex_unlock(&logger_stack_lock);

        if (!found_logs) {
            to_sleep += to_sleep / 8;
            if (to_sleep > MAX_LOGGER_SLEEP) to_sleep = MAX_LOGGER_SLEEP;
        } else {
            to_sleep = MIN_LOGGER_SLEEP;
        }
    }
    fprintf(stderr, "LOGGER: thread stopped\n");
    return NULL;
}

static int start_logger_thread(void) {
    int ret;
    do_run_logger_thread = 1;
    if ((ret = pthread_create(&logger_tid, NULL, logger_thread, NULL)) != 0) {
        fprintf(stderr, "Can't start logger thread: %s\n", strerror(ret));
        return -1;
    }
    return 0;
}

static int stop_logger_thread(void) {
    do_run_logger_thread = 0;
    pthread_cond_signal(&logger_stack_cond);
    pthread_join(logger_tid, NULL);
    return 0;
}

/* "watch" command from a client connection: attach, then detach. */
static void logger_add_watcher(void) {
    pthread_mutex_lock(&logger_stack_lock);
    watcher_count++;
    pthread_cond_signal(&logger_stack_cond);
    pthread_mutex_unlock(&logger_stack_lock);
}

static void logger_close_watcher(void) {
    pthread_mutex_lock(&logger_stack_lock);
    watcher_count--;
    forced_preemption = 1;
    pthread_mutex_unlock(&logger_stack_lock);
}

/* Graceful shutdown path (SIGTERM / SIGUSR1). */
static void stop_threads(void) {
    fprintf(stderr, "asking workers to stop\n");
    pthread_mutex_lock(&worker_hang_lock);
    fprintf(stderr, "stopping logger thread\n");
    stop_logger_thread();
    fprintf(stderr, "all background threads stopped\n");
    pthread_mutex_unlock(&worker_hang_lock);
}

int main(void) {
    static logger worker_logger;
    memset(&worker_logger, 0, sizeof(worker_logger));
    pthread_mutex_init(&worker_logger.mutex, NULL);
    logger_link_q(&worker_logger);

    start_logger_thread();
    usleep(20 * 1000); /* the logger thread parks with no watcher */

    logger_add_watcher();
    logger_close_watcher();

    usleep(100 * 1000); /* SIGTERM */
    stop_threads();
    return 0;
}
