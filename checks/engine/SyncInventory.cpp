//===--- SyncInventory.cpp - the translation unit's waits, notifies, calls ===//

#include "engine/SyncInventory.h"
#include "engine/BodyResolver.h"
#include "engine/ClassHierarchy.h"
#include "engine/Destructors.h"
#include "engine/ForeverAnalysis.h"
#include "engine/ObjectKey.h"
#include "engine/StmtWalk.h"
#include "model/FutureModel.h"
#include "clang/AST/StmtCXX.h"

namespace clang::tidy::threadleak {

void SyncInventory::addFunction(const FunctionDecl *FD) {
  if (!FD || ByFunction.count(FD))
    return;
  const Stmt *Body = FD->getBody();
  if (const auto *CB = llvm::dyn_cast_or_null<CoroutineBodyStmt>(Body))
    Body = CB->getBody();
  if (Body)
    addUnit(FD, nullptr, Body);
  // (The constructor's unit walks its written initialisers already.)
  if (const auto *Ctor = llvm::dyn_cast<CXXConstructorDecl>(FD))
    for (const CXXCtorInitializer *Init : Ctor->inits()) {
      if (Body && Init->isWritten())
        continue;
      const Expr *E = Init->getInit();
      if (const auto *DI = llvm::dyn_cast_or_null<CXXDefaultInitExpr>(E))
        E = DI->getExpr();
      addLambdasIn(E);
    }
}

void SyncInventory::addLambdasIn(const Expr *E) {
  llvm::SmallVector<const LambdaExpr *, 2> Lambdas;
  walkOwnCode(E, [&](const Stmt *S) {
    if (const auto *LE = llvm::dyn_cast<LambdaExpr>(S))
      Lambdas.push_back(LE);
  });
  for (const LambdaExpr *LE : Lambdas)
    if (const CXXMethodDecl *Op = LE->getCallOperator())
      addUnit(Op, LE, LE->getBody());
}

void SyncInventory::addUnit(const FunctionDecl *Fn, const LambdaExpr *Lambda,
                            const Stmt *Body) {
  if (ByFunction.count(Fn))
    return;
  Units.push_back(std::make_unique<CodeUnit>());
  CodeUnit &U = *Units.back();
  U.Fn = Fn;
  U.Lambda = Lambda;
  U.Body = Body;
  ByFunction[Fn] = &U;
  llvm::SmallVector<const LambdaExpr *, 4> Lambdas;
  auto Visit = [&](const Stmt *S) {
    if (const auto *LE = llvm::dyn_cast<LambdaExpr>(S)) {
      Lambdas.push_back(LE);
      return;
    }
    // A lambda turned into a std::function (`post([conn] { ... })`,
    // `f = [p] { ... }`): destroying one of that type may destroy it.
    const Expr *Converted = nullptr;
    QualType Wrapper;
    if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(S);
        CE && CE->getNumArgs() >= 1 && isCallableWrapper(CE->getType())) {
      Converted = CE->getArg(0);
      Wrapper = CE->getType();
    } else if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(S);
               OC && OC->getOperator() == OO_Equal && OC->getNumArgs() == 2 &&
               isCallableWrapper(OC->getArg(0)->getType())) {
      Converted = OC->getArg(1);
      Wrapper = OC->getArg(0)->getType().getNonReferenceType();
    }
    if (const CXXRecordDecl *Closure =
            Converted ? Converted->getType()->getAsCXXRecordDecl() : nullptr;
        Closure && Closure->isLambda()) {
      auto &To = Callables[Wrapper.getCanonicalType().getTypePtr()];
      if (!llvm::is_contained(To, Closure))
        To.push_back(Closure);
    }
    if (destructionAt(S))
      Pending.push_back({&U, S});
    else if (const auto *DS = llvm::dyn_cast<DeclStmt>(S))
      for (const Decl *D : DS->decls())
        if (const auto *VD = llvm::dyn_cast<VarDecl>(D);
            VD && VD->hasLocalStorage() && !VD->getType()->isReferenceType() &&
            VD->getType()->getAsCXXRecordDecl() &&
            !VD->getType()->isDependentType())
          Pending.push_back({&U, nullptr, VD});
    const auto *Call = llvm::dyn_cast<CallExpr>(S);
    if (!Call)
      return;
    if (std::optional<ConditionWait> W = CVs.asWait(Call)) {
      U.Waits.push_back(*W);
      return;
    }
    if (const ValueDecl *CV = CVs.notified(Call)) {
      U.Notifies.push_back({Call, CV});
      return;
    }
    if (mayDispatchElsewhere(Call)) {
      const DispatchTargets &T = ClassHierarchy::of(Ctx).targets(Call);
      if (const FunctionDecl *Def = T.unique()) {
        U.Calls.push_back({Call, Def});
        Callers[Def].push_back({&U, Call});
      } else if (!T.Fns.empty()) {
        U.Dispatches.push_back({Call, T.Fns});
      }
      return;
    }
    // std::call_once runs its callable here, with this code's locks held:
    // a call of the callable.
    const FunctionDecl *Callee = invokedFunction(Call);
    if (!Callee)
      Callee = Call->getDirectCallee();
    if (const FunctionDecl *Def = analysableDefinition(Callee, Ctx)) {
      U.Calls.push_back({Call, Def});
      Callers[Def].push_back({&U, Call});
    }
  };
  walkOwnCode(Body, Visit);
  // A constructor's written initialisers run before its body, in its code
  // (its CFG has them): `h_(tm.add(5, [this] { tick(); }))` is a call of
  // `add` by the constructor.
  if (const auto *Ctor = llvm::dyn_cast<CXXConstructorDecl>(Fn);
      Ctor && !Lambda)
    for (const CXXCtorInitializer *Init : Ctor->inits())
      if (Init->isWritten())
        walkOwnCode(Init->getInit(), Visit);
  for (const LambdaExpr *LE : Lambdas)
    if (const CXXMethodDecl *Op = LE->getCallOperator())
      addUnit(Op, LE, LE->getBody());
}

