//===--- FuzzTargets.h - threadleak's input readers, for fuzzing -*- C++ -*-===//
//
// One function per reader of untrusted input. Each takes arbitrary bytes and
// must return without crashing, hanging or growing without bound, whatever
// they are: libFuzzer drives them (scripts/dev/fuzz.sh), and
// threadleak-fuzz-replay runs the regression inputs in the test suite
// (test/cli/fuzz-regressions.test).
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_FUZZ_TARGETS_H
#define THREADLEAK_FUZZ_TARGETS_H

#include "llvm/ADT/StringRef.h"

namespace threadleak::fuzz {

using Target = void (*)(llvm::StringRef Input);

/// The compilation database reader (compile_commands.json).
void database(llvm::StringRef Input);
/// The model-file parser (.threadleak.yaml, --config-file, Channels option).
void model(llvm::StringRef Input);
/// The --baseline reader.
void baseline(llvm::StringRef Input);
/// The --merge reader (JSON reports).
void merge(llvm::StringRef Input);
/// The --line-filter parser.
void lineFilter(llvm::StringRef Input);
/// The --diff parser (unified diffs, git's quoted names).
void diff(llvm::StringRef Input);
/// Findings-cache entries and worker results (a TUOutcome as JSON).
void cacheEntry(llvm::StringRef Input);

/// The target called \p Name ("database", "model", ...), or null.
Target find(llvm::StringRef Name);
/// Every target's name, space-separated.
const char *names();

} // namespace threadleak::fuzz

#endif
