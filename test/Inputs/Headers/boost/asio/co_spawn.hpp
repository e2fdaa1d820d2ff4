#pragma once
// Stub of <boost/asio/co_spawn.hpp> for threadleak's lit tests: the same six
// overloads of boost::asio::co_spawn as Asio (executor or execution context;
// awaitable<T>, awaitable<void> or a callable returning an awaitable).
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/detail/type_traits.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/is_executor.hpp>
#include <exception>
namespace boost {
namespace asio {
namespace detail {
template <typename T> struct awaitable_signature;
template <typename T, typename Executor> struct awaitable_signature<awaitable<T, Executor>> {
  typedef void type(std::exception_ptr, T);
};
template <typename Executor> struct awaitable_signature<awaitable<void, Executor>> {
  typedef void type(std::exception_ptr);
};
} // namespace detail

template <typename Executor, typename T, typename AwaitableExecutor,
          typename CompletionToken = typename default_completion_token<Executor>::type>
inline detail::stub_async_result_t<CompletionToken, void(std::exception_ptr, T)>
co_spawn(const Executor &ex, awaitable<T, AwaitableExecutor> a,
         CompletionToken &&token = typename default_completion_token<Executor>::type(),
         typename constraint<(is_executor<Executor>::value || execution::is_executor<Executor>::value) &&
                             is_convertible<Executor, AwaitableExecutor>::value>::type = 0) {
  return detail::stub_async_result_t<CompletionToken, void(std::exception_ptr, T)>();
}

template <typename Executor, typename AwaitableExecutor,
          typename CompletionToken = typename default_completion_token<Executor>::type>
inline detail::stub_async_result_t<CompletionToken, void(std::exception_ptr)>
co_spawn(const Executor &ex, awaitable<void, AwaitableExecutor> a,
         CompletionToken &&token = typename default_completion_token<Executor>::type(),
         typename constraint<(is_executor<Executor>::value || execution::is_executor<Executor>::value) &&
                             is_convertible<Executor, AwaitableExecutor>::value>::type = 0) {
  return detail::stub_async_result_t<CompletionToken, void(std::exception_ptr)>();
}

template <typename ExecutionContext, typename T, typename AwaitableExecutor,
          typename CompletionToken = typename default_completion_token<typename ExecutionContext::executor_type>::type>
inline detail::stub_async_result_t<CompletionToken, void(std::exception_ptr, T)>
co_spawn(ExecutionContext &ctx, awaitable<T, AwaitableExecutor> a,
         CompletionToken &&token = typename default_completion_token<typename ExecutionContext::executor_type>::type(),
         typename constraint<is_convertible<ExecutionContext &, execution_context &>::value &&
                             is_convertible<typename ExecutionContext::executor_type, AwaitableExecutor>::value>::type = 0) {
  return detail::stub_async_result_t<CompletionToken, void(std::exception_ptr, T)>();
}

template <typename ExecutionContext, typename AwaitableExecutor,
          typename CompletionToken = typename default_completion_token<typename ExecutionContext::executor_type>::type>
inline detail::stub_async_result_t<CompletionToken, void(std::exception_ptr)>
co_spawn(ExecutionContext &ctx, awaitable<void, AwaitableExecutor> a,
         CompletionToken &&token = typename default_completion_token<typename ExecutionContext::executor_type>::type(),
         typename constraint<is_convertible<ExecutionContext &, execution_context &>::value &&
                             is_convertible<typename ExecutionContext::executor_type, AwaitableExecutor>::value>::type = 0) {
  return detail::stub_async_result_t<CompletionToken, void(std::exception_ptr)>();
}

template <typename Executor, typename F, typename CompletionToken = typename default_completion_token<Executor>::type>
detail::stub_async_result_t<CompletionToken,
                            typename detail::awaitable_signature<typename std::result_of<F()>::type>::type>
co_spawn(const Executor &ex, F &&f, CompletionToken &&token = typename default_completion_token<Executor>::type(),
         typename constraint<is_executor<Executor>::value || execution::is_executor<Executor>::value>::type = 0) {
  return detail::stub_async_result_t<CompletionToken,
                                     typename detail::awaitable_signature<typename std::result_of<F()>::type>::type>();
}

template <typename ExecutionContext, typename F,
          typename CompletionToken = typename default_completion_token<typename ExecutionContext::executor_type>::type>
detail::stub_async_result_t<CompletionToken,
                            typename detail::awaitable_signature<typename std::result_of<F()>::type>::type>
co_spawn(ExecutionContext &ctx, F &&f,
         CompletionToken &&token = typename default_completion_token<typename ExecutionContext::executor_type>::type(),
         typename constraint<is_convertible<ExecutionContext &, execution_context &>::value>::type = 0) {
  return detail::stub_async_result_t<CompletionToken,
                                     typename detail::awaitable_signature<typename std::result_of<F()>::type>::type>();
}
} // namespace asio
} // namespace boost
