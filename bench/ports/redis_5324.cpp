// Port: redis/redis#5324 ("bio: fix bioWaitStepOfType.")
//   (also reported as redis/redis#5375, "Possible race in
//   bioWaitStepOfType".) bio.c runs one background thread per job type
//   (close(2), AOF fsync, lazy free), each popping jobs from its list under
//   bio_mutex[type]. bioWaitStepOfType() lets the caller wait until the
//   thread has made progress: under the mutex it reads bio_pending[type] and,
//   if jobs are pending, waits once on bio_step_cond[type]. The worker,
//   however, broadcast bio_step_cond after finishing a job but *before*
//   re-locking the mutex and decrementing bio_pending. With a single job in
//   the queue, a caller that locks the mutex between the broadcast and the
//   re-lock still sees bio_pending == 1 and waits for a broadcast that has
//   already been sent; if the caller is the only producer of jobs, nothing
//   ever wakes it.
// Style: pthread C style (pthread_create/pthread_cancel/pthread_join,
//   pthread_mutex_t and pthread_cond_t arrays indexed by job type, adlist's
//   list reduced, zmalloc as malloc; the bio threads are cancelled with
//   deferred rather than asynchronous cancellation)
// Bug class: lost wake-up: the condition is signalled before the state it
//   announces is published under the mutex
// Shape: main starts the bio threads and queues one AOF fsync job (100 ms of
//   disk time). The AOF thread finishes it, broadcasts bio_step_cond and is
//   then preempted (forcing: 100 ms) before re-locking. At 150 ms main calls
//   bioWaitStepOfType(BIO_AOF_FSYNC), sees one pending job and waits; the
//   worker then decrements bio_pending and parks waiting for a new job, and
//   main waits forever.
// Fix: the worker broadcasts bio_step_cond after it has re-locked the mutex,
//   removed the job and decremented bio_pending, so a waiter either sees
//   the decrement or is already waiting when the broadcast is sent.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ---- adlist.h, reduced ---- */
typedef struct listNode {
  struct listNode *prev, *next;
  void *value;
} listNode;
typedef struct list {
  listNode *head, *tail;
  unsigned long len;
} list;
#define listLength(l) ((l)->len)
#define listFirst(l) ((l)->head)

static list *listCreate(void) { return (list *)calloc(1, sizeof(list)); }
static void listAddNodeTail(list *l, void *value) {
  listNode *node = (listNode *)malloc(sizeof(*node));
  node->value = value;
  node->next = NULL;
  node->prev = l->tail;
  if (l->tail) l->tail->next = node; else l->head = node;
  l->tail = node;
  l->len++;
}
static void listDelNode(list *l, listNode *node) {
  if (node->prev) node->prev->next = node->next; else l->head = node->next;
  if (node->next) node->next->prev = node->prev; else l->tail = node->prev;
  free(node);
  l->len--;
}
#define zmalloc malloc
#define zfree free

/* ---- bio.h / bio.c ---- */
#define BIO_CLOSE_FILE 0 /* Deferred close(2) syscall. */
#define BIO_AOF_FSYNC 1  /* Deferred AOF fsync. */
#define BIO_LAZY_FREE 2  /* Deferred objects freeing. */
#define BIO_NUM_OPS 3

static pthread_t bio_threads[BIO_NUM_OPS];
static pthread_mutex_t bio_mutex[BIO_NUM_OPS];
static pthread_cond_t bio_newjob_cond[BIO_NUM_OPS];
static pthread_cond_t bio_step_cond[BIO_NUM_OPS];
static list *bio_jobs[BIO_NUM_OPS];
static unsigned long long bio_pending[BIO_NUM_OPS];

struct bio_job {
  time_t time;
  void *arg1, *arg2, *arg3;
};

static void *bioProcessBackgroundJobs(void *arg);

static void redis_fsync(int fd) {
  fsync(fd);
  usleep(100 * 1000); /* a slow disk */
}

static void bioInit(void) {
  for (int j = 0; j < BIO_NUM_OPS; j++) {
    pthread_mutex_init(&bio_mutex[j], NULL);
    pthread_cond_init(&bio_newjob_cond[j], NULL);
    pthread_cond_init(&bio_step_cond[j], NULL);
    bio_jobs[j] = listCreate();
    bio_pending[j] = 0;
  }
  for (int j = 0; j < BIO_NUM_OPS; j++) {
    void *arg = (void *)(unsigned long)j;
    if (pthread_create(&bio_threads[j], NULL, bioProcessBackgroundJobs, arg) != 0) {
      fprintf(stderr, "Fatal: Can't initialize Background Jobs.\n");
      exit(1);
    }
  }
}

