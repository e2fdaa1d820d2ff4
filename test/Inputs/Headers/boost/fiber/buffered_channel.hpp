#pragma once
// Stub of <boost/fiber/buffered_channel.hpp> for threadleak's lit tests.
// As in Boost.Fiber 1.81:
//  - the constructor throws fiber_error unless capacity is a power of two >= 2,
//    and the ring buffer holds at most capacity - 1 values;
//  - push / try_push / push_wait_* return channel_op_status::closed once the
//    channel is closed; pop / try_pop / pop_wait_* return closed once it is
//    closed AND empty (buffered values are still delivered after close());
//  - value_pop() returns the value and throws fiber_error when the channel is
//    closed and empty;
//  - range-for uses the free functions begin() / end() (found by ADL) and the
//    nested iterator class, whose constructor and operator++ call value_pop()
//    and end the loop when it throws.
#include <boost/fiber/channel_op_status.hpp>
#include <boost/fiber/exceptions.hpp>
#include <chrono>
#include <cstddef>
#include <type_traits>
namespace boost {
namespace fibers {
template <typename T> class buffered_channel {
public:
  using value_type = typename std::remove_reference<T>::type;

  explicit buffered_channel(std::size_t capacity);
  ~buffered_channel();
  buffered_channel(buffered_channel const &) = delete;
  buffered_channel &operator=(buffered_channel const &) = delete;

  bool is_closed() const noexcept;
  void close() noexcept;

  channel_op_status try_push(value_type const &value);
  channel_op_status try_push(value_type &&value);
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

  channel_op_status try_pop(value_type &value);
  channel_op_status pop(value_type &value);
  value_type value_pop();
  template <typename Rep, typename Period>
  channel_op_status pop_wait_for(value_type &value, std::chrono::duration<Rep, Period> const &timeout_duration);
  template <typename Clock, typename Duration>
  channel_op_status pop_wait_until(value_type &value, std::chrono::time_point<Clock, Duration> const &timeout_time);

  class iterator {
  private:
    buffered_channel *chan_{nullptr};
    value_type *value_{nullptr};
    void increment_(bool initial = false);

  public:
    using difference_type = std::ptrdiff_t;
    using pointer = value_type *;
    using reference = value_type &;
    using pointer_t = pointer;
    using reference_t = reference;

    iterator() = default;
    explicit iterator(buffered_channel<T> *chan) noexcept : chan_{chan} { increment_(true); }
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
template <typename T> typename buffered_channel<T>::iterator begin(buffered_channel<T> &chan) {
  return typename buffered_channel<T>::iterator(&chan);
}
template <typename T> typename buffered_channel<T>::iterator end(buffered_channel<T> &) {
  return typename buffered_channel<T>::iterator();
}
} // namespace fibers
} // namespace boost
