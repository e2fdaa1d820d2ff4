#pragma once
// Stub of <oneapi/tbb/concurrent_queue.h> (oneTBB 2021.8) for threadleak's
// lit tests. As in oneTBB, the classes are tbb::detail::d2::concurrent_queue
// and tbb::detail::d2::concurrent_bounded_queue, made visible as
// tbb::concurrent_queue / tbb::concurrent_bounded_queue by using-declarations
// in the inline namespace tbb::v1 (and as oneapi::tbb::..., oneapi::tbb being
// an alias of ::tbb).
//  - concurrent_queue never blocks: push always succeeds, try_pop returns
//    false when empty; there is no pop().
//  - concurrent_bounded_queue::pop(T&) blocks until an item is available and
//    push() blocks while the queue is full; abort() makes the threads that are
//    blocked in pop()/push() at that moment throw tbb::user_abort (it is not
//    sticky: later calls block again). The default capacity is effectively
//    unbounded (std::size_t(-1) / max(sizeof(T), 2)); note that in oneTBB
//    2021.8 set_capacity(n < 0) sets the capacity to 0, so every push()
//    then blocks and every try_push() fails.
#include "cache_aligned_allocator.h"
#include "detail/_exception.h"
#include "detail/_namespace_injection.h"
#include <cstddef>
#include <utility>
namespace tbb {
namespace detail {
namespace d2 {
template <typename T, typename Allocator = tbb::cache_aligned_allocator<T>> class concurrent_queue {
public:
  using size_type = std::size_t;
  using value_type = T;
  using reference = T &;
  using const_reference = const T &;
  using difference_type = std::ptrdiff_t;
  using allocator_type = Allocator;

  concurrent_queue() : concurrent_queue(allocator_type()) {}
  explicit concurrent_queue(const allocator_type &a);
  template <typename InputIterator>
  concurrent_queue(InputIterator begin, InputIterator end, const allocator_type &a = allocator_type());
  concurrent_queue(const concurrent_queue &src);
  concurrent_queue(concurrent_queue &&src);
  concurrent_queue &operator=(const concurrent_queue &other);
  concurrent_queue &operator=(concurrent_queue &&other);
  ~concurrent_queue();

  void push(const T &value);
  void push(T &&value);
  template <typename... Args> void emplace(Args &&...args);
  bool try_pop(T &result);
  size_type unsafe_size() const;
  bool empty() const;
  void clear();
  allocator_type get_allocator() const;
};

template <typename T, typename Allocator = tbb::cache_aligned_allocator<T>> class concurrent_bounded_queue {
public:
  using size_type = std::ptrdiff_t;
  using value_type = T;
  using reference = T &;
  using const_reference = const T &;
  using difference_type = std::ptrdiff_t;
  using allocator_type = Allocator;

  concurrent_bounded_queue() : concurrent_bounded_queue(allocator_type()) {}
  explicit concurrent_bounded_queue(const allocator_type &a);
  template <typename InputIterator>
  concurrent_bounded_queue(InputIterator begin, InputIterator end, const allocator_type &a = allocator_type());
  concurrent_bounded_queue(const concurrent_bounded_queue &src);
  concurrent_bounded_queue(concurrent_bounded_queue &&src);
  concurrent_bounded_queue &operator=(const concurrent_bounded_queue &other);
  concurrent_bounded_queue &operator=(concurrent_bounded_queue &&other);
  ~concurrent_bounded_queue();

  void push(const T &value);
  void push(T &&value);
  bool try_push(const T &value);
  bool try_push(T &&value);
  template <typename... Args> void emplace(Args &&...args);
  template <typename... Args> bool try_emplace(Args &&...args);
  void pop(T &result);
  bool try_pop(T &result);
  void abort();
  std::ptrdiff_t size() const;
  void set_capacity(size_type new_capacity);
  size_type capacity() const;
  bool empty() const;
  void clear();
  allocator_type get_allocator() const;
};
} // namespace d2
} // namespace detail
inline namespace v1 {
using detail::d2::concurrent_queue;
using detail::d2::concurrent_bounded_queue;
using detail::r1::user_abort;
using detail::r1::bad_last_alloc;
} // namespace v1
} // namespace tbb
