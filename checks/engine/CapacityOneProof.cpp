//===--- CapacityOneProof.cpp - when capacity 1 is provably right --------===//

#include "engine/CapacityOneProof.h"
#include "engine/BodyResolver.h"
#include "engine/ForeverAnalysis.h"
#include "engine/StmtWalk.h"
#include "clang/AST/DeclTemplate.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace clang::tidy::threadleak {

namespace {

/// How many statements one proof may visit: over it, no fix-it.
constexpr unsigned MaxProofNodes = 20000;

/// The words of a standard-library name that make it one of the library's
/// synchronisation facilities (threads, mutexes and locks, condition
/// variables, futures and promises, atomics, latches, barriers, semaphores,
/// stop tokens, call_once), libstdc++'s and libc++'s internal bases
/// included (__atomic_base, __basic_future, __condvar, __gthread_...).
bool isStdSyncName(llvm::StringRef Qualified) {
  static const char *const Words[] = {
      "mutex",   "lock",    "condition", "condvar", "thread",
      "jthread", "gthread", "future",    "promise", "packaged",
      "async",   "atomic",  "latch",     "barrier", "semaphore",
      "stop",    "once",    "notify",    "wait",    "join",
      "detach",  "fence",   "signal",    "pthread", "yield"};
  // Split into words at "::", "_" and lower-to-upper case changes.
  llvm::SmallVector<std::string, 8> Split;
  std::string Cur;
  char Prev = 0;
  for (char C : Qualified) {
    bool Sep = C == ':' || C == '_' || C == '<' || C == '>' || C == ' ';
    bool Upper = C >= 'A' && C <= 'Z';
    if (Sep || (Upper && Prev >= 'a' && Prev <= 'z')) {
      if (!Cur.empty())
        Split.push_back(Cur);
      Cur.clear();
    }
    if (!Sep)
      Cur += static_cast<char>(Upper ? C - 'A' + 'a' : C);
    Prev = C;
  }
  if (!Cur.empty())
    Split.push_back(Cur);
  for (const std::string &W : Split)
    for (const char *S : Words)
      if (W == S)
        return true;
  return false;
}

/// \p D is declared in namespace std or anywhere inside it (a nested
/// namespace, a class of the library).
bool isInStd(const Decl *D) {
  for (const DeclContext *DC = D ? D->getDeclContext() : nullptr; DC;
       DC = DC->getParent())
    if (DC->isStdNamespace())
      return true;
  return false;
}

void coroutineMachinery(const FunctionDecl *F,
                        llvm::SmallPtrSetImpl<const Stmt *> &Out);

/// The proof behind the capacity-1 fix-it (see the check's docs, "Fix-it").
class CapacityOneProof {
public:
  CapacityOneProof(ChannelFlow &Flow, const ChannelModel &Model,
                   ASTContext &Ctx, unsigned MaxDepth)
      : Flow(Flow), Model(Model), Ctx(Ctx), MaxDepth(MaxDepth) {}

  /// Everything that names the channel \p V (a local of \p Owner) is code
  /// we read, and one run of \p Owner performs exactly one send on it: the
  /// send of \p Use, not in a loop, in a context started once.
  bool singleSend(const FunctionDecl *Owner, const VarDecl *V,
                  const SpawnedContext &Context, const BlockingChannelUse &Use);

  /// The start of the context is given no callable but the context's own
  /// (a completion handler, such as co_spawn's, runs when it ends).
  /// After singleSend(), which names the channel.
  bool noCompletionHandler(const SpawnedContext &Context);

  /// After the send of \p Use, the context that performs it does nothing
  /// that synchronises with another context before it ends.
  bool quietAfterSend(const SpawnedContext &Context,
                      const BlockingChannelUse &Use);

private:
  // singleSend's walk.
  struct Item {
    const Stmt *S;
    bool Repeated;
  };
  bool isName(const Expr *E) const {
    const auto *DRE = llvm::dyn_cast_or_null<DeclRefExpr>(stripChannelExpr(E));
    return DRE && Names.contains(DRE->getDecl());
  }
  void account(const Expr *E) {
    if (const auto *DRE =
            llvm::dyn_cast_or_null<DeclRefExpr>(stripChannelExpr(E)))
      Accounted.insert(DRE);
  }
  void walkUses(const Stmt *Body, bool Repeated, unsigned Depth);
  /// \p LE is written as an argument of the context's start.
  bool isArgumentOfStart(const LambdaExpr *LE) const {
    llvm::ArrayRef<const Expr *> Args;
    if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(Context->Start))
      Args = llvm::ArrayRef(CE->getArgs(), CE->getNumArgs());
    else if (const auto *Call = llvm::dyn_cast<CallExpr>(Context->Start))
      Args = llvm::ArrayRef(Call->getArgs(), Call->getNumArgs());
    return llvm::any_of(
        Args, [&](const Expr *A) { return bareExprThroughCopies(A) == LE; });
  }
  void handOn(const CallExpr *Call, bool Repeated, unsigned Depth);
  void handToContext(llvm::ArrayRef<const Expr *> Args, bool Repeated,
                     unsigned Depth);

