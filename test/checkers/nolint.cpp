// NOLINT, NOLINTNEXTLINE and begin/end blocks suppress findings in both front-ends.
// RUN: not %threadleak --checks='-*,threadleak-*' %s -- %stubflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-*' %s -- %stubflags | %check-all %s

#include <thread>

void work();

void suppressed() {
  std::thread([] { for (;;) work(); }).detach(); // NOLINT(threadleak-detached-no-stop)
  // NOLINTNEXTLINE(threadleak-jthread-ignores-stop)
  std::jthread a([] { for (;;) work(); });
  // NOLINTBEGIN(threadleak-*)
  std::thread([] { for (;;) work(); }).detach();
  std::jthread b([] { for (;;) work(); });
  // NOLINTEND(threadleak-*)
  // A NOLINT for another check does not hide this one.
  std::thread([] { for (;;) work(); }).detach(); // NOLINT(bugprone-unused-return-value)
  // CHECK: :[[@LINE-1]]:40: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-2]]:20: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}
