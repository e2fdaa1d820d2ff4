// Port: cosmos/cosmos-sdk#13881 ("perf: optimize iteration on nested cache context")
//   (the deadlock it removed is described in cosmos/cosmos-sdk#14296,
//   "Opening iterators on same CacheKV store deadlocks".)
//   cachekv.Store keeps writes in an unsorted map and, when an iterator is
//   opened, dirtyItems() moves the keys of the range into sortedCache, a
//   tm-db MemDB, with sortedCache.Set(), which takes the MemDB's write lock.
//   The cache side of the iterator is a tm-db memDBIterator: it takes the
//   MemDB read lock and starts a visitor goroutine that walks the btree and
//   pushes every item into a channel of capacity 64, releasing the read lock
//   only when the walk ends. A module that iterates over a range with more
//   than 64 items and, inside the loop, writes a key and opens a second
//   iterator on the same store (nested iteration) blocks in sortedCache.Set()
//   on the write lock; the read lock is held by the first iterator's visitor,
//   which is blocked sending into the full channel that only the blocked
//   caller reads.
// Style: (c) Go-style library gochan.h: go::RWMutex (MemDB.mtx), go::chan (visitor channel), go::Context (iterator cancel), go::Mutex (cachekv mtx), go::spawn;
//   the fixed twin has no visitor goroutine, channel or context
// Bug class: helper goroutine holds a read lock while blocked on a bounded channel; its consumer then needs the write lock
// Shape: 100 validators are written to the store; the EndBlocker opens an
//   iterator over them (the visitor fills the 64-slot channel and blocks
//   holding the MemDB read lock), then, for the first validator, sets a power
//   key and opens a nested iterator over the power prefix: dirtyItems() calls
//   sortedCache.Set() and blocks on the write lock. The program hangs.
// Fix: the cache iterator no longer runs a goroutine over a locked MemDB: the
//   sorted cache is a btree walked in place by the caller (a memIterator
//   keeping its position), so no lock is held between Next() calls and a
//   nested iterator can insert dirty items into the sorted cache.
#include "gochan.h"

#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

struct item {
  std::string key;
  std::string value;
};

// ---- tm-db memdb.go / memdb_iterator.go ----
class MemDB {
 public:
  go::RWMutex mtx;
  std::map<std::string, std::string> btree;

  void Set(const std::string &key, const std::string &value) {
    mtx.lock();
    btree[key] = value;
    mtx.unlock();
  }
};

// store/cachekv/memiterator.go: walks the sorted cache in place; the read
// lock is taken for each step only, never held between calls.
class memIterator {
  MemDB *db_;
  std::string end_;
  item item_;
  bool valid_ = false;

  void load(std::map<std::string, std::string>::iterator it) {
    valid_ = it != db_->btree.end() && it->first < end_;
    if (valid_) {
      item_ = item{it->first, it->second};
    }
  }

 public:
  memIterator(MemDB *db, const std::string &start, std::string end) : db_(db), end_(std::move(end)) {
    db_->mtx.rlock();
    load(db_->btree.lower_bound(start));
    db_->mtx.runlock();
  }
  bool Valid() const { return valid_; }
  const item &Item() const { return item_; }
  void Next() {
    db_->mtx.rlock();
    load(db_->btree.upper_bound(item_.key));
    db_->mtx.runlock();
  }
  void Close() {}
};

// ---- store/cachekv/store.go ----
class Store {
  go::Mutex mtx_;
  std::map<std::string, std::string> cache_;
  std::map<std::string, bool> unsortedCache_;
  MemDB sortedCache_;

  void dirtyItems(const std::string &start, const std::string &end) {
    std::vector<item> unsorted;
    for (auto it = unsortedCache_.begin(); it != unsortedCache_.end();) {
      if (it->first >= start && it->first < end) {
        unsorted.push_back({it->first, cache_[it->first]});
        it = unsortedCache_.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto &kv : unsorted) {
      sortedCache_.Set(kv.key, kv.value);
    }
  }

 public:
  void Set(const std::string &key, const std::string &value) {
    mtx_.lock();
    cache_[key] = value;
    unsortedCache_[key] = true;
    mtx_.unlock();
  }

  std::unique_ptr<memIterator> Iterator(const std::string &start, const std::string &end) {
    mtx_.lock();
    dirtyItems(start, end);
    auto cache = std::make_unique<memIterator>(&sortedCache_, start, end);
    mtx_.unlock();
    return cache; // newCacheMergeIterator(parent, cache): the parent is empty here
  }
};

// ---- x/staking EndBlocker ----
int main() {
  Store store;
  char key[32];
  for (int i = 0; i < 100; i++) {
    std::snprintf(key, sizeof key, "validators/%03d", i);
    store.Set(key, "bonded");
  }

  int updates = 0;
  auto validators = store.Iterator("validators/", "validators0");
  for (; validators->Valid(); validators->Next()) {
    go::sleep_ms(updates == 0 ? 100 : 0); // the visitor has filled its channel by now
    std::string power = "power/" + validators->Item().key.substr(11);
    store.Set(power, "10");
    auto powers = store.Iterator("power/", "power0");
    for (; powers->Valid(); powers->Next()) {
    }
    powers->Close();
    updates++;
  }
  validators->Close();
  go::wait_all_goroutines();
  std::printf("applied %d validator updates\n", updates);
  return 0;
}
