//===--- ChannelFlow.cpp --------------------------------------------------===//

#include "engine/ChannelFlow.h"
#include "engine/BodyResolver.h"
#include "engine/ContextSpawns.h"
#include "engine/ForeverAnalysis.h"
#include "engine/SpawnSites.h"
#include "engine/StmtWalk.h"
#include "model/ConcurrencyModel.h"
#include "model/ContextModel.h"
#include "model/WaitModel.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/SmallPtrSet.h"
#include <algorithm>

namespace clang::tidy::threadleak {


/// Adds to \p Out what `co_await E` certainly awaits: E itself, or every
/// operand of `a && b` (Asio's awaitable operator waits for both); not the
/// alternatives of `a || b`, which race. Keeps its own stack: a chain of
/// 50,000 `&&` nests as deep.
static void collectAwaited(const Expr *E, llvm::DenseSet<const Expr *> &Out) {
  llvm::SmallVector<const Expr *, 8> Work{E};
  while (!Work.empty()) {
    const Expr *X = bareExpr(Work.pop_back_val());
    if (const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(X))
      if (Op->getOperator() == OO_AmpAmp && Op->getNumArgs() == 2) {
        Work.push_back(Op->getArg(1));
        Work.push_back(Op->getArg(0));
        continue;
      }
    Out.insert(X);
  }
}

const Expr *stripChannelExpr(const Expr *E) {
  while (E) {
    E = E->IgnoreParenImpCasts();
    if (const auto *M = llvm::dyn_cast<MaterializeTemporaryExpr>(E)) {
      E = M->getSubExpr();
    } else if (const auto *B = llvm::dyn_cast<CXXBindTemporaryExpr>(E)) {
      E = B->getSubExpr();
    } else if (const auto *C = llvm::dyn_cast<ExplicitCastExpr>(E)) {
      E = C->getSubExpr();
    } else if (const auto *U = llvm::dyn_cast<UnaryOperator>(E)) {
      if (U->getOpcode() != UO_AddrOf && U->getOpcode() != UO_Deref)
        return E;
      E = U->getSubExpr();
    } else if (const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(E)) {
      // p->..., *p on a smart pointer.
      if ((Op->getOperator() != OO_Arrow && Op->getOperator() != OO_Star) ||
          Op->getNumArgs() != 1)
        return E;
      E = Op->getArg(0);
    } else if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(E)) {
      // p.get() on a smart pointer.
      const CXXMethodDecl *M = MC->getMethodDecl();
      if (!M || !M->getIdentifier() || M->getName() != "get" ||
          MC->getNumArgs() != 0)
        return E;
      E = MC->getImplicitObjectArgument();
    } else if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(E)) {
      // A copy of a shared_ptr, or a reference_wrapper.
      if (CE->getNumArgs() != 1 ||
          !(CE->getConstructor()->isCopyOrMoveConstructor() ||
            CE->getConstructor()->isConvertingConstructor(false)))
        return E;
      E = CE->getArg(0);
    } else if (const auto *Call = llvm::dyn_cast<CallExpr>(E)) {
      // std::ref, std::cref, std::move, std::forward, std::addressof.
      const FunctionDecl *F = Call->getDirectCallee();
      if (!F || !F->getIdentifier() || Call->getNumArgs() != 1 ||
          !F->isInStdNamespace())
        return E;
      llvm::StringRef N = F->getName();
      if (N != "ref" && N != "cref" && N != "move" && N != "forward" &&
          N != "addressof")
        return E;
      E = Call->getArg(0);
    } else {
      return E;
    }
  }
  return E;
}

ChannelFlow::ChannelFlow(ASTContext &Ctx, const ChannelModel &Model,
                         unsigned MaxCallDepth)
    : Ctx(Ctx), Model(Model), MaxCallDepth(MaxCallDepth), Lending(Ctx) {}

ChannelFlow::~ChannelFlow() = default;

ChannelOrigin ChannelFlow::originOf(const Expr *E,
                                    const ParamBindings &Bindings) const {
  E = stripChannelExpr(E);
  if (!E)
    return {};
  if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E)) {
    const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl());
    if (!VD)
      return {};
    if (const auto *P = llvm::dyn_cast<ParmVarDecl>(VD)) {
      auto It = Bindings.find(P);
      if (It != Bindings.end())
        return It->second;
      return {VD};
    }
    // [c = std::ref(ch)] / [p = ptr]: the capture stands for its initializer.
    if (VD->isInitCapture() && VD->getInit())
      return originOf(VD->getInit(), Bindings);
    // `auto *q = static_cast<Chan *>(arg);`, `auto &c = *p;`: an alias
    // stands for what it was initialised with (when that is a channel we
    // can name).
    if ((VD->getType()->isPointerType() || VD->getType()->isReferenceType()) &&
        VD->getInit() && !VD->getType().isConstQualified())
      if (ChannelOrigin O = originOf(VD->getInit(), Bindings))
        return O;
    if (!VD->hasLocalStorage())
      return {}; // a global: anyone may release it.
    // `Chan c = req.stream;`: a copy of a channel handle (a Go-style
    // channel, a shared pointer) is the channel it copies: one we cannot
    // name (anyone may release it), a parameter (its caller's), what a
    // parameter is bound to. (A copy of another local stays itself: its
    // releases are made through its own name.)
    if (const auto *CE = llvm::dyn_cast_or_null<CXXConstructExpr>(
            VD->getInit() ? VD->getInit()->IgnoreImplicit() : nullptr);
        CE && CE->getNumArgs() == 1 &&
        CE->getConstructor()->isCopyOrMoveConstructor()) {
      const Expr *Src = CE->getArg(0)->IgnoreImplicit();
      if (const auto *Call = llvm::dyn_cast<CallExpr>(Src);
          Call && Call->getDirectCallee() &&
          Call->getDirectCallee()->isInStdNamespace() &&
          Call->getDirectCallee()->getIdentifier() &&
          Call->getDirectCallee()->getName() == "move" &&
          Call->getNumArgs() == 1)
        Src = Call->getArg(0)->IgnoreImplicit();
      if (llvm::isa<DeclRefExpr, MemberExpr>(Src)) {
        ChannelOrigin O = originOf(Src, Bindings);
        const VarDecl *OV = O.var();
        if (!O || llvm::isa_and_nonnull<ParmVarDecl>(OV) ||
            (OV && OV->getDeclContext() != VD->getDeclContext()))
          return O;
      }
    }
    return {VD};
  }
  if (const auto *ME = llvm::dyn_cast<MemberExpr>(E)) {
    const auto *FD = llvm::dyn_cast<FieldDecl>(ME->getMemberDecl());
    if (FD && llvm::isa<CXXThisExpr>(ME->getBase()->IgnoreParenImpCasts()))
      return {FD};
  }
  return {};
}

//===----------------------------------------------------------------------===//
// Context side
//===----------------------------------------------------------------------===//

void ChannelFlow::bindTrailing(const FunctionDecl *Body,
                               llvm::ArrayRef<const Expr *> Args,
                               ParamBindings &Out) const {
  unsigned NP = Body->getNumParams();
  if (Args.size() > NP)
    return;
  for (unsigned I = 0; I < Args.size(); ++I) {
    const ParmVarDecl *P = Body->getParamDecl(NP - Args.size() + I);
    if (ChannelOrigin O = argumentOrigin(Args[I], P, NoBindings))
      Out[P] = O;
  }
}

ChannelOrigin ChannelFlow::argumentOrigin(const Expr *Arg, const ParmVarDecl *P,
                                          const ParamBindings &B) const {
  if (ChannelOrigin O = originOf(Arg, B))
    return O;
  // A context handed on (`go worker(ctx)`).
  if (Contexts && Contexts->isContextType(P->getType()))
    return contextOf(Arg, B);
  return {};
}

ChannelOrigin ChannelFlow::contextOf(const Expr *E,
                                     const ParamBindings &Bindings) const {
  if (!Contexts || Contexts->empty())
    return {};
  // A context made by a factory with no parent, or with a fresh background
  // context as its parent: only its own cancels end it.
  auto Root = [&](const CallExpr *Factory) {
    const Expr *Parent =
        Factory->arguments().empty() ? nullptr : Contexts->parentOf(Factory);
    if (!Parent)
      return true;
    const CallExpr *Made = Contexts->factoryCall(Parent);
    return Made && !Contexts->parentOf(Made);
  };
  for (unsigned Depth = 0; E && Depth < 8; ++Depth) {
    E = bareExprThroughCopies(stripChannelExpr(E));
    const VarDecl *VD = nullptr;
    if (const auto *ME = llvm::dyn_cast<MemberExpr>(E)) {
      // `p.first` of `auto p = with_cancel(...)`.
      const auto *Base =
          llvm::dyn_cast<DeclRefExpr>(bareExprThroughCopies(ME->getBase()));
      if (!Base || !Contexts->isContextType(ME->getType()))
        return {};
      VD = llvm::dyn_cast<VarDecl>(Base->getDecl());
    } else if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E)) {
      if (const auto *BD = llvm::dyn_cast<BindingDecl>(DRE->getDecl()))
        VD = llvm::dyn_cast_or_null<VarDecl>(BD->getDecomposedDecl());
      else
        VD = llvm::dyn_cast<VarDecl>(DRE->getDecl());
    }
    if (!VD)
      return {};
    if (const auto *P = llvm::dyn_cast<ParmVarDecl>(VD)) {
      auto It = Bindings.find(P);
      return It != Bindings.end() ? It->second : ChannelOrigin{P};
    }
    if (!VD->hasLocalStorage() || !VD->getInit())
      return {};
    if (const CallExpr *Factory = Contexts->factoryCall(VD->getInit()))
      return Root(Factory) ? ChannelOrigin{VD} : ChannelOrigin{};
    // An init-capture, or a local copy of another context.
    E = VD->getInit();
  }
  return {};
}

const NamedDecl *ChannelFlow::contextName(const VarDecl *V) const {
  if (const auto *DD = llvm::dyn_cast<DecompositionDecl>(V)) {
    for (const BindingDecl *B : DD->bindings())
      if (Contexts && Contexts->isContextType(B->getType()))
        return B;
    if (!DD->bindings().empty())
      return DD->bindings().front();
  }
  return V;
}

struct ChannelFlow::Walker {
  ChannelFlow &Flow;
  const ParamBindings &Bindings;
  llvm::SmallVectorImpl<BlockingChannelUse> &Out;
  llvm::SmallVector<const CallExpr *, 4> &Chain;
  llvm::SmallPtrSetImpl<const FunctionDecl *> &Active;
  unsigned Depth;
  unsigned Loops = 0;
  /// Enclosing loops that only the channel can end: `for (;;)`,
  /// `while (true)`, a condition that receives, a range-for over it.
  unsigned UntilClosedLoops = 0;
  /// Enclosing counted loops: `for (...; ...; ++i)`, a range-for over a
  /// container.
  unsigned CountedLoops = 0;
  llvm::DenseSet<const Expr *> AwaitedHere = {};

  /// The context whose done channel \p Channel is (`ctx.done()`), if any.
  ChannelOrigin doneContext(const Expr *Channel) const {
    const auto *Done = llvm::dyn_cast_or_null<CallExpr>(bareExpr(Channel));
    const Expr *C =
        Done && Flow.Contexts ? Flow.Contexts->doneOf(Done) : nullptr;
    return C ? Flow.contextOf(C, Bindings) : ChannelOrigin();
  }

  void record(const ChannelOp &Op, const Stmt *Where) {
    ChannelOrigin O = Flow.originOf(Op.Channel, Bindings);
    bool Context = false;
    if (!O && Op.Kind == ChannelOpKind::Receive)
      Context = bool(O = doneContext(Op.Channel));
    if (!O)
      return;
    BlockingChannelUse U;
    U.Op = Op;
    U.Where = Where;
    U.Origin = O;
    U.Context = Context;
    fill(U);
    Out.push_back(std::move(U));
  }

  void fill(BlockingChannelUse &U) const {
    U.InLoop = Loops > 0;
    U.UntilClosed = UntilClosedLoops > 0;
    U.Counted = CountedLoops > 0;
    U.CallChain.assign(Chain.begin(), Chain.end());
  }

