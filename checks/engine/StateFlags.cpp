//===--- StateFlags.cpp - a data member tested and set as a state flag ----===//

#include "engine/StateFlags.h"
#include "engine/BodyResolver.h"
#include "engine/StmtWalk.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "llvm/ADT/SmallPtrSet.h"

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
    if (BinaryOperator::isRelationalOp(Op)) {
      std::optional<llvm::APSInt> C = constantOf(R, Ctx);
      const MemberExpr *M = C ? memberRead(L) : nullptr;
      if (!M && (C = constantOf(L, Ctx))) {
        M = memberRead(R);
        Op = BinaryOperator::reverseComparisonOp(Op); // `0 < m`: `m > 0`
      }
      if (!TestValue)
        Op = BinaryOperator::negateComparisonOp(Op); // `!(m > 0)`: `m <= 0`
      if (M) {
        FlagTest T{M, true, *C};
        T.Order = Op;
        Out.push_back(T);
      }
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

namespace {
/// The tests \p C runs under in its parent \p P: the `if` whose branch it
/// is, the `if (...) return;` statements before it in a block.
void testsInParent(const Stmt *P, const Stmt *C, const ASTContext &Ctx,
                   llvm::SmallVectorImpl<FlagTest> &Out) {
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
}
} // namespace

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
    if (!P || llvm::isa<LambdaExpr>(P))
      return;
    testsInParent(P, Child.get<Stmt>(), Ctx, Out);
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

namespace {
/// The constant a constructor's or the class's initialiser \p Init gives
/// a member: `m(50)`, `m{kDefault}`, `m = 3`, std::atomic's `m(50)`.
std::optional<llvm::APSInt> initialValue(const Expr *Init,
                                         const ASTContext &Ctx) {
  if (!Init)
    return std::nullopt;
  Init = Init->IgnoreImplicit();
  if (const auto *ILE = llvm::dyn_cast<InitListExpr>(Init);
      ILE && ILE->getNumInits() == 1)
    Init = ILE->getInit(0)->IgnoreImplicit();
  if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(Init)) {
    if (CE->getNumArgs() != 1 ||
        CE->getConstructor()->isCopyOrMoveConstructor())
      return std::nullopt;
    Init = CE->getArg(0);
  }
  return constantOf(Init, Ctx);
}

bool valueType(QualType T) {
  T = T.getCanonicalType();
  if (T->isIntegralOrEnumerationType())
    return true;
  // std::atomic<int>, std::atomic<bool>.
  const auto *Spec = llvm::dyn_cast_or_null<ClassTemplateSpecializationDecl>(
      T->getAsCXXRecordDecl());
  return Spec && Spec->getName() == "atomic" &&
         Spec->getTemplateArgs().size() == 1 &&
         Spec->getTemplateArgs()[0].getKind() == TemplateArgument::Type &&
         Spec->getTemplateArgs()[0].getAsType()->isIntegralOrEnumerationType();
}

std::optional<llvm::SmallVector<llvm::APSInt, 4>>
computeMemberValues(const FieldDecl *F, ASTContext &Ctx) {
  const auto *RD = llvm::dyn_cast<CXXRecordDecl>(F->getParent());
  if (!RD || F->getAccess() != AS_private || RD->hasFriends() ||
      RD->isDependentContext() ||
      RD->getTemplateSpecializationKind() != TSK_Undeclared ||
      !valueType(F->getType()))
    return std::nullopt;
  for (const Decl *D : RD->decls())
    if (const auto *Nested = llvm::dyn_cast<CXXRecordDecl>(D);
        Nested && !Nested->isImplicit() && !Nested->isLambda())
      return std::nullopt;
  llvm::SmallVector<llvm::APSInt, 4> Values;
  auto Add = [&](const llvm::APSInt &V) {
    if (llvm::none_of(Values, [&](const llvm::APSInt &Old) {
          return llvm::APSInt::isSameValue(Old, V);
        }))
      Values.push_back(V);
  };
  std::optional<llvm::APSInt> InClass;
  if (F->hasInClassInitializer()) {
    InClass = initialValue(F->getInClassInitializer(), Ctx);
    if (!InClass)
      return std::nullopt;
    Add(*InClass);
  }
  // Every constructor gives it a constant (a template constructor: we do
  // not follow).
  bool UserCtor = false;
  for (const Decl *D : RD->decls())
    if (const auto *T = llvm::dyn_cast<FunctionTemplateDecl>(D);
        T && llvm::isa<CXXConstructorDecl>(T->getTemplatedDecl()))
      return std::nullopt;
  for (const CXXConstructorDecl *C : RD->ctors()) {
    if (C->isImplicit() || C->isDeleted() || C->isDefaulted())
      continue;
    UserCtor = true;
    const FunctionDecl *Def = nullptr;
    if (!C->hasBody(Def) || !Def)
      return std::nullopt;
    const auto *Ctor = llvm::cast<CXXConstructorDecl>(Def);
    if (Ctor->isCopyOrMoveConstructor())
      continue; // copies a value the member already holds (or another)
    bool Initialised = false;
    for (const CXXCtorInitializer *Init : Ctor->inits()) {
      if (Init->getMember() != F)
        continue;
      if (Init->isInClassMemberInitializer()) {
        Initialised = InClass.has_value();
        continue;
      }
      std::optional<llvm::APSInt> V = initialValue(Init->getInit(), Ctx);
      if (!V)
        return std::nullopt;
      Add(*V);
      Initialised = true;
    }
    if (!Initialised && !InClass)
      return std::nullopt;
  }
  if (!UserCtor && !InClass)
    return std::nullopt;
  // Every use in the class's code (all of it visible: a private member, no
  // friends): a constant write or a read.
  bool Unknown = classCodeMay(F, [&](const Stmt *Body, const FieldDecl *) {
    llvm::SmallPtrSet<const MemberExpr *, 8> Accounted;
    llvm::SmallVector<const MemberExpr *, 8> Uses;
    llvm::SmallVector<const Stmt *, 32> Work{Body};
    while (!Work.empty()) {
      const Stmt *S = Work.pop_back_val();
      if (!S)
        continue;
      if (const auto *ME = llvm::dyn_cast<MemberExpr>(S);
          ME && ME->getMemberDecl() == F)
        Uses.push_back(ME);
      if (std::optional<FlagWrite> W = flagWrite(S, Ctx);
          W && W->Member->getMemberDecl() == F) {
        Add(W->Value);
        Accounted.insert(W->Member);
      }
      if (const auto *IC = llvm::dyn_cast<ImplicitCastExpr>(S);
          IC && IC->getCastKind() == CK_LValueToRValue)
        if (const auto *ME =
                llvm::dyn_cast<MemberExpr>(IC->getSubExpr()->IgnoreParens()))
          Accounted.insert(ME);
      if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S))
        if (const CXXMethodDecl *MD = MC->getMethodDecl(); MD && MD->isConst())
          if (const auto *ME = llvm::dyn_cast<MemberExpr>(
                  MC->getImplicitObjectArgument()->IgnoreParenImpCasts()))
            Accounted.insert(ME);
      if (const auto *L = llvm::dyn_cast<LambdaExpr>(S)) {
        Work.push_back(L->getBody());
        continue;
      }
      for (const Stmt *C : S->children())
        Work.push_back(C);
    }
    // An increment, an address, a reference...
    return llvm::any_of(
        Uses, [&](const MemberExpr *ME) { return !Accounted.contains(ME); });
  });
  if (Unknown)
    return std::nullopt;
  return Values;
}
} // namespace

