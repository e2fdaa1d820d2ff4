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
#include "clang/AST/Stmt.h"
#include "clang/AST/StmtCXX.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"

namespace clang::tidy::threadleak {

namespace detail {
/// The one pre-order walk under the three below: \p ChildrenOf(Node, Out)
/// says what is under a node, \p Visit(Node) whether to descend into it.
///
/// The walks keep their own stack: valid code nests as deep as it likes (a
/// 50,000-term expression is 50,000 levels of BinaryOperator), and a
/// recursive walk would overflow the thread's stack.
template <typename ChildrenFn, typename VisitFn>
void walkStmts(const Stmt *S, ChildrenFn &&ChildrenOf, VisitFn &&Visit) {
  llvm::SmallVector<const Stmt *, 64> Stack;
  llvm::SmallVector<const Stmt *, 8> Children;
  if (S)
    Stack.push_back(S);
  while (!Stack.empty()) {
    const Stmt *Cur = Stack.pop_back_val();
    if (!Visit(Cur))
      continue;
    Children.clear();
    ChildrenOf(Cur, Children);
    // Reversed, so that the first child is visited first.
    for (const Stmt *Child : llvm::reverse(Children))
      if (Child)
        Stack.push_back(Child);
  }
}
} // namespace detail

/// Pre-order walk of \p S that visits lambdas' capture initialisers but not
/// their bodies.
template <typename Fn> void walkOwnCode(const Stmt *S, Fn &&Visit) {
  detail::walkStmts(
      S,
      [](const Stmt *Cur, llvm::SmallVectorImpl<const Stmt *> &Out) {
        if (const auto *LE = llvm::dyn_cast<LambdaExpr>(Cur))
          Out.append(LE->capture_init_begin(), LE->capture_init_end());
        else
          Out.append(Cur->child_begin(), Cur->child_end());
      },
      [&](const Stmt *Cur) {
        Visit(Cur);
        return true;
      });
}

/// Pre-order walk of \p S that enters lambda bodies too, except the body of
/// \p Skip (the call operator of a lambda that runs elsewhere).
template <typename Fn>
void walkWithLambdas(const Stmt *S, const FunctionDecl *Skip, Fn &&Visit) {
  detail::walkStmts(
      S,
      [Skip](const Stmt *Cur, llvm::SmallVectorImpl<const Stmt *> &Out) {
        if (const auto *LE = llvm::dyn_cast<LambdaExpr>(Cur)) {
          Out.append(LE->capture_init_begin(), LE->capture_init_end());
          if (LE->getCallOperator() != Skip)
            Out.push_back(LE->getBody());
        } else {
          Out.append(Cur->child_begin(), Cur->child_end());
        }
      },
      [&](const Stmt *Cur) {
        Visit(Cur);
        return true;
      });
}

/// Pre-order walk of \p S and of everything under it, lambda bodies
/// included (as Stmt::children() has them), that does not descend below a
/// node for which \p Visit returns false.
template <typename Fn> void walkPruned(const Stmt *S, Fn &&Visit) {
  detail::walkStmts(
      S,
      [](const Stmt *Cur, llvm::SmallVectorImpl<const Stmt *> &Out) {
        Out.append(Cur->child_begin(), Cur->child_end());
      },
      Visit);
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

/// The tests \p Cond evaluating to \p Value implies, each with the value
/// it must have: through `!`, the operands of `a && b` being true and of
/// `a || b` being false. \p Visit(Test, TestValue) sees each, bare.
template <typename Fn>
void forEachImpliedTest(const Expr *Cond, bool Value, Fn &&Visit) {
  while (Cond) {
    Cond = Cond->IgnoreParenImpCasts();
    if (const auto *UO = llvm::dyn_cast<UnaryOperator>(Cond);
        UO && UO->getOpcode() == UO_LNot) {
      Cond = UO->getSubExpr();
      Value = !Value;
      continue;
    }
    if (const auto *BO = llvm::dyn_cast<BinaryOperator>(Cond);
        BO && ((BO->getOpcode() == BO_LAnd && Value) ||
               (BO->getOpcode() == BO_LOr && !Value))) {
      forEachImpliedTest(BO->getLHS(), Value, Visit);
      Cond = BO->getRHS();
      continue;
    }
    Visit(Cond, Value);
    return;
  }
}

/// \p S always leaves its function: a `return`, a `throw`, or a block
/// that ends in one.
inline bool alwaysLeaves(const Stmt *S) {
  if (const auto *CS = llvm::dyn_cast_or_null<CompoundStmt>(S))
    return !CS->body_empty() && alwaysLeaves(CS->body_back());
  if (const auto *E = llvm::dyn_cast_or_null<Expr>(S))
    return llvm::isa<CXXThrowExpr>(E->IgnoreParenImpCasts());
  return llvm::isa_and_nonnull<ReturnStmt>(S);
}

/// \p S is \p Outer or a statement of it (lambda bodies aside).
inline bool containsStmt(const Stmt *Outer, const Stmt *S) {
  bool Found = false;
  if (Outer && S)
    walkOwnCode(Outer, [&](const Stmt *In) { Found |= In == S; });
  return Found;
}

/// The declaration statement of \p Body (lambda bodies aside) that
/// declares \p VD, or null.
inline const DeclStmt *declaringStmt(const Stmt *Body, const VarDecl *VD) {
  const DeclStmt *Found = nullptr;
  walkOwnCode(Body, [&](const Stmt *S) {
    if (const auto *DS = llvm::dyn_cast<DeclStmt>(S);
        DS && !Found && llvm::is_contained(DS->decls(), VD))
      Found = DS;
  });
  return Found;
}

/// The body of the loop \p S (for, while, do, range-for), or null.
inline const Stmt *loopBody(const Stmt *S) {
  if (const auto *F = llvm::dyn_cast_or_null<ForStmt>(S))
    return F->getBody();
  if (const auto *W = llvm::dyn_cast_or_null<WhileStmt>(S))
    return W->getBody();
  if (const auto *D = llvm::dyn_cast_or_null<DoStmt>(S))
    return D->getBody();
  if (const auto *R = llvm::dyn_cast_or_null<CXXForRangeStmt>(S))
    return R->getBody();
  return nullptr;
}

/// Nothing in \p S leaves the loop it is the body of: no `return`,
/// `co_return`, `goto` or `throw`, no `break` of its own (one inside an
/// inner loop or `switch` is theirs), no call of a function that does not
/// return. Lambdas are other code.
inline bool noWayOut(const Stmt *S, bool Nested = false) {
  if (!S || llvm::isa<LambdaExpr>(S))
    return true;
  if (llvm::isa<ReturnStmt, CoreturnStmt, GotoStmt, IndirectGotoStmt,
                CXXThrowExpr>(S))
    return false;
  if (llvm::isa<BreakStmt>(S))
    return Nested;
  if (const auto *Call = llvm::dyn_cast<CallExpr>(S))
    if (const FunctionDecl *FD = Call->getDirectCallee();
        FD && FD->isNoReturn())
      return false;
  bool Inner =
      Nested ||
      llvm::isa<WhileStmt, ForStmt, DoStmt, CXXForRangeStmt, SwitchStmt>(S);
  for (const Stmt *Child : S->children())
    if (!noWayOut(Child, Inner))
      return false;
  return true;
}

/// The innermost loop of \p Body (lambdas' bodies aside) whose body
/// contains \p S, or null.
inline const Stmt *innermostLoopAround(const Stmt *Body, const Stmt *S) {
  const Stmt *Loop = nullptr;
  walkOwnCode(Body, [&](const Stmt *N) {
    // Outer loops come first: the last one found is the innermost.
    if (const Stmt *B = loopBody(N); B && containsStmt(B, S))
      Loop = N;
  });
  return Loop;
}

/// The condition of the loop \p Loop (a `while`, `for` or `do`), or null;
/// \p CondVar gets a `while`'s or `for`'s condition variable
/// (`while (auto v = ch.pop())`), if any.
inline const Expr *loopCondition(const Stmt *Loop,
                                 const VarDecl **CondVar = nullptr) {
  const VarDecl *V = nullptr;
  const Expr *Cond = nullptr;
  if (const auto *W = llvm::dyn_cast_or_null<WhileStmt>(Loop)) {
    Cond = W->getCond();
    V = W->getConditionVariable();
  } else if (const auto *F = llvm::dyn_cast_or_null<ForStmt>(Loop)) {
    Cond = F->getCond();
    V = F->getConditionVariable();
  } else if (const auto *D = llvm::dyn_cast_or_null<DoStmt>(Loop)) {
    Cond = D->getCond();
  }
  if (CondVar)
    *CondVar = V;
  return Cond;
}

} // namespace clang::tidy::threadleak

#endif
