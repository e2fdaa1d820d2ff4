//===--- ForeverAnalysis.h - can a context run forever? -------------------===//
//
// Decides, on clang's CFG, whether a function run as a thread body contains a
// loop that nothing can end: a cycle of the CFG with no edge out of it, once
// the exit edge of a `while`/`for` whose condition reads only state that
// nothing can change is discounted. Exits are `break`, `return`, `goto` out,
// `throw`, calls that end the thread or process on purpose (pthread_exit,
// exit), calls that observe a stop request by unwinding (Boost interruption
// points), all from the StopSignalFunctions option, and calls into functions
// of the translation unit that may throw or end the thread. An edge into a
// crash (an assert failure, abort(), any other noreturn call) is no exit. Calls from the body into functions
// defined in the translation unit are followed, to a bounded depth, so
// `std::thread([this] { run(); })` is analysed through `run()`.
//
// Results and CFGs are cached per function, so each function of a
// translation unit is analysed at most once per depth, and only functions
// reachable from a matched spawn site are ever looked at.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_ENGINE_FOREVERANALYSIS_H
#define THREADLEAK_ENGINE_FOREVERANALYSIS_H

#include "model/ConcurrencyModel.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/Stmt.h"
#include "clang/AST/ExprCXX.h"
#include "clang/Analysis/CFG.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/SmallVector.h"
#include <memory>
#include <optional>

namespace clang::tidy::threadleak {

/// A loop that can run forever, and how the body reaches it.
struct EndlessLoop {
  enum KindTy {
    /// No edge leads out of the loop.
    NoExit,
    /// The only way out is a `while`/`for` condition that reads nothing the
    /// program can change once the loop runs.
    UnchangingCondition,
    /// The only ways out are tested right after a timed wait returns with
    /// its predicate true, and contradict it; a timeout goes back to the
    /// wait: an untimed wait in disguise.
    DeadExitAfterWait,
  };
  KindTy Kind = NoExit;
  /// The loop statement (while/for/do/range-for), or the first statement of
  /// a goto-built cycle.
  const Stmt *Loop = nullptr;
  /// The condition that never changes (UnchangingCondition), or the way
  /// out that cannot hold after the wait (DeadExitAfterWait).
  const Expr *Condition = nullptr;
  /// The timed wait (DeadExitAfterWait only).
  const CallExpr *Wait = nullptr;
  /// The function that contains the loop.
  const FunctionDecl *Function = nullptr;
  /// Calls from the analysed body down to Function, outermost first.
  llvm::SmallVector<const CallExpr *, 4> CallChain;
  /// The statements of the cycle's CFG blocks (what runs on every turn or
  /// on some turn of the loop), in CFG order.
  llvm::SmallVector<const Stmt *, 16> Statements;

  /// The loop is in a function another translation unit defines, called
  /// by the last call of CallChain (a cross-TU summary, see CrossTU.h):
  /// Loop is that call, Statements is empty, and the notes below point into
  /// the other unit's files (loaded into this unit's source manager).
  bool External = false;
  /// The calls from the external function down to its loop.
  llvm::SmallVector<std::pair<SourceLocation, std::string>, 2> ExternalChain;
  SourceLocation ExternalLoop;
  /// The condition's text (UnchangingCondition, DeadExitAfterWait).
  std::string ExternalCondition;
  /// The timed wait (DeadExitAfterWait).
  SourceLocation ExternalWait;
};

class ForeverAnalysis {
public:
  ForeverAnalysis(ASTContext &Ctx, const ConcurrencyModel &Model);
  ~ForeverAnalysis();

  /// Finds a loop that a context running \p Body can never leave, in the
  /// body or in a function it calls (first in source order). With
  /// enableCrossTU(), also in a function another unit defines (its summary).
  std::optional<EndlessLoop> findEndlessLoop(const FunctionDecl *Body);

  /// Every loop of \p Fn itself (calls not followed) that nothing can end,
  /// in source order of the loops.
  llvm::ArrayRef<EndlessLoop> localEndlessLoops(const FunctionDecl *Fn);

  /// True if `co_await` \p Await may end the loop around it by throwing:
  /// it throws when an object others can reach fails (a channel closed, a
  /// timer or socket cancelled), and no try block inside the loop catches
  /// it.
  bool awaitMayLeave(const CoawaitExpr *Await, const FunctionDecl *Fn);

  /// A local of \p Fn that only \p Fn uses, only as the object of its own
  /// member calls: nobody else can close or cancel it.
  bool isPrivateLocal(const ValueDecl *D, const FunctionDecl *Fn);

  /// The first call in \p Fn (source order) to a wait that blocks with no
  /// timeout and no stop token (the BlockingFunctions option), or a timed
  /// wait that never gives up (isTimedWaitInDisguise).
  const CallExpr *findUntimedBlockingCall(const FunctionDecl *Fn);

  /// The loops of \p Fn itself whose only ways out test \p Token
  /// (`while (!st.stop_requested())`, `if (st.stop_requested()) break;`):
  /// nothing but a stop request ends them.
  std::vector<EndlessLoop> tokenOnlyLoops(const FunctionDecl *Fn,
                                          const ParmVarDecl *Token);

