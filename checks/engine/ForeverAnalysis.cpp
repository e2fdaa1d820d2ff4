//===--- ForeverAnalysis.cpp ----------------------------------------------===//

#include "engine/ForeverAnalysis.h"
#include "engine/BodyResolver.h"
#include "engine/StmtWalk.h"
#include "model/WaitModel.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/STLExtras.h"
#include <functional>

namespace clang::tidy::threadleak {

struct ForeverAnalysis::FunctionInfo {
  std::unique_ptr<CFG> Graph;
  bool GraphBuilt = false;
  /// Try blocks of the function, for "an exception is the intended exit".
  llvm::SmallVector<SourceRange, 2> TryBlocks;
  bool TryBlocksCollected = false;
  /// Variables the function (or a lambda in it) may change.
  llvm::DenseSet<const VarDecl *> Written;
  bool WrittenCollected = false;
  /// Locals used other than as the object of a member call.
  llvm::DenseSet<const VarDecl *> Shared;
  bool SharedCollected = false;
  /// Loops of the function itself that nothing can end.
  std::vector<EndlessLoop> Loops;
  bool LoopsComputed = false;
};

namespace {

/// Strongly connected components of the reachable part of a CFG (Tarjan,
/// iterative so that huge functions cannot overflow the stack).
class SCCFinder {
public:
  explicit SCCFinder(const CFG &G) : G(G) {
    unsigned N = G.getNumBlockIDs();
    Index.assign(N, -1);
    Low.assign(N, 0);
    OnStack.assign(N, false);
    Component.assign(N, -1);
  }

  void run() {
    const CFGBlock &Entry = G.getEntry();
    strongConnect(&Entry);
  }

  /// Component id per block id (-1: unreachable).
  std::vector<int> Component;
  /// Blocks of each component that is a real cycle.
  std::vector<llvm::SmallVector<const CFGBlock *, 8>> Cycles;

private:
  struct Frame {
    const CFGBlock *B;
    CFGBlock::const_succ_iterator It;
  };

  void strongConnect(const CFGBlock *Root) {
    llvm::SmallVector<Frame, 32> Work;
    visit(Root);
    Work.push_back({Root, Root->succ_begin()});
    while (!Work.empty()) {
      Frame &F = Work.back();
      if (F.It != F.B->succ_end()) {
        const CFGBlock *S = F.It->getReachableBlock();
        ++F.It;
        if (!S)
          continue;
        unsigned SId = S->getBlockID();
        if (Index[SId] < 0) {
          visit(S);
          Work.push_back({S, S->succ_begin()});
        } else if (OnStack[SId]) {
          Low[F.B->getBlockID()] =
              std::min(Low[F.B->getBlockID()], Index[SId]);
        }
        continue;
      }
      const CFGBlock *B = F.B;
      Work.pop_back();
      if (!Work.empty()) {
        unsigned P = Work.back().B->getBlockID();
        Low[P] = std::min(Low[P], Low[B->getBlockID()]);
      }
      if (Low[B->getBlockID()] == Index[B->getBlockID()])
        popComponent(B);
    }
  }

  void visit(const CFGBlock *B) {
    unsigned Id = B->getBlockID();
    Index[Id] = Low[Id] = Counter++;
    Stack.push_back(B);
    OnStack[Id] = true;
  }

  void popComponent(const CFGBlock *Root) {
    llvm::SmallVector<const CFGBlock *, 8> Members;
    const CFGBlock *B;
    do {
      B = Stack.pop_back_val();
      OnStack[B->getBlockID()] = false;
      Component[B->getBlockID()] = NextComponent;
      Members.push_back(B);
    } while (B != Root);
    bool IsCycle = Members.size() > 1;
    if (!IsCycle)
      for (const CFGBlock::AdjacentBlock &S : Root->succs())
        if (S.getReachableBlock() == Root)
          IsCycle = true;
    if (IsCycle) {
      Cycles.push_back(std::move(Members));
    }
    ++NextComponent;
  }