  /// A select of cases with no default: one use, its cases the arms. Not
  /// in a loop only its channels end (the select-loop check's question),
  /// nor in a counted one; silence when a case's channel cannot be named.
  void recordSelect(const CallExpr *Sel) {
    SelectCaseModel::Arms A = Flow.Cases->armsOf(Sel);
    if (A.Default || A.Others || A.Cases.empty() || UntilClosedLoops ||
        CountedLoops)
      return;
    BlockingChannelUse U;
    bool Receives = false;
    for (const CallExpr *Case : A.Cases) {
      SelectArm Arm;
      Arm.Op = Flow.Cases->caseOp(Case, Flow.Model);
      if (Case->getNumArgs() == 0)
        return;
      if (ChannelOrigin C = doneContext(Case->getArg(0))) {
        if (Arm.Op && Arm.Op.Kind != ChannelOpKind::Receive)
          return;
        Arm.Op.Kind = ChannelOpKind::Receive;
        Arm.Op.Call = Case;
        Arm.Op.Channel = Case->getArg(0);
        Arm.Origin = C;
        Arm.Context = true;
      } else if (Arm.Op) {
        Arm.Origin = Flow.originOf(Arm.Op.Channel, Bindings);
      }
      if (!Arm.Op || !Arm.Origin)
        return;
      Receives |= Arm.Op.Kind == ChannelOpKind::Receive;
      U.Arms.push_back(Arm);
    }
    if (!Receives)
      return;
    if (Loops)
      markExits(Sel, U.Arms);
    U.Op = U.Arms.front().Op;
    U.Op.Kind = ChannelOpKind::Receive;
    U.Origin = U.Arms.front().Origin;
    U.Context = U.Arms.front().Context;
    U.Where = Sel;
    fill(U);
    Out.push_back(std::move(U));
  }

  /// The first parent of \p S that is not an implicit node or parentheses.
  const Stmt *parentOf(const Stmt *S, const Decl **AsDecl = nullptr) const {
    for (unsigned Depth = 0; S && Depth < 64; ++Depth) {
      auto Parents = Flow.Ctx.getParents(*S);
      if (Parents.empty())
        return nullptr;
      if (AsDecl)
        *AsDecl = Parents[0].get<Decl>();
      const Stmt *P = Parents[0].get<Stmt>();
      if (!P || !(llvm::isa<ImplicitCastExpr, ParenExpr, FullExpr,
                            MaterializeTemporaryExpr, CXXBindTemporaryExpr>(P)))
        return P;
      S = P;
    }
    return nullptr;
  }

  /// The innermost loop around \p S in its function; \p BreakLeaves tells
  /// whether a `break` at \p S leaves it (no switch in between).
  const Stmt *enclosingLoop(const Stmt *S, bool &BreakLeaves) const {
    BreakLeaves = true;
    DynTypedNode N = DynTypedNode::create(*S);
    for (unsigned Depth = 0; Depth < 256; ++Depth) {
      auto Parents = Flow.Ctx.getParents(N);
      if (Parents.empty())
        return nullptr;
      N = Parents[0];
      // (A variable's initialiser: on to its declaration statement.)
      if (const auto *VD = N.get<VarDecl>();
          VD && VD->getDeclContext()->isFunctionOrMethod())
        continue;
      S = N.get<Stmt>();
      if (!S || llvm::isa<LambdaExpr>(S))
        return nullptr;
      if (llvm::isa<WhileStmt, ForStmt, DoStmt, CXXForRangeStmt>(S))
        return S;
      if (llvm::isa<SwitchStmt>(S))
        BreakLeaves = false;
    }
    return nullptr;
  }

  /// \p S, run, leaves the loop it is in: a return, throw, goto, a call that
  /// never returns, or (\p BreakLeaves) a break of no inner loop or switch.
  static bool leaves(const Stmt *S, bool BreakLeaves) {
    return !noWayOut(S, /*Nested=*/!BreakLeaves);
  }

  /// Which arms of \p Sel, in a loop, leave the loop when they fire, read
  /// from the tests of its result: `if (select(...) == 0) return;`, a
  /// switch on it, either on a variable it initialises. When the tests
  /// cannot be read, or none leaves (the loop ends some other way), every
  /// arm may.
  void markExits(const CallExpr *Sel, llvm::SmallVectorImpl<SelectArm> &Arms) {
    bool SelBreak = true;
    const Stmt *Loop = enclosingLoop(Sel, SelBreak);
    if (!Loop)
      return;
    unsigned N = Arms.size();
    llvm::SmallVector<bool, 4> Exits(N, false);
    bool Read = true;
    auto Others = [&](std::optional<uint64_t> K) {
      for (unsigned I = 0; I < N; ++I)
        if (!K || I != *K)
          Exits[I] = true;
    };
    auto Constant = [&](const Expr *E) -> std::optional<uint64_t> {
      Expr::EvalResult R;
      if (!E || E->isValueDependent() || !E->EvaluateAsInt(R, Flow.Ctx) ||
          R.Val.getInt().isNegative() || R.Val.getInt().getZExtValue() >= N)
        return std::nullopt;
      return R.Val.getInt().getZExtValue();
    };
    // How the result (the select, or a variable holding it) is tested.
    auto Tested = [&](const Expr *Result) {
      const Stmt *P = parentOf(Result);
      if (const auto *BO = llvm::dyn_cast_or_null<BinaryOperator>(P);
          BO && (BO->getOpcode() == BO_EQ || BO->getOpcode() == BO_NE)) {
        std::optional<uint64_t> K = Constant(BO->getRHS());
        if (!K)
          K = Constant(BO->getLHS());
        const auto *If = llvm::dyn_cast_or_null<IfStmt>(parentOf(BO));
        if (!K || !If || bareExpr(If->getCond()) != BO) {
          Read = false;
          return;
        }
        bool IfBreak = true;
        if (enclosingLoop(If, IfBreak) != Loop) {
          Read = false;
          return;
        }
        bool Then = leaves(If->getThen(), IfBreak);
        bool Else = leaves(If->getElse(), IfBreak);
        if (BO->getOpcode() == BO_NE)
          std::swap(Then, Else);
        if (Then)
          Exits[*K] = true;
        if (Else)
          Others(K);
        return;
      }
      const auto *Switch = llvm::dyn_cast_or_null<SwitchStmt>(P);
      const auto *Body =
          Switch ? llvm::dyn_cast_or_null<CompoundStmt>(Switch->getBody())
                 : nullptr;
      bool SwitchBreak = true;
      if (!Body || enclosingLoop(Switch, SwitchBreak) != Loop) {
        Read = false;
        return;
      }
      // Sections between labels; one that does not end in a jump falls
      // into the next, which then speaks for its labels too.
      llvm::SmallVector<uint64_t, 4> Labels, Listed;
      bool Default = false, Leaves = false, DefaultLeaves = false;
      auto Close = [&] {
        if (Leaves)
          for (uint64_t K : Labels)
            Exits[K] = true;
        DefaultLeaves |= Default && Leaves;
        Labels.clear();
        Default = Leaves = false;
      };
      const Stmt *Last = nullptr;
      for (const Stmt *C : Body->body()) {
        if (llvm::isa<SwitchCase>(C) && Last &&
            llvm::isa<BreakStmt, ContinueStmt, ReturnStmt, CoreturnStmt>(Last))
          Close();
        while (const auto *SC = llvm::dyn_cast_or_null<SwitchCase>(C)) {
          if (const auto *CS = llvm::dyn_cast<CaseStmt>(SC)) {
            std::optional<uint64_t> K = Constant(CS->getLHS());
            if (!K || CS->caseStmtIsGNURange()) {
              Read = false;
              return;
            }
            Labels.push_back(*K);
            Listed.push_back(*K);
          } else {
            Default = true;
          }
          C = SC->getSubStmt();
        }
        Leaves |= leaves(C, false);
        Last = C;
      }
      Close();
      if (DefaultLeaves)
        for (unsigned I = 0; I < N; ++I)
          if (!llvm::is_contained(Listed, I))
            Exits[I] = true;
    };
    const Decl *Holder = nullptr;
    parentOf(Sel, &Holder);
    if (const auto *R = llvm::dyn_cast_or_null<VarDecl>(Holder)) {
      // Every use of the variable in the loop is a test we read.
      walkWithLambdas(Loop, nullptr, [&](const Stmt *S) {
        if (const auto *Ref = llvm::dyn_cast<DeclRefExpr>(S);
            Ref && Ref->getDecl() == R && Read)
          Tested(Ref);
      });
    } else {
      Tested(Sel);
    }
    if (!Read || llvm::none_of(Exits, [](bool E) { return E; }))
      return;
    for (unsigned I = 0; I < N; ++I)
      Arms[I].Exits = Exits[I];
  }

