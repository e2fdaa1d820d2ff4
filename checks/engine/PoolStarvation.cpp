//===--- PoolStarvation.cpp - a pool's task waiting on its own pool -------===//

#include "engine/PoolStarvation.h"
#include "engine/StmtWalk.h"
#include "model/FutureModel.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/AST/StmtCXX.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"
#include "llvm/ADT/SmallPtrSet.h"
#include <functional>
#include <optional>

namespace clang::tidy::threadleak {

namespace {

/// How deep the code of a task is followed, and how far a value is traced
/// back through arguments.
constexpr unsigned MaxFrames = 6;
constexpr unsigned MaxValueDepth = 6;

/// A place a submit is called: the pool, the object, the task.
struct SubmitSite {
  const CallExpr *Call = nullptr;
  /// The project's pool, or null for a library executor (Library).
  const ThreadPoolClass *Pool = nullptr;
  const CXXRecordDecl *Library = nullptr;
  /// The pool object as written (`pool_`, `*pool`, `ioc`).
  const Expr *Object = nullptr;
  const CodeUnit *In = nullptr;
  /// The task's code (a lambda), or null.
  const CodeUnit *Task = nullptr;
};

/// One step into a task's code: the unit, and the call (in the previous
/// frame) that runs it.
struct Frame {
  const CodeUnit *U;
  const CallExpr *Call;
};

/// What a count can be: between Min and Max; Source is where the largest
/// value is written.
struct Range {
  uint64_t Min = 0, Max = 0;
  const Expr *Source = nullptr;
};

/// Calls in \p Body, not in the lambdas written there.
template <typename Fn> void forEachCall(const Stmt *Body, Fn &&Visit) {
  walkOwnCode(Body, [&](const Stmt *S) {
    if (const auto *C = llvm::dyn_cast<CallExpr>(S))
      Visit(C);
  });
}

/// The variable or data member of `this` a pool object expression names
/// (`pool`, `*pool_`, `pool_->`, `this->pool_`), or null.
const ValueDecl *poolDecl(const Expr *Obj) {
  const Expr *E = bareExpr(Obj);
  for (unsigned I = 0; E && I < 4; ++I) {
    if (const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(E)) {
      if ((Op->getOperator() == OO_Arrow || Op->getOperator() == OO_Star) &&
          Op->getNumArgs() >= 1) {
        E = bareExpr(Op->getArg(0));
        continue;
      }
      return nullptr;
    }
    if (const auto *U = llvm::dyn_cast<UnaryOperator>(E)) {
      if (U->getOpcode() != UO_Deref)
        return nullptr;
      E = bareExpr(U->getSubExpr());
      continue;
    }
    break;
  }
  if (!E)
    return nullptr;
  if (const auto *DR = llvm::dyn_cast<DeclRefExpr>(E))
    return llvm::dyn_cast<VarDecl>(DR->getDecl());
  if (const auto *ME = llvm::dyn_cast<MemberExpr>(E))
    if (llvm::isa<CXXThisExpr>(ME->getBase()->IgnoreParenImpCasts()))
      return llvm::dyn_cast<FieldDecl>(ME->getMemberDecl());
  return nullptr;
}

/// The statement's enclosing loop's bound, and whether there is one:
/// `for (...; i < n; ...)` gives n; other loops give null.
std::optional<const Expr *> enclosingLoopBound(const Stmt *S, const Stmt *Body,
                                               ASTContext &Ctx) {
  const Stmt *Cur = S;
  for (unsigned Steps = 0; Cur && Cur != Body && Steps < 64; ++Steps) {
    DynTypedNodeList Ps = Ctx.getParents(*Cur);
    const Stmt *P = Ps.empty() ? nullptr : Ps[0].get<Stmt>();
    if (!P || llvm::isa<LambdaExpr>(P))
      return std::nullopt;
    if (const auto *F = llvm::dyn_cast<ForStmt>(P)) {
      if (F->getBody() == Cur) {
        const auto *B = llvm::dyn_cast_or_null<BinaryOperator>(
            F->getCond() ? F->getCond()->IgnoreParenImpCasts() : nullptr);
        if (B && B->getOpcode() == BO_LT)
          return bareExpr(B->getRHS());
        return nullptr;
      }
    } else if (llvm::isa<WhileStmt, DoStmt, CXXForRangeStmt>(P)) {
      return nullptr;
    }
    Cur = P;
  }
  return std::nullopt;
}

/// The lambda a task argument holds: written there, converted to a
/// std::function (or another task type), or a local initialised with one.
const LambdaExpr *taskLambda(const Expr *E) {
  for (unsigned I = 0; E && I < 6; ++I) {
    E = bareExprThroughCopies(E);
    if (const auto *L = llvm::dyn_cast_or_null<LambdaExpr>(E))
      return L;
    if (const auto *C = llvm::dyn_cast_or_null<CXXConstructExpr>(E)) {
      if (C->getNumArgs() < 1 || !ThreadPoolModel::isTaskType(C->getType()))
        return nullptr;
      E = C->getArg(0);
      continue;
    }
    if (const auto *Cast = llvm::dyn_cast_or_null<CXXFunctionalCastExpr>(E)) {
      E = Cast->getSubExpr();
      continue;
    }
    if (const auto *DR = llvm::dyn_cast_or_null<DeclRefExpr>(E)) {
      const auto *V = llvm::dyn_cast<VarDecl>(DR->getDecl());
      if (!V || !V->hasLocalStorage() || !V->getInit())
        return nullptr;
      E = V->getInit();
      continue;
    }
    return nullptr;
  }
  return nullptr;
}

/// An Asio execution context whose handlers run on the threads that run it:
/// io_context (io_service), thread_pool.
const CXXRecordDecl *asioContext(QualType T) {
  const CXXRecordDecl *RD = recordOf(T);
  if (!RD || !RD->getIdentifier())
    return nullptr;
  std::string N = plainQualifiedName(RD);
  for (const char *Name :
       {"boost::asio::io_context", "asio::io_context",
        "boost::asio::io_service", "asio::io_service",
        "boost::asio::thread_pool", "asio::thread_pool", "boost::asio::strand",
        "asio::strand", "boost::asio::io_context::strand",
        "asio::io_context::strand", "boost::asio::io_service::strand",
        "asio::io_service::strand"})
    if (N == Name)
      return RD;
  return nullptr;
}

bool isAsioThreadPool(const CXXRecordDecl *RD) {
  return RD && RD->getName() == "thread_pool";
}

/// A strand runs one of its handlers at a time, whatever runs its context.
bool isAsioStrand(const CXXRecordDecl *RD) {
  return RD && RD->getName() == "strand";
}

/// `asio::post(ctx, f)`, `asio::defer(ctx.get_executor(), f)`,
/// `ctx.post(f)`: a handler queued on an Asio context (dispatch may run it
/// at once: not one). The context object and the handler.
const CXXRecordDecl *asioSubmit(const CallExpr *C, const Expr **Object,
                                const Expr **Task) {
  const FunctionDecl *FD = C->getDirectCallee();
  if (!FD || !FD->getIdentifier() ||
      (FD->getName() != "post" && FD->getName() != "defer"))
    return nullptr;
  const Expr *Ctx = nullptr;
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(C)) {
    if (C->getNumArgs() != 1)
      return nullptr;
    Ctx = MC->getImplicitObjectArgument();
    *Task = C->getArg(0);
  } else {
    std::string N = plainQualifiedName(FD);
    if ((N != "boost::asio::post" && N != "asio::post" &&
         N != "boost::asio::defer" && N != "asio::defer") ||
        C->getNumArgs() < 2)
      return nullptr;
    Ctx = C->getArg(0);
    *Task = C->getArg(1);
  }
  // An executor taken from the context: `ctx.get_executor()`.
  if (const auto *Get =
          llvm::dyn_cast_or_null<CXXMemberCallExpr>(bareExpr(Ctx)))
    if (Get->getMethodDecl() && Get->getMethodDecl()->getIdentifier() &&
        Get->getMethodDecl()->getName() == "get_executor")
      Ctx = Get->getImplicitObjectArgument();
  const CXXRecordDecl *RD = asioContext(bareExpr(Ctx)->getType());
  if (RD)
    *Object = Ctx;
  return RD;
}

/// The argument a call or construction \p Site (of \p Fn) gives its
/// parameter \p Index, or null.
const Expr *argumentAt(const Expr *Site, const FunctionDecl *Fn,
                       unsigned Index) {
  if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(Site))
    return Index < CE->getNumArgs() ? CE->getArg(Index) : nullptr;
  return argumentFor(llvm::cast<CallExpr>(Site), Fn, Index);
}