  const CFG &G;
  std::vector<int> Index, Low;
  std::vector<bool> OnStack;
  llvm::SmallVector<const CFGBlock *, 32> Stack;
  int Counter = 0;
  int NextComponent = 0;
};

const Expr *loopCondition(const Stmt *Loop) {
  if (const auto *W = llvm::dyn_cast<WhileStmt>(Loop))
    return W->getCond();
  if (const auto *F = llvm::dyn_cast<ForStmt>(Loop))
    return F->getCond();
  return nullptr;
}

bool isLoopStmt(const Stmt *S) {
  return llvm::isa<WhileStmt, ForStmt, DoStmt, CXXForRangeStmt>(S);
}

} // namespace

void collectCalls(const Stmt *S, llvm::SmallVectorImpl<const CallExpr *> &Out) {
  walkOwnCode(S, [&](const Stmt *Node) {
    if (const auto *CE = llvm::dyn_cast<CallExpr>(Node))
      Out.push_back(CE);
  });
}

const FunctionDecl *analysableDefinition(const FunctionDecl *FD,
                                         const ASTContext &Ctx) {
  const FunctionDecl *Def = definitionWithBody(FD);
  if (!Def)
    return nullptr;
  if (Ctx.getSourceManager().isInSystemHeader(Def->getLocation()))
    return nullptr;
  return Def;
}

ForeverAnalysis::ForeverAnalysis(ASTContext &Ctx, const ConcurrencyModel &Model)
    : Ctx(Ctx), Model(Model) {}

ForeverAnalysis::~ForeverAnalysis() = default;

ForeverAnalysis::FunctionInfo &ForeverAnalysis::info(const FunctionDecl *Fn) {
  std::unique_ptr<FunctionInfo> &Slot = Infos[Fn];
  if (!Slot)
    Slot = std::make_unique<FunctionInfo>();
  return *Slot;
}

bool ForeverAnalysis::insideTryBlock(const Stmt *S, const FunctionDecl *Fn) {
  FunctionInfo &FI = info(Fn);
  if (!FI.TryBlocksCollected) {
    FI.TryBlocksCollected = true;
    walkOwnCode(Fn->getBody(), [&](const Stmt *Node) {
      if (const auto *Try = llvm::dyn_cast<CXXTryStmt>(Node))
        FI.TryBlocks.push_back(Try->getTryBlock()->getSourceRange());
    });
  }
  const SourceManager &SM = Ctx.getSourceManager();
  SourceLocation Loc = SM.getExpansionLoc(S->getBeginLoc());
  for (SourceRange R : FI.TryBlocks)
    if (SM.isPointWithin(Loc, SM.getExpansionLoc(R.getBegin()),
                         SM.getExpansionLoc(R.getEnd())))
      return true;
  return false;
}

bool ForeverAnalysis::isVarUnchanging(const VarDecl *VD, const DeclRefExpr *Ref,
                                      const FunctionDecl *Fn) {
  QualType T = VD->getType();
  if (T->isReferenceType() || T.isVolatileQualified())
    return false;
  if (VD->isConstexpr() || (T.isConstQualified() && !T->isRecordType()))
    return VD->hasLocalStorage() || VD->isStaticLocal() ||
           VD->hasGlobalStorage();
  if (!VD->hasLocalStorage())
    return false; // Globals and statics: anyone may write them.
  if (!T->isScalarType())
    return false; // Objects may change through their members.

  if (Ref->refersToEnclosingVariableOrCapture()) {
    // Inside a lambda: by-copy captures belong to the closure; by-reference
    // captures alias the owner's variable, which the owner may change.
    const auto *MD = llvm::dyn_cast<CXXMethodDecl>(Fn);
    if (!MD || !MD->getParent()->isLambda())
      return false;
    bool ByCopy = false;
    for (const LambdaCapture &C : MD->getParent()->captures())
      if (C.capturesVariable() && C.getCapturedVar() == VD)
        ByCopy = C.getCaptureKind() == LCK_ByCopy;
    if (!ByCopy)
      return false;
  }
  return !writtenLocals(Fn).contains(VD);
}

const llvm::DenseSet<const VarDecl *> &
ForeverAnalysis::writtenLocals(const FunctionDecl *Fn) {
  FunctionInfo &FI = info(Fn);
  if (FI.WrittenCollected)
    return FI.Written;
  FI.WrittenCollected = true;
  // One walk of the body, nested lambdas included. A scalar local is only
  // read where it sits directly under an lvalue-to-rvalue conversion; any
  // other use (assigned, incremented, its address taken, bound to a
  // reference, captured by reference) may change it.
  std::function<void(const Stmt *)> Visit = [&](const Stmt *S) {
    if (!S)
      return;
    if (const auto *ICE = llvm::dyn_cast<ImplicitCastExpr>(S))
      if (ICE->getCastKind() == CK_LValueToRValue &&
          llvm::isa<DeclRefExpr>(ICE->getSubExpr()->IgnoreParens()))
        return; // A read.
    if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(S))
      if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl()))
        FI.Written.insert(VD);
    if (const auto *LE = llvm::dyn_cast<LambdaExpr>(S))
      for (const LambdaCapture &C : LE->captures())
        if (C.capturesVariable() && C.getCaptureKind() == LCK_ByRef)
          if (const auto *CV = llvm::dyn_cast<VarDecl>(C.getCapturedVar()))
            FI.Written.insert(CV);
    // `while (size_t len = read())`: a condition variable is initialised
    // afresh on every iteration.
    if (const auto *W = llvm::dyn_cast<WhileStmt>(S))
      if (const VarDecl *CV = W->getConditionVariable())
        FI.Written.insert(CV);
    if (const auto *F = llvm::dyn_cast<ForStmt>(S))
      if (const VarDecl *CV = F->getConditionVariable())
        FI.Written.insert(CV);
    for (const Stmt *Child : S->children())
      Visit(Child);
  };
  Visit(Fn->getBody());
  return FI.Written;
}

