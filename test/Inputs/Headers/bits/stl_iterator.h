#pragma once
// Stub of libstdc++'s __gnu_cxx::__normal_iterator (<bits/stl_iterator.h>),
// the iterator of the std::vector and std::basic_string stubs, for
// threadleak's lit tests.
#include <cstddef>
namespace __gnu_cxx {
template <class Iterator, class Container> class __normal_iterator {
protected:
  Iterator _M_current;

public:
  using difference_type = decltype(Iterator() - Iterator());
  using value_type = __remove_cvref(decltype(*Iterator()));
  using reference = decltype(*Iterator());
  using pointer = Iterator;
  constexpr __normal_iterator() noexcept : _M_current(Iterator()) {}
  explicit constexpr __normal_iterator(const Iterator &i) noexcept : _M_current(i) {}
  template <class Iter>
    requires __is_convertible(Iter, Iterator)
  constexpr __normal_iterator(const __normal_iterator<Iter, Container> &i) noexcept : _M_current(i.base()) {}
  constexpr reference operator*() const noexcept { return *_M_current; }
  constexpr pointer operator->() const noexcept { return _M_current; }
  constexpr __normal_iterator &operator++() noexcept {
    ++_M_current;
    return *this;
  }
  constexpr __normal_iterator operator++(int) noexcept { return __normal_iterator(_M_current++); }
  constexpr __normal_iterator &operator--() noexcept {
    --_M_current;
    return *this;
  }
  constexpr __normal_iterator operator--(int) noexcept { return __normal_iterator(_M_current--); }
  constexpr reference operator[](difference_type n) const noexcept { return _M_current[n]; }
  constexpr __normal_iterator &operator+=(difference_type n) noexcept {
    _M_current += n;
    return *this;
  }
  constexpr __normal_iterator operator+(difference_type n) const noexcept { return __normal_iterator(_M_current + n); }
  constexpr __normal_iterator &operator-=(difference_type n) noexcept {
    _M_current -= n;
    return *this;
  }
  constexpr __normal_iterator operator-(difference_type n) const noexcept { return __normal_iterator(_M_current - n); }
  constexpr const Iterator &base() const noexcept { return _M_current; }
};
template <class IteratorL, class IteratorR, class Container>
constexpr bool operator==(const __normal_iterator<IteratorL, Container> &l,
                          const __normal_iterator<IteratorR, Container> &r) noexcept {
  return l.base() == r.base();
}
template <class Iterator, class Container>
constexpr bool operator==(const __normal_iterator<Iterator, Container> &l,
                          const __normal_iterator<Iterator, Container> &r) noexcept {
  return l.base() == r.base();
}
template <class Iterator, class Container>
constexpr bool operator<(const __normal_iterator<Iterator, Container> &l,
                         const __normal_iterator<Iterator, Container> &r) noexcept {
  return l.base() < r.base();
}
template <class IteratorL, class IteratorR, class Container>
constexpr auto operator-(const __normal_iterator<IteratorL, Container> &l,
                         const __normal_iterator<IteratorR, Container> &r) noexcept -> decltype(l.base() - r.base()) {
  return l.base() - r.base();
}
} // namespace __gnu_cxx
