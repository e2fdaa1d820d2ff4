//===--- CounterModel.cpp - latches, semaphores, wait groups -------------===//

#include "model/CounterModel.h"
#include "engine/StmtWalk.h"
#include "model/ConcurrencyModel.h"
#include "clang/AST/ASTContext.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/STLExtras.h"

namespace clang::tidy::threadleak {

CounterModel::CounterModel(std::vector<CounterSpec> WaitGroups)
    : WaitGroups(std::move(WaitGroups)) {}

namespace {
bool isCondVarType(QualType T) {
  const CXXRecordDecl *RD = recordOf(T);
  return RD && RD->getIdentifier() &&
         RD->getName().starts_with("condition_variable");
}

/// The count member \p E names on `this` (through std::atomic's
/// operators), or null.
const FieldDecl *countNamed(const Expr *E) {
  if (!E)
    return nullptr;
  E = E->IgnoreParenImpCasts();
  if (const auto *Conv = llvm::dyn_cast<CXXMemberCallExpr>(E)) // atomic load
    if (llvm::isa<CXXConversionDecl>(Conv->getMethodDecl()) ||
        (Conv->getMethodDecl() && Conv->getMethodDecl()->getIdentifier() &&
         Conv->getMethodDecl()->getName() == "load"))
      E = Conv->getImplicitObjectArgument()->IgnoreParenImpCasts();
  const auto *ME = llvm::dyn_cast<MemberExpr>(E);
  if (!ME || !llvm::isa<CXXThisExpr>(ME->getBase()->IgnoreParenImpCasts()))
    return nullptr;
  return llvm::dyn_cast<FieldDecl>(ME->getMemberDecl());
}

bool isZero(const Expr *E) {
  E = E->IgnoreParenImpCasts();
  const auto *L = llvm::dyn_cast<IntegerLiteral>(E);
  return L && L->getValue() == 0;
}

/// \p Cond is true exactly when the count \p N is zero (`n == 0`,
/// `0 == n`, `n <= 0`, `!n`).
bool saysZero(const Expr *Cond, const FieldDecl *&N) {
  Cond = Cond->IgnoreParenImpCasts();
  if (const auto *U = llvm::dyn_cast<UnaryOperator>(Cond))
    return U->getOpcode() == UO_LNot && (N = countNamed(U->getSubExpr()));
  const Expr *L = nullptr, *R = nullptr;
  BinaryOperatorKind Op;
  if (const auto *B = llvm::dyn_cast<BinaryOperator>(Cond)) {
    L = B->getLHS(), R = B->getRHS(), Op = B->getOpcode();
  } else if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(Cond);
             OC && OC->getNumArgs() == 2 && OC->isComparisonOp()) {
    L = OC->getArg(0), R = OC->getArg(1);
    Op = BinaryOperator::getOverloadedOpcode(OC->getOperator());
  } else {
    return false;
  }
  if ((Op == BO_EQ || Op == BO_LE) && isZero(R))
    return (N = countNamed(L));
  if ((Op == BO_EQ || Op == BO_GE) && isZero(L))
    return (N = countNamed(R));
  return false;
}

/// \p Cond is true exactly while the count is not zero (`n > 0`, `n != 0`,
/// `n`): a `while` that waits.
bool saysNonZero(const Expr *Cond, const FieldDecl *&N) {
  Cond = Cond->IgnoreParenImpCasts();
  if ((N = countNamed(Cond)))
    return true;
  if (const auto *B = llvm::dyn_cast<BinaryOperator>(Cond))
    return (B->getOpcode() == BO_GT || B->getOpcode() == BO_NE) &&
           isZero(B->getRHS()) && (N = countNamed(B->getLHS()));
  return false;
}

/// How \p S changes a count member: +1 raises, -1 lowers, 0 neither.
int changeOf(const Stmt *S, const FieldDecl *&N) {
  if (const auto *U = llvm::dyn_cast<UnaryOperator>(S)) {
    if (!U->isIncrementDecrementOp() || !(N = countNamed(U->getSubExpr())))
      return 0;
    return U->isIncrementOp() ? 1 : -1;
  }
  if (const auto *B = llvm::dyn_cast<CompoundAssignOperator>(S)) {
    if (!(N = countNamed(B->getLHS())))
      return 0;
    return B->getOpcode() == BO_AddAssign   ? 1
           : B->getOpcode() == BO_SubAssign ? -1
                                            : 0;
  }
  if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(S)) {
    if (OC->getNumArgs() < 1 || !(N = countNamed(OC->getArg(0))))
      return 0;
    switch (OC->getOperator()) {
    case OO_PlusPlus:
    case OO_PlusEqual:
      return 1;
    case OO_MinusMinus:
    case OO_MinusEqual:
      return -1;
    default:
      return 0;
    }
  }
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S)) {
    const CXXMethodDecl *MD = MC->getMethodDecl();
    if (!MD || !MD->getIdentifier() ||
        !(N = countNamed(MC->getImplicitObjectArgument())))
      return 0;
    return MD->getName() == "fetch_add"   ? 1
           : MD->getName() == "fetch_sub" ? -1
                                          : 0;
  }
  return 0;
}
} // namespace

