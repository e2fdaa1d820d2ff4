#pragma once
// Stub of glibc's <bits/types/*.h> (time_t, struct timespec, struct timeval, sigset_t, ...) for threadleak's lit tests.
// Shared by the stub <poll.h>, <sys/epoll.h>, <sys/select.h>, <unistd.h> and <sys/eventfd.h>; every typedef
// names the same type as glibc / clang's <stdint.h> / <stddef.h> on x86-64, so mixing them is harmless.
typedef __SIZE_TYPE__ size_t;
typedef long int ssize_t;
typedef __UINT32_TYPE__ uint32_t;
typedef __UINT64_TYPE__ uint64_t;
typedef long int __time_t;
typedef long int __suseconds_t;
typedef long int __syscall_slong_t;
typedef __time_t time_t;
typedef __suseconds_t suseconds_t;
#define _SIGSET_NWORDS (1024 / (8 * sizeof(unsigned long int)))
typedef struct {
  unsigned long int __val[_SIGSET_NWORDS];
} __sigset_t;
typedef __sigset_t sigset_t;
struct timespec {
  __time_t tv_sec;
  __syscall_slong_t tv_nsec;
};
struct timeval {
  __time_t tv_sec;
  __suseconds_t tv_usec;
};