namespace {

/// The locals \p Body gives away (`std::move(v)`, `return v;`,
/// `v.release()`, `v.swap(w)`): what they own at the end of their scope is
/// not known, so their end destroys nothing we can name.
llvm::DenseSet<const VarDecl *> givenAway(const Stmt *Body) {
  llvm::DenseSet<const VarDecl *> Out;
  auto Named = [&](const Expr *E) {
    if (const auto *DRE = llvm::dyn_cast_or_null<DeclRefExpr>(
            E ? E->IgnoreParenImpCasts() : nullptr))
      if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl()))
        Out.insert(VD);
  };
  walkOwnCode(Body, [&](const Stmt *S) {
    if (const auto *R = llvm::dyn_cast<ReturnStmt>(S)) {
      // (`return v;` of a class type is a move construction from `v`.)
      Named(R->getRetValue() ? bareExprThroughCopies(R->getRetValue())
                             : nullptr);
    } else if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S)) {
      const CXXMethodDecl *M = MC->getMethodDecl();
      if (M && M->getIdentifier() &&
          (M->getName() == "release" || M->getName() == "swap"))
        Named(MC->getImplicitObjectArgument());
    } else if (const auto *C = llvm::dyn_cast<CallExpr>(S)) {
      const FunctionDecl *FD = C->getDirectCallee();
      if (FD && FD->isInStdNamespace() && FD->getIdentifier() &&
          (FD->getName() == "move" || FD->getName() == "forward" ||
           FD->getName() == "swap" || FD->getName() == "exchange"))
        for (const Expr *Arg : C->arguments())
          Named(Arg);
    } else if (const auto *LE = llvm::dyn_cast<LambdaExpr>(S)) {
      for (const Expr *Init : LE->capture_inits())
        Named(Init); // a copy or a move into the closure
    }
  });
  return Out;
}

/// `Object.~T()` (`Object->~T()` for a pointer), written nowhere: the call
/// a destruction makes, for the call graph.
const CallExpr *madeUpCall(const ASTContext &Ctx, const FunctionDecl *Dtor,
                           const Expr *Object, SourceLocation Loc) {
  bool Arrow = Object->getType()->isPointerType();
  auto *ME = MemberExpr::CreateImplicit(
      Ctx, const_cast<Expr *>(Object), Arrow, const_cast<FunctionDecl *>(Dtor),
      Ctx.BoundMemberTy, VK_PRValue, OK_Ordinary);
  return CXXMemberCallExpr::Create(Ctx, ME, {}, Ctx.VoidTy, VK_PRValue, Loc,
                                   FPOptionsOverride());
}

