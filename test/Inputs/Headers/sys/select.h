#pragma once
// Stub of <sys/select.h> for threadleak's lit tests.
#include <bits/types_stub.h>
typedef long int __fd_mask;
#define __FD_SETSIZE 1024
#define __NFDBITS (8 * (int)sizeof(__fd_mask))
#define __FD_ELT(d) ((d) / __NFDBITS)
#define __FD_MASK(d) ((__fd_mask)(1UL << ((d) % __NFDBITS)))
typedef struct {
  __fd_mask fds_bits[__FD_SETSIZE / __NFDBITS];
} fd_set;
#define FD_SETSIZE __FD_SETSIZE
typedef __fd_mask fd_mask;
#define NFDBITS __NFDBITS
#define FD_SET(fd, fdsetp) ((void)((fdsetp)->fds_bits[__FD_ELT(fd)] |= __FD_MASK(fd)))
#define FD_CLR(fd, fdsetp) ((void)((fdsetp)->fds_bits[__FD_ELT(fd)] &= ~__FD_MASK(fd)))
#define FD_ISSET(fd, fdsetp) (((fdsetp)->fds_bits[__FD_ELT(fd)] & __FD_MASK(fd)) != 0)
#define FD_ZERO(fdsetp)                                                                                   \
  do {                                                                                                    \
    for (unsigned int __i = 0; __i < sizeof(fd_set) / sizeof(__fd_mask); ++__i)                          \
      (fdsetp)->fds_bits[__i] = 0;                                                                        \
  } while (0)
#ifdef __cplusplus
extern "C" {
#endif
int select(int nfds, fd_set *__restrict readfds, fd_set *__restrict writefds, fd_set *__restrict exceptfds,
           struct timeval *__restrict timeout);
int pselect(int nfds, fd_set *__restrict readfds, fd_set *__restrict writefds, fd_set *__restrict exceptfds,
            const struct timespec *__restrict timeout, const __sigset_t *__restrict sigmask);
#ifdef __cplusplus
}
#endif
