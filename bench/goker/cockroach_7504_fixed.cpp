// GoKer port: goker/cockroach7504.go in the Go runtime's testgoroutineleakprofile (cockroachdb/cockroach#7504, fix cab761b)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (d) standard library only (std::thread, std::mutex, std::lock_guard / std::unique_lock)
// Bug class: lock: AB-BA (a lease's mutex and the table name cache's mutex, in opposite orders)
// Shape: AcquireByName() looks the lease up in the name cache holding the
//   cache's mutex (L2) and then locks the lease (L1). Release() goes through
//   tableState::release(), which locks the table (L3), then the lease (L1),
//   and removes the lease from the name cache with L1 held, taking L2.
//   Each thread holds the mutex the other needs.
// Fix (reconstructed; the upstream patch is not in the corpus):
//   tableState::release() unlocks the lease before removeLease() touches the
//   name cache, so L2 is never requested with L1 held.
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

struct LeaseState {
  std::mutex mu; // L1
  int id = 0;
};

int makeCacheKey(const LeaseState &lease) { return lease.id; }

class LeaseSet {
public:
  explicit LeaseSet(int n) {
    for (int i = 0; i < n; ++i)
      data_.push_back(std::make_shared<LeaseState>());
  }
  std::shared_ptr<LeaseState> find(int id) const { return data_.at(id); }
  void remove(const LeaseState *s) {
    for (auto it = data_.begin(); it != data_.end(); ++it)
      if (it->get() == s) {
        data_.erase(it);
        break;
      }
  }

private:
  std::vector<std::shared_ptr<LeaseState>> data_;
};

class TableNameCache {
public:
  void put(int id, std::shared_ptr<LeaseState> lease) { tables_[id] = std::move(lease); }

  void get(int id) {
    std::lock_guard<std::mutex> guard(mu_); // L2
    auto it = tables_.find(id);
    if (it == tables_.end())
      return;
    if (!it->second)
      throw std::logic_error("nil lease in name cache");
    std::this_thread::sleep_for(10ms); // let release() take L1 first
    std::lock_guard<std::mutex> leaseGuard(it->second->mu);
  }

  void remove(const LeaseState &lease) {
    std::lock_guard<std::mutex> guard(mu_);
    int key = makeCacheKey(lease);
    auto it = tables_.find(key);
    if (it == tables_.end())
      return;
    if (it->second.get() == &lease)
      tables_.erase(it);
  }

private:
  std::mutex mu_; // L2
  std::map<int, std::shared_ptr<LeaseState>> tables_;
};

class TableState {
public:
  TableState(TableNameCache &cache, LeaseSet &active) : tableNameCache_(cache), active_(active) {}

  void release(const LeaseState &lease) {
    std::lock_guard<std::mutex> guard(mu_); // L3
    auto s = active_.find(makeCacheKey(lease));
    std::unique_lock<std::mutex> leaseGuard(s->mu); // L1
    std::this_thread::sleep_for(20ms); // runtime.Gosched(): get() takes L2 meanwhile
    leaseGuard.unlock(); // the fix: no L1 while the name cache takes L2
    removeLease(*s);
  }

private:
  void removeLease(const LeaseState &lease) {
    active_.remove(&lease);
    tableNameCache_.remove(lease); // L2
  }

  TableNameCache &tableNameCache_;
  std::mutex mu_; // L3
  LeaseSet &active_;
};

class LeaseManager {
public:
  LeaseManager(TableNameCache &names, TableState &ts) : tableNames_(names) { tables_[0] = &ts; }

  void AcquireByName(int id) { tableNames_.get(id); }

  void Release(const LeaseState &lease) {
    TableState *t = findTableState(lease);
    t->release(lease);
  }

private:
  TableState *findTableState(const LeaseState &lease) {
    auto it = tables_.find(lease.id);
    return it == tables_.end() ? nullptr : it->second;
  }

  TableNameCache &tableNames_;
  std::map<int, TableState *> tables_;
};

int main() {
  const int leaseNum = 2;
  LeaseSet lset(leaseNum);
  TableNameCache nc;
  for (int i = 0; i < leaseNum; ++i)
    nc.put(i, lset.find(i));
  TableState ts(nc, lset);
  LeaseManager mgr(nc, ts);

  auto lease0 = lset.find(0);
  std::thread g1([&mgr] { mgr.AcquireByName(0); });      // G1: L2 then L1
  std::thread g2([&mgr, lease0] { mgr.Release(*lease0); }); // G2: L3, L1 then L2
  g1.join();
  g2.join();
}
