#pragma once
// Stub of oneTBB's detail/_namespace_injection.h: oneapi::tbb is ::tbb.
namespace tbb {}
namespace oneapi {
namespace tbb = ::tbb;
}
