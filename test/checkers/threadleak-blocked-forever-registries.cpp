// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' --config="{CheckOptions: {threadleak-blocked-forever.DumpModel: true}}" %s -- %stubflags | FileCheck --check-prefix=DUMP %s

// threadleak-blocked-forever: a registry of callbacks per key
// (`std::map<Key, std::vector<Callback>>`) holds what any of its lists is
// given (`waiting_[id].push_back(cb)`), and a list taken out of it through
// an iterator (`std::move(it->second)`) holds the same; calling its
// elements may run any of them, with the caller's locks held (ray#47833:
// an object store runs the waiters of an object inline in Put(), under the
// stream lock its caller holds).

#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

class Store {
public:
  void getAsync(int Id, std::function<void()> Cb) {
    std::lock_guard<std::mutex> L(mu_);
    waiting_[Id].push_back(Cb);
  }
  void put(int Id) {
    std::vector<std::function<void()>> Cbs;
    {
      std::lock_guard<std::mutex> L(mu_);
      auto It = waiting_.find(Id);
      if (It != waiting_.end()) {
        Cbs = std::move(It->second);
        waiting_.erase(It);
      }
    }
    for (auto &Cb : Cbs)
      Cb();
  }

private:
  std::mutex mu_;
  std::map<int, std::vector<std::function<void()>>> waiting_;
};

// Puts the end-of-stream object while holding the stream lock.
class Streams {
public:
  explicit Streams(Store &S) : store_(S) {}
  void markEnd(int Id) {
    std::lock_guard<std::mutex> L(stream_mu_);
    ++ended_;
    store_.put(Id);
  }
  void drop(int) {
    std::lock_guard<std::mutex> L(stream_mu_);
    --ended_;
  }

private:
  Store &store_;
  std::mutex stream_mu_;
  int ended_ = 0;
};

class Submitter {
public:
  Submitter(Store &S, Streams &T) : store_(S), streams_(T) {}
  void submit(int Id) {
    store_.getAsync(Id, [this] {
      std::lock_guard<std::mutex> L(mu_);
      // CHECK: :[[@LINE-1]]:35: warning: lock-order inversion: 'mu_' is acquired while 'stream_mu_' is held, and 'Submitter::cancel' acquires 'streams_.stream_mu_' while holding 'mu_'; two threads taking both orders wait for each other forever [threadleak-blocked-forever]
      ++leases_;
    });
  }
  void cancel(int Id) {
    std::lock_guard<std::mutex> L(mu_);
    // CHECK: :[[@LINE-1]]:33: note: 'mu_' is acquired here
    streams_.drop(Id);
    // CHECK: :[[@LINE-1]]:5: note: 'Streams::drop' is called here, holding 'mu_'
    // CHECK: :[[@LINE-25]]:33: note: 'streams_.stream_mu_' is acquired here while 'mu_' is held
    // CHECK: :[[@LINE-31]]:33: note: 'stream_mu_' is acquired here
    // CHECK: :[[@LINE-30]]:5: note: 'Store::put' is called here, holding 'stream_mu_'
    // CHECK: :[[@LINE-46]]:7: note: the function object 'Cb' is called here, holding 'stream_mu_'
  }

private:
  Store &store_;
  Streams &streams_;
  std::mutex mu_;
  int leases_ = 0;
};

// Silent: the same registry, with the stream lock released before the
// waiters run.
class Streams2 {
public:
  explicit Streams2(Store &S) : store_(S) {}
  void markEnd(int Id) {
    {
      std::lock_guard<std::mutex> L(stream_mu_);
      ++ended_;
    }
    store_.put(Id);
  }
  void drop(int) {
    std::lock_guard<std::mutex> L(stream_mu_);
    --ended_;
  }

private:
  Store &store_;
  std::mutex stream_mu_;
  int ended_ = 0;
};

class Submitter2 {
public:
  Submitter2(Store &S, Streams2 &T) : store_(S), streams_(T) {}
  void submit(int Id) {
    store_.getAsync(Id, [this] {
      std::lock_guard<std::mutex> L(mu_);
      ++leases_;
    });
  }
  void cancel(int Id) {
    std::lock_guard<std::mutex> L(mu_);
    streams_.drop(Id);
  }

private:
  Store &store_;
  Streams2 &streams_;
  std::mutex mu_;
  int leases_ = 0;
};

int main() {
  Store S, S2;
  Streams T(S);
  Submitter Sub(S, T);
  Streams2 T2(S2);
  Submitter2 Sub2(S2, T2);
  Sub.submit(1);
  Sub2.submit(1);
  std::thread IO([&] {
    T.markEnd(1);
    T2.markEnd(1);
  });
  Sub.cancel(1);
  Sub2.cancel(1);
  IO.join();
}

// DUMP-LABEL: function objects:
// DUMP:   Cb -> lambda at 69:25 lambda at 120:25
// DUMP:   Cbs -> lambda at 69:25 lambda at 120:25
// DUMP:   Store::waiting_ -> lambda at 69:25 lambda at 120:25
