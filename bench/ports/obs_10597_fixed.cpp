// Port: obsproject/obs-studio#10597 ("obs-ffmpeg: Fix deadlock on shutting down muxer")
//   ffmpeg-mux hands the muxed bytes to an I/O thread through a circular
//   buffer guarded by io.data_mutex and two auto-reset os_event_t events.
//   The I/O thread waits on new_data_available_event, then loops: it reads
//   io.shutdown_requested, takes data_mutex, drains the buffer into a local
//   chunk and, when the chunk is small and no shutdown was seen, resets
//   new_data_available_event and goes back to waiting for more data.
//   ffmpeg_mux_free() sets shutdown_requested, signals the event under
//   data_mutex and joins the I/O thread. The I/O thread read the flag before
//   taking the mutex, so a shutdown landing between the read and the lock is
//   missed: its stale `false` makes it reset the very signal that announced
//   the shutdown and wait again on an event nobody will set.
// Style: pthread C style (pthread_create/pthread_join, pthread_mutex_t; libobs' os_event_t written over pthread_mutex_t + pthread_cond_t as in threading-posix.c; C structs io_buffer/ffmpeg_mux)
// Bug class: lost wake-up: a flag read outside the lock goes stale, and the waiter clears (os_event_reset) the one signal meant to stop it
// Shape: main writes one small packet; the I/O thread wakes, reads
//   shutdown_requested == false and is held (sleep) before locking
//   data_mutex. main then calls ffmpeg_mux_free(): sets the flag, signals the
//   event, joins. The I/O thread locks, finds a 4 KiB chunk and no shutdown,
//   resets the event and waits in os_event_wait() forever; the join hangs.
// Fix: the I/O thread reads shutdown_requested after locking data_mutex, so
//   a shutdown signalled under the mutex is always seen before the reset.
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <atomic>

/* ---- libobs util/threading: an event over a mutex and a condition ---- */
enum os_event_type { OS_EVENT_TYPE_AUTO, OS_EVENT_TYPE_MANUAL };
struct os_event_data {
	pthread_mutex_t mutex;
	pthread_cond_t cond;
	volatile bool signalled;
	bool manual;
};
typedef struct os_event_data os_event_t;

static int os_event_init(os_event_t **event, enum os_event_type type)
{
	os_event_t *data = (os_event_t *)calloc(1, sizeof(os_event_t));
	pthread_mutex_init(&data->mutex, NULL);
	pthread_cond_init(&data->cond, NULL);
	data->manual = type == OS_EVENT_TYPE_MANUAL;
	*event = data;
	return 0;
}
static void os_event_destroy(os_event_t *event)
{
	pthread_cond_destroy(&event->cond);
	pthread_mutex_destroy(&event->mutex);
	free(event);
}
static int os_event_wait(os_event_t *event)
{
	pthread_mutex_lock(&event->mutex);
	while (!event->signalled)
		pthread_cond_wait(&event->cond, &event->mutex);
	if (!event->manual)
		event->signalled = false;
	pthread_mutex_unlock(&event->mutex);
	return 0;
}
static int os_event_signal(os_event_t *event)
{
	pthread_mutex_lock(&event->mutex);
	event->signalled = true;
	pthread_cond_signal(&event->cond);
	pthread_mutex_unlock(&event->mutex);
	return 0;
}
static void os_event_reset(os_event_t *event)
{
	pthread_mutex_lock(&event->mutex);
	event->signalled = false;
	pthread_mutex_unlock(&event->mutex);
}
static void os_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* ---- ffmpeg-mux: the buffered I/O thread ---- */
#define IO_BUF_SIZE (1 << 20)
#define MIN_WRITE_CHUNK 65536

struct io_buffer {
	bool active;
	std::atomic<bool> shutdown_requested{false};
	os_event_t *buffer_space_available_event;
	os_event_t *new_data_available_event;
	pthread_t io_thread;
	pthread_mutex_t data_mutex;
	uint8_t *data; /* stands for the circlebuf */
	size_t size;
	size_t written_to_file;
};

