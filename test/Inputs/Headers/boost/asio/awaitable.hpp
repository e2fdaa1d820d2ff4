#pragma once
// Stub of <boost/asio/awaitable.hpp> (and impl/awaitable.hpp) for
// threadleak's lit tests. As in Asio, the promise type of a coroutine that
// returns awaitable<T, Executor> is detail::awaitable_frame<T, Executor>,
// whose base detail::awaitable_frame_base<Executor> has the await_transform
// overloads: inside such a coroutine one can co_await another awaitable, an
// asynchronous operation (e.g. a deferred one), this_coro::executor,
// this_coro::cancellation_state, this_coro::reset_cancellation_state(...)
// and this_coro::throw_if_cancelled(...), and nothing else.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/detail/type_traits.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/system/error_code.hpp>
#include <coroutine>
#include <cstddef>
#include <exception>
#include <tuple>
#include <utility>
namespace boost {
namespace asio {
namespace detail {
using std::coroutine_handle;
using std::suspend_always;
template <typename> class awaitable_thread;
template <typename, typename> class awaitable_frame;
template <typename> class awaitable_frame_base;

// The value a co_await yields for a completion signature R(Args...), as
// Asio's awaitable_handler / awaitable_async_op_handler compute it: a leading
// error_code or exception_ptr is dropped (and thrown if set), no remaining
// argument gives void, one gives that argument, several give a std::tuple.
template <typename... Args> struct stub_awaitable_value { typedef std::tuple<Args...> type; };
template <> struct stub_awaitable_value<> { typedef void type; };
template <typename T> struct stub_awaitable_value<T> { typedef T type; };
template <> struct stub_awaitable_value<boost::system::error_code> { typedef void type; };
template <> struct stub_awaitable_value<std::exception_ptr> { typedef void type; };
template <typename T> struct stub_awaitable_value<boost::system::error_code, T> { typedef T type; };
template <typename T> struct stub_awaitable_value<std::exception_ptr, T> { typedef T type; };
template <typename T1, typename T2, typename... Ts>
struct stub_awaitable_value<boost::system::error_code, T1, T2, Ts...> { typedef std::tuple<T1, T2, Ts...> type; };
template <typename T1, typename T2, typename... Ts>
struct stub_awaitable_value<std::exception_ptr, T1, T2, Ts...> { typedef std::tuple<T1, T2, Ts...> type; };
template <typename Signature> struct stub_signature_value;
template <typename R, typename... Args>
struct stub_signature_value<R(Args...)> : stub_awaitable_value<typename std::decay<Args>::type...> {};
} // namespace detail

template <typename T, typename Executor = any_io_executor> class [[nodiscard]] awaitable {
public:
  typedef T value_type;
  typedef Executor executor_type;
  constexpr awaitable() noexcept : frame_(nullptr) {}
  awaitable(awaitable &&other) noexcept : frame_(std::exchange(other.frame_, nullptr)) {}
  ~awaitable() {}
  awaitable &operator=(awaitable &&other) noexcept {
    if (this != &other)
      frame_ = std::exchange(other.frame_, nullptr);
    return *this;
  }
  bool valid() const noexcept { return !!frame_; }
  bool await_ready() const noexcept { return false; }
  template <class U> void await_suspend(detail::coroutine_handle<detail::awaitable_frame<U, Executor>> h) {}
  T await_resume();

private:
  template <typename> friend class detail::awaitable_thread;
  template <typename, typename> friend class detail::awaitable_frame;
  awaitable(const awaitable &) = delete;
  awaitable &operator=(const awaitable &) = delete;
  explicit awaitable(detail::awaitable_frame<T, Executor> *a) : frame_(a) {}
  detail::awaitable_frame<T, Executor> *frame_;
};

namespace detail {
template <typename Signature, typename Op, typename Executor> class awaitable_async_op {
public:
  awaitable_async_op(Op &&o, awaitable_frame_base<Executor> *frame) : op_(std::forward<Op>(o)), frame_(frame) {}
  bool await_ready() const noexcept { return false; }
  void await_suspend(coroutine_handle<void>) {}
  typename stub_signature_value<Signature>::type await_resume();

private:
  Op &&op_;
  awaitable_frame_base<Executor> *frame_;
};

template <typename Executor> class awaitable_frame_base {
public:
  // Asio recycles coroutine frames through its own allocation functions.
  void *operator new(std::size_t size);
  void operator delete(void *pointer, std::size_t size);

  // The frame starts in a suspended state until the awaitable_thread object
  // pumps the stack.
  auto initial_suspend() noexcept { return suspend_always(); }

  // On final suspension the frame is popped from the top of the stack.
  auto final_suspend() noexcept {
    struct result {
      awaitable_frame_base *this_;
      bool await_ready() const noexcept { return false; }
      void await_suspend(coroutine_handle<void>) noexcept {}
      void await_resume() const noexcept {}
    };
    return result{this};
  }
  void unhandled_exception();
  void set_except(std::exception_ptr e) noexcept;
  void set_error(const boost::system::error_code &ec);

  template <typename T> auto await_transform(awaitable<T, Executor> a) const { return a; }

  template <typename Op>
  auto await_transform(Op &&op, typename constraint<is_async_operation<Op>::value>::type = 0) {
    return awaitable_async_op<typename completion_signature_of<typename decay<Op>::type>::type,
                              typename decay<Op>::type, Executor>{std::forward<Op>(op), this};
  }

  auto await_transform(this_coro::executor_t) noexcept {
    struct result {
      awaitable_frame_base *this_;
      bool await_ready() const noexcept { return true; }
      void await_suspend(coroutine_handle<void>) noexcept {}
      auto await_resume() const noexcept { return this_->stub_get_executor(); }
    };
    return result{this};
  }

  auto await_transform(this_coro::cancellation_state_t) noexcept {
    struct result {
      awaitable_frame_base *this_;
      bool await_ready() const noexcept { return true; }
      void await_suspend(coroutine_handle<void>) noexcept {}
      auto await_resume() const noexcept { return this_->stub_get_cancellation_state(); }
    };
    return result{this};
  }

  auto await_transform(this_coro::reset_cancellation_state_0_t) noexcept {
    struct result {
      awaitable_frame_base *this_;
      bool await_ready() const noexcept { return true; }
      void await_suspend(coroutine_handle<void>) noexcept {}
      auto await_resume() const {}
    };
    return result{this};
  }

  template <typename Filter> auto await_transform(this_coro::reset_cancellation_state_1_t<Filter> reset) noexcept {
    struct result {
      awaitable_frame_base *this_;
      bool await_ready() const noexcept { return true; }
      void await_suspend(coroutine_handle<void>) noexcept {}
      auto await_resume() {}
    };
    return result{this};
  }

  template <typename InFilter, typename OutFilter>
  auto await_transform(this_coro::reset_cancellation_state_2_t<InFilter, OutFilter> reset) noexcept {
    struct result {
      awaitable_frame_base *this_;
      bool await_ready() const noexcept { return true; }
      void await_suspend(coroutine_handle<void>) noexcept {}
      auto await_resume() {}
    };
    return result{this};
  }

  auto await_transform(this_coro::throw_if_cancelled_0_t) noexcept {
    struct result {
      awaitable_frame_base *this_;
      bool await_ready() const noexcept { return true; }
      void await_suspend(coroutine_handle<void>) noexcept {}
      auto await_resume() { return this_->stub_throw_if_cancelled(); }
    };
    return result{this};
  }

  auto await_transform(this_coro::throw_if_cancelled_1_t throw_if_cancelled) noexcept {
    struct result {
      awaitable_frame_base *this_;
      bool value_;
      bool await_ready() const noexcept { return true; }
      void await_suspend(coroutine_handle<void>) noexcept {}
      auto await_resume() {}
    };
    return result{this, throw_if_cancelled.value};
  }

private:
  Executor stub_get_executor() const noexcept;
  cancellation_state stub_get_cancellation_state() const noexcept;
  bool stub_throw_if_cancelled() const noexcept;
};

template <typename T, typename Executor> class awaitable_frame : public awaitable_frame_base<Executor> {
public:
  awaitable<T, Executor> get_return_object() noexcept;
  template <typename U> void return_value(U &&u);
  template <typename... Us> void return_values(Us &&...us);
  T get();
};
template <typename Executor> class awaitable_frame<void, Executor> : public awaitable_frame_base<Executor> {
public:
  awaitable<void, Executor> get_return_object();
  void return_void() {}
  void get();
};
} // namespace detail
} // namespace asio
} // namespace boost

namespace std {
template <typename T, typename Executor, typename... Args>
struct coroutine_traits<boost::asio::awaitable<T, Executor>, Args...> {
  typedef boost::asio::detail::awaitable_frame<T, Executor> promise_type;
};
} // namespace std
