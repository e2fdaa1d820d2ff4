//===--- SpawnSites.cpp ---------------------------------------------------===//

#include "engine/SpawnSites.h"
#include "engine/BodyResolver.h"
#include "engine/ForeverAnalysis.h"
#include "engine/StmtWalk.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/StmtVisitor.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"
#include "llvm/ADT/DenseSet.h"

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
  walkWithLambdas(Body, nullptr, [&](const Stmt *S) {
    if (const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(S))
      if (Op->getOperator() == OO_Equal && Op->getNumArgs() == 2 &&
          handleDecl(Op->getArg(0)) == Target)
        if (const CXXConstructExpr *CCE =
                asThreadStart(Op->getArg(1), ThreadTypes))
          Out.push_back(CCE);
  });
}

/// A local of the function that declares it, not a parameter or a
/// reference (those may hold anything).
bool isOwnLocal(const ValueDecl *D) {
  const auto *VD = llvm::dyn_cast_or_null<VarDecl>(D);
  return VD && VD->hasLocalStorage() && !llvm::isa<ParmVarDecl>(VD) &&
         !VD->getType()->isReferenceType();
}

/// Which elements of a container a handle expression names.
enum class ElementKind { None, Any, First, Last };
struct ElementRef {
  const ValueDecl *Container = nullptr;
  ElementKind Kind = ElementKind::None;
};

bool isConstantIndex(const Expr *E, const ASTContext &Ctx) {
  return !E->isValueDependent() && E->isIntegerConstantExpr(Ctx);
}

/// The object of `c[i]`, `c.at(i)`, `c.back()`, `c.front()`, and which
/// element it names. A constant index names one element we do not follow.
const Expr *elementAccess(const Expr *E, ElementKind &Kind,
                          const ASTContext &Ctx) {
  if (const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(E)) {
    if (Op->getOperator() == OO_Subscript && Op->getNumArgs() == 2 &&
        !isConstantIndex(Op->getArg(1), Ctx)) {
      Kind = ElementKind::Any;
      return Op->getArg(0);
    }
    // it->detach(), (*it).detach() on `auto it = c.begin()`.
    if ((Op->getOperator() == OO_Arrow || Op->getOperator() == OO_Star) &&
        Op->getNumArgs() == 1)
      if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(strip(Op->getArg(0))))
        if (const auto *It = llvm::dyn_cast<VarDecl>(DRE->getDecl());
            It && It->hasLocalStorage() && It->getInit()) {
          const Expr *Init = strip(It->getInit());
          if (const auto *Copy = llvm::dyn_cast<CXXConstructExpr>(Init))
            if (Copy->getNumArgs() == 1)
              Init = strip(Copy->getArg(0));
          if (const auto *Begin = llvm::dyn_cast<CXXMemberCallExpr>(Init))
            if (const CXXMethodDecl *M = Begin->getMethodDecl();
                M && M->getIdentifier() &&
                (M->getName() == "begin" || M->getName() == "cbegin") &&
                Begin->getImplicitObjectArgument()) {
              Kind = ElementKind::Any;
              return Begin->getImplicitObjectArgument();
            }
        }
  }
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(E))
    if (const CXXMethodDecl *M = MC->getMethodDecl();
        M && M->getIdentifier()) {
      llvm::StringRef Name = M->getName();
      if (Name == "at" && MC->getNumArgs() == 1 &&
          !isConstantIndex(MC->getArg(0), Ctx)) {
        Kind = ElementKind::Any;
        return MC->getImplicitObjectArgument();
      }
      if ((Name == "back" || Name == "front") && MC->getNumArgs() == 0) {
        Kind = Name == "back" ? ElementKind::Last : ElementKind::First;
        return MC->getImplicitObjectArgument();
      }
    }
  return nullptr;
}

/// The range-for of \p Owner whose loop variable is \p VD.
const CXXForRangeStmt *rangeForOf(const VarDecl *VD, const Stmt *Body) {
  const CXXForRangeStmt *Found = nullptr;
  walkWithLambdas(Body, nullptr, [&](const Stmt *S) {
    if (const auto *FR = llvm::dyn_cast<CXXForRangeStmt>(S))
      if (!Found && FR->getLoopVariable() == VD)
        Found = FR;
  });
  return Found;
}

