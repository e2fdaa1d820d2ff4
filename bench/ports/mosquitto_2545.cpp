// Port: eclipse/mosquitto#2545 ("mosquitto thread does not exit if currently reconnecting")
//   libmosquitto's threaded mode runs mosquitto_loop_forever() on the thread
//   started by mosquitto_loop_start(). When the broker goes away the loop
//   sleeps reconnect_delay and calls mosquitto_reconnect(), whose blocking
//   net__socket_connect() can take seconds against an unreachable broker. The
//   loop only leaves when it reads the client state as mosq_cs_disconnecting
//   or mosq_cs_disconnected, the value mosquitto_disconnect() stores. But if
//   the application calls mosquitto_disconnect() while the thread is inside
//   the connect, the reconnect path stores its own state afterwards
//   (mosq_cs_connect_pending on failure) over the application's
//   mosq_cs_disconnected: the request to stop is overwritten, the thread goes
//   on sleeping and reconnecting forever, and mosquitto_loop_stop(mosq,
//   false) blocks in pthread_join() on a thread that will never return.
// Style: pthread C style (struct mosquitto with pthread_mutex_t state_mutex, pthread_t thread_id, a pthread_cond_t standing in for the sockpairR wake-up pipe)
// Bug class: lost stop request: the loop's exit condition is overwritten by the worker itself, so the joined thread never exits
// Shape: the client is connected; at 50 ms the broker dies, the network
//   thread sleeps 50 ms and enters a 200 ms connect attempt that fails; at
//   150 ms (mid-connect) main calls mosquitto_disconnect(), at 200 ms
//   mosquitto_loop_stop(force=false). The failed connect sets
//   mosq_cs_connect_pending, the loop reconnects again, and the join in
//   mosquitto_loop_stop() hangs.
// Fix: the disconnect request is kept in its own flag, mosq->request_disconnect
//   (mosquitto__set_request_disconnect()/mosquitto__get_request_disconnect()
//   under state_mutex), set by mosquitto_disconnect() and never touched by the
//   reconnect path; mosquitto_loop_forever() tests that flag instead of the
//   state, so the thread leaves at its next check.
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>

enum mosquitto_client_state {
  mosq_cs_new = 0,
  mosq_cs_connected = 1,
  mosq_cs_disconnecting = 2,
  mosq_cs_connect_pending = 3,
  mosq_cs_disconnected = 4,
};

enum { MOSQ_ERR_SUCCESS = 0, MOSQ_ERR_NO_CONN = 4, MOSQ_ERR_CONN_LOST = 7, MOSQ_ERR_ERRNO = 14 };
#define INVALID_SOCKET (-1)

static std::atomic<bool> g_broker_up{true}; // the network between client and broker

struct mosquitto {
  pthread_mutex_t state_mutex;
  enum mosquitto_client_state state;
  pthread_t thread_id;
  int sock;
  unsigned reconnect_delay_ms;
  unsigned reconnects;
  /* sockpairR/sockpairW: a byte written by loop_stop()/publish() wakes select() */
  pthread_mutex_t sockpair_mutex;
  pthread_cond_t sockpair_cond;
  int sockpair_bytes;
};

static void mosquitto__set_state(struct mosquitto *mosq, enum mosquitto_client_state state) {
  pthread_mutex_lock(&mosq->state_mutex);
  mosq->state = state;
  pthread_mutex_unlock(&mosq->state_mutex);
}

static enum mosquitto_client_state mosquitto__get_state(struct mosquitto *mosq) {
  pthread_mutex_lock(&mosq->state_mutex);
  enum mosquitto_client_state state = mosq->state;
  pthread_mutex_unlock(&mosq->state_mutex);
  return state;
}

/* Blocking TCP connect: against a dead broker it waits for the timeout. */
static int net__socket_connect(struct mosquitto *mosq) {
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  if (!g_broker_up.load()) {
    return MOSQ_ERR_ERRNO;
  }
  mosq->sock = 3;
  return MOSQ_ERR_SUCCESS;
}

static int mosquitto_reconnect(struct mosquitto *mosq) {
  mosq->sock = INVALID_SOCKET;
  int rc = net__socket_connect(mosq);
  if (rc > 0) {
    mosquitto__set_state(mosq, mosq_cs_connect_pending);
    return rc;
  }
  mosquitto__set_state(mosq, mosq_cs_connected);
  return MOSQ_ERR_SUCCESS;
}

