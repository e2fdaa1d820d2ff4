#pragma once
// Stub of <boost/thread/once.hpp> for threadleak's lit tests.
namespace boost {
struct once_flag {
  constexpr once_flag() noexcept {}
  once_flag(const once_flag &) = delete;
  once_flag &operator=(const once_flag &) = delete;

private:
  int epoch = 0;
};
template <class Function, class... Args>
void call_once(once_flag &flag, Function &&f, Args &&...args);
// The older form: the function first.
void call_once(void (*func)(), once_flag &flag);
} // namespace boost
