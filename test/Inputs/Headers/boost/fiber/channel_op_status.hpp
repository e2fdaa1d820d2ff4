#pragma once
// Stub of <boost/fiber/channel_op_status.hpp> for threadleak's lit tests.
namespace boost {
namespace fibers {
enum class channel_op_status { success = 0, empty, full, closed, timeout };
} // namespace fibers
} // namespace boost
