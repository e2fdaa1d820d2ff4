#pragma once
// Stub of <boost/asio/post.hpp> for threadleak's lit tests.
#include <boost/asio/async_result.hpp>
#include <boost/asio/detail/type_traits.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/is_executor.hpp>
namespace boost {
namespace asio {
template <typename NullaryToken> detail::stub_async_result_t<NullaryToken, void()> post(NullaryToken &&token) {
  return detail::stub_async_result_t<NullaryToken, void()>();
}
template <typename Executor, typename NullaryToken = typename default_completion_token<Executor>::type>
detail::stub_async_result_t<NullaryToken, void()>
post(const Executor &ex, NullaryToken &&token = typename default_completion_token<Executor>::type(),
     typename constraint<execution::is_executor<Executor>::value || is_executor<Executor>::value>::type = 0) {
  return detail::stub_async_result_t<NullaryToken, void()>();
}
template <typename ExecutionContext,
          typename NullaryToken = typename default_completion_token<typename ExecutionContext::executor_type>::type>
detail::stub_async_result_t<NullaryToken, void()>
post(ExecutionContext &ctx,
     NullaryToken &&token = typename default_completion_token<typename ExecutionContext::executor_type>::type(),
     typename constraint<is_convertible<ExecutionContext &, execution_context &>::value>::type = 0) {
  return detail::stub_async_result_t<NullaryToken, void()>();
}
} // namespace asio
} // namespace boost
