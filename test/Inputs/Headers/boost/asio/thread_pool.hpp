#pragma once
// Stub of <boost/asio/thread_pool.hpp> for threadleak's lit tests.
#include <boost/asio/execution_context.hpp>
#include <cstddef>
#include <memory>
namespace boost {
namespace asio {
class thread_pool : public execution_context {
public:
  template <typename Allocator, unsigned int Bits> class basic_executor_type;
  typedef basic_executor_type<std::allocator<void>, 0> executor_type;
  thread_pool();
  thread_pool(std::size_t num_threads);
  ~thread_pool();
  executor_type get_executor() noexcept;
  executor_type executor() noexcept;
  void stop();
  void attach();
  void join();
  void wait();

private:
  thread_pool(const thread_pool &) = delete;
  thread_pool &operator=(const thread_pool &) = delete;
};
template <typename Allocator, unsigned int Bits> class thread_pool::basic_executor_type {
public:
  typedef void stub_is_executor_tag;
  basic_executor_type(const basic_executor_type &other) noexcept;
  basic_executor_type(basic_executor_type &&other) noexcept;
  ~basic_executor_type() noexcept;
  thread_pool &context() const noexcept;
  bool running_in_this_thread() const noexcept;
  template <typename Function> void execute(Function &&f) const {}
  friend bool operator==(const basic_executor_type &, const basic_executor_type &) noexcept { return true; }
  friend bool operator!=(const basic_executor_type &, const basic_executor_type &) noexcept { return false; }
};
} // namespace asio
} // namespace boost
