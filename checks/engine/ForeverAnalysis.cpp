//===--- ForeverAnalysis.cpp ----------------------------------------------===//

#include "engine/ForeverAnalysis.h"
#include "engine/CrossTU.h"
#include "engine/BodyResolver.h"
#include "engine/StmtWalk.h"
#include "model/WaitModel.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/STLExtras.h"

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

/// A `while`'s or a `for`'s condition (not a `do`'s: its body runs first).
const Expr *whileOrForCondition(const Stmt *Loop) {
  return llvm::isa<DoStmt>(Loop) ? nullptr : loopCondition(Loop);
}

bool isLoopStmt(const Stmt *S) {
  return llvm::isa<WhileStmt, ForStmt, DoStmt, CXXForRangeStmt>(S);
}

const Expr *strip(const Expr *E) {
  while (E) {
    const Expr *Next = E->IgnoreParenImpCasts();
    if (const auto *FE = llvm::dyn_cast<FullExpr>(Next))
      Next = FE->getSubExpr();
    if (const auto *MTE = llvm::dyn_cast<MaterializeTemporaryExpr>(Next))
      Next = MTE->getSubExpr();
    if (const auto *BTE = llvm::dyn_cast<CXXBindTemporaryExpr>(Next))
      Next = BTE->getSubExpr();
    if (Next == E)
      return E;
    E = Next;
  }
  return E;
}

/// The same expression, syntactically: the same operators on the same
/// variables, members, calls and literals.
bool sameExpr(const Expr *RootA, const Expr *RootB) {
  // Pairs still to compare: on its own stack.
  llvm::SmallVector<std::pair<const Expr *, const Expr *>, 8> Work{
      {RootA, RootB}};
  while (!Work.empty()) {
    auto [A, B] = Work.pop_back_val();
    A = strip(A);
    B = strip(B);
    if (!A || !B || A->getStmtClass() != B->getStmtClass())
      return false;
    if (const auto *DA = llvm::dyn_cast<DeclRefExpr>(A)) {
      if (DA->getDecl() != llvm::cast<DeclRefExpr>(B)->getDecl())
        return false;
    } else if (llvm::isa<CXXThisExpr>(A)) {
    } else if (const auto *MA = llvm::dyn_cast<MemberExpr>(A)) {
      const auto *MB = llvm::cast<MemberExpr>(B);
      if (MA->getMemberDecl() != MB->getMemberDecl())
        return false;
      Work.push_back({MA->getBase(), MB->getBase()});
    } else if (const auto *IA = llvm::dyn_cast<IntegerLiteral>(A)) {
      if (IA->getValue() != llvm::cast<IntegerLiteral>(B)->getValue())
        return false;
    } else if (const auto *BA = llvm::dyn_cast<CXXBoolLiteralExpr>(A)) {
      if (BA->getValue() != llvm::cast<CXXBoolLiteralExpr>(B)->getValue())
        return false;
    } else if (const auto *UA = llvm::dyn_cast<UnaryOperator>(A)) {
      const auto *UB = llvm::cast<UnaryOperator>(B);
      if (UA->getOpcode() != UB->getOpcode())
        return false;
      Work.push_back({UA->getSubExpr(), UB->getSubExpr()});
    } else if (const auto *OA = llvm::dyn_cast<BinaryOperator>(A)) {
      const auto *OB = llvm::cast<BinaryOperator>(B);
      if (OA->getOpcode() != OB->getOpcode())
        return false;
      Work.push_back({OA->getRHS(), OB->getRHS()});
      Work.push_back({OA->getLHS(), OB->getLHS()});
    } else if (const auto *CA = llvm::dyn_cast<CallExpr>(A)) {
      const auto *CB = llvm::cast<CallExpr>(B);
      if (!CA->getDirectCallee() ||
          CA->getDirectCallee() != CB->getDirectCallee() ||
          CA->getNumArgs() != CB->getNumArgs())
        return false;
      for (unsigned I = 0; I < CA->getNumArgs(); ++I)
        Work.push_back({CA->getArg(I), CB->getArg(I)});
      if (const auto *MA = llvm::dyn_cast<CXXMemberCallExpr>(CA))
        Work.push_back({MA->getImplicitObjectArgument(),
                        llvm::cast<CXXMemberCallExpr>(CB)
                            ->getImplicitObjectArgument()});
    } else {
      return false;
    }
  }
  return true;
}

