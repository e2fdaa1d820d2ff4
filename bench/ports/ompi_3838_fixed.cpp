// Port: open-mpi/ompi#3838 ("opal/info: fix recursive deadlock in opal_info_dup_mode()")
//   An opal_info_t (the object behind MPI_Info) is a list of key/value
//   entries protected by its own opal_mutex_t i_lock, taken through
//   OPAL_THREAD_LOCK, which only really locks once opal_using_threads() is
//   true. MPI_Win_get_info() duplicates the window's info through
//   opal_info_dup_mpistandard() -> opal_info_dup_mode(), which takes
//   info->i_lock for the whole walk and, for every key, looks for a saved
//   "__IN_<key>" copy with the public opal_info_get() -- which takes the same
//   non-recursive i_lock again. With a single-threaded run the macro is a
//   no-op and nothing happens; as soon as something turns threading on (here
//   the btl/tcp progress thread, --mca btl_tcp_progress_thread 1) the
//   calling thread blocks on the mutex it already owns, forever.
// Style: pthread C style (pthread_create/pthread_join, pthread_mutex_t in an
//   opal_mutex_t, an OPAL_THREAD_LOCK macro gated on opal_using_threads(),
//   an intrusive C list of info entries)
// Bug class: self-deadlock: a non-recursive mutex re-acquired by its owner
//   through a locking public accessor called from a locked walk
// Shape: main starts the btl/tcp progress thread (which enables threading),
//   creates an info with "no_locks" and its saved "__IN_no_locks" copy, and
//   runs an MPI_THREAD_MULTIPLE application thread that calls
//   MPI_Win_get_info(). That thread re-locks i_lock inside opal_info_get()
//   and never returns; main's pthread_join of it hangs.
// Fix: opal_info_dup_mode() uses opal_info_get_nolock() /
//   opal_info_set_nolock(), which expect the caller to hold the lock.
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OPAL_SUCCESS 0
#define OPAL_ERR_OUT_OF_RESOURCE (-2)
#define OPAL_MAX_INFO_KEY 36
#define OPAL_MAX_INFO_VAL 256
#define OPAL_INFO_SAVE_PREFIX "__IN_"

typedef struct {
    pthread_mutex_t m_lock_pthread;
} opal_mutex_t;

static bool opal_uses_threads = false;
static inline bool opal_using_threads(void) { return opal_uses_threads; }
static inline void opal_set_using_threads(bool have) { opal_uses_threads = have; }

#define OPAL_THREAD_LOCK(m)                                                   \
    do {                                                                      \
        if (opal_using_threads()) pthread_mutex_lock(&(m)->m_lock_pthread);   \
    } while (0)
#define OPAL_THREAD_UNLOCK(m)                                                 \
    do {                                                                      \
        if (opal_using_threads()) pthread_mutex_unlock(&(m)->m_lock_pthread); \
    } while (0)

typedef struct opal_info_entry_t {
    struct opal_info_entry_t *next;
    char ie_key[OPAL_MAX_INFO_KEY + 1];
    char *ie_value;
} opal_info_entry_t;

typedef struct {
    opal_info_entry_t *head, *tail;
    opal_mutex_t *i_lock;
} opal_info_t;

static opal_info_t *opal_info_new(void) {
    opal_info_t *info = (opal_info_t *)calloc(1, sizeof(opal_info_t));
    info->i_lock = (opal_mutex_t *)malloc(sizeof(opal_mutex_t));
    pthread_mutex_init(&info->i_lock->m_lock_pthread, NULL);
    return info;
}

static void opal_info_free(opal_info_t *info) {
    opal_info_entry_t *e = info->head;
    while (e) {
        opal_info_entry_t *n = e->next;
        free(e->ie_value);
        free(e);
        e = n;
    }
    pthread_mutex_destroy(&info->i_lock->m_lock_pthread);
    free(info->i_lock);
    free(info);
}

/* Do NOT thread lock in here -- the calling function is responsible */
static opal_info_entry_t *info_find_key(opal_info_t *info, const char *key) {
    for (opal_info_entry_t *it = info->head; it; it = it->next)
        if (0 == strcmp(key, it->ie_key)) return it;
    return NULL;
}

static int opal_info_set_nolock(opal_info_t *info, const char *key, const char *value) {
    opal_info_entry_t *old = info_find_key(info, key);
    if (old) {
        free(old->ie_value);
        old->ie_value = strdup(value);
        return OPAL_SUCCESS;
    }
    opal_info_entry_t *e = (opal_info_entry_t *)calloc(1, sizeof(*e));
    if (!e) return OPAL_ERR_OUT_OF_RESOURCE;
    strncpy(e->ie_key, key, OPAL_MAX_INFO_KEY);
    e->ie_value = strdup(value);
    if (info->tail) info->tail->next = e; else info->head = e;
    info->tail = e;
    return OPAL_SUCCESS;
}

static void opal_info_get_nolock(opal_info_t *info, const char *key, int valuelen,
                                 char *value, int *flag) {
    opal_info_entry_t *search = info_find_key(info, key);
    *flag = (NULL != search);
    if (search && value && valuelen > 0) {
        strncpy(value, search->ie_value, valuelen - 1);
        value[valuelen - 1] = '\0';
    }
}

