//===--- ObjectKey.cpp - which object an expression names -----------------===//

#include "engine/ObjectKey.h"
#include "engine/StmtWalk.h"
#include "model/ChannelModel.h"
#include "model/ConcurrencyModel.h"
#include "model/FutureModel.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/Attr.h"
#include "clang/AST/DeclCXX.h"
#include "clang/Basic/SourceManager.h"

namespace clang::tidy::threadleak {

namespace {
/// Access paths longer than this are cut at the front (the root is lost).
constexpr size_t MaxPath = 4;

bool isPointerLike(QualType T) {
  T = T.getNonReferenceType();
  return T->isPointerType() || isSmartPointer(recordOf(T));
}

/// A promise or a future held by value.
bool isOneShot(QualType T) {
  return !T->isReferenceType() && !T->isPointerType() &&
         (isPromiseType(T) || isFutureType(T));
}

/// A call that returns its argument's object: std::move, std::ref, ...
bool isIdentityCall(const CallExpr *Call) {
  const FunctionDecl *FD = Call->getDirectCallee();
  if (!FD || !FD->isInStdNamespace() || !FD->getIdentifier() ||
      Call->getNumArgs() != 1)
    return false;
  llvm::StringRef N = FD->getName();
  return N == "move" || N == "ref" || N == "cref" || N == "as_const" ||
         N == "addressof" || N == "forward";
}

} // namespace

bool isHandle(QualType T) {
  T = T.getNonReferenceType();
  if (T->isPointerType())
    return false;
  const CXXRecordDecl *RD = recordOf(T);
  if (!RD || !RD->hasDefinition() || RD->isLambda() || RD->isUnion() ||
      RD->getNumBases() || RD->isPolymorphic() ||
      RD->getASTContext().getSourceManager().isInSystemHeader(
          RD->getLocation()))
    return false;
  RD = RD->getDefinition();
  const FieldDecl *Only = nullptr;
  for (const FieldDecl *F : RD->fields()) {
    if (Only)
      return false;
    Only = F;
  }
  return Only && !Only->getType()->isReferenceType() &&
         isSmartPointer(recordOf(Only->getType()));
}

bool isPairMember(const ValueDecl *Member) {
  const auto *FD = llvm::dyn_cast_or_null<FieldDecl>(Member);
  const RecordDecl *RD = FD ? FD->getParent() : nullptr;
  return RD && RD->isInStdNamespace() && RD->getIdentifier() &&
         RD->getName() == "pair";
}

const Expr *iteratedContainer(const Expr *Init) {
  const auto *MC = llvm::dyn_cast_or_null<CXXMemberCallExpr>(
      Init ? bareExprThroughCopies(Init) : nullptr);
  const CXXMethodDecl *M = MC ? MC->getMethodDecl() : nullptr;
  if (!M || !M->getParent()->isInStdNamespace())
    return nullptr;
  if (!isIteratorClass(
          M->getReturnType().getNonReferenceType()->getAsCXXRecordDecl()))
    return nullptr;
  return MC->getImplicitObjectArgument();
}

namespace {

ObjectKey append(ObjectKey K, const ValueDecl *Member) {
  // The key and the value of a map's element are the element: elements
  // are collapsed anyway.
  if (Member && K.isElement() && isPairMember(Member))
    return K;
  if (!K.valid())
    K.Root = ObjectKey::Unknown;
  K.Path.push_back(Member);
  if (K.Path.size() > MaxPath) {
    K.Path.erase(K.Path.begin());
    K.Root = ObjectKey::Unknown;
    K.RootVar = nullptr;
  }
  return K;
}

ObjectKey concat(ObjectKey Base, const ObjectKey &Rest) {
  for (const ValueDecl *M : Rest.Path)
    Base = append(std::move(Base), M);
  return Base;
}
} // namespace

bool ObjectKey::exact() const {
  if (Root == Unknown)
    return false;
  for (const ValueDecl *M : Path)
    if (!M)
      return false;
  return true;
}

const ValueDecl *ObjectKey::object() const {
  if (!Path.empty() && Path.back())
    return MemberTargets::resolve(Path.back());
  for (const ValueDecl *M : llvm::reverse(Path))
    if (M)
      return M;
  return RootVar;
}

/// What holds \p K's object by value, from the object out: its member,
/// the members (or the variable) that contain it, up to the first that
/// is reached through a pointer or a reference, or is a union's.
static llvm::SmallVector<const ValueDecl *, 4> containment(const ObjectKey &K) {
  llvm::SmallVector<const ValueDecl *, 4> Out;
  auto HoldsByValue = [](const ValueDecl *D) {
    QualType T = D->getType();
    const CXXRecordDecl *RD = T->getAsCXXRecordDecl();
    return !T->isReferenceType() && !T->isPointerType() && RD &&
           !RD->isUnion() && !isSmartPointer(RD);
  };
  for (size_t I = K.Path.size(); I-- > 0;) {
    const ValueDecl *M = K.Path[I];
    if (!M)
      return Out;
    if (const auto *F = llvm::dyn_cast<FieldDecl>(M))
      if (F->getParent()->isUnion())
        return Out;
    if (!Out.empty() && !HoldsByValue(M))
      return Out;
    Out.push_back(M);
  }
  if (K.Root == ObjectKey::Var && K.RootVar && !Out.empty() &&
      HoldsByValue(K.RootVar))
    Out.push_back(K.RootVar);
  return Out;
}

bool surelyDistinct(const ObjectKey &A, const ObjectKey &B) {
  if (A.Path.empty() || B.Path.empty())
    return false;
  llvm::SmallVector<const ValueDecl *, 4> CA = containment(A),
                                          CB = containment(B);
  for (size_t I = 1; I < CA.size() && I < CB.size(); ++I)
    if (CA[I]->getCanonicalDecl() != CB[I]->getCanonicalDecl())
      return true;
  return false;
}

std::string varName(const VarDecl *VD) {
  // `auto [ctx, cancel] = ...`: by its first name.
  if (const auto *DD = llvm::dyn_cast<DecompositionDecl>(VD))
    if (!DD->bindings().empty())
      return DD->bindings().front()->getNameAsString();
  return VD->getNameAsString();
}

std::string ObjectKey::str() const {
  std::string S;
  QualType Prev;
  if (Root == Var && RootVar) {
    S = varName(RootVar);
    Prev = RootVar->getType();
  } else if (Root == Unknown && !Path.empty() && Path.front()) {
    // A local of a callee, or a path cut at the front: its own name.
  }
  for (const ValueDecl *M : Path) {
    if (!M) {
      S += "[...]";
      Prev = QualType();
      continue;
    }
    if (!S.empty())
      S += !Prev.isNull() && isPointerLike(Prev) ? "->" : ".";
    S += M->getNameAsString();
    Prev = M->getType();
  }
  if (S.empty())
    S = "*this";
  return S;
}

KeyBuilder::KeyBuilder(const Stmt *Body) {
  auto Note = [&](const Expr *E, bool Write = true) {
    E = bareExpr(E);
    if (const auto *DRE = llvm::dyn_cast_or_null<DeclRefExpr>(E)) {
      if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl()); VD && Write)
        Written.insert(VD);
      if (const auto *BD = llvm::dyn_cast<BindingDecl>(DRE->getDecl()))
        AssignedBindings.insert(BD);
    }
    // `v.f = ...` changes v too (its members are read from its initialiser).
    while (const auto *ME = llvm::dyn_cast_or_null<MemberExpr>(E))
      E = bareExpr(ME->getBase());
    if (const auto *DRE = llvm::dyn_cast_or_null<DeclRefExpr>(E))
      if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl()))
        Assigned.insert(VD);
  };
  walkWithLambdas(Body, nullptr, [&](const Stmt *S) {
    if (const auto *BO = llvm::dyn_cast<BinaryOperator>(S)) {
      if (BO->isAssignmentOp())
        Note(BO->getLHS());
    } else if (const auto *UO = llvm::dyn_cast<UnaryOperator>(S)) {
      if (UO->isIncrementDecrementOp())
        Note(UO->getSubExpr(), /*Write=*/false);
    } else if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(S)) {
      if (OC->isAssignmentOp() && OC->getNumArgs() >= 1)
        Note(OC->getArg(0));
    } else if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S)) {
      // p.reset(...), p.swap(q): a smart pointer changes its object.
      if (const CXXMethodDecl *M = MC->getMethodDecl())
        if (M->getIdentifier() &&
            (M->getName() == "reset" || M->getName() == "swap"))
          Note(MC->getImplicitObjectArgument());
    } else if (const auto *Call = llvm::dyn_cast<CallExpr>(S)) {
      // Passed by non-const reference: the callee may assign it.
      const FunctionDecl *FD = Call->getDirectCallee();
      if (!FD)
        return;
      unsigned N = std::min<unsigned>(Call->getNumArgs(), FD->getNumParams());
      for (unsigned I = 0; I < N; ++I) {
        QualType PT = FD->getParamDecl(I)->getType();
        if (!PT->isReferenceType() ||
            PT.getNonReferenceType().isConstQualified())
          continue;
        if (isPointerLike(PT))
          Note(Call->getArg(I));
        // A structured binding the callee may assign, whatever its type.
        if (const auto *DRE =
                llvm::dyn_cast<DeclRefExpr>(bareExpr(Call->getArg(I))))
          if (const auto *BD = llvm::dyn_cast<BindingDecl>(DRE->getDecl()))
            AssignedBindings.insert(BD);
      }
    }
  });
}

