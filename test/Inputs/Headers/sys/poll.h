#pragma once
// Stub of <sys/poll.h> for threadleak's lit tests (as in glibc, <poll.h> just includes it).
#include <bits/types_stub.h>
#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
#define POLLRDHUP 0x2000
typedef unsigned long int nfds_t;
struct pollfd {
  int fd;
  short int events;
  short int revents;
};
#ifdef __cplusplus
extern "C" {
#endif
int poll(struct pollfd *fds, nfds_t nfds, int timeout);
int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout, const __sigset_t *sigmask);
#ifdef __cplusplus
}
#endif
