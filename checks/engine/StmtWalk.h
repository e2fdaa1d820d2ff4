//===--- StmtWalk.h - pre-order walks of a function's statements -*- C++ -*-===//
//
// The analyses read a function's statements in two ways: as the function
// itself runs them (a lambda's body runs elsewhere, when the closure is
// called), or as everything a piece of code may do (a stop path's lambdas
// may run as part of it).
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_ENGINE_STMTWALK_H
#define THREADLEAK_ENGINE_STMTWALK_H

#include "clang/AST/Decl.h"
#include "clang/AST/ExprCXX.h"

namespace clang::tidy::threadleak {

/// Pre-order walk of \p S that visits lambdas' capture initialisers but not
/// their bodies.
template <typename Fn> void walkOwnCode(const Stmt *S, Fn &&Visit) {
  if (!S)
    return;
  Visit(S);
  if (const auto *LE = llvm::dyn_cast<LambdaExpr>(S)) {
    for (const Expr *Init : LE->capture_inits())
      walkOwnCode(Init, Visit);
    return;
  }
  for (const Stmt *Child : S->children())
    walkOwnCode(Child, Visit);
}

/// Pre-order walk of \p S that enters lambda bodies too, except the body of
/// \p Skip (the call operator of a lambda that runs elsewhere).
template <typename Fn>
void walkWithLambdas(const Stmt *S, const FunctionDecl *Skip, Fn &&Visit) {
  if (!S)
    return;
  Visit(S);
  if (const auto *LE = llvm::dyn_cast<LambdaExpr>(S)) {
    for (const Expr *Init : LE->capture_inits())
      walkWithLambdas(Init, Skip, Visit);
    if (LE->getCallOperator() != Skip)
      walkWithLambdas(LE->getBody(), Skip, Visit);
    return;
  }
  for (const Stmt *Child : S->children())
    walkWithLambdas(Child, Skip, Visit);
}

/// \p S is a statement of its own in \p Body: a direct child of one of
/// its compound statements (lambdas' bodies left out), so that a fix-it may
/// put code before or after it.
inline bool isStatementOf(const Stmt *Body, const Stmt *S) {
  bool Found = false;
  walkOwnCode(Body, [&](const Stmt *Node) {
    if (Found)
      return;
    if (const auto *CS = llvm::dyn_cast<CompoundStmt>(Node))
      for (const Stmt *Child : CS->body())
        if (Child == S)
          Found = true;
  });
  return Found;
}

} // namespace clang::tidy::threadleak

#endif
