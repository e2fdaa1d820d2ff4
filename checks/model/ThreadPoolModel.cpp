//===--- ThreadPoolModel.cpp - a project's thread pool --------------------===//

#include "model/ThreadPoolModel.h"
#include "engine/StmtWalk.h"
#include "model/ChannelModel.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"

namespace clang::tidy::threadleak {

namespace {

bool isCallableHolder(const CXXRecordDecl *RD) {
  static const char *const Names[] = {
      "std::function",      "std::move_only_function", "std::copyable_function",
      "std::packaged_task", "boost::function",         "folly::Function",
      "absl::AnyInvocable", "fu2::function",           "fu2::unique_function"};
  std::string N = plainQualifiedName(RD);
  for (const char *Name : Names)
    if (N == Name)
      return true;
  return false;
}

/// A name's words include one of \p Words.
bool hasWord(llvm::StringRef Name,
             std::initializer_list<llvm::StringRef> Words) {
  for (const std::string &W : identifierWords(Name))
    for (llvm::StringRef X : Words)
      if (W == X)
        return true;
  return false;
}

bool isPushName(llvm::StringRef Name) {
  return hasWord(Name, {"push", "emplace", "enqueue", "put", "insert", "append",
                        "add", "post", "offer"});
}

/// A member call that reads or removes a queued task (`front()`, `top()`,
/// `pop()`, a project queue's `take()`, `try_pop()`...).
bool isTakeName(llvm::StringRef Name) {
  return hasWord(Name, {"pop", "front", "top", "back", "take", "dequeue", "get",
                        "steal", "next", "receive", "recv"});
}

/// Member calls on data member \p F of `this` in \p Body (not in lambdas
/// written there, which run elsewhere).
template <typename Fn>
void forEachMemberCallOn(const Stmt *Body, const FieldDecl *F, Fn &&Visit) {
  walkOwnCode(Body, [&](const Stmt *S) {
    const auto *C = llvm::dyn_cast<CXXMemberCallExpr>(S);
    const CXXMethodDecl *M = C ? C->getMethodDecl() : nullptr;
    if (M && M->getIdentifier() &&
        ownDataMember(C->getImplicitObjectArgument()) == F)
      Visit(C);
  });
}

/// The member functions of the class and the lambdas that \p Callable (a
/// thread's callable, written in a member function) runs: a lambda and the
/// member functions it calls on `this`, `&C::f`, `std::bind(&C::f, this)`;
/// two levels of calls.
void workerCode(const Expr *Callable, const CXXRecordDecl *RD,
                llvm::SmallVectorImpl<const Stmt *> &Bodies,
                llvm::SmallPtrSetImpl<const FunctionDecl *> &Fns) {
  const Expr *E = bareExprThroughCopies(Callable);
  if (const auto *Bind = llvm::dyn_cast_or_null<CallExpr>(E))
    if (const FunctionDecl *FD = Bind->getDirectCallee();
        FD && FD->isInStdNamespace() && FD->getIdentifier() &&
        FD->getName() == "bind" && Bind->getNumArgs() >= 1)
      E = bareExpr(Bind->getArg(0));
  llvm::SmallVector<const FunctionDecl *, 4> Work;
  if (const auto *L = llvm::dyn_cast_or_null<LambdaExpr>(E)) {
    Bodies.push_back(L->getBody());
    Fns.insert(L->getCallOperator());
  } else if (const auto *U = llvm::dyn_cast_or_null<UnaryOperator>(E)) {
    if (U->getOpcode() == UO_AddrOf)
      if (const auto *DR = llvm::dyn_cast<DeclRefExpr>(
              U->getSubExpr()->IgnoreParenImpCasts()))
        if (const auto *M = llvm::dyn_cast<CXXMethodDecl>(DR->getDecl()))
          Work.push_back(M);
  }
  // The member functions of the pool that code calls on `this`.
  auto Calls = [&](const Stmt *Body) {
    struct V : RecursiveASTVisitor<V> {
      const CXXRecordDecl *RD;
      llvm::SmallVectorImpl<const FunctionDecl *> &Out;
      V(const CXXRecordDecl *RD,
        llvm::SmallVectorImpl<const FunctionDecl *> &Out)
          : RD(RD), Out(Out) {}
      bool VisitCXXMemberCallExpr(CXXMemberCallExpr *C) {
        const CXXMethodDecl *M = C->getMethodDecl();
        if (M && M->getParent() == RD &&
            llvm::isa<CXXThisExpr>(
                C->getImplicitObjectArgument()->IgnoreParenImpCasts()))
          Out.push_back(M);
        return true;
      }
    } W(RD, Work);
    W.TraverseStmt(const_cast<Stmt *>(Body));
  };
  for (const Stmt *B : llvm::ArrayRef<const Stmt *>(Bodies))
    Calls(B);
  for (unsigned Level = 0; Level < 2 && !Work.empty(); ++Level) {
    llvm::SmallVector<const FunctionDecl *, 4> Next;
    Next.swap(Work);
    for (const FunctionDecl *FD : Next) {
      const FunctionDecl *Def = FD->getDefinition();
      if (!Def || !Def->getBody() || !Fns.insert(Def).second)
        continue;
      Bodies.push_back(Def->getBody());
      Calls(Def->getBody());
    }
  }
}

/// The loops and guards between \p S and \p Body (a member function's), each
/// read as a bound of how many times \p S runs per run of the function:
/// `for (...; i < n; ...)`, `while (v.size() < n)`, `if (v.size() < n)`,
/// `std::min(n, ...)` in their place. False if one of them is something
/// else (a loop we cannot bound).
bool boundsOf(const Stmt *S, const Stmt *Body, ASTContext &Ctx,
              llvm::SmallVectorImpl<const Expr *> &Bounds) {
  auto Read = [&](const Expr *Cond, bool Required) {
    const auto *B = llvm::dyn_cast_or_null<BinaryOperator>(
        Cond ? Cond->IgnoreParenImpCasts() : nullptr);
    if (!B || (B->getOpcode() != BO_LT && B->getOpcode() != BO_NE))
      return !Required;
    const Expr *R = bareExpr(B->getRHS());
    if (const auto *Min = llvm::dyn_cast<CallExpr>(R))
      if (const FunctionDecl *FD = Min->getDirectCallee();
          FD && FD->isInStdNamespace() && FD->getIdentifier() &&
          FD->getName() == "min") {
        for (const Expr *A : Min->arguments())
          Bounds.push_back(A);
        return true;
      }
    Bounds.push_back(R);
    return true;
  };
  const Stmt *Cur = S;
  for (unsigned Steps = 0; Cur && Cur != Body && Steps < 64; ++Steps) {
    DynTypedNodeList Ps = Ctx.getParents(*Cur);
    if (Ps.empty())
      return false;
    const Stmt *P = Ps[0].get<Stmt>();
    if (!P)
      return Cur == Body;
    if (const auto *F = llvm::dyn_cast<ForStmt>(P)) {
      if (F->getBody() == Cur && !Read(F->getCond(), true))
        return false;
    } else if (const auto *W = llvm::dyn_cast<WhileStmt>(P)) {
      if (W->getBody() == Cur && !Read(W->getCond(), true))
        return false;
    } else if (llvm::isa<DoStmt>(P) || llvm::isa<CXXForRangeStmt>(P)) {
      return false;
    } else if (const auto *I = llvm::dyn_cast<IfStmt>(P)) {
      if (I->getThen() == Cur)
        Read(I->getCond(), false);
    }
    Cur = P;
  }
  return true;
}

/// \p Start (a thread's construction) is assigned to a data member that
/// holds one thread: `worker_ = std::thread(...)`.
bool assignedToOneThread(const Expr *Start, ASTContext &Ctx) {
  if (!llvm::isa<CXXConstructExpr>(Start))
    return false;
  const Stmt *Cur = Start;
  for (unsigned Steps = 0; Steps < 8; ++Steps) {
    DynTypedNodeList Ps = Ctx.getParents(*Cur);
    const Stmt *P = Ps.empty() ? nullptr : Ps[0].get<Stmt>();
    if (!P)
      return false;
    if (const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(P))
      return Op->getOperator() == OO_Equal && Op->getNumArgs() == 2 &&
             ownDataMember(Op->getArg(0)) &&
             Op->getArg(0)->getType()->getAsCXXRecordDecl() ==
                 Start->getType()->getAsCXXRecordDecl();
    if (!llvm::isa<MaterializeTemporaryExpr, CXXBindTemporaryExpr,
                   ImplicitCastExpr, ExprWithCleanups, ParenExpr>(P))
      return false;
    Cur = P;
  }
  return false;
}

} // namespace

const Expr *calledObject(const CallExpr *Call) {
  const Expr *Callee = Call->getCallee();
  if (const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(Call))
    if (Op->getOperator() == OO_Call)
      Callee = Op->getArg(0);
  const Expr *B = bareExpr(Callee);
  if (const auto *U = llvm::dyn_cast_or_null<UnaryOperator>(B);
      U && U->getOpcode() == UO_Deref)
    B = bareExpr(U->getSubExpr());
  return B;
}

bool ThreadPoolModel::isTaskType(QualType T) {
  if (T.isNull())
    return false;
  const CXXRecordDecl *RD = T.getNonReferenceType()->getAsCXXRecordDecl();
  if (!RD)
    return false;
  if (isCallableHolder(RD))
    return true;
  if (isSmartPointer(RD)) {
    QualType Inner = firstTypeArgument(T.getNonReferenceType());
    const CXXRecordDecl *In =
        Inner.isNull() ? nullptr : Inner->getAsCXXRecordDecl();
    return In && isCallableHolder(In);
  }
  // A project record holding one (a job with its priority).
  if (RD->isInStdNamespace() || !RD->hasDefinition())
    return false;
  for (const FieldDecl *F : RD->getDefinition()->fields()) {
    const CXXRecordDecl *FR = F->getType()->getAsCXXRecordDecl();
    if (FR && isCallableHolder(FR))
      return true;
  }
  return false;
}

bool ThreadPoolModel::isThreadType(QualType T) const {
  const CXXRecordDecl *RD = recordOf(T);
  if (RD && isSmartPointer(RD))
    RD = recordOf(firstTypeArgument(T.getNonReferenceType()));
  return RD && ThreadTypes.contains(RD);
}

const ThreadPoolClass *ThreadPoolModel::poolOf(const CXXRecordDecl *RD) const {
  if (!RD || !RD->hasDefinition())
    return nullptr;
  RD = RD->getDefinition();
  auto It = Cache.find(RD);
  if (It != Cache.end())
    return It->second.get();
  std::unique_ptr<ThreadPoolClass> P = read(RD);
  return (Cache[RD] = std::move(P)).get();
}

std::unique_ptr<ThreadPoolClass>
ThreadPoolModel::read(const CXXRecordDecl *RD) const {
  if (RD->isInStdNamespace() || RD->isDependentContext() || RD->isLambda())
    return nullptr;
  ASTContext &Ctx = RD->getASTContext();
  if (Ctx.getSourceManager().isInSystemHeader(RD->getLocation()))
    return nullptr;
  // The queue: one data member that is a container of tasks.
  const FieldDecl *Queue = nullptr;
  for (const FieldDecl *F : RD->fields()) {
    QualType Elem = firstTypeArgument(F->getType());
    if (Elem.isNull() || isTaskType(F->getType()))
      continue;
    if (isTaskType(Elem)) {
      if (Queue)
        return nullptr;
      Queue = F;
    }
  }
  if (!Queue)
    return nullptr;
  auto P = std::make_unique<ThreadPoolClass>();
  P->Class = RD;
  P->Queue = Queue;
  llvm::SmallPtrSet<const FunctionDecl *, 8> WorkerFns;
  llvm::SmallVector<const CXXMethodDecl *, 8> Methods;
  for (const CXXMethodDecl *M : RD->methods())
    if (const FunctionDecl *Def = M->getDefinition())
      if (Def->getBody())
        Methods.push_back(llvm::cast<CXXMethodDecl>(Def));
  for (const Decl *D : RD->decls())
    if (const auto *T = llvm::dyn_cast<FunctionTemplateDecl>(D))
      for (const FunctionDecl *Spec : T->specializations())
        if (const FunctionDecl *Def = Spec->getDefinition())
          if (Def->getBody())
            Methods.push_back(llvm::cast<CXXMethodDecl>(Def));
  // Worker starts: a thread constructed (or emplaced into a container of
  // threads) in a member function, running code that takes from the queue.
  for (const CXXMethodDecl *M : Methods) {
    struct V : RecursiveASTVisitor<V> {
      const ThreadPoolModel &Model;
      llvm::SmallVector<std::pair<const Expr *, const Expr *>, 2> Starts;
      explicit V(const ThreadPoolModel &Model) : Model(Model) {}
      bool VisitCXXConstructExpr(CXXConstructExpr *E) {
        if (E->getNumArgs() >= 1 &&
            !E->getConstructor()->isCopyOrMoveConstructor() &&
            Model.isThreadType(E->getType()))
          Starts.push_back({E, E->getArg(0)});
        return true;
      }
      bool VisitCXXMemberCallExpr(CXXMemberCallExpr *C) {
        const CXXMethodDecl *MD = C->getMethodDecl();
        if (!MD || !MD->getIdentifier() || C->getNumArgs() < 1 ||
            !MD->getName().starts_with("emplace"))
          return true;
        QualType Elem = firstTypeArgument(
            C->getImplicitObjectArgument()->getType().getNonReferenceType());
        if (!Elem.isNull() && Model.isThreadType(Elem) &&
            !Model.isThreadType(C->getArg(0)->getType()))
          Starts.push_back({C, C->getArg(0)});
        return true;
      }
      bool VisitCallExpr(CallExpr *C) {
        if (isStdFactory(C->getDirectCallee()) && C->getNumArgs() >= 1 &&
            Model.isThreadType(C->getType()))
          Starts.push_back({C, C->getArg(0)});
        return true;
      }
    } W(*this);
    W.TraverseStmt(const_cast<Stmt *>(M->getBody()));
    if (const auto *Ctor = llvm::dyn_cast<CXXConstructorDecl>(M))
      for (const CXXCtorInitializer *I : Ctor->inits())
        if (I->isWritten())
          W.TraverseStmt(I->getInit());
    for (auto [Start, Callable] : W.Starts) {
      llvm::SmallVector<const Stmt *, 4> Bodies;
      llvm::SmallPtrSet<const FunctionDecl *, 4> Fns;
      workerCode(Callable, RD, Bodies, Fns);
      bool Takes = false;
      for (const Stmt *B : Bodies)
        forEachMemberCallOn(B, Queue, [&](const CXXMemberCallExpr *C) {
          Takes |= isTakeName(C->getMethodDecl()->getName());
        });
      if (!Takes)
        continue;
      WorkerFns.insert(Fns.begin(), Fns.end());
      ThreadPoolClass::WorkerStart S;
      S.Start = Start;
      S.In = M;
      S.Unbounded = !boundsOf(Start, M->getBody(), Ctx, S.Bounds);
      // A start outside a constructor, with nothing bounding it, may run
      // each time its function does: one thread at a time only when it is
      // assigned to a thread member (which holds one).
      if (S.Bounds.empty() && !llvm::isa<CXXConstructorDecl>(M) &&
          !assignedToOneThread(Start, Ctx))
        S.Unbounded = true;
      P->Workers.push_back(S);
    }
  }
  if (P->Workers.empty())
    return nullptr;
  // Submits: member functions that push what they are handed on the queue
  // and do not run it themselves; helpers: other code taking from it.
  for (const CXXMethodDecl *M : Methods) {
    if (WorkerFns.count(M) || llvm::isa<CXXConstructorDecl>(M) ||
        llvm::isa<CXXDestructorDecl>(M))
      continue;
    bool Pushes = false, Takes = false;
    forEachMemberCallOn(M->getBody(), Queue, [&](const CXXMemberCallExpr *C) {
      llvm::StringRef N = C->getMethodDecl()->getName();
      if (isPushName(N))
        Pushes = true;
      else if (isTakeName(N) && N != "front" && N != "top" && N != "back")
        Takes = true;
    });
    if (Takes)
      P->Helpers.insert(M);
    if (!Pushes || Takes)
      continue;
    // The task: the first parameter that is a callable.
    std::optional<unsigned> Task;
    for (unsigned I = 0; I < M->getNumParams() && !Task; ++I) {
      QualType T = M->getParamDecl(I)->getType().getNonReferenceType();
      const CXXRecordDecl *PR = T->getAsCXXRecordDecl();
      if (isTaskType(T) || (PR && PR->isLambda()) ||
          (PR && PR->hasDefinition() && !PR->isInStdNamespace() &&
           llvm::any_of(PR->methods(), [](const CXXMethodDecl *X) {
             return X->getOverloadedOperator() == OO_Call;
           })))
        Task = I;
    }
    if (!Task)
      continue;
    // Runs it at once (on the caller's thread) on some path: not only queued.
    const ParmVarDecl *Param = M->getParamDecl(*Task);
    bool Inline = false;
    walkOwnCode(M->getBody(), [&](const Stmt *S) {
      if (const auto *C = llvm::dyn_cast<CallExpr>(S))
        if (const auto *DR =
                llvm::dyn_cast_or_null<DeclRefExpr>(calledObject(C)))
          Inline |= DR->getDecl() == Param;
    });
    if (Inline)
      continue;
    P->Submits[M] = *Task;
  }
  if (P->Submits.empty())
    return nullptr;
  P->WorkerCode.insert(WorkerFns.begin(), WorkerFns.end());
  return P;
}

const ThreadPoolClass *ThreadPoolModel::submitOf(const CallExpr *Call,
                                                 const Expr **Task) const {
  const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call);
  const CXXMethodDecl *M = MC ? MC->getMethodDecl() : nullptr;
  if (!M || M->getParent()->isInStdNamespace())
    return nullptr;
  const ThreadPoolClass *P = poolOf(M->getParent());
  if (!P)
    return nullptr;
  const FunctionDecl *Def = M->getDefinition();
  auto It = P->Submits.find(Def ? Def : M);
  if (It == P->Submits.end() || It->second >= Call->getNumArgs())
    return nullptr;
  if (Task)
    *Task = Call->getArg(It->second);
  return P;
}

} // namespace clang::tidy::threadleak
