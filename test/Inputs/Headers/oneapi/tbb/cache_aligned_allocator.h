#pragma once
// Stub of <oneapi/tbb/cache_aligned_allocator.h> for threadleak's lit tests.
#include "detail/_namespace_injection.h"
#include <cstddef>
#include <type_traits>
namespace tbb {
namespace detail {
namespace d1 {
template <typename T> class cache_aligned_allocator {
public:
  using value_type = T;
  using propagate_on_container_move_assignment = std::true_type;
  using is_always_equal = std::true_type;
  cache_aligned_allocator() = default;
  template <typename U> cache_aligned_allocator(const cache_aligned_allocator<U> &) noexcept {}
  T *allocate(std::size_t n);
  void deallocate(T *p, std::size_t);
  std::size_t max_size() const noexcept;
};
template <typename T1, typename T2>
bool operator==(const cache_aligned_allocator<T1> &, const cache_aligned_allocator<T2> &) noexcept {
  return true;
}
} // namespace d1
} // namespace detail
inline namespace v1 {
using detail::d1::cache_aligned_allocator;
} // namespace v1
} // namespace tbb
