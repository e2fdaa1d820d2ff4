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

/// Notes for the calls from a context's body down to a function:
/// "the thread's body calls 'run' here", then "which calls 'f' here".
void emitCallChainNotes(ClangTidyCheck &Check,
                        llvm::ArrayRef<const CallExpr *> Chain,
                        llvm::StringRef Noun);

/// "thread started here" at \p Start (if any), then the call chain.
void emitSpawnNotes(ClangTidyCheck &Check, const Expr *Start,
                    llvm::StringRef Noun,
                    llvm::ArrayRef<const CallExpr *> Chain);

/// The source text of \p E, shortened for a diagnostic.
std::string shortSourceText(const Expr *E, const ASTContext &Ctx);

} // namespace clang::tidy::threadleak

#endif