/// The literals whose conjunction \p E is (\p Negated: !E), with their
/// polarity: `a && !b` -> {a, !b}; `!(a || b)` -> {!a, !b}; `x != y` is
/// `!(x == y)`.
void literals(const Expr *Root, bool RootNegated,
              llvm::SmallVectorImpl<std::pair<const Expr *, bool>> &Out) {
  // Left to right, on its own stack.
  llvm::SmallVector<std::pair<const Expr *, bool>, 8> Work{{Root, RootNegated}};
  while (!Work.empty()) {
    auto [E, Negated] = Work.pop_back_val();
    E = strip(E);
    if (const auto *UO = llvm::dyn_cast<UnaryOperator>(E))
      if (UO->getOpcode() == UO_LNot) {
        Work.push_back({UO->getSubExpr(), !Negated});
        continue;
      }
    if (const auto *BO = llvm::dyn_cast<BinaryOperator>(E)) {
      if ((BO->getOpcode() == BO_LAnd && !Negated) ||
          (BO->getOpcode() == BO_LOr && Negated)) {
        Work.push_back({BO->getRHS(), Negated});
        Work.push_back({BO->getLHS(), Negated});
        continue;
      }
    }
    Out.push_back({E, Negated});
  }
}

/// \p Guard (negated if \p Negated) cannot hold while \p Pred holds: one
/// of its literals is the negation of one of Pred's.
bool contradicts(const Expr *Guard, bool Negated, const Expr *Pred) {
  llvm::SmallVector<std::pair<const Expr *, bool>, 4> G, P;
  literals(Guard, Negated, G);
  literals(Pred, false, P);
  auto Equal = [](const Expr *A, const Expr *B, bool &Opposite) {
    // x != y is !(x == y).
    const auto *BA = llvm::dyn_cast<BinaryOperator>(A);
    const auto *BB = llvm::dyn_cast<BinaryOperator>(B);
    if (BA && BB && BA->isEqualityOp() && BB->isEqualityOp() &&
        BA->getOpcode() != BB->getOpcode()) {
      Opposite = !Opposite;
      return sameExpr(BA->getLHS(), BB->getLHS()) &&
             sameExpr(BA->getRHS(), BB->getRHS());
    }
    return sameExpr(A, B);
  };
  for (const auto &[GE, GN] : G)
    for (const auto &[PE, PN] : P) {
      bool Opposite = GN != PN;
      if (Equal(GE, PE, Opposite) && Opposite)
        return true;
    }
  return false;
}

/// What a predicate lambda returns: `[&] { return E; }` -> E.
const Expr *predicateResult(const Expr *Pred) {
  const auto *LE = llvm::dyn_cast_or_null<LambdaExpr>(strip(Pred));
  if (!LE)
    return nullptr;
  // A copy captured when the lambda was made is not what the loop tests.
  for (const LambdaCapture &C : LE->captures())
    if (C.capturesVariable() && C.getCaptureKind() == LCK_ByCopy)
      return nullptr;
  const auto *Body = llvm::dyn_cast_or_null<CompoundStmt>(LE->getBody());
  if (!Body || Body->size() != 1)
    return nullptr;
  const auto *Ret = llvm::dyn_cast<ReturnStmt>(Body->body_front());
  return Ret ? Ret->getRetValue() : nullptr;
}

