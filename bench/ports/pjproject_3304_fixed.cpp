// Port: pjsip/pjproject#3304 ("Fix indefinite wait when trying to stop pjmedia_clock")
//   (fixes pjsip/pjproject#3298, "Deadlock while performing
//   pjmedia_clock_stop".) A pjmedia_clock runs its own pjlib thread,
//   clock_thread(), which loops `while (!clock->quitting)`, sleeps until the
//   next tick and calls the user callback. pjmedia_clock_stop() sets
//   running = PJ_FALSE and quitting = PJ_TRUE and pj_thread_join()s the clock
//   thread. Since pjsip/pjproject#1394 the stop may also be called from the
//   clock callback itself: pj_thread_join() on the calling thread returns
//   PJ_ECANCELLED, and stop then reverted quitting to PJ_FALSE so that the
//   clock could be restarted later. The DTLS-SRTP transport runs its
//   handshake retransmissions on such a clock: the application stops the
//   clock from dtls_media_stop() (call hang-up) while the clock callback,
//   having flushed the last handshake flight, stops the same clock from the
//   clock thread. The second stop clears the quitting flag the first one is
//   waiting on: the clock thread keeps ticking forever (running is false, so
//   it only sleeps) and the application thread is stuck in pj_thread_join().
// Style: project wrappers: pjlib's thread/lock API written in the file as
//   pjlib has it (pj_thread_t, pj_thread_create/join/destroy/this/sleep over
//   pthreads, pj_lock_t null mutex, pj_timestamp, pj_status_t codes,
//   PJ_DEF), pjmedia_clock on top of it
// Bug class: join of a thread whose stop flag is reset by a concurrent stop
//   issued from inside the thread (self-join failure path undoes the stop);
//   the joined loop never exits
// Shape: the 20 ms clock fires at 20 ms; the callback flushes the DTLS flight
//   for 50 ms (forcing: slow socket) and then stops the clock. At 40 ms the
//   application hangs up: dtls_media_stop() stops the clock and joins its
//   thread. At ~70 ms the callback's stop gets PJ_ECANCELLED and resets
//   quitting; main's pj_thread_join() never returns.
// Fix: pjmedia_clock_stop() no longer reverts quitting when it is called from
//   the clock thread: it returns PJ_EBUSY and the thread exits after the
//   callback; pjmedia_clock_start() destroys a leftover thread descriptor
//   before creating a new thread.
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- pjlib (pj/types.h, pj/errno.h, pj/os.h, pj/lock.h) ---- */
#define PJ_DEF(type) type
typedef int pj_status_t;
typedef int pj_bool_t;
typedef unsigned long long pj_uint64_t;
enum { PJ_FALSE = 0, PJ_TRUE = 1 };
enum { PJ_SUCCESS = 0, PJ_EINVAL = 70004, PJ_EBUSY = 70011, PJ_ECANCELLED = 70014 };
#define PJ_ASSERT_RETURN(expr, retval) \
  do { if (!(expr)) return retval; } while (0)

typedef struct pj_timestamp { pj_uint64_t u64; } pj_timestamp;
typedef int(pj_thread_proc)(void *);

struct pj_thread_t {
  char obj_name[32];
  pthread_t thread;
  pj_thread_proc *proc;
  void *arg;
};

static thread_local pj_thread_t *thread_tls = NULL;

PJ_DEF(pj_thread_t *) pj_thread_this(void) { return thread_tls; }

static void *thread_main(void *param) {
  pj_thread_t *rec = (pj_thread_t *)param;
  thread_tls = rec;
  rec->proc(rec->arg);
  return NULL;
}

