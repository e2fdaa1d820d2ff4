// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// threadleak-blocked-forever: a read lock taken again through another name
// of the one object that holds it. A tag key points back at its log file,
// and the log file, read-locked, asks a key for its values, which
// read-locks the file again through the key's pointer (influxdb#26369).
// The program makes one log file, so both names are its mutex.

#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

struct LogFile;

struct TagKey {
  LogFile *f = nullptr;
  int values = 0;
  int iterate();
};

struct LogFile {
  std::shared_mutex mu;
  std::vector<TagKey> keys;

  int tagValues(unsigned k) {
    std::shared_lock<std::shared_mutex> l(mu);
    if (k >= keys.size())
      return 0;
    return keys[k].iterate();
  }
  void add(unsigned k) {
    std::unique_lock<std::shared_mutex> l(mu);
    keys[k].f = this;
    ++keys[k].values;
  }
};

int TagKey::iterate() {
  std::shared_lock<std::shared_mutex> l(f->mu);
  // CHECK: :[[@LINE-1]]:39: warning: 'keys[...].f->mu' is locked for reading again by code that already holds it for reading; a writer that starts waiting in between holds this second read lock back, and waits itself for the first: both wait forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE+65]]:11: note: 'file' is the only 'LogFile' the program makes: 'mu' and 'keys[...].f->mu' are both its 'mu'
  // CHECK: :[[@LINE-16]]:41: note: 'mu' is acquired here
  // CHECK: :[[@LINE-14]]:12: note: 'TagKey::iterate' is called here, with 'mu' held for reading
  // CHECK: :[[@LINE-12]]:41: note: 'mu' is locked for writing here, in 'LogFile::add'; a thread that holds a 'std::shared_mutex' must not lock it again (undefined behaviour), and libc++'s and MSVC's hold new readers back behind a waiting writer
  return values;
}

// The fix: the lookup under the lock, the key's own locking after it.
struct FixedFile;
struct FixedKey {
  FixedFile *f = nullptr;
  int values = 0;
  int iterate();
};
struct FixedFile {
  std::shared_mutex mu;
  std::vector<FixedKey> keys;

  int tagValues(unsigned k) {
    FixedKey *key = nullptr;
    {
      std::shared_lock<std::shared_mutex> l(mu);
      if (k >= keys.size())
        return 0;
      key = &keys[k];
    }
    return key->iterate();
  }
  void add(unsigned k) {
    std::unique_lock<std::shared_mutex> l(mu);
    keys[k].f = this;
    ++keys[k].values;
  }
};
int FixedKey::iterate() {
  std::shared_lock<std::shared_mutex> l(f->mu);
  return values;
}

// Look-alike: two shards; a key may point at the other shard, whose lock
// is another mutex.
struct Shard;
struct ShardKey {
  Shard *owner = nullptr;
  int values = 0;
  int iterate();
};
struct Shard {
  std::shared_mutex mu;
  std::vector<ShardKey> keys;
  int tagValues(unsigned k) {
    std::shared_lock<std::shared_mutex> l(mu);
    return keys[k].iterate();
  }
  void add(unsigned k, Shard *home) {
    std::unique_lock<std::shared_mutex> l(mu);
    keys[k].owner = home;
  }
};
int ShardKey::iterate() {
  std::shared_lock<std::shared_mutex> l(owner->mu);
  return values;
}

int main() {
  LogFile file;
  FixedFile fixed;
  Shard a, b;
  std::thread t([&] {
    file.tagValues(0);
    fixed.tagValues(0);
    a.tagValues(0);
  });
  file.add(0);
  fixed.add(0);
  a.add(0, &b);
  b.add(0, &a);
  t.join();
}