std::string describe(const NamedDecl *D) {
  return D ? D->getQualifiedNameAsString() : std::string("?");
}

} // namespace

class PoolStarvation::Impl {
public:
  Impl(ASTContext &Ctx, const SyncInventory &Inv, const ThreadPoolModel &Pools)
      : Ctx(Ctx), Inv(Inv), Pools(Pools) {}

  std::vector<BlockingFinding> run();
  void dump(llvm::raw_ostream &OS) const;

private:
  void collectSites();
  void explore(const SubmitSite &Outer, std::vector<Frame> &Frames);
  void waitsIn(const SubmitSite &Outer, const std::vector<Frame> &Frames);
  /// The submit sites a future names: where its value comes from (in the
  /// terms of frame \p At).
  void originsOf(const Expr *E, const std::vector<Frame> &Frames, unsigned At,
                 llvm::SmallVectorImpl<std::pair<unsigned, unsigned>> &Out,
                 unsigned Depth);
  /// Every unit of \p Partners runs only in tasks that the waiting code
  /// (\p Frames) queues on \p Outer's pool: one such site and its frame.
  std::optional<std::pair<unsigned, unsigned>>
  queuedHere(llvm::ArrayRef<const CodeUnit *> Partners, const SubmitSite &Outer,
             const std::vector<Frame> &Frames);
  /// The promise whose future \p E is (`p.get_future()`, a local made
  /// from one), or null.
  const ValueDecl *promiseOf(const Expr *E, unsigned Depth = 0);
  /// The submit sites whose tasks are the only code that runs \p U, but
  /// for calls made by the waiting code itself (\p Frames: they run before
  /// its wait, and cannot end it).
  bool runOnlyBy(const CodeUnit *U, const std::vector<Frame> &Frames,
                 llvm::SmallVectorImpl<unsigned> &Sites, unsigned Depth);
  /// Site \p Inner, reached in frame \p At, queues on the pool \p Outer
  /// queues the task on.
  bool samePool(const SubmitSite &Outer, unsigned Inner,
                const std::vector<Frame> &Frames, unsigned At) {
    return Sites[Inner].Pool == Outer.Pool &&
           Sites[Inner].Library == Outer.Library &&
           sameObject(Outer, Sites[Inner].Object, Frames, At);
  }
  /// \p Object (a pool object expression in frame \p At) is the pool
  /// \p Outer queues the task on.
  bool sameObject(const SubmitSite &Outer, const Expr *Object,
                  const std::vector<Frame> &Frames, unsigned At);
  /// A member of the pool that waits until no task is left (queued or
  /// running), or null; its wait in \p Wait.
  bool drains(const ThreadPoolClass &P, const CodeUnit *U,
              const CallExpr **Wait);
  void index();
  /// A constructor's parameters bound to one construction's arguments.
  using Bindings = llvm::DenseMap<const ParmVarDecl *, const Expr *>;
  std::optional<Range> valueOf(const Expr *E, unsigned Depth,
                               const Bindings *B = nullptr);
  /// How many workers the pool object \p Object (the pool's variable or
  /// data member) runs: at most Max.
  std::optional<Range> workers(const ThreadPoolClass &P,
                               const ValueDecl *Object,
                               const Expr **Start = nullptr);
  std::optional<Range> workersOf(const ThreadPoolClass &P, const Bindings *B,
                                 const Expr **Start);
  /// Where \p D's pool object is made (constructions, std::make_unique),
  /// followed through references, parameters and data members; false if
  /// some of it cannot be followed.
  bool madeAt(const ValueDecl *D, llvm::SmallVectorImpl<const Expr *> &Out,
              unsigned Depth);
  uint64_t timesAtLeast(const SubmitSite &S);
  static const ValueDecl *outerPool(const SubmitSite &S) {
    return poolDecl(S.Object);
  }
  static const CXXRecordDecl *classOf(const SubmitSite &S) {
    return S.Pool ? S.Pool->Class : S.Library;
  }
  /// The worker count of the pool or context \p S queues on.
  std::optional<Range> workersAt(const SubmitSite &S,
                                 const Expr **Start = nullptr);
  std::optional<Range> countWorkers(const SubmitSite &S, const Expr **Start);
  /// The units that set \p Promise (set_value, set_exception), from one
  /// walk of the translation unit.
  llvm::ArrayRef<const CodeUnit *> settersOf(const ValueDecl *Promise);
  /// Per submit site, its pool's worker count and where the workers start.
  llvm::DenseMap<const CallExpr *,
                 std::pair<std::optional<Range>, const Expr *>>
      WorkersOf;
  bool SettersIndexed = false;
  llvm::DenseMap<const ValueDecl *, llvm::SmallVector<const CodeUnit *, 2>>
      Setters;
  /// The threads that run the Asio context \p D (`ctx.run()` in main, or
  /// in a lambda a thread is started on, once or in a counted loop).
  std::optional<Range> runners(const ValueDecl *D, const Expr **Start);
  /// \p A and \p B name one object: the same name, or both made at the
  /// same one place.
  bool sameMade(const ValueDecl *A, const ValueDecl *B) {
    if (!A || !B)
      return false;
    if (A == B)
      return true;
    llvm::SmallVector<const Expr *, 2> MA, MB;
    return madeAt(A, MA, 0) && madeAt(B, MB, 0) && MA.size() == 1 &&
           MB.size() == 1 && MA.front() == MB.front();
  }
  bool onlyOneObject(const CXXRecordDecl *RD);
  const FunctionDecl *enclosingFunction(const Stmt *S) const;

  void report(const SubmitSite &Outer, const std::vector<Frame> &Frames,
              unsigned WaitFrame, const CallExpr *Wait, unsigned InnerSite,
              unsigned InnerFrame, const ValueDecl *CondVar);

  ASTContext &Ctx;
  const SyncInventory &Inv;
  const ThreadPoolModel &Pools;
  std::vector<SubmitSite> Sites;
  llvm::DenseMap<const CallExpr *, unsigned> SiteOf;
  llvm::DenseMap<const LambdaExpr *, const CodeUnit *> LambdaUnits;
  llvm::DenseMap<const CodeUnit *, llvm::SmallVector<unsigned, 1>> SitesOfTask;

  /// A wait found in a task's code, with what it waits for.
  struct Candidate {
    unsigned Outer;
    std::vector<Frame> Frames;
    unsigned WaitFrame;
    const CallExpr *Wait;
    unsigned Inner, InnerFrame;
    const ValueDecl *CondVar;
  };
  std::vector<Candidate> Candidates;
  unsigned CurrentOuter = 0;

  // Where functions are called and objects made (built on first need).
  bool Indexed = false;
  llvm::DenseMap<const FunctionDecl *, llvm::SmallVector<const Expr *, 2>>
      CallsTo;
  llvm::DenseMap<const CXXRecordDecl *, llvm::SmallVector<const Expr *, 2>>
      Makes;
  llvm::DenseMap<
      const FieldDecl *,
      llvm::SmallVector<std::pair<const Expr *, const FunctionDecl *>, 2>>
      FieldWrites;
  llvm::DenseMap<const VarDecl *, llvm::SmallVector<const Expr *, 2>> VarWrites;
  llvm::SmallPtrSet<const Stmt *, 8> Reported;
  std::vector<BlockingFinding> Findings;
};

void PoolStarvation::Impl::collectSites() {
  for (const auto &U : Inv.units())
    if (U->Lambda)
      LambdaUnits[U->Lambda] = U.get();
  for (const auto &U : Inv.units()) {
    forEachCall(U->Body, [&](const CallExpr *C) {
      const Expr *Task = nullptr, *Object = nullptr;
      const ThreadPoolClass *P = Pools.submitOf(C, &Task);
      const CXXRecordDecl *Library =
          P ? nullptr : asioSubmit(C, &Object, &Task);
      if (!P && !Library)
        return;
      SubmitSite S;
      S.Call = C;
      S.Pool = P;
      S.Library = Library;
      S.Object =
          P ? llvm::cast<CXXMemberCallExpr>(C)->getImplicitObjectArgument()
            : Object;
      S.In = U.get();
      if (const LambdaExpr *L = taskLambda(Task))
        S.Task = LambdaUnits.lookup(L);
      SiteOf[C] = Sites.size();
      if (S.Task)
        SitesOfTask[S.Task].push_back(Sites.size());
      Sites.push_back(S);
    });
  }
}