  // quietAfterSend's checks.
  bool quietAfter(const FunctionDecl *F, const Stmt *Site, unsigned Depth);
  bool quietNode(const Stmt *S, unsigned Depth);
  bool quietBody(const FunctionDecl *F, unsigned Depth);
  bool quietStdCall(const CallExpr *Call);
  bool quietType(QualType T, unsigned Depth);
  bool quietRecord(const CXXRecordDecl *RD, unsigned Depth);
  bool overBudget() { return ++Visited > MaxProofNodes; }

  ChannelFlow &Flow;
  const ChannelModel &Model;
  ASTContext &Ctx;
  unsigned MaxDepth;
  unsigned Visited = 0;
  bool Failed = false;

  const SpawnedContext *Context = nullptr;
  const VarDecl *Channel = nullptr;
  /// The channel's names: the variable, the parameters and init-captures
  /// it is handed to.
  llvm::SmallPtrSet<const ValueDecl *, 8> Names;
  llvm::SmallVector<const DeclRefExpr *, 16> Mentions;
  llvm::SmallPtrSet<const DeclRefExpr *, 16> Accounted;
  struct Send {
    const CallExpr *Call;
    bool Repeated;
  };
  llvm::SmallVector<Send, 2> Sends;
  llvm::SmallPtrSet<const FunctionDecl *, 8> Active;
  llvm::DenseMap<const CXXRecordDecl *, bool> RecordCache;
};

void CapacityOneProof::handToContext(llvm::ArrayRef<const Expr *> Args,
                                     bool Repeated, unsigned Depth) {
  // The spawn the finding is about, given the channel as an argument of
  // its callable (`std::thread t(deliver, std::ref(ch))`): its parameters
  // bound to the channel are names of it.
  unsigned Bound = 0, Handed = 0;
  for (const auto &[P, O] : Context->Bindings)
    if (O.Decl == Channel && Names.insert(P).second)
      ++Bound;
  for (const Expr *A : Args)
    Handed += isName(A);
  if (!Bound || Bound != Handed)
    return;
  for (const Expr *A : Args)
    if (isName(A))
      account(A);
  const FunctionDecl *Body = Context->Body;
  // A lambda written here is walked where it is written.
  for (const Expr *A : Args)
    if (const auto *LE = llvm::dyn_cast<LambdaExpr>(bareExprThroughCopies(A)))
      if (LE->getCallOperator() == Body)
        return;
  if (Active.contains(Body) || Depth >= MaxDepth) {
    Failed = true;
    return;
  }
  Active.insert(Body);
  walkUses(Body->getBody(), Repeated, Depth + 1);
  Active.erase(Body);
}

void CapacityOneProof::handOn(const CallExpr *Call, bool Repeated,
                              unsigned Depth) {
  // The channel handed to a function whose body we read: its parameter is
  // another name of the channel, and its body runs once per call.
  const FunctionDecl *Callee = Call->getDirectCallee();
  if (!Callee || mayDispatchElsewhere(Call))
    return;
  unsigned Offset = 0;
  if (llvm::isa<CXXOperatorCallExpr>(Call) && llvm::isa<CXXMethodDecl>(Callee))
    Offset = 1;
  const FunctionDecl *Def = analysableDefinition(Callee, Ctx);
  for (unsigned I = Offset; I < Call->getNumArgs(); ++I) {
    if (!isName(Call->getArg(I)))
      continue;
    if (!Def || I - Offset >= Def->getNumParams() || Def->isVariadic())
      return;
    const ParmVarDecl *P = Def->getParamDecl(I - Offset);
    QualType T = P->getType();
    // A reference, a pointer or a smart pointer: the same channel.
    if (!T->isReferenceType() && !T->isPointerType() &&
        !isSmartPointer(recordOf(T)))
      return;
    if (Active.contains(Def) || Depth >= MaxDepth) {
      Failed = true;
      return;
    }
    Names.insert(P);
    account(Call->getArg(I));
    Active.insert(Def);
    walkUses(Def->getBody(), Repeated, Depth + 1);
    Active.erase(Def);
  }
}

