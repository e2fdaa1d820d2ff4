//===--- StateFlags.cpp - a data member tested and set as a state flag ----===//

#include "engine/StateFlags.h"
#include "engine/StmtWalk.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"

namespace clang::tidy::threadleak {

namespace {

/// The data member \p E reads, through std::atomic's conversion or
/// load(), or null.
const MemberExpr *memberRead(const Expr *E) {
  E = E->IgnoreParenImpCasts();
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(E))
    if (const CXXMethodDecl *MD = MC->getMethodDecl();
        MD && (llvm::isa<CXXConversionDecl>(MD) ||
               (MD->getIdentifier() && MD->getName() == "load")))
      E = MC->getImplicitObjectArgument()->IgnoreParenImpCasts();
  const auto *ME = llvm::dyn_cast<MemberExpr>(E);
  return ME && llvm::isa<FieldDecl>(ME->getMemberDecl()) ? ME : nullptr;
}

std::optional<llvm::APSInt> constantOf(const Expr *E, const ASTContext &Ctx) {
  E = E->IgnoreImplicit();
  Expr::EvalResult R;
  if (E->isValueDependent() || !E->EvaluateAsInt(R, Ctx))
    return std::nullopt;
  return R.Val.getInt();
}

} // namespace

void flagTests(const Expr *Cond, bool Value, const ASTContext &Ctx,
               llvm::SmallVectorImpl<FlagTest> &Out) {
  forEachImpliedTest(Cond, Value, [&](const Expr *Test, bool TestValue) {
    const Expr *L = nullptr, *R = nullptr;
    BinaryOperatorKind Op = BO_Comma;
    if (const auto *BO = llvm::dyn_cast<BinaryOperator>(Test)) {
      L = BO->getLHS(), R = BO->getRHS(), Op = BO->getOpcode();
    } else if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(Test);
               OC && OC->getNumArgs() == 2 &&
               (OC->getOperator() == OO_EqualEqual ||
                OC->getOperator() == OO_ExclaimEqual)) {
      L = OC->getArg(0), R = OC->getArg(1);
      Op = BinaryOperator::getOverloadedOpcode(OC->getOperator());
    }
    if (Op == BO_EQ || Op == BO_NE) {
      std::optional<llvm::APSInt> C = constantOf(R, Ctx);
      const MemberExpr *M = C ? memberRead(L) : nullptr;
      if (!M && (C = constantOf(L, Ctx)))
        M = memberRead(R);
      if (M)
        Out.push_back({M, (Op == BO_EQ) == TestValue, *C});
      return;
    }
    if (Op != BO_Comma)
      return;
    // A member tested for truth: not zero.
    if (const MemberExpr *M = memberRead(Test);
        M && Test->getType()->isScalarType())
      Out.push_back({M, !TestValue, llvm::APSInt::get(0)});
  });
}

void guardingFlagTests(const Stmt *S, ASTContext &Ctx,
                       llvm::SmallVectorImpl<FlagTest> &Out) {
  DynTypedNode Child = DynTypedNode::create(*S);
  for (unsigned Depth = 0; Depth < 64; ++Depth) {
    DynTypedNodeList Parents = Ctx.getParents(Child);
    if (Parents.empty())
      return;
    // An initialiser's parent is its variable, whose parent is the
    // declaration statement.
    if (llvm::isa_and_nonnull<VarDecl>(Parents[0].get<Decl>())) {
      Child = Parents[0];
      continue;
    }
    const Stmt *P = Parents[0].get<Stmt>();
    const Stmt *C = Child.get<Stmt>();
    if (!P || llvm::isa<LambdaExpr>(P))
      return;
    if (const auto *If = llvm::dyn_cast<IfStmt>(P)) {
      if (C == If->getThen())
        flagTests(If->getCond(), true, Ctx, Out);
      else if (C == If->getElse())
        flagTests(If->getCond(), false, Ctx, Out);
    } else if (const auto *CS = llvm::dyn_cast<CompoundStmt>(P)) {
      // `if (stopping_) return;` before it.
      for (const Stmt *Before : CS->body()) {
        if (Before == C)
          break;
        const auto *If = llvm::dyn_cast<IfStmt>(Before);
        if (If && !If->getElse() && !If->getInit() &&
            !If->getConditionVariable() && alwaysLeaves(If->getThen()))
          flagTests(If->getCond(), false, Ctx, Out);
      }
    }
    Child = Parents[0];
  }
}

std::optional<FlagWrite> flagWrite(const Stmt *S, const ASTContext &Ctx) {
  const auto *E = llvm::dyn_cast_or_null<Expr>(S);
  if (!E)
    return std::nullopt;
  E = E->IgnoreParenImpCasts();
  const Expr *Target = nullptr, *Value = nullptr;
  if (const auto *BO = llvm::dyn_cast<BinaryOperator>(E);
      BO && BO->getOpcode() == BO_Assign) {
    Target = BO->getLHS(), Value = BO->getRHS();
  } else if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(E);
             OC && OC->getOperator() == OO_Equal && OC->getNumArgs() == 2) {
    Target = OC->getArg(0), Value = OC->getArg(1);
  } else if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(E)) {
    const CXXMethodDecl *MD = MC->getMethodDecl();
    if (MD && MD->getIdentifier() &&
        (MD->getName() == "store" || MD->getName() == "exchange") &&
        MC->getNumArgs() >= 1)
      Target = MC->getImplicitObjectArgument(), Value = MC->getArg(0);
  }
  if (!Target)
    return std::nullopt;
  const auto *M = llvm::dyn_cast<MemberExpr>(Target->IgnoreParenImpCasts());
  if (!M || !llvm::isa<FieldDecl>(M->getMemberDecl()))
    return std::nullopt;
  std::optional<llvm::APSInt> C = constantOf(Value, Ctx);
  if (!C)
    return std::nullopt;
  return FlagWrite{M, *C};
}

} // namespace clang::tidy::threadleak