std::vector<BlockingFinding> PoolStarvation::Impl::run() {
  collectSites();
  for (unsigned I = 0; I < Sites.size(); ++I) {
    if (!Sites[I].Task)
      continue;
    CurrentOuter = I;
    std::vector<Frame> Frames{{Sites[I].Task, Sites[I].Call}};
    explore(Sites[I], Frames);
  }
  // How many tasks that wait on their own pool can run at once, per pool
  // class: each outer site once, or its loop's count.
  // (Per pool object: where it is made, when that is one place; else the
  // name it is reached by.)
  auto ObjectOf = [&](const SubmitSite &S) -> const void * {
    llvm::SmallVector<const Expr *, 2> Made;
    const ValueDecl *D = outerPool(S);
    if (D && madeAt(D, Made, 0) && Made.size() == 1)
      return Made.front();
    return D ? static_cast<const void *>(D) : classOf(S);
  };
  llvm::DenseMap<const void *, uint64_t> Waiting;
  llvm::SmallPtrSet<const CallExpr *, 4> Counted;
  for (const Candidate &C : Candidates)
    if (Counted.insert(Sites[C.Outer].Call).second)
      Waiting[ObjectOf(Sites[C.Outer])] += timesAtLeast(Sites[C.Outer]);
  for (const Candidate &C : Candidates) {
    const SubmitSite &Outer = Sites[C.Outer];
    std::optional<Range> K = workersAt(Outer);
    if (C.Inner != ~0u && (!K || K->Max == 0))
      continue;
    // (A wait for the pool to run out of tasks waits for itself.)
    if (C.Inner != ~0u && K->Max > 1 && Waiting[ObjectOf(Outer)] < K->Max)
      continue;
    report(Outer, C.Frames, C.WaitFrame, C.Wait, C.Inner, C.InnerFrame,
           C.CondVar);
  }
  llvm::sort(Findings, [&](const BlockingFinding &A, const BlockingFinding &B) {
    return Ctx.getSourceManager().isBeforeInTranslationUnit(
        A.At->getBeginLoc(), B.At->getBeginLoc());
  });
  return std::move(Findings);
}

void PoolStarvation::Impl::explore(const SubmitSite &Outer,
                                   std::vector<Frame> &Frames) {
  waitsIn(Outer, Frames);
  if (Frames.size() >= MaxFrames)
    return;
  const CodeUnit *U = Frames.back().U;
  for (const auto &[Call, FD] : U->Calls) {
    if (SiteOf.count(Call))
      continue;
    const CodeUnit *Callee = Inv.unitOf(FD);
    if (!Callee ||
        llvm::any_of(Frames, [&](const Frame &F) { return F.U == Callee; }))
      continue;
    Frames.push_back({Callee, Call});
    explore(Outer, Frames);
    Frames.pop_back();
  }
}

void PoolStarvation::Impl::waitsIn(const SubmitSite &Outer,
                                   const std::vector<Frame> &Frames) {
  unsigned At = Frames.size() - 1;
  const CodeUnit *U = Frames.back().U;
  auto Add = [&](const CallExpr *Wait, unsigned Inner, unsigned InnerFrame,
                 const ValueDecl *CV) {
    // A wait that runs the pool's pending tasks (the pool's helper on the
    // way, or a call of one next to the wait) is no wait of a held worker.
    for (const Frame &F : Frames) {
      if (!Outer.Pool)
        break;
      if (Outer.Pool->Helpers.count(F.U->Fn))
        return;
      for (const auto &[Call, FD] : F.U->Calls)
        if (Outer.Pool->Helpers.count(FD))
          return;
    }
    Candidates.push_back(
        {CurrentOuter, Frames, At, Wait, Inner, InnerFrame, CV});
  };
  // A member of the same pool that waits for it to run out of tasks: this
  // task is one of them, at any worker count.
  if (At > 0 && Outer.Pool) {
    const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Frames[At].Call);
    const CallExpr *Wait = nullptr;
    if (MC && drains(*Outer.Pool, U, &Wait) &&
        sameObject(Outer, MC->getImplicitObjectArgument(), Frames, At - 1)) {
      Add(Wait, ~0u, At - 1, nullptr);
      return;
    }
  }
  // A future the pool's submit returned: its first wait in the unit (the
  // others wait for the same task). A future the unit also waits for with
  // a timeout is one it gives up on.
  llvm::SmallPtrSet<const Decl *, 2> Timed, Seen;
  auto FutureDecl = [](const Expr *E) -> const Decl * {
    const auto *DR = llvm::dyn_cast_or_null<DeclRefExpr>(bareExpr(E));
    return DR ? DR->getDecl() : nullptr;
  };
  forEachCall(U->Body, [&](const CallExpr *C) {
    FutureOp Op = classifyFutureOp(C);
    if (Op.Kind == FutureOpKind::TimedWait)
      if (const Decl *D = FutureDecl(Op.Object))
        Timed.insert(D);
  });
  forEachCall(U->Body, [&](const CallExpr *C) {
    FutureOp Op = classifyFutureOp(C);
    if (Op.Kind != FutureOpKind::Wait || !Op.Object)
      return;
    if (const Decl *D = FutureDecl(Op.Object))
      if (Timed.count(D) || !Seen.insert(D).second)
        return;
    llvm::SmallVector<std::pair<unsigned, unsigned>, 2> Origins;
    originsOf(Op.Object, Frames, At, Origins, 0);
    for (auto [Site, SiteFrame] : Origins)
      if (samePool(Outer, Site, Frames, SiteFrame)) {
        Add(C, Site, SiteFrame, nullptr);
        return;
      }
    // A promise every setter of which is a task this code queues on the
    // same pool.
    const ValueDecl *Promise = promiseOf(Op.Object);
    if (!Promise)
      return;
    if (auto Q = queuedHere(settersOf(Promise), Outer, Frames))
      Add(C, Q->first, Q->second, nullptr);
  });
  // A condition variable only tasks this code queues on the pool notify.
  for (const ConditionWait &W : U->Waits) {
    if (W.Timed || W.StopAware || !W.CondVar)
      continue;
    llvm::SmallVector<const CodeUnit *, 2> Partners;
    for (const auto &N : Inv.units())
      for (const auto &[Call, CV] : N->Notifies)
        if (CV == W.CondVar)
          Partners.push_back(N.get());
    if (auto Q = queuedHere(Partners, Outer, Frames))
      Add(W.Call, Q->first, Q->second, W.CondVar);
  }
}

std::optional<std::pair<unsigned, unsigned>>
PoolStarvation::Impl::queuedHere(llvm::ArrayRef<const CodeUnit *> Partners,
                                 const SubmitSite &Outer,
                                 const std::vector<Frame> &Frames) {
  if (Partners.empty())
    return std::nullopt;
  llvm::SmallVector<unsigned, 2> Sites;
  for (const CodeUnit *N : Partners)
    if (!runOnlyBy(N, Frames, Sites, 0))
      return std::nullopt;
  if (Sites.empty())
    return std::nullopt;
  std::optional<std::pair<unsigned, unsigned>> Queued;
  for (unsigned Site : Sites) {
    unsigned InFrame = Frames.size();
    for (unsigned I = 0; I < Frames.size(); ++I)
      if (Frames[I].U == this->Sites[Site].In)
        InFrame = I;
    if (InFrame == Frames.size() || !samePool(Outer, Site, Frames, InFrame))
      return std::nullopt;
    Queued = {Site, InFrame};
  }
  return Queued;
}

