// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// C projects wrap pthread's mutex in a struct of their own (MySQL's
// mysql_mutex_t, PostgreSQL's and SQLite's) and lock it through functions
// that take a pointer to it. Every such mutex is the same member of the
// wrapper: two of them are still two mutexes when the members (or the
// variables) that hold the wrappers differ.

#include <pthread.h>

struct my_mutex_t {
  pthread_mutex_t m_mutex;
  const char *name;
};
static int my_mutex_lock(my_mutex_t *that) { return pthread_mutex_lock(&that->m_mutex); }
static int my_mutex_unlock(my_mutex_t *that) { return pthread_mutex_unlock(&that->m_mutex); }

struct trx_t;
struct THD {
  my_mutex_t LOCK_thd_data;
  trx_t *trx;
  int killed;
};
struct trx_t {
  my_mutex_t mutex;
  THD *thd;
  int state;
};

static void trx_mutex_enter(trx_t *trx) { my_mutex_lock(&trx->mutex); }
static void trx_mutex_exit(trx_t *trx) { my_mutex_unlock(&trx->mutex); }

// The commit path: the trx mutex, then the THD's.
static void commit_ordered(THD *thd) {
  my_mutex_lock(&thd->LOCK_thd_data);
  thd->killed = 0;
  my_mutex_unlock(&thd->LOCK_thd_data);
}
static void commit(trx_t *trx) {
  trx_mutex_enter(trx);
  trx->state = 2;
  commit_ordered(trx->thd);
  trx_mutex_exit(trx);
}

// The kill path: the THD's mutex, then the trx mutex.
static void kill_query(THD *thd) {
  trx_t *trx = thd->trx;
  trx_mutex_enter(trx);
  // CHECK: :[[@LINE-1]]:3: warning: lock-order inversion: 'mutex.m_mutex' is acquired while 'victim.LOCK_thd_data.m_mutex' is held, and 'commit' acquires 'trx->thd->LOCK_thd_data.m_mutex' while holding 'trx->mutex.m_mutex'; two threads taking both orders wait for each other forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE-11]]:3: note: 'trx_mutex_enter' is called here
  // CHECK: :[[@LINE-22]]:43: note: 'my_mutex_lock' is called here
  // CHECK: :[[@LINE-38]]:53: note: 'trx->mutex.m_mutex' is acquired here
  // CHECK: :[[@LINE-12]]:3: note: 'commit_ordered' is called here, holding 'trx->mutex.m_mutex'
  // CHECK: :[[@LINE-20]]:3: note: 'my_mutex_lock' is called here, holding 'trx->mutex.m_mutex'
  // CHECK: :[[@LINE-41]]:53: note: 'trx->thd->LOCK_thd_data.m_mutex' is acquired here while 'trx->mutex.m_mutex' is held
  // CHECK: :[[@LINE+17]]:3: note: 'my_mutex_lock' is called here
  // CHECK: :[[@LINE-43]]:53: note: 'victim.LOCK_thd_data.m_mutex' is acquired here
  // CHECK: :[[@LINE+16]]:3: note: 'kill_query' is called here, holding 'victim.LOCK_thd_data.m_mutex'
  // CHECK: :[[@LINE-11]]:3: note: 'trx_mutex_enter' is called here, holding 'victim.LOCK_thd_data.m_mutex'
  // CHECK: :[[@LINE-31]]:43: note: 'my_mutex_lock' is called here, holding 'victim.LOCK_thd_data.m_mutex'
  trx->state = 3;
  trx_mutex_exit(trx);
}

static THD victim;
static trx_t victim_trx;

static void *committer(void *) {
  commit(victim.trx);
  return nullptr;
}
static void *killer(void *) {
  my_mutex_lock(&victim.LOCK_thd_data);
  kill_query(&victim);
  my_mutex_unlock(&victim.LOCK_thd_data);
  return nullptr;
}

// Negative: both threads take the two wrapped mutexes in one order.
static THD other;
static void *orderly1(void *) {
  my_mutex_lock(&other.LOCK_thd_data);
  trx_mutex_enter(other.trx);
  trx_mutex_exit(other.trx);
  my_mutex_unlock(&other.LOCK_thd_data);
  return nullptr;
}
static void *orderly2(void *) {
  my_mutex_lock(&other.LOCK_thd_data);
  trx_mutex_enter(other.trx);
  trx_mutex_exit(other.trx);
  my_mutex_unlock(&other.LOCK_thd_data);
  return nullptr;
}

// Negative: two wrapped mutexes held by global variables, taken in one
// order, the second through the wrapper: not the same mutex taken twice.
static my_mutex_t lock_a, lock_b;
static void *nested(void *) {
  my_mutex_lock(&lock_a);
  my_mutex_lock(&lock_b);
  my_mutex_unlock(&lock_b);
  my_mutex_unlock(&lock_a);
  return nullptr;
}

int main() {
  victim.trx = &victim_trx;
  victim_trx.thd = &victim;
  pthread_t t[5];
  pthread_create(&t[0], nullptr, committer, nullptr);
  pthread_create(&t[1], nullptr, killer, nullptr);
  pthread_create(&t[2], nullptr, orderly1, nullptr);
  pthread_create(&t[3], nullptr, orderly2, nullptr);
  pthread_create(&t[4], nullptr, nested, nullptr);
  for (pthread_t &x : t)
    pthread_join(x, nullptr);
}
