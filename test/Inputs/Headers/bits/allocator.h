#pragma once
// Stub of libstdc++'s <bits/allocator.h> for threadleak's lit tests:
// std::allocator, shared by the container stubs.
#include <cstddef>
namespace std {
template <class T> class allocator {
public:
  using value_type = T;
  using size_type = size_t;
  using difference_type = ptrdiff_t;
  constexpr allocator() noexcept {}
  template <class U> constexpr allocator(const allocator<U> &) noexcept {}
  T *allocate(size_t n);
  void deallocate(T *p, size_t n);
  template <class U> friend constexpr bool operator==(const allocator &, const allocator<U> &) noexcept { return true; }
};
template <> class allocator<void> {
public:
  using value_type = void;
  constexpr allocator() noexcept {}
  template <class U> constexpr allocator(const allocator<U> &) noexcept {}
};
struct allocator_arg_t { explicit allocator_arg_t() = default; };
inline constexpr allocator_arg_t allocator_arg{};
} // namespace std
