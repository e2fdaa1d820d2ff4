//===--- Destructors.cpp - what destroying an object runs -----------------===//

#include "engine/Destructors.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/StringSwitch.h"

namespace clang::tidy::threadleak {

namespace {

enum class StdKind { None, Owner, Container, Callable, Other };

/// How a class of namespace std destroys what it holds: an owning smart
/// pointer destroys its pointee, a container (or optional, pair, tuple,
/// variant) its elements, a std::function its target (a closure, with
/// what it captured); anything else of the library holds nothing of ours
/// that it destroys.
StdKind stdKind(const CXXRecordDecl *RD) {
  if (!RD || !RD->isInStdNamespace() || !RD->getIdentifier())
    return StdKind::None;
  return llvm::StringSwitch<StdKind>(RD->getName())
      .Cases("unique_ptr", "shared_ptr", "__shared_ptr", StdKind::Owner)
      .Cases("vector", "deque", "list", "forward_list", "array",
             StdKind::Container)
      .Cases("map", "multimap", "unordered_map", "unordered_multimap",
             StdKind::Container)
      .Cases("set", "multiset", "unordered_set", "unordered_multiset",
             StdKind::Container)
      .Cases("queue", "stack", "priority_queue", StdKind::Container)
      .Cases("optional", "pair", "tuple", "variant", StdKind::Container)
      .Cases("function", "move_only_function", "copyable_function",
             StdKind::Callable)
      .Default(StdKind::Other);
}

const CXXRecordDecl *classOf(QualType T) {
  T = T.getNonReferenceType().getCanonicalType();
  while (const auto *AT = T->getAsArrayTypeUnsafe())
    T = AT->getElementType().getCanonicalType();
  return T->getAsCXXRecordDecl();
}

/// The type arguments of a specialization of a library class.
llvm::SmallVector<QualType, 2> typeArguments(const CXXRecordDecl *RD) {
  llvm::SmallVector<QualType, 2> Out;
  const auto *Spec = llvm::dyn_cast<ClassTemplateSpecializationDecl>(RD);
  if (!Spec)
    return Out;
  for (const TemplateArgument &A : Spec->getTemplateArgs().asArray()) {
    if (A.getKind() == TemplateArgument::Type)
      Out.push_back(A.getAsType());
    else if (A.getKind() == TemplateArgument::Pack)
      for (const TemplateArgument &P : A.pack_elements())
        if (P.getKind() == TemplateArgument::Type)
          Out.push_back(P.getAsType());
  }
  return Out;
}

bool isOwner(QualType T) { return stdKind(classOf(T)) == StdKind::Owner; }

} // namespace

const CXXRecordDecl *ownedClass(QualType T) {
  const CXXRecordDecl *RD = classOf(T);
  if (isOwner(T))
    if (auto Args = typeArguments(RD); !Args.empty())
      return classOf(Args.front());
  return RD;
}

const CXXRecordDecl *elementClass(QualType T) {
  const CXXRecordDecl *RD = classOf(T);
  if (stdKind(RD) != StdKind::Container)
    return nullptr;
  auto Args = typeArguments(RD);
  return Args.empty() ? nullptr : classOf(Args.front());
}

bool isCallableWrapper(QualType T) {
  return stdKind(classOf(T)) == StdKind::Callable;
}

bool isJoiningThread(const CXXRecordDecl *RD) {
  return RD && RD->isInStdNamespace() && RD->getIdentifier() &&
         RD->getName() == "jthread";
}

Destruction destructionAt(const Stmt *S) {
  Destruction D;
  if (const auto *Del = llvm::dyn_cast<CXXDeleteExpr>(S)) {
    if (Del->isArrayForm() || Del->getDestroyedType().isNull() ||
        Del->getDestroyedType()->isDependentType())
      return D;
    D.Destroyed = Del->getDestroyedType();
    D.Object = Del->getArgument()->IgnoreImpCasts();
    D.Dynamic = true;
    return D;
  }
  if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(S)) {
    if (OC->getOperator() != OO_Equal || OC->getNumArgs() != 2)
      return D;
    // `f = g;`: the old target of a std::function.
    if (isCallableWrapper(OC->getArg(0)->getType())) {
      D.Destroyed = OC->getArg(0)->getType().getNonReferenceType();
      D.Object = OC->getArg(0);
      return D;
    }
    // `p = nullptr;`, `p = std::move(q);`: the old pointee.
    if (!isOwner(OC->getArg(0)->getType()))
      return D;
    if (auto Args = typeArguments(classOf(OC->getArg(0)->getType()));
        !Args.empty()) {
      D.Destroyed = Args.front();
      D.Object = OC->getArg(0);
      D.Dynamic = true;
    }
    return D;
  }
  const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S);
  const CXXMethodDecl *M = MC ? MC->getMethodDecl() : nullptr;
  if (!M || !M->getIdentifier())
    return D;
  // `sp.reset()` is __shared_ptr's in libstdc++: the object as written.
  const Expr *Obj = MC->getImplicitObjectArgument()->IgnoreParenImpCasts();
  QualType ObjT = Obj->getType();
  if (ObjT->isPointerType())
    ObjT = ObjT->getPointeeType();
  const CXXRecordDecl *RD = classOf(ObjT);
  StdKind K = stdKind(RD);
  llvm::StringRef Name = M->getName();
  if (K == StdKind::Owner && Name == "reset") {
    if (auto Args = typeArguments(RD); !Args.empty()) {
      D.Destroyed = Args.front();
      D.Object = Obj;
      D.Dynamic = true;
    }
    return D;
  }
  if (K == StdKind::Container &&
      (Name == "erase" || Name == "clear" || Name == "pop_front" ||
       Name == "pop_back" || Name == "pop" || Name == "reset")) {
    D.Destroyed = ObjT;
    D.Object = Obj;
  }
  return D;
}

