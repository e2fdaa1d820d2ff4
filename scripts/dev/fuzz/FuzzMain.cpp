//===--- FuzzMain.cpp - libFuzzer entry point -----------------------------===//
//
// Built once per target with -DTHREADLEAK_FUZZ_TARGET=<function> by
// scripts/dev/fuzz.sh.
//
//===----------------------------------------------------------------------===//

#include "FuzzTargets.h"
#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  threadleak::fuzz::THREADLEAK_FUZZ_TARGET(
      llvm::StringRef(reinterpret_cast<const char *>(Data), Size));
  return 0;
}
