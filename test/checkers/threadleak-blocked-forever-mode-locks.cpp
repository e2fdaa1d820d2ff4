// RUN: %expect-exit 1 %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// threadleak-blocked-forever and locking that a mode of the program turns
// on or off (`if (threads_enabled()) pthread_mutex_lock(m)`, a mutex an
// object may not have): with the mode off nothing locks and nothing can
// wait, so the lock sets are those of the mode that locks.

#include <mutex>
#include <pthread.h>

// OpenMPI's OPAL_THREAD_LOCK: lock only once threading is enabled.
static bool opal_uses_threads = false;
static inline bool opal_using_threads(void) { return opal_uses_threads; }
#define OPAL_THREAD_LOCK(m)                                                    \
  do {                                                                         \
    if (opal_using_threads())                                                  \
      pthread_mutex_lock(&(m)->lock);                                          \
  } while (0)
#define OPAL_THREAD_UNLOCK(m)                                                  \
  do {                                                                         \
    if (opal_using_threads())                                                  \
      pthread_mutex_unlock(&(m)->lock);                                        \
  } while (0)

struct opal_mutex_t {
  pthread_mutex_t lock;
};
struct opal_info_t {
  opal_mutex_t *i_lock;
  int n;
};

opal_info_t *opal_info_new() {
  opal_info_t *info = new opal_info_t;
  info->i_lock = new opal_mutex_t;
  pthread_mutex_init(&info->i_lock->lock, nullptr);
  info->n = 0;
  return info;
}

int opal_info_get(opal_info_t *info) {
  OPAL_THREAD_LOCK(info->i_lock);
  // CHECK: :[[@LINE-1]]:3: warning: 'info->i_lock->lock' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE-27]]:7: note: expanded from macro 'OPAL_THREAD_LOCK'
  // CHECK: :[[@LINE+10]]:3: note: 'info->i_lock->lock' is acquired here
  // CHECK: :[[@LINE-29]]:7: note: expanded from macro 'OPAL_THREAD_LOCK'
  // CHECK: :[[@LINE+9]]:11: note: 'opal_info_get' is called here, with 'info->i_lock->lock' held
  int n = info->n;
  OPAL_THREAD_UNLOCK(info->i_lock);
  return n;
}

// ompi#3838: the dup holds the lock into the locking getter.
int opal_info_dup(opal_info_t *info) {
  OPAL_THREAD_LOCK(info->i_lock);
  int n = opal_info_get(info);
  OPAL_THREAD_UNLOCK(info->i_lock);
  return n;
}

// The fix: the getter that expects its caller to hold the lock.
static int opal_info_get_nolock(opal_info_t *info) { return info->n; }
int opal_info_dup_fixed(opal_info_t *info) {
  OPAL_THREAD_LOCK(info->i_lock);
  int n = opal_info_get_nolock(info);
  OPAL_THREAD_UNLOCK(info->i_lock);
  return n;
}

// A mutex the object may not have.
class Cache {
public:
  int get() {
    if (mu_)
      mu_->lock();
      // CHECK: :[[@LINE-1]]:7: warning: 'mu_' is acquired again by code that already holds it; it waits for itself forever [threadleak-blocked-forever]
      // CHECK: :[[@LINE+9]]:7: note: 'mu_' is acquired here
      // CHECK: :[[@LINE+9]]:13: note: 'Cache::get' is called here, with 'mu_' held
    int v = value_;
    if (mu_)
      mu_->unlock();
    return v;
  }
  int twice() {
    if (mu_ != nullptr)
      mu_->lock();
    int v = get() + get();
    if (mu_ != nullptr)
      mu_->unlock();
    return v;
  }
  int twice_fixed() {
    int v = get() + get();
    return v;
  }

private:
  std::mutex *mu_ = nullptr;
  int value_ = 0;
};

// Look-alike: the caller says with a parameter that it holds the lock.
struct Table {
  std::mutex mu;
  int rows = 0;
  int count(bool locked) {
    if (!locked)
      mu.lock();
    int n = rows;
    if (!locked)
      mu.unlock();
    return n;
  }
  int countLocked(bool need) {
    if (need)
      mu.lock();
    int n = rows;
    if (need)
      mu.unlock();
    return n;
  }
  int total() {
    std::lock_guard<std::mutex> g(mu);
    return count(true) + countLocked(false);
  }
};

// Look-alike: a thread's own flag says whether it already holds the lock
// (the caller clears it around the call): not a mode, and the callee's
// acquisition is the caller's to decide.
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static thread_local bool t_need_lock = true;
void registry_add() {
  if (t_need_lock)
    pthread_mutex_lock(&registry_lock);
  if (t_need_lock)
    pthread_mutex_unlock(&registry_lock);
}
void registry_rebuild() {
  pthread_mutex_lock(&registry_lock);
  t_need_lock = false;
  registry_add();
  t_need_lock = true;
  pthread_mutex_unlock(&registry_lock);
}
