// The fix-it for "the jthread's callable never observes its stop token",
// where it is a local rewrite that is right: a lambda with no parameters
// whose endless loop is its own `while (true)` or `for (;;)` with nothing
// in it that may block. The lambda takes a std::stop_token and the loop runs
// while no stop is requested. The CLI's --fix applies it; the check is then
// silent and the file still compiles.
// RUN: rm -rf %t && mkdir -p %t && cp %s %t/fix.cpp
// RUN: not %threadleak --checks='-*,threadleak-jthread-ignores-stop' --fix %t/fix.cpp -- %stubflags | FileCheck --check-prefix=WARN %s
// RUN: FileCheck --input-file=%t/fix.cpp --check-prefix=FIXED %s
// RUN: not %threadleak --checks='-*,threadleak-jthread-ignores-stop' %t/fix.cpp -- %stubflags | %check-all --check-prefix=AFTER %s
// RUN: %clangxx -fsyntax-only %stubflags %t/fix.cpp
// clang-tidy with the plugin applies the same edits.
// RUN: cp %s %t/tidy.cpp
// RUN: %tidy --checks='-*,threadleak-jthread-ignores-stop' --fix %t/tidy.cpp -- %stubflags > /dev/null
// RUN: diff %t/fix.cpp %t/tidy.cpp

#include <stop_token>
#include <thread>

void work();
bool next_job(int &);
void wait_for_work();

void spin() {
  std::jthread t([] {
    // WARN: :[[@LINE-1]]:16: warning: std::jthread's callable never observes its stop token
    // FIXED: std::jthread t([](std::stop_token st) {
    while (true)
      // FIXED: while (!st.stop_requested())
      work();
  });
}

void poll() {
  std::jthread t([&]() {
    // WARN: :[[@LINE-1]]:16: warning: std::jthread's callable never observes its stop token
    // FIXED: std::jthread t([&](std::stop_token st) {
    for (;;) {
      // FIXED: for (; !st.stop_requested();) {
      int j;
      if (next_job(j))
        work();
    }
  });
}

// A sleep ends by itself: the token checked between sleeps is enough.
void sleepy() {
  std::jthread t([] {
    // WARN: :[[@LINE-1]]:16: warning: std::jthread's callable never observes its stop token
    // FIXED: std::jthread t([](std::stop_token st) {
    while (true) {
      // FIXED: while (!st.stop_requested()) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      work();
    }
  });
}

// No fix-it: the loop blocks in a wait a stop request would not wake, so
// checking the token in the condition would not be enough. It stays
// reported.
void blocked() {
  std::jthread u([] {
    // WARN: :[[@LINE-1]]:16: warning: std::jthread's callable never observes its stop token
    // AFTER: :[[@LINE-2]]:16: warning: std::jthread's callable never observes its stop token
    // FIXED: std::jthread u([] {
    while (true)
      wait_for_work();
    // AFTER: :[[@LINE-2]]:5: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
  });
}