void CapacityOneProof::walkUses(const Stmt *Body, bool Repeated,
                                unsigned Depth) {
  llvm::SmallVector<Item, 64> Work{{Body, Repeated}};
  auto Push = [&](const Stmt *S, bool Rep) {
    if (S)
      Work.push_back({S, Rep});
  };
  while (!Work.empty() && !Failed) {
    auto [S, Rep] = Work.pop_back_val();
    if (overBudget()) {
      Failed = true;
      return;
    }
    // A backward goto repeats what it jumps over, with no loop statement
    // to say so; code with errors says nothing for sure.
    const auto *E = llvm::dyn_cast<Expr>(S);
    if (llvm::isa<GotoStmt, IndirectGotoStmt>(S) ||
        (E && E->containsErrors())) {
      Failed = true;
      return;
    }
    if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(S)) {
      if (Names.contains(DRE->getDecl()))
        Mentions.push_back(DRE);
      continue;
    }
    if (const auto *CB = llvm::dyn_cast<CoroutineBodyStmt>(S)) {
      Push(CB->getBody(), Rep);
      continue;
    }
    // A co_await's operand: the awaiter calls built from it repeat it.
    if (const auto *Susp = llvm::dyn_cast<CoroutineSuspendExpr>(S)) {
      if (const auto *A = llvm::dyn_cast<CoawaitExpr>(Susp))
        Push(A->getOperand(), Rep);
      else if (const auto *Y = llvm::dyn_cast<CoyieldExpr>(Susp))
        Push(Y->getOperand(), Rep);
      else
        Failed = true; // a dependent co_await: template code
      continue;
    }
    if (const auto *Ret = llvm::dyn_cast<CoreturnStmt>(S)) {
      Push(Ret->getOperand(), Rep);
      continue;
    }
    if (const auto *LE = llvm::dyn_cast<LambdaExpr>(S)) {
      bool Captures = false;
      auto Init = LE->capture_init_begin();
      for (auto Cap = LE->capture_begin(); Cap != LE->capture_end();
           ++Cap, ++Init) {
        if (!*Init)
          continue;
        if (Cap->capturesVariable() && isName(*Init)) {
          Captures = true;
          account(*Init);
          if (const auto *Var = llvm::dyn_cast<VarDecl>(Cap->getCapturedVar());
              Var && Var->isInitCapture())
            Names.insert(Var);
          Mentions.push_back(llvm::cast<DeclRefExpr>(stripChannelExpr(*Init)));
          continue;
        }
        Push(*Init, Rep);
      }
      // The context's own lambda runs once per start; any other lambda
      // that can reach the channel may run any number of times.
      bool Own =
          LE->getCallOperator() == Context->Body && isArgumentOfStart(LE);
      if (Own) {
        for (const auto &[P, O] : Context->Bindings)
          if (O.Decl == Channel)
            Names.insert(P);
      }
      if (Captures || Own)
        Push(LE->getBody(), Own ? Rep : true);
      continue;
    }
    if (const auto *For = llvm::dyn_cast<CXXForRangeStmt>(S)) {
      if (ChannelOp Op = Model.rangeReceive(For); Op && isName(Op.Channel)) {
        account(Op.Channel);
        Mentions.push_back(
            llvm::cast<DeclRefExpr>(stripChannelExpr(Op.Channel)));
      } else {
        Push(For->getRangeInit(), Rep);
      }
      Push(For->getBody(), true);
      Push(For->getInit(), Rep);
      continue;
    }
    if (llvm::isa<WhileStmt, ForStmt, DoStmt>(S)) {
      for (const Stmt *C : S->children())
        Push(C, true);
      continue;
    }
    if (const auto *Call = llvm::dyn_cast<CallExpr>(S)) {
      if (ChannelOp Op = Model.classify(Call); Op && isName(Op.Channel)) {
        account(Op.Channel);
        if (Op.Kind == ChannelOpKind::Send ||
            Op.Kind == ChannelOpKind::TrySend) {
          if (Op.Kind == ChannelOpKind::TrySend)
            Failed = true; // it would succeed into the buffer
          Sends.push_back({Call, Rep});
        }
      } else if (S == Context->Start) {
        handToContext(llvm::ArrayRef(Call->getArgs(), Call->getNumArgs()), Rep,
                      Depth);
      } else {
        handOn(Call, Rep, Depth);
      }
    } else if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(S)) {
      if (S == Context->Start)
        handToContext(llvm::ArrayRef(CE->getArgs(), CE->getNumArgs()), Rep,
                      Depth);
    }
    // Children in reverse, so that they are visited left to right.
    size_t First = Work.size();
    for (const Stmt *C : S->children())
      Push(C, Rep);
    std::reverse(Work.begin() + First, Work.end());
  }
}