const ValueDecl *PoolStarvation::Impl::promiseOf(const Expr *E,
                                                 unsigned Depth) {
  if (!E || Depth > 4)
    return nullptr;
  E = bareExprThroughCopies(E);
  if (const auto *DR = llvm::dyn_cast_or_null<DeclRefExpr>(E)) {
    const auto *V = llvm::dyn_cast<VarDecl>(DR->getDecl());
    return V && V->hasLocalStorage() && !llvm::isa<ParmVarDecl>(V) &&
                   V->getInit()
               ? promiseOf(V->getInit(), Depth + 1)
               : nullptr;
  }
  const auto *MC = llvm::dyn_cast_or_null<CXXMemberCallExpr>(E);
  if (!MC)
    return nullptr;
  FutureOp Op = classifyFutureOp(MC);
  if (Op.Kind != FutureOpKind::Link || !Op.Object ||
      !isPromiseType(Op.Object->getType()))
    return nullptr;
  return poolDecl(Op.Object);
}

bool PoolStarvation::Impl::runOnlyBy(const CodeUnit *U,
                                     const std::vector<Frame> &Frames,
                                     llvm::SmallVectorImpl<unsigned> &Out,
                                     unsigned Depth) {
  auto It = SitesOfTask.find(U);
  if (It != SitesOfTask.end()) {
    Out.append(It->second.begin(), It->second.end());
    return true;
  }
  if (Depth >= 3 || !U->Fn)
    return false;
  auto Callers = Inv.callersOf(U->Fn);
  if (Callers.empty())
    return false;
  for (const auto &[Caller, Call] : Callers) {
    if (llvm::any_of(Frames, [&](const Frame &F) { return F.U == Caller; }))
      continue;
    if (!runOnlyBy(Caller, Frames, Out, Depth + 1))
      return false;
  }
  return true;
}

void PoolStarvation::Impl::originsOf(
    const Expr *E, const std::vector<Frame> &Frames, unsigned At,
    llvm::SmallVectorImpl<std::pair<unsigned, unsigned>> &Out, unsigned Depth) {
  if (!E || Depth > 8)
    return;
  E = bareExprThroughCopies(E);
  if (!E)
    return;
  if (const auto *C = llvm::dyn_cast<CallExpr>(E)) {
    auto S = SiteOf.find(C);
    if (S != SiteOf.end()) {
      Out.push_back({S->second, At});
      return;
    }
    const FunctionDecl *FD = C->getDirectCallee();
    if (FD && FD->isInStdNamespace() && FD->getIdentifier() &&
        FD->getName() == "move" && C->getNumArgs() == 1)
      return originsOf(C->getArg(0), Frames, At, Out, Depth + 1);
    // An element of a container of futures: `v[i]`, `v.front()`, `*it`.
    if (const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(C)) {
      if ((Op->getOperator() == OO_Subscript || Op->getOperator() == OO_Star) &&
          Op->getNumArgs() >= 1)
        originsOf(Op->getArg(0), Frames, At, Out, Depth + 1);
      return;
    }
    if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(C)) {
      const CXXMethodDecl *M = MC->getMethodDecl();
      if (M && M->getParent()->isInStdNamespace() && M->getIdentifier() &&
          (M->getName() == "front" || M->getName() == "back" ||
           M->getName() == "at"))
        originsOf(MC->getImplicitObjectArgument(), Frames, At, Out, Depth + 1);
    }
    return;
  }
  const auto *DR = llvm::dyn_cast<DeclRefExpr>(E);
  const auto *V = DR ? llvm::dyn_cast<VarDecl>(DR->getDecl()) : nullptr;
  if (!V)
    return;
  // A parameter of the frame's function: the argument its caller gave.
  if (const auto *PV = llvm::dyn_cast<ParmVarDecl>(V)) {
    if (At == 0)
      return;
    const FunctionDecl *Fn = Frames[At].U->Fn;
    unsigned Index = PV->getFunctionScopeIndex();
    if (!Fn || Index >= Fn->getNumParams() || Fn->getParamDecl(Index) != PV)
      return;
    if (const Expr *Arg = argumentFor(Frames[At].Call, Fn, Index))
      originsOf(Arg, Frames, At - 1, Out, Depth + 1);
    return;
  }
  // The element variable of a range-for: the container it runs over.
  DynTypedNodeList Ps = Ctx.getParents(*V);
  for (unsigned Up = 0; Up < 2 && !Ps.empty(); ++Up) {
    if (const auto *RF = Ps[0].get<CXXForRangeStmt>()) {
      if (RF->getLoopVariable() == V)
        originsOf(RF->getRangeInit(), Frames, At, Out, Depth + 1);
      return;
    }
    if (const auto *DS = Ps[0].get<DeclStmt>())
      Ps = Ctx.getParents(*DS);
    else
      break;
  }
  if (!V->hasLocalStorage())
    return;
  // A local: its initialiser, what is assigned to it or put in it.
  if (V->getInit())
    originsOf(V->getInit(), Frames, At, Out, Depth + 1);
  index();
  for (const Expr *W : VarWrites.lookup(V))
    originsOf(W, Frames, At, Out, Depth + 1);
}

bool PoolStarvation::Impl::sameObject(const SubmitSite &Outer,
                                      const Expr *Object,
                                      const std::vector<Frame> &Frames,
                                      unsigned At) {
  const ValueDecl *A = outerPool(Outer);
  const ValueDecl *B = poolDecl(Object);
  // A parameter of a frame: what its caller gave.
  while (B && llvm::isa<ParmVarDecl>(B) && At > 0) {
    const FunctionDecl *Fn = Frames[At].U->Fn;
    const auto *PV = llvm::cast<ParmVarDecl>(B);
    unsigned Index = PV->getFunctionScopeIndex();
    if (!Fn || Index >= Fn->getNumParams() || Fn->getParamDecl(Index) != PV)
      break;
    const Expr *Arg = argumentFor(Frames[At].Call, Fn, Index);
    B = Arg ? poolDecl(Arg) : nullptr;
    --At;
  }
  if (A && A == B) {
    if (!llvm::isa<FieldDecl>(A))
      return true;
    // A data member of `this`: the same object only while every call from
    // the task down to the inner site is made on `this`.
    for (unsigned I = 1; I <= At; ++I) {
      const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Frames[I].Call);
      if (!MC || !llvm::isa<CXXThisExpr>(
                     MC->getImplicitObjectArgument()->IgnoreParenImpCasts()))
        return false;
    }
    return true;
  }
  return onlyOneObject(classOf(Outer));
}

