//===--- CvWaitNoStopCheck.h - threadleak-cv-wait-no-stop -------*- C++ -*-===//

#ifndef THREADLEAK_CVWAITNOSTOPCHECK_H
#define THREADLEAK_CVWAITNOSTOPCHECK_H

#include "clang-tidy/ClangTidyCheck.h"
#include "engine/ContextSpawns.h"
#include "engine/CrossTU.h"
#include "engine/ForeverAnalysis.h"
#include "engine/Lenders.h"
#include "engine/Templates.h"
#include "model/ChannelModel.h"
#include "model/ConcurrencyModel.h"
#include "model/CounterModel.h"
#include "model/WaitModel.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include <memory>
#include <optional>
#include <vector>

namespace clang::tidy::threadleak {

/// Finds workers waiting on a condition variable with no shutdown
/// condition, no notify on the stop path, and no stop_token overload.
///
/// A worker thread waits until its predicate holds. If the owner's stop
/// path (destructor, stop(), shutdown()) changes nothing the predicate
/// reads, or changes it without notifying, the worker sleeps forever and
/// the join in the destructor hangs.
///
/// For the user-facing documentation see
/// docs/checks/threadleak-cv-wait-no-stop.md
class CvWaitNoStopCheck : public ClangTidyCheck {
public:
  CvWaitNoStopCheck(StringRef Name, ClangTidyContext *Context);
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

  /// What a stop path does, through the functions it calls.
  struct Effects {
    /// Variables and data members it may change, with where.
    llvm::DenseMap<const ValueDecl *, const Stmt *> Writes;
    /// Condition variables it notifies (and semaphores it releases).
    llvm::DenseSet<const ValueDecl *> Notifies;
    /// Condition variables it waits on (and semaphores it acquires).
    llvm::DenseSet<const ValueDecl *> Waits;
    /// It calls code we cannot read with access to the object (or
    /// interrupts a Boost thread): assume it wakes the worker.
    bool Unknown = false;
    /// It calls request_stop(): a stop token's state changes.
    const CallExpr *RequestsStop = nullptr;
    /// Writes a function defined in another unit makes (Writes holds the
    /// call of it here): where, in that unit's files.
    llvm::DenseMap<const ValueDecl *, SourceLocation> WriteLocs;
  };

private:
  struct Worker {
    const Expr *Start;
    const FunctionDecl *Body;
    llvm::StringRef Noun;
  };
  /// \p Known: parameters of \p Fn whose truth the call into it decides
  /// (a branch their test rules out is not followed).
  void findWaits(const Worker &W, const FunctionDecl *Fn, unsigned Depth,
                 llvm::SmallVectorImpl<const CallExpr *> &Chain,
                 llvm::DenseSet<const FunctionDecl *> &Seen,
                 const ParamTruth &Known);
  void analyse(const Worker &W, const ConditionWait &Wait,
               const FunctionDecl *Fn,
               llvm::ArrayRef<const CallExpr *> Chain);
  /// An untimed wait to judge against the stop paths: one of this unit,
  /// or one a member function defined in another unit makes (from its
  /// cross-TU summary).
  struct WaitSite {
    /// The call is null for a wait of another unit.
    ConditionWait Wait;
    /// The function the wait is in; null for a wait of another unit.
    const FunctionDecl *Fn = nullptr;
    /// The wait, and its predicate or the loop around it.
    SourceLocation Loc, AnchorLoc;
    bool Predicate = false;
    llvm::SmallVector<const ValueDecl *, 8> Reads;
    bool ReadsStopToken = false;
    /// In the other unit's files: the calls from the function called here
    /// down to the wait.
    llvm::SmallVector<std::pair<SourceLocation, std::string>, 2> ExternalChain;
  };
  void judge(const Worker &W, const WaitSite &Site,
             llvm::ArrayRef<const CallExpr *> Chain);
  /// \p Call (the last of \p Chain) calls \p Callee, a member function
  /// defined in another unit: judges the waits its summary lists.
  void analyseExternalWaits(const Worker &W, const CallExpr *Call,
                            const CXXMethodDecl *Callee,
                            llvm::ArrayRef<const CallExpr *> Chain);
  /// Wants (crosstu::want(), first pass) the summaries of the stop paths
  /// of \p RD defined elsewhere, and of what the others call.
  void wantStopPaths(const CXXRecordDecl *RD);
  /// The class (or a base) has a condition variable as a data member: its
  /// member functions may wait on it.
  bool holdsConditionVariable(const CXXRecordDecl *RD,
                              unsigned Depth = 0) const;
  /// Records, for the cross-TU pass, the waits \p Fn (reached from \p M
  /// through \p Chain, calls on `this`) makes on the condition variables of
  /// its object whatever its caller passes.
  void summariseWaits(const CXXMethodDecl *M, const FunctionDecl *Fn,
                      unsigned Depth,
                      llvm::SmallVectorImpl<const CallExpr *> &Chain,
                      llvm::DenseSet<const FunctionDecl *> &Seen,
                      std::vector<crosstu::FunctionSummary::Wait> &Out);
  /// A semaphore's `acquire()` in a loop of the worker (derecho#14): the
  /// stop path that changes what the loop tests must also release it.
  void analyseAcquire(const Worker &W, const CXXMemberCallExpr *Call,
                      const ValueDecl *Sem, const FunctionDecl *Fn,
                      llvm::ArrayRef<const CallExpr *> Chain);
  /// The std::jthread (a variable or a data member) whose destructor is
  /// the stop path of \p W's wait \p Wait in \p Fn, when
  /// threadleak-jthread-ignores-stop leaves that wait to this check; null
  /// otherwise. \p Owned: that check certainly reports the callable (an
  /// endless loop, or an ignored token and the wait in the callable).
  const NamedDecl *stoppingJthread(const Worker &W, const CallExpr *Wait,
                                   const FunctionDecl *Fn, bool &Owned);
  void addStopMethods(const std::vector<std::string> &Names);
  bool isStopMethodName(llvm::StringRef Name) const;
  /// \p M waits, untimed, for nothing but a stop: its code after that runs once
  /// a stop is requested (a drainer started on the stop token).
  bool waitsForStop(const CXXMethodDecl *M) const;
  /// \p M is a stop path: the user-provided destructor, a non-const
  /// StopMethods member, or one that waits for nothing but a stop.
  bool isStopPath(const CXXMethodDecl *M) const;
  /// Records, for the cross-TU pass, the effects of \p M, a stop path this
  /// file defines that other files may declare, or, for another member
  /// function, the waits it makes on its object's condition variables.
  void summarise(const CXXMethodDecl *M);
  /// The code that answers \p W's wait \p Site (reached through \p Chain)
  /// when the wait is for a reply: on its way to the wait, in the iteration
  /// that reaches it, the worker notifies (or releases) what that code
  /// waits for before it changes what the predicate reads and notifies the
  /// wait's condition variable. Null if none.
  const FunctionDecl *replyingCode(const Worker &W, const WaitSite &Site,
                                   llvm::ArrayRef<const CallExpr *> Chain);
  /// Each level of \p W's way to the wait \p Site through \p Chain, from
  /// the wait outwards: the function, and its call that leads on (the wait
  /// itself in the function it is in); a function with no body here is
  /// null.
  llvm::SmallVector<std::pair<const FunctionDecl *, const CallExpr *>, 4>
  wayToWait(const Worker &W, const WaitSite &Site,
            llvm::ArrayRef<const CallExpr *> Chain);
  /// The functions \p W calls directly before it reaches the wait \p Site
  /// through \p Chain: at each level, the calls that end before the call
  /// that leads on (canonical declarations).
  void calledBeforeWait(const Worker &W, const WaitSite &Site,
                        llvm::ArrayRef<const CallExpr *> Chain,
                        llvm::SmallPtrSetImpl<const Decl *> &Out);
  /// Every function and lambda defined in the TU outside system headers,
  /// found once, when first asked.
  llvm::ArrayRef<const FunctionDecl *> definedFunctions();
  /// Nothing that can reach \p CV notifies it or changes \p Reads.
  bool neverWoken(const ValueDecl *CV, llvm::ArrayRef<const ValueDecl *> Reads);
  const Effects &effectsOf(const FunctionDecl *Root, const FunctionDecl *Skip);
  void collect(const Stmt *S, Effects &E, unsigned Depth,
               llvm::DenseSet<const FunctionDecl *> &Visited,
               const FunctionDecl *Skip);