  void visitCall(const CallExpr *Call) {
    if (Flow.Cases && Flow.Cases->isSelect(Call)) {
      recordSelect(Call);
      return;
    }
    if (ChannelOp Op = Flow.Model.classify(Call)) {
      if ((Op.Kind == ChannelOpKind::Receive ||
           Op.Kind == ChannelOpKind::Send) &&
          (!Op.Asynchronous || AwaitedHere.contains(Call)))
        record(Op, Call);
      return;
    }
    if (Depth >= Flow.MaxCallDepth || mayDispatchElsewhere(Call))
      return;
    const FunctionDecl *Callee =
        analysableDefinition(Call->getDirectCallee(), Flow.Ctx);
    if (!Callee || Active.contains(Callee))
      return;
    // Member functions are followed on `this` only: their data members
    // are then the same objects.
    if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call)) {
      const Expr *Obj = MC->getImplicitObjectArgument();
      if (!Obj || !llvm::isa<CXXThisExpr>(Obj->IgnoreParenImpCasts()))
        return;
    } else if (llvm::isa<CXXOperatorCallExpr>(Call) &&
               llvm::isa<CXXMethodDecl>(Callee)) {
      return;
    }
    ParamBindings Inner;
    for (unsigned I = 0, N = std::min<unsigned>(Call->getNumArgs(),
                                                Callee->getNumParams());
         I < N; ++I)
      if (ChannelOrigin O = Flow.argumentOrigin(
              Call->getArg(I), Callee->getParamDecl(I), Bindings))
        Inner[Callee->getParamDecl(I)] = O;
    Chain.push_back(Call);
    Active.insert(Callee);
    Walker W{Flow, Inner, Out, Chain, Active, Depth + 1};
    W.Loops = Loops;
    W.UntilClosedLoops = UntilClosedLoops;
    W.CountedLoops = CountedLoops;
    W.walk(Callee->getBody());
    Active.erase(Callee);
    Chain.pop_back();
  }

  /// One step of walk()'s own stack: visit a statement, enter a range-for's
  /// body (after its range was walked), or leave a loop.
  struct Step {
    enum KindTy { Visit, EnterRangeFor, Leave } Kind;
    const Stmt *S;
    /// For Leave: what entering the loop added to each counter.
    unsigned Loop = 0, UntilClosed = 0, Counted = 0;
  };

  /// Visits \p Root and what it contains, in source order (a call before
  /// its arguments, a loop's counters raised for its body). Keeps its own
  /// stack: a 50,000-term expression nests as deep, and the plugin runs on
  /// clang-tidy's stack. Only calls recurse, to at most MaxCallDepth.
  void walk(const Stmt *Root) {
    llvm::SmallVector<Step, 32> Work{{Step::Visit, Root}};
    auto Leave = [&](unsigned L, unsigned U, unsigned C) {
      Step St{Step::Leave, nullptr};
      St.Loop = L;
      St.UntilClosed = U;
      St.Counted = C;
      Work.push_back(St);
    };
    while (!Work.empty()) {
      Step St = Work.pop_back_val();
      if (St.Kind == Step::Leave) {
        Loops -= St.Loop;
        UntilClosedLoops -= St.UntilClosed;
        CountedLoops -= St.Counted;
        continue;
      }
      const Stmt *S = St.S;
      if (St.Kind == Step::EnterRangeFor) {
        const auto *For = llvm::cast<CXXForRangeStmt>(S);
        ChannelOp Op = Flow.Model.rangeReceive(For);
        if (Op && hasOwnExit(For))
          Op.Kind = ChannelOpKind::Receive; // still a receive...
        bool Until = Op && !hasOwnExit(For); // ...but maybe not until closed
        ++Loops;
        UntilClosedLoops += Until;
        CountedLoops += !Op;
        if (Op)
          record(Op, For);
        Leave(1, Until, !Op);
        Work.push_back({Step::Visit, For->getBody()});
        continue;
      }
      if (!S || llvm::isa<LambdaExpr>(S))
        continue; // a lambda runs elsewhere, or later
      if (const auto *CB = llvm::dyn_cast<CoroutineBodyStmt>(S)) {
        Work.push_back({Step::Visit, CB->getBody()});
        continue;
      }
      if (const auto *Await = llvm::dyn_cast<CoawaitExpr>(S)) {
        if (const Expr *Op = Await->getOperand()) {
          collectAwaited(Op, AwaitedHere);
          Work.push_back({Step::Visit, Op});
        }
        continue;
      }
      if (const auto *Ret = llvm::dyn_cast<CoreturnStmt>(S)) {
        Work.push_back({Step::Visit, Ret->getOperand()});
        continue;
      }
      if (const auto *For = llvm::dyn_cast<CXXForRangeStmt>(S)) {
        Work.push_back({Step::EnterRangeFor, For});
        Work.push_back({Step::Visit, For->getRangeInit()});
        continue;
      }
      bool Loop = llvm::isa<WhileStmt, ForStmt, DoStmt>(S);
      bool UntilClosed = Loop && endsOnlyByChannel(S);
      bool Counted = false;
      if (const auto *F = llvm::dyn_cast<ForStmt>(S))
        Counted = F->getInc() && F->getCond();
      Loops += Loop;
      UntilClosedLoops += UntilClosed;
      CountedLoops += Counted;
      if (const auto *Call = llvm::dyn_cast<CallExpr>(S))
        visitCall(Call);
      if (Loop || UntilClosed || Counted)
        Leave(Loop, UntilClosed, Counted);
      // Children in reverse, so that they are visited left to right.
      size_t First = Work.size();
      for (const Stmt *Child : S->children())
        Work.push_back({Step::Visit, Child});
      std::reverse(Work.begin() + First, Work.end());
    }
  }

  /// A break, return, goto or throw in \p Loop's body that leaves it
  /// (breaks of nested loops and switches, and lambda bodies, do not count).
  bool hasOwnExit(const Stmt *Loop) const {
    const Stmt *Body = nullptr;
    if (const auto *W = llvm::dyn_cast<WhileStmt>(Loop))
      Body = W->getBody();
    else if (const auto *F = llvm::dyn_cast<ForStmt>(Loop))
      Body = F->getBody();
    else if (const auto *D = llvm::dyn_cast<DoStmt>(Loop))
      Body = D->getBody();
    else if (const auto *R = llvm::dyn_cast<CXXForRangeStmt>(Loop))
      Body = R->getBody();
    llvm::SmallVector<std::pair<const Stmt *, bool>, 16> Work{{Body, true}};
    while (!Work.empty()) {
      auto [S, BreakLeaves] = Work.pop_back_val();
      if (!S || llvm::isa<LambdaExpr>(S))
        continue;
      if (llvm::isa<ReturnStmt, CoreturnStmt, GotoStmt, CXXThrowExpr>(S))
        return true;
      if (llvm::isa<BreakStmt>(S) && BreakLeaves)
        return true;
      // `if (ch.pop(v) == closed) break;`: leaving on the channel's own
      // status is leaving when it is closed, not on a sentinel.
      if (const auto *If = llvm::dyn_cast<IfStmt>(S))
        if (receivesIn(If->getCond())) {
          Work.push_back({If->getElse(), BreakLeaves});
          continue;
        }
      bool Inner = llvm::isa<WhileStmt, ForStmt, DoStmt, CXXForRangeStmt,
                             SwitchStmt>(S);
      for (const Stmt *C : S->children())
        Work.push_back({C, BreakLeaves && !Inner});
    }
    return false;
  }

  /// A loop whose condition is absent or always true, or receives: it runs
  /// until the channel is closed. A counted loop (`for (i < n)`) or one on a
  /// flag ends by itself once enough values arrived.
  bool endsOnlyByChannel(const Stmt *Loop) const {
    // `while (auto v = ch.pop())`: the receive is the condition variable's
    // initializer.
    const VarDecl *CondVar = nullptr;
    const Expr *Cond = loopCondition(Loop, &CondVar);
    // A loop with its own way out (`if (v == kStop) break;`) ends on a
    // sentinel or a status: a send can end it.
    if (hasOwnExit(Loop))
      return false;
    if (!Cond)
      return true;
    bool Value = false;
    if (!Cond->isValueDependent() &&
        Cond->EvaluateAsBooleanCondition(Value, Flow.Ctx) && Value)
      return true;
    return receivesIn(Cond) || (CondVar && receivesIn(CondVar->getInit()));
  }

  /// An error code or a channel operation status.
  static bool isStatusType(QualType T) {
    const NamedDecl *D = T.isNull() ? nullptr : T->getAsTagDecl();
    if (!D || !D->getIdentifier())
      return false;
    llvm::StringRef N = D->getName();
    return N == "error_code" || N == "channel_op_status";
  }

  /// \p S contains a receive, or tests an operation's status.
  bool receivesIn(const Stmt *S) const {
    llvm::SmallVector<const Stmt *, 8> Work{S};
    while (!Work.empty()) {
      const Stmt *X = Work.pop_back_val();
      if (const auto *Call = llvm::dyn_cast_or_null<CallExpr>(X))
        if (Flow.Model.classify(Call).Kind == ChannelOpKind::Receive)
          return true;
      // `if (ec) break;` after `auto [ec, v] = co_await
      // ch.async_receive(as_tuple(use_awaitable))`: an operation's status.
      if (const auto *Ref = llvm::dyn_cast_or_null<DeclRefExpr>(X))
        if (isStatusType(Ref->getType()))
          return true;
      if (X && !llvm::isa<LambdaExpr>(X))
        for (const Stmt *C : X->children())
          Work.push_back(C);
    }
    return false;
  }
};

void ChannelFlow::blockingUses(const FunctionDecl *Body,
                               const ParamBindings &Bindings,
                               llvm::SmallVectorImpl<BlockingChannelUse> &Out) {
  if (!Body || !Body->getBody())
    return;
  llvm::SmallVector<const CallExpr *, 4> Chain;
  llvm::SmallPtrSet<const FunctionDecl *, 8> Active;
  Active.insert(Body);
  Walker W{*this, Bindings, Out, Chain, Active, 0};
  W.walk(Body->getBody());
}

//===----------------------------------------------------------------------===//
// Owner side
//===----------------------------------------------------------------------===//

const CFG *ChannelFlow::cfgFor(const FunctionDecl *Fn) {
  auto [It, New] = CFGs.try_emplace(Fn, nullptr);
  if (New) {
    Stmt *Body = Fn->getBody();
    if (auto *CB = llvm::dyn_cast_or_null<CoroutineBodyStmt>(Body))
      Body = CB->getBody();
    if (Body) {
      CFG::BuildOptions Opts;
      Opts.AddImplicitDtors = true;
      Opts.setAllAlwaysAdd();
      std::unique_ptr<CFG> G = CFG::buildCFG(Fn, Body, &Ctx, Opts);
      if (G && G->getNumBlockIDs() <= MaxCFGBlocks)
        It->second = std::move(G);
    }
  }
  return It->second.get();
}

const llvm::DenseSet<const Expr *> &
ChannelFlow::awaitedIn(const FunctionDecl *Fn) {
  auto [It, New] = Awaited.try_emplace(Fn);
  if (New) {
    llvm::SmallVector<const Stmt *, 32> Work{Fn->getBody()};
    while (!Work.empty()) {
      const Stmt *S = Work.pop_back_val();
      if (!S || llvm::isa<LambdaExpr>(S))
        continue;
      if (const auto *A = llvm::dyn_cast<CoawaitExpr>(S)) {
        if (A->getOperand())
          collectAwaited(A->getOperand(), It->second);
        Work.push_back(A->getOperand());
        continue;
      }
      if (const auto *CB = llvm::dyn_cast<CoroutineBodyStmt>(S)) {
        Work.push_back(CB->getBody());
        continue;
      }
      for (const Stmt *C : S->children())
        Work.push_back(C);
    }
  }
  return It->second;
}

bool ChannelFlow::isCertainReceive(const ChannelOp &Op,
                                   const FunctionDecl *Fn) {
  // A timed or non-blocking receive is not in the Receive list at all; an
  // asynchronous one happens only if it is awaited by itself (not as one
  // alternative of `a || b`).
  return !Op.Asynchronous || awaitedIn(Fn).contains(Op.Call);
}

/// True if \p E reads a type through which the channel cannot be closed:
/// `const Chan&`.
static bool isConstChannelRef(QualType ParamType) {
  if (!ParamType->isReferenceType())
    return false;
  QualType Pointee = ParamType->getPointeeType();
  if (!Pointee.isConstQualified() || Pointee->isPointerType())
    return false;
  // A const smart pointer still lets the callee close the channel.
  return !isSmartPointer(Pointee->getAsCXXRecordDecl());
}

/// \p Def stores another channel in what its parameter \p Index refers
/// to (`*out = ch`, `out = ch` for a reference): the caller's variable then
/// names a channel made elsewhere.
static bool assignsThrough(const FunctionDecl *Def, unsigned Index) {
  const ParmVarDecl *P = Def->getParamDecl(Index);
  bool ByRef = P->getType()->isReferenceType();
  if (!ByRef && !P->getType()->isPointerType())
    return false;
  auto IsTarget = [&](const Expr *L) {
    L = L->IgnoreParenImpCasts();
    if (const auto *U = llvm::dyn_cast<UnaryOperator>(L)) {
      if (U->getOpcode() != UO_Deref || ByRef)
        return false;
      L = U->getSubExpr()->IgnoreParenImpCasts();
    } else if (!ByRef) {
      return false;
    }
    const auto *DR = llvm::dyn_cast<DeclRefExpr>(L);
    return DR && DR->getDecl() == P;
  };
  llvm::SmallVector<const Stmt *, 32> Work{Def->getBody()};
  while (!Work.empty()) {
    const Stmt *S = Work.pop_back_val();
    if (!S)
      continue;
    if (const auto *B = llvm::dyn_cast<BinaryOperator>(S))
      if (B->getOpcode() == BO_Assign && IsTarget(B->getLHS()))
        return true;
    if (const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(S))
      if (Op->getOperator() == OO_Equal && Op->getNumArgs() == 2 &&
          IsTarget(Op->getArg(0)))
        return true;
    for (const Stmt *C : S->children())
      Work.push_back(C);
  }
  return false;
}

bool ChannelFlow::repointedBefore(const FunctionDecl *Owner, const VarDecl *V,
                                  const Stmt *Start) {
  const SourceManager &SM = Ctx.getSourceManager();
  bool Found = false;
  llvm::SmallVector<const Stmt *, 32> Work{Owner->getBody()};
  while (!Work.empty() && !Found) {
    const Stmt *S = Work.pop_back_val();
    if (!S)
      continue;
    if (Start &&
        !SM.isBeforeInTranslationUnit(S->getBeginLoc(), Start->getBeginLoc()))
      continue;
    // `v = other` (a channel made elsewhere; a fresh one is made here too).
    const Expr *L = nullptr, *R = nullptr;
    if (const auto *B = llvm::dyn_cast<BinaryOperator>(S);
        B && B->getOpcode() == BO_Assign) {
      L = B->getLHS();
      R = B->getRHS();
    } else if (const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(S);
               Op && Op->getOperator() == OO_Equal && Op->getNumArgs() == 2) {
      L = Op->getArg(0);
      R = Op->getArg(1);
    }
    if (L) {
      const auto *DR = llvm::dyn_cast<DeclRefExpr>(L->IgnoreParenImpCasts());
      const Expr *Value = bareExpr(R);
      if (DR && DR->getDecl() == V && Value &&
          !llvm::isa<CXXConstructExpr, CXXNewExpr, InitListExpr>(Value))
        Found = true;
    }
    // `fill(&v)`, `fill(v)`: an out-parameter the callee stores another
    // channel in.
    if (const auto *Call = llvm::dyn_cast<CallExpr>(S))
      if (const FunctionDecl *Callee = Call->getDirectCallee())
        if (const FunctionDecl *Def = analysableDefinition(Callee, Ctx))
          for (unsigned I = 0,
                        N = std::min(Call->getNumArgs(), Def->getNumParams());
               I < N && !Found; ++I) {
            const Expr *Arg =
                Call->getArg(I + (llvm::isa<CXXOperatorCallExpr>(Call) &&
                                          llvm::isa<CXXMethodDecl>(Callee)
                                      ? 1
                                      : 0));
            if (originOf(Arg, NoBindings).Decl == V && assignsThrough(Def, I))
              Found = true;
          }
    for (const Stmt *C : S->children())
      Work.push_back(C);
  }
  return Found;
}