void PoolStarvation::Impl::index() {
  if (Indexed)
    return;
  Indexed = true;
  struct V : RecursiveASTVisitor<V> {
    Impl &I;
    const FunctionDecl *Fn = nullptr;
    explicit V(Impl &I) : I(I) {}
    bool VisitCallExpr(CallExpr *C) {
      if (const FunctionDecl *FD = C->getDirectCallee()) {
        I.CallsTo[FD->getCanonicalDecl()].push_back(C);
        if (isStdFactory(FD) && FD->getName() != "allocate_shared")
          if (const CXXRecordDecl *RD = recordOf(C->getType()))
            if (const auto *Spec =
                    llvm::dyn_cast<ClassTemplateSpecializationDecl>(RD))
              if (Spec->getTemplateArgs().size() >= 1 &&
                  Spec->getTemplateArgs()[0].getKind() ==
                      TemplateArgument::Type)
                if (const CXXRecordDecl *Made = Spec->getTemplateArgs()[0]
                                                    .getAsType()
                                                    ->getAsCXXRecordDecl())
                  I.Makes[Made->getCanonicalDecl()].push_back(C);
      }
      // What a local is given: `v.push_back(x)`, `v.emplace_back(x)`.
      if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(C))
        if (const CXXMethodDecl *M = MC->getMethodDecl();
            M && M->getIdentifier() && C->getNumArgs() >= 1 &&
            (M->getName().starts_with("push") ||
             M->getName().starts_with("emplace") || M->getName() == "insert"))
          if (const auto *DR = llvm::dyn_cast<DeclRefExpr>(
                  bareExpr(MC->getImplicitObjectArgument())))
            if (const auto *Var = llvm::dyn_cast<VarDecl>(DR->getDecl()))
              I.VarWrites[Var].push_back(C->getArg(C->getNumArgs() - 1));
      return true;
    }
    bool VisitCXXConstructExpr(CXXConstructExpr *E) {
      const CXXConstructorDecl *Ctor = E->getConstructor();
      if (!Ctor->isCopyOrMoveConstructor()) {
        I.CallsTo[Ctor->getCanonicalDecl()].push_back(E);
        I.Makes[Ctor->getParent()->getCanonicalDecl()].push_back(E);
      }
      return true;
    }
    // An aggregate's members: `Indexer X{Pool}`.
    bool VisitInitListExpr(InitListExpr *ILE) {
      if (ILE->isSyntacticForm() && ILE->getSemanticForm())
        ILE = ILE->getSemanticForm();
      const auto *RD = ILE->getType()->getAsCXXRecordDecl();
      if (!RD || RD->isUnion() || RD->getNumBases() ||
          !Lists.insert(ILE).second)
        return true;
      unsigned N = 0;
      for (const FieldDecl *F : RD->fields()) {
        if (N >= ILE->getNumInits())
          break;
        I.FieldWrites[F].push_back({ILE->getInit(N++), Fn});
      }
      return true;
    }
    llvm::SmallPtrSet<const InitListExpr *, 8> Lists;
    bool VisitBinaryOperator(BinaryOperator *B) {
      if (B->getOpcode() == BO_Assign)
        assigned(B->getLHS(), B->getRHS());
      return true;
    }
    bool VisitCXXOperatorCallExpr(CXXOperatorCallExpr *Op) {
      if (Op->getOperator() == OO_Equal && Op->getNumArgs() == 2)
        assigned(Op->getArg(0), Op->getArg(1));
      return true;
    }
    void assigned(const Expr *L, const Expr *R) {
      L = bareExpr(L);
      if (const auto *ME = llvm::dyn_cast_or_null<MemberExpr>(L)) {
        if (const auto *F = llvm::dyn_cast<FieldDecl>(ME->getMemberDecl()))
          I.FieldWrites[F].push_back({R, Fn});
      } else if (const auto *DR = llvm::dyn_cast_or_null<DeclRefExpr>(L)) {
        if (const auto *Var = llvm::dyn_cast<VarDecl>(DR->getDecl()))
          I.VarWrites[Var].push_back(R);
      }
    }
  } W(*this);
  for (const auto &U : Inv.units()) {
    if (U->Lambda || !U->Fn)
      continue;
    W.Fn = U->Fn;
    W.TraverseStmt(const_cast<Stmt *>(U->Body));
    if (const auto *Ctor = llvm::dyn_cast<CXXConstructorDecl>(U->Fn))
      for (const CXXCtorInitializer *Init : Ctor->inits())
        if (Init->isWritten()) {
          W.TraverseStmt(Init->getInit());
          if (const FieldDecl *F = Init->getMember())
            FieldWrites[F].push_back({Init->getInit(), Ctor});
        }
  }
  // Default member initialisers.
  for (const auto &[RD, Made] : Makes)
    for (const FieldDecl *F : RD->fields())
      if (const Expr *Init = F->getInClassInitializer())
        FieldWrites[F].push_back({Init, nullptr});
}

const FunctionDecl *
PoolStarvation::Impl::enclosingFunction(const Stmt *S) const {
  DynTypedNodeList Ps = Ctx.getParents(*S);
  for (unsigned Steps = 0; !Ps.empty() && Steps < 256; ++Steps) {
    if (const auto *FD = Ps[0].get<FunctionDecl>())
      return FD;
    if (const auto *L = Ps[0].get<LambdaExpr>())
      return L->getCallOperator();
    Ps = Ctx.getParents(Ps[0]);
  }
  return nullptr;
}

std::optional<Range> PoolStarvation::Impl::valueOf(const Expr *E,
                                                   unsigned Depth,
                                                   const Bindings *Bound) {
  if (!E || Depth > MaxValueDepth)
    return std::nullopt;
  const Expr *B = bareExpr(E);
  if (!B || B->isValueDependent())
    return std::nullopt;
  Expr::EvalResult R;
  if (B->EvaluateAsInt(R, Ctx)) {
    if (R.Val.getInt().isNegative())
      return std::nullopt;
    uint64_t V = R.Val.getInt().getLimitedValue();
    return Range{V, V, B};
  }
  auto Merge = [](std::optional<Range> Acc, const Range &X) {
    if (!Acc)
      return X;
    Range Out = *Acc;
    Out.Min = std::min(Out.Min, X.Min);
    if (X.Max > Out.Max) {
      Out.Max = X.Max;
      Out.Source = X.Source;
    }
    return Out;
  };
  if (const auto *C = llvm::dyn_cast<CallExpr>(B)) {
    const FunctionDecl *FD = C->getDirectCallee();
    if (FD && FD->isInStdNamespace() && FD->getIdentifier() &&
        (FD->getName() == "min" || FD->getName() == "max") &&
        C->getNumArgs() == 2) {
      std::optional<Range> X = valueOf(C->getArg(0), Depth + 1, Bound);
      std::optional<Range> Y = valueOf(C->getArg(1), Depth + 1, Bound);
      if (FD->getName() == "max")
        return X && Y ? std::optional<Range>(Merge(X, *Y)) : std::nullopt;
      if (!X || !Y)
        return X ? X : Y; // at most the one we know
      return X->Max <= Y->Max ? X : Y;
    }
    return std::nullopt;
  }
  if (const auto *CO = llvm::dyn_cast<ConditionalOperator>(B)) {
    std::optional<Range> X = valueOf(CO->getTrueExpr(), Depth + 1, Bound);
    std::optional<Range> Y = valueOf(CO->getFalseExpr(), Depth + 1, Bound);
    return X && Y ? std::optional<Range>(Merge(X, *Y)) : std::nullopt;
  }
  index();
  // A parameter: what every call of its function gives it.
  if (const auto *DR = llvm::dyn_cast<DeclRefExpr>(B)) {
    const auto *PV = llvm::dyn_cast<ParmVarDecl>(DR->getDecl());
    const auto *Fn =
        PV ? llvm::dyn_cast_or_null<FunctionDecl>(PV->getDeclContext())
           : nullptr;
    if (!Fn)
      return std::nullopt;
    // One construction's argument.
    if (Bound)
      if (const Expr *Arg = Bound->lookup(PV))
        return valueOf(Arg, Depth + 1);
    unsigned Index = PV->getFunctionScopeIndex();
    auto It = CallsTo.find(Fn->getCanonicalDecl());
    std::optional<Range> Acc;
    llvm::SmallVector<const Expr *, 4> Args;
    if (It != CallsTo.end())
      for (const Expr *Site : It->second) {
        const Expr *Arg = argumentAt(Site, Fn, Index);
        if (!Arg)
          return std::nullopt;
        Args.push_back(Arg);
      }
    // A constructor reached through std::make_unique / make_shared.
    if (const auto *Ctor = llvm::dyn_cast<CXXConstructorDecl>(Fn)) {
      for (const Expr *Made :
           Makes.lookup(Ctor->getParent()->getCanonicalDecl())) {
        const auto *Call = llvm::dyn_cast<CallExpr>(Made);
        if (!Call)
          continue;
        unsigned Candidates = 0;
        for (const CXXConstructorDecl *K : Ctor->getParent()->ctors())
          Candidates += !K->isCopyOrMoveConstructor() &&
                        K->getNumParams() == Call->getNumArgs();
        if (Candidates != 1 || Ctor->getNumParams() != Call->getNumArgs())
          return std::nullopt;
        Args.push_back(Call->getArg(Index));
      }
    }
    if (Args.empty())
      return std::nullopt;
    for (const Expr *Arg : Args) {
      std::optional<Range> X = valueOf(Arg, Depth + 1);
      if (!X)
        return std::nullopt;
      Acc = Merge(Acc, *X);
    }
    return Acc;
  }
  // A data member: everything written to it.
  if (const auto *ME = llvm::dyn_cast<MemberExpr>(B)) {
    const auto *F = llvm::dyn_cast<FieldDecl>(ME->getMemberDecl());
    if (!F)
      return std::nullopt;
    auto It = FieldWrites.find(F);
    if (It == FieldWrites.end())
      return std::nullopt;
    std::optional<Range> Acc;
    for (const auto &[Value, In] : It->second) {
      // A constructor's initialiser sees that construction's arguments.
      std::optional<Range> X =
          valueOf(Value, Depth + 1,
                  In && llvm::isa<CXXConstructorDecl>(In) ? Bound : nullptr);
      if (!X)
        return std::nullopt;
      Acc = Merge(Acc, *X);
    }
    return Acc;
  }
  return std::nullopt;
}

