#pragma once
// Stub of <boost/fiber/mutex.hpp> for threadleak's lit tests: a fiber blocked
// in lock() lets the other fibers of its thread run.
namespace boost {
namespace fibers {
class mutex {
public:
  mutex() = default;
  mutex(mutex const &) = delete;
  mutex &operator=(mutex const &) = delete;
  void lock();
  bool try_lock();
  void unlock();
};
} // namespace fibers
} // namespace boost
