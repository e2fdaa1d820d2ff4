#pragma once
// Stub of <boost/asio/any_io_executor.hpp> for threadleak's lit tests.
#include <boost/asio/detail/type_traits.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/is_executor.hpp>
namespace boost {
namespace asio {
class any_io_executor {
public:
  typedef void stub_is_executor_tag;
  any_io_executor() noexcept;
  any_io_executor(decltype(nullptr)) noexcept;
  any_io_executor(const any_io_executor &e) noexcept;
  any_io_executor(any_io_executor &&e) noexcept;
  template <typename Executor>
  any_io_executor(Executor e, typename constraint<!is_same<Executor, any_io_executor>::value &&
                                                  execution::is_executor<Executor>::value>::type = 0);
  any_io_executor &operator=(const any_io_executor &e) noexcept;
  any_io_executor &operator=(any_io_executor &&e) noexcept;
  ~any_io_executor();
  execution_context &context() const noexcept;
  template <typename Function> void execute(Function &&f) const {}
  explicit operator bool() const noexcept;
  friend bool operator==(const any_io_executor &a, const any_io_executor &b) noexcept;
  friend bool operator!=(const any_io_executor &a, const any_io_executor &b) noexcept;
};
} // namespace asio
} // namespace boost