/// What a cross-TU summary says of a channel parameter, by \p Rules (not
/// both a send and a receive: no fact records that).
/// Of three facts recorded by release rule (close; close or send; close
/// or receive), the one \p Rules asks for.
template <typename T>
static const T &byRule(ReleaseRules Rules, const T &Closes,
                       const T &ClosesOrSends, const T &ClosesOrReceives) {
  return Rules.Send ? ClosesOrSends : Rules.Receive ? ClosesOrReceives : Closes;
}

static bool releasedBy(const crosstu::FunctionSummary::ChannelParam &C,
                       ReleaseRules Rules) {
  return byRule(Rules, C.Closes, C.ClosesOrSends, C.ClosesOrReceives);
}

bool ChannelFlow::passesTo(const Expr *Arg, const VarDecl *V,
                           const FunctionDecl *Callee, unsigned ParamIndex,
                           ReleaseRules Rules) {
  if (originOf(Arg, NoBindings).Decl != V)
    return false;
  const FunctionDecl *Def =
      Callee ? analysableDefinition(Callee, Ctx) : nullptr;
  if (Callee && ParamIndex < Callee->getNumParams() &&
      isConstChannelRef(Callee->getParamDecl(ParamIndex)->getType()))
    return false;
  if (!Def && Callee && !(Rules.Send && Rules.Receive))
    // Defined in another unit: what its summary says, in the CLI's
    // cross-TU pass.
    if (const crosstu::FunctionSummary *S = crosstu::ask(Callee, Ctx))
      if (const auto *C = S->channelParam(ParamIndex))
        return releasedBy(*C, Rules);
  if (!Def || ParamIndex >= Def->getNumParams() || Def->isVariadic())
    return true; // escapes to code we cannot read
  return paramReleasedOnAllPaths(Def, ParamIndex, Rules);
}

void ChannelFlow::unreleasedElsewhere(
    const FunctionDecl *Owner, const VarDecl *V, ReleaseRules Rules,
    llvm::SmallVectorImpl<const CallExpr *> &Out) {
  if (!crosstu::enabled() || (Rules.Send && Rules.Receive))
    return;
  walkOwnCode(Owner->getBody(), [&](const Stmt *S) {
    const auto *Call = llvm::dyn_cast<CallExpr>(S);
    const FunctionDecl *Callee = Call ? Call->getDirectCallee() : nullptr;
    if (!Callee || analysableDefinition(Callee, Ctx) ||
        mayDispatchElsewhere(Call))
      return;
    const crosstu::FunctionSummary *Summary = crosstu::ask(Callee, Ctx);
    if (!Summary)
      return;
    unsigned Offset =
        llvm::isa<CXXOperatorCallExpr>(Call) && llvm::isa<CXXMethodDecl>(Callee)
            ? 1
            : 0;
    for (unsigned I = Offset; I < Call->getNumArgs(); ++I) {
      const auto *C = Summary->channelParam(I - Offset);
      if (C && originOf(Call->getArg(I), NoBindings).Decl == V &&
          !releasedBy(*C, Rules)) {
        Out.push_back(Call);
        return;
      }
    }
  });
  const SourceManager &SM = Ctx.getSourceManager();
  llvm::sort(Out, [&](const CallExpr *A, const CallExpr *B) {
    return SM.isBeforeInTranslationUnit(A->getBeginLoc(), B->getBeginLoc());
  });
}

std::optional<crosstu::FunctionSummary::MemberFacts>
ChannelFlow::memberReleaseFacts(const CXXMethodDecl *Def) {
  if (Def->isStatic() || !Def->doesThisDeclarationHaveABody())
    return std::nullopt;
  std::optional<crosstu::FunctionSummary::MemberFacts> Facts;
  for (const FieldDecl *Field : Def->getParent()->fields()) {
    if (!Model.specForType(Field->getType()))
      continue;
    if (!Facts)
      Facts.emplace();
    std::string Name = Field->getName().str();
    if (mentionsRelease(Def->getBody(), {Field}, NoBindings, {}))
      Facts->Closes.push_back(Name);
    if (mentionsRelease(Def->getBody(), {Field}, NoBindings,
                        {/*Send=*/true, false}))
      Facts->ClosesOrSends.push_back(Name);
    if (mentionsRelease(Def->getBody(), {Field}, NoBindings,
                        {false, /*Receive=*/true}))
      Facts->ClosesOrReceives.push_back(Name);
  }
  if (Facts) {
    llvm::sort(Facts->Closes);
    llvm::sort(Facts->ClosesOrSends);
    llvm::sort(Facts->ClosesOrReceives);
  }
  return Facts;
}

std::vector<crosstu::FunctionSummary::ChannelParam>
ChannelFlow::channelParamFacts(const FunctionDecl *Def) {
  std::vector<crosstu::FunctionSummary::ChannelParam> Facts;
  if (!Def->doesThisDeclarationHaveABody() || Def->isVariadic())
    return Facts;
  for (unsigned I = 0; I < Def->getNumParams(); ++I) {
    QualType T = Def->getParamDecl(I)->getType();
    if (!Model.specForType(T) || isConstChannelRef(T))
      continue;
    Facts.push_back(
        {I, paramReleasedOnAllPaths(Def, I, {}),
         paramReleasedOnAllPaths(Def, I, {/*Send=*/true, false}),
         paramReleasedOnAllPaths(Def, I, {false, /*Receive=*/true})});
  }
  return Facts;
}

bool ChannelFlow::mentionsRelease(const Stmt *Body, ChannelOrigin O,
                                  const ParamBindings &B, ReleaseRules Rules) {
  // Anywhere in the body: a close (or, by the rules, a send/receive) of the
  // channel, or the channel handed on. Conservative: any path will do.
  llvm::SmallVector<const Stmt *, 32> Work{Body};
  while (!Work.empty()) {
    const Stmt *S = Work.pop_back_val();
    if (!S)
      continue;
    if (const auto *L = llvm::dyn_cast<LambdaExpr>(S)) {
      Work.push_back(L->getBody());
      continue;
    }
    if (const auto *For = llvm::dyn_cast<CXXForRangeStmt>(S)) {
      if (ChannelOp Op = Model.rangeReceive(For))
        if (Rules.Receive && originOf(Op.Channel, B) == O)
          return true;
      // Not its implicit begin(ch)/end(ch): they hand the channel nowhere.
      Work.push_back(For->getRangeInit());
      Work.push_back(For->getBody());
      continue;
    }
    if (const auto *Call = llvm::dyn_cast<CallExpr>(S)) {
      if (ChannelOp Op = Model.classify(Call)) {
        if (originOf(Op.Channel, B) == O &&
            ((Op.Kind == ChannelOpKind::Close &&
              !(Rules.Receive && Op.WakesOnlyReceivers)) ||
             ((Op.Kind == ChannelOpKind::Send ||
               Op.Kind == ChannelOpKind::TrySend) &&
              Rules.Send) ||
             (Op.Kind == ChannelOpKind::Receive && Rules.Receive)))
          return true;
      } else {
        for (const Expr *Arg : Call->arguments())
          if (originOf(Arg, B) == O)
            return true; // handed on: assume it may be released
      }
    }
    for (const Stmt *C : S->children())
      Work.push_back(C);
  }
  return false;
}

const ChannelFlow::HelperLambdas &
ChannelFlow::helperLambdasIn(const FunctionDecl *Fn) {
  auto [It, New] = Helpers.try_emplace(Fn);
  if (!New)
    return It->second;
  // Local variables holding a lambda (`auto finish = [&] { ... };`), and
  // how often each is named at all and named only to be called.
  llvm::DenseMap<const VarDecl *, const LambdaExpr *> Candidates;
  llvm::DenseMap<const VarDecl *, std::pair<unsigned, unsigned>> Uses;
  llvm::SmallVector<const Stmt *, 32> Work{Fn->getBody()};
  while (!Work.empty()) {
    const Stmt *S = Work.pop_back_val();
    if (!S)
      continue;
    if (const auto *DS = llvm::dyn_cast<DeclStmt>(S))
      for (const Decl *D : DS->decls())
        if (const auto *VD = llvm::dyn_cast<VarDecl>(D))
          if (VD->getInit())
            if (const auto *L = llvm::dyn_cast<LambdaExpr>(bareExpr(VD->getInit())))
              Candidates[VD] = L;
    if (const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(S))
      if (Op->getOperator() == OO_Call && Op->getNumArgs() > 0)
        if (const auto *Ref = llvm::dyn_cast<DeclRefExpr>(bareExpr(Op->getArg(0))))
          if (const auto *VD = llvm::dyn_cast<VarDecl>(Ref->getDecl()))
            ++Uses[VD].second;
    if (const auto *Ref = llvm::dyn_cast<DeclRefExpr>(S))
      if (const auto *VD = llvm::dyn_cast<VarDecl>(Ref->getDecl()))
        ++Uses[VD].first;
    if (const auto *CB = llvm::dyn_cast<CoroutineBodyStmt>(S)) {
      Work.push_back(CB->getBody());
      continue;
    }
    for (const Stmt *C : S->children())
      Work.push_back(C);
  }
  // Only called, never handed on: a helper that runs where it is called.
  for (auto [VD, L] : Candidates) {
    auto U = Uses.lookup(VD);
    if (U.first == U.second) {
      It->second.ByVar[VD] = L;
      It->second.Exprs.insert(L);
    }
  }
  return It->second;
}

const LambdaExpr *ChannelFlow::calledHelper(const Stmt *S,
                                            const FunctionDecl *Fn) {
  const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(S);
  if (!Op || Op->getOperator() != OO_Call || Op->getNumArgs() == 0)
    return nullptr;
  const auto *Ref = llvm::dyn_cast<DeclRefExpr>(bareExpr(Op->getArg(0)));
  const auto *VD = Ref ? llvm::dyn_cast<VarDecl>(Ref->getDecl()) : nullptr;
  return VD ? helperLambdasIn(Fn).ByVar.lookup(VD) : nullptr;
}

bool ChannelFlow::releases(const Stmt *S, const VarDecl *V, ReleaseRules Rules,
                           const FunctionDecl *Fn) {
  // `finish()` where `auto finish = [&] { ch.close(); ... };`
  if (const LambdaExpr *Helper = calledHelper(S, Fn))
    for (const LambdaCapture &C : Helper->captures())
      if (C.capturesVariable() && C.getCapturedVar() == V)
        return mentionsRelease(Helper->getBody(), {V}, NoBindings, Rules);
  if (const auto *Call = llvm::dyn_cast<CallExpr>(S)) {
    if (ChannelOp Op = Model.classify(Call)) {
      if (originOf(Op.Channel, NoBindings).Decl != V)
        return false;
      switch (Op.Kind) {
      case ChannelOpKind::Close:
        // A blocked sender (Rules.Receive: the send check) is not woken by
        // a close that wakes only receivers.
        return !(Rules.Receive && Op.WakesOnlyReceivers);
      case ChannelOpKind::Send:
      case ChannelOpKind::TrySend:
        return Rules.Send;
      case ChannelOpKind::TryReceive:
        return false; // it may give up
      case ChannelOpKind::Receive:
        return Rules.Receive && isCertainReceive(Op, Fn);
      case ChannelOpKind::None:
        return false;
      }
    }
    const FunctionDecl *Callee = Call->getDirectCallee();
    // An override we cannot see may release it: the channel escapes.
    if (mayDispatchElsewhere(Call))
      Callee = nullptr;
    unsigned Offset = 0;
    if (llvm::isa<CXXOperatorCallExpr>(Call) && Callee &&
        llvm::isa<CXXMethodDecl>(Callee))
      Offset = 1; // argument 0 is the object
    for (unsigned I = Offset; I < Call->getNumArgs(); ++I)
      if (passesTo(Call->getArg(I), V, Callee, I - Offset, Rules))
        return true;
    // A method of the channel's own type that is no operation (size(),
    // is_open()) releases nothing; a method called on something else with
    // the channel as object cannot happen.
    return false;
  }
  if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(S)) {
    if (CE->getConstructor()->isCopyOrMoveConstructor())
      return false; // a copy of a shared_ptr: the channel is still here
    for (unsigned I = 0; I < CE->getNumArgs(); ++I) {
      if (originOf(CE->getArg(I), NoBindings).Decl != V)
        continue;
      // A thread started with the channel (a producer), a guard object:
      // released if the callable or the class can release it.
      const CXXRecordDecl *RD = CE->getConstructor()->getParent();
      if (ResolvedBody Body = resolveCallable(CE->getArg(0)))
        if (I > 0) {
          ParamBindings B;
          bindTrailing(Body.Function,
                       llvm::ArrayRef(CE->getArgs() + 1, CE->getNumArgs() - 1),
                       B);
          if (B.empty())
            return true; // arguments we cannot match: assume it may
          return mentionsRelease(Body.Function->getBody(), {V}, B, Rules);
        }
      if (passesTo(CE->getArg(I), V, CE->getConstructor(), I, Rules))
        return true;
      // A visible constructor that keeps the channel: does its class's
      // destructor close a channel?
      if (destructorCloses(RD, Rules))
        return true;
    }
    return false;
  }
  if (const auto *L = llvm::dyn_cast<LambdaExpr>(S)) {
    if (helperLambdasIn(Fn).Exprs.contains(L))
      return false; // released where it is called
    for (const LambdaCapture &C : L->captures())
      if (C.capturesVariable() && C.getCapturedVar() == V)
        return mentionsRelease(L->getBody(), {V}, NoBindings, Rules);
    return false;
  }
  if (const auto *Ret = llvm::dyn_cast<ReturnStmt>(S))
    return Ret->getRetValue() && originOf(Ret->getRetValue(), NoBindings).Decl == V;
  if (const auto *Ret = llvm::dyn_cast<CoreturnStmt>(S))
    return Ret->getOperand() && originOf(Ret->getOperand(), NoBindings).Decl == V;
  if (const auto *BO = llvm::dyn_cast<BinaryOperator>(S))
    return BO->isAssignmentOp() && originOf(BO->getRHS(), NoBindings).Decl == V;
  if (const auto *DS = llvm::dyn_cast<DeclStmt>(S)) {
    // An alias (`auto &q = jobs;`, `Chan *p = &jobs;`) or a copy of the
    // shared_ptr: the channel can now be released under another name.
    for (const Decl *D : DS->decls())
      if (const auto *Alias = llvm::dyn_cast<VarDecl>(D))
        if (Alias != V && Alias->getInit() &&
            originOf(Alias->getInit(), NoBindings).Decl == V)
          return true;
    return false;
  }
  if (const auto *IL = llvm::dyn_cast<InitListExpr>(S)) {
    for (const Expr *I : IL->inits())
      if (originOf(I, NoBindings).Decl == V)
        return true; // stored in an aggregate
  }
  return false;
}

