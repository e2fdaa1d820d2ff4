//===--- ContextModel.cpp -------------------------------------------------===//

#include "model/ContextModel.h"
#include "engine/ObjectKey.h"
#include "clang/AST/DeclTemplate.h"

using namespace clang;
using namespace clang::tidy::threadleak;

ContextModel::ContextModel(const std::vector<ContextSpec> &Specs) {
  for (const ContextSpec &S : Specs) {
    Types.add({S.Type});
    Factories.add(S.WithCancel);
    Factories.add(S.Background);
    for (const std::string &N : S.Done)
      Done.insert(N);
    for (const std::string &N : S.Cancel)
      Cancel.insert(N);
  }
}

bool ContextModel::isContextType(QualType T) const {
  if (Types.empty() || T.isNull())
    return false;
  const auto *RD = T.getNonReferenceType()->getAsCXXRecordDecl();
  return RD && Types.contains(RD);
}

/// The object \p Call calls a member named in \p Names on, if it is a
/// context.
static const Expr *contextMember(const ContextModel &M, const CallExpr *Call,
                                 const llvm::StringSet<> &Names) {
  const auto *MC = llvm::dyn_cast_or_null<CXXMemberCallExpr>(Call);
  const CXXMethodDecl *MD = MC ? MC->getMethodDecl() : nullptr;
  if (!MD || !MD->getIdentifier() || !Names.contains(MD->getName()))
    return nullptr;
  const Expr *Obj = MC->getImplicitObjectArgument();
  QualType T = Obj->getType();
  if (T->isPointerType())
    T = T->getPointeeType();
  return M.isContextType(T) ? Obj : nullptr;
}

const Expr *ContextModel::doneOf(const CallExpr *Call) const {
  return contextMember(*this, Call, Done);
}

const Expr *ContextModel::cancelledBy(const CallExpr *Call) const {
  return contextMember(*this, Call, Cancel);
}

const CallExpr *ContextModel::factoryCall(const Expr *E) const {
  if (!E || Factories.empty())
    return nullptr;
  const auto *Call = llvm::dyn_cast<CallExpr>(bareExprThroughCopies(E));
  return Call && Factories.containsCallee(Call) ? Call : nullptr;
}

const Expr *ContextModel::parentOf(const CallExpr *Factory) const {
  for (const Expr *A : Factory->arguments())
    if (isContextType(A->getType()))
      return A;
  return nullptr;
}

const CXXRecordDecl *ContextModel::contextClassIn(QualType T) const {
  if (T.isNull())
    return nullptr;
  const auto *RD = T.getNonReferenceType()->getAsCXXRecordDecl();
  if (!RD)
    return nullptr;
  if (Types.contains(RD))
    return RD->getCanonicalDecl();
  if (const auto *Spec = llvm::dyn_cast<ClassTemplateSpecializationDecl>(RD))
    for (const TemplateArgument &A : Spec->getTemplateArgs().asArray())
      if (A.getKind() == TemplateArgument::Type)
        if (const auto *In = A.getAsType()->getAsCXXRecordDecl();
            In && Types.contains(In))
          return In->getCanonicalDecl();
  return nullptr;
}

const VarDecl *ContextModel::cancelFunctionCall(
    const CallExpr *Call, const Expr *&Callee,
    llvm::function_ref<bool(const VarDecl *)> Stable) const {
  if (Types.empty() || Factories.empty())
    return nullptr;
  // What is called: `f()` on a function object, or a function pointer.
  const Expr *F = nullptr;
  if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(Call)) {
    if (OC->getOperator() != OO_Call || OC->getNumArgs() != 1)
      return nullptr;
    F = OC->getArg(0);
  } else if (!llvm::isa<CXXMemberCallExpr>(Call) && Call->getNumArgs() == 0) {
    F = Call->getCallee();
  }
  // The variable a factory initialised, if it is one.
  auto Made = [&](const VarDecl *VD, const Expr *Name) -> const VarDecl * {
    if (!VD || !factoryCall(VD->getInit()))
      return nullptr;
    Callee = Name;
    return VD;
  };
  for (unsigned Depth = 0; F && Depth < 4; ++Depth) {
    F = bareExprThroughCopies(F);
    if (const auto *ME = llvm::dyn_cast<MemberExpr>(F)) {
      const auto *DRE =
          llvm::dyn_cast<DeclRefExpr>(bareExprThroughCopies(ME->getBase()));
      if (!DRE || !isPairMember(ME->getMemberDecl()) ||
          isContextType(ME->getType()))
        return nullptr;
      return Made(llvm::dyn_cast<VarDecl>(DRE->getDecl()), F);
    }
    const auto *DRE = llvm::dyn_cast<DeclRefExpr>(F);
    if (!DRE || isContextType(DRE->getType()))
      return nullptr;
    if (const auto *BD = llvm::dyn_cast<BindingDecl>(DRE->getDecl()))
      return Made(llvm::dyn_cast_or_null<VarDecl>(BD->getDecomposedDecl()), F);
    // An init-capture or a local copy of the cancel function.
    const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl());
    if (!VD || !VD->getInit() || llvm::isa<ParmVarDecl>(VD) ||
        !(VD->isInitCapture() || (VD->hasLocalStorage() && Stable(VD))))
      return nullptr;
    F = VD->getInit();
  }
  return nullptr;
}
