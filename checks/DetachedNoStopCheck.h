//===--- DetachedNoStopCheck.h - threadleak-detached-no-stop ---*- C++ -*-===//

#ifndef THREADLEAK_DETACHEDNOSTOPCHECK_H
#define THREADLEAK_DETACHEDNOSTOPCHECK_H

#include "engine/ForeverAnalysis.h"
#include "engine/Templates.h"
#include "model/ConcurrencyModel.h"
#include "clang-tidy/ClangTidyCheck.h"
#include "llvm/ADT/DenseMap.h"
#include <array>
#include <memory>

namespace clang::tidy::threadleak {

/// Finds detached threads whose body can run forever with no stop signal.
///
/// A detached thread cannot be joined; if its body loops with no way out it
/// lives until the process dies, holding everything it references, and
/// nothing can shut it down cleanly.
///
/// For the user-facing documentation see
/// docs/checks/threadleak-detached-no-stop.md
class DetachedNoStopCheck : public ClangTidyCheck {
public:
  DetachedNoStopCheck(StringRef Name, ClangTidyContext *Context);
  void storeOptions(ClangTidyOptions::OptionMap &Opts) override;
  void registerMatchers(ast_matchers::MatchFinder *Finder) override;
  void check(const ast_matchers::MatchFinder::MatchResult &Result) override;
  void onEndOfTranslationUnit() override {
    Analysis.reset();
    UninterruptibleAnalysis.reset();
    SummaryAnalysis.reset();
    Once.clear();
    FireAndForget.clear();
  }
  bool isLanguageVersionSupported(const LangOptions &LangOpts) const override {
    return LangOpts.CPlusPlus;
  }
  /// Match the instantiations the unit makes too; engine/Templates.h
  /// decides which template code is analysed.
  std::optional<TraversalKind> getCheckTraversalKind() const override {
    return TK_AsIs;
  }

private:
  /// Reports the coroutine \p Body, started detached at \p Start (the
  /// call that made it), if it can loop forever and was not started by
  /// main(); true if it did.
  bool reportCoroutine(SourceLocation Loc, const Expr *Start,
                       const FunctionDecl *Body, ASTContext &Ctx);
  /// Whether calls of \p Coroutine (a definition) start a context nobody
  /// can await or join; cached per coroutine.
  bool isFireAndForget(const FunctionDecl *Coroutine);
  /// Reports \p Body if it can loop forever; true if it did.
  bool report(SourceLocation DetachLoc, const Expr *Start,
              const FunctionDecl *Body, ASTContext &Ctx,
              bool Interruptible, llvm::StringRef Noun = "thread");
  /// The loop analysis; \p Interruptible: Boost interruption points are
  /// ways out (somebody may call interrupt() on the thread).
  ForeverAnalysis &analysis(ASTContext &Ctx, bool Interruptible);

  /// Cross-TU, first pass: records what other units may rely on about
  /// \p FD (it loops forever), if they can call it (CrossTU.h).
  void summarise(const FunctionDecl *FD, ASTContext &Ctx);
  /// Cross-TU, first pass: the thread detached at \p DetachLoc runs
  /// \p Callable, a parameter of the function that starts it: records that
  /// the function starts a detached thread on that parameter.
  void recordDetachedParameter(const Expr *Callable, const Expr *Start,
                               SourceLocation DetachLoc, bool Interruptible,
                               llvm::StringRef Noun, ASTContext &Ctx);
  /// Cross-TU: \p Call hands a callable whose body loops forever to a
  /// function defined in another unit; reports it if that function starts
  /// a detached thread on it.
  void checkCallToSpawner(const CallExpr *Call, ASTContext &Ctx);

  ConcurrencyModel Model;
  /// Model, for threads nobody can interrupt.
  ConcurrencyModel UninterruptibleModel;
  std::array<std::string, 5> RawOptions;
  llvm::DenseMap<const FunctionDecl *, bool> FireAndForget;
  std::unique_ptr<ForeverAnalysis> Analysis, UninterruptibleAnalysis;
  /// For summaries: interruption points count as ways out (a summary must
  /// hold whoever runs the function), and no summaries of other units are
  /// read (a summary depends on its own unit only).
  std::unique_ptr<ForeverAnalysis> SummaryAnalysis;
  /// One finding per template location, whatever instantiates it.
  FindingOnce Once;
};

} // namespace clang::tidy::threadleak

#endif