/// The declaration \p E names last (`c` of `this->c`, `it` of `*it`).
const ValueDecl *lastNamed(const Expr *E) {
  E = E ? E->IgnoreParenImpCasts() : nullptr;
  if (const auto *ME = llvm::dyn_cast_or_null<MemberExpr>(E))
    return ME->getMemberDecl();
  if (const auto *DRE = llvm::dyn_cast_or_null<DeclRefExpr>(E))
    return DRE->getDecl();
  return nullptr;
}

/// \p Body moves out of the elements \p Erase (a container's erase, pop
/// or clear on \p Container) destroys: `auto t = std::move(q.front());
/// q.pop_front();`, `out.push_back(std::move(it->second)); m.erase(it);`.
/// What is destroyed then is a moved-from shell.
bool movesElementsOut(const Stmt *Body, const Stmt *Erase,
                      const Expr *Container) {
  llvm::SmallPtrSet<const ValueDecl *, 4> Names;
  if (const ValueDecl *C = lastNamed(Container))
    Names.insert(C);
  if (const auto *Call = llvm::dyn_cast<CallExpr>(Erase))
    for (const Expr *Arg : Call->arguments())
      walkOwnCode(Arg, [&](const Stmt *S) { // an iterator, converted
        if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(S))
          Names.insert(DRE->getDecl());
      });
  if (Names.empty())
    return false;
  auto NamesAny = [&](const Expr *E) {
    bool Named = false;
    walkOwnCode(E, [&](const Stmt *In) {
      if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(In))
        Named |= Names.count(DRE->getDecl()) != 0;
      else if (const auto *ME = llvm::dyn_cast<MemberExpr>(In))
        Named |= Names.count(ME->getMemberDecl()) != 0;
    });
    return Named;
  };
  // A class-typed value read from them into a variable (`test =
  // it->second;`, `auto t = *it;`): a copy of an owner keeps its pointee.
  auto CopiedOut = [&](const Expr *E) {
    const CXXRecordDecl *RD = E ? E->getType()->getAsCXXRecordDecl() : nullptr;
    // An iterator (`auto it = c.begin()`) holds no element.
    if (!RD || !RD->getIdentifier() || isIteratorClass(RD) || !NamesAny(E))
      return false;
    bool HasErase = false; // `it = c.erase(it)`: the next iterator
    walkOwnCode(E, [&](const Stmt *In) { HasErase |= In == Erase; });
    return !HasErase;
  };
  bool Moved = false;
  walkOwnCode(Body, [&](const Stmt *S) {
    if (Moved)
      return;
    if (const auto *DS = llvm::dyn_cast<DeclStmt>(S)) {
      for (const Decl *D : DS->decls())
        if (const auto *VD = llvm::dyn_cast<VarDecl>(D);
            VD && !VD->getType()->isReferenceType() && CopiedOut(VD->getInit()))
          Moved = true;
      return;
    }
    const auto *C = llvm::dyn_cast<CallExpr>(S);
    if (const auto *OC = llvm::dyn_cast_or_null<CXXOperatorCallExpr>(C);
        OC && OC->getOperator() == OO_Equal && OC->getNumArgs() == 2) {
      const ValueDecl *To = lastNamed(OC->getArg(0));
      Moved = !(To && Names.count(To)) && CopiedOut(OC->getArg(1));
      return;
    }
    const FunctionDecl *FD = C ? C->getDirectCallee() : nullptr;
    if (!FD || !FD->isInStdNamespace() || !FD->getIdentifier() ||
        FD->getName() != "move" || C->getNumArgs() != 1)
      return;
    Moved = NamesAny(C->getArg(0));
  });
  return Moved;
}