std::optional<Range> PoolStarvation::Impl::workers(const ThreadPoolClass &P,
                                                   const ValueDecl *Object,
                                                   const Expr **Start) {
  // Per object where we can tell where it is made: the most any of its
  // constructions gives.
  llvm::SmallVector<const Expr *, 2> Made;
  if (Object && madeAt(Object, Made, 0) && !Made.empty()) {
    std::optional<Range> Most;
    for (const Expr *M : Made) {
      Bindings B;
      const CXXConstructorDecl *Ctor = nullptr;
      llvm::ArrayRef<const Expr *> Args;
      llvm::SmallVector<const Expr *, 4> ArgList;
      if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(M)) {
        Ctor = CE->getConstructor();
        for (const Expr *A : CE->arguments())
          ArgList.push_back(A);
      } else if (const auto *Call = llvm::dyn_cast<CallExpr>(M)) {
        for (const CXXConstructorDecl *K : P.Class->ctors())
          if (!K->isCopyOrMoveConstructor() &&
              K->getNumParams() == Call->getNumArgs()) {
            if (Ctor) {
              Ctor = nullptr;
              break;
            }
            Ctor = K;
          }
        for (const Expr *A : Call->arguments())
          ArgList.push_back(A);
      }
      Args = ArgList;
      if (Ctor)
        for (unsigned I = 0; I < Ctor->getNumParams() && I < Args.size(); ++I)
          B[Ctor->getParamDecl(I)] = Args[I];
      std::optional<Range> K = workersOf(P, &B, Start);
      if (!K)
        return std::nullopt;
      if (!Most || K->Max > Most->Max)
        Most = K;
    }
    return Most;
  }
  return workersOf(P, nullptr, Start);
}

std::optional<Range> PoolStarvation::Impl::workersOf(const ThreadPoolClass &P,
                                                     const Bindings *B,
                                                     const Expr **Start) {
  Range Total;
  for (const ThreadPoolClass::WorkerStart &W : P.Workers) {
    if (W.Unbounded)
      return std::nullopt;
    if (Start && !*Start)
      *Start = W.Start;
    if (W.Bounds.empty()) {
      Total.Min += 1;
      Total.Max += 1;
      continue;
    }
    // At most the smallest bound we know.
    std::optional<Range> Best;
    for (const Expr *Bound : W.Bounds)
      if (std::optional<Range> X = valueOf(Bound, 0, B))
        if (!Best || X->Max < Best->Max)
          Best = X;
    if (!Best)
      return std::nullopt;
    Total.Min += Best->Min;
    Total.Max += Best->Max;
    if (!Total.Source)
      Total.Source = Best->Source;
  }
  return Total;
}

bool PoolStarvation::Impl::madeAt(const ValueDecl *D,
                                  llvm::SmallVectorImpl<const Expr *> &Out,
                                  unsigned Depth) {
  if (!D || Depth > 4)
    return false;
  index();
  auto FromValue = [&](const Expr *V) {
    const Expr *E = bareExpr(V);
    if (const auto *New = llvm::dyn_cast_or_null<CXXNewExpr>(E))
      E = New->getConstructExpr();
    if (const auto *CE = llvm::dyn_cast_or_null<CXXConstructExpr>(E)) {
      if (!CE->getConstructor()->isCopyOrMoveConstructor()) {
        Out.push_back(CE);
        return true;
      }
      E = CE->getNumArgs() == 1 ? bareExpr(CE->getArg(0)) : nullptr;
    }
    if (const auto *Call = llvm::dyn_cast_or_null<CallExpr>(E))
      if (isStdFactory(Call->getDirectCallee())) {
        Out.push_back(Call);
        return true;
      }
    const auto *DR = llvm::dyn_cast_or_null<DeclRefExpr>(E);
    return DR && madeAt(DR->getDecl(), Out, Depth + 1);
  };
  if (const auto *PV = llvm::dyn_cast<ParmVarDecl>(D)) {
    const auto *Fn = llvm::dyn_cast<FunctionDecl>(PV->getDeclContext());
    auto It = Fn ? CallsTo.find(Fn->getCanonicalDecl()) : CallsTo.end();
    if (It == CallsTo.end())
      return false;
    unsigned Index = PV->getFunctionScopeIndex();
    for (const Expr *Site : It->second) {
      const Expr *Arg = argumentAt(Site, Fn, Index);
      if (!Arg || !FromValue(Arg))
        return false;
    }
    return true;
  }
  if (const auto *V = llvm::dyn_cast<VarDecl>(D)) {
    if (!V->getInit())
      return false;
    return FromValue(V->getInit());
  }
  if (const auto *F = llvm::dyn_cast<FieldDecl>(D)) {
    auto It = FieldWrites.find(F);
    if (It == FieldWrites.end())
      return false;
    for (const auto &[Value, In] : It->second)
      if (!FromValue(Value))
        return false;
    return true;
  }
  return false;
}

std::optional<Range> PoolStarvation::Impl::workersAt(const SubmitSite &S,
                                                     const Expr **Start) {
  auto [It, New] = WorkersOf.try_emplace(S.Call);
  if (New)
    It->second.first = countWorkers(S, &It->second.second);
  if (Start)
    *Start = It->second.second;
  return It->second.first;
}

llvm::ArrayRef<const CodeUnit *>
PoolStarvation::Impl::settersOf(const ValueDecl *Promise) {
  if (!SettersIndexed) {
    SettersIndexed = true;
    for (const auto &N : Inv.units())
      forEachCall(N->Body, [&](const CallExpr *S) {
        FutureOp Set = classifyFutureOp(S);
        if (Set.Kind != FutureOpKind::Set || !Set.Object)
          return;
        auto &List = Setters[poolDecl(Set.Object)];
        if (!llvm::is_contained(List, N.get()))
          List.push_back(N.get());
      });
  }
  auto It = Setters.find(Promise);
  return It == Setters.end() ? llvm::ArrayRef<const CodeUnit *>()
                             : llvm::ArrayRef<const CodeUnit *>(It->second);
}

std::optional<Range> PoolStarvation::Impl::countWorkers(const SubmitSite &S,
                                                        const Expr **Start) {
  if (S.Pool)
    return workers(*S.Pool, outerPool(S), Start);
  if (isAsioStrand(S.Library))
    return Range{1, 1, nullptr};
  const ValueDecl *D = outerPool(S);
  if (!D)
    return std::nullopt;
  if (isAsioThreadPool(S.Library)) {
    // Its threads: the constructor's argument.
    llvm::SmallVector<const Expr *, 2> Made;
    if (!madeAt(D, Made, 0) || Made.empty())
      return std::nullopt;
    std::optional<Range> Most;
    for (const Expr *M : Made) {
      const auto *CE = llvm::dyn_cast<CXXConstructExpr>(M);
      if (!CE || CE->getNumArgs() != 1)
        return std::nullopt;
      std::optional<Range> X = valueOf(CE->getArg(0), 0);
      if (!X)
        return std::nullopt;
      if (!Most || X->Max > Most->Max)
        Most = X;
    }
    return Most;
  }
  return runners(D, Start);
}