bool CapacityOneProof::singleSend(const FunctionDecl *Owner, const VarDecl *V,
                                  const SpawnedContext &Ctxt,
                                  const BlockingChannelUse &Use) {
  Context = &Ctxt;
  Channel = V;
  Names.insert(V);
  Active.insert(Owner);
  walkUses(Owner->getBody(), false, 0);
  if (Failed)
    return false;
  for (const DeclRefExpr *M : Mentions)
    if (!Accounted.contains(M))
      return false; // handed to code we do not read, aliased, returned
  return Sends.size() == 1 && Sends.front().Call == Use.Op.Call &&
         !Sends.front().Repeated;
}

bool CapacityOneProof::noCompletionHandler(const SpawnedContext &Ctxt) {
  llvm::ArrayRef<const Expr *> Args;
  if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(Ctxt.Start))
    Args = llvm::ArrayRef(CE->getArgs(), CE->getNumArgs());
  else if (const auto *Call = llvm::dyn_cast<CallExpr>(Ctxt.Start))
    Args = llvm::ArrayRef(Call->getArgs(), Call->getNumArgs());
  for (const Expr *A : Args) {
    if (llvm::isa<CXXDefaultArgExpr>(A) || isName(A))
      continue;
    if (const auto *LE = llvm::dyn_cast<LambdaExpr>(bareExprThroughCopies(A)))
      if (LE->getCallOperator() == Ctxt.Body)
        continue;
    if (ResolvedBody B = resolveCallable(A); B && B.Function == Ctxt.Body)
      continue;
    QualType T = A->getType();
    if (T->isFunctionPointerType() || T->isMemberFunctionPointerType() ||
        T->isFunctionType())
      return false;
    if (const CXXRecordDecl *RD = recordOf(T); RD && RD->hasDefinition()) {
      if (RD->isLambda())
        return false;
      for (const CXXMethodDecl *M : RD->getDefinition()->methods())
        if (M->getOverloadedOperator() == OO_Call)
          return false;
    }
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Nothing synchronises after the send
//===----------------------------------------------------------------------===//

bool CapacityOneProof::quietStdCall(const CallExpr *Call) {
  const FunctionDecl *F = Call->getDirectCallee();
  std::string Name = plainQualifiedName(F);
  if (isStdSyncName(Name))
    return false;
  if (const auto *M = llvm::dyn_cast<CXXMethodDecl>(F))
    if (!quietRecord(M->getParent(), 0))
      return false;
  // Arguments: a callable runs code we do not follow (std::function's
  // operator(), std::invoke); a synchronisation object is operated on.
  for (const Expr *A : Call->arguments()) {
    QualType T = A->getType();
    if (T->isFunctionPointerType() || T->isMemberFunctionPointerType() ||
        T->isFunctionType())
      return false;
    if (const CXXRecordDecl *RD = recordOf(T)) {
      if (RD->hasDefinition() && RD->isLambda())
        return false;
      if (!quietRecord(RD, 0))
        return false;
      if (RD->hasDefinition())
        for (const CXXMethodDecl *M : RD->methods())
          if (M->getOverloadedOperator() == OO_Call)
            return false;
    }
  }
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call))
    if (const CXXRecordDecl *RD = MC->getRecordDecl())
      if (RD->hasDefinition())
        for (const CXXMethodDecl *M : RD->methods())
          if (M->getOverloadedOperator() == OO_Call)
            return false;
  if (const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(Call))
    if (Op->getOperator() == OO_Call)
      return false;
  return true;
}