/// The call \p Cond tests: `W`, `!W`, with \p Negated set for the latter.
const CallExpr *testedCall(const Expr *Cond, bool &Negated) {
  for (Cond = strip(Cond); Cond; Cond = strip(Cond)) {
    const auto *UO = llvm::dyn_cast<UnaryOperator>(Cond);
    if (!UO || UO->getOpcode() != UO_LNot)
      break;
    Negated = !Negated;
    Cond = UO->getSubExpr();
  }
  return llvm::dyn_cast_or_null<CallExpr>(Cond);
}

bool within(SourceRange Inner, SourceRange Outer, const SourceManager &SM) {
  SourceLocation B = SM.getExpansionLoc(Inner.getBegin());
  SourceLocation E = SM.getExpansionLoc(Inner.getEnd());
  SourceLocation OB = SM.getExpansionLoc(Outer.getBegin());
  SourceLocation OE = SM.getExpansionLoc(Outer.getEnd());
  return SM.isPointWithin(B, OB, OE) && SM.isPointWithin(E, OB, OE);
}

/// A wait's conditions variable model with the built-in types.
const ConditionVariableModel &builtinConditionVariables() {
  static const ConditionVariableModel Model(
      NameList::parse(defaults::ConditionVariableTypes));
  return Model;
}

/// \p E names an enumerator called \p Name.
bool isEnumerator(const Expr *E, llvm::StringRef Name) {
  const auto *DRE = llvm::dyn_cast<DeclRefExpr>(strip(E));
  const auto *EC =
      DRE ? llvm::dyn_cast<EnumConstantDecl>(DRE->getDecl()) : nullptr;
  return EC && EC->getIdentifier() && EC->getName() == Name;
}

} // namespace

void collectCalls(const Stmt *S, llvm::SmallVectorImpl<const CallExpr *> &Out) {
  walkOwnCode(S, [&](const Stmt *Node) {
    if (const auto *CE = llvm::dyn_cast<CallExpr>(Node))
      Out.push_back(CE);
  });
}

/// The value \p Cond has, if it is a test of one of \p Known alone.
static std::optional<bool> knownTestValue(const Expr *Cond,
                                          const ParamTruth &Known) {
  if (!Cond)
    return std::nullopt;
  Cond = Cond->IgnoreParenImpCasts();
  auto ValueOf = [&](const Expr *E) -> std::optional<bool> {
    const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E->IgnoreParenImpCasts());
    const auto *P = DRE ? llvm::dyn_cast<ParmVarDecl>(DRE->getDecl()) : nullptr;
    auto It = P ? Known.find(P) : Known.end();
    if (It == Known.end())
      return std::nullopt;
    return It->second;
  };
  if (std::optional<bool> V = ValueOf(Cond))
    return V;
  if (const auto *UO = llvm::dyn_cast<UnaryOperator>(Cond);
      UO && UO->getOpcode() == UO_LNot)
    if (std::optional<bool> V = knownTestValue(UO->getSubExpr(), Known))
      return !*V;
  if (const auto *BO = llvm::dyn_cast<BinaryOperator>(Cond);
      BO && BO->isEqualityOp()) {
    const Expr *L = BO->getLHS()->IgnoreParenImpCasts();
    const Expr *R = BO->getRHS()->IgnoreParenImpCasts();
    bool Null = llvm::isa<CXXNullPtrLiteralExpr, GNUNullExpr>(R) ||
                llvm::isa<CXXNullPtrLiteralExpr, GNUNullExpr>(L);
    std::optional<bool> V = ValueOf(L);
    if (!V)
      V = ValueOf(R);
    // `p != nullptr` is p's truth.
    if (Null && V)
      return BO->getOpcode() == BO_NE ? *V : !*V;
  }
  return std::nullopt;
}

