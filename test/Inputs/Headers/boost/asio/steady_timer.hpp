#pragma once
// Stub of <boost/asio/steady_timer.hpp> for threadleak's lit tests.
#include <boost/asio/basic_waitable_timer.hpp>
#include <boost/asio/detail/chrono.hpp>
namespace boost {
namespace asio {
typedef basic_waitable_timer<chrono::steady_clock> steady_timer;
} // namespace asio
} // namespace boost