bool CapacityOneProof::quietRecord(const CXXRecordDecl *RD, unsigned Depth) {
  if (!RD)
    return false;
  if (isInStd(RD)) {
    if (isStdSyncName(plainQualifiedName(RD)))
      return false;
    // What a container or a smart pointer holds is destroyed with it.
    if (const auto *Spec = llvm::dyn_cast<ClassTemplateSpecializationDecl>(RD))
      for (const TemplateArgument &A : Spec->getTemplateArgs().asArray())
        if (A.getKind() == TemplateArgument::Type &&
            !quietType(A.getAsType(), Depth))
          return false;
    return true;
  }
  if (!RD->hasDefinition())
    return false;
  RD = RD->getDefinition();
  auto [It, New] = RecordCache.try_emplace(RD, true);
  if (!New)
    return It->second; // also a class that contains itself: decided above
  bool Quiet = Depth < MaxDepth;
  // Its own constructors and destructor, its bases and members.
  for (const CXXBaseSpecifier &B : RD->bases())
    Quiet = Quiet && quietType(B.getType(), Depth + 1);
  for (const FieldDecl *F : RD->fields())
    Quiet = Quiet && quietType(F->getType(), Depth + 1);
  for (const Decl *D : RD->decls()) {
    if (!Quiet)
      break;
    const auto *M = llvm::dyn_cast<CXXMethodDecl>(D);
    if (const auto *T = llvm::dyn_cast<FunctionTemplateDecl>(D))
      M = llvm::dyn_cast<CXXMethodDecl>(T->getTemplatedDecl());
    if (!M || !(llvm::isa<CXXConstructorDecl, CXXDestructorDecl>(M)) ||
        !M->isUserProvided())
      continue;
    const FunctionDecl *Def = analysableDefinition(M, Ctx);
    Quiet = Def && quietBody(Def, Depth + 1);
  }
  RecordCache[RD] = Quiet;
  return Quiet;
}

bool CapacityOneProof::quietType(QualType T, unsigned Depth) {
  if (T.isNull())
    return false;
  // A reference's or a pointer's end does nothing to what it refers to.
  if (T->isReferenceType() || T->isPointerType() || T->isMemberPointerType())
    return true;
  while (const ArrayType *A = T->getAsArrayTypeUnsafe())
    T = A->getElementType();
  if (T->isScalarType() || T->isVoidType())
    return true;
  const CXXRecordDecl *RD = T->getAsCXXRecordDecl();
  if (!RD)
    return !T->isDependentType();
  return quietRecord(RD, Depth);
}

bool CapacityOneProof::quietBody(const FunctionDecl *F, unsigned Depth) {
  if (!F || !F->getBody() || Active.contains(F) || Depth > MaxDepth)
    return false;
  Active.insert(F);
  llvm::SmallPtrSet<const Stmt *, 32> Machinery;
  coroutineMachinery(F, Machinery);
  bool Quiet = true;
  auto Check = [&](const Stmt *Root) {
    walkOwnCode(Root, [&](const Stmt *S) {
      if (Quiet && !Machinery.contains(S) &&
          (overBudget() || !quietNode(S, Depth)))
        Quiet = false;
    });
  };
  Check(F->getBody());
  if (const auto *Ctor = llvm::dyn_cast<CXXConstructorDecl>(F))
    for (const CXXCtorInitializer *Init : Ctor->inits())
      if (Init->getInit())
        Check(Init->getInit());
  Active.erase(F);
  return Quiet;
}

bool CapacityOneProof::quietNode(const Stmt *S, unsigned Depth) {
  if (const auto *E = llvm::dyn_cast<Expr>(S); E && E->containsErrors())
    return false;
  if (llvm::isa<GotoStmt, IndirectGotoStmt>(S))
    return false;
  if (const auto *DS = llvm::dyn_cast<DeclStmt>(S)) {
    // A local of a function the sender calls is destroyed there.
    // (A static local's first initialisation takes a lock.)
    for (const Decl *D : DS->decls())
      if (const auto *V = llvm::dyn_cast<VarDecl>(D))
        if (V->isStaticLocal() || !quietType(V->getType(), Depth))
          return false;
    return true;
  }
  if (const auto *BT = llvm::dyn_cast<CXXBindTemporaryExpr>(S))
    return quietType(BT->getType(), Depth);
  if (const auto *Del = llvm::dyn_cast<CXXDeleteExpr>(S))
    return quietType(Del->getDestroyedType(), Depth);
  if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(S)) {
    const CXXConstructorDecl *Ctor = CE->getConstructor();
    if (Ctor->isTrivial())
      return true;
    return quietRecord(Ctor->getParent(), Depth);
  }
  const auto *Call = llvm::dyn_cast<CallExpr>(S);
  if (!Call)
    return true;
  if (Model.classify(Call))
    return false;
  const FunctionDecl *Callee = Call->getDirectCallee();
  if (!Callee)
    return false; // through a pointer or a std::function we do not follow
  if (Callee->getBuiltinID()) {
    llvm::StringRef N = Callee->getName();
    return !(N.contains("atomic") || N.contains("sync") || N.contains("fence"));
  }
  if (isInStd(Callee))
    return quietStdCall(Call);
  if (mayDispatchElsewhere(Call))
    return false;
  const FunctionDecl *Def = analysableDefinition(Callee, Ctx);
  if (!Def)
    return false; // code we do not read
  return quietBody(Def, Depth + 1);
}