PJ_DEF(pj_status_t) pj_thread_create(const char *name, pj_thread_proc *proc, void *arg, pj_thread_t **ptr_thread) {
  pj_thread_t *rec = (pj_thread_t *)calloc(1, sizeof(pj_thread_t));
  snprintf(rec->obj_name, sizeof(rec->obj_name), "%s", name);
  rec->proc = proc;
  rec->arg = arg;
  int rc = pthread_create(&rec->thread, NULL, &thread_main, rec);
  if (rc != 0) return PJ_EINVAL;
  *ptr_thread = rec;
  return PJ_SUCCESS;
}

PJ_DEF(pj_status_t) pj_thread_join(pj_thread_t *p) {
  void *ret;
  if (p == pj_thread_this()) return PJ_ECANCELLED;
  int result = pthread_join(p->thread, &ret);
  if (result == 0 || result == ESRCH) return PJ_SUCCESS;
  return PJ_EINVAL;
}

PJ_DEF(pj_status_t) pj_thread_destroy(pj_thread_t *p) { free(p); return PJ_SUCCESS; }

PJ_DEF(pj_status_t) pj_thread_sleep(unsigned msec) {
  struct timespec req = {(time_t)(msec / 1000), (long)(msec % 1000) * 1000000L};
  while (nanosleep(&req, &req) != 0 && errno == EINTR) {}
  return PJ_SUCCESS;
}

PJ_DEF(pj_status_t) pj_get_timestamp(pj_timestamp *ts) {
  struct timespec tp;
  clock_gettime(CLOCK_MONOTONIC, &tp);
  ts->u64 = (pj_uint64_t)tp.tv_sec * 1000000000ULL + (pj_uint64_t)tp.tv_nsec;
  return PJ_SUCCESS;
}
PJ_DEF(unsigned) pj_elapsed_msec(const pj_timestamp *start, const pj_timestamp *stop) {
  return (unsigned)((stop->u64 - start->u64) / 1000000ULL);
}

/* pj_lock_create_null_mutex(): "I don't think we need a mutex, so we'll use null." */
typedef struct pj_lock_t { int dummy; } pj_lock_t;
PJ_DEF(pj_status_t) pj_lock_acquire(pj_lock_t *) { return PJ_SUCCESS; }
PJ_DEF(pj_status_t) pj_lock_release(pj_lock_t *) { return PJ_SUCCESS; }

/* ---- pjmedia/clock_thread.c ---- */
typedef void pjmedia_clock_callback(const pj_timestamp *ts, void *user_data);

typedef struct pjmedia_clock {
  pj_timestamp interval, next_tick, timestamp;
  unsigned timestamp_inc;
  pj_uint64_t max_jump;
  pjmedia_clock_callback *cb;
  void *user_data;
  pj_thread_t *thread;
  volatile pj_bool_t running;
  volatile pj_bool_t quitting;
  pj_lock_t lock;
} pjmedia_clock;

static int clock_thread(void *arg);

PJ_DEF(pj_status_t) pjmedia_clock_create(unsigned usec_interval, pjmedia_clock_callback *cb, void *user_data,
                                         pjmedia_clock **p_clock) {
  pjmedia_clock *clock = (pjmedia_clock *)calloc(1, sizeof(pjmedia_clock));
  clock->interval.u64 = (pj_uint64_t)usec_interval * 1000ULL;
  clock->max_jump = 500ULL * 1000000ULL;
  clock->timestamp_inc = usec_interval * 8000 / 1000000;
  clock->cb = cb;
  clock->user_data = user_data;
  *p_clock = clock;
  return PJ_SUCCESS;
}

PJ_DEF(pj_status_t) pjmedia_clock_start(pjmedia_clock *clock) {
  pj_timestamp now;
  PJ_ASSERT_RETURN(clock != NULL, PJ_EINVAL);
  if (clock->running) return PJ_SUCCESS;
  pj_get_timestamp(&now);
  clock->next_tick.u64 = now.u64 + clock->interval.u64;
  clock->running = PJ_TRUE;
  clock->quitting = PJ_FALSE;
  if (clock->thread) {
    /* This is probably the leftover thread that failed to be cleaned up
     * during the last clock stoppage. */
    pj_thread_destroy(clock->thread);
    clock->thread = NULL;
  }
  pj_status_t status = pj_thread_create("clock", &clock_thread, clock, &clock->thread);
  if (status != PJ_SUCCESS) { clock->running = PJ_FALSE; return status; }
  return PJ_SUCCESS;
}

