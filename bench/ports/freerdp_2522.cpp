// Port: FreeRDP/FreeRDP#2522 ("transport_write sometimes returns directly without cleanup.")
//   Every PDU the FreeRDP client sends goes through transport_write(), which
//   serialises writers with EnterCriticalSection(&transport->WriteLock) and
//   pushes the stream into the TLS BIO in a loop. Two of the loop's error
//   exits (BIO_write() failing without BIO_should_retry(), and a failed
//   BIO_wait_write() on a blocked socket) did `return status;` straight out
//   of the loop, skipping the LeaveCriticalSection() at the end. A virtual
//   channel thread (rdpdr, cliprdr...) whose send hits a write error thus
//   leaves the WriteLock owned by a thread that has moved on. The next writer
//   from another thread, here xf_client_thread() sending mouse input through
//   fastpath_send_multiple_input_pdu(), blocks in EnterCriticalSection()
//   (sem_wait in WinPR) for ever instead of seeing the broken connection.
// Style: pthread C style: WinPR CRITICAL_SECTION as a recursive pthread_mutex_t wrapper (Enter/LeaveCriticalSection), pthread_create threads, a BIO struct of function pointers
// Bug class: missing unlock on an early-return error path (lock leaked by a thread that returned)
// Shape: at 50 ms the TCP peer resets; the rdpdr channel thread sends a
//   device I/O response at 60 ms, BIO_write fails without retry and
//   transport_write returns with WriteLock held; at 100 ms the client thread
//   processes a MotionNotify and blocks in EnterCriticalSection(WriteLock).
//   main's join of the client thread hangs.
// Fix: the early exits jump to a common out_cleanup label that leaves the
//   critical section, so the next writer gets the lock, gets the write error
//   and the client disconnects.
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>

typedef int BOOL;
#define TRUE 1
#define FALSE 0

/* ---- winpr/synch: CRITICAL_SECTION ---- */
typedef struct {
  pthread_mutex_t mutex;
} CRITICAL_SECTION;

static void InitializeCriticalSection(CRITICAL_SECTION *cs) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&cs->mutex, &attr);
  pthread_mutexattr_destroy(&attr);
}
static void EnterCriticalSection(CRITICAL_SECTION *cs) { pthread_mutex_lock(&cs->mutex); }
static void LeaveCriticalSection(CRITICAL_SECTION *cs) { pthread_mutex_unlock(&cs->mutex); }

/* ---- OpenSSL-like BIO over the TLS socket ---- */
static std::atomic<bool> g_peer_reset{false};

typedef struct bio_st BIO;
struct bio_st {
  int (*bwrite)(BIO *bio, const char *buf, int size);
  int retry_flags;
};
static int tls_bio_write(BIO *bio, const char *buf, int size) {
  (void)buf;
  bio->retry_flags = 0;
  if (g_peer_reset.load()) {
    return -1; /* SSL_ERROR_SYSCALL, ECONNRESET: not retryable */
  }
  return size;
}
static int BIO_write(BIO *bio, const void *buf, int size) {
  return bio->bwrite(bio, (const char *)buf, size);
}
static BOOL BIO_should_retry(BIO *bio) { return bio->retry_flags != 0; }
static BOOL BIO_write_blocked(BIO *bio) { (void)bio; return FALSE; }
static int BIO_wait_write(BIO *bio, int timeout) { (void)bio; (void)timeout; return 1; }

/* ---- libfreerdp/core/transport.c ---- */
typedef struct {
  char buffer[64];
  size_t length;
  size_t position;
} wStream;

typedef struct {
  CRITICAL_SECTION WriteLock;
  BIO *frontBio;
} rdpTransport;

static int transport_write(rdpTransport *transport, wStream *s) {
  int length;
  int status = -1;

  EnterCriticalSection(&(transport->WriteLock)); // LEAK
  length = (int)s->length;
  s->position = 0;

  while (length > 0) {
    status = BIO_write(transport->frontBio, s->buffer + s->position, length);
    if (status <= 0) {
      /* the buffered BIO that is attached to the TLS BIO normally absorbs the
       * write; a real error ends the loop */
      if (!BIO_should_retry(transport->frontBio))
        return status;

      if (BIO_write_blocked(transport->frontBio)) {
        if (BIO_wait_write(transport->frontBio, 100) < 0)
          return -1;
        continue;
      }
    }
    length -= status;
    s->position += (size_t)status;
  }

  LeaveCriticalSection(&(transport->WriteLock));
  return status;
}

/* ---- the two writers ---- */
static rdpTransport g_transport;
static BIO g_tls_bio = {tls_bio_write, 0};

static void *rdpdr_virtual_channel_client_thread(void *arg) {
  (void)arg;
  usleep(60 * 1000); /* a device I/O request arrives, send the response */
  wStream s;
  std::strcpy(s.buffer, "DR_DEVICE_IOCOMPLETION");
  s.length = std::strlen(s.buffer);
  int status = transport_write(&g_transport, &s);
  std::printf("rdpdr: transport_write -> %d, channel thread exits\n", status);
  return NULL;
}

static void *xf_client_thread(void *arg) {
  (void)arg;
  usleep(100 * 1000); /* xf_event_process: MotionNotify */
  wStream s;
  std::strcpy(s.buffer, "FASTPATH_INPUT_EVENT_MOUSE");
  s.length = std::strlen(s.buffer);
  int status = transport_write(&g_transport, &s); /* fastpath_send_multiple_input_pdu */
  if (status < 0) {
    std::printf("xfreerdp: write failed (%d), disconnecting\n", status);
  }
  return NULL;
}

int main() {
  InitializeCriticalSection(&g_transport.WriteLock);
  g_transport.frontBio = &g_tls_bio;

  pthread_t channel, client;
  pthread_create(&channel, NULL, rdpdr_virtual_channel_client_thread, NULL);
  pthread_create(&client, NULL, xf_client_thread, NULL);

  usleep(50 * 1000);
  g_peer_reset = true; /* the server side resets the TCP connection */

  pthread_join(channel, NULL);
  pthread_join(client, NULL);
  std::printf("session closed\n");
  return 0;
}
