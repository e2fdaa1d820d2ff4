// Port: diasurgical/DevilutionX#8468 ("Release lock before finalizing sound samples")
//   When a sound effect is requested while its sample is still playing,
//   DevilutionX plays a duplicate: DuplicateSound() stores the copy in the
//   duplicateSounds list under duplicateSoundsMutex (an SdlMutex) and gives
//   its Aulib::Stream a finish callback that, when playback ends, locks
//   duplicateSoundsMutex and erases the copy. SDL_audiolib invokes finish
//   callbacks from its SDL audio callback, i.e. on SDL's audio thread with
//   the device's mixer lock held. On a level change (a bot's Town Portal, on
//   the loading screen) the main thread calls ClearDuplicateSounds(), which
//   cleared the list while holding duplicateSoundsMutex; destroying a
//   duplicate runs Aulib::Stream::~Stream(), which enters the mixer lock
//   through SdlAudioLocker. Main held duplicateSoundsMutex and wanted the
//   mixer lock; the audio thread held the mixer lock and wanted
//   duplicateSoundsMutex: the game froze on the loading screen.
// Style: project wrappers: DevilutionX's SdlMutex (lock/unlock over an
//   SDL_mutex, used with std::lock_guard) and SDL_audiolib's SdlAudioLocker
//   (RAII over SDL_LockAudioDevice); SDL itself is reduced to recursive
//   pthread mutexes and a pthread audio thread that runs the callback under
//   the device's mixer lock
// Bug class: lock-order inversion (duplicateSoundsMutex -> mixer lock on the
//   main thread, mixer lock -> duplicateSoundsMutex on the audio thread)
// Shape: the town's door sound (150 ms) plays at 0 ms and is requested again
//   at 90 ms, so a duplicate plays from 90 to 240 ms. At 200 ms the level
//   changes and main clears the duplicates under duplicateSoundsMutex;
//   ~Stream() first tears down its decoder (forcing: 80 ms) and then wants
//   the mixer lock. At 240 ms the audio thread finishes the duplicate and,
//   under the mixer lock, its finish callback blocks on duplicateSoundsMutex;
//   at 280 ms ~Stream() blocks on the mixer lock. Both threads hang.
// Fix: ClearDuplicateSounds() moves the samples out of duplicateSounds under
//   the lock and finalizes them after releasing it. (The port's finish
//   callback erases its sample by pointer, in both files, so that a sample
//   already taken out of the list is left to its new owner.)
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

// ---- SDL, reduced ----
typedef uint8_t Uint8;
typedef uint32_t Uint32;
typedef Uint32 SDL_AudioDeviceID;
struct SDL_mutex { pthread_mutex_t id; };
typedef void (*SDL_AudioCallback)(void* userdata, Uint8* stream, int len);

