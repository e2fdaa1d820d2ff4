#pragma once
// Stub of <boost/asio/experimental/channel_error.hpp> for threadleak's lit
// tests. A receive on a closed channel completes with
// error::channel_closed; cancel() completes pending operations with
// error::channel_cancelled.
#include <boost/system/error_code.hpp>
namespace boost {
namespace asio {
namespace experimental {
namespace error {
enum channel_errors {
  channel_closed = 1,
  channel_cancelled = 2
};
const boost::system::error_category &get_channel_category();
} // namespace error
namespace channel_errc {
using error::channel_closed;
using error::channel_cancelled;
} // namespace channel_errc
} // namespace experimental
} // namespace asio
namespace system {
template <> struct is_error_code_enum<boost::asio::experimental::error::channel_errors> {
  static const bool value = true;
};
} // namespace system
namespace asio {
namespace experimental {
namespace error {
inline boost::system::error_code make_error_code(channel_errors e) {
  return boost::system::error_code(static_cast<int>(e), get_channel_category());
}
} // namespace error
} // namespace experimental
} // namespace asio
} // namespace boost
