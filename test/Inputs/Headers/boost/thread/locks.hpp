#pragma once
// Stub of <boost/thread/locks.hpp> for threadleak's lit tests.
namespace boost {
template <typename Mutex> class unique_lock {
public:
  explicit unique_lock(Mutex &m_);
  ~unique_lock();
  unique_lock(const unique_lock &) = delete;
  unique_lock &operator=(const unique_lock &) = delete;
  void lock();
  void unlock();
  bool try_lock();
  bool owns_lock() const noexcept;
  Mutex *mutex() const noexcept;
};
template <typename Mutex> class lock_guard {
public:
  explicit lock_guard(Mutex &m_);
  ~lock_guard();
  lock_guard(const lock_guard &) = delete;
  lock_guard &operator=(const lock_guard &) = delete;
};
} // namespace boost
