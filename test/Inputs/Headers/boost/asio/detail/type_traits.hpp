#pragma once
// Stub of Boost.Asio's detail/type_traits.hpp for threadleak's lit tests.
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
namespace boost {
namespace asio {
using std::conditional;
using std::decay;
using std::declval;
using std::enable_if;
using std::false_type;
using std::integral_constant;
using std::is_constructible;
using std::is_convertible;
using std::is_same;
using std::true_type;
template <bool Condition, typename Type = int> struct constraint : std::enable_if<Condition, Type> {};
struct defaulted_constraint {
  constexpr defaulted_constraint() {}
};
template <typename> struct void_type { typedef void type; };
} // namespace asio
} // namespace boost