/// \p Erase erases from a set of std::shared_ptr by a std::shared_ptr
/// the code holds (`tunnels_.erase(expired)`): the element is not the last
/// owner of what it points to.
/// A shared_ptr class template's specialization (std's or another
/// library's of that name).
bool isSharedPtrClass(const CXXRecordDecl *RD) {
  return RD && RD->getIdentifier() && RD->getName() == "shared_ptr";
}

bool erasesByOwner(const Stmt *Erase) {
  const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Erase);
  if (!MC || MC->getNumArgs() != 1)
    return false;
  const CXXRecordDecl *Arg =
      MC->getArg(0)->getType().getNonReferenceType()->getAsCXXRecordDecl();
  return Arg && Arg->isInStdNamespace() && isSharedPtrClass(Arg);
}

/// A local std::shared_ptr of \p Body that \p E names (`src`,
/// `src.get()`, `*src`), declared before \p Before; null otherwise.
const VarDecl *heldLocal(const Expr *E, const Stmt *Body, const Stmt *Before) {
  E = bareExpr(E);
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(E);
      MC && MC->getMethodDecl() && MC->getMethodDecl()->getIdentifier() &&
      MC->getMethodDecl()->getName() == "get")
    E = bareExpr(MC->getImplicitObjectArgument());
  if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(E);
      OC && OC->getOperator() == OO_Star && OC->getNumArgs() == 1)
    E = bareExpr(OC->getArg(0));
  const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E);
  const auto *VD = DRE ? llvm::dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
  const CXXRecordDecl *RD =
      VD ? VD->getType().getNonReferenceType()->getAsCXXRecordDecl() : nullptr;
  if (!VD || !VD->hasLocalStorage() || VD->getType()->isReferenceType() ||
      !isSharedPtrClass(RD))
    return nullptr;
  const DeclStmt *DS = declaringStmt(Body, VD);
  const SourceManager &SM = VD->getASTContext().getSourceManager();
  return DS && SM.isBeforeInTranslationUnit(DS->getEndLoc(),
                                            Before->getBeginLoc())
             ? VD
             : nullptr;
}

/// \p Erase runs only where the element is the object a local shared_ptr
/// still holds (`if (it->get() == src.get()) list.erase(it);`): it drops
/// a reference that is not the last.
bool erasesHeldElement(const Stmt *Body, const Stmt *Erase) {
  bool Held = false;
  walkOwnCode(Body, [&](const Stmt *S) {
    const auto *If = llvm::dyn_cast<IfStmt>(S);
    if (Held || !If || !If->getThen())
      return;
    if (!containsStmt(If->getThen(), Erase))
      return;
    const Expr *Cond = bareExpr(If->getCond());
    const Expr *L = nullptr, *R = nullptr;
    if (const auto *BO = llvm::dyn_cast<BinaryOperator>(Cond);
        BO && BO->getOpcode() == BO_EQ) {
      L = BO->getLHS();
      R = BO->getRHS();
    } else if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(Cond);
               OC && OC->getOperator() == OO_EqualEqual &&
               OC->getNumArgs() == 2) {
      L = OC->getArg(0);
      R = OC->getArg(1);
    }
    Held = L && R && (heldLocal(L, Body, If) || heldLocal(R, Body, If));
  });
  return Held;
}

/// The class whose member \p U is (a lambda's: the class of the code it is
/// written in).
const CXXRecordDecl *classOfUnit(const CodeUnit &U) {
  const DeclContext *DC = U.Fn;
  while (DC) {
    if (const auto *MD = llvm::dyn_cast<CXXMethodDecl>(DC);
        MD && !MD->getParent()->isLambda())
      return MD->getParent();
    DC = DC->getParent();
  }
  return nullptr;
}

/// \p S is written inside a loop of \p Body (one that does not also
/// declare \p Fresh, if given).
bool inLoopOf(const Stmt *Body, const Stmt *S, const VarDecl *Fresh = nullptr) {
  bool In = false;
  walkOwnCode(Body, [&](const Stmt *L) {
    if (In || !llvm::isa<ForStmt, WhileStmt, DoStmt, CXXForRangeStmt>(L))
      return;
    bool Has = false, Declares = false;
    walkOwnCode(L, [&](const Stmt *X) {
      Has |= X == S;
      if (const auto *DS = llvm::dyn_cast<DeclStmt>(X); DS && Fresh)
        Declares |= llvm::is_contained(DS->decls(), Fresh);
    });
    In = Has && !Declares;
  });
  return In;
}

