//===--- CvPredicate.h - what a condition-variable wait waits for -*- C++ -*-===//
//
// A wait on a condition variable returns when its predicate holds: the
// predicate argument (a lambda, or a variable holding one), or, for a wait
// without one inside a loop, the loop's tests (`while (!stop_ && q_.empty())
// cv_.wait(lk);`). Both condition-variable checks need to know which state
// that is: cv-wait-no-stop asks whether the stop path changes it, and
// cv-lost-wakeup whether a notifier changes it without the waiter's mutex.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_ENGINE_CVPREDICATE_H
#define THREADLEAK_ENGINE_CVPREDICATE_H

#include "model/WaitModel.h"
#include "clang/AST/ASTContext.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"

namespace clang::tidy::threadleak {

/// The state a wait waits for.
struct WaitCondition {
  /// The predicate's body (a lambda's), or null for a predicate-less wait.
  const Stmt *PredicateCode = nullptr;
  /// The innermost loop around a predicate-less wait.
  const Stmt *Loop = nullptr;
  /// Of a predicate-less wait outside any loop (guardedWaitCondition()):
  /// the `if` whose condition it waits under.
  const IfStmt *Guard = nullptr;
  /// The variables and data members the predicate (or the loop's tests)
  /// read, through the functions they call, in the order first read. A
  /// member read through another (`state_.stop`) lists both.
  llvm::SmallVector<const ValueDecl *, 8> Reads;
  /// It reads a std::stop_token (`stop_requested()`).
  bool ReadsStopToken = false;

  /// Where to point at it in a diagnostic: the predicate or the loop.
  const Stmt *anchor(const ConditionWait &W) const {
    return PredicateCode ? static_cast<const Stmt *>(W.Predicate)
           : Guard       ? static_cast<const Stmt *>(Guard)
                         : Loop;
  }
};

/// What \p Wait, a call in \p Fn, waits for; nullopt when it cannot be
/// read: a predicate that is a function object we cannot see, or a
/// predicate-less wait outside any loop (bugprone-spuriously-wake-up-
/// functions' case). Calls are followed \p MaxDepth deep.
std::optional<WaitCondition> waitCondition(const ConditionWait &Wait,
                                           const FunctionDecl *Fn,
                                           const ASTContext &Ctx,
                                           unsigned MaxDepth = 4);

/// The stop token (or source) whose stop alone ends the untimed wait
/// \p W: a stop-aware wait whose predicate is never true (`<-ctx.Done()`
/// written `cv.wait(lk, ctx, [] { return false; })`), or a wait whose
/// predicate is only `tok.stop_requested()`. Null otherwise.
const Expr *stopOnlyToken(const ConditionWait &W);

/// What a predicate-less \p Wait outside any loop waits for: the condition
/// of the `if` it is written under (`if (!ready) cv.wait(lk);` waits once
/// while `!ready` holds), read like a loop's. Nullopt if it is in a loop,
/// has a predicate, or is under no `if`.
std::optional<WaitCondition> guardedWaitCondition(const ConditionWait &Wait,
                                                  const FunctionDecl *Fn,
                                                  const ASTContext &Ctx,
                                                  unsigned MaxDepth = 4);

/// The variable or data member that an assignment to, or a non-const call
/// on, \p Target changes: the member named last (`state_.stop` is `stop`),
/// through `*p`, `p->`, `a[i]` and smart pointers; null if none.
const ValueDecl *writtenObject(const Expr *Target);

/// What \p S writes to, written as it is: an assignment's left side, the
/// operand of `++`, `--` or `&`, the object of a non-const operator call
/// (`q[i] = v`'s `q`, `s += t`); null for anything else.
const Expr *writeTarget(const Stmt *S);

/// Every variable and data member along \p Target, the one named last
/// first (`state_.stop`: `stop`, then `state_`).
void writtenObjects(const Expr *Target,
                    llvm::function_ref<void(const ValueDecl *)> Visit);

} // namespace clang::tidy::threadleak

#endif
