//===--- ReplayMain.cpp - run fuzz inputs without libFuzzer ---------------===//
//
//   threadleak-fuzz-replay <target> <file>...
//
// Runs each file through the target once, as the fuzzer would: the crash
// inputs found so far, kept as a regression set that any compiler can build
// (test/cli/fuzz-regressions.test). Prints "<target>: N inputs" when none
// crashed.
//
//===----------------------------------------------------------------------===//

#include "FuzzTargets.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

int main(int argc, char **argv) {
  if (argc < 2 || !threadleak::fuzz::find(argv[1])) {
    llvm::errs() << "usage: threadleak-fuzz-replay <target> <file>...\n"
                 << "targets: " << threadleak::fuzz::names() << "\n";
    return 2;
  }
  threadleak::fuzz::Target Fn = threadleak::fuzz::find(argv[1]);
  for (int I = 2; I < argc; ++I) {
    auto Buf = llvm::MemoryBuffer::getFile(argv[I]);
    if (!Buf) {
      llvm::errs() << argv[I] << ": " << Buf.getError().message() << "\n";
      return 2;
    }
    Fn((*Buf)->getBuffer());
  }
  llvm::outs() << argv[1] << ": " << (argc - 2) << " inputs\n";
  return 0;
}
