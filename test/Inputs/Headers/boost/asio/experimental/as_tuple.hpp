#pragma once
// Stub of <boost/asio/experimental/as_tuple.hpp> (deprecated aliases).
#include <boost/asio/as_tuple.hpp>
namespace boost {
namespace asio {
namespace experimental {
using boost::asio::as_tuple;
using boost::asio::as_tuple_t;
} // namespace experimental
} // namespace asio
} // namespace boost
