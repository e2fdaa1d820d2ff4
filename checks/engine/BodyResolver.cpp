//===--- BodyResolver.cpp -------------------------------------------------===//

#include "engine/BodyResolver.h"
#include "clang/AST/StmtCXX.h"
#include "model/ConcurrencyModel.h"
#include "clang/AST/Attr.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"

namespace clang::tidy::threadleak {

const FunctionDecl *definitionWithBody(const FunctionDecl *FD) {
  if (!FD)
    return nullptr;
  const FunctionDecl *Def = nullptr;
  if (FD->hasBody(Def) && Def && Def->getBody())
    return Def;
  // A member of a class template specialization: look at the pattern's
  // instantiation (already covered by hasBody), nothing else to try.
  return nullptr;
}

/// The call operator a closure or function object runs.
static const FunctionDecl *callOperatorOf(const CXXRecordDecl *RD) {
  if (!RD || !RD->hasDefinition())
    return nullptr;
  RD = RD->getDefinition();
  if (RD->isLambda()) {
    const CXXMethodDecl *Op = RD->getLambdaCallOperator();
    if (!Op)
      return nullptr;
    if (const FunctionTemplateDecl *FTD = Op->getDescribedFunctionTemplate()) {
      // A generic lambda: use its instantiation if exactly one exists.
      const FunctionDecl *Only = nullptr;
      for (const FunctionDecl *Spec : FTD->specializations()) {
        if (Only)
          return nullptr;
        Only = Spec;
      }
      return definitionWithBody(Only);
    }
    return definitionWithBody(Op);
  }
  const FunctionDecl *Only = nullptr;
  for (const CXXMethodDecl *M : RD->methods()) {
    if (M->getOverloadedOperator() != OO_Call)
      continue;
    if (Only)
      return nullptr; // Overloaded: we cannot tell which one runs.
    Only = M;
  }
  return definitionWithBody(Only);
}

static bool isBindFunction(const FunctionDecl *FD) {
  if (!FD || !FD->getIdentifier())
    return false;
  llvm::StringRef N = FD->getName();
  if (N != "bind" && N != "bind_front")
    return false;
  std::string Q = plainQualifiedName(FD);
  return Q == "std::bind" || Q == "std::bind_front" || Q == "boost::bind";
}

static ResolvedBody resolve(const Expr *E, unsigned Depth) {
  ResolvedBody R;
  if (!E || Depth > 8)
    return R;
  E = E->IgnoreImplicit()->IgnoreParenImpCasts();

  if (const auto *MTE = llvm::dyn_cast<MaterializeTemporaryExpr>(E))
    return resolve(MTE->getSubExpr(), Depth + 1);
  if (const auto *BTE = llvm::dyn_cast<CXXBindTemporaryExpr>(E))
    return resolve(BTE->getSubExpr(), Depth + 1);
  if (const auto *FCE = llvm::dyn_cast<CXXFunctionalCastExpr>(E))
    if (!llvm::isa<CXXTemporaryObjectExpr>(FCE->getSubExpr()))
      return resolve(FCE->getSubExpr(), Depth + 1);

  if (const auto *LE = llvm::dyn_cast<LambdaExpr>(E)) {
    R.Function = callOperatorOf(LE->getLambdaClass());
    return R;
  }
  if (const auto *UO = llvm::dyn_cast<UnaryOperator>(E)) {
    if (UO->getOpcode() == UO_AddrOf || UO->getOpcode() == UO_Deref) {
      R = resolve(UO->getSubExpr(), Depth + 1);
      if (const auto *MD = llvm::dyn_cast_or_null<CXXMethodDecl>(R.Function))
        if (!MD->isStatic()) {
          R.ThroughMemberPointer = true;
          // &Base::run on an object may run an override: unknown body.
          if (mayRunOverride(MD))
            R.Function = nullptr;
        }
      return R;
    }
    return R;
  }
  if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E)) {
    if (const auto *FD = llvm::dyn_cast<FunctionDecl>(DRE->getDecl())) {
      R.Function = definitionWithBody(FD);
      return R;
    }
    if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl())) {
      QualType T = VD->getType().getNonReferenceType();
      if (const CXXRecordDecl *RD = T->getAsCXXRecordDecl()) {
        if (RD->isLambda() || !RD->getIdentifier() ||
            !llvm::StringRef(plainQualifiedName(RD)).starts_with("std::")) {
          R.Function = callOperatorOf(RD);
          return R;
        }
        // std::function and friends: follow a local's initialiser.
      }
      // A local function pointer or callable wrapper: follow what it was
      // initialised with, if it is never reassigned in a way we would miss
      // (locals only; parameters and globals may hold anything).
      if (VD->isLocalVarDecl() && VD->hasInit() &&
          (T.isConstQualified() || T->isFunctionPointerType() ||
           T->isRecordType()))
        return resolve(VD->getInit(), Depth + 1);
    }
    return R;
  }
  if (const auto *CE = llvm::dyn_cast<CallExpr>(E)) {
    if (isBindFunction(CE->getDirectCallee()) && CE->getNumArgs() > 0) {
      R = resolve(CE->getArg(0), Depth + 1);
      R.ThroughBind = true;
      return R;
    }
    return R;
  }
  if (const auto *CCE = llvm::dyn_cast<CXXConstructExpr>(E)) {
    // Copy/move of a callable object: look through to the source.
    if (CCE->getNumArgs() == 1 && CCE->getConstructor() &&
        (CCE->getConstructor()->isCopyOrMoveConstructor()))
      return resolve(CCE->getArg(0), Depth + 1);
    // A function object built in place (Worker{...}, Worker(args)), or a
    // std::function built from a callable.
    const CXXRecordDecl *RD = CCE->getType()->getAsCXXRecordDecl();
    if (RD && RD->getIdentifier() &&
        llvm::StringRef(plainQualifiedName(RD)).starts_with("std::")) {
      if (CCE->getNumArgs() == 1)
        return resolve(CCE->getArg(0), Depth + 1);
      return R;
    }
    R.Function = callOperatorOf(RD);
    return R;
  }
  if (const auto *ILE = llvm::dyn_cast<InitListExpr>(E)) {
    R.Function = callOperatorOf(ILE->getType()->getAsCXXRecordDecl());
    return R;
  }
  // Any other expression of class type: its operator().
  if (const CXXRecordDecl *RD = E->getType()->getAsCXXRecordDecl())
    if (RD->isLambda())
      R.Function = callOperatorOf(RD);
  return R;
}

