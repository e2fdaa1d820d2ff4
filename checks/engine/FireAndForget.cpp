//===--- FireAndForget.cpp ------------------------------------------------===//

#include "engine/FireAndForget.h"
#include "engine/BodyResolver.h"
#include "engine/StmtWalk.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclFriend.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprConcepts.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/StmtCXX.h"
#include "llvm/ADT/DenseSet.h"

namespace clang::tidy::threadleak {

namespace {

/// How many base classes deep carriesNothing looks.
constexpr unsigned MaxBaseDepth = 8;

/// The first co_await under \p S: the initial suspend point Sema built
/// (possibly under the full-expression's cleanups).
const CoawaitExpr *firstAwait(const Stmt *S) {
  const CoawaitExpr *Found = nullptr;
  walkPruned(S, [&](const Stmt *Node) {
    if (Found)
      return false;
    Found = llvm::dyn_cast<CoawaitExpr>(Node);
    return !Found;
  });
  return Found;
}

/// The member function called by \p E (`awaiter.await_ready()` under its
/// implicit conversions), or null.
const CXXMethodDecl *calledMethod(const Expr *E) {
  const auto *MC = llvm::dyn_cast_or_null<CXXMemberCallExpr>(bareExpr(E));
  return MC ? MC->getMethodDecl() : nullptr;
}

/// A constexpr function whose whole body is `return <constant true>;`.
bool returnsConstantTrue(const FunctionDecl *FD) {
  const FunctionDecl *Def = definitionWithBody(FD);
  if (!Def || !Def->isConstexpr())
    return false;
  const Expr *V = accessorReturnValue(Def);
  if (!V || V->isValueDependent())
    return false;
  bool Result = false;
  return V->EvaluateAsBooleanCondition(Result, Def->getASTContext()) &&
         Result;
}

/// True if \p RD is a special member only: a constructor, the destructor,
/// or a copy/move assignment.
bool isSpecialMember(const CXXMethodDecl *M) {
  return llvm::isa<CXXConstructorDecl, CXXDestructorDecl>(M) ||
         M->isCopyAssignmentOperator() || M->isMoveAssignmentOperator();
}

bool recordCarriesNothing(const CXXRecordDecl *RD, unsigned Depth) {
  if (!RD || Depth > MaxBaseDepth)
    return false;
  RD = RD->getDefinition();
  if (!RD || RD->isDependentContext() || !RD->field_empty())
    return false;
  for (const Decl *D : RD->decls()) {
    if (const auto *M = llvm::dyn_cast<CXXMethodDecl>(D)) {
      if (!isSpecialMember(M))
        return false; // get(), join(), await_ready(), a handle accessor...
      continue;
    }
    // A member template that is not a constructor (a templated
    // operator co_await, a get<T>()).
    if (const auto *FT = llvm::dyn_cast<FunctionTemplateDecl>(D))
      if (!llvm::isa<CXXConstructorDecl>(FT->getTemplatedDecl()))
        return false;
    // A hidden friend (`friend auto operator co_await(R)`), found only by
    // argument-dependent lookup.
    if (const auto *FD = llvm::dyn_cast<FriendDecl>(D))
      if (const NamedDecl *F = FD->getFriendDecl();
          F && llvm::isa<FunctionDecl, FunctionTemplateDecl>(F))
        return false;
    // A using-declaration may bring in a base's members; they are checked
    // with the base.
  }
  for (const CXXBaseSpecifier &B : RD->bases())
    if (!recordCarriesNothing(B.getType()->getAsCXXRecordDecl(), Depth + 1))
      return false;
  return true;
}

/// A non-member `operator co_await` that may take \p RD, declared in
/// \p DC (a namespace).
bool declaresCoAwaitFor(const DeclContext *DC, const CXXRecordDecl *RD) {
  if (!DC)
    return false;
  const ASTContext &Ctx = RD->getASTContext();
  DeclarationName Name =
      Ctx.DeclarationNames.getCXXOperatorName(OO_Coawait);
  for (const NamedDecl *ND : const_cast<DeclContext *>(DC)->lookup(Name)) {
    if (llvm::isa<FunctionTemplateDecl>(ND))
      return true; // Generic: it may take anything.
    if (const auto *FD = llvm::dyn_cast<FunctionDecl>(ND))
      if (FD->getNumParams() >= 1) {
        const CXXRecordDecl *P = recordOf(FD->getParamDecl(0)->getType());
        if (!P || P->getCanonicalDecl() == RD->getCanonicalDecl())
          return true;
      }
  }
  return false;
}

} // namespace

bool neverSuspends(const CXXRecordDecl *Awaiter) {
  if (!Awaiter)
    return false;
  if (Awaiter->getIdentifier() && Awaiter->getName() == "suspend_never" &&
      plainQualifiedName(Awaiter) == "std::suspend_never")
    return true;
  const CXXRecordDecl *Def = Awaiter->getDefinition();
  if (!Def)
    return false;
  const ASTContext &Ctx = Def->getASTContext();
  auto Name = &Ctx.Idents.get("await_ready");
  for (const NamedDecl *ND : Def->lookup(Name))
    if (const auto *M = llvm::dyn_cast<CXXMethodDecl>(ND))
      return returnsConstantTrue(M);
  return false;
}

bool carriesNothing(QualType T) {
  if (T.isNull())
    return false;
  T = T.getCanonicalType();
  if (T->isVoidType())
    return true;
  if (T->isReferenceType() || T->isPointerType())
    return false;
  const CXXRecordDecl *RD = T->getAsCXXRecordDecl();
  if (!RD || !recordCarriesNothing(RD, 0))
    return false;
  RD = RD->getDefinition();
  // `operator co_await(R)` declared beside R, or in the global namespace.
  const DeclContext *NS = RD->getEnclosingNamespaceContext();
  if (declaresCoAwaitFor(NS, RD))
    return false;
  const DeclContext *TU = RD->getTranslationUnitDecl();
  return NS == TU || !declaresCoAwaitFor(TU, RD);
}

FireAndForgetKind fireAndForgetKind(const FunctionDecl *FD,
                                    const NameList &DetachedTypes) {
  const FunctionDecl *Def = definitionWithBody(FD);
  const auto *Body =
      Def ? llvm::dyn_cast<CoroutineBodyStmt>(Def->getBody()) : nullptr;
  if (!Body)
    return FireAndForgetKind::None;
  QualType R = Def->getReturnType();
  if (const CXXRecordDecl *RD = R->getAsCXXRecordDecl();
      RD && DetachedTypes.contains(RD))
    return FireAndForgetKind::NamedType;
  if (!carriesNothing(R))
    return FireAndForgetKind::None;
  // The initial suspend point Sema built from the promise that
  // std::coroutine_traits names: `co_await promise.initial_suspend()`.
  // Eager if its awaiter's await_ready() is constant true.
  const CoawaitExpr *Initial = firstAwait(Body->getInitSuspendStmt());
  if (!Initial)
    return FireAndForgetKind::None;
  const CXXMethodDecl *Ready = calledMethod(Initial->getReadyExpr());
  if (!Ready || !neverSuspends(Ready->getParent()))
    return FireAndForgetKind::None;
  return FireAndForgetKind::Eager;
}

const FunctionDecl *coroutineMadeBy(const Expr *Arg, const CallExpr **Call) {
  const Expr *E = bareExprThroughCopies(Arg);
  // std::move(t) / std::forward<T>(t)
  if (const auto *CE = llvm::dyn_cast_or_null<CallExpr>(E))
    if (const FunctionDecl *F = CE->getDirectCallee();
        F && F->getIdentifier() && CE->getNumArgs() == 1 &&
        (F->getName() == "move" || F->getName() == "forward") &&
        F->isInStdNamespace())
      E = bareExprThroughCopies(CE->getArg(0));
  // A local made by the call: `auto t = worker(ch); spawn(std::move(t));`.
  if (const auto *DRE = llvm::dyn_cast_or_null<DeclRefExpr>(E))
    if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl());
        VD && VD->hasLocalStorage() && !llvm::isa<ParmVarDecl>(VD) &&
        !VD->getType()->isReferenceType() && VD->getInit())
      E = bareExprThroughCopies(VD->getInit());
  const auto *C = llvm::dyn_cast_or_null<CallExpr>(E);
  if (!C)
    return nullptr;
  const FunctionDecl *Def = definitionWithBody(C->getDirectCallee());
  if (!isCoroutine(Def))
    return nullptr;
  if (Call)
    *Call = C;
  return Def;
}