static SDL_mutex* SDL_CreateMutex() {  // SDL mutexes are recursive
  auto* m = new SDL_mutex;
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
  pthread_mutex_init(&m->id, &attr);
  pthread_mutexattr_destroy(&attr);
  return m;
}
static int SDL_LockMutex(SDL_mutex* m) { return pthread_mutex_lock(&m->id) == 0 ? 0 : -1; }
static int SDL_UnlockMutex(SDL_mutex* m) { return pthread_mutex_unlock(&m->id) == 0 ? 0 : -1; }
static void SDL_DestroyMutex(SDL_mutex* m) { pthread_mutex_destroy(&m->id); delete m; }
static void SDL_Delay(Uint32 ms) { usleep(ms * 1000); }
static Uint32 SDL_GetTicks() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return Uint32(ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

struct SDL_AudioDevice {
  SDL_mutex* mixer_lock = SDL_CreateMutex();
  SDL_AudioCallback callback;
  void* userdata;
  std::atomic<bool> shutdown{false};
  pthread_t thread;
  std::vector<Uint8> work_buffer = std::vector<Uint8>(2048);
};
static SDL_AudioDevice* open_device;  // SDL_AudioDeviceID 1

static void* SDL_RunAudio(void* devicep) {  // SDL's audio thread
  auto* device = static_cast<SDL_AudioDevice*>(devicep);
  while (!device->shutdown) {
    SDL_LockMutex(device->mixer_lock);
    device->callback(device->userdata, device->work_buffer.data(), int(device->work_buffer.size()));
    SDL_UnlockMutex(device->mixer_lock);
    SDL_Delay(10);
  }
  return nullptr;
}
static SDL_AudioDeviceID SDL_OpenAudioDevice(SDL_AudioCallback callback, void* userdata) {
  auto* device = open_device = new SDL_AudioDevice;
  device->callback = callback;
  device->userdata = userdata;
  pthread_create(&device->thread, nullptr, SDL_RunAudio, device);
  return 1;
}
static void SDL_LockAudioDevice(SDL_AudioDeviceID) { SDL_LockMutex(open_device->mixer_lock); }
static void SDL_UnlockAudioDevice(SDL_AudioDeviceID) { SDL_UnlockMutex(open_device->mixer_lock); }
static void SDL_CloseAudioDevice(SDL_AudioDeviceID) {
  open_device->shutdown = true;
  pthread_join(open_device->thread, nullptr);
  SDL_DestroyMutex(open_device->mixer_lock);
  delete open_device;
  open_device = nullptr;
}

// ---- SDL_audiolib, reduced ----
namespace Aulib {
static SDL_AudioDeviceID gDevice = 0;

struct SdlAudioLocker {
  SdlAudioLocker() { if (gDevice != 0) SDL_LockAudioDevice(gDevice); }
  ~SdlAudioLocker() { if (gDevice != 0) SDL_UnlockAudioDevice(gDevice); }
};

class Stream;
static std::vector<Stream*> gStreamList;  // streams being mixed, guarded by the mixer lock

class Stream {
 public:
  explicit Stream(int lengthMs) : m_lengthMs(lengthMs) {}
  ~Stream() {
    usleep(80 * 1000);  // forcing: the decoder and resampler are torn down first
    SdlAudioLocker locker;
    gStreamList.erase(std::remove(gStreamList.begin(), gStreamList.end(), this), gStreamList.end());
  }
  bool play() {
    SdlAudioLocker locker;
    m_posMs = 0;
    m_isPlaying = true;
    if (std::find(gStreamList.begin(), gStreamList.end(), this) == gStreamList.end()) gStreamList.push_back(this);
    return true;
  }
  void stop() { SdlAudioLocker locker; m_isPlaying = false; }
  bool isPlaying() const { return m_isPlaying; }
  int lengthMs() const { return m_lengthMs; }
  void setFinishCallback(std::function<void(Stream&)> func) { m_finishCallback = std::move(func); }

 private:
  friend void sdlCallback(void*, Uint8*, int);
  void invokeFinishCallback() { if (m_finishCallback) m_finishCallback(*this); }
  int m_lengthMs;
  int m_posMs = 0;
  std::atomic<bool> m_isPlaying{false};
  std::function<void(Stream&)> m_finishCallback;
};

// Runs on SDL's audio thread with the mixer lock held.
void sdlCallback(void* /*unused*/, Uint8* out, int outLen) {
  std::fill(out, out + outLen, Uint8(0));
  std::vector<Stream*> finished;
  for (Stream* stream : gStreamList) {
    if (!stream->m_isPlaying) continue;
    stream->m_posMs += 10;  // mix one 10 ms period
    if (stream->m_posMs >= stream->m_lengthMs) {
      stream->m_isPlaying = false;
      finished.push_back(stream);
    }
  }
  for (Stream* stream : finished)
    gStreamList.erase(std::remove(gStreamList.begin(), gStreamList.end(), stream), gStreamList.end());
  for (Stream* stream : finished) stream->invokeFinishCallback();
}

bool init() { return (gDevice = SDL_OpenAudioDevice(sdlCallback, nullptr)) != 0; }
void quit() { SDL_CloseAudioDevice(gDevice); gDevice = 0; }
}  // namespace Aulib

// ---- DevilutionX: utils/sdl_mutex.h, utils/soundsample, engine/sound.cpp ----
namespace devilution {

class SdlMutex final {
 public:
  SdlMutex() noexcept : mutex_(SDL_CreateMutex()) {}
  ~SdlMutex() noexcept { SDL_DestroyMutex(mutex_); }
  SdlMutex(const SdlMutex&) = delete;
  SdlMutex& operator=(const SdlMutex&) = delete;
  void lock() noexcept { SDL_LockMutex(mutex_); }
  void unlock() noexcept { SDL_UnlockMutex(mutex_); }
  SDL_mutex* get() { return mutex_; }

 private:
  SDL_mutex* mutex_;
};

class SoundSample final {
 public:
  int SetChunk(int lengthMs) { stream_ = std::make_unique<Aulib::Stream>(lengthMs); return 0; }
  int DuplicateFrom(const SoundSample& other) { return SetChunk(other.stream_->lengthMs()); }
  bool IsLoaded() const { return stream_ != nullptr; }
  bool IsPlaying() { return stream_ && stream_->isPlaying(); }
  bool Play() { return stream_->play(); }
  void Stop() { stream_->stop(); }
  void Release() { stream_ = nullptr; }
  void SetFinishCallback(std::function<void(Aulib::Stream&)>&& callback) { stream_->setFinishCallback(std::move(callback)); }

 private:
  std::unique_ptr<Aulib::Stream> stream_;
};

struct TSnd {
  SoundSample DSB;
  Uint32 start_tc;
  ~TSnd() { if (DSB.IsLoaded()) DSB.Stop(); DSB.Release(); }
};

bool gbSndInited;
std::list<std::unique_ptr<SoundSample>> duplicateSounds;
std::optional<SdlMutex> duplicateSoundsMutex;

SoundSample* DuplicateSound(const SoundSample& sound) {
  auto duplicate = std::make_unique<SoundSample>();
  if (duplicate->DuplicateFrom(sound) != 0) return nullptr;
  auto* result = duplicate.get();
  {
    const std::lock_guard<SdlMutex> lock(*duplicateSoundsMutex);
    duplicateSounds.push_back(std::move(duplicate));
  }
  result->SetFinishCallback([result](Aulib::Stream& /*stream*/) {
    const std::lock_guard<SdlMutex> lock(*duplicateSoundsMutex);
    duplicateSounds.remove_if([result](const std::unique_ptr<SoundSample>& s) { return s.get() == result; });
  });
  return result;
}

void ClearDuplicateSounds() {
  std::list<std::unique_ptr<SoundSample>> duplicates;
  {
    const std::lock_guard<SdlMutex> lock(*duplicateSoundsMutex);
    duplicates.splice(duplicates.end(), duplicateSounds);
  }
  // Finalize the samples without holding the lock: ~Stream() needs the mixer lock.
  duplicates.clear();
}

void snd_play_snd(TSnd* pSnd) {
  Uint32 tc = SDL_GetTicks();
  if (tc - pSnd->start_tc < 80) return;
  SoundSample* sound = &pSnd->DSB;
  if (sound->IsPlaying()) {
    sound = DuplicateSound(*sound);
    if (sound == nullptr) return;
  }
  sound->Play();
  pSnd->start_tc = tc;
}

void snd_init() {
  if (!Aulib::init()) return;
  duplicateSoundsMutex.emplace();
  gbSndInited = true;
}

void snd_deinit() {
  if (gbSndInited) { Aulib::quit(); duplicateSoundsMutex = std::nullopt; }
  gbSndInited = false;
}

}  // namespace devilution

int main() {
  using namespace devilution;
  snd_init();

  auto door = std::make_unique<TSnd>();
  door->DSB.SetChunk(150);
  door->start_tc = SDL_GetTicks() - 80 - 1;

  snd_play_snd(door.get());  // 0 ms
  SDL_Delay(90);
  snd_play_snd(door.get());  // 90 ms: still playing, a duplicate plays
  SDL_Delay(110);

  // 200 ms: the bot takes a Town Portal; the loading screen clears the sounds.
  ClearDuplicateSounds();
  std::printf("duplicate sounds cleared\n");

  door.reset();
  snd_deinit();
  return 0;
}
