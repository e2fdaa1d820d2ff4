#pragma once
// Stub of <tbb/concurrent_queue.h> for threadleak's lit tests.
#include "../oneapi/tbb/concurrent_queue.h"