  ConcurrencyModel Model;
  SpawnSiteOptions Spawns;
  NameList CVTypes;
  /// Stop words, lower case without underscores (see isStopMethodName).
  std::vector<std::string> StopMethods;
  std::string CVTypesOption, StopMethodsOption;
  std::unique_ptr<ConditionVariableModel> CVs;
  /// Channel operations are not followed into (their waits are the
  /// channel checks').
  std::unique_ptr<ChannelModel> Channels;
  /// Nor a wait group's the model file declares.
  std::unique_ptr<CounterModel> Counters;
  std::unique_ptr<ForeverAnalysis> Analysis;
  /// Loops as threadleak-jthread-ignores-stop sees them in a std::jthread:
  /// Boost's interruption points do nothing there.
  ConcurrencyModel JthreadModel;
  std::unique_ptr<ForeverAnalysis> JthreadLoops;
  /// Per stop path, and the worker lambda left out of it.
  llvm::DenseMap<std::pair<const FunctionDecl *, const FunctionDecl *>,
                 Effects>
      EffectCache;
  std::optional<std::vector<const FunctionDecl *>> Defined;
  /// Who lends the worker's class the objects it borrows; made on first
  /// use in a translation unit.
  std::unique_ptr<MemberLenders> Lending;
  /// The waits reported, by location: one finding per template location,
  /// whatever instantiates it.
  FindingOnce Reported;
  ASTContext *Ctx = nullptr;
};

} // namespace clang::tidy::threadleak

#endif