/// \p Assign (`p = ...` of an owning pointer) is the one assignment of a
/// local declared empty (`std::unique_ptr<Job> job; ... job =
/// std::move(q.front());`): it destroys nothing.
bool firstOwnerAssignment(const Stmt *Body, const Stmt *Assign) {
  const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(Assign);
  const auto *DRE =
      OC ? llvm::dyn_cast<DeclRefExpr>(OC->getArg(0)->IgnoreParenImpCasts())
         : nullptr;
  const auto *VD = DRE ? llvm::dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
  if (!VD || !VD->hasLocalStorage() || llvm::isa<ParmVarDecl>(VD))
    return false;
  if (const Expr *Init = VD->getInit()) {
    const auto *CE =
        llvm::dyn_cast<CXXConstructExpr>(Init->IgnoreParenImpCasts());
    if (!CE ||
        (CE->getNumArgs() > 0 && !llvm::isa<CXXNullPtrLiteralExpr>(
                                     CE->getArg(0)->IgnoreParenImpCasts())))
      return false;
  }
  unsigned Writes = 0;
  walkOwnCode(Body, [&](const Stmt *S) {
    const Expr *Target = nullptr;
    if (const auto *O = llvm::dyn_cast<CXXOperatorCallExpr>(S);
        O && O->getOperator() == OO_Equal)
      Target = O->getArg(0);
    else if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S);
             MC && MC->getMethodDecl() &&
             MC->getMethodDecl()->getIdentifier() &&
             (MC->getMethodDecl()->getName() == "reset" ||
              MC->getMethodDecl()->getName() == "swap"))
      Target = MC->getImplicitObjectArgument();
    if (const auto *R = llvm::dyn_cast_or_null<DeclRefExpr>(
            Target ? Target->IgnoreParenImpCasts() : nullptr))
      Writes += R->getDecl() == VD;
  });
  // In a loop, a second round destroys the first round's: not known here
  // either way, so only a body with one write at all counts, unless the
  // local is declared in that loop too (each round's is a new one).
  return Writes == 1 && !inLoopOf(Body, Assign, VD);
}

/// The data member \p E copies from an object that outlives the running
/// function: `c.src_`, `p->src_`, `this->src_` with `c`, `p` parameters (or
/// `this`), or what a const getter of such an object returns when each of
/// its returns is a data member of its own (`return src_;`). Null
/// otherwise.
const FieldDecl *liveOwnerMember(const Expr *E) {
  E = bareExprThroughCopies(E);
  auto RootLives = [](const Expr *Obj) {
    Obj = bareExpr(Obj);
    while (const auto *ME = llvm::dyn_cast<MemberExpr>(Obj))
      Obj = bareExpr(ME->getBase());
    if (llvm::isa<CXXThisExpr>(Obj))
      return true;
    const auto *DRE = llvm::dyn_cast<DeclRefExpr>(Obj);
    const auto *P = DRE ? llvm::dyn_cast<ParmVarDecl>(DRE->getDecl()) : nullptr;
    return P &&
           (P->getType()->isReferenceType() || P->getType()->isPointerType());
  };
  if (const auto *ME = llvm::dyn_cast<MemberExpr>(E)) {
    const auto *F = llvm::dyn_cast<FieldDecl>(ME->getMemberDecl());
    return F && RootLives(ME->getBase()) ? F : nullptr;
  }
  const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(E);
  const CXXMethodDecl *M = MC ? MC->getMethodDecl() : nullptr;
  const FunctionDecl *Def = M ? definitionWithBody(M) : nullptr;
  if (!Def || !M->isConst() || !RootLives(MC->getImplicitObjectArgument()))
    return nullptr;
  const FieldDecl *Returned = nullptr;
  bool Other = false;
  walkOwnCode(Def->getBody(), [&](const Stmt *S) {
    const auto *R = llvm::dyn_cast<ReturnStmt>(S);
    if (!R)
      return;
    const auto *RE = R->getRetValue()
                         ? llvm::dyn_cast<MemberExpr>(
                               bareExprThroughCopies(R->getRetValue()))
                         : nullptr;
    const auto *F = RE && llvm::isa<CXXThisExpr>(bareExpr(RE->getBase()))
                        ? llvm::dyn_cast<FieldDecl>(RE->getMemberDecl())
                        : nullptr;
    if (!F || (Returned && Returned != F))
      Other = true;
    else
      Returned = F;
  });
  return Other ? nullptr : Returned;
}

