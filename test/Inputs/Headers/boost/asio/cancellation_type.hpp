#pragma once
// Stub of <boost/asio/cancellation_type.hpp> for threadleak's lit tests.
namespace boost {
namespace asio {
enum class cancellation_type : unsigned int { none = 0, terminal = 1, partial = 2, total = 4, all = 0xFFFFFFFF };
typedef cancellation_type cancellation_type_t;
inline constexpr bool operator!(cancellation_type_t x) { return static_cast<unsigned int>(x) == 0; }
inline constexpr cancellation_type_t operator&(cancellation_type_t x, cancellation_type_t y) {
  return static_cast<cancellation_type_t>(static_cast<unsigned int>(x) & static_cast<unsigned int>(y));
}
inline constexpr cancellation_type_t operator|(cancellation_type_t x, cancellation_type_t y) {
  return static_cast<cancellation_type_t>(static_cast<unsigned int>(x) | static_cast<unsigned int>(y));
}
inline constexpr cancellation_type_t operator^(cancellation_type_t x, cancellation_type_t y) {
  return static_cast<cancellation_type_t>(static_cast<unsigned int>(x) ^ static_cast<unsigned int>(y));
}
inline constexpr cancellation_type_t operator~(cancellation_type_t x) {
  return static_cast<cancellation_type_t>(~static_cast<unsigned int>(x));
}
} // namespace asio
} // namespace boost
