// Port: eProsima/Fast-DDS#871 ("Fix deadlock between PDP and StatefulReader")
//   (hung ROS 2 buildfarm tests, ros2/build_cop#248, Fast-RTPS v1.9.2;
//   backported as #880.) Each remote participant has a lease-duration
//   TimedEvent that runs on the participant's ResourceEvent thread and calls
//   PDP::check_remote_participant_liveliness(). That function held the PDP
//   mutex for its whole body and, when the lease had expired, called
//   remove_remote_participant() with it held; removing the participant makes
//   EDP drop the remote endpoints from the builtin SEDP readers, which takes
//   each StatefulReader's mp_mutex (PDP -> reader). Meanwhile the receive
//   thread processes a DATA(w) from another participant:
//   StatefulReader::processDataMsg() holds the reader's mp_mutex while the
//   EDPSimplePUBListener registers the writer with PDP::addWriterProxyData(),
//   which takes the PDP mutex (reader -> PDP). Both threads wait forever, and
//   the participant can no longer be destroyed.
// Style: project wrappers (Fast-DDS's own ResourceEvent event thread and
//   TimedEvent timers on std::thread/std::condition_variable, and its
//   RecursiveTimedMutex class over a recursive pthread mutex), with
//   std::recursive_mutex as the PDP mutex as upstream
// Bug class: lock-order inversion (ABBA) between two classes: PDP mutex ->
//   StatefulReader mutex on the event thread, StatefulReader mutex -> PDP
//   mutex on the receive thread
// Shape: participant A's lease has run out; its lease event fires at 50 ms.
//   At 0 ms the receive thread gets participant B's DATA(w) on the SEDP
//   publications reader and spends 100 ms deserialising it under the
//   reader's mutex (forcing). The event thread takes the PDP mutex at 50 ms
//   and blocks on the reader's mutex; the receive thread then blocks on the
//   PDP mutex. At 300 ms main destroys the participant and joins forever.
// Fix: check_remote_participant_liveliness() holds the PDP mutex in a
//   std::unique_lock and unlocks it before calling
//   remove_remote_participant(), which locks it internally only around the
//   proxy bookkeeping.
#include <pthread.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace eprosima {
namespace fastrtps {

class RecursiveTimedMutex {
 public:
  RecursiveTimedMutex() {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&mutex_, &attr);
    pthread_mutexattr_destroy(&attr);
  }
  ~RecursiveTimedMutex() { pthread_mutex_destroy(&mutex_); }
  void lock() { pthread_mutex_lock(&mutex_); }
  void unlock() { pthread_mutex_unlock(&mutex_); }

 private:
  pthread_mutex_t mutex_;
};

namespace rtps {

struct GUID_t {
  int prefix = 0, entity = 0;
  static GUID_t unknown() { return GUID_t{}; }
  bool operator==(const GUID_t& o) const { return prefix == o.prefix && entity == o.entity; }
};

class TimedEvent;

class ResourceEvent {
 public:
  void init_thread() { thread_ = std::thread(&ResourceEvent::event_service, this); }
  void stop_thread() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }
  void register_timer(TimedEvent* event) {
    std::lock_guard<std::mutex> lock(mutex_);
    timers_.push_back(event);
  }
  std::mutex& mutex() { return mutex_; }
  void notify() { cv_.notify_one(); }

 private:
  void event_service();
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<TimedEvent*> timers_;
  std::thread thread_;
  bool stop_ = false;
};

class TimedEvent {
 public:
  TimedEvent(ResourceEvent& service, std::function<bool()> callback, double milliseconds)
      : service_(service), callback_(std::move(callback)), interval_(milliseconds) {
    service_.register_timer(this);
  }
  void update_interval_millisec(double ms) { interval_ = ms; }
  void restart_timer() {
    {
      std::lock_guard<std::mutex> lock(service_.mutex());
      next_trigger_ = std::chrono::steady_clock::now() +
                      std::chrono::microseconds(static_cast<long>(interval_ * 1000));
      enabled_ = true;
    }
    service_.notify();
  }
  // Both called by the event thread with the service mutex held.
  bool due(std::chrono::steady_clock::time_point now) const { return enabled_ && now >= next_trigger_; }
  void disable() { enabled_ = false; }
  void trigger() {
    if (callback_()) restart_timer();
  }