PJ_DEF(pj_status_t) pjmedia_clock_stop(pjmedia_clock *clock) {
  PJ_ASSERT_RETURN(clock != NULL, PJ_EINVAL);
  clock->running = PJ_FALSE;
  clock->quitting = PJ_TRUE;
  if (clock->thread) {
    if (pj_thread_join(clock->thread) == PJ_SUCCESS) {
      pj_thread_destroy(clock->thread);
      clock->thread = NULL;
    } else {
      /* Called from the clock's own callback: keep quitting set so that the
       * thread stops after the callback returns. */
      return PJ_EBUSY;
    }
  }
  return PJ_SUCCESS;
}

static void clock_calc_next_tick(pjmedia_clock *clock, pj_timestamp *now) {
  if (clock->next_tick.u64 + clock->max_jump < now->u64) clock->next_tick.u64 = now->u64;
  clock->next_tick.u64 += clock->interval.u64;
}

static int clock_thread(void *arg) {
  pj_timestamp now;
  pjmedia_clock *clock = (pjmedia_clock *)arg;
  pj_get_timestamp(&clock->next_tick);
  clock->next_tick.u64 += clock->interval.u64;

  while (!clock->quitting) {
    pj_get_timestamp(&now);
    /* Wait for the next tick to happen */
    if (now.u64 < clock->next_tick.u64) pj_thread_sleep(pj_elapsed_msec(&now, &clock->next_tick));
    /* Skip if not running */
    if (!clock->running) {
      clock_calc_next_tick(clock, &now);
      continue;
    }
    pj_lock_acquire(&clock->lock);
    if (clock->cb) (*clock->cb)(&clock->timestamp, clock->user_data);
    /* Best effort way to detect if we've been destroyed in the callback */
    if (clock->quitting) {
      pj_lock_release(&clock->lock);
      break;
    }
    clock->timestamp.u64 += clock->timestamp_inc;
    clock_calc_next_tick(clock, &now);
    pj_lock_release(&clock->lock);
  }
  return 0;
}

/* ---- pjmedia/transport_srtp_dtls.c (retransmission clock only) ---- */
typedef struct dtls_srtp {
  pjmedia_clock *clock;
  volatile pj_bool_t nego_completed;
  unsigned flights_sent;
} dtls_srtp;

static void ssl_flush_wbio(dtls_srtp *ds) {
  pj_thread_sleep(50); /* forcing: the last handshake flight goes out over a slow socket */
  ds->flights_sent++;
  ds->nego_completed = PJ_TRUE;
}

static void clock_cb(const pj_timestamp *, void *user_data) {
  dtls_srtp *ds = (dtls_srtp *)user_data;
  ssl_flush_wbio(ds);
  if (ds->nego_completed) pjmedia_clock_stop(ds->clock); /* no more retransmissions needed */
}

static pj_status_t dtls_media_stop(dtls_srtp *ds) {
  if (ds->clock) pjmedia_clock_stop(ds->clock);
  ds->nego_completed = PJ_FALSE;
  return PJ_SUCCESS;
}

int main(void) {
  dtls_srtp ds = {};
  pjmedia_clock_create(20 * 1000, &clock_cb, &ds, &ds.clock);
  pjmedia_clock_start(ds.clock); /* dtls_media_start(): start handshake retransmissions */

  pj_thread_sleep(40);
  dtls_media_stop(&ds); /* the call is hung up */
  printf("media stopped after %u flight(s)\n", ds.flights_sent);
  free(ds.clock);
  return 0;
}