/// \p VD, a local std::shared_ptr of \p Body, copies a member of an object
/// that outlives the function (liveOwnerMember()), and nothing in \p Body
/// changes that member: at its end it drops a reference that is not the
/// last, and runs no destructor (CMSSW's `auto source = c.getCurrentSource();`
/// next to the request `c` that keeps it).
bool copiesLiveOwner(const VarDecl *VD, const Stmt *Body) {
  const CXXRecordDecl *RD = VD->getType()->getAsCXXRecordDecl();
  if (!isSharedPtrClass(RD) || !VD->getInit())
    return false;
  const FieldDecl *F = liveOwnerMember(VD->getInit());
  if (!F)
    return false;
  bool Changed = false;
  walkOwnCode(Body, [&](const Stmt *S) {
    const Expr *Target = nullptr;
    if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S)) {
      if (const CXXMethodDecl *M = MC->getMethodDecl(); M && !M->isConst())
        Target = MC->getImplicitObjectArgument();
    } else if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(S)) {
      if (OC->isAssignmentOp() && OC->getNumArgs() > 0)
        Target = OC->getArg(0);
    }
    if (const auto *ME =
            Target ? llvm::dyn_cast<MemberExpr>(bareExpr(Target)) : nullptr)
      Changed |= ME->getMemberDecl() == F;
  });
  return !Changed;
}

} // namespace