bool isCoroutine(const FunctionDecl *FD) {
  return FD && llvm::isa_and_nonnull<CoroutineBodyStmt>(FD->getBody());
}

ResolvedBody resolveCallable(const Expr *Callable) {
  return resolve(Callable, 0);
}

bool classCodeMay(
    const FieldDecl *FD,
    llvm::function_ref<bool(const Stmt *, const FieldDecl *)> Does) {
  const auto *RD =
      FD ? llvm::dyn_cast<CXXRecordDecl>(FD->getParent()) : nullptr;
  if (!RD || FD->getAccess() != AS_private || RD->hasFriends())
    return true;
  for (const Decl *D : RD->decls()) {
    // Member function templates too: their patterns.
    const auto *M = llvm::dyn_cast<CXXMethodDecl>(D);
    if (const auto *T = llvm::dyn_cast<FunctionTemplateDecl>(D))
      M = llvm::dyn_cast<CXXMethodDecl>(T->getTemplatedDecl());
    if (!M || M->isImplicit() || M->isDeleted() || M->isDefaulted())
      continue;
    const FunctionDecl *Def = definitionWithBody(M);
    if (!Def)
      return true; // Defined where we cannot see.
    if (Does(Def->getBody(), FD))
      return true;
    if (const auto *Ctor = llvm::dyn_cast<CXXConstructorDecl>(Def))
      for (const CXXCtorInitializer *Init : Ctor->inits())
        if (Init->isWritten() && Does(Init->getInit(), FD))
          return true;
  }
  return false;
}

} // namespace clang::tidy::threadleak