bool ForeverAnalysis::isUnchanging(const Expr *E, const FunctionDecl *Fn) {
  if (!E)
    return false;
  E = E->IgnoreParenImpCasts();
  if (E->isValueDependent() || E->isTypeDependent())
    return false;
  if (llvm::isa<IntegerLiteral, CXXBoolLiteralExpr, CharacterLiteral,
                FloatingLiteral, CXXNullPtrLiteralExpr, StringLiteral,
                UnaryExprOrTypeTraitExpr>(E))
    return true;
  if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E)) {
    if (llvm::isa<EnumConstantDecl>(DRE->getDecl()))
      return true;
    if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl()))
      return isVarUnchanging(VD, DRE, Fn);
    return false;
  }
  if (const auto *UO = llvm::dyn_cast<UnaryOperator>(E)) {
    switch (UO->getOpcode()) {
    case UO_LNot:
    case UO_Not:
    case UO_Minus:
    case UO_Plus:
      return isUnchanging(UO->getSubExpr(), Fn);
    default:
      return false;
    }
  }
  if (const auto *BO = llvm::dyn_cast<BinaryOperator>(E)) {
    if (BO->isAssignmentOp() || BO->isCompoundAssignmentOp() ||
        BO->getOpcode() == BO_Comma)
      return false;
    return isUnchanging(BO->getLHS(), Fn) && isUnchanging(BO->getRHS(), Fn);
  }
  if (const auto *CO = llvm::dyn_cast<ConditionalOperator>(E))
    return isUnchanging(CO->getCond(), Fn) &&
           isUnchanging(CO->getTrueExpr(), Fn) &&
           isUnchanging(CO->getFalseExpr(), Fn);
  if (const auto *Cast = llvm::dyn_cast<ExplicitCastExpr>(E))
    return isUnchanging(Cast->getSubExpr(), Fn);
  if (const auto *FE = llvm::dyn_cast<FullExpr>(E))
    return isUnchanging(FE->getSubExpr(), Fn);
  // Calls, member accesses, dereferences: state someone else may change.
  return false;
}

bool ForeverAnalysis::isExitCall(const CallExpr *Call) {
  const FunctionDecl *Callee = Call->getDirectCallee();
  if (!Callee)
    return false;
  // Deliberate exits (pthread_exit, exit) are listed; other noreturn calls
  // (abort, assert failures) crash, which is no way to stop a thread.
  if (Model.StopSignalFunctions.containsCallee(Call))
    return true;
  const FunctionDecl *Def = analysableDefinition(Callee, Ctx);
  if (!Def) {
    // A stop token handed to code we cannot read may well end the loop
    // (for example by throwing when a stop is requested).
    for (const Expr *Arg : Call->arguments())
      if (isStopTokenType(Arg->getType()))
        return true;
    return false;
  }
  // Not bounded by MaxCallDepth: a throw deep below the loop is a way out
  // whatever depth the loop search uses, and the summary is computed once
  // per function. Bounded by MaxSummaryDepth, beyond which the answer is
  // "it may" (silence), so that a pathological call chain cannot exhaust
  // the stack.
  if (SummaryDepth >= MaxSummaryDepth)
    return true;
  ++SummaryDepth;
  bool Leaves = mayLeaveAbnormally(Def);
  --SummaryDepth;
  return Leaves;
}