static void bioCreateBackgroundJob(int type, void *arg1, void *arg2, void *arg3) {
  struct bio_job *job = (struct bio_job *)zmalloc(sizeof(*job));
  job->time = time(NULL);
  job->arg1 = arg1;
  job->arg2 = arg2;
  job->arg3 = arg3;
  pthread_mutex_lock(&bio_mutex[type]);
  listAddNodeTail(bio_jobs[type], job);
  bio_pending[type]++;
  pthread_cond_signal(&bio_newjob_cond[type]);
  pthread_mutex_unlock(&bio_mutex[type]);
}

static void *bioProcessBackgroundJobs(void *arg) {
  struct bio_job *job;
  unsigned long type = (unsigned long)arg;
  sigset_t sigset;

  /* Make the thread killable at any time, so that bioKillThreads()
   * can work reliably. */
  pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
  pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED, NULL);

  pthread_mutex_lock(&bio_mutex[type]);
  /* Block SIGALRM so we are sure that only the main thread will
   * receive the watchdog signal. */
  sigemptyset(&sigset);
  sigaddset(&sigset, SIGALRM);
  pthread_sigmask(SIG_BLOCK, &sigset, NULL);

  while (1) {
    listNode *ln;

    /* The loop always starts with the lock hold. */
    if (listLength(bio_jobs[type]) == 0) {
      pthread_cond_wait(&bio_newjob_cond[type], &bio_mutex[type]);
      continue;
    }
    /* Pop the job from the queue. */
    ln = listFirst(bio_jobs[type]);
    job = (struct bio_job *)ln->value;
    /* It is now possible to unlock the background system as we know have
     * a stand alone job structure to process.*/
    pthread_mutex_unlock(&bio_mutex[type]);

    /* Process the job accordingly to its type. */
    if (type == BIO_CLOSE_FILE) {
      close((int)(long)job->arg1);
    } else if (type == BIO_AOF_FSYNC) {
      redis_fsync((int)(long)job->arg1);
    } else if (type == BIO_LAZY_FREE) {
      free(job->arg1);
    }
    zfree(job);

    /* Unblock threads blocked on bioWaitStepOfType() if any. */
    pthread_cond_broadcast(&bio_step_cond[type]);

    usleep(100 * 1000); /* forcing: the bio thread is preempted here */

    /* Lock again before reiterating the loop, if there are no longer
     * jobs to process we'll block again in pthread_cond_wait(). */
    pthread_mutex_lock(&bio_mutex[type]);
    listDelNode(bio_jobs[type], ln);
    bio_pending[type]--;
  }
  return NULL;
}

/* Return the number of pending jobs of the specified type. */
static unsigned long long bioPendingJobsOfType(int type) {
  unsigned long long val;
  pthread_mutex_lock(&bio_mutex[type]);
  val = bio_pending[type];
  pthread_mutex_unlock(&bio_mutex[type]);
  return val;
}

/* If there are pending jobs for the specified type, the function blocks
 * and waits that the next job was processed. Otherwise the function
 * does not block and returns ASAP.
 *
 * The function returns the number of jobs still to process of the
 * requested type. */
static unsigned long long bioWaitStepOfType(int type) {
  unsigned long long val;
  pthread_mutex_lock(&bio_mutex[type]);
  val = bio_pending[type];
  if (val != 0) {
    pthread_cond_wait(&bio_step_cond[type], &bio_mutex[type]); // LEAK: the worker broadcast before decrementing bio_pending
    val = bio_pending[type];
  }
  pthread_mutex_unlock(&bio_mutex[type]);
  return val;
}

/* Kill the running bio threads in an unclean way. */
static void bioKillThreads(void) {
  int err, j;
  for (j = 0; j < BIO_NUM_OPS; j++) {
    if (pthread_cancel(bio_threads[j]) == 0) {
      if ((err = pthread_join(bio_threads[j], NULL)) != 0)
        fprintf(stderr, "Bio thread for job type #%d can not be joined: %s\n", j, strerror(err));
      else
        fprintf(stderr, "Bio thread for job type #%d terminated\n", j);
    }
  }
}

int main(void) {
  char path[] = "/tmp/redis_5324_aofXXXXXX";
  int aof_fd = mkstemp(path);
  if (aof_fd == -1) return 1;
  unlink(path);
  if (write(aof_fd, "*1\r\n$4\r\nPING\r\n", 14) != 14) return 1;

  bioInit();
  bioCreateBackgroundJob(BIO_AOF_FSYNC, (void *)(long)aof_fd, NULL, NULL);

  usleep(150 * 1000);
  unsigned long long left = bioWaitStepOfType(BIO_AOF_FSYNC);
  printf("AOF fsync step done, %llu left (pending now %llu)\n", left, bioPendingJobsOfType(BIO_AOF_FSYNC));

  bioKillThreads();
  close(aof_fd);
  return 0;
}