/// True if \p Body calls `join()` on \p D, or uses \p D other than as the
/// object of a member call (it may reach code that joins it).
static bool joinsOrEscapes(const Stmt *Body, const ValueDecl *D) {
  bool Found = false;
  llvm::DenseSet<const Expr *> AsObject;
  walkWithLambdas(Body, nullptr, [&](const Stmt *S) {
    if (Found)
      return;
    if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S)) {
      const Expr *Obj = MC->getImplicitObjectArgument();
      if (!Obj)
        return;
      Obj = Obj->IgnoreParenImpCasts();
      AsObject.insert(Obj);
      const CXXMethodDecl *M = MC->getMethodDecl();
      const ValueDecl *Named = nullptr;
      if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(Obj))
        Named = DRE->getDecl();
      else if (const auto *ME = llvm::dyn_cast<MemberExpr>(Obj))
        Named = ME->getMemberDecl();
      if (Named == D && M && M->getIdentifier() && M->getName() == "join")
        Found = true;
      return;
    }
    if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(S))
      if (DRE->getDecl() == D && !AsObject.contains(DRE))
        Found = true;
    if (const auto *ME = llvm::dyn_cast<MemberExpr>(S))
      if (ME->getMemberDecl() == D && !AsObject.contains(ME))
        Found = true;
  });
  return Found;
}

