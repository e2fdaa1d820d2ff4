//===--- CvPredicate.cpp - what a condition-variable wait waits for -------===//

#include "engine/CvPredicate.h"
#include "engine/ForeverAnalysis.h"
#include "engine/StmtWalk.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"

namespace clang::tidy::threadleak {

namespace {
/// The body of a predicate argument: a lambda, or a variable initialised
/// with one.
const Stmt *predicateBody(const Expr *Pred) {
  Pred = bareExpr(Pred);
  // A copy of a named predicate (the parameter is taken by value).
  if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(Pred))
    if (CE->getNumArgs() == 1 && CE->getConstructor()->isCopyOrMoveConstructor())
      Pred = bareExpr(CE->getArg(0));
  if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(Pred))
    if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl()))
      if (VD->getInit())
        Pred = bareExpr(VD->getInit());
  if (const auto *LE = llvm::dyn_cast<LambdaExpr>(Pred))
    return LE->getBody();
  return nullptr;
}

/// Finds \p Target in \p Root (not looking into lambdas) and sets \p Out
/// to the innermost loop around it, or null if there is none.
bool enclosingLoop(const Stmt *Root, const Stmt *Target, const Stmt *Loop,
                   const Stmt *&Out) {
  // On its own stack: the wait may sit 50,000 levels down an expression.
  llvm::SmallVector<std::pair<const Stmt *, const Stmt *>, 32> Work{
      {Root, Loop}};
  while (!Work.empty()) {
    auto [S, Around] = Work.pop_back_val();
    if (!S)
      continue;
    if (S == Target) {
      Out = Around;
      return true;
    }
    if (llvm::isa<LambdaExpr>(S))
      continue;
    if (llvm::isa<WhileStmt, ForStmt, DoStmt, CXXForRangeStmt>(S))
      Around = S;
    for (const Stmt *Child : S->children())
      Work.push_back({Child, Around});
  }
  return false;
}

class ReadCollector {
public:
  ReadCollector(WaitCondition &Out, const ASTContext &Ctx, unsigned MaxDepth)
      : Out(Out), Ctx(Ctx), MaxDepth(MaxDepth) {}

  void read(const Stmt *S, unsigned Depth) {
    walkWithLambdas(S, nullptr, [&](const Stmt *Node) {
      if (const auto *ME = llvm::dyn_cast<MemberExpr>(Node)) {
        if (const auto *FD = llvm::dyn_cast<FieldDecl>(ME->getMemberDecl()))
          add(FD);
        return;
      }
      if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(Node)) {
        if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl()))
          add(VD);
        return;
      }
      if (const auto *CE = llvm::dyn_cast<CallExpr>(Node)) {
        const FunctionDecl *Callee = CE->getDirectCallee();
        if (Callee && Callee->getIdentifier() &&
            Callee->getName() == "stop_requested")
          Out.ReadsStopToken = true;
        if (const FunctionDecl *Def = analysableDefinition(Callee, Ctx))
          if (Depth < MaxDepth && Visited.insert(Def).second)
            read(Def->getBody(), Depth + 1);
      }
    });
  }

private:
  void add(const ValueDecl *D) {
    Out.ReadsStopToken |= isStopTokenType(D->getType());
    if (!llvm::is_contained(Out.Reads, D))
      Out.Reads.push_back(D);
  }

  WaitCondition &Out;
  const ASTContext &Ctx;
  unsigned MaxDepth;
  llvm::DenseSet<const FunctionDecl *> Visited;
};
} // namespace

std::optional<WaitCondition> waitCondition(const ConditionWait &Wait,
                                           const FunctionDecl *Fn,
                                           const ASTContext &Ctx,
                                           unsigned MaxDepth) {
  WaitCondition C;
  if (Wait.Predicate) {
    C.PredicateCode = predicateBody(Wait.Predicate);
    if (!C.PredicateCode)
      return std::nullopt; // A function object we cannot read.
  } else {
    const Stmt *Body = Fn->getBody();
    if (const auto *CB = llvm::dyn_cast_or_null<CoroutineBodyStmt>(Body))
      Body = CB->getBody();
    enclosingLoop(Body, Wait.Call, nullptr, C.Loop);
    if (!C.Loop)
      return std::nullopt;
  }
  ReadCollector R(C, Ctx, MaxDepth);
  if (C.PredicateCode) {
    R.read(C.PredicateCode, 0);
    return C;
  }
  // The loop's tests: its condition and the conditions inside it.
  if (const auto *WS = llvm::dyn_cast<WhileStmt>(C.Loop))
    R.read(WS->getCond(), 0);
  else if (const auto *FS = llvm::dyn_cast<ForStmt>(C.Loop))
    R.read(FS->getCond(), 0);
  else if (const auto *DS = llvm::dyn_cast<DoStmt>(C.Loop))
    R.read(DS->getCond(), 0);
  walkWithLambdas(C.Loop, nullptr, [&](const Stmt *Node) {
    if (const auto *If = llvm::dyn_cast<IfStmt>(Node))
      R.read(If->getCond(), 0);
  });
  return C;
}

