#pragma once
// Stub of Boost.Asio's detail/chrono.hpp: boost::asio::chrono is std::chrono.
#include <chrono>
namespace boost {
namespace asio {
namespace chrono {
using std::chrono::duration;
using std::chrono::time_point;
using std::chrono::duration_cast;
using std::chrono::nanoseconds;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::minutes;
using std::chrono::hours;
using std::chrono::system_clock;
using std::chrono::steady_clock;
using std::chrono::high_resolution_clock;
} // namespace chrono
} // namespace asio
} // namespace boost