void collectCalls(const Stmt *S, const ParamTruth &Known,
                  llvm::SmallVectorImpl<const CallExpr *> &Out) {
  if (Known.empty()) {
    collectCalls(S, Out);
    return;
  }
  detail::walkStmts(
      S,
      [&](const Stmt *Cur, llvm::SmallVectorImpl<const Stmt *> &Next) {
        if (const auto *LE = llvm::dyn_cast<LambdaExpr>(Cur)) {
          Next.append(LE->capture_init_begin(), LE->capture_init_end());
          return;
        }
        const Expr *Cond = nullptr;
        const Stmt *Then = nullptr, *Else = nullptr;
        if (const auto *If = llvm::dyn_cast<IfStmt>(Cur)) {
          Cond = If->getCond();
          Then = If->getThen();
          Else = If->getElse();
        } else if (const auto *CO = llvm::dyn_cast<ConditionalOperator>(Cur)) {
          Cond = CO->getCond();
          Then = CO->getTrueExpr();
          Else = CO->getFalseExpr();
        }
        std::optional<bool> V = knownTestValue(Cond, Known);
        for (const Stmt *Child : Cur->children())
          if (!V || Child == Cond || (Child != Then && Child != Else) ||
              Child == (*V ? Then : Else))
            Next.push_back(Child);
      },
      [&](const Stmt *Node) {
        if (const auto *CE = llvm::dyn_cast<CallExpr>(Node))
          Out.push_back(CE);
        return true;
      });
}

void knownParams(const CallExpr *Call, const FunctionDecl *Callee,
                 ParamTruth &Out) {
  if (!Call || !Callee || llvm::isa<CXXOperatorCallExpr>(Call))
    return;
  for (unsigned I = 0; I < Call->getNumArgs() && I < Callee->getNumParams();
       ++I) {
    const ParmVarDecl *P = Callee->getParamDecl(I);
    const Expr *A = Call->getArg(I)->IgnoreParenImpCasts();
    bool Address = llvm::isa<CXXThisExpr>(A);
    if (const auto *UO = llvm::dyn_cast<UnaryOperator>(A))
      Address |= UO->getOpcode() == UO_AddrOf;
    if (Address && P->getType()->isPointerType())
      Out[P] = true;
    else if (const auto *B = llvm::dyn_cast<CXXBoolLiteralExpr>(A);
             B && P->getType()->isBooleanType())
      Out[P] = B->getValue();
  }
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
  walkPruned(Fn->getBody(), [&](const Stmt *S) {
    if (const auto *ICE = llvm::dyn_cast<ImplicitCastExpr>(S))
      if (ICE->getCastKind() == CK_LValueToRValue &&
          llvm::isa<DeclRefExpr>(ICE->getSubExpr()->IgnoreParens()))
        return false; // A read.
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
    return true;
  });
  return FI.Written;
}

bool ForeverAnalysis::isUnchanging(const Expr *Root, const FunctionDecl *Fn) {
  // Every operand must be unchanging. Keeps its own stack: a condition
  // may be a 50,000-term expression.
  llvm::SmallVector<const Expr *, 8> Work{Root};
  while (!Work.empty()) {
    const Expr *E = Work.pop_back_val();
    if (!E)
      return false;
    E = E->IgnoreParenImpCasts();
    if (E->isValueDependent() || E->isTypeDependent())
      return false;
    if (llvm::isa<IntegerLiteral, CXXBoolLiteralExpr, CharacterLiteral,
                  FloatingLiteral, CXXNullPtrLiteralExpr, StringLiteral,
                  UnaryExprOrTypeTraitExpr>(E))
      continue;
    if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E)) {
      if (llvm::isa<EnumConstantDecl>(DRE->getDecl()))
        continue;
      const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl());
      if (!VD || !isVarUnchanging(VD, DRE, Fn))
        return false;
      continue;
    }
    if (const auto *UO = llvm::dyn_cast<UnaryOperator>(E)) {
      switch (UO->getOpcode()) {
      case UO_LNot:
      case UO_Not:
      case UO_Minus:
      case UO_Plus:
        Work.push_back(UO->getSubExpr());
        continue;
      default:
        return false;
      }
    }
    if (const auto *BO = llvm::dyn_cast<BinaryOperator>(E)) {
      if (BO->isAssignmentOp() || BO->isCompoundAssignmentOp() ||
          BO->getOpcode() == BO_Comma)
        return false;
      Work.push_back(BO->getRHS());
      Work.push_back(BO->getLHS());
      continue;
    }
    if (const auto *CO = llvm::dyn_cast<ConditionalOperator>(E)) {
      Work.push_back(CO->getFalseExpr());
      Work.push_back(CO->getTrueExpr());
      Work.push_back(CO->getCond());
      continue;
    }
    if (const auto *Cast = llvm::dyn_cast<ExplicitCastExpr>(E)) {
      Work.push_back(Cast->getSubExpr());
      continue;
    }
    if (const auto *FE = llvm::dyn_cast<FullExpr>(E)) {
      Work.push_back(FE->getSubExpr());
      continue;
    }
    // Calls, member accesses, dereferences: state someone else may change.
    return false;
  }
  return true;
}

