//===--- PathNotes.h - notes that explain why a context never ends --------===//

#ifndef THREADLEAK_ENGINE_PATHNOTES_H
#define THREADLEAK_ENGINE_PATHNOTES_H

#include "engine/ForeverAnalysis.h"
#include "clang-tidy/ClangTidyCheck.h"

namespace clang::tidy::threadleak {

/// Emits, after a warning, the notes that lead from the context's body to
/// the loop it cannot leave: each call followed, then the loop itself.
/// \p Noun names the context ("thread", "coroutine").
void emitEndlessLoopNotes(ClangTidyCheck &Check, const EndlessLoop &Loop,
                          const ASTContext &Ctx,
                          llvm::StringRef Noun = "thread");

/// The source text of \p E, shortened for a diagnostic.
std::string shortSourceText(const Expr *E, const ASTContext &Ctx);

} // namespace clang::tidy::threadleak

#endif