/// The implicit parts of the coroutine suspensions and returns in \p F:
/// the awaiter's await_ready/await_suspend/await_resume, the promise's
/// return_value. Their operands are code of their own.
void coroutineMachinery(const FunctionDecl *F,
                        llvm::SmallPtrSetImpl<const Stmt *> &Out) {
  walkOwnCode(F->getBody(), [&](const Stmt *S) {
    llvm::SmallVector<const Stmt *, 4> Roots;
    const Stmt *Keep = nullptr;
    if (const auto *Susp = llvm::dyn_cast<CoroutineSuspendExpr>(S)) {
      Roots = {Susp->getCommonExpr(), Susp->getReadyExpr(),
               Susp->getSuspendExpr(), Susp->getResumeExpr()};
      if (const auto *A = llvm::dyn_cast<CoawaitExpr>(Susp))
        Keep = A->getOperand();
      else if (const auto *Y = llvm::dyn_cast<CoyieldExpr>(Susp))
        Keep = Y->getOperand();
    } else if (const auto *Ret = llvm::dyn_cast<CoreturnStmt>(S)) {
      Roots = {Ret->getPromiseCall()};
      Keep = Ret->getOperand();
    }
    llvm::SmallPtrSet<const Stmt *, 16> Kept;
    if (Keep)
      walkOwnCode(Keep, [&](const Stmt *K) { Kept.insert(K); });
    for (const Stmt *R : Roots)
      walkOwnCode(R, [&](const Stmt *X) {
        if (!Kept.contains(X))
          Out.insert(X);
      });
  });
}

/// The expressions around \p Site in \p F that only carry its result on:
/// implicit nodes, parentheses, the co_await of an asynchronous operation,
/// a cast to void. They, and the destruction of their temporaries, are part
/// of the operation.
void carriersOf(const FunctionDecl *F, const Stmt *Site,
                llvm::SmallPtrSetImpl<const Stmt *> &Out) {
  llvm::DenseMap<const Stmt *, const Stmt *> Parent;
  llvm::SmallVector<const Stmt *, 64> Work{F->getBody()};
  bool Found = false;
  while (!Work.empty() && !Found) {
    const Stmt *S = Work.pop_back_val();
    if (llvm::isa<LambdaExpr>(S))
      continue;
    for (const Stmt *C : S->children())
      if (C) {
        Parent.try_emplace(C, S);
        Found |= C == Site;
        Work.push_back(C);
      }
  }
  for (const Stmt *Cur = Site;;) {
    const Stmt *P = Parent.lookup(Cur);
    const auto *Cast = llvm::dyn_cast_or_null<ExplicitCastExpr>(P);
    if (!P ||
        !(llvm::isa<CXXBindTemporaryExpr, MaterializeTemporaryExpr,
                    ExprWithCleanups, ImplicitCastExpr, ParenExpr, CoawaitExpr>(
              P) ||
          (Cast && Cast->getType()->isVoidType())))
      return;
    if (const auto *A = llvm::dyn_cast<CoawaitExpr>(P);
        A && A->getOperand() != Cur)
      return;
    Out.insert(P);
    Cur = P;
  }
}

/// \p Inner is \p Root or somewhere under it (lambda bodies excepted).
bool contains(const Stmt *Root, const Stmt *Inner) {
  bool Found = false;
  walkOwnCode(Root, [&](const Stmt *S) { Found |= S == Inner; });
  return Found;
}