std::optional<Range> PoolStarvation::Impl::runners(const ValueDecl *D,
                                                   const Expr **Start) {
  Range Total;
  unsigned Found = 0;
  for (const auto &U : Inv.units()) {
    bool Failed = false;
    forEachCall(U->Body, [&](const CallExpr *C) {
      const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(C);
      const CXXMethodDecl *M = MC ? MC->getMethodDecl() : nullptr;
      if (Failed || !M || !M->getIdentifier() || M->getName() != "run" ||
          !asioContext(MC->getImplicitObjectArgument()->getType()) ||
          !sameMade(poolDecl(MC->getImplicitObjectArgument()), D))
        return;
      ++Found;
      if (Start && !*Start)
        *Start = C;
      // main runs it once.
      if (!U->Lambda) {
        if (U->Fn && U->Fn->isMain()) {
          Total.Min += 1;
          Total.Max += 1;
        } else {
          Failed = true;
        }
        return;
      }
      // A lambda a thread is started on: once, or per round of a counted
      // loop.
      DynTypedNodeList Ps = Ctx.getParents(*U->Lambda);
      const Stmt *StartExpr = nullptr;
      for (unsigned Up = 0; Up < 6 && !Ps.empty() && !StartExpr; ++Up) {
        if (const auto *CE = Ps[0].get<CXXConstructExpr>()) {
          if (ThreadPoolModel::isTaskType(CE->getType()))
            ; // a std::function around it: keep looking up
          else if (Pools.isThreadType(CE->getType()))
            StartExpr = CE;
          else
            break;
        } else if (const auto *Call = Ps[0].get<CXXMemberCallExpr>()) {
          // A thread emplaced into a container of threads.
          const CXXMethodDecl *E = Call->getMethodDecl();
          if (E && E->getIdentifier() && E->getName().starts_with("emplace") &&
              !Call->getType().isNull() &&
              Pools.isThreadType(Call->getType().getNonReferenceType()))
            StartExpr = Call;
          break;
        } else if (!Ps[0].get<MaterializeTemporaryExpr>() &&
                   !Ps[0].get<ImplicitCastExpr>() &&
                   !Ps[0].get<CXXBindTemporaryExpr>()) {
          break;
        }
        Ps = Ctx.getParents(Ps[0]);
      }
      const FunctionDecl *Owner =
          StartExpr ? enclosingFunction(StartExpr) : nullptr;
      const CodeUnit *OwnerUnit = Owner ? Inv.unitOf(Owner) : nullptr;
      if (!OwnerUnit) {
        Failed = true;
        return;
      }
      std::optional<const Expr *> Bound =
          enclosingLoopBound(StartExpr, OwnerUnit->Body, Ctx);
      if (!Bound) {
        Total.Min += 1;
        Total.Max += 1;
        return;
      }
      std::optional<Range> R = *Bound ? valueOf(*Bound, 0) : std::nullopt;
      if (!R) {
        Failed = true;
        return;
      }
      Total.Min += R->Min;
      Total.Max += R->Max;
      if (!Total.Source)
        Total.Source = R->Source;
    });
    if (Failed)
      return std::nullopt;
  }
  if (!Found)
    return std::nullopt;
  return Total;
}

uint64_t PoolStarvation::Impl::timesAtLeast(const SubmitSite &S) {
  std::optional<const Expr *> Bound =
      enclosingLoopBound(S.Call, S.In->Body, Ctx);
  if (!Bound)
    return 1;
  if (!*Bound)
    return 0;
  std::optional<Range> R = valueOf(*Bound, 0);
  return R ? R->Min : 0;
}

bool PoolStarvation::Impl::onlyOneObject(const CXXRecordDecl *RD) {
  index();
  auto It = Makes.find(RD->getCanonicalDecl());
  if (It == Makes.end() || It->second.size() != 1)
    return false;
  const Expr *Made = It->second.front();
  const FunctionDecl *Fn = enclosingFunction(Made);
  const CodeUnit *U = Fn ? Inv.unitOf(Fn) : nullptr;
  return U && !enclosingLoopBound(Made, U->Body, Ctx);
}

void PoolStarvation::Impl::report(const SubmitSite &Outer,
                                  const std::vector<Frame> &Frames,
                                  unsigned WaitFrame, const CallExpr *Wait,
                                  unsigned InnerSite, unsigned InnerFrame,
                                  const ValueDecl *CondVar) {
  if (!Reported.insert(Wait).second)
    return;
  const Expr *Start = nullptr;
  std::optional<Range> K = workersAt(Outer, &Start);
  bool Drain = InnerSite == ~0u;
  if (!Drain && !K)
    return;
  const ValueDecl *PoolVar = outerPool(Outer);
  std::string PoolName =
      PoolVar ? PoolVar->getName().str() : classOf(Outer)->getName().str();
  BlockingFinding F;
  F.Kind = BlockingFinding::PoolStarvation;
  F.At = Wait;
  std::string What =
      CondVar ? "a task that would notify '" + CondVar->getName().str() + "'"
              : std::string("the task it waits for");
  bool Context = Outer.Library && !isAsioThreadPool(Outer.Library);
  if (isAsioStrand(Outer.Library))
    F.Message = "a handler on strand '" + PoolName +
                "' waits for a handler it posted to the same strand; the "
                "strand runs one handler at a time, so the posted handler "
                "never runs";
  else if (Context && !Drain)
    F.Message =
        K->Max == 1
            ? "a handler of io_context '" + PoolName +
                  "' waits for a handler it posted to the same context; one "
                  "thread runs the context and this handler holds it, so the "
                  "posted handler never runs"
            : "a handler of io_context '" + PoolName +
                  "' waits for a handler it posted to the same context; "
                  "when the " +
                  std::to_string(K->Max) +
                  " threads that run it all run such handlers, none is left "
                  "to run the posted ones";
  else if (Drain)
    F.Message = "a task of thread pool '" + PoolName +
                "' waits for the pool to run out of tasks, and it is one of "
                "them: the wait never ends";
  else if (K->Max == 1)
    F.Message = "a task of thread pool '" + PoolName +
                "' waits for a task it queued on the same pool; the pool has "
                "one worker thread and this task holds it, so the queued "
                "task never runs";
  else
    F.Message = "a task of thread pool '" + PoolName +
                "' waits for a task it queued on the same pool; when its " +
                std::to_string(K->Max) +
                " worker threads all run such tasks, none is left to run the "
                "queued ones";
  auto Note = [&](const Stmt *At, std::string Text) {
    F.Notes.push_back({At, std::move(Text)});
  };
  if (!Drain) {
    if (Start && Outer.Pool)
      Note(Start, "'" + Outer.Pool->Class->getName().str() +
                      "' starts its worker threads here");
    else if (Start)
      Note(Start, K->Max == 1 ? "'" + PoolName +
                                    "' runs its handlers on "
                                    "the one thread that runs "
                                    "it here"
                              : "'" + PoolName +
                                    "' runs its handlers on "
                                    "the threads that run it "
                                    "here");
    if (K->Source && K->Source != Start)
      Note(K->Source, K->Max == 1 ? std::string("one worker thread, given here")
                                  : std::to_string(K->Max) +
                                        " worker threads, given here");
  }
  std::string Task = Context ? "handler" : "task";
  Note(Outer.Call,
       timesAtLeast(Outer) > 1 ||
               enclosingLoopBound(Outer.Call, Outer.In->Body, Ctx)
           ? "the " + Task + " is " + (Context ? "posted to" : "queued on") +
                 " '" + PoolName + "' here, in a loop"
           : "the " + Task + " is " + (Context ? "posted to" : "queued on") +
                 " '" + PoolName + "' here");
  for (unsigned I = 1; I <= InnerFrame; ++I)
    if (Frames[I].U->Fn)
      Note(Frames[I].Call,
           "the " + Task + " calls '" + describe(Frames[I].U->Fn) + "'");
  if (Drain) {
    Note(Frames[WaitFrame].Call,
         "it waits for the pool in '" + describe(Frames[WaitFrame].U->Fn) +
             "', which returns when no task is queued or running");
  } else {
    Note(Sites[InnerSite].Call,
         Context
             ? std::string("it posts the handler it waits for to the same ") +
                   (isAsioStrand(Outer.Library) ? "strand" : "context") +
                   " here"
             : "it queues " + What + " on the same pool here");
    for (unsigned I = InnerFrame + 1; I <= WaitFrame; ++I)
      if (Frames[I].U->Fn)
        Note(Frames[I].Call, "it waits in '" + describe(Frames[I].U->Fn) + "'");
  }
  Findings.push_back(std::move(F));
}