std::optional<InferredCounter> inferWaitGroup(const CXXRecordDecl *RD) {
  if (!RD || !RD->hasDefinition())
    return std::nullopt;
  RD = RD->getDefinition();
  const SourceManager &SM = RD->getASTContext().getSourceManager();
  if (RD->isDependentContext() || RD->isLambda() ||
      llvm::isa<ClassTemplateSpecializationDecl>(RD) ||
      SM.isInSystemHeader(RD->getLocation()))
    return std::nullopt;
  bool HasCV = llvm::any_of(RD->fields(), [](const FieldDecl *F) {
    return isCondVarType(F->getType());
  });
  if (!HasCV)
    return std::nullopt;
  InferredCounter Out;
  const FieldDecl *Count = nullptr;
  bool Wait = false, Done = false, Add = false;
  // One count member for every method.
  auto Same = [&Count](const FieldDecl *N) {
    if (!Count)
      Count = N;
    return Count == N;
  };
  for (const CXXMethodDecl *MD : RD->methods()) {
    const FunctionDecl *Def = nullptr;
    if (llvm::isa<CXXConstructorDecl, CXXDestructorDecl>(MD) ||
        MD->isStatic() || !MD->getIdentifier() || !MD->hasBody(Def) ||
        MD->getAccess() == AS_private)
      continue;
    int Raises = 0, Lowers = 0, Waits = 0, Timed = 0, Notifies = 0;
    bool Bad = false;
    walkWithLambdas(Def->getBody(), nullptr, [&](const Stmt *S) {
      const FieldDecl *N = nullptr;
      if (int C = changeOf(S, N)) {
        Bad |= !Same(N);
        (C > 0 ? Raises : Lowers) += 1;
        return;
      }
      const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S);
      const CXXMethodDecl *Callee = MC ? MC->getMethodDecl() : nullptr;
      if (!Callee || !Callee->getIdentifier() ||
          !isCondVarType(MC->getImplicitObjectArgument()->getType()))
        return;
      llvm::StringRef Name = Callee->getName();
      if (Name.starts_with("notify"))
        ++Notifies;
      else if (Name == "wait_for" || Name == "wait_until" ||
               Name == "timed_wait")
        ++Timed;
      else if (Name == "wait") {
        // `cv.wait(lk, [&] { return n == 0; })`, or inside
        // `while (n > 0) cv.wait(lk);` (checked below).
        const FieldDecl *WN = nullptr;
        if (MC->getNumArgs() == 2) {
          const auto *LE = llvm::dyn_cast<LambdaExpr>(
              MC->getArg(1)->IgnoreParenImpCasts()->IgnoreImplicit());
          const CompoundStmt *Body = LE ? LE->getCompoundStmtBody() : nullptr;
          const auto *Ret = Body && Body->size() == 1
                                ? llvm::dyn_cast<ReturnStmt>(Body->body_front())
                                : nullptr;
          if (Ret && Ret->getRetValue() && saysZero(Ret->getRetValue(), WN) &&
              Same(WN))
            ++Waits;
          else
            Bad = true;
        } else if (MC->getNumArgs() == 1) {
          ++Waits; // Its loop is checked below.
        } else {
          Bad = true;
        }
      }
    });
    // A bare wait must sit in `while (count > 0)`.
    if (Waits) {
      unsigned Bare = 0, Looped = 0;
      walkOwnCode(Def->getBody(), [&](const Stmt *S) {
        if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S);
            MC && MC->getNumArgs() == 1 && MC->getMethodDecl() &&
            MC->getMethodDecl()->getIdentifier() &&
            MC->getMethodDecl()->getName() == "wait" &&
            isCondVarType(MC->getImplicitObjectArgument()->getType()))
          ++Bare;
        const auto *W = llvm::dyn_cast<WhileStmt>(S);
        const FieldDecl *N = nullptr;
        if (W && saysNonZero(W->getCond(), N) && Same(N))
          walkOwnCode(W->getBody(), [&](const Stmt *In) {
            if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(In);
                MC && MC->getNumArgs() == 1 && MC->getMethodDecl() &&
                MC->getMethodDecl()->getIdentifier() &&
                MC->getMethodDecl()->getName() == "wait")
              ++Looped;
          });
      });
      Bad |= Bare != Looped;
    }
    if (Bad || Timed)
      return std::nullopt;
    if (Waits && !Raises && !Lowers && !Notifies) {
      Out.Ops[MD->getCanonicalDecl()] = CounterOpKind::Wait;
      Wait = true;
    } else if (Lowers && !Raises && !Waits && Notifies) {
      Out.Ops[MD->getCanonicalDecl()] = CounterOpKind::Signal;
      Done = true;
    } else if (Raises && !Lowers && !Waits && !Notifies) {
      Out.Ops[MD->getCanonicalDecl()] = CounterOpKind::Add;
      Add = true;
    } else if (Waits || Raises || Lowers) {
      return std::nullopt; // Something else: not a plain wait group.
    }
  }
  // The count must be an integer.
  if (!Wait || !Done || !Add || !Count)
    return std::nullopt;
  QualType T = Count->getType();
  if (!T->isIntegerType() && !(recordOf(T) && recordOf(T)->getIdentifier() &&
                               recordOf(T)->getName() == "atomic"))
    return std::nullopt;
  if (T->isBooleanType())
    return std::nullopt;
  return Out;
}

