//===--- ThreadPoolModel.h - a project's thread pool, read from its class -===//
//
// A project's thread pool is a class that
//  - keeps its tasks in a data member: a container of callables
//    (std::function, std::move_only_function, std::packaged_task,
//    boost::function, a smart pointer to one, or a project record holding
//    one: ClickHouse's JobWithPriority);
//  - has member functions that put a callable they are handed in that
//    queue, and do not run it themselves (its submits);
//  - starts worker threads in its own member functions, whose code takes
//    the tasks off that queue.
// How many workers it runs is read where it starts them: the bound of the
// loop around the start (`for (i = 0; i < n; ++i)`), an `if
// (threads.size() < max)` guarding it (a pool that grows up to a maximum,
// `std::min(max_threads, jobs + 1)` too), or one start per construction.
// The expressions are kept: what they evaluate to depends on the pool
// object (its construction's arguments), which the engine resolves.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_MODEL_THREADPOOLMODEL_H
#define THREADLEAK_MODEL_THREADPOOLMODEL_H

#include "model/ConcurrencyModel.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/SmallVector.h"
#include <memory>

namespace clang::tidy::threadleak {

struct ThreadPoolClass {
  const CXXRecordDecl *Class = nullptr;
  /// The data member that queues the tasks.
  const FieldDecl *Queue = nullptr;
  /// Member functions that queue the callable they are handed (by its
  /// parameter's index).
  llvm::SmallDenseMap<const FunctionDecl *, unsigned, 2> Submits;
  /// Where the pool starts its worker threads.
  struct WorkerStart {
    /// The thread's construction, or the emplace into a container of
    /// threads.
    const Expr *Start = nullptr;
    /// The member function that starts it.
    const CXXMethodDecl *In = nullptr;
    /// Each bounds how many threads this start makes (a loop's bound, a
    /// size guard's maximum; in \p In's terms). None: one per run of \p In.
    llvm::SmallVector<const Expr *, 2> Bounds;
    /// A loop or a guard is around the start that we cannot read: the
    /// count is unknown.
    bool Unbounded = false;
  };
  llvm::SmallVector<WorkerStart, 1> Workers;
  /// Member functions that take tasks off the queue and are no worker's
  /// own code: a wait that runs pending tasks while it waits.
  llvm::SmallPtrSet<const FunctionDecl *, 2> Helpers;
  /// The workers' code: the lambdas and members their threads run.
  llvm::SmallPtrSet<const FunctionDecl *, 4> WorkerCode;
};

/// What \p Call calls, bare: the callee of `f()`, the object of
/// `f.operator()()` and of `(*p)()` (the pointer).
const Expr *calledObject(const CallExpr *Call);

class ThreadPoolModel {
public:
  explicit ThreadPoolModel(NameList ThreadTypes)
      : ThreadTypes(std::move(ThreadTypes)) {}

  /// \p RD read as a thread pool, or null (cached per class).
  const ThreadPoolClass *poolOf(const CXXRecordDecl *RD) const;
  /// The pool whose submit \p Call calls and the argument it queues, or
  /// null.
  const ThreadPoolClass *submitOf(const CallExpr *Call,
                                  const Expr **Task = nullptr) const;

  /// A callable a pool keeps as a task (see the file comment).
  static bool isTaskType(QualType T);
  /// A thread handle of the model's thread types (or a smart pointer to
  /// one).
  bool isThreadType(QualType T) const;

private:
  std::unique_ptr<ThreadPoolClass> read(const CXXRecordDecl *RD) const;

  NameList ThreadTypes;
  mutable llvm::DenseMap<const CXXRecordDecl *,
                         std::unique_ptr<ThreadPoolClass>>
      Cache;
};

} // namespace clang::tidy::threadleak

#endif
