#pragma once
#include <boost/asio/is_executor.hpp>
// Stub of <boost/asio/strand.hpp> for threadleak's lit tests.
namespace boost::asio {
template <typename Executor> class strand {
public:
  using stub_is_executor_tag = void;
  using inner_executor_type = Executor;
  explicit strand(const Executor &e);
  strand(const strand &);
  ~strand();
};
template <typename Executor> strand<Executor> make_strand(const Executor &ex) { return strand<Executor>(ex); }
template <typename Context> strand<typename Context::executor_type> make_strand(Context &ctx) {
  return strand<typename Context::executor_type>(ctx.get_executor());
}
} // namespace boost::asio