/// The container (a local of \p Owner or a data member) whose element
/// \p Handle names.
ElementRef elementOf(const Expr *Handle, const FunctionDecl *Owner,
                     const ASTContext &Ctx) {
  ElementRef R;
  const Expr *E = stripMove(Handle);
  const Expr *Container = nullptr;
  if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E)) {
    const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl());
    if (!VD || !VD->isCXXForRangeDecl() || !Owner)
      return R;
    const CXXForRangeStmt *FR = rangeForOf(VD, Owner->getBody());
    if (!FR)
      return R;
    Container = FR->getRangeInit();
    R.Kind = ElementKind::Any;
  } else {
    Container = elementAccess(E, R.Kind, Ctx);
  }
  if (!Container)
    return {};
  const ValueDecl *D = handleDecl(Container);
  if (!D || (llvm::isa<VarDecl>(D) && !isOwnLocal(D)))
    return {};
  R.Container = D;
  return R;
}

/// The member function of \p RD whose body contains \p Loc.
const FunctionDecl *methodContaining(const CXXRecordDecl *RD,
                                     SourceLocation Loc,
                                     const SourceManager &SM) {
  Loc = SM.getExpansionLoc(Loc);
  for (const CXXMethodDecl *M : RD->methods())
    if (const FunctionDecl *Def = definitionWithBody(M)) {
      SourceRange R = Def->getSourceRange();
      if (SM.isPointWithin(Loc, SM.getExpansionLoc(R.getBegin()),
                           SM.getExpansionLoc(R.getEnd())))
        return Def;
    }
  return nullptr;
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

/// How many handles, moves and containers deep findThreadStarts follows a
/// thread (`std::thread t = std::move(v.back()); v.push_back(std::move(t));`
/// would go round forever).
static constexpr unsigned MaxStartDepth = 8;

static llvm::SmallVector<SpawnSite, 2>
findThreadStartsAt(const Expr *Handle, const FunctionDecl *Owner,
                   SourceLocation Before, const NameList &ThreadTypes,
                   ASTContext &Ctx, unsigned Depth);

/// The threads put into \p Container in \p Fn (lambdas in it included):
/// `c.emplace_back(callable, args...)`, `c.emplace_back(std::thread(...))`,
/// `c.push_back(std::thread(...))`, `c.push_back(std::move(t))`.
static void collectContainerStarts(const Stmt *S, const FunctionDecl *Fn,
                                   const ValueDecl *Container,
                                   const NameList &ThreadTypes,
                                   ASTContext &Ctx,
                                   llvm::SmallVectorImpl<SpawnSite> &Out,
                                   unsigned Depth) {
  walkWithLambdas(S, nullptr, [&](const Stmt *Node) {
    if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Node)) {
      const CXXMethodDecl *M = MC->getMethodDecl();
      llvm::StringRef Name =
          M && M->getIdentifier() ? M->getName() : llvm::StringRef();
      bool Emplace = Name == "emplace_back" || Name == "emplace_front";
      bool Push = Name == "push_back" || Name == "push_front";
      if ((Emplace || Push) && MC->getNumArgs() >= 1 &&
          handleDecl(MC->getImplicitObjectArgument()) == Container) {
        const Expr *Arg = MC->getArg(0);
        if (const CXXConstructExpr *CCE = asThreadStart(Arg, ThreadTypes)) {
          Out.push_back({CCE, CCE->getArg(0), true});
        } else if (const ValueDecl *Moved = handleDecl(Arg);
                   Moved && isOwnLocal(Moved)) {
          // push_back(std::move(t)): where t was started.
          const auto *Holder = llvm::dyn_cast_or_null<FunctionDecl>(
              llvm::cast<VarDecl>(Moved)->getParentFunctionOrMethod());
          for (SpawnSite Site :
               findThreadStartsAt(Arg, Holder, MC->getBeginLoc(), ThreadTypes,
                                  Ctx, Depth + 1)) {
            Site.FromContainer = true;
            Out.push_back(Site);
          }
        } else if (Emplace && MC->getNumArgs() >= 1 &&
                   !llvm::isa<CXXDefaultArgExpr>(Arg)) {
          // Constructed in place from the callable and its arguments.
          Out.push_back({MC, Arg, true});
        }
      }
    }
  });
}

