//===--- PathFacts.cpp - what the conditions around a statement say -------===//

#include "engine/PathFacts.h"
#include "engine/StmtWalk.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "llvm/ADT/SmallVector.h"

namespace clang::tidy::threadleak {

namespace {

int64_t plus(int64_t A, int64_t B) {
  if (B > 0 && A > INT64_MAX - B)
    return INT64_MAX;
  if (B < 0 && A < INT64_MIN - B)
    return INT64_MIN;
  return A + B;
}

const Expr *strip(const Expr *E) {
  for (;;) {
    E = E->IgnoreParens();
    const auto *IC = llvm::dyn_cast<ImplicitCastExpr>(E);
    if (!IC || IC->getCastKind() == CK_IntegralToBoolean ||
        IC->getCastKind() == CK_PointerToBoolean)
      return E;
    E = IC->getSubExpr();
  }
}

const VarDecl *varOf(const Expr *E) {
  const auto *DRE = llvm::dyn_cast<DeclRefExpr>(strip(E));
  const auto *VD = DRE ? llvm::dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
  if (!VD || VD->getType()->isReferenceType() ||
      VD->getType().isVolatileQualified() ||
      !(VD->getType()->isIntegralOrEnumerationType()) ||
      !(VD->isLocalVarDecl() || llvm::isa<ParmVarDecl>(VD)) ||
      VD->isStaticLocal())
    return nullptr;
  return VD;
}

BinaryOperatorKind reversed(BinaryOperatorKind Op) {
  switch (Op) {
  case BO_LT:
    return BO_GT;
  case BO_GT:
    return BO_LT;
  case BO_LE:
    return BO_GE;
  case BO_GE:
    return BO_LE;
  default:
    return Op;
  }
}

BinaryOperatorKind negated(BinaryOperatorKind Op) {
  switch (Op) {
  case BO_LT:
    return BO_GE;
  case BO_GE:
    return BO_LT;
  case BO_GT:
    return BO_LE;
  case BO_LE:
    return BO_GT;
  case BO_EQ:
    return BO_NE;
  default:
    return BO_EQ;
  }
}

} // namespace

std::optional<PathFacts::Atom> PathFacts::atomOf(const Expr *E) const {
  E = strip(E);
  if (const auto *IC = llvm::dyn_cast<ImplicitCastExpr>(E)) {
    // `if (n)`: n != 0.
    if (const VarDecl *V = varOf(IC->getSubExpr()); V && unchanging(V))
      return Atom{V, BO_NE, 0};
    return std::nullopt;
  }
  if (const VarDecl *V = varOf(E);
      V && unchanging(V) && V->getType()->isBooleanType())
    return Atom{V, BO_NE, 0};
  const auto *BO = llvm::dyn_cast<BinaryOperator>(E);
  if (!BO || !BO->isComparisonOp() || BO->getOpcode() == BO_Cmp)
    return std::nullopt;
  BinaryOperatorKind Op = BO->getOpcode();
  const Expr *L = BO->getLHS(), *R = BO->getRHS();
  const VarDecl *V = varOf(L);
  if (!V || !unchanging(V)) {
    V = varOf(R);
    std::swap(L, R);
    Op = reversed(Op);
  }
  if (!V || !unchanging(V) || R->isValueDependent())
    return std::nullopt;
  Expr::EvalResult Res;
  if (!R->EvaluateAsInt(Res, *Ctx) ||
      Res.Val.getInt().getSignificantBits() > 64)
    return std::nullopt;
  return Atom{V, Op, Res.Val.getInt().getExtValue()};
}

bool PathFacts::unchanging(const VarDecl *V) const {
  auto It = Written.find(V);
  return It != Written.end() && !It->second;
}

void PathFacts::assume(const Expr *Cond, bool Value) {
  const Expr *E = strip(Cond);
  if (const auto *UO = llvm::dyn_cast<UnaryOperator>(E);
      UO && UO->getOpcode() == UO_LNot) {
    assume(UO->getSubExpr(), !Value);
    return;
  }
  if (const auto *BO = llvm::dyn_cast<BinaryOperator>(E)) {
    if ((BO->getOpcode() == BO_LAnd && Value) ||
        (BO->getOpcode() == BO_LOr && !Value)) {
      assume(BO->getLHS(), Value);
      assume(BO->getRHS(), Value);
      return;
    }
  }
  std::optional<Atom> A = atomOf(E);
  if (!A)
    return;
  BinaryOperatorKind Op = Value ? A->Op : negated(A->Op);
  Range &R = Ranges.try_emplace(A->V).first->second;
  if (R.Lo == INT64_MIN && R.Hi == INT64_MAX) {
    if (A->V->getType()->isBooleanType())
      R = {0, 1};
    else if (A->V->getType()->isUnsignedIntegerOrEnumerationType())
      R.Lo = 0;
  }
  switch (Op) {
  case BO_LT:
    R.Hi = std::min(R.Hi, plus(A->C, -1));
    break;
  case BO_LE:
    R.Hi = std::min(R.Hi, A->C);
    break;
  case BO_GT:
    R.Lo = std::max(R.Lo, plus(A->C, 1));
    break;
  case BO_GE:
    R.Lo = std::max(R.Lo, A->C);
    break;
  case BO_EQ:
    R.Lo = std::max(R.Lo, A->C);
    R.Hi = std::min(R.Hi, A->C);
    break;
  case BO_NE:
    if (R.Lo == A->C)
      R.Lo = plus(R.Lo, 1);
    else if (R.Hi == A->C)
      R.Hi = plus(R.Hi, -1);
    break;
  default:
    break;
  }
}

std::optional<bool> PathFacts::decide(const Expr *Cond) const {
  if (!Cond || Ranges.empty())
    return std::nullopt;
  const Expr *E = strip(Cond);
  if (const auto *UO = llvm::dyn_cast<UnaryOperator>(E);
      UO && UO->getOpcode() == UO_LNot) {
    if (std::optional<bool> B = decide(UO->getSubExpr()))
      return !*B;
    return std::nullopt;
  }
  if (const auto *BO = llvm::dyn_cast<BinaryOperator>(E);
      BO && (BO->getOpcode() == BO_LAnd || BO->getOpcode() == BO_LOr)) {
    std::optional<bool> L = decide(BO->getLHS()), R = decide(BO->getRHS());
    bool And = BO->getOpcode() == BO_LAnd;
    // The short circuit's value: either side decides it alone.
    if ((L && *L != And) || (R && *R != And))
      return !And;
    if (L && R)
      return And;
    return std::nullopt;
  }
  std::optional<Atom> A = atomOf(E);
  if (!A)
    return std::nullopt;
  auto It = Ranges.find(A->V);
  if (It == Ranges.end())
    return std::nullopt;
  const Range &R = It->second;
  int64_t C = A->C;
  switch (A->Op) {
  case BO_LT:
    if (R.Hi < C)
      return true;
    if (R.Lo >= C)
      return false;
    break;
  case BO_LE:
    if (R.Hi <= C)
      return true;
    if (R.Lo > C)
      return false;
    break;
  case BO_GT:
    if (R.Lo > C)
      return true;
    if (R.Hi <= C)
      return false;
    break;
  case BO_GE:
    if (R.Lo >= C)
      return true;
    if (R.Hi < C)
      return false;
    break;
  case BO_EQ:
  case BO_NE: {
    std::optional<bool> Eq;
    if (R.Lo == C && R.Hi == C)
      Eq = true;
    else if (C < R.Lo || C > R.Hi)
      Eq = false;
    if (Eq)
      return A->Op == BO_EQ ? *Eq : !*Eq;
    break;
  }
  default:
    break;
  }
  return std::nullopt;
}

std::optional<std::pair<int64_t, int64_t>>
PathFacts::rangeOf(const VarDecl *V) const {
  auto It = Ranges.find(V);
  if (It == Ranges.end())
    return std::nullopt;
  return std::make_pair(It->second.Lo, It->second.Hi);
}

PathFacts PathFacts::at(const Stmt *S, const FunctionDecl *Fn,
                        ASTContext &Ctx) {
  PathFacts F;
  F.Ctx = &Ctx;
  F.Fn = Fn;
  if (!S || !Fn || !Fn->getBody())
    return F;
  const Stmt *Body = Fn->getBody();
  // A coroutine's parameters are copied into its frame by code the user did
  // not write: only the written body counts.
  if (const auto *CB = llvm::dyn_cast<CoroutineBodyStmt>(Body))
    Body = CB->getBody();
  // Every use of a variable that is not a read is a write (an assignment, an
  // increment, `&v`, a reference bound to it, a capture by reference): the
  // parents of the statements, and the writes of each variable.
  llvm::DenseMap<const Stmt *, const Stmt *> Parent;
  llvm::DenseMap<const VarDecl *, llvm::SmallVector<const Stmt *, 2>> Writes;
  bool Found = false;
  for (const ParmVarDecl *P : Fn->parameters())
    F.Written[P] = false;
  detail::walkStmts(
      Body,
      [&](const Stmt *Cur, llvm::SmallVectorImpl<const Stmt *> &Out) {
        size_t Before = Out.size();
        if (const auto *LE = llvm::dyn_cast<LambdaExpr>(Cur)) {
          for (const LambdaCapture &C : LE->captures())
            if (C.capturesVariable() && C.getCaptureKind() == LCK_ByRef)
              if (const auto *V = llvm::dyn_cast<VarDecl>(C.getCapturedVar()))
                Writes[V].push_back(LE);
          Out.append(LE->capture_init_begin(), LE->capture_init_end());
          Out.push_back(LE->getBody());
        } else {
          Out.append(Cur->child_begin(), Cur->child_end());
        }
        for (size_t I = Before; I < Out.size(); ++I)
          if (Out[I])
            Parent[Out[I]] = Cur;
      },
      [&](const Stmt *Cur) {
        Found |= Cur == S;
        if (const auto *DS = llvm::dyn_cast<DeclStmt>(Cur))
          for (const Decl *D : DS->decls())
            if (const auto *V = llvm::dyn_cast<VarDecl>(D))
              F.Written.try_emplace(V, false);
        const auto *DRE = llvm::dyn_cast<DeclRefExpr>(Cur);
        const auto *V = DRE ? llvm::dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
        if (!V)
          return true;
        // Find the use: through parentheses to what reads or writes it.
        const Stmt *Use = Cur;
        const Stmt *P = Parent.lookup(Use);
        while (P && llvm::isa<ParenExpr>(P)) {
          Use = P;
          P = Parent.lookup(P);
        }
        const auto *IC = llvm::dyn_cast_or_null<ImplicitCastExpr>(P);
        if (!IC || IC->getCastKind() != CK_LValueToRValue)
          Writes[V].push_back(P ? P : Cur);
        return true;
      });
  if (!Found)
    return F;
  for (auto &[V, Sites] : Writes)
    F.Written[V] = true;

  // The loop counters around S: `for (int i = K; ...; ++i)`, written only
  // by the increment, upwards. Within the body, i >= K.
  auto CounterFloor = [&](const ForStmt *For,
                          const VarDecl *I) -> std::optional<int64_t> {
    const auto *DS = llvm::dyn_cast_or_null<DeclStmt>(For->getInit());
    if (!DS || !DS->isSingleDecl() || DS->getSingleDecl() != I || !I->getInit())
      return std::nullopt;
    auto It = Writes.find(I);
    if (It == Writes.end() || It->second.size() != 1)
      return std::nullopt;
    const Stmt *W = It->second.front();
    const Expr *Inc = For->getInc() ? For->getInc()->IgnoreParens() : nullptr;
    if (W != Inc)
      return std::nullopt;
    if (const auto *UO = llvm::dyn_cast<UnaryOperator>(Inc);
        !(UO && UO->isIncrementOp())) {
      const auto *CA = llvm::dyn_cast<CompoundAssignOperator>(Inc);
      Expr::EvalResult Step;
      if (!CA || CA->getOpcode() != BO_AddAssign ||
          !CA->getRHS()->EvaluateAsInt(Step, Ctx) ||
          !Step.Val.getInt().isStrictlyPositive())
        return std::nullopt;
    }
    Expr::EvalResult K;
    if (!I->getInit()->EvaluateAsInt(K, Ctx) ||
        K.Val.getInt().getSignificantBits() > 64)
      return std::nullopt;
    return K.Val.getInt().getExtValue();
  };
  // `i < n` (or `i <= n`, `n > i`, `n >= i`) with i a counter from K: n > K
  // (n >= K).
  auto CounterBound = [&](const ForStmt *For, const Expr *Cond) {
    const auto *BO = llvm::dyn_cast<BinaryOperator>(strip(Cond));
    if (!BO || !BO->isRelationalOp())
      return;
    BinaryOperatorKind Op = BO->getOpcode();
    const VarDecl *I = varOf(BO->getLHS()), *N = varOf(BO->getRHS());
    if (Op == BO_GT || Op == BO_GE) {
      std::swap(I, N);
      Op = reversed(Op);
    }
    if (!I || !N || !F.unchanging(N) || (Op != BO_LT && Op != BO_LE))
      return;
    std::optional<int64_t> K = CounterFloor(For, I);
    if (!K)
      return;
    Range &R = F.Ranges.try_emplace(N).first->second;
    if (N->getType()->isUnsignedIntegerOrEnumerationType())
      R.Lo = std::max<int64_t>(R.Lo, 0);
    R.Lo = std::max(R.Lo, Op == BO_LT ? plus(*K, 1) : *K);
  };

  for (const Stmt *C = S, *P = Parent.lookup(S); P;
       C = P, P = Parent.lookup(P)) {
    if (llvm::isa<LambdaExpr>(P))
      break; // S runs when the lambda is called, not here
    if (const auto *If = llvm::dyn_cast<IfStmt>(P)) {
      if (If->getConditionVariable() || If->isConsteval())
        continue;
      if (C == If->getThen())
        F.assume(If->getCond(), true);
      else if (C == If->getElse())
        F.assume(If->getCond(), false);
    } else if (const auto *W = llvm::dyn_cast<WhileStmt>(P)) {
      if (C == W->getBody() && !W->getConditionVariable())
        F.assume(W->getCond(), true);
    } else if (const auto *For = llvm::dyn_cast<ForStmt>(P)) {
      if (C == For->getBody() && For->getCond() &&
          !For->getConditionVariable()) {
        F.assume(For->getCond(), true);
        CounterBound(For, For->getCond());
      }
    } else if (const auto *CO = llvm::dyn_cast<ConditionalOperator>(P)) {
      if (C == CO->getTrueExpr())
        F.assume(CO->getCond(), true);
      else if (C == CO->getFalseExpr())
        F.assume(CO->getCond(), false);
    } else if (const auto *BO = llvm::dyn_cast<BinaryOperator>(P)) {
      if (C == BO->getRHS() && BO->getOpcode() == BO_LAnd)
        F.assume(BO->getLHS(), true);
      else if (C == BO->getRHS() && BO->getOpcode() == BO_LOr)
        F.assume(BO->getLHS(), false);
    }
  }
  return F;
}

} // namespace clang::tidy::threadleak
