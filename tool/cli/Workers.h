//===--- Workers.h - one isolated process per translation unit ------------===//
//
// Each translation unit is analysed in a child forked from the CLI: a crash
// (in clang or in a check) or a run over --tu-timeout costs that unit only,
// and the others go on. Children inherit the parsed configuration, so
// nothing is re-read; they hand their findings back as JSON.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_CLI_WORKERS_H
#define THREADLEAK_CLI_WORKERS_H

#include "Findings.h"
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace threadleak {

struct TUOutcome {
  enum StatusTy { Analysed, CompileFailed, Crashed, TimedOut, NotRun };
  StatusTy Status = Analysed;
  std::string File;
  /// Why it failed (a signal, the compiler could not run, ...).
  std::string Detail;
  /// Findings, compiler errors included.
  std::vector<Finding> Findings;
  /// Every file the analysis read (absolute paths).
  std::vector<std::string> Dependencies;
  double Seconds = 0;
  /// Diagnostics that NOLINT, NOLINTNEXTLINE or a NOLINTBEGIN/END block hid
  /// (clang-tidy's ErrorsIgnoredNOLINT).
  unsigned SuppressedByNolint = 0;
  /// Taken from the findings cache, not analysed in this run.
  bool FromCache = false;
  /// Cross-TU summaries (engine/CrossTU.h) of the functions the unit
  /// defines, as JSON text, by identity (empty: defined, no fact); first
  /// pass only.
  std::map<std::string, std::string> Summaries;
  /// Identities of the functions the unit asked about and found no body
  /// for, and those it would read if analysed again for the others
  /// (crosstu::want()); first pass only.
  std::vector<std::string> Asked, Wanted;

  bool failed() const { return Status != Analysed; }
};

/// The outcome as JSON (absolute paths), and back.
llvm::json::Value toJSON(const TUOutcome &O);
bool fromJSON(const llvm::json::Value &V, TUOutcome &O);

/// Analyses \p Inputs, at most \p Jobs at a time, each in its own child
/// process. \p Analyze runs in the child. \p OnDone runs in the parent, in
/// completion order, with the input's index. \p TimeoutSeconds 0: none.
void runIsolated(const std::vector<std::string> &Inputs, unsigned Jobs,
                 unsigned TimeoutSeconds,
                 const std::function<TUOutcome(const std::string &)> &Analyze,
                 const std::function<void(size_t, TUOutcome)> &OnDone);

} // namespace threadleak

#endif
