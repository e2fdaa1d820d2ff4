//===--- BlockingAnalysis.h - can this operation wait forever? --*- C++ -*-===//
//
// The blocking analysis over the translation unit's code units (the
// SyncInventory): for every function and lambda, a forward dataflow over
// its CFG of the locks it must hold (keys: ObjectKey access paths), the
// locks it may have released, and the blocking operations it performs
// (channel sends and receives, condition-variable waits), with callee
// summaries applied at calls (keys mapped through the call's object and
// arguments). On that, five questions, each a way an operation waits with
// no partner that can ever match it:
//
//  - SelfDeadlock: a non-recursive mutex acquired by code that already
//    holds it (directly, or in a callee reached while holding it);
//  - LeakedLock: a function returns on one path still holding a mutex it
//    locked and releases on the others, and no caller releases it: the next
//    acquisition, elsewhere, waits forever;
//  - LockOrder: one piece of code acquires B while holding A, another A
//    while holding B (AB-BA);
//  - HeldByPartner: a blocking channel operation or wait performed while
//    holding a mutex that every operation able to release it (the other
//    side of the channel, a notify) runs under;
//  - NoPartner: a blocking operation on an object private to the function
//    (created there, never shared) that nothing there releases;
//  - JoinUnderLock: a join() made while holding a mutex that the joined
//    thread's body acquires: it may never finish; likewise a wait group's
//    wait whose count-down comes, in code started apart, after that code
//    may acquire the mutex;
//  - Outlived: a receive in a loop that cannot be left while a partner
//    remains (its way out is an operation nothing that runs performs),
//    whose partners are all finite: other code that creates the object,
//    sends to it and runs to its end;
//  - PartnerLeaves: a send whose only receivers are loops that another
//    arm of their race ends (or that race once, and go on), fired by code
//    that nothing orders after the send; or a feeder's send in a loop
//    whose receivers, started before that loop, may all leave their loops
//    on their own (an early return on an error);
//  - PartnerGivesUp: a send on an unbuffered channel (or a receive, once)
//    whose every partner may give up (a timeout, a stop token something
//    stops, a poll) and moves on when it does;
//  - PartnerSkips: a wait, once, on an object its own code creates, whose
//    every partner is in code that code runs before it (a thread, a
//    std::async task, a call), some path of which returns without the
//    partner (an error return before the `set_value()`);
//  - PoolStarvation (engine/PoolStarvation, a question of its own over the
//    same inventory): a thread pool's task waits for a task it queued on
//    the same pool, and every worker can be such a task;
//  - WaitCycle: every operation that could complete a blocking operation
//    runs only after it completes: later in the same code (which runs
//    once), or after another wait whose partners do (each waits for the
//    other).
//
// "Held back" (gated) partners also extend HeldByPartner: a partner that
// runs only after a loop whose every round takes the mutex, or only after
// a wait all of whose partners need the mutex.
//
// Budgets: MaxCallDepth levels of callee summaries; a CFG whose dataflow
// does not settle within its iteration budget is left out (silence).
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_ENGINE_BLOCKINGANALYSIS_H
#define THREADLEAK_ENGINE_BLOCKINGANALYSIS_H

#include "engine/ObjectKey.h"
#include "engine/SyncInventory.h"
#include "model/ChannelModel.h"
#include "model/ContextModel.h"
#include "model/CounterModel.h"
#include "model/LockModel.h"
#include "model/WaitModel.h"
#include <memory>
#include <vector>

namespace clang::tidy::threadleak {

/// A step of a witness: a statement and what happens there.
struct WitnessStep {
  const Stmt *At = nullptr;
  std::string What;
  /// Where, when it is a declaration rather than a statement.
  SourceLocation Loc = SourceLocation();
};

struct BlockingFinding {
  enum KindTy {
    SelfDeadlock,
    LeakedLock,
    LockOrder,
    HeldByPartner,
    NoPartner,
    JoinUnderLock,
    JoinFirst,
    Counts,
    WaitCycle,
    Outlived,
    PartnerLeaves,
    PartnerGivesUp,
    PartnerSkips,
    PoolStarvation
  };
  KindTy Kind;
  /// Where it is reported.
  const Stmt *At = nullptr;
  std::string Message;
  /// Notes, in causal order.
  std::vector<WitnessStep> Notes;
};

struct BlockingStats {
  unsigned Units = 0, Analysed = 0, OverBudget = 0;
};

class BlockingAnalysis {
public:
  BlockingAnalysis(ASTContext &Ctx, const SyncInventory &Inv,
                   const LockModel &Locks, const ChannelModel &Channels,
                   const ConditionVariableModel &CVs,
                   const CounterModel &Counters, const NameList &ThreadTypes,
                   unsigned MaxCallDepth);
  ~BlockingAnalysis();

  /// Runs every question; findings in the order of their location, one per
  /// location.
  std::vector<BlockingFinding> run();
  /// What the analysis saw, as stable text (threadleak --dump-model): every
  /// code unit it analysed with its skeleton (lock events, operations on
  /// channels and condition variables, calls with their resolved targets,
  /// returns), each with the locks held there; the abstract objects with the
  /// names that reach them; the std::function targets; the contexts (units
  /// nothing calls directly: roots, thread bodies, callbacks). Call after
  /// run().
  void dump(llvm::raw_ostream &OS) const;
  /// Keep what dump() prints (before run()).
  void setDumping(bool On);
  /// Mutex types whose waiting writer holds back new readers (default:
  /// defaults::WriterPreferringMutexes).
  void setWriterPreferringMutexes(const NameList &Types);
  /// The case constructors of a Go-style select (the model file's
  /// `SelectCases`): a select call whose arguments are cases is a race of
  /// their operations, which never blocks with a default case.
  void setSelectCases(const SelectCaseModel &Cases);
  /// Go-style contexts (the model file's `Contexts`): a receive from a
  /// context's done channel is one from the context, which its cancels
  /// close. \p M outlives the analysis.
  void setContexts(const ContextModel *M);
  /// Functions that run a callable they are handed once, elsewhere (an
  /// executor's post, a thread pool's submit): a lambda handed to one runs
  /// where it is written (default: defaults::RunOnceSubmitFunctions).
  void setRunOnceFunctions(const NameList &Fns);
  /// Template patterns left out of the inventory (engine/Templates.h: the
  /// instantiated ones, and those with dependent code): not analysed as
  /// written, but a member they name may have a partner there.
  void setUnanalysedTemplates(std::vector<const FunctionDecl *> Fns);
  const BlockingStats &stats() const { return Stats; }

private:
  class Impl;
  std::unique_ptr<Impl> P;
  BlockingStats Stats;
};

} // namespace clang::tidy::threadleak

#endif