struct ffmpeg_mux {
	struct io_buffer io;
};

static void *ffmpeg_mux_io_thread(void *opaque)
{
	struct ffmpeg_mux *ffm = (struct ffmpeg_mux *)opaque;
	uint8_t *chunk = (uint8_t *)malloc(IO_BUF_SIZE);
	size_t chunk_used = 0;
	bool shutting_down;

	for (;;) {
		os_event_wait(ffm->io.new_data_available_event);

		for (;;) {
			os_sleep_ms(150); /* forces the window: main shuts down here */
			pthread_mutex_lock(&ffm->io.data_mutex);
			shutting_down = ffm->io.shutdown_requested.load();

			memcpy(chunk + chunk_used, ffm->io.data, ffm->io.size);
			chunk_used += ffm->io.size;
			ffm->io.size = 0;
			os_event_signal(ffm->io.buffer_space_available_event);

			/* avoid lots of small writes unless this is the last data */
			if (!chunk_used || (chunk_used < MIN_WRITE_CHUNK && !shutting_down)) {
				os_event_reset(ffm->io.new_data_available_event);
				pthread_mutex_unlock(&ffm->io.data_mutex);
				break;
			}
			pthread_mutex_unlock(&ffm->io.data_mutex);

			ffm->io.written_to_file += chunk_used; /* fwrite(chunk) */
			chunk_used = 0;
			if (shutting_down)
				break;
		}

		if (shutting_down)
			break;
	}
	free(chunk);
	return NULL;
}

static void ffmpeg_mux_write_av_buffer(struct ffmpeg_mux *ffm, const uint8_t *buf, size_t len)
{
	pthread_mutex_lock(&ffm->io.data_mutex);
	memcpy(ffm->io.data + ffm->io.size, buf, len);
	ffm->io.size += len;
	os_event_signal(ffm->io.new_data_available_event);
	pthread_mutex_unlock(&ffm->io.data_mutex);
}

static void ffmpeg_mux_init_io(struct ffmpeg_mux *ffm)
{
	ffm->io.data = (uint8_t *)malloc(IO_BUF_SIZE);
	pthread_mutex_init(&ffm->io.data_mutex, NULL);
	os_event_init(&ffm->io.buffer_space_available_event, OS_EVENT_TYPE_AUTO);
	os_event_init(&ffm->io.new_data_available_event, OS_EVENT_TYPE_AUTO);
	pthread_create(&ffm->io.io_thread, NULL, ffmpeg_mux_io_thread, ffm);
	ffm->io.active = true;
}

static void ffmpeg_mux_free(struct ffmpeg_mux *ffm)
{
	if (!ffm->io.active)
		return;
	ffm->io.shutdown_requested.store(true);

	/* wake up the I/O thread and wait for it to finish */
	pthread_mutex_lock(&ffm->io.data_mutex);
	os_event_signal(ffm->io.new_data_available_event);
	pthread_mutex_unlock(&ffm->io.data_mutex);
	pthread_join(ffm->io.io_thread, NULL);

	os_event_destroy(ffm->io.new_data_available_event);
	os_event_destroy(ffm->io.buffer_space_available_event);
	pthread_mutex_destroy(&ffm->io.data_mutex);
	free(ffm->io.data);
	ffm->io.active = false;
}

int main(void)
{
	static struct ffmpeg_mux ffm;
	ffmpeg_mux_init_io(&ffm);

	uint8_t packet[4096];
	memset(packet, 0x47, sizeof(packet));
	ffmpeg_mux_write_av_buffer(&ffm, packet, sizeof(packet));
	os_sleep_ms(50); /* the I/O thread has read the flag and is held */

	ffmpeg_mux_free(&ffm);
	printf("muxer closed, %zu bytes written\n", ffm.io.written_to_file);
	return 0;
}
