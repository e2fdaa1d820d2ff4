#pragma once
// Stub of <boost/fiber/all.hpp> for threadleak's lit tests (the subset of
// Boost.Fiber that has stubs).
#include <boost/fiber/buffered_channel.hpp>
#include <boost/fiber/channel_op_status.hpp>
#include <boost/fiber/exceptions.hpp>
#include <boost/fiber/fiber.hpp>
#include <boost/fiber/mutex.hpp>
#include <boost/fiber/operations.hpp>
#include <boost/fiber/policy.hpp>
#include <boost/fiber/unbuffered_channel.hpp>
