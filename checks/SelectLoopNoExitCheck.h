//===--- SelectLoopNoExitCheck.h - threadleak-select-loop-no-exit -*- C++ -*-===//

#ifndef THREADLEAK_SELECTLOOPNOEXITCHECK_H
#define THREADLEAK_SELECTLOOPNOEXITCHECK_H

#include "engine/ContextSpawns.h"
#include "engine/ForeverAnalysis.h"
#include "engine/Templates.h"
#include "model/ConcurrencyModel.h"
#include "model/WaitModel.h"
#include "clang-tidy/ClangTidyCheck.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/MapVector.h"
#include <memory>

namespace clang::tidy::threadleak {

/// Finds endless loops around a multi-way wait in a thread or coroutine
/// with no exit case and no stop or cancellation check.
///
/// A select-style loop (`co_await (a || b)`, a parallel group's
/// `wait_for_one`, poll/epoll_wait/select) that no alternative leaves keeps
/// its thread or coroutine, and everything it references, alive for good.
///
/// For the user-facing documentation see
/// docs/checks/threadleak-select-loop-no-exit.md
class SelectLoopNoExitCheck : public ClangTidyCheck {
public:
  SelectLoopNoExitCheck(StringRef Name, ClangTidyContext *Context);
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
  /// A thread or coroutine whose loops are examined.
  struct Context {
    /// The spawn site, if one was seen (for the "started here" note).
    const Expr *Start = nullptr;
    llvm::StringRef Noun = "thread";
    /// Spawned with a token that lets its spawner cancel it (a bound
    /// cancellation slot, or awaited by a parent): an awaited operation
    /// that throws on cancellation is then a way out.
    bool Cancellable = false;
    /// Every spawn site seen (for "spawned only by main()").
    llvm::SmallVector<const Expr *, 2> Starts;
    /// Some start may run it on a thread that somebody interrupts with
    /// Boost.Thread's interrupt() (a coroutine, a fiber, a user's spawn):
    /// Boost interruption points are ways out.
    bool Interruptible = false;
    /// The boost::thread starts: interruptible if interrupt() can reach
    /// the handle (decided only for a finding).
    llvm::SmallVector<const Expr *, 1> BoostStarts;
  };
  /// \p Loop has a Boost interruption point and interrupt() may reach
  /// the boost::thread that runs it.
  bool leftByInterruption(const EndlessLoop &Loop, const Context &C);
  /// Started only by main(): the process's lifetime.
  bool onlyFromMain(const Context &C);
  void analyse(const FunctionDecl *Body, const Context &C);
  void search(const FunctionDecl *Fn, const Context &C, unsigned Depth,
              llvm::SmallVectorImpl<const CallExpr *> &Chain,
              llvm::DenseSet<const FunctionDecl *> &Seen);
  /// The first multi-way wait the loop performs, itself or in a function it
  /// calls (with the calls that lead there).
  const Expr *findWait(const EndlessLoop &Loop,
                       llvm::SmallVectorImpl<const CallExpr *> &Calls);
  const Expr *findWaitIn(const FunctionDecl *Fn, unsigned Depth,
                         llvm::SmallVectorImpl<const CallExpr *> &Calls);
  void report(const EndlessLoop &Loop, const Expr *Wait,
              llvm::ArrayRef<const CallExpr *> WaitCalls,
              llvm::ArrayRef<const CallExpr *> Chain, const Context &C);

  ConcurrencyModel Model;
  /// Model, for contexts nobody can interrupt.
  ConcurrencyModel UninterruptibleModel;
  SpawnSiteOptions Spawns;
  NameList SelectFunctions;
  /// A Go-style select of case objects (the model file's SelectCases).
  SelectCaseModel Cases;
  std::string SelectFunctionsOption, StopSignalFunctionsOption;
  ASTContext *Ctx = nullptr;
  std::unique_ptr<ForeverAnalysis> Analysis, UninterruptibleAnalysis;
  /// The analysis for the context being searched.
  ForeverAnalysis *Active = nullptr;
  /// Bodies to analyse, in the order they were found.
  llvm::MapVector<const FunctionDecl *, Context> Contexts;
  /// The loops reported, by location: one finding per template location,
  /// whatever instantiates it.
  FindingOnce Reported;
};

} // namespace clang::tidy::threadleak

#endif
