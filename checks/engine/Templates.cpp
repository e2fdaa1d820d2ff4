//===--- Templates.cpp ----------------------------------------------------===//

#include "engine/Templates.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"

namespace clang::tidy::threadleak {

const FunctionDecl *outermostFunction(const FunctionDecl *F) {
  const FunctionDecl *Outer = F;
  for (const DeclContext *DC = F ? F->getParent() : nullptr; DC;
       DC = DC->getParent())
    if (const auto *FD = llvm::dyn_cast<FunctionDecl>(DC))
      Outer = FD;
  return Outer;
}

static bool isInstantiatedRecord(const CXXRecordDecl *RD) {
  if (const auto *Spec = llvm::dyn_cast<ClassTemplateSpecializationDecl>(RD))
    return Spec->getSpecializationKind() != TSK_ExplicitSpecialization &&
           Spec->getSpecializationKind() != TSK_Undeclared;
  return RD->getInstantiatedFromMemberClass() != nullptr;
}

TemplateRole templateRole(const FunctionDecl *F) {
  if (!F)
    return TemplateRole::None;
  if (F->isDependentContext())
    return TemplateRole::Pattern;
  for (const DeclContext *DC = F; DC; DC = DC->getParent()) {
    if (const auto *FD = llvm::dyn_cast<FunctionDecl>(DC)) {
      if (FD->isTemplateInstantiation())
        return TemplateRole::Instantiation;
    } else if (const auto *RD = llvm::dyn_cast<CXXRecordDecl>(DC)) {
      if (isInstantiatedRecord(RD))
        return TemplateRole::Instantiation;
    }
  }
  return TemplateRole::None;
}

/// True if some specialization of \p Spec's template instantiates the body
/// of the member function \p Member.
static bool memberInstantiated(const ClassTemplateDecl *Template,
                               const FunctionDecl *Member) {
  const Decl *Canon = Member->getCanonicalDecl();
  for (const ClassTemplateSpecializationDecl *Spec :
       Template->specializations()) {
    if (!isInstantiatedRecord(Spec))
      continue;
    for (const Decl *D : Spec->decls()) {
      const auto *FD = llvm::dyn_cast<FunctionDecl>(D);
      if (const auto *FT = llvm::dyn_cast<FunctionTemplateDecl>(D)) {
        // A member template: any specialization of its instantiation.
        const FunctionTemplateDecl *From =
            FT->getInstantiatedFromMemberTemplate();
        if (From && From->getTemplatedDecl()->getCanonicalDecl() == Canon)
          for (const FunctionDecl *S : FT->specializations())
            if (S->doesThisDeclarationHaveABody())
              return true;
        continue;
      }
      if (!FD || !FD->doesThisDeclarationHaveABody())
        continue;
      const FunctionDecl *From = FD->getInstantiatedFromMemberFunction();
      if (From && From->getCanonicalDecl() == Canon)
        return true;
    }
  }
  return false;
}

bool isInstantiatedPattern(const FunctionDecl *F) {
  const FunctionDecl *Outer = outermostFunction(F);
  if (!Outer || !Outer->isDependentContext())
    return false;
  if (const FunctionTemplateDecl *FT = Outer->getDescribedFunctionTemplate()) {
    for (const FunctionDecl *S : FT->specializations())
      if (S->doesThisDeclarationHaveABody())
        return true;
    // A member function template of a class template is instantiated with
    // its class first.
    if (!llvm::isa<CXXMethodDecl>(Outer))
      return false;
  }
  const auto *M = llvm::dyn_cast<CXXMethodDecl>(Outer);
  if (!M)
    return false;
  const CXXRecordDecl *RD = M->getParent();
  const ClassTemplateDecl *Template = RD->getDescribedClassTemplate();
  if (!Template)
    return false; // A partial specialization, a nested class: unknown.
  return memberInstantiated(Template, M);
}

static bool isNonTypeParameter(const Expr *E) {
  const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E);
  return DRE && llvm::isa<NonTypeTemplateParmDecl>(DRE->getDecl());
}

bool containsDependentCode(const Stmt *S) {
  if (!S)
    return false;
  llvm::SmallVector<const Stmt *, 32> Stack{S};
  while (!Stack.empty()) {
    const Stmt *Node = Stack.pop_back_val();
    if (!Node)
      continue;
    if (const auto *E = llvm::dyn_cast<Expr>(Node)) {
      // `this` in a class template has the dependent type of the current
      // instantiation; a member it reaches has the member's type, checked
      // on the member expression itself.
      if (llvm::isa<CXXThisExpr>(E))
        continue;
      if (E->isTypeDependent() || isNonTypeParameter(E))
        return true;
    }
    for (const Stmt *Child : Node->children())
      Stack.push_back(Child);
  }
  return false;
}

bool shouldAnalyseBody(const FunctionDecl *F) {
  if (!F || templateRole(F) != TemplateRole::Pattern)
    return true;
  if (isInstantiatedPattern(F))
    return false;
  return !containsDependentCode(F->getBody());
}

const FunctionDecl *patternDecl(const FunctionDecl *D) {
  // A constructor's or destructor's name is its class's: the pattern's
  // would read '~receiver<T>'.
  if (!D || llvm::isa<CXXConstructorDecl, CXXDestructorDecl>(D))
    return D;
  if (const FunctionDecl *P = D->getTemplateInstantiationPattern())
    return P;
  return D;
}

const NamedDecl *patternDecl(const NamedDecl *D) {
  if (const auto *F = llvm::dyn_cast_or_null<FunctionDecl>(D))
    return patternDecl(F);
  if (const auto *RD = llvm::dyn_cast_or_null<CXXRecordDecl>(D)) {
    if (const auto *Spec = llvm::dyn_cast<ClassTemplateSpecializationDecl>(RD))
      if (isInstantiatedRecord(Spec))
        if (const CXXRecordDecl *Pattern =
                Spec->getTemplateInstantiationPattern())
          return Pattern;
    return D;
  }
  const auto *Field = llvm::dyn_cast_or_null<FieldDecl>(D);
  if (!Field)
    return D;
  const auto *Spec =
      llvm::dyn_cast<ClassTemplateSpecializationDecl>(Field->getParent());
  if (!Spec || !isInstantiatedRecord(Spec))
    return D;
  const CXXRecordDecl *Pattern = Spec->getTemplateInstantiationPattern();
  if (!Pattern)
    return D;
  for (const FieldDecl *F : Pattern->fields())
    if (F->getFieldIndex() == Field->getFieldIndex())
      return F;
  return D;
}

std::pair<unsigned, unsigned> FindingOnce::key(SourceLocation Loc,
                                               const SourceManager &SM,
                                               SourceLocation Related) {
  return {SM.getExpansionLoc(Loc).getRawEncoding(),
          Related.isValid() ? SM.getExpansionLoc(Related).getRawEncoding()
                            : 0u};
}

bool FindingOnce::first(SourceLocation Loc, const SourceManager &SM,
                        SourceLocation Related) {
  return Seen.insert(key(Loc, SM, Related)).second;
}

bool FindingOnce::seen(SourceLocation Loc, const SourceManager &SM,
                       SourceLocation Related) const {
  return Seen.contains(key(Loc, SM, Related));
}

} // namespace clang::tidy::threadleak