void SyncInventory::addDestructorCalls() {
  llvm::SmallVector<const CXXDestructorDecl *, 8> Written;
  for (const auto &UP : Units)
    if (const auto *D = llvm::dyn_cast<CXXDestructorDecl>(UP->Fn);
        D && !UP->Lambda)
      Written.push_back(D);
  auto HasUnit = [&](const FunctionDecl *FD) {
    return ByFunction.count(FD) != 0;
  };
  DestructorClosure Closure(HasUnit, Written, &Callables);
  auto Add = [&](CodeUnit &U, const void *Trigger, QualType T, bool Dynamic,
                 llvm::function_ref<const Expr *()> Object,
                 SourceLocation Loc) {
    const Expr *Obj = nullptr;
    // The object itself, or what it owns (std::unique_ptr<C>): the
    // destructors of that class (or of a class derived from it) run on
    // it; the others on an element or a member we do not name.
    const CXXRecordDecl *Own = ownedClass(T);
    const CXXRecordDecl *Self = classOfUnit(U);
    for (const FunctionDecl *Dtor : Closure.of(T, Dynamic)) {
      const CXXRecordDecl *Of = llvm::cast<CXXMethodDecl>(Dtor)->getParent();
      // Code of a class destroying an object of that class (a pool's
      // tunnel owning the pool back, a tree's node its children): not
      // followed; a chain that would destroy `this` under its own lock is
      // a use after free before it is a deadlock.
      if (Self && Of->getCanonicalDecl() == Self->getCanonicalDecl())
        continue;
      const Expr *This = nullptr;
      // A container's own jthread elements (`threads_.clear()`): the
      // container, whose elements the analysis follows to their starts.
      bool Elements = isJoiningThread(Of) && elementClass(T) == Of;
      if (Elements || (Own && (Of == Own || Of->isDerivedFrom(Own)))) {
        if (!Obj)
          Obj = Object();
        This = Obj;
      } else {
        This = new (Ctx) OpaqueValueExpr(
            Loc,
            llvm::cast<CXXMethodDecl>(Dtor)->getThisType()->getPointeeType(),
            VK_LValue);
      }
      const CallExpr *Call = madeUpCall(Ctx, Dtor, This, Loc);
      // A joining destructor with no body here is no call into our code.
      if (ByFunction.count(Dtor)) {
        U.Calls.push_back({Call, Dtor});
        Callers[Dtor].push_back({&U, Call});
      }
      U.Destroys[Trigger].push_back(Call);
    }
  };
  llvm::DenseMap<const CodeUnit *, llvm::DenseSet<const VarDecl *>> Away;
  for (const PendingDestroy &P : Pending) {
    CodeUnit &U = *P.Unit;
    if (P.At) {
      Destruction D = destructionAt(P.At);
      // The cheap question first: does it run any code of ours at all?
      if (Closure.of(D.Destroyed, D.Dynamic).empty())
        continue;
      if (!D.Dynamic &&
          (movesElementsOut(U.Body, P.At, D.Object) || erasesByOwner(P.At) ||
           erasesHeldElement(U.Body, P.At)))
        continue;
      if (firstOwnerAssignment(U.Body, P.At))
        continue;
      Add(
          U, P.At, D.Destroyed, D.Dynamic, [&] { return D.Object; },
          P.At->getBeginLoc());
      continue;
    }
    // The future of a std::async task: its destructor waits for the task.
    const CallExpr *Async = nullptr;
    if (P.Var->getInit())
      if (const auto *C =
              llvm::dyn_cast<CallExpr>(bareExprThroughCopies(P.Var->getInit()));
          C && blockingAsync(C))
        Async = C;
    if (!Async && Closure.of(P.Var->getType(), false).empty())
      continue;
    auto It = Away.find(&U);
    if (It == Away.end())
      It = Away.try_emplace(&U, givenAway(U.Body)).first;
    if (It->second.count(P.Var) || copiesLiveOwner(P.Var, U.Body))
      continue;
    // The local, named after its initialiser (a jthread started there is
    // joined here).
    SourceLocation End = P.Var->getSourceRange().getEnd();
    auto Ref = [&]() -> const Expr * {
      auto *VD = const_cast<VarDecl *>(P.Var);
      return DeclRefExpr::Create(Ctx, NestedNameSpecifierLoc(),
                                 SourceLocation(), VD, false, End,
                                 VD->getType(), VK_LValue);
    };
    if (Async) {
      const CXXRecordDecl *RD = P.Var->getType()->getAsCXXRecordDecl();
      if (const CXXDestructorDecl *Dtor = RD ? RD->getDestructor() : nullptr)
        U.Destroys[P.Var].push_back(madeUpCall(Ctx, Dtor, Ref(), End));
      continue;
    }
    Add(U, P.Var, P.Var->getType(), false, Ref, End);
  }
  Pending.clear();
  // A destructor's members and bases, destroyed at its end.
  for (const CXXDestructorDecl *D : Written) {
    CodeUnit &U = *const_cast<CodeUnit *>(ByFunction.lookup(D));
    const CXXRecordDecl *RD = D->getParent();
    SourceLocation End = U.Body ? U.Body->getEndLoc() : D->getLocation();
    auto This = [&]() -> Expr * {
      return CXXThisExpr::Create(Ctx, End, D->getThisType(),
                                 /*IsImplicit=*/false);
    };
    for (const FieldDecl *F : RD->fields()) {
      if (F->getType()->isReferenceType())
        continue;
      Add(
          U, F, F->getType(), false,
          [&]() -> const Expr * {
            return MemberExpr::CreateImplicit(
                Ctx, This(), true, const_cast<FieldDecl *>(F), F->getType(),
                VK_LValue, OK_Ordinary);
          },
          End);
    }
    for (const CXXBaseSpecifier &B : RD->bases())
      if (const CXXRecordDecl *BD = B.getType()->getAsCXXRecordDecl())
        Add(U, BD->getCanonicalDecl(), B.getType(), false, This, End);
  }
}

llvm::ArrayRef<std::pair<const CodeUnit *, const CallExpr *>>
SyncInventory::callersOf(const FunctionDecl *FD) const {
  auto It = Callers.find(FD);
  if (It == Callers.end())
    return {};
  return It->second;
}

