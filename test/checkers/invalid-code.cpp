// Code that does not compile: the checks must not crash, and whatever they can
// still see is analysed. The CLI reports the TU as failed (exit 3).
// RUN: %expect-exit 3 %threadleak --checks='-*,threadleak-*' %s -- %stubflags > %t.out 2> %t.err
// RUN: FileCheck --check-prefix=ERR %s < %t.err
// RUN: FileCheck --check-prefix=OUT %s < %t.out
// RUN: not %tidy --checks='-*,threadleak-*' %s -- %stubflags | FileCheck --check-prefix=OUT %s

#include <thread>

void work();
struct Incomplete;

void broken(Incomplete &i) {
  std::thread([&] { for (;;) i.work(); }).detach();
  std::thread(undeclared_function).detach();
  std::jthread j([] { while (true) { undeclared(); } });
  std::thread t(;
  t.detach();
}

void *not_a_start_routine;
void broken_pthread() {
  pthread_t tid;
  pthread_create(&tid, nullptr, not_a_start_routine, nullptr);
  pthread_detach(tid);
}

// ERR: threadleak: error: {{.*}}invalid-code.cpp: failed to compile; its findings may be incomplete
// OUT: error: member access into incomplete type 'Incomplete' [clang-diagnostic-error]
