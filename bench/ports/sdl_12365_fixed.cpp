// Port: libsdl-org/SDL#12365 ("pipewire: Fix possible deadlock when opening a
//   device")
//   SDL_OpenAudioDevice() locks the physical device (device->lock) and calls
//   the backend's OpenDevice(). PIPEWIRE_OpenDevice() creates a
//   pw_thread_loop, connects the stream, starts the loop thread and then
//   waits under the loop lock (pw_thread_loop_wait(), a pthread_cond_wait on
//   the loop's mutex) until stream_init_status has every PW_READY_FLAG bit.
//   The PipeWire loop thread dispatches stream events holding the loop lock:
//   add_buffer and state_changed(STREAMING) set the flags and signal the
//   loop, and in the same iteration the process event runs output_callback().
//   A first fix (32cc92d) made output_callback() write silence while the
//   flags were incomplete, but once both flags are set it calls
//   SDL_PlaybackAudioThreadIterate(), which locks device->lock - held by the
//   opener, whose pw_thread_loop_wait() cannot return before it re-acquires
//   the loop lock that the loop thread holds. Both threads wait forever.
// Style: pthread C style (pthread_mutex_t / pthread_cond_t for the
//   pw_thread_loop lock and signal, pthread_mutex_t for SDL's device->lock,
//   pthread_create/pthread_join for the loop thread)
// Bug class: lock-order inversion through a condition wait: the waiter holds
//   lock A and must re-acquire lock B to return, the signaller holds B and
//   calls back into code that takes A
// Shape: main locks device->lock and waits in pw_thread_loop_wait(); at 40 ms
//   the loop thread, holding the loop lock, dispatches add_buffer and
//   state_changed (flags complete, signal) and then the process event;
//   output_callback() sees all bits set and SDL_PlaybackAudioThreadIterate()
//   blocks on device->lock, while main's wait blocks re-acquiring the loop
//   lock.
// Fix: a third ready bit, PW_READY_FLAG_OPEN_COMPLETE, is set by
//   PIPEWIRE_OpenDevice() under the loop lock after its wait loop; until then
//   output_callback() keeps writing silence instead of taking the device
//   lock.
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum PW_READY_FLAGS {
    PW_READY_FLAG_BUFFER_ADDED = 0x1,
    PW_READY_FLAG_STREAM_READY = 0x2,
    PW_READY_FLAG_ALL_PREOPEN_BITS = 0x3,
    PW_READY_FLAG_OPEN_COMPLETE = 0x4,
    PW_READY_FLAG_ALL_BITS = 0x7
};

enum pw_stream_state { PW_STREAM_STATE_CONNECTING, PW_STREAM_STATE_STREAMING, PW_STREAM_STATE_ERROR };

struct pw_thread_loop {
    pthread_mutex_t lock;   /* recursive, like PipeWire's */
    pthread_cond_t cond;
    pthread_t thread;
    int running;
    struct pw_stream *stream;
};

struct SDL_AudioDevice;

struct pw_stream {
    enum pw_stream_state state;
    int server_step;
    struct SDL_AudioDevice *data;
    void (*state_changed)(void *data, enum pw_stream_state state);
    void (*add_buffer)(void *data);
    void (*process)(void *data);
};

struct SDL_PrivateAudioData {
    struct pw_thread_loop *loop;
    struct pw_stream *stream;
    int stream_init_status;
    unsigned char buf[256];
};

typedef struct SDL_AudioDevice {
    pthread_mutex_t lock;
    int shutdown;   /* SDL_AtomicInt */
    unsigned char silence_value;
    int frames_mixed;
    struct SDL_PrivateAudioData *hidden;
} SDL_AudioDevice;

/* ---- pw_thread_loop: the loop thread holds the lock while dispatching ---- */
static void pw_stream_dispatch(struct pw_stream *s)
{
    /* what the server sends this round trip */
    if (s->server_step == 1) {
        s->add_buffer(s->data);
        s->state = PW_STREAM_STATE_STREAMING;
        s->state_changed(s->data, s->state);
    }
    if (s->server_step >= 1)
        s->process(s->data);   /* the graph starts pulling right away */
    s->server_step++;
}

static void *do_loop(void *arg)
{
    struct pw_thread_loop *loop = (struct pw_thread_loop *)arg;
    pthread_mutex_lock(&loop->lock);
    while (loop->running) {
        pthread_mutex_unlock(&loop->lock);   /* before epoll_wait */
        usleep(20 * 1000);                   /* one server round trip */
        pthread_mutex_lock(&loop->lock);     /* after epoll_wait */
        if (loop->running && loop->stream)
            pw_stream_dispatch(loop->stream);
    }
    pthread_mutex_unlock(&loop->lock);
    return NULL;
}

