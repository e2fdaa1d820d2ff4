//===--- Lenders.cpp - who lends a class the objects it borrows -----------===//

#include "engine/Lenders.h"
#include "engine/BodyResolver.h"
#include "engine/ChannelFlow.h"
#include "engine/StmtWalk.h"
#include "model/ConcurrencyModel.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/SourceManager.h"

namespace clang::tidy::threadleak {

/// The parameter \p E refers to, through copies, `*`, `&`, std::move and
/// smart-pointer copies; null for anything else.
static const ParmVarDecl *parameterOf(const Expr *E) {
  const auto *Ref = llvm::dyn_cast_or_null<DeclRefExpr>(stripChannelExpr(E));
  return Ref ? llvm::dyn_cast<ParmVarDecl>(Ref->getDecl()) : nullptr;
}

void memberPath(const Expr *E, llvm::SmallVectorImpl<const FieldDecl *> &Out) {
  Out.clear();
  for (int Guard = 0; E && Guard < 8; ++Guard) {
    E = E->IgnoreParenImpCasts();
    if (const auto *U = llvm::dyn_cast<UnaryOperator>(E);
        U && (U->getOpcode() == UO_AddrOf || U->getOpcode() == UO_Deref)) {
      E = U->getSubExpr();
      continue;
    }
    if (const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(E);
        Op && (Op->getOperator() == OO_Arrow || Op->getOperator() == OO_Star) &&
        Op->getNumArgs() == 1) {
      E = Op->getArg(0);
      continue;
    }
    const auto *ME = llvm::dyn_cast<MemberExpr>(E);
    if (!ME)
      break;
    const auto *FD = llvm::dyn_cast<FieldDecl>(ME->getMemberDecl());
    if (!FD)
      break;
    Out.push_back(FD);
    if (llvm::isa<CXXThisExpr>(ME->getBase()->IgnoreParenImpCasts()))
      return;
    E = ME->getBase();
  }
  Out.clear();
}

void MemberLenders::index() {
  Indexed = true;
  struct Indexer : RecursiveASTVisitor<Indexer> {
    MemberLenders &L;
    const SourceManager &SM;
    Indexer(MemberLenders &L, const SourceManager &SM) : L(L), SM(SM) {}
    bool VisitCXXConstructExpr(const CXXConstructExpr *CE) {
      if (!SM.isInSystemHeader(CE->getBeginLoc()))
        L.Constructions[CE->getConstructor()->getCanonicalDecl()].push_back(
            llvm::ArrayRef(CE->getArgs(), CE->getNumArgs()));
      return true;
    }
    // std::make_unique<T>(args...): a construction of T by each constructor
    // that takes as many arguments.
    bool VisitCallExpr(const CallExpr *Call) {
      const FunctionDecl *F = Call->getDirectCallee();
      if (!F || !isStdFactory(F) || F->getName() == "allocate_shared" ||
          SM.isInSystemHeader(Call->getBeginLoc()))
        return true;
      const TemplateArgumentList *TA = F->getTemplateSpecializationArgs();
      if (!TA || TA->size() < 1 ||
          TA->get(0).getKind() != TemplateArgument::Type)
        return true;
      const CXXRecordDecl *Made = TA->get(0).getAsType()->getAsCXXRecordDecl();
      if (!Made || !Made->hasDefinition())
        return true;
      for (const CXXConstructorDecl *C : Made->ctors())
        if (C->getNumParams() == Call->getNumArgs())
          L.Constructions[C->getCanonicalDecl()].push_back(
              llvm::ArrayRef(Call->getArgs(), Call->getNumArgs()));
      return true;
    }
  } V(*this, Ctx.getSourceManager());
  V.TraverseDecl(Ctx.getTranslationUnitDecl());
}

MemberLenders::Kind
MemberLenders::lendersOf(const FieldDecl *F,
                         llvm::SmallVectorImpl<const Expr *> &Out) {
  Out.clear();
  const auto *RD = llvm::dyn_cast<CXXRecordDecl>(F->getParent());
  if (!RD)
    return Own;
  // The constructors that bind it to a parameter, with the parameter's
  // index.
  llvm::SmallVector<std::pair<const CXXConstructorDecl *, unsigned>, 2> Binds;
  for (const CXXConstructorDecl *C : RD->ctors()) {
    const auto *Def =
        llvm::dyn_cast_or_null<CXXConstructorDecl>(definitionWithBody(C));
    if (!Def)
      continue;
    for (const CXXCtorInitializer *Init : Def->inits())
      if (Init->isWritten() && Init->getMember() == F)
        if (const ParmVarDecl *P = parameterOf(Init->getInit()))
          Binds.emplace_back(Def, P->getFunctionScopeIndex());
  }
  if (Binds.empty())
    return Own;
  // Assigned by another member function too (a setter): its lenders are
  // not followed.
  for (const Decl *D : RD->decls()) {
    const auto *M = llvm::dyn_cast<CXXMethodDecl>(D);
    const FunctionDecl *Def = M ? definitionWithBody(M) : nullptr;
    if (!Def || llvm::isa<CXXConstructorDecl>(Def))
      continue;
    bool Assigned = false;
    walkWithLambdas(Def->getBody(), nullptr, [&](const Stmt *S) {
      const Expr *LHS = nullptr;
      if (const auto *BO = llvm::dyn_cast<BinaryOperator>(S))
        LHS = BO->isAssignmentOp() ? BO->getLHS() : nullptr;
      else if (const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(S))
        LHS = Op->getOperator() == OO_Equal ? Op->getArg(0) : nullptr;
      if (const auto *ME =
              LHS ? llvm::dyn_cast<MemberExpr>(LHS->IgnoreParenImpCasts())
                  : nullptr)
        Assigned |= ME->getMemberDecl() == F;
    });
    if (Assigned)
      return Unknown;
  }
  if (!Indexed)
    index();
  for (auto [C, Index] : Binds) {
    auto It = Constructions.find(C->getCanonicalDecl());
    if (It == Constructions.end() || It->second.empty())
      return Unknown; // made in another translation unit, or nowhere
    for (llvm::ArrayRef<const Expr *> Args : It->second) {
      if (Index >= Args.size() || llvm::isa<CXXDefaultArgExpr>(Args[Index]))
        return Unknown;
      Out.push_back(Args[Index]);
    }
  }
  return Lent;
}

} // namespace clang::tidy::threadleak
