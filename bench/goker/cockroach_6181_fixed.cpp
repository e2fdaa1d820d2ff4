// GoKer port: goker/cockroach6181.go in the Go runtime's testgoroutineleakprofile (cockroachdb/cockroach#6181, fix d5814e4)
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
// Style: (d) standard library only (std::thread, std::shared_mutex behind a turnstile std::mutex, writer-preferring)
// Bug class: lock: recursive read lock with a writer queued in between (RWR)
// Shape: three lookups run LookupRangeDescriptor(): read-lock the range cache,
//   log the cache through String(), which read-locks it again, release, then
//   write-lock it. A lookup that reaches the write lock waits for the others'
//   read locks; a lookup still inside its read lock then asks for String()'s
//   read lock, which the writer-preferring lock holds back behind the writer.
// Fix (reconstructed from the kernel, which keeps an unused stringLocked();
//   the upstream patch is not in the corpus): LookupRangeDescriptor() logs
//   stringLocked() under the read lock it already holds instead of String().
#include <chrono>
#include <mutex>
#include <shared_mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

// std::shared_mutex lets readers overtake a waiting writer (glibc prefers
// readers); a turnstile makes a waiting writer block newcomers, as Go's
// sync.RWMutex does.
class FairSharedMutex {
public:
  void lock() {
    std::lock_guard<std::mutex> gate(turnstile_);
    rw_.lock(); // holds the turnstile while it waits: new readers queue behind it
  }
  void unlock() { rw_.unlock(); }
  void lock_shared() {
    { std::lock_guard<std::mutex> gate(turnstile_); }
    rw_.lock_shared();
  }
  void unlock_shared() { rw_.unlock_shared(); }

private:
  std::mutex turnstile_;
  std::shared_mutex rw_;
};

class RangeDescriptorCache {
public:
  void LookupRangeDescriptor(std::chrono::milliseconds pause) {
    rangeCacheMu_.lock_shared();
    std::this_thread::sleep_for(pause); // runtime.Gosched()
    discard_ << stringLocked(); // the fix: no second read lock
    rangeCacheMu_.unlock_shared();
    rangeCacheMu_.lock();
    rangeCacheMu_.unlock();
  }

  std::string String() {
    std::shared_lock<FairSharedMutex> lock(rangeCacheMu_);
    return stringLocked();
  }

private:
  std::string stringLocked() const { return "something here"; }

  FairSharedMutex rangeCacheMu_;
  std::ostringstream discard_; // io.Discard
};

void doLookupWithToken(RangeDescriptorCache &rc, std::chrono::milliseconds pause) {
  rc.LookupRangeDescriptor(pause);
}

void testRangeCacheCoalescedRequests() {
  RangeDescriptorCache cache; // initTestDescriptorDB()
  auto pauseLookupResumeAndAssert = [&cache] {
    std::vector<std::thread> lookups; // wg
    for (int i = 0; i < 3; ++i) {
      // the first lookup is still inside its read lock when the others queue
      // for the write lock
      auto pause = i == 0 ? 30ms : 5ms;
      lookups.emplace_back([&cache, pause] { doLookupWithToken(cache, pause); }); // G2, G3, ...
    }
    for (auto &t : lookups) // wg.Wait()
      t.join();
  };
  pauseLookupResumeAndAssert();
}

int main() {
  std::thread g1(testRangeCacheCoalescedRequests); // G1
  g1.join();
}
