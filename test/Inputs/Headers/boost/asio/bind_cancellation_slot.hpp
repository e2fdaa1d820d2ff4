#pragma once
// Stub of <boost/asio/bind_cancellation_slot.hpp> for threadleak's lit tests.
// As in Asio, the binder is cancellation_slot_binder<Target, Slot> and, used
// as a completion token, it completes like its target (e.g. detached: void).
#include <boost/asio/async_result.hpp>
#include <boost/asio/detail/type_traits.hpp>
namespace boost {
namespace asio {
template <typename T, typename CancellationSlot> class cancellation_slot_binder {
public:
  typedef T target_type;
  typedef CancellationSlot cancellation_slot_type;
  template <typename U>
  cancellation_slot_binder(const cancellation_slot_type &s, U &&u) : slot_(s), target_(static_cast<U &&>(u)) {}
  ~cancellation_slot_binder() {}
  target_type &get() noexcept { return target_; }
  const target_type &get() const noexcept { return target_; }
  cancellation_slot_type get_cancellation_slot() const noexcept { return slot_; }
  template <typename... Args> typename std::result_of<T(Args...)>::type operator()(Args &&...args);
  template <typename... Args> typename std::result_of<T(Args...)>::type operator()(Args &&...args) const;

private:
  CancellationSlot slot_;
  T target_;
};
template <typename CancellationSlot, typename T>
[[nodiscard]] inline cancellation_slot_binder<typename decay<T>::type, CancellationSlot>
bind_cancellation_slot(const CancellationSlot &s, T &&t) {
  return cancellation_slot_binder<typename decay<T>::type, CancellationSlot>(s, static_cast<T &&>(t));
}
namespace detail {
template <typename TargetAsyncResult, typename = void> struct cancellation_slot_binder_async_result_return_type {};
template <typename TargetAsyncResult>
struct cancellation_slot_binder_async_result_return_type<
    TargetAsyncResult, typename void_type<typename TargetAsyncResult::return_type>::type> {
  typedef typename TargetAsyncResult::return_type return_type;
};
} // namespace detail
template <typename T, typename CancellationSlot, typename Signature>
class async_result<cancellation_slot_binder<T, CancellationSlot>, Signature>
    : public detail::cancellation_slot_binder_async_result_return_type<async_result<T, Signature>> {};
} // namespace asio
} // namespace boost
