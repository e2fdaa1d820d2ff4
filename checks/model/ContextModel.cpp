//===--- ContextModel.cpp -------------------------------------------------===//

#include "model/ContextModel.h"
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
