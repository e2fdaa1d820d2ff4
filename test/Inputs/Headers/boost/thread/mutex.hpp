#pragma once
// Stub of <boost/thread/mutex.hpp> for threadleak's lit tests.
namespace boost {
class mutex {
public:
  mutex();
  ~mutex();
  mutex(const mutex &) = delete;
  mutex &operator=(const mutex &) = delete;
  void lock();
  void unlock();
  bool try_lock();
};
} // namespace boost
