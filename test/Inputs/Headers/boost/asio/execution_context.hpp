#pragma once
// Stub of <boost/asio/execution_context.hpp> for threadleak's lit tests.
namespace boost {
namespace asio {
class execution_context {
public:
  class id;
  class service;
  execution_context();
  ~execution_context();
  void notify_fork(int event);

protected:
  void shutdown();
  void destroy();

private:
  execution_context(const execution_context &) = delete;
  execution_context &operator=(const execution_context &) = delete;
};
template <typename Service> Service &use_service(execution_context &e);
} // namespace asio
} // namespace boost
