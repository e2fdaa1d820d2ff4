// Port: jubatus/jubatus#180 ("linear_mixer and server_impl deadlock")
// FIXED TWIN: the upstream fix described under "Fix" is applied; must terminate.
//   A Jubatus server guards its model with the mixable_holder's rw_mutex.
//   Update RPCs (server_impl, JWLOCK__) take the model write lock and then
//   notify the mixer through linear_mixer::updated(), which takes the mixer's
//   mutex m_. The MIX RPCs get_diff()/put_diff(), served on other RPC
//   threads, took m_ first and then the model lock (read lock in get_diff(),
//   write lock in put_diff()): the two locks were acquired in opposite
//   orders, and an update racing with a put_diff() from the mix master
//   deadlocked the server.
// Style: (d) standard library only, C++-native (Jubatus' idiom reduced: pfi::concurrent mutex, rw_mutex with rlock()/wlock() and scoped_lock, the JWLOCK__ macro of the generated server_impl, a mixable_holder, linear_mixer with updated()/get_diff()/put_diff() registered as RPC handlers, a classifier_serv that reports updates to its mixer)
// Bug class: lock: AB-BA (the model rw_mutex, write-locked, then the mixer's m_ in train(); m_ then the model rw_mutex in put_diff())
// Shape: the mix master calls put_diff(): its RPC thread locks m_ and is
//   about to write-lock the model. A client's train() write-locks the model
//   and calls mixer->updated(), which waits for m_; put_diff() then waits for
//   the model lock train() holds.
// Fix: get_diff() and put_diff() take the model lock first and m_ second,
//   the order the update path uses.
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;

namespace pfi {
namespace concurrent {

class mutex {
public:
  bool lock() { m_.lock(); return true; }
  bool unlock() { m_.unlock(); return true; }
private:
  std::mutex m_;
};

class rw_mutex {
public:
  bool read_lock() { m_.lock_shared(); return true; }
  bool write_lock() { m_.lock(); return true; }
  bool unlock_read() { m_.unlock_shared(); return true; }
  bool unlock_write() { m_.unlock(); return true; }
private:
  std::shared_mutex m_;
};

struct rw_lock_ref {
  rw_mutex *m;
  bool write;
};
inline rw_lock_ref rlock(rw_mutex &m) { return {&m, false}; }
inline rw_lock_ref wlock(rw_mutex &m) { return {&m, true}; }

class scoped_lock {
public:
  explicit scoped_lock(mutex &m) : m_(&m) { m_->lock(); }
  explicit scoped_lock(rw_lock_ref r) : rw_(r) {
    if (rw_.write) rw_.m->write_lock(); else rw_.m->read_lock();
  }
  ~scoped_lock() {
    if (m_) m_->unlock();
    else if (rw_.write) rw_.m->unlock_write();
    else rw_.m->unlock_read();
  }
  scoped_lock(const scoped_lock &) = delete;
  scoped_lock &operator=(const scoped_lock &) = delete;
private:
  mutex *m_ = nullptr;
  rw_lock_ref rw_{nullptr, false};
};

} // namespace concurrent
} // namespace pfi

namespace jubatus {
namespace framework {

using namespace pfi::concurrent;

// The model's weights; the only mixable of this classifier.
struct mixable_weight_manager {
  std::map<std::string, double> weights;
  std::string get_diff() const { return std::to_string(weights.size()); }
  void put_diff(const std::string &) { /* replace the weights by the mixed ones */ }
};

class mixable_holder {
public:
  pfi::concurrent::rw_mutex &rw_mutex() { return rw_mutex_; }
  std::vector<mixable_weight_manager *> get_mixables() { return {&wm_}; }
private:
  pfi::concurrent::rw_mutex rw_mutex_;
  mixable_weight_manager wm_;
};

using rpc_server_t = std::map<std::string, std::function<std::string(std::vector<std::string>)>>;

namespace mixer {

class linear_mixer {
public:
  explicit linear_mixer(std::shared_ptr<mixable_holder> m) : mixable_holder_(std::move(m)) {}

  void register_api(rpc_server_t &server) {
    server["get_diff"] = [this](std::vector<std::string>) { return get_diff(0).front(); };
    server["put_diff"] = [this](std::vector<std::string> d) { return std::to_string(put_diff(d)); };
  }

  void updated() {
    scoped_lock lk(m_);
    ++counter_;
  }

  std::vector<std::string> get_diff(int) {
    scoped_lock lk_read(rlock(mixable_holder_->rw_mutex()));
    scoped_lock lk(m_);
    std::vector<std::string> o;
    for (auto *m : mixable_holder_->get_mixables()) o.push_back(m->get_diff());
    return o;
  }

  int put_diff(const std::vector<std::string> &unpacked) {
    scoped_lock lk_write(wlock(mixable_holder_->rw_mutex()));
    std::this_thread::sleep_for(20ms); // (forces the schedule: a train() RPC arrives now)
    scoped_lock lk(m_);
    auto mixables = mixable_holder_->get_mixables();
    if (unpacked.size() != mixables.size()) return -1; // deserialization error
    for (size_t i = 0; i < mixables.size(); ++i) mixables[i]->put_diff(unpacked[i]);
    counter_ = 0;
    return 0;
  }

private:
  std::shared_ptr<mixable_holder> mixable_holder_;
  pfi::concurrent::mutex m_;
  unsigned int counter_ = 0;
};

} // namespace mixer
} // namespace framework

namespace server {

class classifier_serv {
public:
  classifier_serv()
      : holder_(std::make_shared<framework::mixable_holder>()),
        mixer_(std::make_unique<framework::mixer::linear_mixer>(holder_)) {}
  framework::mixable_holder *get_mixable_holder() { return holder_.get(); }
  framework::mixer::linear_mixer *get_mixer() { return mixer_.get(); }
  int train(const std::vector<std::pair<std::string, std::string>> &data) {
    for (auto &d : data) holder_->get_mixables().front()->weights[d.second] += 1.0;
    mixer_->updated(); // event_model_updated()
    return static_cast<int>(data.size());
  }
private:
  std::shared_ptr<framework::mixable_holder> holder_;
  std::unique_ptr<framework::mixer::linear_mixer> mixer_;
};

#define JWLOCK__(p) pfi::concurrent::scoped_lock lk(pfi::concurrent::wlock((p)->get_mixable_holder()->rw_mutex()))

// Generated from classifier.idl: each #@update method write-locks the model.
class classifier_impl_ {
public:
  int train(const std::vector<std::pair<std::string, std::string>> &data) {
    JWLOCK__(p_);
    return p_->train(data);
  }
  classifier_serv *p_;
};

} // namespace server
} // namespace jubatus

int main() {
  using namespace jubatus;
  server::classifier_serv serv;
  server::classifier_impl_ impl{&serv};
  framework::rpc_server_t rpc;
  serv.get_mixer()->register_api(rpc);

  // RPC worker 1: the mix master pushes the mixed model.
  std::thread mix_rpc([&] { rpc["put_diff"]({"mixed-weights"}); });
  std::this_thread::sleep_for(5ms);
  // RPC worker 2: a client trains.
  std::thread client_rpc([&] { impl.train({{"spam", "buy now"}, {"ham", "hello"}}); });
  mix_rpc.join();
  client_rpc.join();
  std::puts("done");
  return 0;
}