bool ChannelFlow::destructorCloses(const CXXRecordDecl *RD,
                                   ReleaseRules Rules) {
  const CXXDestructorDecl *D = RD ? RD->getDestructor() : nullptr;
  const FunctionDecl *Def = D ? analysableDefinition(D, Ctx) : nullptr;
  if (!Def)
    return false;
  llvm::SmallVector<const Stmt *, 16> Work{Def->getBody()};
  while (!Work.empty()) {
    const Stmt *X = Work.pop_back_val();
    if (!X)
      continue;
    if (const auto *Call = llvm::dyn_cast<CallExpr>(X))
      if (ChannelOp Op = Model.classify(Call))
        if (Op.Kind == ChannelOpKind::Close &&
            !(Rules.Receive && Op.WakesOnlyReceivers))
          return true;
    for (const Stmt *C : X->children())
      Work.push_back(C);
  }
  return false;
}

bool ChannelFlow::guardReleases(const VarDecl *Guard, const VarDecl *V,
                                ReleaseRules Rules, const FunctionDecl *Fn) {
  // A guard whose construction released the channel (a lambda that closes
  // it, a constructor given the channel whose class's destructor closes
  // one): its destructor is where that happens.
  if (!Guard || !Guard->getInit())
    return false;
  llvm::SmallVector<const Stmt *, 16> Work{Guard->getInit()};
  while (!Work.empty()) {
    const Stmt *S = Work.pop_back_val();
    if (!S)
      continue;
    // The blocked context's own body, started by this object, is no guard.
    if (const auto *L = llvm::dyn_cast<LambdaExpr>(S))
      if (L->getCallOperator() == BlockedBody)
        continue;
    if (llvm::isa<LambdaExpr, CXXConstructExpr>(S) && releases(S, V, Rules, Fn))
      return true;
    // An aggregate guard: `Closer g{jobs};`.
    if (const auto *IL = llvm::dyn_cast<InitListExpr>(S))
      for (const Expr *Init : IL->inits())
        if (originOf(Init, NoBindings).Decl == V &&
            destructorCloses(IL->getType()->getAsCXXRecordDecl(), Rules))
          return true;
    if (llvm::isa<LambdaExpr>(S))
      continue;
    for (const Stmt *C : S->children())
      Work.push_back(C);
  }
  return false;
}

/// The statement that leaves \p B for the exit block, if it is one.
static std::optional<UnreleasedPath> exitOf(const CFGBlock &B,
                                            const FunctionDecl *Fn) {
  for (auto It = B.rbegin(); It != B.rend(); ++It) {
    auto S = It->getAs<CFGStmt>();
    if (!S)
      continue;
    const Stmt *St = S->getStmt();
    if (llvm::isa<ReturnStmt>(St))
      return UnreleasedPath{UnreleasedPath::Return, St->getBeginLoc()};
    if (llvm::isa<CoreturnStmt>(St))
      return UnreleasedPath{UnreleasedPath::CoReturn, St->getBeginLoc()};
    if (llvm::isa<CXXThrowExpr>(St))
      return UnreleasedPath{UnreleasedPath::Throw, St->getBeginLoc()};
  }
  return std::nullopt;
}

/// \p Test asks a channel whether it is closed (`ch.is_closed()`,
/// `ch.closed()`, `ch->isClosed()`) or open (`ch.is_open()`): the channel
/// as written, and whether the test is true when the channel is closed.
struct ClosedQuery {
  const Expr *Channel;
  bool TrueWhenClosed;
  /// A close of this channel leaves blocked senders waiting.
  bool WakesOnlyReceivers;
};
static std::optional<ClosedQuery> closedQuery(const Expr *Test,
                                              const ChannelModel &Model) {
  const auto *Call =
      llvm::dyn_cast<CXXMemberCallExpr>(Test->IgnoreParenImpCasts());
  const CXXMethodDecl *M = Call ? Call->getMethodDecl() : nullptr;
  if (!M || !M->getIdentifier() || M->getNumParams() != 0 ||
      !M->getReturnType()->isBooleanType())
    return std::nullopt;
  std::string Name = M->getName().lower();
  Name.erase(std::remove(Name.begin(), Name.end(), '_'), Name.end());
  bool Closed = Name == "closed" || Name == "isclosed";
  if (!Closed && Name != "isopen")
    return std::nullopt;
  const Expr *Object = Call->getImplicitObjectArgument();
  const ChannelSpec *Spec = Model.specForRecord(M->getParent());
  if (!Object || !Spec)
    return std::nullopt;
  return ClosedQuery{Object, Closed, !Spec->WakesOnlyReceivers.empty()};
}

/// \p B ends in a call that never returns: the process (or thread) ends
/// there, and nothing is left blocked.
static bool endsInNoReturn(const CFGBlock &B) {
  for (auto It = B.rbegin(); It != B.rend(); ++It)
    if (auto S = It->getAs<CFGStmt>()) {
      if (const auto *Call = llvm::dyn_cast<CallExpr>(S->getStmt()))
        if (const FunctionDecl *F = Call->getDirectCallee())
          return F->isNoReturn();
      return false;
    }
  return false;
}

bool ChannelFlow::neverReturns(const FunctionDecl *Fn) {
  if (Fn && Fn->isNoReturn())
    return true;
  Fn = definitionWithBody(Fn);
  if (!Fn)
    return false;
  auto [It, New] = NeverReturnsCache.try_emplace(Fn, false);
  if (!New)
    return It->second;
  const CFG *G = cfgFor(Fn);
  if (!G)
    return false;
  // Can the exit be reached other than through a call that never returns?
  // (A throw reaches it too: the thread then ends, through std::terminate.)
  llvm::SmallVector<const CFGBlock *, 32> Work{&G->getEntry()};
  llvm::SmallPtrSet<const CFGBlock *, 32> Seen{&G->getEntry()};
  bool Returns = false;
  while (!Work.empty() && !Returns) {
    const CFGBlock *B = Work.pop_back_val();
    if (B == &G->getExit()) {
      Returns = true;
      break;
    }
    if (B->hasNoReturnElement())
      continue;
    for (const CFGBlock *Succ : B->succs())
      if (Succ && Seen.insert(Succ).second)
        Work.push_back(Succ);
  }
  return NeverReturnsCache[Fn] = !Returns;
}

bool ChannelFlow::joinNeverReturns(const Stmt *S, const FunctionDecl *Owner) {
  const auto *Join = llvm::dyn_cast<CXXMemberCallExpr>(S);
  const CXXMethodDecl *M = Join ? Join->getMethodDecl() : nullptr;
  if (!M || !M->getIdentifier() || M->getName() != "join" ||
      Join->getNumArgs() != 0)
    return false;
  static const NameList ThreadTypes =
      NameList::parse(defaults::ContextTypes);
  if (!ThreadTypes.contains(M->getParent()))
    return false;
  llvm::SmallVector<SpawnSite, 2> Sites =
      findThreadStarts(Join->getImplicitObjectArgument(), Owner,
                       Join->getBeginLoc(), ThreadTypes, Ctx);
  // One handle, one thread: every start it may hold must never return.
  if (Sites.empty())
    return false;
  for (const SpawnSite &Site : Sites) {
    if (Site.FromContainer)
      return false;
    const FunctionDecl *Fn = nullptr;
    if (ResolvedBody Body = resolveCallable(Site.Callable))
      Fn = Body.Function;
    // A function declared [[noreturn]] whose body is elsewhere.
    else if (const Expr *E = Site.Callable->IgnoreParenImpCasts()) {
      if (const auto *UO = llvm::dyn_cast<UnaryOperator>(E))
        if (UO->getOpcode() == UO_AddrOf)
          E = UO->getSubExpr()->IgnoreParenImpCasts();
      if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E))
        Fn = llvm::dyn_cast<FunctionDecl>(DRE->getDecl());
    }
    if (!Fn || !neverReturns(Fn))
      return false;
  }
  return true;
}

/// \p Outer's text holds all of \p Inner's (both valid).
static bool encloses(SourceRange Outer, SourceRange Inner,
                     const SourceManager &SM) {
  return Outer.isValid() && Inner.isValid() &&
         !SM.isBeforeInTranslationUnit(Inner.getBegin(), Outer.getBegin()) &&
         !SM.isBeforeInTranslationUnit(Outer.getEnd(), Inner.getEnd());
}

std::optional<UnreleasedPath>
ChannelFlow::findUnreleasedPath(const FunctionDecl *Owner, const Stmt *From,
                                llvm::ArrayRef<Watched> Channels,
                                const FunctionDecl *Body) {
  const CFG *G = cfgFor(Owner);
  if (!G)
    return std::nullopt;
  // Find the element that starts the context: the spawn expression itself,
  // else the innermost element that contains it.
  const CFGBlock *StartBlock = nullptr;
  unsigned StartIndex = 0;
  SourceRange FromRange = From ? From->getSourceRange() : SourceRange();
  const SourceManager &SM = Ctx.getSourceManager();
  for (const CFGBlock *B : *G) {
    unsigned I = 0;
    for (const CFGElement &E : *B) {
      ++I;
      auto S = E.getAs<CFGStmt>();
      if (!S)
        continue;
      if (S->getStmt() == From) {
        StartBlock = B;
        StartIndex = I;
        break;
      }
    }
    if (StartBlock)
      break;
  }
  if (!StartBlock && From) {
    for (const CFGBlock *B : *G) {
      unsigned I = 0;
      for (const CFGElement &E : *B) {
        ++I;
        auto S = E.getAs<CFGStmt>();
        if (!S)
          continue;
        if (encloses(S->getStmt()->getSourceRange(), FromRange, SM)) {
          StartBlock = B;
          StartIndex = I;
        }
      }
      if (StartBlock)
        break;
    }
  }
  if (!StartBlock)
    return std::nullopt;
  for (const Watched &W : Channels)
    if (W.Context ? cancelledByAnotherContext(Owner, W.V, Body)
                  : releasedByAnotherContext(Owner, W.V, Body, W.Rules))
      return std::nullopt;
  BlockedBody = Body;
  if (releasedOnTheWay(Owner, StartBlock, StartIndex, From, Body, Channels))
    return std::nullopt;
  // What reaching the spawn says: inside `for (i = 0; i < n; ++i)`, n > 0,
  // so a later `if (n == 0) return;` is not a path from it.
  PathFacts Facts = PathFacts::at(From, Owner, Ctx);
  return search(Owner, *G, StartBlock, StartIndex, Channels,
                Facts.empty() ? nullptr : &Facts);
}

