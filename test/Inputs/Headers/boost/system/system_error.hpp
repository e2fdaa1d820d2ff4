#pragma once
// Stub of Boost.System's system_error for threadleak's lit tests.
#include <boost/system/error_code.hpp>
#include <stdexcept>
#include <string>
namespace boost {
namespace system {
class system_error : public std::runtime_error {
public:
  explicit system_error(const error_code &ec);
  system_error(const error_code &ec, const std::string &prefix);
  system_error(const error_code &ec, const char *prefix);
  system_error(int ev, const error_category &ecat);
  system_error(int ev, const error_category &ecat, const std::string &prefix);
  system_error(int ev, const error_category &ecat, const char *prefix);
  const error_code &code() const noexcept;
};
} // namespace system
} // namespace boost
