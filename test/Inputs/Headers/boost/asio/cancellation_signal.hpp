#pragma once
// Stub of <boost/asio/cancellation_signal.hpp> for threadleak's lit tests.
#include <boost/asio/cancellation_type.hpp>
namespace boost {
namespace asio {
class cancellation_slot {
public:
  constexpr cancellation_slot() noexcept : handler_(nullptr) {}
  template <typename CancellationHandler, typename... Args> CancellationHandler &emplace(Args &&...args);
  template <typename CancellationHandler> void assign(CancellationHandler &&handler);
  void clear();
  constexpr bool is_connected() const noexcept { return handler_ != nullptr; }
  bool has_handler() const noexcept;
  friend constexpr bool operator==(const cancellation_slot &a, const cancellation_slot &b) noexcept {
    return a.handler_ == b.handler_;
  }

private:
  void **handler_;
};
class cancellation_signal {
public:
  constexpr cancellation_signal() : handler_(nullptr) {}
  ~cancellation_signal();
  void emit(cancellation_type_t type);
  cancellation_slot slot() noexcept;

private:
  cancellation_signal(const cancellation_signal &) = delete;
  cancellation_signal &operator=(const cancellation_signal &) = delete;
  void *handler_;
};
} // namespace asio
} // namespace boost
