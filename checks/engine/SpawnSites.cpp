//===--- SpawnSites.cpp ---------------------------------------------------===//

#include "engine/SpawnSites.h"
#include "engine/BodyResolver.h"
#include "engine/ForeverAnalysis.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/StmtVisitor.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"
#include <functional>

namespace clang::tidy::threadleak {

namespace {

const Expr *strip(const Expr *E) {
  if (!E)
    return nullptr;
  while (true) {
    const Expr *Prev = E;
    E = E->IgnoreImplicit()->IgnoreParenImpCasts();
    if (const auto *MTE = llvm::dyn_cast<MaterializeTemporaryExpr>(E))
      E = MTE->getSubExpr();
    if (const auto *BTE = llvm::dyn_cast<CXXBindTemporaryExpr>(E))
      E = BTE->getSubExpr();
    if (const auto *FCE = llvm::dyn_cast<CXXFunctionalCastExpr>(E))
      E = FCE->getSubExpr();
    if (E == Prev)
      return E;
  }
}

/// std::move(x) / static_cast<T&&>(x) -> x.
const Expr *stripMove(const Expr *E) {
  E = strip(E);
  if (const auto *CE = llvm::dyn_cast<CallExpr>(E))
    if (const FunctionDecl *FD = CE->getDirectCallee())
      if (FD->getIdentifier() && FD->getName() == "move" &&
          CE->getNumArgs() == 1)
        return strip(CE->getArg(0));
  return E;
}

/// The variable or data member a handle expression names.
const ValueDecl *handleDecl(const Expr *E) {
  E = stripMove(E);
  if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E))
    return llvm::dyn_cast<VarDecl>(DRE->getDecl());
  if (const auto *ME = llvm::dyn_cast<MemberExpr>(E))
    if (llvm::isa<CXXThisExpr>(ME->getBase()->IgnoreParenImpCasts()))
      return llvm::dyn_cast<FieldDecl>(ME->getMemberDecl());
  return nullptr;
}

const CXXConstructExpr *asThreadStart(const Expr *E,
                                      const NameList &ThreadTypes) {
  const auto *CCE = llvm::dyn_cast_or_null<CXXConstructExpr>(strip(E));
  return CCE && isThreadStart(CCE, ThreadTypes) ? CCE : nullptr;
}

bool before(const SourceManager &SM, SourceLocation A, SourceLocation B) {
  return B.isInvalid() || SM.isBeforeInTranslationUnit(A, B);
}

/// Collects `H = <thread start>` in \p Body where H names \p Target.
void collectAssignments(const Stmt *Body, const ValueDecl *Target,
                        const NameList &ThreadTypes,
                        llvm::SmallVectorImpl<const CXXConstructExpr *> &Out) {
  if (!Body)
    return;
  if (const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(Body))
    if (Op->getOperator() == OO_Equal && Op->getNumArgs() == 2 &&
        handleDecl(Op->getArg(0)) == Target)
      if (const CXXConstructExpr *CCE = asThreadStart(Op->getArg(1), ThreadTypes))
        Out.push_back(CCE);
  for (const Stmt *Child : Body->children())
    collectAssignments(Child, Target, ThreadTypes, Out);
}

} // namespace

bool isThreadStart(const CXXConstructExpr *CCE, const NameList &ThreadTypes) {
  if (!CCE || CCE->getNumArgs() == 0)
    return false;
  const CXXConstructorDecl *Ctor = CCE->getConstructor();
  if (!Ctor || Ctor->isCopyOrMoveConstructor())
    return false;
  return ThreadTypes.contains(CCE->getType()->getAsCXXRecordDecl());
}