bool ForeverAnalysis::isExitCall(const CallExpr *Call) {
  const FunctionDecl *Callee = Call->getDirectCallee();
  if (!Callee)
    return false;
  // Deliberate exits (pthread_exit, exit) are listed; other noreturn calls
  // (abort, assert failures) crash, which is no way to stop a thread.
  if (Model.StopSignalFunctions.containsCallee(Call))
    // A Boost interruption point throws only when somebody can call
    // interrupt() on the thread that runs it.
    return Model.InterruptionPointsStop ||
           !Model.InterruptionPoints.containsCallee(Call);
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

const CFG *ForeverAnalysis::graph(const FunctionDecl *Fn) {
  FunctionInfo &FI = info(Fn);
  if (!FI.GraphBuilt) {
    FI.GraphBuilt = true;
    CFG::BuildOptions Opts;
    Opts.PruneTriviallyFalseEdges = true;
    FI.Graph = CFG::buildCFG(Fn, Fn->getBody(), &Ctx, Opts);
  }
  const CFG *G = FI.Graph.get();
  if (!G || G->getNumBlockIDs() > MaxCFGBlocks)
    return nullptr;
  return G;
}

bool ForeverAnalysis::isTokenTest(const Expr *Root, const ParmVarDecl *Token,
                                  const FunctionDecl *Fn) {
  // Every operand of `!`, `&&` and `||` must be one. Keeps its own stack.
  llvm::SmallVector<const Expr *, 8> Work{Root};
  while (!Work.empty()) {
    const Expr *Cond = strip(Work.pop_back_val());
    if (!Cond)
      return false;
    if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Cond)) {
      const CXXMethodDecl *M = MC->getMethodDecl();
      const auto *Obj = llvm::dyn_cast_or_null<DeclRefExpr>(
          MC->getImplicitObjectArgument()
              ? MC->getImplicitObjectArgument()->IgnoreParenImpCasts()
              : nullptr);
      if (!(M && M->getIdentifier() && M->getName() == "stop_requested" &&
            Obj && Obj->getDecl() == Token))
        return false;
      continue;
    }
    if (const auto *UO = llvm::dyn_cast<UnaryOperator>(Cond))
      if (UO->getOpcode() == UO_LNot) {
        Work.push_back(UO->getSubExpr());
        continue;
      }
    if (const auto *BO = llvm::dyn_cast<BinaryOperator>(Cond))
      if (BO->isLogicalOp()) {
        Work.push_back(BO->getRHS());
        Work.push_back(BO->getLHS());
        continue;
      }
    if (!isUnchanging(Cond, Fn))
      return false;
  }
  return true;
}

