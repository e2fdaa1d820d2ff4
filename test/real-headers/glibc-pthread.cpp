// RUN: not %threadleak --checks='-*,threadleak-*' %s -- %realflags | %check-all %s
// RUN: %tidy --checks='-*,threadleak-*' %s -- %realflags | %check-all %s

// threadleak-detached-no-stop on glibc's real <pthread.h>: the functions are
// declared inside __BEGIN_DECLS (extern "C") with __THROW / __nonnull /
// __restrict decorations, pthread_exit is __attribute__((__noreturn__)), and
// PTHREAD_CREATE_DETACHED is an enumerator that a same-named macro expands
// to (`#define PTHREAD_CREATE_DETACHED PTHREAD_CREATE_DETACHED`).

#include <pthread.h>

void work();
bool done();

//===-- Positive -----------------------------------------------------------===//

void *spin(void *) {
  for (;;)
    work();
  return nullptr;
}

void create_then_detach() {
  pthread_t tid;
  pthread_create(&tid, nullptr, spin, nullptr);
  pthread_detach(tid);
  // CHECK: :[[@LINE-1]]:3: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-3]]:3: note: thread started here
  // CHECK: :[[@LINE-11]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void create_then_detach_address_of_body() {
  pthread_t tid;
  if (pthread_create(&tid, nullptr, &spin, nullptr) != 0)
    return;
  pthread_detach(tid);
  // CHECK: :[[@LINE-1]]:3: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-4]]:7: note: thread started here
  // CHECK: :[[@LINE-21]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
}

void *self_detaching(void *) {
  pthread_detach(pthread_self());
  // CHECK: :[[@LINE-1]]:3: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE+1]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
  while (true)
    work();
}

void detached_attribute() {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t tid;
  pthread_create(&tid, &attr, spin, nullptr);
  // CHECK: :[[@LINE-1]]:3: warning: detached thread can never stop: its body loops forever and observes no stop signal [threadleak-detached-no-stop]
  // CHECK: :[[@LINE-39]]:3: note: this loop never exits: nothing in it breaks, returns, throws or observes a stop request
  pthread_attr_destroy(&attr);
}

//===-- Negative -----------------------------------------------------------===//

void *cancellable(void *) {
  // pthread_testcancel() is where pthread_cancel() takes effect.
  for (;;) {
    pthread_testcancel();
    work();
  }
}

void *exits_itself(void *) {
  // pthread_exit is [[noreturn]]: the loop has a way out.
  for (;;) {
    if (done())
      pthread_exit(nullptr);
    work();
  }
}

void *finite(void *) {
  work();
  return nullptr;
}

void negatives() {
  pthread_t a, b, c;
  pthread_create(&a, nullptr, cancellable, nullptr);
  pthread_detach(a);
  pthread_create(&b, nullptr, exits_itself, nullptr);
  pthread_detach(b);
  pthread_create(&c, nullptr, finite, nullptr);
  pthread_detach(c);
}

void *cancellable_with_cleanup(void *) {
  // glibc's C++ pthread_cleanup_push/pop build a __pthread_cleanup_class
  // object inside a do { ... } while (0).
  pthread_cleanup_push([](void *) {}, nullptr);
  for (;;) {
    pthread_testcancel();
    work();
  }
  pthread_cleanup_pop(0);
  return nullptr;
}

void cleanup_negative() {
  pthread_t t;
  pthread_create(&t, nullptr, cancellable_with_cleanup, nullptr);
  pthread_detach(t);
}

void joinable_attribute_and_join() {
  // Explicitly joinable and joined: not detached, nothing to report.
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_JOINABLE);
  pthread_t tid;
  pthread_create(&tid, &attr, spin, nullptr);
  pthread_attr_destroy(&attr);
  pthread_join(tid, nullptr);
}
