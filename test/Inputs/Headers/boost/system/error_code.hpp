#pragma once
// Stub of Boost.System's error_code for threadleak's lit tests.
#include <string>
#include <system_error>
#include <type_traits>
namespace boost {
namespace system {
class error_category {
public:
  virtual const char *name() const noexcept = 0;
  virtual std::string message(int ev) const = 0;
  bool operator==(const error_category &o) const noexcept { return this == &o; }
};
const error_category &system_category() noexcept;
const error_category &generic_category() noexcept;
template <class T> struct is_error_code_enum { static const bool value = false; };
template <class T> struct is_error_condition_enum { static const bool value = false; };
namespace errc {
enum errc_t {
  success = 0,
  operation_not_permitted = 1,
  interrupted = 4,
  invalid_argument = 22,
  timed_out = 110,
  operation_canceled = 125,
};
} // namespace errc
class error_code {
public:
  error_code() noexcept : val_(0), cat_(nullptr) {}
  error_code(int val, const error_category &cat) noexcept : val_(val), cat_(&cat) {}
  template <class ErrorCodeEnum>
  error_code(ErrorCodeEnum e, typename std::enable_if<is_error_code_enum<ErrorCodeEnum>::value ||
                                                          std::is_error_code_enum<ErrorCodeEnum>::value>::type * = 0) noexcept
      : val_(0), cat_(nullptr) {
    *this = make_error_code(e);
  }
  error_code(const std::error_code &ec) noexcept;
  void assign(int val, const error_category &cat) noexcept { val_ = val; cat_ = &cat; }
  void clear() noexcept { val_ = 0; cat_ = nullptr; }
  int value() const noexcept { return val_; }
  const error_category &category() const noexcept { return *cat_; }
  std::string message() const;
  std::string what() const;
  bool failed() const noexcept { return val_ != 0; }
  explicit operator bool() const noexcept { return failed(); }
  operator std::error_code() const;
  friend bool operator==(const error_code &a, const error_code &b) noexcept { return a.val_ == b.val_ && a.cat_ == b.cat_; }
  friend bool operator!=(const error_code &a, const error_code &b) noexcept { return !(a == b); }

private:
  int val_;
  const error_category *cat_;
};
} // namespace system
} // namespace boost
