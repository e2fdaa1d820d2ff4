#pragma once
// Stub of <sys/eventfd.h> for threadleak's lit tests.
#include <bits/types_stub.h>
enum {
  EFD_SEMAPHORE = 00000001,
#define EFD_SEMAPHORE EFD_SEMAPHORE
  EFD_CLOEXEC = 02000000,
#define EFD_CLOEXEC EFD_CLOEXEC
  EFD_NONBLOCK = 00004000
#define EFD_NONBLOCK EFD_NONBLOCK
};
typedef uint64_t eventfd_t;
#ifdef __cplusplus
extern "C" {
#endif
int eventfd(unsigned int count, int flags);
int eventfd_read(int fd, eventfd_t *value);
int eventfd_write(int fd, eventfd_t value);
#ifdef __cplusplus
}
#endif