bool ForeverAnalysis::isDeadExitAfterWait(const CFGBlock *B, unsigned Succ,
                                          const CallExpr *&Wait,
                                          const Expr *&Guard) {
  if (B->succ_size() != 2)
    return false;
  const auto *If = llvm::dyn_cast_or_null<IfStmt>(B->getTerminatorStmt());
  if (!If || If->getConditionVariable() || If->getInit())
    return false;
  const Expr *Cond = If->getCond();
  const SourceManager &SM = Ctx.getSourceManager();
  SourceRange CondRange = Cond->getSourceRange();
  // Walk back over the blocks that evaluate the condition, to the branch on
  // the wait: nothing else may run in between.
  const CFGBlock *Cur = B;
  for (unsigned Steps = 0; Steps < 16; ++Steps) {
    for (const CFGElement &E : *Cur)
      if (std::optional<CFGStmt> CS = E.getAs<CFGStmt>())
        if (!within(CS->getStmt()->getSourceRange(), CondRange, SM))
          return false;
    const CFGBlock *P = nullptr;
    unsigned Preds = 0;
    for (const CFGBlock::AdjacentBlock &A : Cur->preds())
      if (const CFGBlock *PB = A.getReachableBlock()) {
        P = PB;
        ++Preds;
      }
    if (Preds != 1)
      return false;
    if (const auto *BO =
            llvm::dyn_cast_or_null<BinaryOperator>(P->getTerminatorStmt());
        BO && BO->isLogicalOp() &&
        within(BO->getSourceRange(), CondRange, SM)) {
      Cur = P;
      continue;
    }
    const auto *WaitIf = llvm::dyn_cast_or_null<IfStmt>(P->getTerminatorStmt());
    if (!WaitIf || WaitIf->getConditionVariable() || P->succ_size() != 2)
      return false;
    bool Negated = false;
    const CallExpr *W = testedCall(WaitIf->getCond(), Negated);
    std::optional<ConditionWait> CW =
        W ? builtinConditionVariables().asWait(W) : std::nullopt;
    if (!CW || !CW->Timed || !CW->Predicate || CW->StopAware)
      return false;
    // The successor where the wait returned true: its predicate holds.
    const CFGBlock *Success =
        (P->succ_begin() + (Negated ? 1 : 0))->getReachableBlock();
    if (Success != Cur)
      return false;
    const Expr *PredResult = predicateResult(CW->Predicate);
    if (!PredResult || !contradicts(Cond, /*Negated=*/Succ == 1, PredResult))
      return false;
    Wait = W;
    Guard = Cond;
    return true;
  }
  return false;
}

std::vector<EndlessLoop>
ForeverAnalysis::tokenOnlyLoops(const FunctionDecl *Fn,
                                const ParmVarDecl *Token) {
  std::vector<EndlessLoop> Out;
  if (const FunctionDecl *Def = analysableDefinition(Fn, Ctx))
    computeLocalEndlessLoops(Def, Out, Token);
  return Out;
}

