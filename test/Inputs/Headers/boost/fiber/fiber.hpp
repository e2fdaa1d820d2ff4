#pragma once
// Stub of <boost/fiber/fiber.hpp> for threadleak's lit tests. Like
// std::thread, a joinable fiber must be joined or detached before it is
// destroyed (the real destructor calls std::terminate()).
#include <boost/fiber/policy.hpp>
#include <memory>
#include <type_traits>
#include <utility>
namespace boost {
namespace fibers {
namespace detail {
template <typename X, typename Y>
using disable_overload = typename std::enable_if<!std::is_base_of<X, typename std::decay<Y>::type>::value>::type;
} // namespace detail
class context;
class fiber {
public:
  class id {
  public:
    id() noexcept {}
    friend bool operator==(id, id) noexcept { return true; }
    friend bool operator<(id, id) noexcept { return false; }
  };
  fiber() = default;
  template <typename Fn, typename... Arg, typename = detail::disable_overload<fiber, Fn>,
            typename = detail::disable_overload<launch, Fn>,
            typename = detail::disable_overload<std::allocator_arg_t, Fn>>
  explicit fiber(Fn &&fn, Arg &&...arg) {}
  template <typename Fn, typename... Arg, typename = detail::disable_overload<fiber, Fn>>
  fiber(launch policy, Fn &&fn, Arg &&...arg) {}
  template <typename StackAllocator, typename Fn, typename... Arg>
  fiber(std::allocator_arg_t, StackAllocator &&salloc, Fn &&fn, Arg &&...arg) {}
  ~fiber();
  fiber(const fiber &) = delete;
  fiber &operator=(const fiber &) = delete;
  fiber(fiber &&other) noexcept;
  fiber &operator=(fiber &&other) noexcept;
  void swap(fiber &other) noexcept;
  id get_id() const noexcept;
  bool joinable() const noexcept;
  void join();
  void detach();
};
inline bool operator<(const fiber &l, const fiber &r) noexcept { return l.get_id() < r.get_id(); }
inline void swap(fiber &l, fiber &r) noexcept { return l.swap(r); }
} // namespace fibers
} // namespace boost