ObjectKey KeyBuilder::keyOf(const Expr *E) const { return keyOf(E, 0); }

namespace {
thread_local const MemberTargets *CurrentTargets = nullptr;
} // namespace

MemberTargets::MemberTargets(Fn Resolve)
    : Resolve(std::move(Resolve)), Outer(CurrentTargets) {
  CurrentTargets = this;
}

MemberTargets::~MemberTargets() { CurrentTargets = Outer; }

const ValueDecl *MemberTargets::resolve(const ValueDecl *Member) {
  const auto *FD = llvm::dyn_cast_or_null<FieldDecl>(Member);
  if (!CurrentTargets || !FD)
    return Member;
  QualType T = FD->getType();
  if (!T->isReferenceType() && !T->isPointerType())
    return Member;
  const ValueDecl *Target = CurrentTargets->Resolve(FD);
  return Target ? Target : Member;
}

ObjectKey KeyBuilder::simplify(ObjectKey K) const {
  if (K.Root != ObjectKey::Var || !K.RootVar || K.Path.empty() || !K.Path[0])
    return K;
  const VarDecl *VD = K.RootVar;
  const auto *FD = llvm::dyn_cast<FieldDecl>(K.Path[0]);
  if (!FD || !VD->hasLocalStorage() || Assigned.count(VD) || !VD->getInit())
    return K;
  const auto *IL = llvm::dyn_cast<InitListExpr>(bareExpr(VD->getInit()));
  if (!IL || FD->getParent() != VD->getType()->getAsCXXRecordDecl() ||
      FD->getFieldIndex() >= IL->getNumInits())
    return K;
  ObjectKey Base = keyOf(IL->getInit(FD->getFieldIndex()), 0);
  if (!Base.valid())
    return K;
  ObjectKey Rest;
  Rest.Path.assign(K.Path.begin() + 1, K.Path.end());
  return concat(std::move(Base), Rest);
}

