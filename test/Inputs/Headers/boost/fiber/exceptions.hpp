#pragma once
// Stub of <boost/fiber/exceptions.hpp> for threadleak's lit tests.
#include <string>
#include <system_error>
namespace boost {
namespace fibers {
class fiber_error : public std::system_error {
public:
  explicit fiber_error(std::error_code ec) : std::system_error(ec) {}
  fiber_error(std::error_code ec, const char *what_arg) : std::system_error(ec, what_arg) {}
  fiber_error(std::error_code ec, const std::string &what_arg) : std::system_error(ec, what_arg) {}
};
class lock_error : public fiber_error {
public:
  using fiber_error::fiber_error;
};
enum class future_errc { broken_promise = 1, future_already_retrieved, promise_already_satisfied, no_state };
class future_error : public fiber_error {
public:
  using fiber_error::fiber_error;
};
class future_uninitialized : public future_error {
public:
  future_uninitialized();
};
class broken_promise : public future_error {
public:
  broken_promise();
};
} // namespace fibers
} // namespace boost
