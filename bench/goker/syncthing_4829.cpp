// GoKer port: gobench/goker/blocking/syncthing/4829 (syncthing/syncthing#4829)
// Style: (d) standard library only (std::thread, std::shared_lock over a hand-written writer-preferring RWMutex on std::mutex + std::condition_variable)
// Bug class: lock: double locking (a read lock under one's own write lock)
// Shape: Mapping::clearAddresses() takes the mapping's write lock, removes
//   the addresses and, still holding it, calls notify(), which takes the
//   same lock for reading: the thread waits for itself. (std::shared_mutex
//   would report EDEADLK and throw; the project's RWMutex, like Go's, just
//   waits.)
// Fix: (upstream, as we know it) clearAddresses() releases the write lock
//   before notifying the subscribers.
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

// Readers wait while a writer holds or waits for the lock.
class RWMutex {
public:
  void lock() {
    std::unique_lock lk(mu_);
    ++writersWaiting_;
    cv_.wait(lk, [this] { return !writer_ && readers_ == 0; });
    --writersWaiting_;
    writer_ = true;
  }
  void unlock() {
    std::lock_guard lk(mu_);
    writer_ = false;
    cv_.notify_all();
  }
  void lock_shared() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [this] { return !writer_ && writersWaiting_ == 0; });
    ++readers_;
  }
  void unlock_shared() {
    std::lock_guard lk(mu_);
    if (--readers_ == 0)
      cv_.notify_all();
  }

private:
  std::mutex mu_;
  std::condition_variable cv_;
  int readers_ = 0, writersWaiting_ = 0;
  bool writer_ = false;
};

using Address = int;

class Mapping {
public:
  void setAddress(const std::string &id, Address a) {
    std::lock_guard lk(mut_);
    extAddresses_[id] = a;
  }

  void clearAddresses() {
    mut_.lock(); // L2
    std::vector<Address> removed;
    for (auto &[id, addr] : extAddresses_)
      removed.push_back(addr);
    extAddresses_.clear();
    if (!removed.empty())
      notify({}, removed);
    mut_.unlock();
  }

private:
  void notify(const std::vector<Address> &added, const std::vector<Address> &removed) {
    (void)added;
    (void)removed;
    std::shared_lock lk(mut_); // LEAK: clearAddresses() holds the write lock
    // call the subscribers
  }

  RWMutex mut_; // L2
  std::map<std::string, Address> extAddresses_;
};

class Service {
public:
  std::shared_ptr<Mapping> NewMapping() {
    auto mapping = std::make_shared<Mapping>();
    std::lock_guard lk(mut_); // L1
    mappings_.push_back(mapping);
    return mapping;
  }
  void RemoveMapping(const std::shared_ptr<Mapping> &mapping) {
    std::lock_guard lk(mut_); // L1
    for (auto &existing : mappings_)
      if (existing == mapping)
        mapping->clearAddresses();
  }

private:
  RWMutex mut_; // L1
  std::vector<std::shared_ptr<Mapping>> mappings_;
};

int main() {
  std::thread g1([] {
    Service natSvc;
    auto m = natSvc.NewMapping();
    m->setAddress("test", 0);
    natSvc.RemoveMapping(m);
  });
  g1.join();
}