ObjectKey KeyBuilder::keyOfVar(const VarDecl *VD, unsigned Depth) const {
  // A local reference, or a pointer set once: its initialiser's object.
  // A future set once is its promise's state (`auto f = p.get_future()`),
  // a promise moved into another (`[p = std::move(p)]`) the same state.
  if (VD->hasLocalStorage() && !llvm::isa<ParmVarDecl>(VD) && VD->getInit() &&
      (VD->getType()->isReferenceType() ||
       ((isPointerLike(VD->getType()) || isOneShot(VD->getType()) ||
         isHandle(VD->getType())) &&
        !Assigned.count(VD)))) {
    ObjectKey K = keyOf(VD->getInit(), Depth + 1);
    if (K.valid())
      return K;
  }
  // An iterator into a container, stepped but not reassigned: an element.
  if (VD->hasLocalStorage() && !llvm::isa<ParmVarDecl>(VD) &&
      !Written.count(VD))
    if (const Expr *C = iteratedContainer(VD->getInit())) {
      ObjectKey K = keyOf(C, Depth + 1);
      if (K.valid())
        return append(std::move(K), nullptr);
    }
  ObjectKey K;
  K.Root = ObjectKey::Var;
  K.RootVar = VD;
  return K;
}

ObjectKey KeyBuilder::keyOf(const Expr *E, unsigned Depth) const {
  if (!E || Depth > 12)
    return {};
  E = bareExpr(E);
  if (const auto *UO = llvm::dyn_cast<UnaryOperator>(E)) {
    if (UO->getOpcode() == UO_AddrOf || UO->getOpcode() == UO_Deref)
      return keyOf(UO->getSubExpr(), Depth + 1);
    return {};
  }
  if (llvm::isa<CXXThisExpr>(E)) {
    ObjectKey K;
    K.Root = ObjectKey::This;
    return K;
  }
  if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E)) {
    if (const auto *BD = llvm::dyn_cast<BindingDecl>(DRE->getDecl()))
      return keyOfBinding(BD);
    const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl());
    return VD ? keyOfVar(VD, Depth) : ObjectKey();
  }
  if (const auto *ME = llvm::dyn_cast<MemberExpr>(E)) {
    const auto *FD = llvm::dyn_cast<FieldDecl>(ME->getMemberDecl());
    if (!FD)
      return {};
    // A member of a local aggregate initialised once with braces
    // (`MembersAPI api{this};`): the initialiser of that member.
    if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(bareExpr(ME->getBase())))
      if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl()))
        if (VD->hasLocalStorage() && !Assigned.count(VD) && VD->getInit())
          if (const auto *IL =
                  llvm::dyn_cast<InitListExpr>(bareExpr(VD->getInit()))) {
            unsigned Idx = FD->getFieldIndex();
            if (FD->getParent() == VD->getType()->getAsCXXRecordDecl() &&
                Idx < IL->getNumInits()) {
              ObjectKey K = keyOf(IL->getInit(Idx), Depth + 1);
              if (K.valid())
                return K;
            }
          }
    return append(keyOf(ME->getBase(), Depth + 1), FD);
  }
  if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(E)) {
    OverloadedOperatorKind Op = OC->getOperator();
    if ((Op == OO_Arrow || Op == OO_Star) && OC->getNumArgs() == 1)
      return keyOf(OC->getArg(0), Depth + 1);
    if (Op == OO_Subscript && OC->getNumArgs() == 2)
      return append(keyOf(OC->getArg(0), Depth + 1), nullptr);
    return {};
  }
  if (const auto *ASE = llvm::dyn_cast<ArraySubscriptExpr>(E))
    return append(keyOf(ASE->getBase(), Depth + 1), nullptr);
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(E)) {
    const CXXMethodDecl *M = MC->getMethodDecl();
    if (!M || !M->getIdentifier())
      return {};
    llvm::StringRef N = M->getName();
    const Expr *Obj = MC->getImplicitObjectArgument();
    if (N == "get" && isSmartPointer(M->getParent()))
      return keyOf(Obj, Depth + 1);
    // A future of a promise, or a shared copy of a future: the promise.
    if (FutureOp FO = classifyFutureOp(MC); FO && FO.Kind == FutureOpKind::Link)
      return keyOf(Obj, Depth + 1);
    if (N == "at" || N == "front" || N == "back")
      return append(keyOf(Obj, Depth + 1), nullptr);
    // An accessor: `mtx()` returning a data member of its object (a copy
    // of a future member shares its state).
    if (const Expr *R = accessorReturnValue(M)) {
      if (isOneShot(M->getReturnType()))
        R = bareExprThroughCopies(R);
      if (const FieldDecl *FD = ownDataMember(R))
        return append(keyOf(Obj, Depth + 1), FD);
    }
    return keyOfReturn(MC, Depth + 1);
  }
  if (const auto *Call = llvm::dyn_cast<CallExpr>(E)) {
    if (isIdentityCall(Call))
      return keyOf(Call->getArg(0), Depth + 1);
    if (llvm::isa<CXXOperatorCallExpr>(Call))
      return {};
    return keyOfReturn(Call, Depth + 1);
  }
  if (const auto *FC = llvm::dyn_cast<CXXFunctionalCastExpr>(E))
    return keyOf(FC->getSubExpr(), Depth + 1);
  if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(E))
    if (CE->getNumArgs() == 1 &&
        (CE->getConstructor()->isCopyOrMoveConstructor() ||
         // std::shared_future from a std::future: the same state.
         (isOneShot(CE->getType()) && isOneShot(CE->getArg(0)->getType())) ||
         // A handle made from the smart pointer it keeps.
         (isHandle(CE->getType()) && isPointerLike(CE->getArg(0)->getType()))))
      return keyOf(CE->getArg(0), Depth + 1);
  return {};
}