llvm::SmallVector<SpawnSite, 2>
findThreadStarts(const Expr *Handle, const FunctionDecl *Owner,
                 SourceLocation Before, const NameList &ThreadTypes,
                 ASTContext &Ctx) {
  llvm::SmallVector<SpawnSite, 2> Result;
  const SourceManager &SM = Ctx.getSourceManager();
  auto Add = [&](const CXXConstructExpr *CCE) {
    Result.push_back({CCE, CCE->getArg(0)});
  };

  // std::thread(f).detach()
  if (const CXXConstructExpr *CCE = asThreadStart(Handle, ThreadTypes)) {
    Add(CCE);
    return Result;
  }
  const ValueDecl *D = handleDecl(Handle);
  if (!D)
    return Result;

  llvm::SmallVector<const CXXConstructExpr *, 2> Starts;
  if (const auto *VD = llvm::dyn_cast<VarDecl>(D)) {
    if (!VD->hasLocalStorage() || !Owner || !Owner->getBody())
      return Result;
    // The last start before the detach wins: T t(f); or t = T(f);
    if (const CXXConstructExpr *CCE = asThreadStart(VD->getInit(), ThreadTypes))
      Starts.push_back(CCE);
    else if (VD->getInit())
      // T t = std::move(u);
      if (const auto *Move =
              llvm::dyn_cast<CXXConstructExpr>(strip(VD->getInit())))
        if (Move->getNumArgs() == 1 && Move->getConstructor() &&
            Move->getConstructor()->isMoveConstructor())
          return findThreadStarts(Move->getArg(0), Owner,
                                  VD->getBeginLoc(), ThreadTypes, Ctx);
    collectAssignments(Owner->getBody(), VD, ThreadTypes, Starts);
    const CXXConstructExpr *Last = nullptr;
    for (const CXXConstructExpr *CCE : Starts)
      if (before(SM, CCE->getBeginLoc(), Before) &&
          (!Last || SM.isBeforeInTranslationUnit(Last->getBeginLoc(),
                                                 CCE->getBeginLoc())))
        Last = CCE;
    if (Last)
      Add(Last);
    return Result;
  }

  // A data member: started in any member of the class, or in its
  // initialisers.
  const auto *FD = llvm::cast<FieldDecl>(D);
  const CXXRecordDecl *RD = llvm::dyn_cast<CXXRecordDecl>(FD->getParent());
  if (!RD)
    return Result;
  if (const CXXConstructExpr *CCE =
          asThreadStart(FD->getInClassInitializer(), ThreadTypes))
    Starts.push_back(CCE);
  for (const CXXMethodDecl *M : RD->methods()) {
    const FunctionDecl *Def = definitionWithBody(M);
    if (!Def)
      continue;
    if (const auto *Ctor = llvm::dyn_cast<CXXConstructorDecl>(Def))
      for (const CXXCtorInitializer *Init : Ctor->inits())
        if (Init->getMember() == FD && Init->isWritten())
          if (const CXXConstructExpr *CCE =
                  asThreadStart(Init->getInit(), ThreadTypes))
            Starts.push_back(CCE);
    collectAssignments(Def->getBody(), FD, ThreadTypes, Starts);
  }
  for (const CXXConstructExpr *CCE : Starts)
    Add(CCE);
  return Result;
}

llvm::SmallVector<SpawnSite, 2> findPthreadCreates(const Expr *Id,
                                                   const FunctionDecl *Owner,
                                                   SourceLocation Before,
                                                   ASTContext &Ctx) {
  llvm::SmallVector<SpawnSite, 2> Result;
  const ValueDecl *D = handleDecl(Id);
  if (!D || !Owner || !Owner->getBody())
    return Result;
  llvm::SmallVector<const CallExpr *, 16> Calls;
  collectCalls(Owner->getBody(), Calls);
  const SourceManager &SM = Ctx.getSourceManager();
  for (const CallExpr *Call : Calls) {
    const FunctionDecl *Callee = Call->getDirectCallee();
    if (!Callee || !Callee->getIdentifier() ||
        Callee->getName() != "pthread_create" || Call->getNumArgs() != 4 ||
        !before(SM, Call->getBeginLoc(), Before))
      continue;
    const auto *Addr =
        llvm::dyn_cast<UnaryOperator>(Call->getArg(0)->IgnoreParenImpCasts());
    if (Addr && Addr->getOpcode() == UO_AddrOf &&
        handleDecl(Addr->getSubExpr()) == D)
      Result.push_back({Call, Call->getArg(2)});
  }
  return Result;
}

bool isDetachedAttr(const Expr *Attr, const FunctionDecl *Owner,
                    ASTContext &Ctx) {
  const auto *Addr =
      llvm::dyn_cast<UnaryOperator>(Attr->IgnoreParenImpCasts());
  if (!Addr || Addr->getOpcode() != UO_AddrOf || !Owner || !Owner->getBody())
    return false;
  const ValueDecl *D = handleDecl(Addr->getSubExpr());
  if (!D)
    return false;
  llvm::SmallVector<const CallExpr *, 16> Calls;
  collectCalls(Owner->getBody(), Calls);
  for (const CallExpr *Call : Calls) {
    const FunctionDecl *Callee = Call->getDirectCallee();
    if (!Callee || !Callee->getIdentifier() ||
        Callee->getName() != "pthread_attr_setdetachstate" ||
        Call->getNumArgs() != 2)
      continue;
    const auto *A =
        llvm::dyn_cast<UnaryOperator>(Call->getArg(0)->IgnoreParenImpCasts());
    if (!A || A->getOpcode() != UO_AddrOf || handleDecl(A->getSubExpr()) != D)
      continue;
    const Expr *State = Call->getArg(1)->IgnoreParenImpCasts();
    if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(State))
      if (DRE->getDecl()->getName() == "PTHREAD_CREATE_DETACHED")
        return true;
    llvm::StringRef Text = Lexer::getSourceText(
        CharSourceRange::getTokenRange(State->getSourceRange()),
        Ctx.getSourceManager(), Ctx.getLangOpts());
    if (Text == "PTHREAD_CREATE_DETACHED")
      return true;
  }
  return false;
}

