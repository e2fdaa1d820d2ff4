#pragma once
// Stub of <boost/thread/condition_variable.hpp> for threadleak's lit tests.
// Simplification: the timed waits are templates over any duration / time
// point type (Boost's take boost::chrono::duration / time_point, or a
// boost::posix_time duration / system_time for timed_wait); there is no
// boost::chrono stub, so std::chrono values are accepted too.
#include <boost/thread/locks.hpp>
#include <boost/thread/mutex.hpp>
namespace boost {
enum class cv_status { no_timeout, timeout };
class condition_variable {
public:
  condition_variable();
  ~condition_variable();
  condition_variable(const condition_variable &) = delete;
  condition_variable &operator=(const condition_variable &) = delete;
  void notify_one() noexcept;
  void notify_all() noexcept;
  void wait(unique_lock<mutex> &m);
  template <typename predicate_type> void wait(unique_lock<mutex> &m, predicate_type pred) {}
  template <typename duration_type> bool timed_wait(unique_lock<mutex> &m, duration_type const &wait_duration) {
    return false;
  }
  template <typename duration_type, typename predicate_type>
  bool timed_wait(unique_lock<mutex> &m, duration_type const &wait_duration, predicate_type pred) {
    return pred();
  }
  template <class TimePoint> cv_status wait_until(unique_lock<mutex> &lock, const TimePoint &t) {
    return cv_status::timeout;
  }
  template <class TimePoint, class Predicate>
  bool wait_until(unique_lock<mutex> &lock, const TimePoint &t, Predicate pred) {
    return pred();
  }
  template <class Duration> cv_status wait_for(unique_lock<mutex> &lock, const Duration &d) {
    return cv_status::timeout;
  }
  template <class Duration, class Predicate> bool wait_for(unique_lock<mutex> &lock, const Duration &d, Predicate pred) {
    return pred();
  }
};
class condition_variable_any {
public:
  condition_variable_any();
  ~condition_variable_any();
  condition_variable_any(const condition_variable_any &) = delete;
  condition_variable_any &operator=(const condition_variable_any &) = delete;
  void notify_one() noexcept;
  void notify_all() noexcept;
  template <typename lock_type> void wait(lock_type &m) {}
  template <typename lock_type, typename predicate_type> void wait(lock_type &m, predicate_type pred) {}
  template <typename lock_type, typename duration_type>
  bool timed_wait(lock_type &m, duration_type const &wait_duration) {
    return false;
  }
  template <typename lock_type, typename duration_type, typename predicate_type>
  bool timed_wait(lock_type &m, duration_type const &wait_duration, predicate_type pred) {
    return pred();
  }
  template <class lock_type, class TimePoint> cv_status wait_until(lock_type &lock, const TimePoint &t) {
    return cv_status::timeout;
  }
  template <class lock_type, class TimePoint, class Predicate>
  bool wait_until(lock_type &lock, const TimePoint &t, Predicate pred) {
    return pred();
  }
  template <class lock_type, class Duration> cv_status wait_for(lock_type &lock, const Duration &d) {
    return cv_status::timeout;
  }
  template <class lock_type, class Duration, class Predicate>
  bool wait_for(lock_type &lock, const Duration &d, Predicate pred) {
    return pred();
  }
};
} // namespace boost
