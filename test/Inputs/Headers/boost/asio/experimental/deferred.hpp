#pragma once
// Stub of <boost/asio/experimental/deferred.hpp> (compatibility aliases).
#include <boost/asio/deferred.hpp>
namespace boost {
namespace asio {
namespace experimental {
using boost::asio::deferred;
using boost::asio::deferred_t;
} // namespace experimental
} // namespace asio
} // namespace boost
