#pragma once
// Stub of <boost/fiber/operations.hpp> for threadleak's lit tests.
#include <boost/fiber/fiber.hpp>
#include <chrono>
namespace boost {
namespace this_fiber {
fibers::fiber::id get_id() noexcept;
void yield() noexcept;
template <typename Clock, typename Duration> void sleep_until(std::chrono::time_point<Clock, Duration> const &sleep_time) {}
template <typename Rep, typename Period> void sleep_for(std::chrono::duration<Rep, Period> const &timeout_duration) {}
} // namespace this_fiber
namespace fibers {
bool has_ready_fibers() noexcept;
} // namespace fibers
} // namespace boost
