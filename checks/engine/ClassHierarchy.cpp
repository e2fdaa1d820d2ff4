//===--- ClassHierarchy.cpp - virtual calls resolved over the TU's classes ===//

#include "engine/ClassHierarchy.h"
#include "engine/BodyResolver.h"
#include "engine/ForeverAnalysis.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/SourceManager.h"

namespace clang::tidy::threadleak {

namespace {
/// The hierarchies of the translation units this thread is analysing (one
/// at a time in practice); an entry leaves with its ASTContext.
thread_local llvm::DenseMap<const ASTContext *, ClassHierarchy *> Registry;

/// The class \p E's object is: through a pointer, a reference or a smart
/// pointer's operator->, as the compiler sees it.
const CXXRecordDecl *staticClass(const Expr *E) {
  if (!E)
    return nullptr;
  QualType T = E->getType();
  if (T->isPointerType())
    T = T->getPointeeType();
  return T->getAsCXXRecordDecl();
}
} // namespace

ClassHierarchy &ClassHierarchy::of(const ASTContext &Ctx) {
  ClassHierarchy *&H = Registry[&Ctx];
  if (!H) {
    H = new (Ctx) ClassHierarchy(Ctx);
    Ctx.addDestruction(H);
  }
  return *H;
}

ClassHierarchy::~ClassHierarchy() { Registry.erase(&Ctx); }

void ClassHierarchy::index() {
  if (Indexed)
    return;
  Indexed = true;
  const SourceManager &SM = Ctx.getSourceManager();
  llvm::SmallVector<const DeclContext *, 32> Work{Ctx.getTranslationUnitDecl()};
  auto AddClass = [&](const CXXRecordDecl *RD) {
    if (RD->isThisDeclarationADefinition() && !RD->isLambda() &&
        !RD->isDependentContext() && RD->isDynamicClass())
      Dynamic.push_back(RD);
  };
  while (!Work.empty()) {
    const DeclContext *DC = Work.pop_back_val();
    for (const Decl *D : DC->decls()) {
      if (D->isImplicit() ||
          SM.isInSystemHeader(SM.getExpansionLoc(D->getLocation())))
        continue;
      if (llvm::isa<NamespaceDecl, LinkageSpecDecl, ExportDecl>(D)) {
        Work.push_back(llvm::cast<DeclContext>(D));
        continue;
      }
      if (const auto *CTD = llvm::dyn_cast<ClassTemplateDecl>(D)) {
        for (const ClassTemplateSpecializationDecl *S : CTD->specializations())
          if (S->hasDefinition() && S->getDefinition() == S)
            AddClass(S);
        continue;
      }
      if (const auto *RD = llvm::dyn_cast<CXXRecordDecl>(D)) {
        if (llvm::isa<ClassTemplatePartialSpecializationDecl>(RD))
          continue;
        AddClass(RD);
        if (RD->isThisDeclarationADefinition() && !RD->isLambda())
          Work.push_back(RD);
        continue;
      }
      // Local classes: declared in a function's body.
      if (const auto *FD = llvm::dyn_cast<FunctionDecl>(D))
        if (FD->doesThisDeclarationHaveABody())
          Work.push_back(FD);
    }
  }
  // Source order, whatever order the contexts were walked in.
  llvm::sort(Dynamic, [&](const CXXRecordDecl *A, const CXXRecordDecl *B) {
    return SM.isBeforeInTranslationUnit(A->getLocation(), B->getLocation());
  });
}

DispatchTargets ClassHierarchy::targets(const CXXMethodDecl *M,
                                        const Expr *Object) {
  DispatchTargets T;
  if (!M)
    return T;
  const SourceManager &SM = Ctx.getSourceManager();
  auto Add = [&](const CXXMethodDecl *O) {
    const FunctionDecl *Def = analysableDefinition(O, Ctx);
    if (!Def) {
      T.Complete = false;
      return;
    }
    if (!llvm::is_contained(T.Fns, Def))
      T.Fns.push_back(Def);
  };
  T.Complete = true;
  // The object's own type is known (a local, a member, `*this` in a
  // constructor is not: Clang knows when).
  if (Object)
    if (const CXXMethodDecl *D = M->getDevirtualizedMethod(Object, false)) {
      T.Closed = true;
      Add(D);
      return T;
    }
  const CXXRecordDecl *S = M->getParent();
  if (const CXXRecordDecl *OC = staticClass(Object))
    if (OC->hasDefinition() && OC->getDefinition() != S->getDefinition() &&
        OC->getDefinition()->isDerivedFrom(S))
      S = OC->getDefinition();
  if (!S || !S->hasDefinition())
    return DispatchTargets();
  S = S->getDefinition();
  T.Closed = M->hasAttr<FinalAttr>() || S->hasAttr<FinalAttr>() ||
             S->isInAnonymousNamespace() || S->isLocalClass() ||
             (!S->isDependentContext() &&
              SM.isInMainFile(SM.getExpansionLoc(S->getLocation())));
  index();
  llvm::SmallVector<const CXXRecordDecl *, 4> Classes;
  auto Consider = [&](const CXXRecordDecl *C) {
    if (!C->isAbstract())
      Classes.push_back(C);
  };
  if (!llvm::is_contained(Dynamic, S))
    Consider(S);
  for (const CXXRecordDecl *C : Dynamic)
    if (C == S || C->isDerivedFrom(S))
      Consider(C);
  // In a closed set, a class of this file whose objects nothing here
  // makes runs nothing (unless no class is made at all: then we do not
  // know how its objects come to be).
  if (T.Closed && Classes.size() > 1) {
    llvm::SmallVector<const CXXRecordDecl *, 4> Made;
    for (const CXXRecordDecl *C : Classes)
      if (!(C->isInAnonymousNamespace() || C->isLocalClass() ||
            SM.isInMainFile(SM.getExpansionLoc(C->getLocation()))) ||
          made(C))
        Made.push_back(C);
    if (!Made.empty())
      Classes = std::move(Made);
  }
  for (const CXXRecordDecl *C : Classes) {
    const CXXMethodDecl *O = M->getCorrespondingMethodInClass(C);
    if (!O || O->isPureVirtual()) {
      T.Complete = false;
      continue;
    }
    Add(O);
  }
  return T;
}

bool ClassHierarchy::made(const CXXRecordDecl *C) {
  if (!Made) {
    struct Finder : RecursiveASTVisitor<Finder> {
      llvm::DenseSet<const CXXRecordDecl *> Out;
      bool shouldVisitTemplateInstantiations() const { return true; }
      bool shouldVisitImplicitCode() const { return true; }
      bool VisitCXXConstructExpr(CXXConstructExpr *E) {
        if (E->getConstructionKind() == CXXConstructionKind::Complete)
          Out.insert(E->getConstructor()->getParent()->getCanonicalDecl());
        return true;
      }
    } F;
    F.TraverseAST(const_cast<ASTContext &>(Ctx));
    Made = std::move(F.Out);
  }
  return Made->count(C->getCanonicalDecl());
}

const DispatchTargets &ClassHierarchy::targets(const CallExpr *Call) {
  static const DispatchTargets None;
  if (!Call || !mayDispatchElsewhere(Call))
    return None;
  auto It = Cache.find(Call);
  if (It != Cache.end())
    return It->second;
  const auto *MC = llvm::cast<CXXMemberCallExpr>(Call);
  DispatchTargets T =
      targets(MC->getMethodDecl(), MC->getImplicitObjectArgument());
  return Cache[Call] = std::move(T);
}

const FunctionDecl *resolvedCallee(const CallExpr *Call,
                                   const ASTContext &Ctx) {
  if (!Call)
    return nullptr;
  if (!mayDispatchElsewhere(Call))
    return Call->getDirectCallee();
  return ClassHierarchy::of(Ctx).targets(Call).unique();
}

} // namespace clang::tidy::threadleak