/// The starts of the threads a container element \p Elem may hold.
static llvm::SmallVector<SpawnSite, 2>
findContainerStarts(const ElementRef &Elem, const FunctionDecl *Owner,
                    SourceLocation Before, const NameList &ThreadTypes,
                    ASTContext &Ctx, unsigned Depth) {
  llvm::SmallVector<SpawnSite, 2> Result;
  const SourceManager &SM = Ctx.getSourceManager();
  // The function the detach is written in, and the ones that fill the
  // container.
  const FunctionDecl *DetachFn = nullptr;
  llvm::SmallVector<const FunctionDecl *, 4> Fillers;
  if (llvm::isa<VarDecl>(Elem.Container)) {
    if (!Owner || !Owner->getBody())
      return Result;
    DetachFn = Owner;
    Fillers.push_back(Owner);
  } else {
    const auto *FD = llvm::cast<FieldDecl>(Elem.Container);
    const auto *RD = llvm::dyn_cast<CXXRecordDecl>(FD->getParent());
    if (!RD)
      return Result;
    DetachFn = methodContaining(RD, Before, SM);
    for (const CXXMethodDecl *M : RD->methods())
      if (const FunctionDecl *Def = definitionWithBody(M))
        Fillers.push_back(Def);
  }
  llvm::SmallVector<SpawnSite, 4> All;
  for (const FunctionDecl *Fn : Fillers) {
    // back()/front(): what this function put there before the detach.
    if (Elem.Kind != ElementKind::Any && Fn != DetachFn)
      continue;
    collectContainerStarts(Fn->getBody(), Fn, Elem.Container, ThreadTypes,
                           Ctx, All, Depth);
  }
  if (Elem.Kind == ElementKind::Any) {
    for (const SpawnSite &Site : All)
      if (!llvm::isa<VarDecl>(Elem.Container) ||
          before(SM, Site.Start->getBeginLoc(), Before))
        Result.push_back(Site);
    return Result;
  }
  const SpawnSite *Pick = nullptr;
  for (const SpawnSite &Site : All) {
    if (!before(SM, Site.Start->getBeginLoc(), Before))
      continue;
    bool Later = !Pick || SM.isBeforeInTranslationUnit(
                              Pick->Start->getBeginLoc(),
                              Site.Start->getBeginLoc());
    if (!Pick || (Elem.Kind == ElementKind::Last) == Later)
      Pick = &Site;
  }
  if (Pick) {
    // One element: the thread the detach reaches, like a local handle.
    SpawnSite One = *Pick;
    One.FromContainer = false;
    Result.push_back(One);
  }
  return Result;
}

llvm::SmallVector<SpawnSite, 2>
findThreadStarts(const Expr *Handle, const FunctionDecl *Owner,
                 SourceLocation Before, const NameList &ThreadTypes,
                 ASTContext &Ctx) {
  return findThreadStartsAt(Handle, Owner, Before, ThreadTypes, Ctx, 0);
}

llvm::SmallVector<SpawnSite, 2>
findMemberThreadStarts(const FieldDecl *FD, const NameList &ThreadTypes) {
  llvm::SmallVector<SpawnSite, 2> Result;
  llvm::SmallVector<const CXXConstructExpr *, 2> Starts;
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
    Result.push_back({CCE, CCE->getArg(0)});
  return Result;
}

llvm::SmallVector<SpawnSite, 2>
findElementThreadStarts(const Expr *Container, const FunctionDecl *Owner,
                        SourceLocation Before, const NameList &ThreadTypes,
                        ASTContext &Ctx) {
  ElementRef Elem;
  Elem.Container = handleDecl(Container);
  Elem.Kind = ElementKind::Any;
  if (!Elem.Container ||
      (llvm::isa<VarDecl>(Elem.Container) && !isOwnLocal(Elem.Container)))
    return {};
  return findContainerStarts(Elem, Owner, Before, ThreadTypes, Ctx, 1);
}