llvm::ArrayRef<const FunctionDecl *> DestructorClosure::of(QualType T,
                                                           bool Dynamic) {
  const CXXRecordDecl *RD = classOf(T);
  if (!RD)
    return {};
  std::pair<const Decl *, unsigned> Key{RD->getCanonicalDecl(), Dynamic};
  if (auto It = Cache.find(Key); It != Cache.end())
    return It->second;
  llvm::SmallVector<const FunctionDecl *, 2> Out;
  collect(T, Dynamic, 0, Out);
  return Cache[Key] = std::move(Out);
}

void DestructorClosure::collect(
    QualType T, bool Dynamic, unsigned Depth,
    llvm::SmallVectorImpl<const FunctionDecl *> &Out) {
  // Deep enough for an owner of a container of owners of a class whose
  // members own the class that locks.
  if (Depth > 6)
    return;
  const CXXRecordDecl *RD = classOf(T);
  if (!RD || !RD->hasDefinition())
    return;
  RD = RD->getDefinition();
  auto Add = [&](const FunctionDecl *FD) {
    if (!llvm::is_contained(Out, FD))
      Out.push_back(FD);
  };
  // A std::jthread's destructor joins its thread: the made-up call's
  // callee, read by the blocking analysis as a join.
  if (isJoiningThread(RD)) {
    Add(RD->getDestructor());
    return;
  }
  switch (stdKind(RD)) {
  case StdKind::Owner:
    for (QualType A : typeArguments(RD)) {
      collect(A, /*Dynamic=*/true, Depth + 1, Out);
      break; // the pointee; the deleter is not ours
    }
    return;
  case StdKind::Container:
    for (QualType A : typeArguments(RD))
      collect(A, false, Depth + 1, Out);
    return;
  case StdKind::Callable:
    // The closures it may hold: their captures by value are destroyed
    // with it.
    if (Callables)
      if (auto It = Callables->find(
              T.getNonReferenceType().getCanonicalType().getTypePtr());
          It != Callables->end())
        for (const CXXRecordDecl *Closure : It->second)
          for (const FieldDecl *F : Closure->fields())
            if (!F->getType()->isReferenceType())
              collect(F->getType(), false, Depth + 1, Out);
    return;
  case StdKind::Other:
    return;
  case StdKind::None:
    break;
  }
  // A class of a library we do not read destroys nothing of ours.
  const SourceManager &SM = RD->getASTContext().getSourceManager();
  if (SM.isInSystemHeader(SM.getExpansionLoc(RD->getLocation())))
    return;
  const CXXDestructorDecl *Dtor = RD->getDestructor();
  if (!Dtor || Dtor->isTrivial())
    return;
  // Through a pointer, a virtual destructor runs the dynamic type's.
  if (Dynamic && Dtor->isVirtual())
    for (const CXXDestructorDecl *W : Written)
      if (W->getParent() != RD && W->getParent()->isDerivedFrom(RD))
        Add(W);
  const FunctionDecl *Def = nullptr;
  if (Dtor->hasBody(Def) && Def && Def->isUserProvided() && HasUnit(Def)) {
    Add(Def); // its members and bases are destroyed at its end (CFG)
    return;
  }
  // An implicit destructor: the members', then the bases'. One that
  // destroys a std::jthread member joins it: the destructor itself is the
  // call (on its object, whose members the analysis names).
  for (const FieldDecl *F : RD->fields())
    if (isJoiningThread(classOf(F->getType())))
      Add(Dtor);
  for (const FieldDecl *F : RD->fields())
    if (!F->getType()->isReferenceType() &&
        !isJoiningThread(classOf(F->getType())))
      collect(F->getType(), false, Depth + 1, Out);
  for (const CXXBaseSpecifier &B : RD->bases())
    collect(B.getType(), false, Depth + 1, Out);
}

} // namespace clang::tidy::threadleak