bool PoolStarvation::Impl::drains(const ThreadPoolClass &P, const CodeUnit *U,
                                  const CallExpr **Wait) {
  const auto *M = llvm::dyn_cast_or_null<CXXMethodDecl>(U->Fn);
  if (!M || M->getParent()->getCanonicalDecl() != P.Class->getCanonicalDecl() ||
      P.Submits.count(M) || P.Helpers.count(M))
    return false;
  // The members counting the tasks still running: those the workers'
  // code lowers after it runs a task (a local of a task type called).
  // (The queue itself does not hold the task that is running.)
  llvm::SmallPtrSet<const FieldDecl *, 4> Counts;
  for (const FunctionDecl *Fn : P.WorkerCode) {
    struct V : RecursiveASTVisitor<V> {
      SourceLocation Ran;
      llvm::SmallVector<std::pair<SourceLocation, const FieldDecl *>, 4>
          Lowered;
      bool TraverseLambdaExpr(LambdaExpr *) { return true; }
      bool VisitCallExpr(CallExpr *C) {
        const Expr *B = calledObject(C);
        const auto *DR = llvm::dyn_cast_or_null<DeclRefExpr>(B);
        const auto *Var = DR ? llvm::dyn_cast<VarDecl>(DR->getDecl()) : nullptr;
        if (Var && Var->hasLocalStorage() &&
            ThreadPoolModel::isTaskType(Var->getType()) && Ran.isInvalid())
          Ran = C->getBeginLoc();
        return true;
      }
      bool VisitUnaryOperator(UnaryOperator *U) {
        if (U->isDecrementOp())
          if (const FieldDecl *F = ownDataMember(U->getSubExpr()))
            Lowered.push_back({U->getBeginLoc(), F});
        return true;
      }
      bool VisitCompoundAssignOperator(CompoundAssignOperator *C) {
        if (C->getOpcode() == BO_SubAssign)
          if (const FieldDecl *F = ownDataMember(C->getLHS()))
            Lowered.push_back({C->getBeginLoc(), F});
        return true;
      }
    } W;
    if (!Fn->getBody())
      continue;
    W.TraverseStmt(const_cast<Stmt *>(Fn->getBody()));
    if (W.Ran.isInvalid())
      continue;
    for (const auto &[At, F] : W.Lowered)
      if (Ctx.getSourceManager().isBeforeInTranslationUnit(W.Ran, At))
        Counts.insert(F);
  }
  if (Counts.empty())
    return false;
  // Every term says "none left" (Positive: the predicate) or "some left"
  // (the condition of a loop around a wait without one), and one reads a
  // count of tasks.
  std::function<bool(const Expr *, bool, bool &)> Terms =
      [&](const Expr *E, bool Positive, bool &Counted) -> bool {
    E = E ? E->IgnoreParenImpCasts() : nullptr;
    if (!E)
      return false;
    auto Member = [&](const Expr *X) -> bool {
      const FieldDecl *F = ownDataMember(X);
      if (F && Counts.count(F))
        Counted = true;
      return F != nullptr;
    };
    auto Zero = [&](const Expr *X) {
      Expr::EvalResult R;
      return X->EvaluateAsInt(R, Ctx) && R.Val.getInt() == 0;
    };
    // `m.empty()`, `m.size()` on a member.
    auto OnMember = [&](const Expr *X, llvm::StringRef Name) {
      const auto *C =
          llvm::dyn_cast<CXXMemberCallExpr>(X->IgnoreParenImpCasts());
      return C && C->getMethodDecl() && C->getMethodDecl()->getIdentifier() &&
             C->getMethodDecl()->getName() == Name &&
             Member(C->getImplicitObjectArgument());
    };
    auto Empty = [&](const Expr *X) { return OnMember(X, "empty"); };
    auto Size = [&](const Expr *X) { return OnMember(X, "size"); };
    if (const auto *B = llvm::dyn_cast<BinaryOperator>(E)) {
      if (B->getOpcode() == (Positive ? BO_LAnd : BO_LOr))
        return Terms(B->getLHS(), Positive, Counted) &&
               Terms(B->getRHS(), Positive, Counted);
      const Expr *L = B->getLHS()->IgnoreParenImpCasts();
      const Expr *R = B->getRHS()->IgnoreParenImpCasts();
      if (Zero(L))
        std::swap(L, R);
      if (!Zero(R) || !(Member(L) || Size(L)))
        return false;
      return Positive ? B->getOpcode() == BO_EQ
                      : B->getOpcode() == BO_NE || B->getOpcode() == BO_GT;
    }
    if (const auto *U = llvm::dyn_cast<UnaryOperator>(E);
        U && U->getOpcode() == UO_LNot) {
      const Expr *X = U->getSubExpr()->IgnoreParenImpCasts();
      return Positive ? (Member(X) && X->getType()->isIntegerType()) : Empty(X);
    }
    if (Empty(E))
      return Positive;
    return !Positive && Member(E) && E->getType()->isIntegerType();
  };
  for (const ConditionWait &W : U->Waits) {
    if (W.Timed || !W.CondVar || !llvm::isa<FieldDecl>(W.CondVar))
      continue;
    bool Counted = false, Ok = false;
    if (W.Predicate) {
      const auto *L = llvm::dyn_cast_or_null<LambdaExpr>(bareExpr(W.Predicate));
      const auto *Body =
          L ? llvm::dyn_cast<CompoundStmt>(L->getBody()) : nullptr;
      const auto *Ret = Body && Body->size() == 1
                            ? llvm::dyn_cast<ReturnStmt>(Body->body_front())
                            : nullptr;
      Ok = Ret && Terms(Ret->getRetValue(), true, Counted);
    } else {
      DynTypedNodeList Ps = Ctx.getParents(*W.Call);
      for (unsigned Up = 0; Up < 4 && !Ps.empty(); ++Up) {
        if (const auto *Loop = Ps[0].get<WhileStmt>()) {
          Ok = Terms(Loop->getCond(), false, Counted);
          break;
        }
        Ps = Ctx.getParents(Ps[0]);
      }
    }
    if (Ok && Counted) {
      *Wait = W.Call;
      return true;
    }
  }
  return false;
}

void PoolStarvation::Impl::dump(llvm::raw_ostream &OS) const {
  llvm::SmallVector<const ThreadPoolClass *, 2> Seen;
  for (const SubmitSite &S : Sites)
    if (S.Pool && !llvm::is_contained(Seen, S.Pool))
      Seen.push_back(S.Pool);
  if (Sites.empty())
    return;
  const SourceManager &SM = Ctx.getSourceManager();
  auto Pos = [&](SourceLocation L) {
    L = SM.getExpansionLoc(L);
    return std::to_string(SM.getExpansionLineNumber(L)) + ":" +
           std::to_string(SM.getExpansionColumnNumber(L));
  };
  OS << "\npools:\n";
  for (const ThreadPoolClass *P : Seen) {
    OS << "pool '" << P->Class->getQualifiedNameAsString() << "' ("
       << Pos(P->Class->getLocation()) << "): queue " << P->Queue->getName()
       << "; submits";
    llvm::SmallVector<std::string, 2> Names;
    for (const auto &[Fn, Index] : P->Submits)
      Names.push_back(Fn->getNameAsString());
    llvm::sort(Names);
    Names.erase(std::unique(Names.begin(), Names.end()), Names.end());
    for (const std::string &N : Names)
      OS << " '" << N << "'";
    for (const ThreadPoolClass::WorkerStart &W : P->Workers) {
      OS << "; workers at " << Pos(W.Start->getBeginLoc());
      if (W.Unbounded)
        OS << " (unbounded)";
      for (const Expr *B : W.Bounds)
        OS << " (at most "
           << Lexer::getSourceText(
                  CharSourceRange::getTokenRange(B->getSourceRange()), SM,
                  Ctx.getLangOpts())
           << ")";
    }
    if (!P->Helpers.empty()) {
      llvm::SmallVector<std::string, 2> H;
      for (const FunctionDecl *Fn : P->Helpers)
        H.push_back(Fn->getNameAsString());
      llvm::sort(H);
      OS << "; runs pending tasks in";
      for (const std::string &N : H)
        OS << " '" << N << "'";
    }
    OS << "\n";
  }
  std::vector<const SubmitSite *> Ordered;
  for (const SubmitSite &S : Sites)
    Ordered.push_back(&S);
  llvm::stable_sort(Ordered, [&](const SubmitSite *A, const SubmitSite *B) {
    return SM.isBeforeInTranslationUnit(A->Call->getBeginLoc(),
                                        B->Call->getBeginLoc());
  });
  for (const SubmitSite *SP : Ordered) {
    const SubmitSite &S = *SP;
    OS << "  " << Pos(S.Call->getBeginLoc()) << "  queue on '"
       << classOf(S)->getName() << "'"
       << (S.Task ? "" : " (a task we cannot read)") << "\n";
  }
}

PoolStarvation::PoolStarvation(ASTContext &Ctx, const SyncInventory &Inv,
                               const ThreadPoolModel &Pools)
    : P(std::make_unique<Impl>(Ctx, Inv, Pools)) {}
PoolStarvation::~PoolStarvation() = default;
std::vector<BlockingFinding> PoolStarvation::run() { return P->run(); }
void PoolStarvation::dump(llvm::raw_ostream &OS) const { P->dump(OS); }

} // namespace clang::tidy::threadleak
