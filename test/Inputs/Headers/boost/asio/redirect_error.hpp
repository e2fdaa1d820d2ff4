#pragma once
// Stub of <boost/asio/redirect_error.hpp> for threadleak's lit tests:
// op(..., redirect_error(use_awaitable, ec)) stores the error code in `ec`
// instead of throwing it.
#include <boost/asio/async_result.hpp>
#include <boost/asio/detail/type_traits.hpp>
#include <boost/system/error_code.hpp>
namespace boost {
namespace asio {
template <typename CompletionToken> class redirect_error_t {
public:
  template <typename T>
  redirect_error_t(T &&completion_token, boost::system::error_code &ec)
      : token_(static_cast<T &&>(completion_token)), ec_(ec) {}
  CompletionToken token_;
  boost::system::error_code &ec_;
};
template <typename CompletionToken>
inline redirect_error_t<typename decay<CompletionToken>::type> redirect_error(CompletionToken &&completion_token,
                                                                              boost::system::error_code &ec) {
  return redirect_error_t<typename decay<CompletionToken>::type>(static_cast<CompletionToken &&>(completion_token), ec);
}
template <typename CompletionToken, typename... Signatures> class async_result<redirect_error_t<CompletionToken>, Signatures...> {};
template <typename CompletionToken, typename R, typename... Args>
class async_result<redirect_error_t<CompletionToken>, R(boost::system::error_code, Args...)>
    : public async_result<CompletionToken, R(Args...)> {};
} // namespace asio
} // namespace boost
