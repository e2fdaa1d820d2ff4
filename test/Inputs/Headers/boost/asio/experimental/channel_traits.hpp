#pragma once
// Stub of <boost/asio/experimental/channel_traits.hpp> for threadleak's lit
// tests. As in Asio, the traits give the signatures with which a receive
// completes when the channel is closed / cancelled: R(error_code, Args...)
// (channel_closed / channel_cancelled, default-constructed Args) for a
// signature R(error_code, Args...), likewise for exception_ptr, and
// R(error_code) for R() and R(T). So a channel<void(int)> receive completes
// with void(int) OR void(error_code): async_receive then needs a handler
// accepting both, and use_awaitable / deferred / detached do not compile.
#include <boost/asio/async_result.hpp>
#include <boost/asio/experimental/channel_error.hpp>
#include <boost/system/error_code.hpp>
#include <deque>
#include <exception>
#include <type_traits>
namespace boost {
namespace asio {
namespace experimental {
template <typename... Signatures> struct channel_traits {
  template <typename... NewSignatures> struct rebind {
    typedef channel_traits<NewSignatures...> other;
  };
};
template <typename R> struct channel_traits<R(boost::system::error_code)> {
  template <typename... NewSignatures> struct rebind {
    typedef channel_traits<NewSignatures...> other;
  };
  template <typename Element> struct container {
    typedef std::deque<Element> type;
  };
  typedef R receive_cancelled_signature(boost::system::error_code);
  template <typename F> static void invoke_receive_cancelled(F f);
  typedef R receive_closed_signature(boost::system::error_code);
  template <typename F> static void invoke_receive_closed(F f);
};
template <typename R, typename... Args, typename... Signatures>
struct channel_traits<R(boost::system::error_code, Args...), Signatures...> {
  template <typename... NewSignatures> struct rebind {
    typedef channel_traits<NewSignatures...> other;
  };
  template <typename Element> struct container {
    typedef std::deque<Element> type;
  };
  typedef R receive_cancelled_signature(boost::system::error_code, Args...);
  template <typename F> static void invoke_receive_cancelled(F f);
  typedef R receive_closed_signature(boost::system::error_code, Args...);
  template <typename F> static void invoke_receive_closed(F f);
};
template <typename R> struct channel_traits<R(std::exception_ptr)> {
  template <typename... NewSignatures> struct rebind {
    typedef channel_traits<NewSignatures...> other;
  };
  template <typename Element> struct container {
    typedef std::deque<Element> type;
  };
  typedef R receive_cancelled_signature(std::exception_ptr);
  template <typename F> static void invoke_receive_cancelled(F f);
  typedef R receive_closed_signature(std::exception_ptr);
  template <typename F> static void invoke_receive_closed(F f);
};
template <typename R, typename... Args, typename... Signatures>
struct channel_traits<R(std::exception_ptr, Args...), Signatures...> {
  template <typename... NewSignatures> struct rebind {
    typedef channel_traits<NewSignatures...> other;
  };
  template <typename Element> struct container {
    typedef std::deque<Element> type;
  };
  typedef R receive_cancelled_signature(std::exception_ptr, Args...);
  template <typename F> static void invoke_receive_cancelled(F f);
  typedef R receive_closed_signature(std::exception_ptr, Args...);
  template <typename F> static void invoke_receive_closed(F f);
};
template <typename R> struct channel_traits<R()> {
  template <typename... NewSignatures> struct rebind {
    typedef channel_traits<NewSignatures...> other;
  };
  template <typename Element> struct container {
    typedef std::deque<Element> type;
  };
  typedef R receive_cancelled_signature(boost::system::error_code);
  template <typename F> static void invoke_receive_cancelled(F f);
  typedef R receive_closed_signature(boost::system::error_code);
  template <typename F> static void invoke_receive_closed(F f);
};
template <typename R, typename T> struct channel_traits<R(T)> {
  template <typename... NewSignatures> struct rebind {
    typedef channel_traits<NewSignatures...> other;
  };
  template <typename Element> struct container {
    typedef std::deque<Element> type;
  };
  typedef R receive_cancelled_signature(boost::system::error_code);
  template <typename F> static void invoke_receive_cancelled(F f);
  typedef R receive_closed_signature(boost::system::error_code);
  template <typename F> static void invoke_receive_closed(F f);
};

namespace detail {
template <typename S, typename... Signatures> struct has_signature {
  static const bool value = (__is_same(S, Signatures) || ... || false);
};
template <typename... Signatures> struct stub_signature_list {};
// The signatures a receive can complete with (Asio's channel_payload<...>):
// the channel's signatures plus the traits' cancelled / closed ones.
template <typename Traits, typename... Signatures> struct stub_payload_signatures {
  typedef typename Traits::template rebind<Signatures...>::other traits_type;
  typedef typename traits_type::receive_cancelled_signature cancelled_signature;
  typedef typename traits_type::receive_closed_signature closed_signature;
  typedef typename std::conditional<
      has_signature<cancelled_signature, Signatures...>::value,
      typename std::conditional<has_signature<closed_signature, Signatures...>::value,
                                stub_signature_list<Signatures...>,
                                stub_signature_list<Signatures..., closed_signature>>::type,
      typename std::conditional<has_signature<closed_signature, Signatures..., cancelled_signature>::value,
                                stub_signature_list<Signatures..., cancelled_signature>,
                                stub_signature_list<Signatures..., cancelled_signature, closed_signature>>::type>::type
      type;
};
template <typename CompletionToken, typename SignatureList> struct stub_receive_result;
template <typename CompletionToken, typename... Signatures>
struct stub_receive_result<CompletionToken, stub_signature_list<Signatures...>> {
  typedef typename async_result<typename std::decay<CompletionToken>::type, Signatures...>::return_type type;
};
} // namespace detail
} // namespace experimental
} // namespace asio
} // namespace boost