bool ChannelFlow::releasedOnTheWay(const FunctionDecl *Owner,
                                   const CFGBlock *StartBlock,
                                   unsigned StartIndex, const Stmt *From,
                                   const FunctionDecl *Body,
                                   llvm::ArrayRef<Watched> Channels) {
  // The code that may run before the start: the blocks that reach it, and
  // the start's own block up to it. A close there stays (a closed channel
  // wakes every later receiver); a channel handed on there may be released
  // by the code it went to at any later time (gatekeeper#2708: the cert
  // rotator, registered with the manager before the controllers' goroutine
  // starts, closes the channel it waits on).
  // Not the start itself, nor another start of the same body (two
  // consumers of one channel: `std::thread a(consume, std::ref(ch))`
  // hands it to nothing else).
  llvm::SmallVector<SourceRange, 2> Starts;
  bool StartsKnown = false;
  auto FindStarts = [&] {
    StartsKnown = true;
    if (From)
      Starts.push_back(From->getSourceRange());
    walkPruned(Owner->getBody(), [&](const Stmt *S) {
      if (llvm::isa<LambdaExpr>(S))
        return false;
      llvm::ArrayRef<const Expr *> Args;
      if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(S))
        Args = llvm::ArrayRef(CE->getArgs(), CE->getNumArgs());
      else if (const auto *Call = llvm::dyn_cast<CallExpr>(S))
        Args = llvm::ArrayRef(Call->getArgs(), Call->getNumArgs());
      if (llvm::any_of(Args, [&](const Expr *A) {
            return resolveCallable(A).Function == Body;
          }))
        Starts.push_back(S->getSourceRange());
      return true;
    });
  };
  const SourceManager &SM = Ctx.getSourceManager();
  auto PartOfStart = [&](const Stmt *S) {
    if (!StartsKnown)
      FindStarts();
    return llvm::any_of(Starts, [&](SourceRange Start) {
      return encloses(Start, S->getSourceRange(), SM);
    });
  };
  llvm::DenseSet<const CFGBlock *> Seen;
  llvm::SmallVector<std::pair<const CFGBlock *, unsigned>, 16> Work{
      {StartBlock, StartIndex - 1}};
  // Backwards from the start, up to where the channel is made: a channel
  // declared in a loop is a new one each round, which the last round's
  // code did not release (moby#33781's `results`).
  auto Declares = [&](const Stmt *S) {
    const auto *DS = llvm::dyn_cast<DeclStmt>(S);
    return DS && llvm::any_of(DS->decls(), [&](const Decl *D) {
             return llvm::any_of(Channels,
                                 [&](const Watched &W) { return W.V == D; });
           });
  };
  while (!Work.empty()) {
    auto [B, Upto] = Work.pop_back_val();
    bool Made = false;
    for (unsigned I = std::min<unsigned>(Upto, B->size()); I-- > 0 && !Made;) {
      auto CS = (*B)[I].getAs<CFGStmt>();
      if (!CS)
        continue;
      if (Declares(CS->getStmt())) {
        Made = true;
        break;
      }
      if (llvm::any_of(Channels,
                       [&](const Watched &W) {
                         return releases(CS->getStmt(), W, Owner);
                       }) &&
          !PartOfStart(CS->getStmt()))
        return true;
    }
    if (Made)
      continue;
    for (const CFGBlock *Pred : B->preds())
      if (Pred && Seen.insert(Pred).second)
        Work.push_back({Pred, Pred->size()});
  }
  return false;
}

bool ChannelFlow::releasedSomewhere(const FunctionDecl *Owner,
                                    llvm::ArrayRef<Watched> Channels) {
  bool Found = false;
  walkPruned(Owner->getBody(), [&](const Stmt *S) {
    if (Found || llvm::isa<LambdaExpr>(S))
      return false; // (another context's: asked apart)
    Found = llvm::any_of(
        Channels, [&](const Watched &W) { return releases(S, W, Owner); });
    return !Found;
  });
  return Found;
}

std::optional<UnreleasedPath>
ChannelFlow::findSkippingPath(const FunctionDecl *Closer,
                              const VarDecl *Channel, ReleaseRules Rules) {
  const CFG *G = cfgFor(Closer);
  if (!G)
    return std::nullopt;
  BlockedBody = nullptr;
  return search(Closer, *G, &G->getEntry(), 0, {{Channel, Rules}});
}

using Branch = RaceBranch;

/// An if or ?: decides between its two successors by a truth value (a
/// switch's two successors are cases, not true and false).
static bool isTwoWayTest(const CFGBlock &B) {
  return llvm::isa_and_nonnull<IfStmt, ConditionalOperator,
                               BinaryConditionalOperator>(B.getTerminatorStmt());
}

std::optional<IndexTest> indexTest(const CFGBlock &B, const ASTContext &Ctx) {
  if (!isTwoWayTest(B))
    return std::nullopt;
  const Stmt *Cond = B.getTerminatorCondition();
  const auto *E = llvm::dyn_cast_or_null<Expr>(Cond);
  if (!E)
    return std::nullopt;
  E = E->IgnoreParenImpCasts();
  IndexTest T;
  const Expr *Call = E;
  T.OnTrue = Branch::IsNot; // `if (r.index())`: != 0
  if (const auto *BO = llvm::dyn_cast<BinaryOperator>(E)) {
    if (BO->getOpcode() != BO_EQ && BO->getOpcode() != BO_NE)
      return std::nullopt;
    const Expr *L = BO->getLHS()->IgnoreParenImpCasts();
    const Expr *R = BO->getRHS()->IgnoreParenImpCasts();
    Expr::EvalResult V;
    if (R->EvaluateAsInt(V, Ctx))
      Call = L;
    else if (L->EvaluateAsInt(V, Ctx))
      Call = R;
    else
      return std::nullopt;
    T.K = V.Val.getInt().getLimitedValue();
    T.OnTrue = BO->getOpcode() == BO_EQ ? Branch::Is : Branch::IsNot;
  }
  // A Go-style select's result tested where it is made
  // (`if (select(...) == 0)`): the caller says whether it is its select.
  if (const auto *Sel = llvm::dyn_cast<CallExpr>(bareExpr(Call));
      Sel && !llvm::isa<CXXMemberCallExpr>(Sel)) {
    T.Select = Sel;
    return T;
  }
  // A Go-style select's result: the index itself (`if (fired == 0)`).
  if (const auto *Ref = llvm::dyn_cast<DeclRefExpr>(Call))
    if (const auto *V = llvm::dyn_cast<VarDecl>(Ref->getDecl());
        V && V->getType()->isIntegerType()) {
      T.Result = V;
      return T;
    }
  const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call);
  if (!MC || !MC->getMethodDecl() || !MC->getMethodDecl()->getIdentifier() ||
      MC->getMethodDecl()->getName() != "index")
    return std::nullopt;
  const auto *Ref = llvm::dyn_cast<DeclRefExpr>(
      MC->getImplicitObjectArgument()->IgnoreParenImpCasts());
  if (!Ref || !(T.Result = llvm::dyn_cast<VarDecl>(Ref->getDecl())))
    return std::nullopt;
  return T;
}

/// Whether the true branch of \p B's condition is the one where the timed
/// receive \p Call received: `if (q.try_pop(v))`, `if (!ch.try_receive(f))`,
/// `if (ch.pop_wait_for(v, t) == channel_op_status::timeout)`.
static std::optional<bool> receivedOnTrue(const CFGBlock &B,
                                          const CallExpr *Call) {
  if (!isTwoWayTest(B))
    return std::nullopt;
  const auto *Cond = llvm::dyn_cast_or_null<Expr>(B.getTerminatorCondition());
  if (!Cond)
    return std::nullopt;
  Cond = bareExpr(Cond)->IgnoreParenImpCasts();
  if (Cond == Call)
    return true;
  if (const auto *U = llvm::dyn_cast<UnaryOperator>(Cond))
    if (U->getOpcode() == UO_LNot &&
        bareExpr(U->getSubExpr())->IgnoreParenImpCasts() == Call)
      return false;
  const Expr *L = nullptr, *R = nullptr;
  bool Equal = true;
  if (const auto *BO = llvm::dyn_cast<BinaryOperator>(Cond)) {
    if (BO->getOpcode() != BO_EQ && BO->getOpcode() != BO_NE)
      return std::nullopt;
    L = BO->getLHS();
    R = BO->getRHS();
    Equal = BO->getOpcode() == BO_EQ;
  } else if (const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(Cond)) {
    if ((Op->getOperator() != OO_EqualEqual &&
         Op->getOperator() != OO_ExclaimEqual) ||
        Op->getNumArgs() != 2)
      return std::nullopt;
    L = Op->getArg(0);
    R = Op->getArg(1);
    Equal = Op->getOperator() == OO_EqualEqual;
  } else {
    return std::nullopt;
  }
  L = bareExpr(L)->IgnoreParenImpCasts();
  R = bareExpr(R)->IgnoreParenImpCasts();
  if (R == Call)
    std::swap(L, R);
  if (L != Call)
    return std::nullopt;
  const auto *Ref = llvm::dyn_cast<DeclRefExpr>(R);
  const auto *Enumerator =
      Ref ? llvm::dyn_cast<EnumConstantDecl>(Ref->getDecl()) : nullptr;
  if (!Enumerator || !Enumerator->getIdentifier())
    return std::nullopt;
  bool Success = Enumerator->getName() == "success";
  return Equal == Success;
}

/// Flattens `a || b || c` (Asio's awaitable operators) into its
/// alternatives, left to right, as the result variant orders them. Keeps
/// its own stack, as collectAwaited does.
void raceAlternatives(const Expr *E,
                      llvm::SmallVectorImpl<const Expr *> &Out) {
  llvm::SmallVector<const Expr *, 8> Work{E};
  while (!Work.empty()) {
    const Expr *X = bareExpr(Work.pop_back_val());
    if (const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(X))
      if (Op->getOperator() == OO_PipePipe && Op->getNumArgs() == 2) {
        Work.push_back(Op->getArg(1));
        Work.push_back(Op->getArg(0));
        continue;
      }
    Out.push_back(X);
  }
}

