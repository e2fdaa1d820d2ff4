#pragma once
// Stub of <boost/asio/error.hpp> for threadleak's lit tests.
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
namespace boost {
namespace asio {
namespace error {
enum basic_errors {
  access_denied = 13,
  address_in_use = 98,
  broken_pipe = 32,
  connection_aborted = 103,
  connection_refused = 111,
  connection_reset = 104,
  interrupted = 4,
  invalid_argument = 22,
  operation_aborted = 125,
  operation_not_supported = 95,
  timed_out = 110,
  try_again = 11,
  would_block = 11
};
enum misc_errors { already_open = 1, eof, not_found, fd_set_failure };
const boost::system::error_category &get_system_category();
const boost::system::error_category &get_misc_category();
} // namespace error
} // namespace asio
namespace system {
template <> struct is_error_code_enum<boost::asio::error::basic_errors> { static const bool value = true; };
template <> struct is_error_code_enum<boost::asio::error::misc_errors> { static const bool value = true; };
} // namespace system
namespace asio {
namespace error {
inline boost::system::error_code make_error_code(basic_errors e) {
  return boost::system::error_code(static_cast<int>(e), get_system_category());
}
inline boost::system::error_code make_error_code(misc_errors e) {
  return boost::system::error_code(static_cast<int>(e), get_misc_category());
}
} // namespace error
namespace stream_errc {
using error::eof;
} // namespace stream_errc
} // namespace asio
} // namespace boost
