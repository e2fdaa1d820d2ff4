// Port: asterisk/asterisk#309 ("chan_console: Fix deadlock caused by unclean thread exit.")
//   chan_console gives each console call a stream_monitor thread that reads
//   audio frames from the PortAudio stream and queues them on the channel;
//   it holds the console_pvt lock around every Pa_ReadStream(), a blocking
//   read of one 20 ms frame. On hangup, stop_stream() ended that thread with
//   pthread_cancel() (plus a SIGURG to interrupt the read), joined it, and
//   then took the pvt lock to abort and close the stream. The read is a
//   cancellation point inside the locked region, so the thread is cancelled
//   while it owns the pvt lock and dies without releasing it: stop_stream()'s
//   own console_pvt_lock() after the join (and any later console_write())
//   waits for a lock whose owner no longer exists.
// Style: pthread C style (pthread_create/pthread_cancel/pthread_kill/pthread_join, a recursive pthread_mutex_t standing for the ao2 object lock behind console_pvt_lock()/console_pvt_unlock(), a volatile flag), chan_console's functions reduced: stream_monitor, start_stream, stop_stream, console_hangup
// Bug class: lock never released: a thread cancelled inside its critical section takes the lock with it, and the canceller then blocks on that lock
// Shape: a console call is up and stream_monitor loops over 20 ms reads under
//   the pvt lock. After 200 ms the call is hung up: console_hangup() clears
//   the owner and stop_stream() cancels the monitor, which is acted on inside
//   Pa_ReadStream() with the lock held. pthread_join() returns, and
//   stop_stream() blocks forever in console_pvt_lock(); main's join of the
//   PBX thread that runs the hangup hangs.
// Fix: stop_stream() sets pvt->abort and joins; stream_monitor checks the
//   flag after each read, outside the lock, and returns on its own, so
//   pthread_cancel() and pthread_kill() are no longer used.
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <cstdio>

struct PaStream {
  int frames_read;
};
typedef int PaError;
enum { paNoError = 0 };

// A blocking read of one frame of NUM_SAMPLES from the sound card: 20 ms.
static PaError Pa_ReadStream(PaStream *stream, void *, unsigned long) {
  struct timespec ts = {0, 20 * 1000 * 1000};
  nanosleep(&ts, nullptr); // a cancellation point
  stream->frames_read++;
  return paNoError;
}
static void Pa_AbortStream(PaStream *) {}
static void Pa_CloseStream(PaStream *) {}

struct ast_channel {
  const char *name;
  int queued_frames;
};

struct console_pvt {
  pthread_mutex_t lock; // the ao2 object lock (recursive, as ao2 locks are)
  ast_channel *owner;
  PaStream *stream;
  int streamstate;
  pthread_t thread;
  int thread_started;
};

#define console_pvt_lock(pvt) pthread_mutex_lock(&(pvt)->lock)
#define console_pvt_unlock(pvt) pthread_mutex_unlock(&(pvt)->lock)

static void ast_queue_frame(ast_channel *chan) { chan->queued_frames++; }

static void *stream_monitor(void *data) {
  console_pvt *pvt = static_cast<console_pvt *>(data);
  char buf[320 * 2];
  PaError res;

  for (;;) {
    pthread_testcancel();
    console_pvt_lock(pvt);
    res = Pa_ReadStream(pvt->stream, buf, sizeof(buf) / 2);
    console_pvt_unlock(pvt);
    pthread_testcancel();

    if (!pvt->owner)
      return nullptr;
    if (res == paNoError)
      ast_queue_frame(pvt->owner);
  }
  return nullptr;
}

static int start_stream(console_pvt *pvt) {
  console_pvt_lock(pvt);
  if (pvt->streamstate || !pvt->owner) {
    console_pvt_unlock(pvt);
    return 0;
  }
  pvt->streamstate = 1;
  pvt->stream = new PaStream{0};
  if (pthread_create(&pvt->thread, nullptr, stream_monitor, pvt) == 0)
    pvt->thread_started = 1;
  console_pvt_unlock(pvt);
  return 0;
}

static int stop_stream(console_pvt *pvt) {
  if (!pvt->streamstate || !pvt->thread_started)
    return 0;

  pthread_cancel(pvt->thread);
  pthread_kill(pvt->thread, SIGURG);
  pthread_join(pvt->thread, nullptr);
  pvt->thread_started = 0;

  console_pvt_lock(pvt); // LEAK: the cancelled stream_monitor died owning this lock
  Pa_AbortStream(pvt->stream);
  Pa_CloseStream(pvt->stream);
  delete pvt->stream;
  pvt->stream = nullptr;
  pvt->streamstate = 0;
  console_pvt_unlock(pvt);
  return 0;
}

static int console_hangup(ast_channel *c, console_pvt *pvt) {
  std::printf("Hangup on Console (%s, %d frames queued)\n", c->name, c->queued_frames);
  pvt->owner = nullptr;
  stop_stream(pvt);
  return 0;
}

static console_pvt g_pvt;
static ast_channel g_chan = {"Console/dsp", 0};

// The PBX thread of the call: answer, talk for 200 ms, hang up.
static void *pbx_thread(void *) {
  g_pvt.owner = &g_chan;
  start_stream(&g_pvt);
  struct timespec ts = {0, 200 * 1000 * 1000};
  nanosleep(&ts, nullptr);
  console_hangup(&g_chan, &g_pvt);
  return nullptr;
}

int main() {
  signal(SIGURG, SIG_IGN);
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&g_pvt.lock, &attr);
  pthread_mutexattr_destroy(&attr);

  pthread_t pbx;
  pthread_create(&pbx, nullptr, pbx_thread, nullptr);
  pthread_join(pbx, nullptr);

  std::printf("done\n");
  return 0;
}
