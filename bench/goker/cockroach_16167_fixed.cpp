// GoKer port: goker/cockroach16167.go in the Go runtime's testgoroutineleakprofile (cockroachdb/cockroach#16167, fix d064942)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (d) standard library only (std::thread, std::condition_variable_any over the read side of a writer-preferring rwlock)
// Bug class: lock: recursive read lock with a writer queued in between (RWR, the first read lock taken through a condition variable's locker)
// Shape: execParsed() takes the system config condition's lock, which is the
//   read side of systemConfigMu, and runs the statement; preparing it reaches
//   getDatabaseCache(), which read-locks systemConfigMu again. Start() updates
//   the system config under the write lock in between: the second read lock
//   queues behind the writer, and the writer waits for the first read lock,
//   held by the same thread.
// Fix (reconstructed; the upstream patch is not in the corpus): execParsed()
//   releases the condition's read lock before running the statement.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

using namespace std::chrono_literals;

// Readers wait while a writer holds or waits for the lock (Go's RWMutex rule).
class WriterPriorityRWLock {
public:
  void read_lock() {
    std::unique_lock<std::mutex> lk(m_);
    cv_.wait(lk, [this] { return state_ >= 0 && writersWaiting_ == 0; });
    ++state_;
  }
  void read_unlock() {
    std::lock_guard<std::mutex> lk(m_);
    if (--state_ == 0)
      cv_.notify_all();
  }
  void write_lock() {
    std::unique_lock<std::mutex> lk(m_);
    ++writersWaiting_;
    cv_.wait(lk, [this] { return state_ == 0; });
    --writersWaiting_;
    state_ = -1;
  }
  void write_unlock() {
    std::lock_guard<std::mutex> lk(m_);
    state_ = 0;
    cv_.notify_all();
  }

  // RLocker(): the read side as a BasicLockable, for condition_variable_any.
  struct ReadSide {
    WriterPriorityRWLock &rw;
    void lock() { rw.read_lock(); }
    void unlock() { rw.read_unlock(); }
  };
  ReadSide reader() { return ReadSide{*this}; }

private:
  std::mutex m_;
  std::condition_variable cv_;
  int state_ = 0; // >0 readers, -1 writer
  int writersWaiting_ = 0;
};

class Executor;

class Session {
public:
  void resetForBatch(Executor &e);
  void prepareStatement(Executor &e); // PreparedStatements.New()
};

class Executor {
public:
  void Start() { updateSystemConfig(); }

  void execParsed(Session &session) {
    std::unique_lock<WriterPriorityRWLock::ReadSide> lk(systemConfigL_); // systemConfigCond.L.Lock()
    std::this_thread::sleep_for(20ms); // runtime.Gosched(): the config update queues for the write lock
    lk.unlock(); // the fix: the statement runs without the condition's read lock
    runTxnAttempt(session);
  }

  void Prepare(Session &session) { session.resetForBatch(*this); }

  void getDatabaseCache() {
    systemConfigMu_.read_lock();
    systemConfigMu_.read_unlock();
  }

private:
  void runTxnAttempt(Session &session) { execStmtsInCurrentTxn(session); }
  void execStmtsInCurrentTxn(Session &session) { execStmtInOpenTxn(session); }
  void execStmtInOpenTxn(Session &session) { session.prepareStatement(*this); }

  void updateSystemConfig() {
    systemConfigMu_.write_lock();
    std::this_thread::sleep_for(1ms); // runtime.Gosched()
    systemConfigMu_.write_unlock();
    systemConfigCond_.notify_all();
  }

  WriterPriorityRWLock systemConfigMu_; // L1
  WriterPriorityRWLock::ReadSide systemConfigL_ = systemConfigMu_.reader();
  std::condition_variable_any systemConfigCond_; // waits with systemConfigL_
};

void Session::resetForBatch(Executor &e) { e.getDatabaseCache(); }
void Session::prepareStatement(Executor &e) { e.Prepare(*this); }

int main() {
  std::thread g1([] { // G1
    Executor e;
    Session s;
    std::thread g2([&e] { // G2: the system config update arrives while the statement runs
      std::this_thread::sleep_for(5ms);
      e.Start();
    });
    e.execParsed(s);
    g2.join();
  });
  g1.join();
}
