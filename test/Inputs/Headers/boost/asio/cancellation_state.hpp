#pragma once
// Stub of <boost/asio/cancellation_state.hpp> for threadleak's lit tests.
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_type.hpp>
namespace boost {
namespace asio {
template <cancellation_type_t Mask> struct cancellation_filter {
  cancellation_type_t operator()(cancellation_type_t type) const noexcept { return type & Mask; }
};
typedef cancellation_filter<cancellation_type::none> disable_cancellation;
typedef cancellation_filter<cancellation_type::terminal> enable_terminal_cancellation;
typedef cancellation_filter<cancellation_type::terminal | cancellation_type::partial> enable_partial_cancellation;
typedef cancellation_filter<cancellation_type::terminal | cancellation_type::partial | cancellation_type::total>
    enable_total_cancellation;
class cancellation_state {
public:
  constexpr cancellation_state() noexcept : impl_(nullptr) {}
  template <typename CancellationSlot> explicit cancellation_state(CancellationSlot slot);
  template <typename CancellationSlot, typename Filter> cancellation_state(CancellationSlot slot, Filter filter);
  cancellation_slot slot() const noexcept;
  cancellation_type_t cancelled() const noexcept;
  void clear(cancellation_type_t mask = cancellation_type::all) noexcept;

private:
  void *impl_;
};
} // namespace asio
} // namespace boost
