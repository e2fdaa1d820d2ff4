//===--- FutureModel.h - promises, futures: one-shot channels -*- C++ -*-===//
//
// A promise and the futures made from it share one state that is set once:
// a close-once channel whose sending end (the promise) and receiving ends
// (the futures) are different objects. A wait on a future (get(), wait())
// completes when the promise is set (set_value, set_exception, a
// packaged_task run) or destroyed unset (broken_promise). The engine names
// the state by its promise: a future made by `p.get_future()` (and its
// `share()`d copies) stands for `p`.
//
// Built in: std::promise / std::future / std::shared_future /
// std::packaged_task, and the same of Boost.Fiber (boost::fibers::) and
// Boost.Thread (boost::promise, boost::unique_future, boost::future,
// boost::shared_future, boost::packaged_task).
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_MODEL_FUTUREMODEL_H
#define THREADLEAK_MODEL_FUTUREMODEL_H

#include "clang/AST/ExprCXX.h"

namespace clang::tidy::threadleak {

enum class FutureOpKind {
  None,
  /// get() or wait() on a future: blocks until the state is set.
  Wait,
  /// wait_for / wait_until / timed_wait: returns on its own.
  TimedWait,
  /// set_value / set_exception (and their *_at_thread_exit forms), a
  /// packaged_task's call: sets the state.
  Set,
  /// get_future() on a promise or packaged_task, share() on a future: a
  /// future of the same state.
  Link,
};

struct FutureOp {
  FutureOpKind Kind = FutureOpKind::None;
  /// The promise, packaged task or future as written.
  const Expr *Object = nullptr;
  explicit operator bool() const { return Kind != FutureOpKind::None; }
};

/// The sending end of a one-shot state: a promise or a packaged task
/// (looked through references, not through pointers).
bool isPromiseType(QualType T);
/// A receiving end: a future or a shared future.
bool isFutureType(QualType T);
/// What \p Call does to a promise or a future, if anything.
FutureOp classifyFutureOp(const CallExpr *Call);
/// The callable a `std::async` (`boost::async`, `boost::fibers::async`)
/// call runs, whose end sets the future it returns; null for other calls.
const Expr *asyncCallable(const CallExpr *Call);
/// A std::async call whose future's destructor waits for the task: not one
/// launched `std::launch::deferred` only (that task never runs unwaited).
/// Boost's and Boost.Fiber's futures do not wait in their destructors.
bool blockingAsync(const CallExpr *Call);
/// A tag shared by the promises and futures of one value type (`int` for
/// std::promise<int>, std::future<int>, std::packaged_task<int(char)>), so
/// that names which may alias are matched by type. Null if \p T is neither.
const void *oneShotTag(QualType T, const ASTContext &Ctx);

} // namespace clang::tidy::threadleak

#endif
