#pragma once
// Stub of <boost/asio/this_coro.hpp> for threadleak's lit tests.
#include <boost/asio/detail/type_traits.hpp>
namespace boost {
namespace asio {
namespace this_coro {
struct executor_t {
  constexpr executor_t() {}
};
constexpr executor_t executor;
struct cancellation_state_t {
  constexpr cancellation_state_t() {}
};
constexpr cancellation_state_t cancellation_state;
struct reset_cancellation_state_0_t {
  constexpr reset_cancellation_state_0_t() {}
};
[[nodiscard]] inline constexpr reset_cancellation_state_0_t reset_cancellation_state() {
  return reset_cancellation_state_0_t();
}
template <typename Filter> struct reset_cancellation_state_1_t {
  template <typename F> constexpr reset_cancellation_state_1_t(F &&filt) : filter(static_cast<F &&>(filt)) {}
  Filter filter;
};
template <typename Filter>
[[nodiscard]] inline constexpr reset_cancellation_state_1_t<typename decay<Filter>::type>
reset_cancellation_state(Filter &&filter) {
  return reset_cancellation_state_1_t<typename decay<Filter>::type>(static_cast<Filter &&>(filter));
}
template <typename InFilter, typename OutFilter> struct reset_cancellation_state_2_t {
  template <typename F1, typename F2>
  constexpr reset_cancellation_state_2_t(F1 &&in_filt, F2 &&out_filt)
      : in_filter(static_cast<F1 &&>(in_filt)), out_filter(static_cast<F2 &&>(out_filt)) {}
  InFilter in_filter;
  OutFilter out_filter;
};
template <typename InFilter, typename OutFilter>
[[nodiscard]] inline constexpr reset_cancellation_state_2_t<typename decay<InFilter>::type,
                                                            typename decay<OutFilter>::type>
reset_cancellation_state(InFilter &&in_filter, OutFilter &&out_filter) {
  return reset_cancellation_state_2_t<typename decay<InFilter>::type, typename decay<OutFilter>::type>(
      static_cast<InFilter &&>(in_filter), static_cast<OutFilter &&>(out_filter));
}
struct throw_if_cancelled_0_t {
  constexpr throw_if_cancelled_0_t() {}
};
[[nodiscard]] inline constexpr throw_if_cancelled_0_t throw_if_cancelled() { return throw_if_cancelled_0_t(); }
struct throw_if_cancelled_1_t {
  constexpr throw_if_cancelled_1_t(bool val) : value(val) {}
  bool value;
};
[[nodiscard]] inline constexpr throw_if_cancelled_1_t throw_if_cancelled(bool value) {
  return throw_if_cancelled_1_t(value);
}
} // namespace this_coro
} // namespace asio
} // namespace boost