void ForeverAnalysis::computeLocalEndlessLoops(const FunctionDecl *Fn,
                                               std::vector<EndlessLoop> &Out,
                                               const ParmVarDecl *Token) {
  // Only a loop statement or a goto makes a cycle: without one, no CFG.
  bool MayCycle = false;
  walkOwnCode(Fn->getBody(), [&](const Stmt *S) {
    MayCycle = MayCycle || isLoopStmt(S) || llvm::isa<GotoStmt>(S) ||
               llvm::isa<IndirectGotoStmt>(S) || llvm::isa<GCCAsmStmt>(S);
  });
  if (!MayCycle)
    return;
  const CFG *G = graph(Fn);
  if (!G)
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
      const Expr *Cond = whileOrForCondition(T);
      if (!Cond || !isUnchanging(Cond, Fn))
        continue;
      UnchangingParts.insert(T);
      walkOwnCode(Cond, [&](const Stmt *S) { UnchangingParts.insert(S); });
      if (!UnchangingCond)
        UnchangingCond = Cond;
    }
    bool UsedUnchanging = false;
    const CallExpr *DeadWait = nullptr;
    const Expr *DeadGuard = nullptr;
    for (const CFGBlock *B : Cycle) {
      unsigned SuccIndex = 0;
      for (const CFGBlock::AdjacentBlock &S : B->succs()) {
        unsigned Index = SuccIndex++;
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
        // Asked for the loops only a stop request ends: a test of the
        // token does not count.
        if (Token && T) {
          const Expr *TC = nullptr;
          if (const auto *If = llvm::dyn_cast<IfStmt>(T))
            TC = If->getConditionVariable() ? nullptr : If->getCond();
          else if (const auto *BO = llvm::dyn_cast<BinaryOperator>(T))
            TC = BO->isLogicalOp() ? BO : nullptr;
          else if (isLoopStmt(T))
            TC = whileOrForCondition(T);
          if (TC && isTokenTest(TC, Token, Fn))
            continue;
        }
        // Tested only right after a timed wait succeeded, and contradicts
        // what the wait waited for.
        const CallExpr *W = nullptr;
        const Expr *Guard = nullptr;
        if (isDeadExitAfterWait(B, Index, W, Guard)) {
          if (!DeadWait) {
            DeadWait = W;
            DeadGuard = Guard;
          }
          continue;
        }
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
    R.Kind = DeadWait         ? EndlessLoop::DeadExitAfterWait
             : UsedUnchanging ? EndlessLoop::UnchangingCondition
                              : EndlessLoop::NoExit;
    R.Condition = DeadWait ? DeadGuard
                  : UsedUnchanging ? UnchangingCond
                                   : nullptr;
    R.Wait = DeadWait;
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
      if (!Callee && CrossTU && Call->getDirectCallee() &&
          !definitionWithBody(Call->getDirectCallee()) &&
          !insideTryBlock(Call, Fn) && !mayDispatchElsewhere(Call)) {
        if (std::optional<EndlessLoop> Outer =
                externalEndlessLoop(Call, Call->getDirectCallee(), Depth)) {
          Outer->Function = Fn;
          R = std::move(Outer);
          break;
        }
        continue;
      }
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
ForeverAnalysis::externalEndlessLoop(const CallExpr *Call,
                                     const FunctionDecl *Callee,
                                     unsigned Depth) {
  const crosstu::FunctionSummary *S = crosstu::ask(Callee, Ctx);
  if (!S || !S->Loops)
    return std::nullopt;
  const crosstu::FunctionSummary::Forever &F = *S->Loops;
  // The same call-depth budget as calls followed here: the callee is one
  // call deeper, and its loop as many calls below it as its chain has.
  if (Depth + 1 + F.Chain.size() > Model.MaxCallDepth)
    return std::nullopt;
  EndlessLoop L;
  if (F.Kind == "no-exit")
    L.Kind = EndlessLoop::NoExit;
  else if (F.Kind == "unchanging")
    L.Kind = EndlessLoop::UnchangingCondition;
  else if (F.Kind == "dead-exit")
    L.Kind = EndlessLoop::DeadExitAfterWait;
  else
    return std::nullopt;
  // Every note must point at real code: a file that cannot be read (or no
  // longer has that much text) means no verdict.
  SourceManager &SM = Ctx.getSourceManager();
  for (const auto &[Loc, Name] : F.Chain) {
    SourceLocation At = crosstu::locate(Loc, SM);
    if (At.isInvalid())
      return std::nullopt;
    L.ExternalChain.emplace_back(At, Name);
  }
  L.ExternalLoop = crosstu::locate(F.Loop, SM);
  if (L.ExternalLoop.isInvalid())
    return std::nullopt;
  if (L.Kind == EndlessLoop::DeadExitAfterWait) {
    L.ExternalWait = crosstu::locate(F.Wait, SM);
    if (L.ExternalWait.isInvalid())
      return std::nullopt;
  }
  L.External = true;
  L.ExternalCondition = F.Condition;
  L.Loop = Call;
  L.CallChain.push_back(Call);
  return L;
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
  // Timed waits retried until they succeed: the loops whose condition is
  // one.
  llvm::DenseSet<const CallExpr *> Disguised;
  walkOwnCode(Fn->getBody(), [&](const Stmt *S) {
    const Expr *Cond = nullptr;
    if (const auto *W = llvm::dyn_cast<WhileStmt>(S))
      Cond = W->getCond();
    else if (const auto *D = llvm::dyn_cast<DoStmt>(S))
      Cond = D->getCond();
    else if (const auto *F = llvm::dyn_cast<ForStmt>(S))
      Cond = F->getCond();
    if (!Cond)
      return;
    llvm::SmallVector<const CallExpr *, 2> InCond;
    collectCalls(Cond, InCond);
    for (const CallExpr *Call : InCond)
      if (std::optional<ConditionWait> CW =
              builtinConditionVariables().asWait(Call);
          CW && CW->Timed && !CW->StopAware &&
          isTimedWaitInDisguise(Call, S, Fn))
        Disguised.insert(Call);
  });
  for (const CallExpr *Call : Calls) {
    if (Disguised.contains(Call))
      return Call;
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

bool ForeverAnalysis::isTimedWaitInDisguise(const CallExpr *Call,
                                            const Stmt *Loop,
                                            const FunctionDecl *Fn,
                                            const ParmVarDecl *Token) {
  const Expr *Cond = nullptr;
  const Stmt *Body = nullptr;
  if (const auto *W = llvm::dyn_cast<WhileStmt>(Loop)) {
    if (W->getConditionVariable())
      return false;
    Cond = W->getCond();
    Body = W->getBody();
  } else if (const auto *D = llvm::dyn_cast<DoStmt>(Loop)) {
    Cond = D->getCond();
    Body = D->getBody();
  } else if (const auto *F = llvm::dyn_cast<ForStmt>(Loop)) {
    if (F->getConditionVariable() || F->getInc())
      return false;
    Cond = F->getCond();
    Body = F->getBody();
  }
  if (!Cond)
    return false;
  // The loop goes on exactly while the wait times out: `!W`,
  // `W == ...::timeout`, `W != ...::no_timeout` / `!= ...::success`.
  Cond = strip(Cond);
  bool Retries = false;
  if (const auto *UO = llvm::dyn_cast<UnaryOperator>(Cond))
    Retries = UO->getOpcode() == UO_LNot && strip(UO->getSubExpr()) == Call;
  auto Compares = [&](const Expr *L, const Expr *R, bool Equal) {
    if (strip(L) != Call)
      std::swap(L, R);
    if (strip(L) != Call)
      return false;
    return Equal ? isEnumerator(R, "timeout")
                 : isEnumerator(R, "no_timeout") || isEnumerator(R, "success");
  };
  if (const auto *BO = llvm::dyn_cast<BinaryOperator>(Cond))
    if (BO->isEqualityOp())
      Retries = Compares(BO->getLHS(), BO->getRHS(), BO->getOpcode() == BO_EQ);
  if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(Cond))
    if ((OC->getOperator() == OO_EqualEqual ||
         OC->getOperator() == OO_ExclaimEqual) &&
        OC->getNumArgs() == 2)
      Retries = Compares(OC->getArg(0), OC->getArg(1),
                         OC->getOperator() == OO_EqualEqual);
  if (!Retries)
    return false;
  // Nothing else leaves the loop: no break, return, goto, throw or exit
  // call, and the predicate does not look at the stop token.
  bool Leaves = false;
  walkOwnCode(Body, [&](const Stmt *S) {
    if (llvm::isa<BreakStmt, ReturnStmt, GotoStmt, CXXThrowExpr,
                  CoreturnStmt, CoawaitExpr, CoyieldExpr>(S))
      Leaves = true;
    else if (const auto *C = llvm::dyn_cast<CallExpr>(S))
      Leaves |= isExitCall(C);
  });
  if (Leaves)
    return false;
  for (const Expr *Arg : Call->arguments()) {
    bool ReadsToken = false;
    walkWithLambdas(Arg, nullptr, [&](const Stmt *S) {
      if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(S))
        ReadsToken |= (Token && DRE->getDecl() == Token) ||
                      isStopTokenType(DRE->getType());
    });
    if (ReadsToken)
      return false;
  }
  return true;
}

} // namespace clang::tidy::threadleak