bool ForeverAnalysis::endsInCrash(const CFGBlock *B) {
  if (!B->hasNoReturnElement())
    return false;
  // The noreturn call ends the block.
  for (auto It = B->rbegin(); It != B->rend(); ++It) {
    std::optional<CFGStmt> CS = It->getAs<CFGStmt>();
    if (!CS)
      continue;
    if (const auto *Call = llvm::dyn_cast<CallExpr>(CS->getStmt()))
      return !isExitCall(Call);
    break;
  }
  return true; // A noreturn destructor or builtin: not a deliberate exit.
}

bool ForeverAnalysis::mayLeaveAbnormally(const FunctionDecl *Fn) {
  auto It = LeaveCache.find(Fn);
  if (It != LeaveCache.end())
    return It->second;
  LeaveCache[Fn] = false; // Recursion: assume no until proven otherwise.
  bool Leaves = false;
  walkOwnCode(Fn->getBody(), [&](const Stmt *S) {
    if (Leaves)
      return;
    if (llvm::isa<CXXThrowExpr>(S))
      Leaves = true;
    else if (const auto *CE = llvm::dyn_cast<CallExpr>(S))
      Leaves = isExitCall(CE);
    else if (const auto *Await = llvm::dyn_cast<CoawaitExpr>(S))
      Leaves = awaitMayLeave(Await, Fn);
  });
  LeaveCache[Fn] = Leaves;
  return Leaves;
}

std::optional<EndlessLoop>
ForeverAnalysis::findLocalEndlessLoop(const FunctionDecl *Fn) {
  llvm::ArrayRef<EndlessLoop> Loops = localEndlessLoops(Fn);
  if (Loops.empty())
    return std::nullopt;
  return Loops.front();
}

llvm::ArrayRef<EndlessLoop>
ForeverAnalysis::localEndlessLoops(const FunctionDecl *Fn) {
  FunctionInfo &FI = info(Fn);
  if (!FI.LoopsComputed) {
    FI.LoopsComputed = true;
    computeLocalEndlessLoops(Fn, FI.Loops);
  }
  return info(Fn).Loops;
}