static struct pw_thread_loop *pw_thread_loop_new(void)
{
    static struct pw_thread_loop l;
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&l.lock, &attr);
    pthread_cond_init(&l.cond, NULL);
    l.running = 0;
    l.stream = NULL;
    return &l;
}
static int pw_thread_loop_start(struct pw_thread_loop *loop)
{
    loop->running = 1;
    return pthread_create(&loop->thread, NULL, do_loop, loop);
}
static void pw_thread_loop_stop(struct pw_thread_loop *loop)
{
    pthread_mutex_lock(&loop->lock);
    loop->running = 0;
    pthread_mutex_unlock(&loop->lock);
    pthread_join(loop->thread, NULL);
}
static void pw_thread_loop_lock(struct pw_thread_loop *loop) { pthread_mutex_lock(&loop->lock); }
static void pw_thread_loop_unlock(struct pw_thread_loop *loop) { pthread_mutex_unlock(&loop->lock); }
static void pw_thread_loop_wait(struct pw_thread_loop *loop) { pthread_cond_wait(&loop->cond, &loop->lock); }
static void pw_thread_loop_signal(struct pw_thread_loop *loop) { pthread_cond_broadcast(&loop->cond); }

/* ---- SDL audio core ---- */
static int SDL_PlaybackAudioThreadIterate(SDL_AudioDevice *device)
{
    pthread_mutex_lock(&device->lock);
    if (__atomic_load_n(&device->shutdown, __ATOMIC_SEQ_CST)) {
        pthread_mutex_unlock(&device->lock);
        return 0;
    }
    memset(device->hidden->buf, 0x40, sizeof(device->hidden->buf));   /* mix the app's streams */
    device->frames_mixed++;
    pthread_mutex_unlock(&device->lock);
    return 1;
}

/* ---- SDL_pipewire.c ---- */
static void output_callback(void *data)
{
    SDL_AudioDevice *device = (SDL_AudioDevice *)data;
    /* this callback can fire during OpenDevice, while we still hold the device lock: write silence */
    if (device->hidden->stream_init_status != PW_READY_FLAG_ALL_BITS) {
        memset(device->hidden->buf, device->silence_value, sizeof(device->hidden->buf));
        return;
    }
    SDL_PlaybackAudioThreadIterate(device);
}

static void stream_add_buffer_callback(void *data)
{
    SDL_AudioDevice *device = (SDL_AudioDevice *)data;
    device->hidden->stream_init_status |= PW_READY_FLAG_BUFFER_ADDED;
    pw_thread_loop_signal(device->hidden->loop);
}

static void stream_state_changed_callback(void *data, enum pw_stream_state state)
{
    SDL_AudioDevice *device = (SDL_AudioDevice *)data;
    if (state == PW_STREAM_STATE_STREAMING)
        device->hidden->stream_init_status |= PW_READY_FLAG_STREAM_READY;
    if (state == PW_STREAM_STATE_STREAMING || state == PW_STREAM_STATE_ERROR)
        pw_thread_loop_signal(device->hidden->loop);
}

static int PIPEWIRE_OpenDevice(SDL_AudioDevice *device)
{
    static struct SDL_PrivateAudioData priv;
    static struct pw_stream stream;
    device->hidden = &priv;
    priv.loop = pw_thread_loop_new();
    stream.state = PW_STREAM_STATE_CONNECTING;
    stream.server_step = 0;
    stream.data = device;
    stream.state_changed = stream_state_changed_callback;
    stream.add_buffer = stream_add_buffer_callback;
    stream.process = output_callback;
    priv.stream = &stream;
    priv.loop->stream = &stream;   /* pw_stream_new_simple + pw_stream_connect */

    if (pw_thread_loop_start(priv.loop) != 0)
        return -1;

    /* Wait until all pre-open init flags are set or the stream has failed. */
    pw_thread_loop_lock(priv.loop);
    while (priv.stream_init_status != PW_READY_FLAG_ALL_PREOPEN_BITS && priv.stream->state != PW_STREAM_STATE_ERROR)
        pw_thread_loop_wait(priv.loop);
    priv.stream_init_status |= PW_READY_FLAG_OPEN_COMPLETE;
    pw_thread_loop_unlock(priv.loop);
    return priv.stream->state == PW_STREAM_STATE_ERROR ? -1 : 0;
}

static void PIPEWIRE_CloseDevice(SDL_AudioDevice *device)
{
    pw_thread_loop_stop(device->hidden->loop);
}

static int SDL_OpenAudioDevice(SDL_AudioDevice *device)
{
    pthread_mutex_lock(&device->lock);   /* ObtainPhysicalAudioDevice */
    int rc = PIPEWIRE_OpenDevice(device);  /* OpenPhysicalAudioDevice */
    pthread_mutex_unlock(&device->lock);
    return rc;
}

static void SDL_CloseAudioDevice(SDL_AudioDevice *device)
{
    __atomic_store_n(&device->shutdown, 1, __ATOMIC_SEQ_CST);
    PIPEWIRE_CloseDevice(device);
}

int main(void)
{
    static SDL_AudioDevice device;
    pthread_mutex_init(&device.lock, NULL);
    device.shutdown = 0;
    device.silence_value = 0;

    if (SDL_OpenAudioDevice(&device) != 0)
        return 1;
    printf("device opened\n");
    usleep(100 * 1000);   /* the app plays for a while */
    SDL_CloseAudioDevice(&device);
    printf("closed after %d mixed periods\n", device.frames_mixed);
    return 0;
}