ObjectKey KeyBuilder::keyOfBinding(const BindingDecl *BD) const {
  // `auto [ch, err] = open();` where every return of open() gives, at ch's
  // place, one handle open() makes itself (`chan<T> c; ...; return {c,
  // err};`): ch names that object, made afresh by each call.
  const auto *DD =
      llvm::dyn_cast_or_null<DecompositionDecl>(BD->getDecomposedDecl());
  if (!DD || AssignedBindings.count(BD) || !isHandle(BD->getType()))
    return {};
  unsigned Idx = 0;
  for (const BindingDecl *B : DD->bindings()) {
    if (B == BD)
      break;
    ++Idx;
  }
  const auto *Call = DD->getInit()
                         ? llvm::dyn_cast<CallExpr>(bareExpr(DD->getInit()))
                         : nullptr;
  const FunctionDecl *Callee = Call ? Call->getDirectCallee() : nullptr;
  const FunctionDecl *Def = Callee ? Callee->getDefinition() : nullptr;
  if (!Def || !Def->getBody() || Def->getReturnType()->isReferenceType() ||
      isPointerLike(Def->getReturnType()))
    return {};
  if (mayRunOverride(Def))
    return {};
  KeyBuilder Own(Def->getBody());
  const VarDecl *Fresh = nullptr;
  bool Bad = false;
  walkOwnCode(Def->getBody(), [&](const Stmt *S) {
    const auto *Ret = llvm::dyn_cast<ReturnStmt>(S);
    if (!Ret || Bad)
      return;
    // The element at Idx: of a braced aggregate, or of std::pair's or
    // std::tuple's constructor (elements in binding order).
    const Expr *V = Ret->getRetValue() ? bareExpr(Ret->getRetValue()) : nullptr;
    const Expr *Elt = nullptr;
    if (const auto *IL = llvm::dyn_cast_or_null<InitListExpr>(V)) {
      if (Idx < IL->getNumInits())
        Elt = IL->getInit(Idx);
    } else if (const auto *CE = llvm::dyn_cast_or_null<CXXConstructExpr>(V)) {
      const CXXRecordDecl *RD = CE->getConstructor()->getParent();
      if (RD->isInStdNamespace() && RD->getIdentifier() &&
          (RD->getName() == "pair" || RD->getName() == "tuple") &&
          CE->getNumArgs() == DD->bindings().size() && Idx < CE->getNumArgs())
        Elt = CE->getArg(Idx);
    }
    // A handle made on the spot (`return {chan<T>(), err};`): a new object
    // too, that nothing else names.
    if (const auto *Temp =
            Elt ? llvm::dyn_cast<CXXConstructExpr>(bareExpr(Elt)) : nullptr;
        Temp && isHandle(Temp->getType()) &&
        !Temp->getConstructor()->isCopyOrMoveConstructor())
      return;
    const auto *Ref =
        Elt ? llvm::dyn_cast<DeclRefExpr>(bareExprThroughCopies(Elt)) : nullptr;
    const auto *L = Ref ? llvm::dyn_cast<VarDecl>(Ref->getDecl()) : nullptr;
    // A local of its own, made by a construction that copies nothing, and
    // never given another value.
    const auto *Made =
        L && L->getInit()
            ? llvm::dyn_cast<CXXConstructExpr>(bareExpr(L->getInit()))
            : nullptr;
    bool New = L && L->hasLocalStorage() && !llvm::isa<ParmVarDecl>(L) &&
               !L->isStaticLocal() && L->getDeclContext() == Def &&
               isHandle(L->getType()) && !Own.isReassigned(L) &&
               (!L->getInit() ||
                (Made && !Made->getConstructor()->isCopyOrMoveConstructor()));
    if (!New || (Fresh && Fresh != L))
      Bad = true;
    else
      Fresh = L;
  });
  if (Bad || !Fresh)
    return {};
  return ObjectKey{ObjectKey::Unknown, nullptr, {Fresh}};
}

