// Port: realm/realm-object-store#650 ("Don't call session completion callbacks while holding the state mutex")
//   A SyncSession is a small state machine (WaitingForAccessToken, Active,
//   Dying, Inactive) guarded by m_state_mutex; every public method takes the
//   mutex and hands it, as a std::unique_lock, to the current state object.
//   wait_for_download_completion() called before the session has its access
//   token cannot reach the sync client yet, so the waiter is queued in
//   m_completion_wait_packages. When the session then becomes Inactive (the
//   user is logged out), Inactive::enter_state() told the queued waiters that
//   they were cancelled by calling their callbacks right there, with
//   m_state_mutex still held. A binding callback that touches the session
//   (here: it reads session->state() to report why the wait ended) locks the
//   same std::mutex on the same thread and deadlocks ("Doing so produces a
//   deadlock if the callbacks attempt to interact with the session").
// Style: (d) standard library only: std::mutex + std::unique_lock passed
//   through the state objects, std::shared_ptr/weak_ptr session registry,
//   std::function completion callbacks, std::promise/std::future for the
//   binding's wait, std::thread for the user-management worker
// Bug class: callback re-enters a lock its caller holds (self-deadlock on a
//   non-recursive mutex through a completion callback)
// Shape: main opens a synced Realm whose session waits for an access token,
//   and asks to be told when all server changes are downloaded; the waiter
//   is queued. 50 ms later the auth worker's token refresh is rejected (the
//   refresh token was revoked) and it logs the user out: log_out() ->
//   Inactive::enter_state() -> the queued callback -> session->state(),
//   which blocks forever on m_state_mutex. main waits on the download future
//   forever.
// Fix: Inactive::enter_state() moves the queued packages out, drops the sync
//   session, unregisters (which releases the lock) and only then calls the
//   callbacks with operation_aborted.
#include <chrono>
#include <cstdio>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace realm {

class SyncSession;
namespace sync_session_states {
struct WaitingForAccessToken;
struct Inactive;
}  // namespace sync_session_states

namespace sync {
// The sync client's session (realm-sync); only the waiter entry points matter here.
class Session {
 public:
  void async_wait_for_download_completion(std::function<void(std::error_code)> handler) {
    handlers_.push_back(std::move(handler));
  }
  void async_wait_for_upload_completion(std::function<void(std::error_code)> handler) {
    handlers_.push_back(std::move(handler));
  }

 private:
  std::vector<std::function<void(std::error_code)>> handlers_;
};
}  // namespace sync

using SessionWaiterPointer = void (sync::Session::*)(std::function<void(std::error_code)>);

class SyncManager {
 public:
  static SyncManager& shared() {
    static SyncManager manager;
    return manager;
  }
  std::shared_ptr<SyncSession> get_session(const std::string& path);
  void unregister_session(const std::string& path) {
    std::lock_guard<std::mutex> lock(m_session_mutex);
    m_sessions.erase(path);
  }

 private:
  std::mutex m_session_mutex;
  std::map<std::string, std::shared_ptr<SyncSession>> m_sessions;
};

class SyncSession : public std::enable_shared_from_this<SyncSession> {
 public:
  enum class PublicState { WaitingForAccessToken, Active, Dying, Inactive };

  explicit SyncSession(std::string path) : m_realm_path(std::move(path)) {}

  PublicState state() const {
    std::unique_lock<std::mutex> lock(m_state_mutex); // LEAK
    return m_public_state;
  }

  bool wait_for_download_completion(std::function<void(std::error_code)> callback);
  void log_out();

  struct State;
  friend struct sync_session_states::WaitingForAccessToken;
  friend struct sync_session_states::Inactive;
  friend class SyncManager;

 private:
  struct CompletionWaitPackage {
    SessionWaiterPointer waiter;
    std::function<void(std::error_code)> callback;
  };

  void advance_state(std::unique_lock<std::mutex>& lock, const State& state);
  void unregister(std::unique_lock<std::mutex>& lock) {
    lock.unlock();
    SyncManager::shared().unregister_session(m_realm_path);
  }

  std::string m_realm_path;
  mutable std::mutex m_state_mutex;
  const State* m_state = nullptr;
  PublicState m_public_state = PublicState::WaitingForAccessToken;
  std::unique_ptr<sync::Session> m_session;
  std::vector<CompletionWaitPackage> m_completion_wait_packages;
};

