//===--- StateFlags.h - members tested and set as state flags --*- C++ -*-===//
//
// Code often decides by a state value whether to take a lock or wait at
// all: `if (state == Running) { lock_guard l(mu); ... }`, `if (stopping_)
// return;`. Code that sets that state under the lock, before it runs what
// would re-enter, has made the test fail (canonical/mir#4469's fix). These
// are the pieces to read it: which tests on data members a statement runs
// under, and which constant a statement writes to one.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_ENGINE_STATEFLAGS_H
#define THREADLEAK_ENGINE_STATEFLAGS_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/Expr.h"
#include "llvm/ADT/APSInt.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>

namespace clang::tidy::threadleak {

/// What a branch requires of a data member: equal to Value (`state ==
/// Running`, `stopped_` being true), or not (`state != Stopped`, `count`
/// being true: not 0). Through std::atomic's conversion or load().
struct FlagTest {
  const MemberExpr *Member = nullptr;
  bool Equal = true;
  llvm::APSInt Value;
  /// \p V fails this test.
  bool failedBy(const llvm::APSInt &V) const {
    return llvm::APSInt::isSameValue(V, Value) != Equal;
  }
};

/// What \p Cond evaluating to \p Value requires of data members (the
/// conjuncts it is sure of; a test it cannot read says nothing).
void flagTests(const Expr *Cond, bool Value, const ASTContext &Ctx,
               llvm::SmallVectorImpl<FlagTest> &Out);

/// The tests \p S runs under in its own function: the `if` branches it is
/// in, and the `if (...) return;` statements before it in its blocks.
void guardingFlagTests(const Stmt *S, ASTContext &Ctx,
                       llvm::SmallVectorImpl<FlagTest> &Out);

/// A write of a constant to a data member: `m = C`, `p->m = C`, and
/// std::atomic's `=`, store(C) and exchange(C).
struct FlagWrite {
  const MemberExpr *Member = nullptr;
  llvm::APSInt Value;
};
std::optional<FlagWrite> flagWrite(const Stmt *S, const ASTContext &Ctx);

} // namespace clang::tidy::threadleak

#endif