ObjectKey KeyBuilder::keyOfReturn(const CallExpr *Call, unsigned Depth) const {
  const FunctionDecl *Callee = Call->getDirectCallee();
  const FunctionDecl *Def = Callee ? Callee->getDefinition() : nullptr;
  if (!Def || !Def->getBody() || Depth > 12)
    return {};
  // A virtual call may run another body.
  if (mayRunOverride(Def))
    return {};
  // What is returned is the object itself: a reference or a pointer to it,
  // a smart pointer sharing it, a future sharing a promise's state. A copy
  // of anything else is another object.
  QualType RT = Def->getReturnType();
  if (!RT->isReferenceType() && !isPointerLike(RT) && !isOneShot(RT) &&
      !isHandle(RT))
    return {};
  SourceManager &SM = Def->getASTContext().getSourceManager();
  if (SM.isInSystemHeader(Def->getLocation()))
    return {};
  auto [It, New] = Returns.try_emplace(Def);
  if (New) {
    KeyBuilder Own(Def->getBody());
    std::optional<ObjectKey> Found;
    bool Bad = false;
    walkOwnCode(Def->getBody(), [&](const Stmt *S) {
      const auto *Ret = llvm::dyn_cast<ReturnStmt>(S);
      if (!Ret || Bad)
        return;
      const Expr *V = Ret->getRetValue();
      if (V && (isOneShot(RT) || isHandle(RT)))
        V = bareExprThroughCopies(V);
      ObjectKey K = V ? Own.keyOf(V, Depth + 1) : ObjectKey();
      // Rooted where the caller can name it: the object called, or a
      // parameter of this function (not a local, a fresh object per call).
      bool Named =
          K.Root == ObjectKey::This ||
          (K.Root == ObjectKey::Var && llvm::isa<ParmVarDecl>(K.RootVar) &&
           K.RootVar->getDeclContext() == Def);
      if (!Named || (Found && *Found != K))
        Bad = true;
      else
        Found = K;
    });
    It = Returns.find(Def);
    It->second = Bad ? std::nullopt : Found;
  }
  if (!It->second)
    return {};
  ObjectKey K = mapThroughCall(*It->second, Call, Def, *this);
  return K.Root == ObjectKey::Unknown ? ObjectKey() : K;
}

