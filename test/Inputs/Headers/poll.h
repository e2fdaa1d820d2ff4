#pragma once
// Stub of <poll.h> for threadleak's lit tests.
#include <sys/poll.h>