static llvm::SmallVector<SpawnSite, 2>
findThreadStartsAt(const Expr *Handle, const FunctionDecl *Owner,
                   SourceLocation Before, const NameList &ThreadTypes,
                   ASTContext &Ctx, unsigned Depth) {
  llvm::SmallVector<SpawnSite, 2> Result;
  if (Depth > MaxStartDepth)
    return Result; // Round and round: we cannot tell.
  const SourceManager &SM = Ctx.getSourceManager();
  auto Add = [&](const CXXConstructExpr *CCE) {
    Result.push_back({CCE, CCE->getArg(0)});
  };

  // std::thread(f).detach()
  if (const CXXConstructExpr *CCE = asThreadStart(Handle, ThreadTypes)) {
    Add(CCE);
    return Result;
  }
  // for (auto &t : threads_) t.detach(); threads_[i].detach();
  ElementRef Elem = elementOf(Handle, Owner, Ctx);
  if (Elem.Container)
    return findContainerStarts(Elem, Owner, Before, ThreadTypes, Ctx,
                               Depth + 1);
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
          return findThreadStartsAt(Move->getArg(0), Owner,
                                    VD->getBeginLoc(), ThreadTypes, Ctx,
                                    Depth + 1);
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
  return findMemberThreadStarts(llvm::cast<FieldDecl>(D), ThreadTypes);
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
  // An element of a local container: the container's function.
  if (const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(E))
    if ((Op->getOperator() == OO_Subscript && Op->getNumArgs() == 2) ||
        ((Op->getOperator() == OO_Arrow || Op->getOperator() == OO_Star) &&
         Op->getNumArgs() == 1))
      E = stripMove(Op->getArg(0));
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(E))
    if (const CXXMethodDecl *M = MC->getMethodDecl();
        M && M->getIdentifier() &&
        (M->getName() == "at" || M->getName() == "back" ||
         M->getName() == "front") &&
        MC->getImplicitObjectArgument())
      E = stripMove(MC->getImplicitObjectArgument());
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

/// True if \p Body calls interrupt() or interrupt_all() on anything, or
/// uses \p D other than as the object of a member call or the range of a
/// range-for (it may reach code that interrupts it).
static bool interruptOrEscape(const Stmt *Body, const ValueDecl *D) {
  bool Found = false;
  llvm::DenseSet<const Expr *> Benign;
  walkPruned(Body, [&](const Stmt *S) {
    if (Found)
      return false;
    if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S)) {
      if (const CXXMethodDecl *M = MC->getMethodDecl();
          M && M->getIdentifier() &&
          (M->getName() == "interrupt" || M->getName() == "interrupt_all")) {
        Found = true;
        return false;
      }
      if (const Expr *Obj = MC->getImplicitObjectArgument())
        Benign.insert(Obj->IgnoreParenImpCasts());
    }
    if (const auto *FR = llvm::dyn_cast<CXXForRangeStmt>(S))
      if (const Expr *Range = FR->getRangeInit())
        Benign.insert(Range->IgnoreParenImpCasts());
    // `t_ = boost::thread(f)` starts it.
    if (const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(S))
      if (Op->getOperator() == OO_Equal && Op->getNumArgs() == 2)
        Benign.insert(Op->getArg(0)->IgnoreParenImpCasts());
    if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(S))
      if (DRE->getDecl() == D && !Benign.contains(DRE))
        Found = true;
    if (const auto *ME = llvm::dyn_cast<MemberExpr>(S))
      if (ME->getMemberDecl() == D && !Benign.contains(ME))
        Found = true;
    return true;
  });
  return Found;
}

/// Whether interrupt() may reach the thread held by \p D: a local of its
/// function, or a data member of its class.
static bool mayBeInterruptedDecl(const ValueDecl *D) {
  if (const auto *VD = llvm::dyn_cast<VarDecl>(D)) {
    if (!isOwnLocal(VD))
      return true;
    const auto *Fn =
        llvm::dyn_cast_or_null<FunctionDecl>(VD->getParentFunctionOrMethod());
    return !Fn || !Fn->getBody() || interruptOrEscape(Fn->getBody(), VD);
  }
  const auto *FD = llvm::dyn_cast<FieldDecl>(D);
  // Code outside the class may reach a member that is not private.
  return classCodeMay(FD, [](const Stmt *Code, const FieldDecl *Member) {
    return interruptOrEscape(Code, Member);
  });
}