const InferredCounter *CounterModel::inferred(const CXXRecordDecl *RD) const {
  if (!RD)
    return nullptr;
  RD = RD->getCanonicalDecl();
  auto [It, New] = Inferred.try_emplace(RD);
  if (New)
    It->second = inferWaitGroup(RD);
  return It->second ? &*It->second : nullptr;
}

CounterOp CounterModel::classify(const CXXMemberCallExpr *MC) const {
  CounterOp Op;
  const CXXMethodDecl *M = MC ? MC->getMethodDecl() : nullptr;
  if (!M || !M->getIdentifier() || !M->getParent()->getIdentifier())
    return Op;
  Op.Object = MC->getImplicitObjectArgument();
  llvm::StringRef Class = M->getParent()->getName(), N = M->getName();
  if (M->getParent()->isInStdNamespace()) {
    if (Class == "latch") {
      Op.Family = CounterOp::Latch;
      Op.Kind = N == "wait"              ? CounterOpKind::Wait
                : N == "arrive_and_wait" ? CounterOpKind::SignalAndWait
                : N == "count_down"      ? CounterOpKind::Signal
                                         : CounterOpKind::None;
    } else if (Class == "counting_semaphore") {
      Op.Family = CounterOp::Semaphore;
      Op.Kind = N == "acquire"   ? CounterOpKind::Wait
                : N == "release" ? CounterOpKind::Signal
                                 : CounterOpKind::None;
    }
    return Op;
  }
  if (const CounterSpec *S = declaredSpec(M->getParent())) {
    Op.Family = CounterOp::WaitGroup;
    Op.Kind = llvm::is_contained(S->Wait, N)   ? CounterOpKind::Wait
              : llvm::is_contained(S->Done, N) ? CounterOpKind::Signal
              : llvm::is_contained(S->Add, N)  ? CounterOpKind::Add
                                               : CounterOpKind::None;
    return Op;
  }
  if (const InferredCounter *IC = inferred(M->getParent())) {
    auto It = IC->Ops.find(M->getCanonicalDecl());
    if (It != IC->Ops.end()) {
      Op.Family = CounterOp::WaitGroup;
      Op.Kind = It->second;
    }
  }
  return Op;
}

const CounterSpec *CounterModel::declaredSpec(const CXXRecordDecl *RD) const {
  if (!RD || WaitGroups.empty() || !RD->getIdentifier())
    return nullptr;
  std::string Qualified = plainQualifiedName(RD);
  for (const CounterSpec &S : WaitGroups)
    if (S.Type == Qualified)
      return &S;
  return nullptr;
}

bool CounterModel::declares(const CXXRecordDecl *RD) const {
  return declaredSpec(RD) != nullptr;
}

std::vector<std::string> CounterModel::waitNames() const {
  std::vector<std::string> Names;
  for (const CounterSpec &S : WaitGroups)
    Names.insert(Names.end(), S.Wait.begin(), S.Wait.end());
  return Names;
}

} // namespace clang::tidy::threadleak