const llvm::DenseMap<const CallExpr *, ChannelFlow::RaceInfo> &
ChannelFlow::racesIn(const FunctionDecl *Fn) {
  auto [It, New] = Races.try_emplace(Fn);
  if (!New)
    return It->second;
  llvm::SmallVector<const Stmt *, 32> Work{Fn->getBody()};
  llvm::SmallPtrSet<const CallExpr *, 4> DroppedSelects;
  while (!Work.empty()) {
    const Stmt *S = Work.pop_back_val();
    if (!S || llvm::isa<LambdaExpr>(S))
      continue;
    if (const auto *CB = llvm::dyn_cast<CoroutineBodyStmt>(S)) {
      Work.push_back(CB->getBody());
      continue;
    }
    // A Go-style select's receive cases race its other cases, decided by
    // its integer result (`int fired = select(...)`; `if (fired == 1)`,
    // `switch (select(...))`). One whose result is dropped tells nothing:
    // its case is no receive on any path.
    if (const auto *CS = llvm::dyn_cast<CompoundStmt>(S))
      for (const Stmt *Child : CS->body())
        if (const auto *E = llvm::dyn_cast<Expr>(Child))
          if (const auto *Sel = llvm::dyn_cast<CallExpr>(bareExpr(E)))
            DroppedSelects.insert(Sel);
    auto SelectRace = [&](const Expr *E, const VarDecl *R) {
      const auto *Sel = llvm::dyn_cast_or_null<CallExpr>(bareExpr(E));
      if (!Cases || !Sel || !Cases->isSelect(Sel) ||
          DroppedSelects.contains(Sel))
        return;
      for (unsigned I = 0; I < Sel->getNumArgs(); ++I)
        if (const auto *Case =
                llvm::dyn_cast<CallExpr>(bareExpr(Sel->getArg(I))))
          if (Cases->caseKind(Case) == SelectCaseModel::CaseKind::Receive) {
            RaceInfo RI{R, I, Sel->getNumArgs()};
            RI.Select = Sel;
            It->second.try_emplace(Case, RI);
          }
    };
    if (const auto *E = llvm::dyn_cast<Expr>(S))
      SelectRace(E, nullptr);
    if (const auto *DS = llvm::dyn_cast<DeclStmt>(S))
      for (const Decl *D : DS->decls())
        if (const auto *R = llvm::dyn_cast<VarDecl>(D))
          if (const Expr *Init = R->getInit()) {
            SelectRace(Init, R);
            if (const auto *A =
                    llvm::dyn_cast<CoawaitExpr>(bareExpr(Init))) {
              llvm::SmallVector<const Expr *, 4> Alts;
              raceAlternatives(A->getOperand(), Alts);
              if (Alts.size() >= 2)
                for (unsigned I = 0; I < Alts.size(); ++I)
                  if (const auto *Call = llvm::dyn_cast<CallExpr>(Alts[I]))
                    It->second[Call] = {R, I, (unsigned)Alts.size()};
            }
          }
    if (const auto *A = llvm::dyn_cast<CoawaitExpr>(S)) {
      // `co_await (a || b);` whose result nobody keeps: a race nobody
      // inspects (a declared result was registered above).
      llvm::SmallVector<const Expr *, 4> Alts;
      if (A->getOperand())
        raceAlternatives(A->getOperand(), Alts);
      if (Alts.size() >= 2)
        for (unsigned I = 0; I < Alts.size(); ++I)
          if (const auto *Call = llvm::dyn_cast<CallExpr>(Alts[I]))
            It->second.try_emplace(Call, RaceInfo{nullptr, I, (unsigned)Alts.size()});
      Work.push_back(A->getOperand());
      continue;
    }
    // make_parallel_group(ch.async_receive(deferred), timer.async_wait(...))
    // races its operations too; which one completed is in the result's
    // `order` array, which we do not follow: such a race stays pending, and
    // a pending race counts as received (silence).
    if (const auto *Call = llvm::dyn_cast<CallExpr>(S))
      if (const FunctionDecl *F = Call->getDirectCallee())
        if (F->getIdentifier() && F->getName() == "make_parallel_group")
          for (const Expr *Arg : Call->arguments())
            if (const auto *Op = llvm::dyn_cast<CallExpr>(bareExpr(Arg)))
              It->second[Op] = {nullptr, 0, Call->getNumArgs()};
    if (const auto *Call = llvm::dyn_cast<CallExpr>(S))
      if (Model.classify(Call).Kind == ChannelOpKind::TryReceive)
        It->second[Call] = {nullptr, 0, 0, Call};
    for (const Stmt *C : S->children())
      Work.push_back(C);
  }
  return It->second;
}

std::optional<UnreleasedPath>
ChannelFlow::search(const FunctionDecl *Owner, const CFG &Graph,
                    const CFGBlock *StartBlock, unsigned StartIndex,
                    llvm::ArrayRef<Watched> Channels, const PathFacts *Facts) {
  // A receive that is one alternative of a race (`co_await (recv || timer)`)
  // may not have happened: the path carries it as pending until a branch on
  // the race's result (`r.index() == 1`) tells which alternative won. A
  // pending race nobody inspects counts as a receive (silence).
  struct State {
    const CFGBlock *Block;
    unsigned First;
    const RaceInfo *Race;
  };
  static const llvm::DenseMap<const CallExpr *, RaceInfo> NoRaces;
  auto Watches = [&](const VarDecl *V) {
    return llvm::any_of(Channels, [&](const Watched &W) { return W.V == V; });
  };
  bool Receives =
      llvm::any_of(Channels, [](const Watched &W) { return W.Rules.Receive; });
  const auto &RaceCalls = Receives ? racesIn(Owner) : NoRaces;
  llvm::DenseSet<std::pair<const CFGBlock *, const RaceInfo *>> Seen;
  llvm::SmallVector<State, 32> Work;
  Work.push_back({StartBlock, StartIndex, nullptr});
  const CFGBlock &Exit = Graph.getExit();
  while (!Work.empty()) {
    State St = Work.pop_back_val();
    const CFGBlock *B = St.Block;
    const RaceInfo *Race = St.Race;
    bool Released = false, Stuck = false;
    std::optional<UnreleasedPath> Ended;
    unsigned I = 0;
    for (const CFGElement &E : *B) {
      if (I++ < St.First)
        continue;
      if (auto D = E.getAs<CFGAutomaticObjDtor>()) {
        const VarDecl *Dying = D->getVarDecl();
        bool Own = Watches(Dying);
        if (!Own && llvm::any_of(Channels, [&](const Watched &W) {
              return !W.Context && guardReleases(Dying, W.V, W.Rules, Owner);
            })) {
          Released = true;
          break;
        }
        if (Own) {
          // A context whose class's own destructor may cancel it.
          if (const CXXRecordDecl *RD =
                  Contexts ? Contexts->contextClassIn(Dying->getType())
                           : nullptr;
              RD && RD->hasUserDeclaredDestructor()) {
            Released = true;
            break;
          }
          // The channel dies here, unreleased. Report the return that
          // ends its scope, if there is one.
          Ended = exitOf(*B, Owner);
          if (!Ended) {
            SourceLocation L = D->getTriggerStmt()->getEndLoc();
            Ended = UnreleasedPath{UnreleasedPath::ScopeEnd, L, Dying};
          }
          break;
        }
        continue;
      }
      auto S = E.getAs<CFGStmt>();
      if (!S)
        continue;
      const Stmt *St2 = S->getStmt();
      if (!RaceCalls.empty())
        if (const auto *Call = llvm::dyn_cast<CallExpr>(St2)) {
          auto R = RaceCalls.find(Call);
          if (R != RaceCalls.end()) {
            ChannelOp Op = Model.classify(Call);
            if (!Op && Cases)
              Op = Cases->caseOp(Call, Model); // a select's receive case
            const auto *V = originOf(Op.Channel, NoBindings).var();
            if ((Op.Kind == ChannelOpKind::Receive ||
                 Op.Kind == ChannelOpKind::TryReceive) &&
                llvm::any_of(Channels, [&](const Watched &W) {
                  return W.V == V && W.Rules.Receive;
                })) {
              Race = &R->second;
              continue;
            }
          }
        }
      if (llvm::any_of(Channels, [&](const Watched &W) {
            return releases(St2, W, Owner);
          })) {
        Released = true;
        break;
      }
      // Joining a thread that never returns: nothing after it runs, so no
      // path through it can be a witness.
      if (joinNeverReturns(St2, Owner)) {
        Stuck = true;
        break;
      }
      if (llvm::isa<CoreturnStmt>(St2)) {
        Ended = UnreleasedPath{UnreleasedPath::CoReturn, St2->getBeginLoc()};
        break;
      }
    }
    if (Released || Stuck)
      continue;
    if (Ended) {
      if (Race)
        continue; // nobody looked which alternative won
      return Ended;
    }
    if (endsInNoReturn(*B))
      continue;
    std::optional<IndexTest> Test;
    std::optional<bool> TimedOnTrue;
    if (Race && B->succ_size() == 2) {
      if (Race->TimedCall)
        TimedOnTrue = receivedOnTrue(*B, Race->TimedCall);
      else if ((Test = indexTest(*B, Ctx)) &&
               !(Test->Result ? Test->Result == Race->Result
                              : Test->Select && Test->Select == Race->Select))
        Test.reset();
    }
    // A switch on a select's result: each case label says which case
    // fired (a label whose value cannot be read may be any).
    const SwitchStmt *Switch = nullptr;
    llvm::DenseMap<const SwitchCase *, std::optional<uint64_t>> Labels;
    if (Race && Race->Select)
      if (const auto *Sw =
              llvm::dyn_cast_or_null<SwitchStmt>(B->getTerminatorStmt())) {
        const Expr *On = bareExpr(Sw->getCond());
        const auto *Ref = llvm::dyn_cast<DeclRefExpr>(On);
        if (On == Race->Select ||
            (Race->Result && Ref && Ref->getDecl() == Race->Result)) {
          Switch = Sw;
          for (const SwitchCase *SC = Sw->getSwitchCaseList(); SC;
               SC = SC->getNextSwitchCase())
            if (const auto *CS = llvm::dyn_cast<CaseStmt>(SC)) {
              Expr::EvalResult V;
              Labels[CS] = CS->getLHS()->EvaluateAsInt(V, Ctx)
                               ? std::optional(V.Val.getInt().getLimitedValue())
                               : std::nullopt;
            }
        }
      }
    auto Listed = [&](uint64_t K) {
      return llvm::any_of(
          Labels, [&](const auto &L) { return !L.second || *L.second == K; });
    };
    // A branch the facts at the start decide has one way.
    std::optional<bool> Decided;
    if (Facts && B->succ_size() == 2)
      if (const auto *Cond =
              llvm::dyn_cast_or_null<Expr>(B->getTerminatorCondition()))
        Decided = Facts->decide(Cond);
    // `if (ch.is_closed()) return;`: on the way where a watched channel is
    // closed, it is released.
    const Expr *TwoWay =
        B->succ_size() == 2
            ? llvm::dyn_cast_or_null<Expr>(B->getTerminatorCondition())
            : nullptr;
    auto ClosedOn = [&](bool Value) {
      bool Closed = false;
      forEachImpliedTest(TwoWay, Value, [&](const Expr *T, bool TV) {
        if (auto Q = closedQuery(T, Model); Q && Q->TrueWhenClosed == TV) {
          const VarDecl *V = originOf(Q->Channel, NoBindings).var();
          // A blocked sender (Rules.Receive) may outlive a close.
          Closed |= llvm::any_of(Channels, [&](const Watched &W) {
            return V && W.V == V && !W.Context &&
                   !(W.Rules.Receive && Q->WakesOnlyReceivers);
          });
        }
      });
      return Closed;
    };
    unsigned SuccIndex = 0;
    for (const CFGBlock *Succ : B->succs()) {
      bool IsTrue = SuccIndex++ == 0;
      if (!Succ || (Decided && IsTrue != *Decided))
        continue;
      if (TwoWay && ClosedOn(IsTrue))
        continue;
      const RaceInfo *Next = Race;
      if (TimedOnTrue) {
        if (IsTrue == *TimedOnTrue)
          continue; // the timed receive received on this branch
        Next = nullptr;
      }
      if (Switch) {
        // The alternative fired on this way: its label, or no label of
        // its index (the default, or past the switch).
        std::optional<bool> Won;
        if (const auto *CS =
                llvm::dyn_cast_or_null<CaseStmt>(Succ->getLabel())) {
          if (std::optional<uint64_t> K = Labels.lookup(CS))
            Won = *K == Race->Alternative;
        } else {
          // Past a switch with a label for every case: no way.
          bool All = !llvm::isa_and_nonnull<DefaultStmt>(Succ->getLabel());
          for (unsigned K = 0; All && K < Race->Count; ++K)
            All = Listed(K);
          if (All)
            continue;
          Won = !Listed(Race->Alternative);
        }
        if (Won) {
          if (*Won)
            continue; // the receive happened on this branch
          Next = nullptr;
        }
      }
      if (Test) {
        Branch Br = Test->OnTrue;
        if (!IsTrue)
          Br = Br == Branch::Is ? Branch::IsNot : Branch::Is;
        bool Won;
        if (Br == Branch::Is)
          Won = Test->K == Race->Alternative;
        else if (Test->K == Race->Alternative)
          Won = false;
        else if (Race->Count == 2)
          Won = true;
        else
          goto Keep;
        if (Won)
          continue; // the receive happened on this branch
        Next = nullptr;
      }
    Keep:
      if (Succ == &Exit) {
        if (Next)
          continue;
        // The exception may match none of the handlers of a try: we assume
        // the handlers were written for what is thrown.
        if (llvm::isa_and_nonnull<CXXTryStmt>(B->getTerminatorStmt()))
          continue;
        if (auto P = exitOf(*B, Owner))
          return P;
        SourceLocation End = Owner->getBody()->getEndLoc();
        return UnreleasedPath{UnreleasedPath::FallOff, End};
      }
      if (Seen.insert({Succ, Next}).second)
        Work.push_back({Succ, 0, Next});
    }
  }
  return std::nullopt;
}