int opal_info_set(opal_info_t *info, const char *key, const char *value) {
    OPAL_THREAD_LOCK(info->i_lock);
    int ret = opal_info_set_nolock(info, key, value);
    OPAL_THREAD_UNLOCK(info->i_lock);
    return ret;
}

int opal_info_get(opal_info_t *info, const char *key, int valuelen, char *value, int *flag) {
    OPAL_THREAD_LOCK(info->i_lock);
    opal_info_get_nolock(info, key, valuelen, value, flag);
    OPAL_THREAD_UNLOCK(info->i_lock);
    return OPAL_SUCCESS;
}

static int opal_info_dup_mode(opal_info_t *info, opal_info_t **newinfo,
                              int include_system_extras, int omit_ignored,
                              int show_modifications) {
    char savedkey[OPAL_MAX_INFO_KEY + 1];
    char savedval[OPAL_MAX_INFO_VAL];
    int flag, err;
    size_t plen = strlen(OPAL_INFO_SAVE_PREFIX);

    OPAL_THREAD_LOCK(info->i_lock);
    for (opal_info_entry_t *it = info->head; it; it = it->next) {
        const char *pkey = it->ie_key;
        int is_IN_key = 0, exists_IN_key = 0, exists_reg_key = 0;
        if (0 == strncmp(it->ie_key, OPAL_INFO_SAVE_PREFIX, plen)) {
            pkey += plen;
            is_IN_key = exists_IN_key = 1;
            opal_info_get_nolock(info, pkey, 0, NULL, &flag);
            exists_reg_key = flag;
        } else {
            exists_reg_key = 1;
            snprintf(savedkey, sizeof(savedkey), OPAL_INFO_SAVE_PREFIX "%s", pkey);
            opal_info_get_nolock(info, savedkey, OPAL_MAX_INFO_VAL, savedval, &flag);
            exists_IN_key = flag;
        }
        const char *valptr = NULL;
        if (is_IN_key) {
            if (exists_reg_key) continue; /* handled with <key> */
            if (!omit_ignored) valptr = it->ie_value;
        } else if (!exists_IN_key) {
            if (include_system_extras) valptr = it->ie_value;
        } else {
            valptr = show_modifications ? it->ie_value : savedval;
        }
        if (valptr && OPAL_SUCCESS != (err = opal_info_set_nolock(*newinfo, pkey, valptr))) {
            OPAL_THREAD_UNLOCK(info->i_lock);
            return err;
        }
    }
    OPAL_THREAD_UNLOCK(info->i_lock);
    return OPAL_SUCCESS;
}

int opal_info_dup_mpistandard(opal_info_t *info, opal_info_t **newinfo) {
    return opal_info_dup_mode(info, newinfo, 1, 1, 0);
}

/* ---- btl/tcp progress thread ---- */
static pthread_mutex_t progress_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t progress_cond = PTHREAD_COND_INITIALIZER;
static bool progress_stop = false;

static void *mca_btl_tcp_progress_thread_engine(void *arg) {
    (void)arg;
    pthread_mutex_lock(&progress_lock);
    while (!progress_stop) pthread_cond_wait(&progress_cond, &progress_lock); /* event loop */
    pthread_mutex_unlock(&progress_lock);
    return NULL;
}

/* ---- the MPI window and an MPI_THREAD_MULTIPLE application thread ---- */
typedef struct {
    opal_info_t *super_info;
} ompi_win_t;

static int MPI_Win_get_info(ompi_win_t *win, opal_info_t **info_used) {
    *info_used = opal_info_new();
    return opal_info_dup_mpistandard(win->super_info, info_used);
}

static void *app_thread(void *arg) {
    ompi_win_t *win = (ompi_win_t *)arg;
    opal_info_t *used = NULL;
    MPI_Win_get_info(win, &used);
    int flag = 0;
    char val[OPAL_MAX_INFO_VAL];
    opal_info_get(used, "no_locks", sizeof(val), val, &flag);
    printf("no_locks=%s\n", flag ? val : "(unset)");
    opal_info_free(used);
    return NULL;
}

int main(void) {
    pthread_t progress, app;
    /* btl_tcp_progress_thread=1: the component turns threading on */
    opal_set_using_threads(true);
    pthread_create(&progress, NULL, mca_btl_tcp_progress_thread_engine, NULL);
    usleep(50 * 1000);

    ompi_win_t win;
    win.super_info = opal_info_new();
    opal_info_set(win.super_info, "no_locks", "true");
    opal_info_set(win.super_info, OPAL_INFO_SAVE_PREFIX "no_locks", "false");
    opal_info_set(win.super_info, "accumulate_ordering", "none");

    pthread_create(&app, NULL, app_thread, &win);
    pthread_join(app, NULL);

    pthread_mutex_lock(&progress_lock);
    progress_stop = true;
    pthread_cond_signal(&progress_cond);
    pthread_mutex_unlock(&progress_lock);
    pthread_join(progress, NULL);
    opal_info_free(win.super_info);
    return 0;
}