void ForeverAnalysis::computeLocalEndlessLoops(const FunctionDecl *Fn,
                                               std::vector<EndlessLoop> &Out) {
  FunctionInfo &FI = info(Fn);
  if (!FI.GraphBuilt) {
    FI.GraphBuilt = true;
    CFG::BuildOptions Opts;
    Opts.PruneTriviallyFalseEdges = true;
    FI.Graph = CFG::buildCFG(Fn, Fn->getBody(), &Ctx, Opts);
  }
  const CFG *G = FI.Graph.get();
  if (!G || G->getNumBlockIDs() > MaxCFGBlocks)
    return;

  SCCFinder Finder(*G);
  Finder.run();
  const SourceManager &SM = Ctx.getSourceManager();

  for (const auto &Cycle : Finder.Cycles) {
    int Comp = Finder.Component[Cycle.front()->getBlockID()];
    bool HasExit = false;
    const Stmt *Loop = nullptr;
    const Expr *UnchangingCond = nullptr;
    auto ConsiderLoop = [&](const Stmt *S) {
      if (!S || !isLoopStmt(S))
        return;
      if (!Loop || SM.isBeforeInTranslationUnit(S->getBeginLoc(),
                                                Loop->getBeginLoc()))
        Loop = S;
    };
    for (const CFGBlock *B : Cycle) {
      ConsiderLoop(B->getLoopTarget());
      ConsiderLoop(B->getTerminatorStmt());
    }
    // The unchanging conditions of the loops in this cycle; their exit edges
    // do not count.
    llvm::DenseSet<const Stmt *> UnchangingParts;
    for (const CFGBlock *B : Cycle) {
      const Stmt *T = B->getTerminatorStmt();
      if (!T || !isLoopStmt(T))
        continue;
      const Expr *Cond = loopCondition(T);
      if (!Cond || !isUnchanging(Cond, Fn))
        continue;
      UnchangingParts.insert(T);
      walkOwnCode(Cond, [&](const Stmt *S) { UnchangingParts.insert(S); });
      if (!UnchangingCond)
        UnchangingCond = Cond;
    }
    bool UsedUnchanging = false;
    for (const CFGBlock *B : Cycle) {
      for (const CFGBlock::AdjacentBlock &S : B->succs()) {
        const CFGBlock *Succ = S.getReachableBlock();
        if (!Succ || Finder.Component[Succ->getBlockID()] == Comp)
          continue;
        const Stmt *T = B->getTerminatorStmt();
        if (T && UnchangingParts.contains(T)) {
          UsedUnchanging = true;
          continue;
        }
        // An edge into a crash (assert failure, abort()) is no way out.
        if (endsInCrash(Succ))
          continue;
        HasExit = true;
        break;
      }
      if (HasExit)
        break;
      // Calls that end the thread, or may unwind out of the loop. (A throw
      // statement is an edge of the CFG, to its handler or the exit.)
      for (const CFGElement &E : *B) {
        std::optional<CFGStmt> CS = E.getAs<CFGStmt>();
        if (!CS)
          continue;
        const Stmt *St = CS->getStmt();
        if (const auto *Call = llvm::dyn_cast<CallExpr>(St))
          if (isExitCall(Call)) {
            HasExit = true;
            break;
          }
      }
      if (HasExit)
        break;
    }
    if (HasExit)
      continue;
    if (!Loop) {
      // A cycle built with goto: point at its earliest statement.
      for (const CFGBlock *B : Cycle)
        if (const Stmt *L = B->getLabel())
          if (!Loop || SM.isBeforeInTranslationUnit(L->getBeginLoc(),
                                                    Loop->getBeginLoc()))
            Loop = L;
    }
    if (!Loop || insideTryBlock(Loop, Fn))
      continue; // An enclosing try: exceptions are the intended way out.
    // A co_await that throws when another context closes or cancels what
    // it waits on; a co_yield, whose consumer may never resume the
    // coroutine (it is destroyed suspended, not leaked). The CFG does not
    // list them as elements of their own: they are found in the loop.
    if (isLoopStmt(Loop)) {
      bool Leaves = false;
      walkOwnCode(Loop, [&](const Stmt *S) {
        if (Leaves)
          return;
        if (llvm::isa<CoyieldExpr>(S))
          Leaves = true;
        else if (const auto *Await = llvm::dyn_cast<CoawaitExpr>(S))
          Leaves = awaitMayLeave(Await, Fn);
      });
      if (Leaves)
        continue;
    }
    EndlessLoop R;
    R.Kind = UsedUnchanging ? EndlessLoop::UnchangingCondition
                            : EndlessLoop::NoExit;
    R.Condition = UsedUnchanging ? UnchangingCond : nullptr;
    R.Loop = Loop;
    R.Function = Fn;
    for (const CFGBlock *B : Cycle)
      for (const CFGElement &E : *B)
        if (std::optional<CFGStmt> CS = E.getAs<CFGStmt>())
          R.Statements.push_back(CS->getStmt());
    Out.push_back(std::move(R));
  }
  llvm::stable_sort(Out, [&](const EndlessLoop &A, const EndlessLoop &B) {
    return SM.isBeforeInTranslationUnit(A.Loop->getBeginLoc(),
                                        B.Loop->getBeginLoc());
  });
}

bool ForeverAnalysis::isPrivateLocal(const ValueDecl *D,
                                     const FunctionDecl *Fn) {
  const auto *VD = llvm::dyn_cast_or_null<VarDecl>(D);
  if (!VD || !VD->hasLocalStorage() || llvm::isa<ParmVarDecl>(VD) ||
      VD->getType()->isReferenceType() || VD->getType()->isPointerType() ||
      VD->getDeclContext() != Fn)
    return false;
  FunctionInfo &FI = info(Fn);
  if (!FI.SharedCollected) {
    FI.SharedCollected = true;
    // A local is private if every use is `local.member(...)`: the object
    // of its own member calls. Any other use (an argument, an address, a
    // reference, a lambda capture) may hand it to someone who cancels it.
    llvm::DenseSet<const DeclRefExpr *> AsObject;
    walkOwnCode(Fn->getBody(), [&](const Stmt *S) {
      if (const auto *ME = llvm::dyn_cast<MemberExpr>(S))
        if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(
                ME->getBase()->IgnoreParenImpCasts()))
          if (!ME->isArrow())
            AsObject.insert(DRE);
      if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(S))
        if (const auto *V = llvm::dyn_cast<VarDecl>(DRE->getDecl()))
          if (!AsObject.contains(DRE))
            FI.Shared.insert(V);
      if (const auto *LE = llvm::dyn_cast<LambdaExpr>(S))
        for (const LambdaCapture &C : LE->captures())
          if (C.capturesVariable())
            if (const auto *CV = llvm::dyn_cast<VarDecl>(C.getCapturedVar()))
              FI.Shared.insert(CV);
    });
  }
  return !FI.Shared.contains(VD);
}

