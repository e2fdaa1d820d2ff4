#pragma once
// Stub of <boost/fiber/policy.hpp> for threadleak's lit tests.
namespace boost {
namespace fibers {
enum class launch { dispatch, post };
} // namespace fibers
} // namespace boost
