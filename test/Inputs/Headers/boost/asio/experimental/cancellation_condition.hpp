#pragma once
// Stub of <boost/asio/experimental/cancellation_condition.hpp> for
// threadleak's lit tests.
#include <boost/asio/cancellation_type.hpp>
#include <boost/asio/detail/type_traits.hpp>
#include <boost/system/error_code.hpp>
#include <exception>
namespace boost {
namespace asio {
namespace experimental {
class wait_for_all {
public:
  template <typename... Args> constexpr cancellation_type_t operator()(Args &&...) const noexcept {
    return cancellation_type::none;
  }
};
class wait_for_one {
public:
  constexpr explicit wait_for_one(cancellation_type_t cancel_type = cancellation_type::all) : cancel_type_(cancel_type) {}
  template <typename... Args> constexpr cancellation_type_t operator()(Args &&...) const noexcept { return cancel_type_; }

private:
  cancellation_type_t cancel_type_;
};
class wait_for_one_success {
public:
  constexpr explicit wait_for_one_success(cancellation_type_t cancel_type = cancellation_type::all)
      : cancel_type_(cancel_type) {}
  constexpr cancellation_type_t operator()() const noexcept { return cancel_type_; }
  template <typename E, typename... Args> constexpr cancellation_type_t operator()(const E &, Args &&...) const noexcept {
    return cancel_type_;
  }

private:
  cancellation_type_t cancel_type_;
};
class wait_for_one_error {
public:
  constexpr explicit wait_for_one_error(cancellation_type_t cancel_type = cancellation_type::all)
      : cancel_type_(cancel_type) {}
  constexpr cancellation_type_t operator()() const noexcept { return cancellation_type::none; }
  template <typename E, typename... Args> constexpr cancellation_type_t operator()(const E &, Args &&...) const noexcept {
    return cancel_type_;
  }

private:
  cancellation_type_t cancel_type_;
};
} // namespace experimental
} // namespace asio
} // namespace boost