bool mayBeInterrupted(const Expr *Handle, const FunctionDecl *Owner,
                      ASTContext &Ctx) {
  const Expr *E = stripMove(Handle);
  // boost::thread(f).detach(): nobody else ever held it.
  if (llvm::isa<CXXConstructExpr>(E))
    return false;
  ElementRef Elem = elementOf(Handle, Owner, Ctx);
  if (Elem.Container)
    return mayBeInterruptedDecl(Elem.Container);
  // A range-for variable over what we cannot name, an element of a
  // container we do not follow, a handle returned by a call.
  const ValueDecl *D = handleDecl(Handle);
  return !D || mayBeInterruptedDecl(D);
}

bool mayBeInterruptedStart(const Expr *Start, ASTContext &Ctx) {
  // threads_.emplace_back(f): the container.
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Start)) {
    const ValueDecl *D = handleDecl(MC->getImplicitObjectArgument());
    return !D || mayBeInterruptedDecl(D);
  }
  DynTypedNode Node = DynTypedNode::create(*Start);
  for (unsigned Steps = 0; Steps < 16; ++Steps) {
    DynTypedNodeList Parents = Ctx.getParents(Node);
    if (Parents.size() != 1)
      return true;
    const DynTypedNode &P = Parents[0];
    if (const auto *PE = P.get<Expr>()) {
      if (llvm::isa<ImplicitCastExpr, MaterializeTemporaryExpr,
                    CXXBindTemporaryExpr, ExprWithCleanups,
                    CXXFunctionalCastExpr, ParenExpr>(PE)) {
        Node = P;
        continue;
      }
      // h = boost::thread(f);
      if (const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(PE))
        if (Op->getOperator() == OO_Equal && Op->getNumArgs() == 2) {
          const ValueDecl *D = handleDecl(Op->getArg(0));
          return !D || mayBeInterruptedDecl(D);
        }
      // boost::thread(f).detach(): never held.
      if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(PE)) {
        const CXXMethodDecl *M = MC->getMethodDecl();
        if (M && M->getIdentifier() && M->getName() == "detach")
          return false;
        // v.push_back(boost::thread(f)): the container.
        if (M && M->getIdentifier() &&
            (M->getName() == "push_back" || M->getName() == "emplace_back")) {
          const ValueDecl *D = handleDecl(MC->getImplicitObjectArgument());
          return !D || mayBeInterruptedDecl(D);
        }
      }
      return true;
    }
    if (const auto *VD = P.get<VarDecl>())
      return mayBeInterruptedDecl(VD);
    if (const auto *FD = P.get<FieldDecl>())
      return mayBeInterruptedDecl(FD);
    if (const auto *Init = P.get<CXXCtorInitializer>())
      return !Init->getMember() || mayBeInterruptedDecl(Init->getMember());
    return true;
  }
  return true;
}

bool isPthreadSelf(const Expr *E) {
  const auto *CE = llvm::dyn_cast<CallExpr>(E->IgnoreParenImpCasts());
  const FunctionDecl *FD = CE ? CE->getDirectCallee() : nullptr;
  return FD && FD->getIdentifier() && FD->getName() == "pthread_self";
}

/// True if \p Body calls detach() on the handle \p D, lambdas in it
/// included (`post([this] { t_.detach(); })` detaches too). Keeps its own
/// stack (StmtWalk.h): the plugin runs on clang-tidy's.
static bool detaches(const Stmt *Body, const ValueDecl *D) {
  bool Found = false;
  walkWithLambdas(Body, nullptr, [&](const Stmt *S) {
    if (Found)
      return;
    if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S))
      if (const CXXMethodDecl *M = MC->getMethodDecl())
        if (M->getIdentifier() && M->getName() == "detach" &&
            handleDecl(MC->getImplicitObjectArgument()) == D)
          Found = true;
  });
  return Found;
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
  walkWithLambdas(Owner->getBody(), nullptr, [&](const Stmt *S) {
    if (Found)
      return;
    if (const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(S))
      if (Op->getOperator() == OO_Equal && Op->getNumArgs() == 2 &&
          strip(Op->getArg(1)) == strip(Start))
        if (const auto *FD =
                llvm::dyn_cast_or_null<FieldDecl>(handleDecl(Op->getArg(0))))
          Found = FD;
  });
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