 private:
  ResourceEvent& service_;
  std::function<bool()> callback_;
  double interval_;
  std::chrono::steady_clock::time_point next_trigger_;
  bool enabled_ = false;
};

void ResourceEvent::event_service() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    auto now = std::chrono::steady_clock::now();
    std::vector<TimedEvent*> due;
    for (TimedEvent* t : timers_)
      if (t->due(now)) { t->disable(); due.push_back(t); }
    lock.unlock();
    for (TimedEvent* t : due) t->trigger();  // callbacks run without mutex_
    lock.lock();
    cv_.wait_for(lock, 5ms);
  }
}

struct CacheChange_t {
  GUID_t writerGUID;          // the remote SEDP writer
  GUID_t announced_writer;    // the user writer announced in this DATA(w)
};

class StatefulReader;

class ReaderListener {
 public:
  virtual ~ReaderListener() = default;
  virtual void onNewCacheChangeAdded(StatefulReader* reader, const CacheChange_t* change) = 0;
};

class StatefulReader {
 public:
  explicit StatefulReader(ReaderListener* listener) : mp_listener(listener) {}

  void matched_writer_add(const GUID_t& writer) {
    std::lock_guard<RecursiveTimedMutex> guard(mp_mutex);
    matched_writers_.push_back(writer);
  }

  bool matched_writer_remove(const GUID_t& writer) {
    std::lock_guard<RecursiveTimedMutex> guard(mp_mutex); // LEAK
    auto it = std::find(matched_writers_.begin(), matched_writers_.end(), writer);
    if (it == matched_writers_.end()) return false;
    matched_writers_.erase(it);
    return true;
  }

  bool processDataMsg(CacheChange_t* change) {
    std::lock_guard<RecursiveTimedMutex> guard(mp_mutex);
    return change_received(change);
  }

 private:
  bool change_received(CacheChange_t* change) {
    // NotifyChanges(): the listener runs with mp_mutex held
    if (mp_listener != nullptr) mp_listener->onNewCacheChangeAdded(this, change);
    return true;
  }

  RecursiveTimedMutex mp_mutex;
  ReaderListener* mp_listener;
  std::vector<GUID_t> matched_writers_;
};

struct ParticipantProxyData {
  GUID_t m_guid;
  std::chrono::milliseconds m_leaseDuration{0};
  std::chrono::steady_clock::time_point last_received_message_tm_;
  std::vector<GUID_t> m_writers;
  TimedEvent* lease_duration_event = nullptr;
};

class PDP;

class EDPSimple {
 public:
  explicit EDPSimple(PDP* pdp) : mp_PDP(pdp) {}
  StatefulReader* publications_reader_ = nullptr;
  PDP* mp_PDP;

  void removeRemoteEndpoints(ParticipantProxyData* pdata) {
    GUID_t sedp_writer{pdata->m_guid.prefix, 0x3c2};
    publications_reader_->matched_writer_remove(sedp_writer);
  }
};

class PDP {
 public:
  PDP(ResourceEvent& event_resource) : event_resource_(event_resource), mp_EDP(new EDPSimple(this)) {}
  ~PDP() {
    for (auto* p : participant_proxies_) { delete p->lease_duration_event; delete p; }
    delete mp_EDP;
  }

  std::recursive_mutex* getMutex() { return &mp_mutex; }
  EDPSimple* getEDP() { return mp_EDP; }

  ParticipantProxyData* add_participant_proxy_data(const GUID_t& guid, std::chrono::milliseconds lease,
                                                   std::chrono::steady_clock::time_point last_msg) {
    std::lock_guard<std::recursive_mutex> guard(mp_mutex);
    auto* pdata = new ParticipantProxyData;
    pdata->m_guid = guid;
    pdata->m_leaseDuration = lease;
    pdata->last_received_message_tm_ = last_msg;
    pdata->lease_duration_event = new TimedEvent(event_resource_, [this, pdata]() -> bool {
      check_remote_participant_liveliness(pdata);
      return false;
    }, 50.0);
    participant_proxies_.push_back(pdata);
    pdata->lease_duration_event->restart_timer();
    return pdata;
  }

