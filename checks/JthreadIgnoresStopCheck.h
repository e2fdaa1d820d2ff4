//===--- JthreadIgnoresStopCheck.h - threadleak-jthread-ignores-stop -*- C++ -*-===//

#ifndef THREADLEAK_JTHREADIGNORESSTOPCHECK_H
#define THREADLEAK_JTHREADIGNORESSTOPCHECK_H

#include "engine/ForeverAnalysis.h"
#include "model/ConcurrencyModel.h"
#include "clang-tidy/ClangTidyCheck.h"
#include "llvm/ADT/MapVector.h"
#include <array>
#include <memory>

namespace clang::tidy::threadleak {

/// Finds std::jthreads whose callable never observes its std::stop_token
/// while it loops forever or blocks.
///
/// ~jthread() calls request_stop() and then join(): a callable that ignores
/// the stop request never returns, so the destructor, and whoever owns the
/// jthread, hangs.
///
/// For the user-facing documentation see
/// docs/checks/threadleak-jthread-ignores-stop.md
class JthreadIgnoresStopCheck : public ClangTidyCheck {
public:
  JthreadIgnoresStopCheck(StringRef Name, ClangTidyContext *Context);
  void storeOptions(ClangTidyOptions::OptionMap &Opts) override;
  void registerMatchers(ast_matchers::MatchFinder *Finder) override;
  void check(const ast_matchers::MatchFinder::MatchResult &Result) override;
  void onEndOfTranslationUnit() override;
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
  /// A jthread construction and what holds it, gathered from several
  /// matchers (the variable, the member) before it is analysed.
  struct Candidate {
    const VarDecl *Var = nullptr;
    const FieldDecl *Field = nullptr;
  };
  void analyze(const CXXConstructExpr *Construct, const Candidate &C);
  void noteUnusedToken(const ParmVarDecl *Token);

  ConcurrencyModel Model;
  std::array<std::string, 2> RawOptions;
  std::unique_ptr<ForeverAnalysis> Analysis;
  ASTContext *Ctx = nullptr;
  llvm::MapVector<const CXXConstructExpr *, Candidate> Candidates;
};

} // namespace clang::tidy::threadleak

#endif