bool CapacityOneProof::quietAfter(const FunctionDecl *F, const Stmt *Site,
                                  unsigned Depth) {
  const CFG *G = F ? Flow.cfgOf(F) : nullptr;
  if (!G)
    return false;
  llvm::SmallPtrSet<const Stmt *, 32> Machinery;
  coroutineMachinery(F, Machinery);
  carriersOf(F, Site, Machinery);
  // A handler of a try around the site may run after it: the CFG has no
  // edges from the calls in a try block to its handlers.
  bool Quiet = true;
  walkOwnCode(F->getBody(), [&](const Stmt *S) {
    const auto *Try = llvm::dyn_cast<CXXTryStmt>(S);
    if (!Quiet || !Try || !contains(Try->getTryBlock(), Site))
      return;
    for (unsigned H = 0; H < Try->getNumHandlers(); ++H)
      walkOwnCode(Try->getHandler(H), [&](const Stmt *X) {
        if (Quiet && !Machinery.contains(X) &&
            (overBudget() || !quietNode(X, Depth)))
          Quiet = false;
      });
  });
  if (!Quiet)
    return false;
  const CFGBlock *Start = nullptr;
  unsigned Index = 0;
  for (const CFGBlock *B : *G) {
    unsigned I = 0;
    for (const CFGElement &E : *B) {
      ++I;
      if (auto S = E.getAs<CFGStmt>(); S && S->getStmt() == Site) {
        Start = B;
        Index = I;
      }
    }
    if (Start)
      break;
  }
  if (!Start)
    return false;
  llvm::SmallPtrSet<const CFGBlock *, 32> Seen;
  llvm::SmallVector<std::pair<const CFGBlock *, unsigned>, 32> Work{
      {Start, Index}};
  while (!Work.empty()) {
    auto [B, First] = Work.pop_back_val();
    unsigned I = 0;
    for (const CFGElement &E : *B) {
      if (I++ < First)
        continue;
      if (overBudget())
        return false;
      if (auto S = E.getAs<CFGStmt>()) {
        if (!Machinery.contains(S->getStmt()) &&
            !quietNode(S->getStmt(), Depth))
          return false;
      } else if (auto D = E.getAs<CFGAutomaticObjDtor>()) {
        if (!quietType(D->getVarDecl()->getType(), Depth))
          return false;
      } else if (auto T = E.getAs<CFGTemporaryDtor>()) {
        if (!Machinery.contains(T->getBindTemporaryExpr()) &&
            !quietType(T->getBindTemporaryExpr()->getType(), Depth))
          return false;
      } else if (auto Del = E.getAs<CFGDeleteDtor>()) {
        if (!quietRecord(Del->getCXXRecordDecl(), Depth))
          return false;
      } else if (!E.getAs<CFGLifetimeEnds>() && !E.getAs<CFGScopeBegin>() &&
                 !E.getAs<CFGScopeEnd>()) {
        return false; // an element we do not classify
      }
    }
    for (const CFGBlock *Succ : B->succs())
      if (Succ && Seen.insert(Succ).second)
        Work.push_back({Succ, 0});
  }
  return true;
}

bool CapacityOneProof::quietAfterSend(const SpawnedContext &Ctxt,
                                      const BlockingChannelUse &Use) {
  // The send's function, then each caller on the way back up to the
  // context's body: what runs after the call that led to the send.
  llvm::SmallVector<std::pair<const FunctionDecl *, const Stmt *>, 4> Levels;
  const FunctionDecl *F = Ctxt.Body;
  for (const CallExpr *Call : Use.CallChain) {
    Levels.push_back({F, Call});
    F = analysableDefinition(Call->getDirectCallee(), Ctx);
    if (!F)
      return false;
  }
  Levels.push_back({F, Use.Op.Call});
  Active.clear();
  for (const auto &[Fn, Site] : llvm::reverse(Levels))
    if (!quietAfter(Fn, Site, 0))
      return false;
  return true;
}

} // namespace

bool capacityOneProven(ChannelFlow &Flow, const ChannelModel &Model,
                       ASTContext &Ctx, unsigned MaxDepth,
                       const FunctionDecl *Owner, const VarDecl *V,
                       const SpawnedContext &Context,
                       const BlockingChannelUse &Use) {
  CapacityOneProof Proof(Flow, Model, Ctx, MaxDepth);
  return Proof.singleSend(Owner, V, Context, Use) &&
         Proof.noCompletionHandler(Context) &&
         Proof.quietAfterSend(Context, Use);
}

} // namespace clang::tidy::threadleak