  /// \p Call is a timed wait (a condition variable's wait_for, wait_until
  /// or timed_wait, a timed or non-blocking receive) that is the whole
  /// condition of a loop of its own that retries it until it succeeds
  /// (`while (!cv.wait_for(lk, 1s, pred)) {}`,
  /// `while (q.pop_wait_for(v, 1s) == channel_op_status::timeout) {}`) and
  /// that nothing else leaves; a predicate, if any, does not read
  /// \p Token. Such a wait blocks like an untimed one.
  bool isTimedWaitInDisguise(const CallExpr *Call, const Stmt *Loop,
                             const FunctionDecl *Fn,
                             const ParmVarDecl *Token = nullptr);

  /// True if \p E can never change while a loop runs in \p Fn: literals,
  /// constants, and locals, parameters or by-copy captures that nothing
  /// writes, takes the address of, or captures by reference.
  bool isUnchanging(const Expr *E, const FunctionDecl *Fn);

  /// A call to a function with no body here asks for its cross-TU summary
  /// (CrossTU.h): off unless a check turns it on.
  void enableCrossTU() { CrossTU = true; }

  /// Functions whose CFG is larger than this are not analysed (silence is
  /// the answer to what we cannot afford to look at).
  static constexpr unsigned MaxCFGBlocks = 4096;
  /// How deep "may this call throw or exit?" follows calls: far deeper than
  /// real code nests, shallow enough for any stack.
  static constexpr unsigned MaxSummaryDepth = 256;

private:
  struct FunctionInfo;
  FunctionInfo &info(const FunctionDecl *Fn);

  std::optional<EndlessLoop> analyze(const FunctionDecl *Fn, unsigned Depth);
  std::optional<EndlessLoop> findLocalEndlessLoop(const FunctionDecl *Fn);
  /// The cycles of \p Fn that nothing can end; with \p Token, ways out
  /// that only test it do not count.
  void computeLocalEndlessLoops(const FunctionDecl *Fn,
                                std::vector<EndlessLoop> &Out,
                                const ParmVarDecl *Token = nullptr);
  const CFG *graph(const FunctionDecl *Fn);
  /// The edge from \p B (a two-way branch) to its successor \p Succ is
  /// taken only right after a timed wait returned with its predicate true,
  /// on a condition that contradicts the predicate. Sets \p Wait and
  /// \p Guard.
  bool isDeadExitAfterWait(const CFGBlock *B, unsigned Succ,
                           const CallExpr *&Wait, const Expr *&Guard);
  /// \p Cond reads nothing but \p Token's stop_requested() and constants.
  bool isTokenTest(const Expr *Cond, const ParmVarDecl *Token,
                   const FunctionDecl *Fn);
  bool isExitCall(const CallExpr *Call);
  /// \p B ends in a noreturn call that is not a deliberate exit.
  bool endsInCrash(const CFGBlock *B);
  bool mayLeaveAbnormally(const FunctionDecl *Fn);
  bool isVarUnchanging(const VarDecl *VD, const DeclRefExpr *Ref,
                       const FunctionDecl *Fn);
  bool insideTryBlock(const Stmt *S, const FunctionDecl *Fn);
  /// Variables \p Fn may change: not used only as values.
  const llvm::DenseSet<const VarDecl *> &writtenLocals(const FunctionDecl *Fn);

  ASTContext &Ctx;
  const ConcurrencyModel &Model;
  llvm::DenseMap<const FunctionDecl *, std::unique_ptr<FunctionInfo>> Infos;
  llvm::DenseMap<std::pair<const FunctionDecl *, unsigned>,
                 std::optional<EndlessLoop>>
      Results;
  llvm::DenseMap<const FunctionDecl *, bool> LeaveCache;
  llvm::DenseSet<const FunctionDecl *> InProgress;
  unsigned SummaryDepth = 0;
  bool CrossTU = false;

  /// The endless loop of \p Callee, defined in another unit, reached by
  /// \p Call at \p Depth, from its cross-TU summary.
  std::optional<EndlessLoop> externalEndlessLoop(const CallExpr *Call,
                                                 const FunctionDecl *Callee,
                                                 unsigned Depth);
};

/// Calls in \p S in source order, not descending into lambda bodies (they
/// run elsewhere).
void collectCalls(const Stmt *S, llvm::SmallVectorImpl<const CallExpr *> &Out);

/// Parameters whose truth a call decides: a pointer it hands an object's
/// address (`&x`, `this`: not null), a `bool` it hands a literal.
using ParamTruth = llvm::SmallDenseMap<const ParmVarDecl *, bool, 2>;

/// The same, less the calls under a branch that a test of one of \p Known
/// rules out (`if (p) ... else <not taken>`, `if (!block) <not taken>`,
/// `p == nullptr ? <not taken> : ...`).
void collectCalls(const Stmt *S, const ParamTruth &Known,
                  llvm::SmallVectorImpl<const CallExpr *> &Out);

/// The parameters of \p Callee whose truth \p Call decides.
void knownParams(const CallExpr *Call, const FunctionDecl *Callee,
                 ParamTruth &Out);

/// The calls in \p S that are the operand of a co_await (`co_await
/// child(...)`): a coroutine called so runs as part of the caller; one
/// called otherwise (handed to co_spawn) runs elsewhere.
void collectAwaitedCalls(const Stmt *S,
                         llvm::SmallPtrSetImpl<const CallExpr *> &Out);

/// A virtual call that may run an override instead of the definition we
/// see: not followed when looking for loops.
bool mayDispatchElsewhere(const CallExpr *Call);

/// A function whose body the analysis may look into: it has a body in this
/// translation unit outside system headers.
const FunctionDecl *analysableDefinition(const FunctionDecl *FD,
                                         const ASTContext &Ctx);

} // namespace clang::tidy::threadleak

#endif
