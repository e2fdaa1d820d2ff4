#pragma once
// Stub of <boost/asio/wait_traits.hpp> for threadleak's lit tests.
namespace boost {
namespace asio {
template <typename Clock> struct wait_traits {
  static typename Clock::duration to_wait_duration(const typename Clock::duration &d) { return d; }
};
} // namespace asio
} // namespace boost
