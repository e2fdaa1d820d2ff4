#pragma once
// Stub of <boost/asio/io_context.hpp> for threadleak's lit tests.
#include <boost/asio/detail/chrono.hpp>
#include <boost/asio/detail/type_traits.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/is_executor.hpp>
#include <boost/system/error_code.hpp>
#include <memory>
namespace boost {
namespace asio {
class io_context : public execution_context {
public:
  template <typename Allocator, std::uintptr_t Bits> class basic_executor_type;
  typedef basic_executor_type<std::allocator<void>, 0> executor_type;
  class work;
  class service;
  class strand;
  typedef std::size_t count_type;

  io_context();
  explicit io_context(int concurrency_hint);
  ~io_context();
  executor_type get_executor() noexcept;
  count_type run();
  count_type run(boost::system::error_code &ec);
  template <typename Rep, typename Period> std::size_t run_for(const chrono::duration<Rep, Period> &rel_time);
  template <typename Clock, typename Duration> std::size_t run_until(const chrono::time_point<Clock, Duration> &abs_time);
  count_type run_one();
  count_type poll();
  count_type poll_one();
  void stop();
  bool stopped() const;
  void restart();
};
template <typename Allocator, std::uintptr_t Bits> class io_context::basic_executor_type {
public:
  typedef void stub_is_executor_tag;
  basic_executor_type(const basic_executor_type &other) noexcept;
  basic_executor_type(basic_executor_type &&other) noexcept;
  basic_executor_type &operator=(const basic_executor_type &other) noexcept;
  basic_executor_type &operator=(basic_executor_type &&other) noexcept;
  ~basic_executor_type() noexcept;
  io_context &context() const noexcept;
  bool running_in_this_thread() const noexcept;
  template <typename Function> void execute(Function &&f) const {}
  friend bool operator==(const basic_executor_type &a, const basic_executor_type &b) noexcept { return true; }
  friend bool operator!=(const basic_executor_type &a, const basic_executor_type &b) noexcept { return false; }

private:
  friend class io_context;
  explicit basic_executor_type(io_context &i) noexcept;
};
typedef io_context io_service;
} // namespace asio
} // namespace boost
