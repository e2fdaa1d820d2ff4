#pragma once
// Stub of libstdc++'s <bits/stl_function.h> for threadleak's lit tests.
namespace std {
template <class T = void> struct less {
  constexpr bool operator()(const T &a, const T &b) const { return a < b; }
};
template <class T = void> struct equal_to {
  constexpr bool operator()(const T &a, const T &b) const { return a == b; }
};
} // namespace std