  // Called by the EDP listener when a DATA(w) announces a remote writer.
  bool addWriterProxyData(const GUID_t& writer_guid) {
    std::lock_guard<std::recursive_mutex> guard(mp_mutex);
    for (ParticipantProxyData* pit : participant_proxies_) {
      if (pit->m_guid.prefix == writer_guid.prefix) {
        pit->m_writers.push_back(writer_guid);
        return true;
      }
    }
    return false;
  }

  bool remove_remote_participant(const GUID_t& partGUID) {
    ParticipantProxyData* pdata = nullptr;
    {
      std::lock_guard<std::recursive_mutex> guardPDP(mp_mutex);
      for (auto pit = participant_proxies_.begin(); pit != participant_proxies_.end(); ++pit) {
        if ((*pit)->m_guid == partGUID) {
          pdata = *pit;
          participant_proxies_.erase(pit);
          break;
        }
      }
    }
    if (pdata == nullptr) return false;
    mp_EDP->removeRemoteEndpoints(pdata);
    std::printf("participant %d dropped (lease expired)\n", partGUID.prefix);
    {
      std::lock_guard<std::recursive_mutex> guardPDP(mp_mutex);
      removed_proxies_.push_back(pdata);  // back to the pool
    }
    return true;
  }

 private:
  void check_remote_participant_liveliness(ParticipantProxyData* remote_participant) {
    std::lock_guard<std::recursive_mutex> guard(mp_mutex);
    if (!(GUID_t::unknown() == remote_participant->m_guid)) {
      auto now = std::chrono::steady_clock::now();
      auto real_lease_tm = remote_participant->last_received_message_tm_ + remote_participant->m_leaseDuration;
      if (now > real_lease_tm) {
        remove_remote_participant(remote_participant->m_guid);
        return;
      }
      remote_participant->lease_duration_event->update_interval_millisec(
          std::chrono::duration<double, std::milli>(real_lease_tm - now).count());
      remote_participant->lease_duration_event->restart_timer();
    }
  }

  ResourceEvent& event_resource_;
  std::recursive_mutex mp_mutex;
  std::vector<ParticipantProxyData*> participant_proxies_;
  std::vector<ParticipantProxyData*> removed_proxies_;
  EDPSimple* mp_EDP;
};

class EDPSimplePUBListener : public ReaderListener {
 public:
  explicit EDPSimplePUBListener(EDPSimple* sedp) : sedp_(sedp) {}
  void onNewCacheChangeAdded(StatefulReader*, const CacheChange_t* change) override {
    std::this_thread::sleep_for(100ms);  // forcing: WriterProxyData::readFromCDRMessage()
    sedp_->mp_PDP->addWriterProxyData(change->announced_writer);
  }

 private:
  EDPSimple* sedp_;
};

}  // namespace rtps
}  // namespace fastrtps
}  // namespace eprosima

using namespace eprosima::fastrtps::rtps;

int main() {
  ResourceEvent event_resource;
  event_resource.init_thread();
  {
    PDP pdp(event_resource);
    EDPSimplePUBListener pub_listener(pdp.getEDP());
    StatefulReader publications_reader(&pub_listener);
    pdp.getEDP()->publications_reader_ = &publications_reader;

    auto now = std::chrono::steady_clock::now();
    // Participant A stopped talking long ago; participant B is alive.
    pdp.add_participant_proxy_data(GUID_t{0xA, 0x1c1}, 20ms, now - 1s);
    pdp.add_participant_proxy_data(GUID_t{0xB, 0x1c1}, 10s, now);
    publications_reader.matched_writer_add(GUID_t{0xA, 0x3c2});
    publications_reader.matched_writer_add(GUID_t{0xB, 0x3c2});

    // Receive thread: participant B announces a writer.
    std::thread receive_thread([&publications_reader] {
      CacheChange_t change{GUID_t{0xB, 0x3c2}, GUID_t{0xB, 0x103}};
      publications_reader.processDataMsg(&change);
    });

    std::this_thread::sleep_for(300ms);  // the application deletes the participant
    receive_thread.join();
    event_resource.stop_thread();
  }
  std::puts("participant deleted");
  return 0;
}
