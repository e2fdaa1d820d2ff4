//===--- PathFacts.h - what the conditions around a statement say -*- C++
//-*-===//
//
// Path searches (ChannelFlow's release search) start at a statement deep in
// a function: a spawn inside `for (int i = 0; i < workers; ++i)`, or inside
// `if (n > 0)`. Reaching that statement means those conditions held, and
// for the variables the function never writes they hold everywhere after
// it: a later `if (workers == 0) return;` cannot be taken on a path that
// started at the spawn. PathFacts keeps those facts as integer ranges and
// decides branch conditions with them.
//
// Only variables that cannot change are used: a parameter or local of
// integral or bool type whose every use in the function is a read (no
// assignment, increment, address, reference binding, capture by
// reference). A loop condition `i < n` gives a fact on `n` when `i` is the
// loop's own counter: declared by the for-init from a constant, changed
// only by the increment clause, upwards.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_ENGINE_PATHFACTS_H
#define THREADLEAK_ENGINE_PATHFACTS_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "clang/AST/Stmt.h"
#include "llvm/ADT/DenseMap.h"
#include <cstdint>
#include <optional>

namespace clang::tidy::threadleak {

class PathFacts {
public:
  /// The facts that hold when \p S in \p Fn runs: the conditions of the
  /// loops whose body contains it and of the branches it is in.
  static PathFacts at(const Stmt *S, const FunctionDecl *Fn, ASTContext &Ctx);

  /// What \p Cond evaluates to wherever the facts hold: true, false, or
  /// nothing when they do not decide it.
  std::optional<bool> decide(const Expr *Cond) const;

  bool empty() const { return Ranges.empty(); }

  /// The range known for \p V (for tests and dumps).
  std::optional<std::pair<int64_t, int64_t>> rangeOf(const VarDecl *V) const;

private:
  struct Range {
    int64_t Lo = INT64_MIN, Hi = INT64_MAX;
  };
  /// Adds what \p Cond evaluating to \p Value says.
  void assume(const Expr *Cond, bool Value);
  /// `V op C` (op normalised so V is on the left), or nothing.
  struct Atom {
    const VarDecl *V = nullptr;
    BinaryOperatorKind Op = BO_NE;
    int64_t C = 0;
  };
  std::optional<Atom> atomOf(const Expr *E) const;
  bool unchanging(const VarDecl *V) const;

  ASTContext *Ctx = nullptr;
  const FunctionDecl *Fn = nullptr;
  llvm::DenseMap<const VarDecl *, Range> Ranges;
  /// Variables of Fn that some code may change (computed once per at()).
  llvm::DenseMap<const VarDecl *, bool> Written;
};

} // namespace clang::tidy::threadleak

#endif