/* One select() round: wait up to timeout for the socket or the sockpair. */
static int mosquitto_loop(struct mosquitto *mosq, int timeout_ms) {
  if (mosq->sock == INVALID_SOCKET) {
    return MOSQ_ERR_NO_CONN;
  }
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_nsec += (long)timeout_ms * 1000000L;
  deadline.tv_sec += deadline.tv_nsec / 1000000000L;
  deadline.tv_nsec %= 1000000000L;
  pthread_mutex_lock(&mosq->sockpair_mutex);
  if (mosq->sockpair_bytes == 0) {
    pthread_cond_timedwait(&mosq->sockpair_cond, &mosq->sockpair_mutex, &deadline);
  }
  mosq->sockpair_bytes = 0;
  pthread_mutex_unlock(&mosq->sockpair_mutex);
  if (!g_broker_up.load()) { /* read() returned 0: connection lost */
    mosq->sock = INVALID_SOCKET;
    return MOSQ_ERR_CONN_LOST;
  }
  return MOSQ_ERR_SUCCESS;
}

static int mosquitto_loop_forever(struct mosquitto *mosq, int timeout_ms) {
  int run = 1;
  int rc = MOSQ_ERR_SUCCESS;
  mosq->reconnects = 0;
  while (run) {
    do {
      rc = mosquitto_loop(mosq, timeout_ms);
    } while (run && rc == MOSQ_ERR_SUCCESS);
    do {
      rc = MOSQ_ERR_SUCCESS;
      enum mosquitto_client_state state = mosquitto__get_state(mosq);
      if (state == mosq_cs_disconnecting || state == mosq_cs_disconnected) {
        run = 0;
      } else {
        mosq->reconnects++;
        std::this_thread::sleep_for(std::chrono::milliseconds(mosq->reconnect_delay_ms));
        state = mosquitto__get_state(mosq);
        if (state == mosq_cs_disconnecting || state == mosq_cs_disconnected) {
          run = 0;
        } else {
          rc = mosquitto_reconnect(mosq);
        }
      }
    } while (run && rc != MOSQ_ERR_SUCCESS);
  }
  return rc;
}

static void *mosquitto__thread_main(void *obj) {
  struct mosquitto *mosq = (struct mosquitto *)obj;
  mosquitto_loop_forever(mosq, 1000);
  return NULL;
}

static int mosquitto_loop_start(struct mosquitto *mosq) {
  return pthread_create(&mosq->thread_id, NULL, mosquitto__thread_main, mosq);
}

static int mosquitto_loop_stop(struct mosquitto *mosq, bool force) {
  (void)force;
  /* Write a byte to sockpairW to break out of select() if in threaded mode. */
  pthread_mutex_lock(&mosq->sockpair_mutex);
  mosq->sockpair_bytes++;
  pthread_cond_signal(&mosq->sockpair_cond);
  pthread_mutex_unlock(&mosq->sockpair_mutex);
  pthread_join(mosq->thread_id, NULL); // LEAK
  return MOSQ_ERR_SUCCESS;
}

static int mosquitto_disconnect(struct mosquitto *mosq) {
  mosquitto__set_state(mosq, mosq_cs_disconnected);
  if (mosq->sock == INVALID_SOCKET) {
    return MOSQ_ERR_NO_CONN;
  }
  return MOSQ_ERR_SUCCESS; /* send__disconnect() */
}

int main() {
  struct mosquitto mosq;
  pthread_mutex_init(&mosq.state_mutex, NULL);
  pthread_mutex_init(&mosq.sockpair_mutex, NULL);
  pthread_cond_init(&mosq.sockpair_cond, NULL);
  mosq.state = mosq_cs_connected;
  mosq.sock = 3;
  mosq.reconnect_delay_ms = 50;
  mosq.reconnects = 0;
  mosq.sockpair_bytes = 0;

  mosquitto_loop_start(&mosq);

  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  g_broker_up = false; /* broker unreachable from now on */
  pthread_mutex_lock(&mosq.sockpair_mutex);
  mosq.sockpair_bytes++; /* the peer reset wakes select() */
  pthread_cond_signal(&mosq.sockpair_cond);
  pthread_mutex_unlock(&mosq.sockpair_mutex);

  std::this_thread::sleep_for(std::chrono::milliseconds(100)); /* t=150: thread is in connect() */
  int rc = mosquitto_disconnect(&mosq);
  std::printf("mosquitto_disconnect: %d\n", rc);

  std::this_thread::sleep_for(std::chrono::milliseconds(50)); /* t=200 */
  mosquitto_loop_stop(&mosq, false);
  std::printf("network thread stopped after %u reconnect attempts, state %d\n", mosq.reconnects,
              (int)mosquitto__get_state(&mosq));

  pthread_cond_destroy(&mosq.sockpair_cond);
  pthread_mutex_destroy(&mosq.sockpair_mutex);
  pthread_mutex_destroy(&mosq.state_mutex);
  return 0;
}
