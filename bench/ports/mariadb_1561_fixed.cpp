// Port: MariaDB/server#1561 ("MDEV-22666 galera.MW-328A hang")
//   A Galera node runs KILL CONNECTION against a connection that is committing.
//   The KILL path (kill_one_thread -> THD::awake -> ha_kill_query ->
//   innobase_kill_query) locks the victim's THD::LOCK_thd_data and then wants
//   the victim's InnoDB trx mutex. The victim, in trx_commit_in_memory(),
//   holds its own trx mutex and calls wsrep_commit_ordered(), which locks
//   THD::LOCK_thd_data to update the wsrep client state. Lock order
//   LOCK_thd_data -> trx mutex on one side, trx mutex -> LOCK_thd_data on the
//   other: "a classic two thread deadlock". Both connection threads block and
//   the server can never join them.
// Style: pthread C style (pthread_create/pthread_join, MariaDB's mysql_mutex_t wrapper over pthread_mutex_t with mysql_mutex_lock/unlock, trx_mutex_enter/exit)
// Bug class: lock-order inversion (AB-BA) between the KILL path and the commit path
// Shape: the victim enters trx_commit_in_memory() at t=0 and takes its trx
//   mutex, then spends 100 ms releasing its locks before wsrep_commit_ordered().
//   The killer locks LOCK_thd_data at t=50 ms and calls innobase_kill_query(),
//   which waits for the trx mutex; at t=100 ms the victim waits for
//   LOCK_thd_data. main's pthread_join() never returns.
// Fix: InnoDB commit no longer calls wsrep_commit_ordered() while holding the
//   trx mutex: it releases the mutex first, so the commit path follows the KILL
//   protocol's order (LOCK_thd_data before trx mutex).
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

/* include/mysql/psi/mysql_thread.h, without instrumentation */
struct mysql_mutex_t {
  pthread_mutex_t m_mutex;
  const char *name;
};
static void mysql_mutex_init(mysql_mutex_t *that, const char *name) {
  pthread_mutex_init(&that->m_mutex, NULL);
  that->name = name;
}
static void mysql_mutex_destroy(mysql_mutex_t *that) { pthread_mutex_destroy(&that->m_mutex); }
static int mysql_mutex_lock(mysql_mutex_t *that) { return pthread_mutex_lock(&that->m_mutex); }
static int mysql_mutex_unlock(mysql_mutex_t *that) { return pthread_mutex_unlock(&that->m_mutex); }

enum killed_state { NOT_KILLED = 0, KILL_CONNECTION = 8 };
enum trx_state_t { TRX_STATE_ACTIVE, TRX_STATE_PREPARED, TRX_STATE_COMMITTED_IN_MEMORY };

struct trx_t;

struct THD {
  mysql_mutex_t LOCK_thd_data;
  killed_state killed;
  unsigned long thread_id;
  trx_t *ha_data; /* the InnoDB transaction of this connection */
  int wsrep_trx_state;
};

struct trx_t {
  mysql_mutex_t mutex;
  trx_state_t state;
  THD *mysql_thd;
  int wait_lock;
};

static void trx_mutex_enter(trx_t *trx) { mysql_mutex_lock(&trx->mutex); }
static void trx_mutex_exit(trx_t *trx) { mysql_mutex_unlock(&trx->mutex); }

/* sql/wsrep_trans_observer.h: the ordered-commit hook of the wsrep client */
static void wsrep_commit_ordered(THD *thd) {
  mysql_mutex_lock(&thd->LOCK_thd_data);
  thd->wsrep_trx_state = 1; /* s_ordered_commit */
  mysql_mutex_unlock(&thd->LOCK_thd_data);
}

/* storage/innobase/trx/trx0trx.cc */
static void trx_commit_in_memory(trx_t *trx) {
  trx_mutex_enter(trx);
  trx->state = TRX_STATE_COMMITTED_IN_MEMORY;
  usleep(100 * 1000); /* lock_trx_release_locks(), undo cleanup */
  trx_mutex_exit(trx);
  /* not under the trx mutex: KILL locks LOCK_thd_data before the trx mutex */
  if (trx->mysql_thd != NULL)
    wsrep_commit_ordered(trx->mysql_thd);
}

/* storage/innobase/handler/ha_innodb.cc */
static void innobase_kill_query(THD *thd) {
  trx_t *trx = thd->ha_data;
  trx_mutex_enter(trx);
  if (trx->wait_lock)
    trx->wait_lock = 0; /* lock_cancel_waiting_and_release() */
  trx_mutex_exit(trx);
}

/* sql/sql_class.cc, sql/handler.cc */
static void ha_kill_query(THD *thd) { innobase_kill_query(thd); }
static void THD_awake(THD *thd, killed_state state) {
  thd->killed = state;
  ha_kill_query(thd);
}

static THD victim_thd;
static trx_t victim_trx;

/* connection 1: COMMIT */
static void *handle_one_connection_commit(void *) {
  printf("conn %lu: COMMIT\n", victim_thd.thread_id);
  trx_commit_in_memory(victim_thd.ha_data);
  printf("conn %lu: committed\n", victim_thd.thread_id);
  return NULL;
}

/* connection 2: KILL CONNECTION <victim> (sql_parse.cc kill_one_thread) */
static void *handle_one_connection_kill(void *) {
  usleep(50 * 1000);
  THD *tmp = &victim_thd;
  mysql_mutex_lock(&tmp->LOCK_thd_data);
  printf("conn 2: KILL CONNECTION %lu\n", tmp->thread_id);
  THD_awake(tmp, KILL_CONNECTION);
  mysql_mutex_unlock(&tmp->LOCK_thd_data);
  printf("conn 2: kill done\n");
  return NULL;
}

int main() {
  mysql_mutex_init(&victim_thd.LOCK_thd_data, "LOCK_thd_data");
  mysql_mutex_init(&victim_trx.mutex, "trx_mutex");
  victim_thd.thread_id = 11;
  victim_thd.killed = NOT_KILLED;
  victim_thd.ha_data = &victim_trx;
  victim_trx.mysql_thd = &victim_thd;
  victim_trx.state = TRX_STATE_PREPARED;

  pthread_t committer, killer;
  pthread_create(&committer, NULL, handle_one_connection_commit, NULL);
  pthread_create(&killer, NULL, handle_one_connection_kill, NULL);
  pthread_join(committer, NULL);
  pthread_join(killer, NULL);

  mysql_mutex_destroy(&victim_trx.mutex);
  mysql_mutex_destroy(&victim_thd.LOCK_thd_data);
  printf("shutdown complete\n");
  return 0;
}