bool ForeverAnalysis::awaitMayLeave(const CoawaitExpr *Await,
                                    const FunctionDecl *Fn) {
  llvm::SmallVector<const ValueDecl *, 4> Objects;
  if (!awaitThrowsOn(Await->getOperand(), Objects))
    return false;
  if (insideTryBlock(Await, Fn))
    return false; // Caught inside the loop (a try around the loop skips it).
  for (const ValueDecl *D : Objects)
    if (!D || !isPrivateLocal(D, Fn))
      return true;
  return false;
}


void collectAwaitedCalls(const Stmt *S,
                         llvm::SmallPtrSetImpl<const CallExpr *> &Out) {
  walkOwnCode(S, [&](const Stmt *Node) {
    if (const auto *Await = llvm::dyn_cast<CoawaitExpr>(Node))
      if (const auto *Call =
              llvm::dyn_cast<CallExpr>(bareExpr(Await->getOperand())))
        Out.insert(Call);
  });
}

bool mayDispatchElsewhere(const CallExpr *Call) {
  const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call);
  const CXXMethodDecl *MD = MC ? MC->getMethodDecl() : nullptr;
  if (!MD || !MD->isVirtual())
    return false;
  if (MD->hasAttr<FinalAttr>() || MD->getParent()->hasAttr<FinalAttr>())
    return false;
  // obj.Base::f() names its target.
  if (const auto *ME =
          llvm::dyn_cast<MemberExpr>(MC->getCallee()->IgnoreParenImpCasts()))
    return !ME->hasQualifier();
  return true;
}

std::optional<EndlessLoop> ForeverAnalysis::analyze(const FunctionDecl *Fn,
                                                    unsigned Depth) {
  auto Key = std::make_pair(Fn, Depth);
  auto Cached = Results.find(Key);
  if (Cached != Results.end())
    return Cached->second;
  if (!InProgress.insert(Fn).second)
    return std::nullopt; // Recursion.

  std::optional<EndlessLoop> R = findLocalEndlessLoop(Fn);
  if (!R && Depth < Model.MaxCallDepth) {
    llvm::SmallVector<const CallExpr *, 16> Calls;
    collectCalls(Fn->getBody(), Calls);
    // A call to a coroutine only creates it: it runs here when awaited
    // (`co_await child()`), elsewhere when handed to co_spawn. Collected
    // only once a coroutine is called.
    llvm::SmallPtrSet<const CallExpr *, 4> Awaited;
    bool AwaitedCollected = false;
    for (const CallExpr *Call : Calls) {
      const FunctionDecl *Callee =
          analysableDefinition(Call->getDirectCallee(), Ctx);
      if (!Callee || Callee == Fn || insideTryBlock(Call, Fn) ||
          mayDispatchElsewhere(Call))
        continue;
      if (isCoroutine(Callee)) {
        if (!AwaitedCollected) {
          collectAwaitedCalls(Fn->getBody(), Awaited);
          AwaitedCollected = true;
        }
        if (!Awaited.contains(Call))
          continue;
      }
      if (std::optional<EndlessLoop> Inner = analyze(Callee, Depth + 1)) {
        Inner->CallChain.insert(Inner->CallChain.begin(), Call);
        R = std::move(Inner);
        break;
      }
    }
  }
  InProgress.erase(Fn);
  Results[Key] = R;
  return R;
}

std::optional<EndlessLoop>
ForeverAnalysis::findEndlessLoop(const FunctionDecl *Body) {
  const FunctionDecl *Def = analysableDefinition(Body, Ctx);
  if (!Def)
    return std::nullopt;
  return analyze(Def, 0);
}

const CallExpr *ForeverAnalysis::findUntimedBlockingCall(const FunctionDecl *Fn) {
  llvm::SmallVector<const CallExpr *, 16> Calls;
  collectCalls(Fn->getBody(), Calls);
  for (const CallExpr *Call : Calls) {
    if (!Model.BlockingFunctions.containsCallee(Call))
      continue;
    bool StopAware = false;
    for (const Expr *Arg : Call->arguments())
      StopAware |= isStopTokenType(Arg->getType());
    if (!StopAware)
      return Call;
  }
  return nullptr;
}

} // namespace clang::tidy::threadleak