std::optional<unsigned> invokedArgument(const CallExpr *Call) {
  const FunctionDecl *FD = Call ? Call->getDirectCallee() : nullptr;
  if (!FD || !FD->getIdentifier() || FD->getName() != "call_once" ||
      Call->getNumArgs() < 2)
    return std::nullopt;
  if (FD->isInStdNamespace())
    return 1;
  if (plainQualifiedName(FD) != "boost::call_once")
    return std::nullopt;
  // Boost has both orders: (flag, f, args...) and the older (f, flag).
  const CXXRecordDecl *First = recordOf(Call->getArg(0)->getType());
  return First && First->getIdentifier() && First->getName() == "once_flag" ? 1
                                                                            : 0;
}

const FunctionDecl *invokedFunction(const CallExpr *Call) {
  std::optional<unsigned> Idx = invokedArgument(Call);
  if (!Idx)
    return nullptr;
  const Expr *E = bareExprThroughCopies(Call->getArg(*Idx));
  if (const auto *UO = llvm::dyn_cast<UnaryOperator>(E))
    if (UO->getOpcode() == UO_AddrOf)
      E = bareExpr(UO->getSubExpr());
  if (const auto *LE = llvm::dyn_cast<LambdaExpr>(E))
    return LE->getCallOperator();
  const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E);
  if (!DRE)
    return nullptr;
  if (const auto *FD = llvm::dyn_cast<FunctionDecl>(DRE->getDecl()))
    return FD;
  // A variable initialised with a lambda: a closure cannot be assigned
  // another one, so it is that lambda.
  if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl()))
    if (VD->getInit() && !llvm::isa<ParmVarDecl>(VD))
      if (const auto *LE =
              llvm::dyn_cast<LambdaExpr>(bareExprThroughCopies(VD->getInit())))
        return LE->getCallOperator();
  return nullptr;
}