/// The stop token (or source) whose stop alone ends the untimed wait
/// \p W: a stop-aware wait whose predicate is never true (`<-ctx.Done()`
/// written `cv.wait(lk, ctx, [] { return false; })`), or a wait whose
/// predicate is only `tok.stop_requested()`. Null otherwise.
const Expr *stopOnlyToken(const ConditionWait &W) {
  const auto *LE =
      W.Predicate
          ? llvm::dyn_cast<LambdaExpr>(bareExprThroughCopies(W.Predicate))
          : nullptr;
  const auto *Body =
      LE ? llvm::dyn_cast_or_null<CompoundStmt>(LE->getBody()) : nullptr;
  if (!Body || Body->size() != 1)
    return nullptr;
  const auto *Ret = llvm::dyn_cast<ReturnStmt>(Body->body_front());
  const Expr *V = Ret ? Ret->getRetValue() : nullptr;
  if (!V)
    return nullptr;
  V = V->IgnoreParenImpCasts();
  if (W.StopAware) {
    const auto *B = llvm::dyn_cast<CXXBoolLiteralExpr>(V);
    if (!B || B->getValue())
      return nullptr;
    for (const Expr *Arg : W.Call->arguments())
      if (isStopTokenType(Arg->getType()))
        return Arg;
    return nullptr;
  }
  const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(V);
  const CXXMethodDecl *M = MC ? MC->getMethodDecl() : nullptr;
  if (!M || !M->getIdentifier() || M->getName() != "stop_requested")
    return nullptr;
  const Expr *Obj = MC->getImplicitObjectArgument();
  return isStopTokenType(Obj->getType()) || isStopSourceType(Obj->getType())
             ? Obj
             : nullptr;
}

std::optional<WaitCondition> guardedWaitCondition(const ConditionWait &Wait,
                                                  const FunctionDecl *Fn,
                                                  const ASTContext &Ctx,
                                                  unsigned MaxDepth) {
  if (Wait.Predicate)
    return std::nullopt;
  const Stmt *Body = Fn->getBody();
  if (const auto *CB = llvm::dyn_cast_or_null<CoroutineBodyStmt>(Body))
    Body = CB->getBody();
  const Stmt *Loop = nullptr;
  if (!enclosingLoop(Body, Wait.Call, nullptr, Loop) || Loop)
    return std::nullopt;
  // The innermost `if` whose then-branch holds the wait.
  WaitCondition C;
  walkOwnCode(Body, [&](const Stmt *S) {
    const auto *If = llvm::dyn_cast<IfStmt>(S);
    if (If && !If->hasInitStorage() && !If->hasVarStorage() &&
        containsStmt(If->getThen(), Wait.Call) &&
        (!C.Guard || containsStmt(C.Guard->getThen(), If)))
      C.Guard = If;
  });
  if (!C.Guard)
    return std::nullopt;
  ReadCollector R(C, Ctx, MaxDepth);
  R.read(C.Guard->getCond(), 0);
  return C;
}

void writtenObjects(const Expr *Target,
                    llvm::function_ref<void(const ValueDecl *)> Visit) {
  Target = bareExpr(Target);
  while (Target) {
    if (const auto *ME = llvm::dyn_cast<MemberExpr>(Target)) {
      if (const auto *FD = llvm::dyn_cast<FieldDecl>(ME->getMemberDecl()))
        Visit(FD);
      Target = bareExpr(ME->getBase());
      continue;
    }
    if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(Target)) {
      if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl()))
        Visit(VD);
      return;
    }
    if (const auto *UO = llvm::dyn_cast<UnaryOperator>(Target)) {
      Target = bareExpr(UO->getSubExpr());
      continue;
    }
    if (const auto *AS = llvm::dyn_cast<ArraySubscriptExpr>(Target)) {
      Target = bareExpr(AS->getBase());
      continue;
    }
    if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(Target)) {
      if (OC->getNumArgs() >= 1 &&
          (OC->getOperator() == OO_Arrow || OC->getOperator() == OO_Star ||
           OC->getOperator() == OO_Subscript)) {
        Target = bareExpr(OC->getArg(0));
        continue;
      }
    }
    return;
  }
}

const ValueDecl *writtenObject(const Expr *Target) {
  // The member named last; a MemberExpr whose member is no field (a
  // method) names nothing.
  const Expr *E = bareExpr(Target);
  while (const auto *UO = llvm::dyn_cast_or_null<UnaryOperator>(E))
    E = bareExpr(UO->getSubExpr());
  if (const auto *ME = llvm::dyn_cast_or_null<MemberExpr>(E))
    if (!llvm::isa<FieldDecl>(ME->getMemberDecl()))
      return nullptr;
  const ValueDecl *First = nullptr;
  writtenObjects(Target, [&](const ValueDecl *D) {
    if (!First)
      First = D;
  });
  return First;
}

const Expr *writeTarget(const Stmt *S) {
  if (const auto *BO = llvm::dyn_cast<BinaryOperator>(S))
    return BO->isAssignmentOp() ? BO->getLHS() : nullptr;
  if (const auto *UO = llvm::dyn_cast<UnaryOperator>(S))
    return UO->isIncrementDecrementOp() || UO->getOpcode() == UO_AddrOf
               ? UO->getSubExpr()
               : nullptr;
  if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(S))
    if (const auto *MD =
            llvm::dyn_cast_or_null<CXXMethodDecl>(OC->getDirectCallee()))
      if (!MD->isConst() && OC->getNumArgs() >= 1)
        return OC->getArg(0);
  return nullptr;
}

} // namespace clang::tidy::threadleak
