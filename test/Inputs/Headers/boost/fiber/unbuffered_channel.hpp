#pragma once
// Stub of <boost/fiber/unbuffered_channel.hpp> for threadleak's lit tests.
// As in Boost.Fiber 1.81: default-constructible, no try_push / try_pop;
// push() blocks until a consumer took the value (or the channel is closed:
// channel_op_status::closed); pop() returns closed once the channel is
// closed; value_pop() throws fiber_error on a closed channel; range-for uses
// the free functions begin() / end() (found by ADL) and the nested iterator,
// which calls value_pop().
#include <boost/fiber/channel_op_status.hpp>
#include <boost/fiber/exceptions.hpp>
#include <chrono>
#include <cstddef>
#include <type_traits>
namespace boost {
namespace fibers {
template <typename T> class unbuffered_channel {
public:
  using value_type = typename std::remove_reference<T>::type;

  unbuffered_channel() = default;
  ~unbuffered_channel();
  unbuffered_channel(unbuffered_channel const &) = delete;
  unbuffered_channel &operator=(unbuffered_channel const &) = delete;

  bool is_closed() const noexcept;
  void close() noexcept;

  channel_op_status push(value_type const &value);
  channel_op_status push(value_type &&value);
  template <typename Rep, typename Period>
  channel_op_status push_wait_for(value_type const &value, std::chrono::duration<Rep, Period> const &timeout_duration);
  template <typename Rep, typename Period>
  channel_op_status push_wait_for(value_type &&value, std::chrono::duration<Rep, Period> const &timeout_duration);
  template <typename Clock, typename Duration>
  channel_op_status push_wait_until(value_type const &value,
                                    std::chrono::time_point<Clock, Duration> const &timeout_time);
  template <typename Clock, typename Duration>
  channel_op_status push_wait_until(value_type &&value, std::chrono::time_point<Clock, Duration> const &timeout_time);

  channel_op_status pop(value_type &value);
  value_type value_pop();
  template <typename Rep, typename Period>
  channel_op_status pop_wait_for(value_type &value, std::chrono::duration<Rep, Period> const &timeout_duration);
  template <typename Clock, typename Duration>
  channel_op_status pop_wait_until(value_type &value, std::chrono::time_point<Clock, Duration> const &timeout_time);

  class iterator {
  private:
    unbuffered_channel *chan_{nullptr};
    value_type *value_{nullptr};
    void increment_(bool initial = false);

  public:
    using difference_type = std::ptrdiff_t;
    using pointer = value_type *;
    using reference = value_type &;
    using pointer_t = pointer;
    using reference_t = reference;

    iterator() = default;
    explicit iterator(unbuffered_channel<T> *chan) noexcept : chan_{chan} { increment_(true); }
    iterator(iterator const &other) noexcept : chan_{other.chan_} {}
    iterator &operator=(iterator const &other) noexcept {
      chan_ = other.chan_;
      return *this;
    }
    bool operator==(iterator const &other) const noexcept { return other.chan_ == chan_; }
    bool operator!=(iterator const &other) const noexcept { return other.chan_ != chan_; }
    iterator &operator++() {
      increment_();
      return *this;
    }
    const iterator operator++(int) = delete;
    reference_t operator*() noexcept { return *value_; }
    pointer_t operator->() noexcept { return value_; }
  };
  friend class iterator;
};
template <typename T> typename unbuffered_channel<T>::iterator begin(unbuffered_channel<T> &chan) {
  return typename unbuffered_channel<T>::iterator(&chan);
}
template <typename T> typename unbuffered_channel<T>::iterator end(unbuffered_channel<T> &) {
  return typename unbuffered_channel<T>::iterator();
}
} // namespace fibers
} // namespace boost
