#pragma once
// Stub of <boost/asio/basic_waitable_timer.hpp> for threadleak's lit tests.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/detail/chrono.hpp>
#include <boost/asio/detail/type_traits.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/wait_traits.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
namespace boost {
namespace asio {
template <typename Clock, typename WaitTraits = boost::asio::wait_traits<Clock>, typename Executor = any_io_executor>
class basic_waitable_timer;

template <typename Clock, typename WaitTraits, typename Executor> class basic_waitable_timer {
public:
  typedef Executor executor_type;
  template <typename Executor1> struct rebind_executor {
    typedef basic_waitable_timer<Clock, WaitTraits, Executor1> other;
  };
  typedef Clock clock_type;
  typedef typename clock_type::duration duration;
  typedef typename clock_type::time_point time_point;
  typedef WaitTraits traits_type;

  explicit basic_waitable_timer(const executor_type &ex);
  template <typename ExecutionContext>
  explicit basic_waitable_timer(
      ExecutionContext &context,
      typename constraint<is_convertible<ExecutionContext &, execution_context &>::value>::type = 0);
  basic_waitable_timer(const executor_type &ex, const time_point &expiry_time);
  template <typename ExecutionContext>
  explicit basic_waitable_timer(
      ExecutionContext &context, const time_point &expiry_time,
      typename constraint<is_convertible<ExecutionContext &, execution_context &>::value>::type = 0);
  basic_waitable_timer(const executor_type &ex, const duration &expiry_time);
  template <typename ExecutionContext>
  explicit basic_waitable_timer(
      ExecutionContext &context, const duration &expiry_time,
      typename constraint<is_convertible<ExecutionContext &, execution_context &>::value>::type = 0);
  basic_waitable_timer(basic_waitable_timer &&other);
  basic_waitable_timer &operator=(basic_waitable_timer &&other);
  ~basic_waitable_timer();

  const executor_type &get_executor() noexcept;
  std::size_t cancel();
  std::size_t cancel(boost::system::error_code &ec);
  std::size_t cancel_one();
  time_point expires_at() const;
  time_point expiry() const;
  std::size_t expires_at(const time_point &expiry_time);
  std::size_t expires_after(const duration &expiry_time);
  duration expires_from_now() const;
  std::size_t expires_from_now(const duration &expiry_time);
  void wait();
  void wait(boost::system::error_code &ec);
  template <typename WaitToken = typename default_completion_token<executor_type>::type>
  auto async_wait(WaitToken &&token = typename default_completion_token<executor_type>::type())
      -> detail::stub_async_result_t<WaitToken, void(boost::system::error_code)> {
    return detail::stub_async_result_t<WaitToken, void(boost::system::error_code)>();
  }

private:
  basic_waitable_timer(const basic_waitable_timer &) = delete;
  basic_waitable_timer &operator=(const basic_waitable_timer &) = delete;
};
} // namespace asio
} // namespace boost
