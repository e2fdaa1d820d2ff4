#pragma once
namespace boost {
class thread {
public:
  thread() noexcept;
  template <class F> explicit thread(F f) {}
  template <class F, class A1> thread(F f, A1 a1) {}
  ~thread();
  thread(thread &&other) noexcept;
  thread &operator=(thread &&other) noexcept;
  bool joinable() const noexcept;
  void join();
  void detach();
  void interrupt();
  bool interruption_requested() const noexcept;
};
// <boost/thread/detail/thread_group.hpp>
class thread_group {
public:
  thread_group();
  ~thread_group();
  template <typename F> thread *create_thread(F threadfunc) { return nullptr; }
  void add_thread(thread *thrd);
  void remove_thread(thread *thrd);
  void join_all();
  void interrupt_all();
  unsigned long size() const;
};
namespace this_thread {
void interruption_point();
template <class D> void sleep_for(const D &) {}
} // namespace this_thread
} // namespace boost