const FunctionDecl *handleOwner(const Expr *Handle) {
  const Expr *E = stripMove(Handle);
  if (const auto *UO = llvm::dyn_cast<UnaryOperator>(E))
    if (UO->getOpcode() == UO_AddrOf)
      E = stripMove(UO->getSubExpr());
  const auto *VD = llvm::dyn_cast_or_null<VarDecl>(handleDecl(E));
  if (!VD || !VD->hasLocalStorage())
    return nullptr;
  return llvm::dyn_cast_or_null<FunctionDecl>(VD->getParentFunctionOrMethod());
}

const FunctionDecl *enclosingFunction(const Stmt *S, ASTContext &Ctx) {
  DynTypedNodeList Parents = Ctx.getParents(*S);
  while (!Parents.empty()) {
    const DynTypedNode &P = Parents[0];
    if (const auto *FD = P.get<FunctionDecl>())
      return FD;
    if (const auto *LE = P.get<LambdaExpr>())
      return LE->getCallOperator();
    Parents = Ctx.getParents(P);
  }
  return nullptr;
}

bool isInMain(const Stmt *S, ASTContext &Ctx) {
  const FunctionDecl *FD = enclosingFunction(S, Ctx);
  return FD && FD->isMain();
}

bool isPthreadSelf(const Expr *E) {
  const auto *CE = llvm::dyn_cast<CallExpr>(E->IgnoreParenImpCasts());
  const FunctionDecl *FD = CE ? CE->getDirectCallee() : nullptr;
  return FD && FD->getIdentifier() && FD->getName() == "pthread_self";
}

/// True if \p Body calls detach() on the handle \p D, lambdas in it
/// included (`post([this] { t_.detach(); })` detaches too).
static bool detaches(const Stmt *Body, const ValueDecl *D) {
  if (!Body)
    return false;
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Body))
    if (const CXXMethodDecl *M = MC->getMethodDecl())
      if (M->getIdentifier() && M->getName() == "detach" &&
          handleDecl(MC->getImplicitObjectArgument()) == D)
        return true;
  for (const Stmt *Child : Body->children())
    if (detaches(Child, D))
      return true;
  return false;
}

bool isDetachedVariable(const VarDecl *VD, const FunctionDecl *Owner) {
  return Owner && detaches(Owner->getBody(), VD);
}

const FieldDecl *assignedField(const Expr *Start, const FunctionDecl *Owner) {
  if (!Owner || !Owner->getBody())
    return nullptr;
  if (const auto *Ctor = llvm::dyn_cast<CXXConstructorDecl>(Owner))
    for (const CXXCtorInitializer *Init : Ctor->inits())
      if (Init->getMember() && Init->getInit() &&
          strip(Init->getInit()) == strip(Start))
        return Init->getMember();
  const FieldDecl *Found = nullptr;
  std::function<void(const Stmt *)> Visit = [&](const Stmt *S) {
    if (!S || Found)
      return;
    if (const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(S))
      if (Op->getOperator() == OO_Equal && Op->getNumArgs() == 2 &&
          strip(Op->getArg(1)) == strip(Start))
        if (const auto *FD =
                llvm::dyn_cast_or_null<FieldDecl>(handleDecl(Op->getArg(0))))
          Found = FD;
    for (const Stmt *Child : S->children())
      Visit(Child);
  };
  Visit(Owner->getBody());
  return Found;
}

bool isDetachedField(const FieldDecl *FD) {
  const auto *RD = llvm::dyn_cast<CXXRecordDecl>(FD->getParent());
  if (!RD)
    return false;
  for (const CXXMethodDecl *M : RD->methods())
    if (const FunctionDecl *Def = definitionWithBody(M))
      if (detaches(Def->getBody(), FD))
        return true;
  return false;
}

} // namespace clang::tidy::threadleak
