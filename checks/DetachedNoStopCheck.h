//===--- DetachedNoStopCheck.h - threadleak-detached-no-stop ---*- C++ -*-===//

#ifndef THREADLEAK_DETACHEDNOSTOPCHECK_H
#define THREADLEAK_DETACHEDNOSTOPCHECK_H

#include "engine/ForeverAnalysis.h"
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
    FireAndForget.clear();
  }
  bool isLanguageVersionSupported(const LangOptions &LangOpts) const override {
    return LangOpts.CPlusPlus;
  }
  /// Match what is written: template instantiations and implicit code are
  /// not traversed (cheaper than filtering them with isInTemplateInstantiation,
  /// whose hasAncestor builds the AST's whole parent map).
  std::optional<TraversalKind> getCheckTraversalKind() const override {
    return TK_IgnoreUnlessSpelledInSource;
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

  ConcurrencyModel Model;
  /// Model, for threads nobody can interrupt.
  ConcurrencyModel UninterruptibleModel;
  std::array<std::string, 5> RawOptions;
  llvm::DenseMap<const FunctionDecl *, bool> FireAndForget;
  std::unique_ptr<ForeverAnalysis> Analysis, UninterruptibleAnalysis;
};

} // namespace clang::tidy::threadleak

#endif