void InventoryCollector::registerMatchers(
    ast_matchers::MatchFinder *Finder,
    ast_matchers::MatchFinder::MatchCallback *Check) {
  using namespace ast_matchers;
  Finder->addMatcher(functionDecl(isDefinition(),
                                  unless(isExpansionInSystemHeader()),
                                  unless(isImplicit()))
                         .bind("inventory-fn"),
                     Check);
  Finder->addMatcher(fieldDecl(unless(isExpansionInSystemHeader()),
                               hasInClassInitializer(expr()))
                         .bind("inventory-field"),
                     Check);
}

bool InventoryCollector::collect(
    const ast_matchers::MatchFinder::MatchResult &Result) {
  if (const auto *FD = Result.Nodes.getNodeAs<FunctionDecl>("inventory-fn")) {
    if (FD->hasBody())
      Functions.push_back(FD);
    return true;
  }
  if (const auto *FD = Result.Nodes.getNodeAs<FieldDecl>("inventory-field")) {
    Fields.push_back(FD);
    return true;
  }
  return false;
}

std::unique_ptr<SyncInventory>
InventoryCollector::take(const ASTContext &Ctx,
                         const ConditionVariableModel &CVs) {
  auto Inv = std::make_unique<SyncInventory>(Ctx, CVs);
  // A lambda's call operator is a definition the matcher finds too; the
  // code the lambda is written in adds it as a lambda (a thread's body, a
  // callback), so it comes last: only a lambda no code of ours holds (a
  // global's initialiser) is added as a plain function.
  auto IsLambda = [](const FunctionDecl *FD) {
    const auto *MD = llvm::dyn_cast<CXXMethodDecl>(FD);
    return MD && MD->getParent()->isLambda();
  };
  for (const FunctionDecl *FD : Functions)
    if (!IsLambda(FD))
      Inv->addFunction(FD);
  for (const FieldDecl *FD : Fields)
    Inv->addLambdasIn(FD->getInClassInitializer());
  for (const FunctionDecl *FD : Functions)
    if (IsLambda(FD))
      Inv->addFunction(FD);
  Inv->addDestructorCalls();
  clear();
  return Inv;
}

const Stmt *stopCallbackSite(const SyncInventory &Inv, const CodeUnit &U,
                             const Expr **Token) {
  if (!U.Lambda)
    return nullptr;
  const auto *Enc = llvm::dyn_cast<FunctionDecl>(
      U.Lambda->getLambdaClass()->getDeclContext());
  const CodeUnit *EU = Enc ? Inv.unitOf(Enc) : nullptr;
  if (!EU)
    return nullptr;
  auto IsLambda = [&](const Expr *A) {
    const Expr *E = bareExprThroughCopies(A);
    // Converted to the callback's std::function.
    if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(E);
        CE && CE->getNumArgs() == 1)
      E = bareExprThroughCopies(CE->getArg(0));
    // Kept in a variable first.
    if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E))
      if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl());
          VD && VD->hasLocalStorage() && VD->getInit())
        E = bareExprThroughCopies(VD->getInit());
    return E == U.Lambda;
  };
  auto NamesCallback = [](QualType T) {
    return T.getAsString().find("stop_callback") != std::string::npos;
  };
  const Stmt *Found = nullptr;
  walkOwnCode(EU->Body, [&](const Stmt *S) {
    if (Found)
      return;
    llvm::ArrayRef<const Expr *> Args;
    QualType Made;
    if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(S)) {
      Args = llvm::ArrayRef(CE->getArgs(), CE->getNumArgs());
      Made = CE->getType();
    } else if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S)) {
      Args = llvm::ArrayRef(MC->getArgs(), MC->getNumArgs());
      Made = MC->getImplicitObjectArgument()->getType();
    } else if (const auto *C = llvm::dyn_cast<CallExpr>(S)) {
      Args = llvm::ArrayRef(C->getArgs(), C->getNumArgs());
      Made = C->getType();
    } else {
      return;
    }
    if (Args.size() != 2 || !IsLambda(Args[1]) ||
        !isStopTokenType(Args[0]->getType()) || !NamesCallback(Made))
      return;
    Found = S;
    if (Token)
      *Token = Args[0];
  });
  return Found;
}

} // namespace clang::tidy::threadleak
