//===--- JthreadIgnoresStopCheck.h - threadleak-jthread-ignores-stop -*- C++ -*-===//

#ifndef THREADLEAK_JTHREADIGNORESSTOPCHECK_H
#define THREADLEAK_JTHREADIGNORESSTOPCHECK_H

#include "engine/ForeverAnalysis.h"
#include "engine/Templates.h"
#include "model/ChannelModel.h"
#include "model/ConcurrencyModel.h"
#include "model/WaitModel.h"
#include "clang-tidy/ClangTidyCheck.h"
#include "llvm/ADT/StringSet.h"
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
  /// Match the instantiations the unit makes too; engine/Templates.h
  /// decides which template code is analysed.
  std::optional<TraversalKind> getCheckTraversalKind() const override {
    return TK_AsIs;
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
  /// A body that tests its token only between untimed waits that a stop
  /// request cannot wake: reports it and returns true.
  bool reportStopBlindWait(const CXXConstructExpr *Construct,
                           const Candidate &C, const FunctionDecl *Body,
                           const ParmVarDecl *Token, ForeverAnalysis &Loops);

  ConcurrencyModel Model;
  /// Model, for std::jthread: Boost's interrupt() never reaches it.
  ConcurrencyModel UninterruptibleModel;
  std::array<std::string, 2> RawOptions;
  std::unique_ptr<ForeverAnalysis> Analysis, UninterruptibleAnalysis;
  ASTContext *Ctx = nullptr;
  llvm::MapVector<const CXXConstructExpr *, Candidate> Candidates;
  /// One finding per template location, whatever instantiates it.
  FindingOnce Once;
  /// What blocks until another context releases it: channels (built in and
  /// the model file's) and condition variables.
  std::unique_ptr<ChannelModel> Channels;
  std::unique_ptr<ConditionVariableModel> CondVars;
  /// Stop methods of a class (the model file's added to the defaults).
  llvm::StringSet<> StopMethods;
};

} // namespace clang::tidy::threadleak

#endif