bool ChannelFlow::namesContext(const Expr *E, const VarDecl *V,
                               bool &Cancel) const {
  E = bareExprThroughCopies(stripChannelExpr(E));
  if (!E)
    return false;
  // The context (`ctx`), its cancel function (`cancel`, `p.second`), or
  // both (`p`).
  if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E)) {
    const ValueDecl *D = DRE->getDecl();
    if (const auto *BD = llvm::dyn_cast<BindingDecl>(D)) {
      if (BD->getDecomposedDecl() != V)
        return false;
      Cancel = !Contexts->isContextType(BD->getType());
      return true;
    }
    if (D == V) {
      Cancel = !Contexts->isContextType(V->getType());
      return true;
    }
  }
  if (const auto *ME = llvm::dyn_cast<MemberExpr>(E))
    if (const auto *Base =
            llvm::dyn_cast<DeclRefExpr>(bareExprThroughCopies(ME->getBase()));
        Base && Base->getDecl() == V) {
      Cancel = !Contexts->isContextType(ME->getType());
      return true;
    }
  Cancel = false;
  return contextOf(E, NoBindings).Decl == V;
}

bool ChannelFlow::mentionsCancel(const Stmt *Body, const VarDecl *V) const {
  bool Found = false;
  walkWithLambdas(Body, nullptr, [&](const Stmt *S) {
    const auto *Call = llvm::dyn_cast<CallExpr>(S);
    if (Found || !Call)
      return;
    const Expr *Callee = nullptr;
    if (const Expr *C = Contexts->cancelledBy(Call))
      Found = !V || contextOf(C, NoBindings).Decl == V;
    else if (const VarDecl *Made = Contexts->cancelFunctionCall(
                 Call, Callee, [](const VarDecl *) { return true; }))
      Found = !V || Made == V;
  });
  return Found;
}

bool ChannelFlow::cancels(const Stmt *S, const VarDecl *V,
                          const FunctionDecl *Fn) {
  bool Cancel = false;
  // Code that may cancel the context it is handed: a callee (or a
  // callable) whose body we cannot read, or one that cancels a context; none
  // when no context type has a Cancel member (Go's: only the cancel
  // function cancels).
  auto MayCancel = [&](const FunctionDecl *Callee) {
    if (!Contexts->hasCancelMembers())
      return false;
    const FunctionDecl *Def =
        Callee ? analysableDefinition(Callee, Ctx) : nullptr;
    return !Def || mentionsCancel(Def->getBody(), nullptr);
  };
  if (const auto *Call = llvm::dyn_cast<CallExpr>(S)) {
    const Expr *Callee = nullptr;
    if (const Expr *C = Contexts->cancelledBy(Call))
      return contextOf(C, NoBindings).Decl == V;
    if (const VarDecl *Made = Contexts->cancelFunctionCall(
            Call, Callee, [](const VarDecl *) { return true; }))
      return Made == V;
    // `finish()` where `auto finish = [&] { cancel(); ... };`
    if (const LambdaExpr *Helper = calledHelper(Call, Fn))
      return mentionsCancel(Helper->getBody(), V);
    const FunctionDecl *Target =
        mayDispatchElsewhere(Call) ? nullptr : Call->getDirectCallee();
    for (const Expr *Arg : Call->arguments())
      if (namesContext(Arg, V, Cancel) && (Cancel || MayCancel(Target)))
        return true;
    return false;
  }
  if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(S)) {
    if (CE->getConstructor()->isCopyOrMoveConstructor())
      return false;
    const FunctionDecl *Target = CE->getConstructor();
    if (CE->getNumArgs() > 0)
      if (ResolvedBody Body = resolveCallable(CE->getArg(0)))
        Target = Body.Function; // a context started on it
    for (const Expr *Arg : CE->arguments())
      if (namesContext(Arg, V, Cancel) && (Cancel || MayCancel(Target)))
        return true;
    return false;
  }
  if (const auto *L = llvm::dyn_cast<LambdaExpr>(S)) {
    if (helperLambdasIn(Fn).Exprs.contains(L))
      return false; // cancels where it is called
    for (const LambdaCapture &C : L->captures()) {
      const auto *Captured = C.capturesVariable()
                                 ? llvm::dyn_cast<ValueDecl>(C.getCapturedVar())
                                 : nullptr;
      const auto *BD = llvm::dyn_cast_or_null<BindingDecl>(Captured);
      if (Captured == V || (BD && BD->getDecomposedDecl() == V))
        return mentionsCancel(L->getBody(), V);
    }
    return false;
  }
  const Expr *Out = nullptr;
  if (const auto *Ret = llvm::dyn_cast<ReturnStmt>(S))
    Out = Ret->getRetValue();
  else if (const auto *Ret = llvm::dyn_cast<CoreturnStmt>(S))
    Out = Ret->getOperand();
  else if (const auto *BO = llvm::dyn_cast<BinaryOperator>(S))
    Out = BO->isAssignmentOp() ? BO->getRHS() : nullptr;
  // Returned, stored elsewhere, copied into an aggregate: its cancel may
  // come from there.
  if (Out)
    return namesContext(Out, V, Cancel);
  if (const auto *IL = llvm::dyn_cast<InitListExpr>(S))
    return llvm::any_of(
        IL->inits(), [&](const Expr *I) { return namesContext(I, V, Cancel); });
  if (const auto *DS = llvm::dyn_cast<DeclStmt>(S))
    for (const Decl *D : DS->decls())
      if (const auto *Alias = llvm::dyn_cast<VarDecl>(D))
        if (Alias != V && Alias->getInit() &&
            namesContext(Alias->getInit(), V, Cancel) && Cancel)
          return true; // a copy of the cancel function
  return false;
}

bool ChannelFlow::cancelledByAnotherContext(const FunctionDecl *Owner,
                                            const VarDecl *V,
                                            const FunctionDecl *Body) {
  // Another lambda of the owner (a second worker, a callback) that cancels
  // it: it runs in an order the owner's CFG does not show.
  bool Found = false;
  walkWithLambdas(Owner->getBody(), Body, [&](const Stmt *S) {
    const auto *L = llvm::dyn_cast<LambdaExpr>(S);
    if (!Found && L && L->getCallOperator() != Body &&
        !helperLambdasIn(Owner).Exprs.contains(L))
      Found = mentionsCancel(L->getBody(), V);
  });
  return Found;
}

bool ChannelFlow::releasedByAnotherContext(const FunctionDecl *Owner,
                                           const VarDecl *V,
                                           const FunctionDecl *Body,
                                           ReleaseRules Rules) {
  // Another lambda of the owner that captures the channel and closes it (a
  // producer thread started before the consumer, a callback): it runs
  // concurrently, in an order the owner's CFG does not show.
  llvm::SmallVector<const Stmt *, 32> Work{Owner->getBody()};
  while (!Work.empty()) {
    const Stmt *S = Work.pop_back_val();
    if (!S)
      continue;
    if (const auto *L = llvm::dyn_cast<LambdaExpr>(S)) {
      if (L->getCallOperator() != Body &&
          !helperLambdasIn(Owner).Exprs.contains(L))
        for (const LambdaCapture &C : L->captures())
          if (C.capturesVariable() && C.getCapturedVar() == V &&
              mentionsRelease(L->getBody(), {V}, NoBindings, Rules))
            return true;
      continue;
    }
    if (const auto *CB = llvm::dyn_cast<CoroutineBodyStmt>(S)) {
      Work.push_back(CB->getBody());
      continue;
    }
    // A context started on a function with the channel as an argument
    // (`fiber f(&producer, std::ref(ch))`) that releases it.
    llvm::ArrayRef<const Expr *> Args;
    if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(S))
      Args = llvm::ArrayRef(CE->getArgs(), CE->getNumArgs());
    else if (const auto *Call = llvm::dyn_cast<CallExpr>(S))
      Args = llvm::ArrayRef(Call->getArgs(), Call->getNumArgs());
    for (unsigned I = 0; I < Args.size(); ++I) {
      if (llvm::isa<LambdaExpr>(bareExpr(Args[I])))
        continue; // seen as a lambda
      ResolvedBody Callee = resolveCallable(Args[I]);
      if (!Callee || Callee.Function == Body)
        continue;
      ParamBindings B;
      bindTrailing(Callee.Function, Args.drop_front(I + 1), B);
      if (llvm::any_of(B, [&](const auto &P) { return P.second.Decl == V; }) &&
          mentionsRelease(Callee.Function->getBody(), {V}, B, Rules))
        return true;
    }
    for (const Stmt *C : S->children())
      Work.push_back(C);
  }
  return false;
}

bool ChannelFlow::paramReleasedOnAllPaths(const FunctionDecl *Fn,
                                          unsigned Index, ReleaseRules Rules) {
  unsigned Key = Index * 4 + Rules.key();
  auto It = Summaries.find({Fn, Key});
  if (It != Summaries.end())
    return It->second;
  if (InProgress.contains(Fn) || InProgress.size() > 64)
    return true; // recursion, or too deep: assume it may (silence)
  InProgress.insert(Fn);
  const ParmVarDecl *P = Fn->getParamDecl(Index);
  bool Result;
  const CFG *G = cfgFor(Fn);
  if (!G) {
    Result = true;
  } else {
    // From the entry: every path must release the parameter.
    Result = !search(Fn, *G, &G->getEntry(), 0, {{P, Rules}});
  }
  InProgress.erase(Fn);
  Summaries[{Fn, Key}] = Result;
  return Result;
}

bool ChannelFlow::memberMayBeReleased(const FieldDecl *Field,
                                      ReleaseRules Rules) {
  std::pair<const FieldDecl *, unsigned> Key{Field, Rules.key()};
  auto [It, New] = MemberCache.try_emplace(Key, true);
  if (!New)
    return It->second;
  const auto *RD = llvm::dyn_cast<CXXRecordDecl>(Field->getParent());
  if (!RD || Field->getAccess() == AS_public || RD->hasFriends())
    return true;
  bool AllVisible = true, Any = false;
  for (const Decl *D : RD->decls()) {
    const auto *M = llvm::dyn_cast<CXXMethodDecl>(D);
    if (const auto *T = llvm::dyn_cast<FunctionTemplateDecl>(D))
      M = llvm::dyn_cast<CXXMethodDecl>(T->getTemplatedDecl());
    if (!M || M->isImplicit() || M->isDeleted() || M->isDefaulted())
      continue;
    const FunctionDecl *Def = definitionWithBody(M);
    if (!Def) {
      // Defined in another unit: what its summary says, in the CLI's
      // cross-TU pass (every such function is asked about in the first).
      const crosstu::FunctionSummary *S =
          Rules.Send && Rules.Receive ? nullptr : crosstu::ask(M, Ctx);
      if (S && S->Members) {
        const crosstu::FunctionSummary::MemberFacts &F = *S->Members;
        if (llvm::is_contained(
                byRule(Rules, F.Closes, F.ClosesOrSends, F.ClosesOrReceives),
                Field->getName()))
          Any = true;
        continue;
      }
      AllVisible = false;
      if (!crosstu::enabled())
        break;
      continue;
    }
    if (mentionsRelease(Def->getBody(), {Field}, NoBindings, Rules))
      Any = true;
    if (const auto *Ctor = llvm::dyn_cast<CXXConstructorDecl>(Def))
      for (const CXXCtorInitializer *Init : Ctor->inits())
        if (Init->isWritten() &&
            mentionsRelease(Init->getInit(), {Field}, NoBindings, Rules))
          Any = true;
  }
  bool May = !AllVisible || Any || lendersMayRelease(Field, Rules);
  It = MemberCache.find(Key);
  It->second = May;
  return May;
}

bool ChannelFlow::lendersMayRelease(const FieldDecl *Field,
                                    ReleaseRules Rules) {
  llvm::SmallVector<const Expr *, 4> Args;
  switch (Lending.lendersOf(Field, Args)) {
  case MemberLenders::Own:
    return false;
  case MemberLenders::Unknown:
    return true;
  case MemberLenders::Lent:
    break;
  }
  for (const Expr *Arg : Args) {
    ChannelOrigin O = originOf(Arg, NoBindings);
    if (const FieldDecl *Lent = O.field()) {
      if (memberMayBeReleased(Lent, Rules))
        return true;
    } else if (const VarDecl *V = O.var()) {
      const auto *Fn = llvm::dyn_cast<FunctionDecl>(V->getDeclContext());
      if (llvm::isa<ParmVarDecl>(V) || !Fn || !Fn->getBody() ||
          mentionsRelease(Fn->getBody(), {V}, NoBindings, Rules))
        return true;
    } else {
      return true;
    }
  }
  Lenders[Field] = Args.front();
  return false;
}

} // namespace clang::tidy::threadleak
