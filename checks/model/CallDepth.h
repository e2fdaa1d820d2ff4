//===--- CallDepth.h - the MaxCallDepth option, bounded -------*- C++ -*-===//
//
// The analyses follow a body's calls to MaxCallDepth levels, recursing once
// (or a few times) per level: an unbounded value on a long call chain
// overflows the stack. Values above MaxCallDepthLimit are a configuration
// error, and the limit is used.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_MODEL_CALLDEPTH_H
#define THREADLEAK_MODEL_CALLDEPTH_H

#include "clang-tidy/ClangTidyCheck.h"

namespace clang::tidy::threadleak {

/// Deeper than any call chain worth following, shallow enough for the stack.
constexpr unsigned MaxCallDepthLimit = 64;

/// The check's MaxCallDepth option (default \p Default, 4 unless the check
/// says otherwise), at most MaxCallDepthLimit.
inline unsigned readMaxCallDepth(const ClangTidyCheck &Check,
                                 llvm::StringRef CheckName,
                                 const ClangTidyCheck::OptionsView &Options,
                                 unsigned Default = 4) {
  unsigned Depth = Options.get("MaxCallDepth", Default);
  if (Depth <= MaxCallDepthLimit)
    return Depth;
  Check.configurationDiag(
      "invalid configuration value '%0' for option '%1': at most %2")
      << Depth << (CheckName + ".MaxCallDepth").str() << MaxCallDepthLimit;
  return MaxCallDepthLimit;
}

} // namespace clang::tidy::threadleak

#endif