struct SyncSession::State {
  virtual ~State() = default;
  virtual void enter_state(std::unique_lock<std::mutex>&, SyncSession&) const {}
  virtual void log_out(std::unique_lock<std::mutex>&, SyncSession&) const {}
  virtual bool wait_for_completion(SyncSession&, std::function<void(std::error_code)>,
                                   SessionWaiterPointer) const { return false; }
  static const State& waiting_for_access_token;
  static const State& inactive;
};

namespace sync_session_states {
struct WaitingForAccessToken : SyncSession::State {
  void log_out(std::unique_lock<std::mutex>& lock, SyncSession& session) const override {
    session.advance_state(lock, inactive);
  }
  bool wait_for_completion(SyncSession& session, std::function<void(std::error_code)> callback,
                           SessionWaiterPointer waiter) const override {
    // No sync::Session yet: register it once the access token arrives.
    session.m_completion_wait_packages.push_back({waiter, std::move(callback)});
    return true;
  }
};

struct Inactive : SyncSession::State {
  void enter_state(std::unique_lock<std::mutex>& lock, SyncSession& session) const override {
    session.m_public_state = SyncSession::PublicState::Inactive;
    // Inform any queued-up completion handlers that they were cancelled.
    for (auto& package : session.m_completion_wait_packages)
      package.callback(std::make_error_code(std::errc::operation_canceled));
    session.m_completion_wait_packages.clear();
    session.m_session = nullptr;
    session.unregister(lock);  // releases lock
  }
};

}  // namespace sync_session_states

static const sync_session_states::WaitingForAccessToken s_waiting_for_access_token;
static const sync_session_states::Inactive s_inactive;
const SyncSession::State& SyncSession::State::waiting_for_access_token = s_waiting_for_access_token;
const SyncSession::State& SyncSession::State::inactive = s_inactive;

void SyncSession::advance_state(std::unique_lock<std::mutex>& lock, const State& state) {
  m_state = &state;
  m_state->enter_state(lock, *this);
}

bool SyncSession::wait_for_download_completion(std::function<void(std::error_code)> callback) {
  std::unique_lock<std::mutex> lock(m_state_mutex);
  return m_state->wait_for_completion(*this, std::move(callback),
                                      &sync::Session::async_wait_for_download_completion);
}

void SyncSession::log_out() {
  std::unique_lock<std::mutex> lock(m_state_mutex);
  m_state->log_out(lock, *this);
}

std::shared_ptr<SyncSession> SyncManager::get_session(const std::string& path) {
  std::lock_guard<std::mutex> lock(m_session_mutex);
  auto& session = m_sessions[path];
  if (!session) {
    session = std::make_shared<SyncSession>(path);
    std::unique_lock<std::mutex> state_lock(session->m_state_mutex);
    session->advance_state(state_lock, SyncSession::State::waiting_for_access_token);
  }
  return session;
}

class SyncUser {
 public:
  void register_session(std::shared_ptr<SyncSession> session) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_sessions.push_back(session);
  }
  // The refresh token was revoked: every session of this user goes inactive.
  void log_out() {
    std::vector<std::shared_ptr<SyncSession>> sessions;
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      sessions.swap(m_sessions);
    }
    for (auto& session : sessions) session->log_out();
  }

 private:
  std::mutex m_mutex;
  std::vector<std::shared_ptr<SyncSession>> m_sessions;
};

}  // namespace realm

int main() {
  realm::SyncUser user;
  auto session = realm::SyncManager::shared().get_session("/data/default.realm");
  user.register_session(session);

  // The binding's downloadAllServerChanges(): the callback reports the
  // session state together with the result.
  std::promise<std::error_code> download_done;
  std::weak_ptr<realm::SyncSession> weak_session = session;
  session->wait_for_download_completion([&download_done, weak_session](std::error_code ec) {
    if (auto s = weak_session.lock()) {
      bool inactive = s->state() == realm::SyncSession::PublicState::Inactive;
      std::printf("download wait ended (%s)%s\n", ec.message().c_str(), inactive ? ", session inactive" : "");
    }
    download_done.set_value(ec);
  });

  // Auth worker: the access-token refresh is rejected with 401.
  std::thread auth_worker([&user] {
    std::this_thread::sleep_for(50ms);
    user.log_out();
  });

  std::error_code ec = download_done.get_future().get();
  auth_worker.join();
  std::printf("downloadAllServerChanges: %s\n", ec ? "aborted" : "done");
  return 0;
}