bool scopeMayBeJoined(const Expr *Scope) {
  const Expr *E = Scope ? Scope->IgnoreParenImpCasts() : nullptr;
  if (const auto *DRE = llvm::dyn_cast_or_null<DeclRefExpr>(E)) {
    const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl());
    if (!VD || !VD->hasLocalStorage() || llvm::isa<ParmVarDecl>(VD) ||
        VD->getType()->isReferenceType())
      return true;
    const auto *Fn =
        llvm::dyn_cast_or_null<FunctionDecl>(VD->getParentFunctionOrMethod());
    return !Fn || !Fn->getBody() || joinsOrEscapes(Fn->getBody(), VD);
  }
  const auto *ME = llvm::dyn_cast_or_null<MemberExpr>(E);
  if (!ME || !llvm::isa<CXXThisExpr>(ME->getBase()->IgnoreParenImpCasts()))
    return true;
  const auto *FD = llvm::dyn_cast<FieldDecl>(ME->getMemberDecl());
  // Code outside the class may reach a member that is not private.
  return classCodeMay(FD, [](const Stmt *Code, const FieldDecl *Member) {
    return joinsOrEscapes(Code, Member);
  });
}

bool isEvaluated(const Expr *Call, ASTContext &Ctx) {
  DynTypedNode Node = DynTypedNode::create(*Call);
  // Up to the statement or declaration that holds the expression; a type
  // (decltype) on the way means the expression is never evaluated.
  for (unsigned Steps = 0; Steps < 64; ++Steps) {
    DynTypedNodeList Parents = Ctx.getParents(Node);
    if (Parents.empty())
      return true;
    const DynTypedNode &P = Parents[0];
    if (P.get<TypeLoc>() || P.get<QualType>())
      return false;
    if (const auto *S = P.get<Stmt>()) {
      if (llvm::isa<UnaryExprOrTypeTraitExpr, CXXNoexceptExpr,
                    RequiresExpr>(S))
        return false;
      if (const auto *TI = llvm::dyn_cast<CXXTypeidExpr>(S))
        return TI->isPotentiallyEvaluated();
      // A function's body, a lambda's: evaluated when the function runs.
      if (llvm::isa<CompoundStmt>(S))
        return true;
    }
    if (P.get<Decl>())
      return true;
    Node = P;
  }
  return true;
}

} // namespace clang::tidy::threadleak
