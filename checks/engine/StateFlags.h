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
/// Or an order: the member less than Value (`interval_ > 0` being false:
/// not greater), with the member on the left.
struct FlagTest {
  const MemberExpr *Member = nullptr;
  bool Equal = true;
  llvm::APSInt Value;
  /// BO_LT, BO_GT, BO_LE or BO_GE: an order (Equal unused); BO_EQ: Equal
  /// says which.
  BinaryOperatorKind Order = BO_EQ;
  /// \p V fails this test.
  bool failedBy(const llvm::APSInt &V) const {
    int C = llvm::APSInt::compareValues(V, Value);
    switch (Order) {
    case BO_LT:
      return !(C < 0);
    case BO_GT:
      return !(C > 0);
    case BO_LE:
      return !(C <= 0);
    case BO_GE:
      return !(C >= 0);
    default:
      return (C == 0) != Equal;
    }
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

/// Every value the data member \p F can hold, when the translation unit
/// shows them all: a private member of integral, enumeration or
/// std::atomic type of a class with no friends and no nested classes whose
/// member functions are all defined here, that every constructor gives a
/// constant (its own initialiser, or the member's initialiser in the
/// class), and that every other write gives a constant (`=`, store(),
/// exchange()); no other use changes it or lets it be changed (only reads:
/// its value, load(), a const member function). Otherwise none.
std::optional<llvm::SmallVector<llvm::APSInt, 4>>
memberValues(const FieldDecl *F, ASTContext &Ctx);

/// \p S, a statement of \p Body (a function's), cannot run: it runs under
/// a test of a data member (as guardingFlagTests reads them) that every
/// value the member can hold fails (`if (interval_ > 0) ... else
/// cv.wait(lk);` with `interval_` only ever given 50).
bool cannotRun(const Stmt *S, const Stmt *Body, ASTContext &Ctx);

} // namespace clang::tidy::threadleak

#endif
