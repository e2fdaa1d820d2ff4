#pragma once
namespace boost {
class thread {
public:
  thread() noexcept;
  template <class F> explicit thread(F f) {}
  template <class F, class A1> thread(F f, A1 a1) {}
  ~thread();
  void join();
  void detach();
  void interrupt();
};
namespace this_thread {
void interruption_point();
template <class D> void sleep_for(const D &) {}
} // namespace this_thread
} // namespace boost
