// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// threadleak-blocked-forever: a mutex left locked on one return path, when
// it is taken and given back through the project's own lock functions
// (WinPR's EnterCriticalSection/LeaveCriticalSection over a pthread mutex,
// a Mutex class's Lock()/Unlock()): the function releases it on its other
// paths, so the path that returns holding it forgot; the next acquisition,
// by another thread running the same code, waits forever.

#include <mutex>
#include <pthread.h>
#include <thread>

struct CRITICAL_SECTION {
  pthread_mutex_t mutex;
};
void InitializeCriticalSection(CRITICAL_SECTION *cs) {
  pthread_mutex_init(&cs->mutex, nullptr);
}
void EnterCriticalSection(CRITICAL_SECTION *cs) { pthread_mutex_lock(&cs->mutex); }
void LeaveCriticalSection(CRITICAL_SECTION *cs) { pthread_mutex_unlock(&cs->mutex); }

int bio_write(const char *buf, int n);
bool should_retry();

struct Transport {
  CRITICAL_SECTION WriteLock;
};

// FreeRDP#2522: an error exit of the write loop returns with WriteLock
// held.
int transport_write(Transport *t, const char *buf, int length) {
  int status = -1;
  EnterCriticalSection(&t->WriteLock);
  while (length > 0) {
    status = bio_write(buf, length);
    if (status <= 0) {
      if (!should_retry())
        return status;
        // CHECK: :[[@LINE-1]]:9: warning: 't->WriteLock.mutex' is still held when 'transport_write' returns here, though its other paths release it; the next acquisition of 't->WriteLock.mutex' waits forever [threadleak-blocked-forever]
        // CHECK: :[[@LINE-7]]:3: note: 'EnterCriticalSection' is called here
        // CHECK: :[[@LINE-22]]:51: note: 't->WriteLock.mutex' is acquired here
        // CHECK: :[[@LINE-23]]:51: note: 'EnterCriticalSection' acquires 'cs->mutex' here: it waits forever
      continue;
    }
    length -= status;
    buf += status;
  }
  LeaveCriticalSection(&t->WriteLock);
  return status;
}

// Its fix: every exit goes through the cleanup.
int transport_write_fixed(Transport *t, const char *buf, int length) {
  int status = -1;
  EnterCriticalSection(&t->WriteLock);
  while (length > 0) {
    status = bio_write(buf, length);
    if (status <= 0) {
      if (!should_retry())
        goto out;
      continue;
    }
    length -= status;
    buf += status;
  }
out:
  LeaveCriticalSection(&t->WriteLock);
  return status;
}

Transport g_transport;
Transport g_fixed;

void writers() {
  InitializeCriticalSection(&g_transport.WriteLock);
  InitializeCriticalSection(&g_fixed.WriteLock);
  std::thread a([] { transport_write(&g_transport, "io", 2); });
  std::thread b([] { transport_write(&g_transport, "input", 5); });
  std::thread c([] { transport_write_fixed(&g_fixed, "io", 2); });
  std::thread d([] { transport_write_fixed(&g_fixed, "input", 5); });
  a.join();
  b.join();
  c.join();
  d.join();
}

// A Mutex class of the project: an early return between Lock() and
// Unlock().
class Mutex {
public:
  void Lock() { mu_.lock(); }
  void Unlock() { mu_.unlock(); }

private:
  std::mutex mu_;
};

class Table {
public:
  bool Insert(int k) {
    mu_.Lock();
    if (k < 0)
      return false;
      // CHECK: :[[@LINE-1]]:7: warning: 'mu_' is still held when 'Table::Insert' returns here, though its other paths release it; the next acquisition of 'mu_' waits forever [threadleak-blocked-forever]
      // CHECK: :[[@LINE-4]]:5: note: 'mu_' is acquired here
      // CHECK: :[[@LINE-5]]:5: note: 'Table::Insert' acquires 'mu_' here: it waits forever
    size_ += k;
    mu_.Unlock();
    return true;
  }
  // Negative: released on every path.
  bool InsertChecked(int k) {
    mu_.Lock();
    if (k < 0) {
      mu_.Unlock();
      return false;
    }
    size_ += k;
    mu_.Unlock();
    return true;
  }
  // Negative: a conditional acquire whose callers release on success.
  bool LockIfOpen() {
    mu_.Lock();
    if (!open_) {
      mu_.Unlock();
      return false;
    }
    return true;
  }
  void Touch() {
    if (!LockIfOpen())
      return;
    ++size_;
    mu_.Unlock();
  }

private:
  Mutex mu_;
  int size_ = 0;
  bool open_ = true;
};

// Negative: a wrapper of the wrapper takes it on purpose, on every path.
void EnterBoth(CRITICAL_SECTION *a, CRITICAL_SECTION *b) {
  EnterCriticalSection(a);
  EnterCriticalSection(b);
}

void tables(Table &t) {
  std::thread a([&t] { t.Insert(-1); });
  std::thread b([&t] { t.Insert(2); });
  std::thread c([&t] { t.InsertChecked(1); });
  std::thread d([&t] { t.Touch(); });
  a.join();
  b.join();
  c.join();
  d.join();
}
