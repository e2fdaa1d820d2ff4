// RUN: not %threadleak --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-blocked-forever' %s -- %stubflags | %check-all %s

// A std::shared_ptr dropped under a lock runs its object's destructor only
// if it was the last reference. Two drops that provably are not: a local
// copy of a reference that an object outliving the call keeps (a const
// getter of a reference parameter returning its member), and an erase of
// the element equal to a local copy that is still alive
// (cms-sw/cmssw#8130's twin: a request's source dropped from the active
// list while the request keeps it).

#include <memory>
#include <mutex>
#include <thread>
#include <vector>

// A timer that ticks every registered file under its mutex, and files
// that unregister in their destructors.
class File;
class Timer {
public:
  void add(File *f) {
    std::lock_guard<std::mutex> lk(mu_);
    files_.push_back(f);
  }
  void remove(File *f) {
    std::lock_guard<std::mutex> lk(mu_);
    files_.clear();
  }
  void tick();

private:
  std::mutex mu_;
  std::vector<File *> files_;
};

struct Source;
struct Request {
  std::shared_ptr<Source> source() const { return src_; }
  std::shared_ptr<Source> src_;
};

class Manager {
public:
  // Neither drop is the last reference: the request keeps the source.
  void failed(const Request &req) {
    std::shared_ptr<Source> source = req.source();
    std::lock_guard<std::mutex> lk(mu_);
    for (auto it = active_.begin(); it != active_.end(); ++it)
      if (it->get() == source.get()) {
        active_.erase(it);
        break;
      }
  }
  // This one may be: nothing else is known to keep it.
  void dropFirst() {
    std::lock_guard<std::mutex> lk(mu_);
    active_.erase(active_.begin());
  }

private:
  std::mutex mu_;
  std::vector<std::shared_ptr<Source>> active_;
};

class File {
public:
  File(Timer &t, Manager &m) : timer_(t), manager_(m) { timer_.add(this); }
  ~File() { timer_.remove(this); }
  void tick() { std::lock_guard<std::mutex> lk(mu_); }
  // Silent: the request keeps the source whose file this is.
  void onError(const Request &req) {
    std::lock_guard<std::mutex> lk(mu_);
    manager_.failed(req);
  }

private:
  Timer &timer_;
  Manager &manager_;
  std::mutex mu_;
};

struct Source {
  std::unique_ptr<File> file;
};

void Timer::tick() {
  std::lock_guard<std::mutex> lk(mu_);
  for (File *f : files_)
    f->tick();
}

// The same shapes, one drop that may be the last.
class File2;
class Timer2 {
public:
  void add(File2 *f) {
    std::lock_guard<std::mutex> lk(mu_);
    files_.push_back(f);
  }
  void remove(File2 *f) {
    std::lock_guard<std::mutex> lk(mu_);
    files_.clear();
  }
  void tick();

private:
  std::mutex mu_;
  std::vector<File2 *> files_;
};
struct Source2;
class Manager2 {
public:
  void dropFirst() {
    std::lock_guard<std::mutex> lk(mu_);
    active_.erase(active_.begin());
  }

private:
  std::mutex mu_;
  std::vector<std::shared_ptr<Source2>> active_;
};
class File2 {
public:
  File2(Timer2 &t, Manager2 &m) : timer_(t), manager_(m) { timer_.add(this); }
  ~File2() { timer_.remove(this); }
  void tick() { std::lock_guard<std::mutex> lk(mu_); }
  // CHECK: :[[@LINE-1]]:45: warning: lock-order inversion: 'files_[...].mu_' is acquired while 'mu_' is held, and 'File2::onError' acquires 'timer_.mu_' while holding 'mu_'; two threads taking both orders wait for each other forever [threadleak-blocked-forever]
  // CHECK: :[[@LINE+8]]:33: note: 'mu_' is acquired here
  // CHECK: :[[@LINE+8]]:5: note: 'Manager2::dropFirst' is called here, holding 'mu_'
  // CHECK: :[[@LINE-15]]:5: note: the destructor 'File2::~File2' runs here, holding 'mu_'
  // CHECK: :[[@LINE-6]]:14: note: 'Timer2::remove' is called here, holding 'mu_'
  // CHECK: :[[@LINE-31]]:33: note: 'timer_.mu_' is acquired here while 'mu_' is held
  // CHECK: :[[@LINE+16]]:31: note: 'mu_' is acquired here
  // CHECK: :[[@LINE+17]]:5: note: 'File2::tick' is called here, holding 'mu_'
  void onError() {
    std::lock_guard<std::mutex> lk(mu_);
    manager_.dropFirst();
  }

private:
  Timer2 &timer_;
  Manager2 &manager_;
  std::mutex mu_;
};
struct Source2 {
  std::unique_ptr<File2> file;
};
void Timer2::tick() {
  std::lock_guard<std::mutex> lk(mu_);
  for (File2 *f : files_)
    f->tick();
}

int main() {
  Timer t;
  Manager m;
  Timer2 t2;
  Manager2 m2;
  std::thread a([&] { t.tick(); t2.tick(); });
  std::thread b([&] { m.dropFirst(); m2.dropFirst(); });
  a.join();
  b.join();
}