std::optional<llvm::SmallVector<llvm::APSInt, 4>>
memberValues(const FieldDecl *F, ASTContext &Ctx) {
  return computeMemberValues(F, Ctx);
}

namespace {
/// The statements from \p Root down to \p S (both included), found by a
/// walk of \p Root (lambda bodies too): no parent map, which would cost a
/// walk of the whole translation unit.
bool pathTo(const Stmt *Root, const Stmt *S,
            llvm::SmallVectorImpl<const Stmt *> &Path) {
  if (!Root)
    return false;
  Path.push_back(Root);
  if (Root == S)
    return true;
  if (const auto *L = llvm::dyn_cast<LambdaExpr>(Root)) {
    if (pathTo(L->getBody(), S, Path))
      return true;
  } else {
    for (const Stmt *C : Root->children())
      if (pathTo(C, S, Path))
        return true;
  }
  Path.pop_back();
  return false;
}
} // namespace

bool cannotRun(const Stmt *S, const Stmt *Body, ASTContext &Ctx) {
  llvm::SmallVector<const Stmt *, 32> Path;
  if (!S || !pathTo(Body, S, Path))
    return false;
  // The tests S runs under, as guardingFlagTests reads them, up to the
  // innermost lambda around it.
  llvm::SmallVector<FlagTest, 4> Tests;
  for (size_t I = Path.size() - 1; I > 0; --I) {
    const Stmt *C = Path[I], *P = Path[I - 1];
    if (llvm::isa<LambdaExpr>(P))
      break;
    testsInParent(P, C, Ctx, Tests);
  }
  for (const FlagTest &T : Tests) {
    const auto *F = llvm::dyn_cast<FieldDecl>(T.Member->getMemberDecl());
    std::optional<llvm::SmallVector<llvm::APSInt, 4>> Values =
        F ? memberValues(F, Ctx) : std::nullopt;
    if (Values && !Values->empty() &&
        llvm::all_of(*Values,
                     [&](const llvm::APSInt &V) { return T.failedBy(V); }))
      return true;
  }
  return false;
}

} // namespace clang::tidy::threadleak
