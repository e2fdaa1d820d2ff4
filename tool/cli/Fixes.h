//===--- Fixes.h - apply and export the checks' fix-its --------------------===//
//
// --fix applies the fix-its of the reported findings in place; --export-fixes
// writes them as clang-apply-replacements YAML, the format clang-tidy's
// --export-fixes writes.
//
// Findings come from many translation units: a header's fix can arrive once
// per unit that includes it, and two checks can edit the same bytes. As in
// clang-apply-replacements, identical replacements are applied once; a fix
// that overlaps one already chosen is left out whole (never half a fix), and
// findings are taken in report order, so the outcome does not depend on -j
// or on the order of the database.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_CLI_FIXES_H
#define THREADLEAK_CLI_FIXES_H

#include "Findings.h"
#include "llvm/Support/Error.h"
#include <string>
#include <vector>

namespace threadleak {

struct FixPlan {
  enum StatusTy { NoFix, Chosen, Conflict };
  /// Per finding, in the order given.
  std::vector<StatusTy> Status;
  /// The replacements to make, duplicates removed, sorted by file, then
  /// offset (an insertion before a replacement at the same offset).
  std::vector<Replacement> Edits;

  unsigned count(StatusTy S) const;
};

/// Which fixes of \p Findings can be applied together.
FixPlan planFixes(const std::vector<Finding> &Findings);

/// A file that could not be changed, and why.
struct FixFailure {
  std::string Path;
  std::string Message;
};

/// Makes \p Edits, each file written whole (a temporary file renamed over
/// it, its mode kept) or not at all. A file whose edits fall outside it (it
/// changed since it was analysed) is left alone and reported.
std::vector<FixFailure> applyEdits(const std::vector<Replacement> &Edits);

/// The findings as clang-tidy's --export-fixes writes them
/// (tooling::TranslationUnitDiagnostics in YAML): every finding, with its
/// notes and its fix (if any), for clang-apply-replacements.
void exportFixes(const std::vector<Finding> &Findings,
                 llvm::StringRef MainSourceFile, llvm::raw_ostream &OS);

} // namespace threadleak

#endif