namespace {
/// A member function called on an object (not a lambda's call operator,
/// whose object is the closure).
bool takesObject(const FunctionDecl *Callee) {
  const auto *MD = llvm::dyn_cast_or_null<CXXMethodDecl>(Callee);
  return MD && MD->isInstance() && !MD->getParent()->isLambda();
}
} // namespace

const Expr *argumentFor(const CallExpr *Call, const FunctionDecl *Callee,
                        unsigned Param) {
  unsigned First = 0;
  if (std::optional<unsigned> Idx = invokedArgument(Call))
    First = *Idx + 1 + (takesObject(Callee) ? 1 : 0);
  else if (llvm::isa<CXXOperatorCallExpr>(Call) &&
           llvm::isa_and_nonnull<CXXMethodDecl>(Callee))
    First = 1; // The object is the first argument.
  return First + Param < Call->getNumArgs() ? Call->getArg(First + Param)
                                            : nullptr;
}

const Expr *objectFor(const CallExpr *Call, const FunctionDecl *Callee) {
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call))
    return MC->getImplicitObjectArgument();
  if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(Call))
    return OC->getNumArgs() ? OC->getArg(0) : nullptr;
  if (std::optional<unsigned> Idx = invokedArgument(Call))
    if (takesObject(Callee) && *Idx + 1 < Call->getNumArgs())
      return Call->getArg(*Idx + 1);
  return nullptr;
}

ObjectKey mapThroughCall(const ObjectKey &K, const CallExpr *Call,
                         const FunctionDecl *Callee, const KeyBuilder &Caller,
                         const FunctionDecl *CallerFn) {
  const auto *MD = llvm::dyn_cast<CXXMethodDecl>(Callee);
  bool IsLambda = MD && MD->getParent()->isLambda();
  ObjectKey Abstract;
  Abstract.Path = K.Path;
  if (K.Root == ObjectKey::Unknown)
    return K;
  if (K.Root == ObjectKey::This) {
    if (IsLambda) {
      // The enclosing function's `this`, captured: the caller's own if the
      // caller is that function.
      const DeclContext *Encl = MD->getParent()->getDeclContext();
      if (!CallerFn || Encl == CallerFn)
        return K;
      return Abstract;
    }
    ObjectKey Base = Caller.keyOf(objectFor(Call, Callee));
    if (!Base.valid())
      return Abstract;
    return Caller.simplify(concat(std::move(Base), K));
  }
  const VarDecl *VD = K.RootVar;
  if (const auto *PVD = llvm::dyn_cast<ParmVarDecl>(VD)) {
    if (PVD->getDeclContext() != Callee)
      return K; // A parameter of an enclosing function, captured.
    const Expr *Arg = argumentFor(Call, Callee, PVD->getFunctionScopeIndex());
    if (!Arg)
      return Abstract;
    ObjectKey Base = Caller.keyOf(Arg);
    if (!Base.valid())
      return Abstract;
    return Caller.simplify(concat(std::move(Base), K));
  }
  if (VD->hasLocalStorage()) {
    // The callee's own local (or a capture of a lambda's enclosing code).
    const DeclContext *DC = VD->getDeclContext();
    if (DC == Callee || (MD && DC == MD))
      return Abstract.Path.empty()
                 ? ObjectKey{ObjectKey::Unknown, nullptr, {VD}}
                 : Abstract;
    return K;
  }
  return K; // A global.
}

} // namespace clang::tidy::threadleak
