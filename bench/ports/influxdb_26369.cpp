// Port: influxdata/influxdb#26369 ("feat: TagValueIterator holds RLock recursively")
//   A TSI index partition keeps its newest series in a tsi1.LogFile whose
//   sync.RWMutex f.mu guards the in-memory measurement -> tag key -> tag
//   value maps. LogFile.TagValueIterator(name, key) read-locks f.mu (with a
//   deferred RUnlock), finds the logTagKey and returns
//   tk.TagValueIterator(), which read-locks tk.f.mu -- the same mutex --
//   again. Go's RWMutex forbids recursive read locking: if a writer
//   (LogFile.AddSeriesList from the write path) calls Lock() between the two
//   RLocks, the writer waits for the outer read lock to go away and the inner
//   RLock waits behind the pending writer. Queries and writes on the bucket
//   both stop for good.
// Style: (c) gochan.h (go::spawn goroutines, go::RWMutex with Go's writer
//   preference, go::WaitGroup, go::wait_all_goroutines)
// Bug class: recursive read lock on a writer-preferring RWMutex (reader
//   re-enters while a writer is queued)
// Shape: a query goroutine asks the LogFile for the tag values of cpu/host
//   and is descheduled (150 ms) between the outer RLock and the nested one;
//   at 50 ms a write goroutine calls AddSeriesList and parks in Lock(). The
//   nested RLock in logTagKey.TagValueIterator then blocks behind the writer
//   forever, and so does the writer; main's wait for both hangs.
// Fix: LogFile.TagValueIterator releases f.mu after the map lookups and
//   calls tk.TagValueIterator() without holding it, so the lock is never
//   held twice by one goroutine.
#include "gochan.h"

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace tsi1 {

struct LogFile;

struct logTagValue {
  std::string name;
  std::vector<uint64_t> series;
};

class logTagValueIterator {
 public:
  explicit logTagValueIterator(std::vector<logTagValue> a) : a_(std::move(a)) {}
  const logTagValue *Next() { return i_ < a_.size() ? &a_[i_++] : nullptr; }

 private:
  std::vector<logTagValue> a_;
  size_t i_ = 0;
};

struct logTagKey {
  LogFile *f;
  std::string name;
  std::map<std::string, logTagValue> tagValues;
  std::unique_ptr<logTagValueIterator> TagValueIterator();
};

struct logMeasurement {
  std::string name;
  std::map<std::string, logTagKey> tagSet;
};

struct LogFile {
  go::RWMutex mu;
  std::map<std::string, logMeasurement> mms;
  uint64_t nextSeriesID = 1;

  // TagValueIterator returns a value iterator for a tag key.
  std::unique_ptr<logTagValueIterator> TagValueIterator(const std::string &name, const std::string &key) {
    mu.rlock();
    auto mm = mms.find(name);
    if (mm == mms.end()) {
      mu.runlock();
      return nullptr;
    }
    auto tk = mm->second.tagSet.find(key);
    if (tk == mm->second.tagSet.end()) {
      mu.runlock();
      return nullptr;
    }
    go::sleep_ms(150); // forcing: the query goroutine is preempted here
    auto itr = tk->second.TagValueIterator();
    mu.runlock(); // the deferred f.mu.RUnlock()
    return itr;
  }

  // AddSeriesList adds a set of series to the log (write path).
  void AddSeriesList(const std::string &name, const std::map<std::string, std::string> &tags) {
    mu.lock();
    auto &mm = mms[name];
    mm.name = name;
    for (auto &kv : tags) {
      auto &tk = mm.tagSet[kv.first];
      tk.f = this;
      tk.name = kv.first;
      auto &tv = tk.tagValues[kv.second];
      tv.name = kv.second;
      tv.series.push_back(nextSeriesID++);
    }
    mu.unlock();
  }
};

// logTagKey.TagValueIterator: public, so it takes the file lock itself.
std::unique_ptr<logTagValueIterator> logTagKey::TagValueIterator() {
  f->mu.rlock(); // LEAK
  std::vector<logTagValue> a;
  for (auto &kv : tagValues) a.push_back(kv.second);
  f->mu.runlock();
  return std::make_unique<logTagValueIterator>(std::move(a));
}

} // namespace tsi1

int main() {
  tsi1::LogFile f;
  f.AddSeriesList("cpu", {{"host", "serverA"}, {"region", "us-west"}});
  f.AddSeriesList("cpu", {{"host", "serverB"}, {"region", "us-east"}});

  go::WaitGroup wg;
  wg.add(2);
  go::spawn([&] { // SHOW TAG VALUES FROM cpu WITH KEY = "host"
    auto itr = f.TagValueIterator("cpu", "host");
    int n = 0;
    while (itr && itr->Next()) n++;
    std::printf("tag values: %d\n", n);
    wg.done();
  });
  go::spawn([&] { // a point write creating a new series
    go::sleep_ms(50);
    f.AddSeriesList("cpu", {{"host", "serverC"}, {"region", "eu-central"}});
    wg.done();
  });
  wg.wait();
  go::wait_all_goroutines();
  return 0;
}
