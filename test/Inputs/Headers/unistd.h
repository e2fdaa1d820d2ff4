#pragma once
// Stub of <unistd.h> for threadleak's lit tests.
#include <bits/types_stub.h>
#ifdef __cplusplus
extern "C" {
#endif
int close(int fd);
ssize_t read(int fd, void *buf, size_t nbytes);
ssize_t write(int fd, const void *buf, size_t n);
int pipe(int pipedes[2]);
#ifdef __cplusplus
}
#endif
