#pragma once
// Stub of oneTBB's detail/_exception.h for threadleak's lit tests.
#include <exception>
#include <new>
#include <stdexcept>
namespace tbb {
namespace detail {
namespace r1 {
// Thrown by concurrent_bounded_queue::pop / push in the threads blocked in
// them when another thread calls abort().
class bad_last_alloc : public std::bad_alloc {
public:
  const char *what() const noexcept(true) override;
};
class user_abort : public std::exception {
public:
  const char *what() const noexcept(true) override;
};
class missing_wait : public std::exception {
public:
  const char *what() const noexcept(true) override;
};
class unsafe_wait : public std::runtime_error {
public:
  unsafe_wait(const char *msg) : std::runtime_error(msg) {}
};
} // namespace r1
} // namespace detail
} // namespace tbb
