//===--- CvLostWakeupCheck.cpp - threadleak-cv-lost-wakeup ----------------===//
//
// The waiters: every untimed, not stop-aware wait on a condition variable in
// the translation unit whose lock names a mutex M and whose predicate (or
// loop) we can read; the state keys K it reads.
//
// The notifiers: every piece of code that notifies that condition variable
// C, itself or through the functions it calls. On its CFG (implicit
// destructors on, so guards release), a forward analysis tracks, per (C, M):
//
//   Held        M is held here on every path (must);
//   Pending     writes to K made without M, with no acquisition of M since
//               (may); a notify of C that finds one reports it: the lost
//               wake-up (rule a);
//   Unannounced constant "flag" writes to K not yet followed by a notify of
//               C; at the exit, one made after a notify of C that the waiter
//               may already have consumed (rule b: the flag set after the
//               notify), or one followed only by notifies of other
//               condition variables (rule c: the wrong cv), is reported.
//
// A call into a function of the TU applies that function's summary for the
// same (C, M) and the caller's lock state: whether it notifies C before any
// acquisition of M (so the caller's pending writes are lost there), whether
// it acquires M on every path (they are not), what it leaves pending, and
// whether M is held when it returns. A call we cannot read that can reach M
// (given `this`, M, or a guard) may lock it: the pending writes are
// forgotten. A function runs with M held when every call site in the TU
// holds it, when it takes a lock by reference, is annotated as requiring a
// capability, or is named "...Locked".
//
//===----------------------------------------------------------------------===//

#include "CvLostWakeupCheck.h"
#include "engine/CvPredicate.h"
#include "engine/ForeverAnalysis.h"
#include "engine/StateFlags.h"
#include "engine/StmtWalk.h"
#include "engine/Templates.h"
#include "model/CallDepth.h"
#include "model/UserModel.h"
#include "clang/AST/Attr.h"
#include "clang/AST/DeclCXX.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/Analysis/CFG.h"
#include "clang/Lex/Lexer.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include <functional>
#include <map>

using namespace clang::ast_matchers;

namespace clang::tidy::threadleak {

namespace {
constexpr unsigned MaxCFGBlocks = 2000;
constexpr unsigned MaxTracked = 8;

/// The state a wait reads: a variable or data member, or the stop state
/// of the std::stop_tokens of a class (written by request_stop() in that
/// class), keyed by the class (or the translation unit, outside classes).
using Key = const void *;

Key stopStateOf(const CodeUnit &U) {
  for (const DeclContext *DC = U.Fn; DC; DC = DC->getParent())
    if (const auto *RD = llvm::dyn_cast<CXXRecordDecl>(DC))
      if (!RD->isLambda())
        return RD;
  return U.Fn->getTranslationUnitDecl();
}

bool isStopState(Key K) {
  return !llvm::isa<ValueDecl>(static_cast<const Decl *>(K));
}

/// A reference or a pointer: another name may stand for the same object,
/// so its identity is unknown (a `std::condition_variable &cv` parameter
/// bound to the caller's local through std::ref).
bool isAliasable(const ValueDecl *D) {
  QualType T = D->getType();
  return T->isReferenceType() || T->isPointerType();
}

/// How a predicate depends on a state: only true makes it true (`stop_`,
/// `stop_ || ...`), only false (`!running_`), or otherwise.
enum Polarity : uint8_t { NoUse = 0, Pos = 1, Neg = 2, Mixed = 3 };

/// How a predicate uses one state: as a truth value (Polarity bits), and in
/// comparisons with integer constants (`ready == 0`, `count_ > 2`), each
/// with whether the predicate needs the comparison true (Positive) or false.
struct KeyUse {
  uint8_t Truth = NoUse;
  struct Atom {
    BinaryOperatorKind Op;
    llvm::APSInt Constant;
    bool Positive;
  };
  llvm::SmallVector<Atom, 2> Atoms;

  void merge(const KeyUse &O) {
    Truth |= O.Truth;
    Atoms.append(O.Atoms.begin(), O.Atoms.end());
  }
  /// Storing \p V may help the predicate become true.
  bool canHelp(const llvm::APSInt &V) const {
    if (Truth == Mixed)
      return true;
    if ((Truth & Pos) && V != 0)
      return true;
    if ((Truth & Neg) && V == 0)
      return true;
    for (const Atom &A : Atoms) {
      unsigned Bits = std::max(V.getBitWidth(), A.Constant.getBitWidth()) + 1;
      llvm::APSInt L = V.extend(Bits), R = A.Constant.extend(Bits);
      L.setIsSigned(true);
      R.setIsSigned(true);
      bool Holds;
      switch (A.Op) {
      case BO_EQ: Holds = L == R; break;
      case BO_NE: Holds = L != R; break;
      case BO_LT: Holds = L < R; break;
      case BO_GT: Holds = L > R; break;
      case BO_LE: Holds = L <= R; break;
      case BO_GE: Holds = L >= R; break;
      default: return true;
      }
      if (Holds == A.Positive)
        return true;
    }
    return false;
  }
};
using KeyUses = llvm::DenseMap<Key, KeyUse>;

struct Waiter {
  const CodeUnit *Unit;
  ConditionWait Wait;
  const ValueDecl *Mutex;
  llvm::SmallVector<Key, 8> Keys;
  KeyUses Polarities;
};

/// A write to waited-for state.
struct WriteInfo {
  Key What = nullptr;
  /// A constant stored, or request_stop(): a flag set to wake someone.
  bool Flag = false;
  /// The constant stored, if any.
  const Expr *Value = nullptr;
};

enum class Rule {
  Unlocked,
  AfterNotify,
  OtherCV,
  TestedAfterWait,
  WakesOne,
  Unchecked,
  Unpredicated
};

struct Finding {
  Rule Kind;
  const Stmt *Write;
  Key What;
  /// The notify, preceded by the calls that lead to it.
  llvm::SmallVector<const Expr *, 3> NotifyPath;
  const ValueDecl *OtherCV = nullptr;
  const CodeUnit *Unit;
  /// The condition variable the waiter sleeps on.
  const ValueDecl *CV = nullptr;
  /// Rule d (TestedAfterWait): the waiter (Write is its wait), the test
  /// after the wait, and the notifier's flag write (Unit is the notifier).
  const Waiter *By = nullptr;
  const Expr *Test = nullptr;
  const Stmt *FlagWrite = nullptr;
  /// Rule e: the loop that starts the waiting code (Write is the
  /// notify_one()).
  const Stmt *Spawns = nullptr;
};

/// Sets of at most MaxTracked statements (null: a write the caller made).
using StmtSet = llvm::SmallVector<const Stmt *, 4>;
void addTo(StmtSet &S, const Stmt *X) {
  if (!llvm::is_contained(S, X) && S.size() < MaxTracked)
    S.push_back(X);
}
void unite(StmtSet &S, const StmtSet &O) {
  for (const Stmt *X : O)
    addTo(S, X);
}

/// The local variable an access reaches its object through (`s` of
/// `s->closed = true`, `s->cv.notify_one()`, `(*it).m`), a structured
/// binding by the object it decomposes; null if none.
const ValueDecl *accessRoot(const Stmt *St) {
  const Expr *E = llvm::dyn_cast_or_null<Expr>(St);
  for (unsigned Depth = 0; E && Depth < 8; ++Depth) {
    E = E->IgnoreParenImpCasts();
    if (const auto *BO = llvm::dyn_cast<BinaryOperator>(E)) {
      E = BO->getLHS();
    } else if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(E)) {
      if (OC->getNumArgs() == 0)
        return nullptr;
      E = OC->getArg(0);
    } else if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(E)) {
      E = MC->getImplicitObjectArgument();
    } else if (const auto *ME = llvm::dyn_cast<MemberExpr>(E)) {
      E = ME->getBase();
    } else if (const auto *UO = llvm::dyn_cast<UnaryOperator>(E)) {
      E = UO->getSubExpr();
    } else if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E)) {
      if (const auto *BD = llvm::dyn_cast<BindingDecl>(DRE->getDecl()))
        return BD->getDecomposedDecl();
      const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl());
      return VD && VD->hasLocalStorage() ? VD : nullptr;
    } else {
      return nullptr;
    }
  }
  return nullptr;
}

struct State {
  bool Reached = false;
  bool Held = false;
  StmtSet Pending;
  StmtSet Unannounced;
  StmtSet AfterOpen;
  enum NotifyTy : uint8_t { None, HeldSince, Open } Notify = None;
  const Expr *OpenNotify = nullptr;
  /// The variable the last notify reached its condition variable through
  /// (`s` of `s->cv.notify_one()`), and whether that variable has been
  /// declared again since (the next round of the loop that declares it: a
  /// write through it is to another object than the one notified).
  const ValueDecl *NotifyRoot = nullptr;
  bool NotifyRootRenewed = false;
  llvm::SmallVector<std::pair<const Stmt *, const CallExpr *>, 2> OtherNotified;

  bool join(const State &O) {
    if (!O.Reached)
      return false;
    if (!Reached) {
      *this = O;
      return true;
    }
    State Old = *this;
    Held = Held && O.Held;
    unite(Pending, O.Pending);
    unite(Unannounced, O.Unannounced);
    unite(AfterOpen, O.AfterOpen);
    if (O.Notify > Notify) {
      Notify = O.Notify;
      OpenNotify = O.OpenNotify;
      NotifyRoot = O.NotifyRoot;
      NotifyRootRenewed = O.NotifyRootRenewed;
    } else if (O.Notify == Notify && O.NotifyRoot != NotifyRoot) {
      NotifyRoot = nullptr;
    } else if (O.Notify == Notify) {
      NotifyRootRenewed = NotifyRootRenewed && O.NotifyRootRenewed;
    }
    for (const auto &P : O.OtherNotified)
      if (!llvm::is_contained(OtherNotified, P) &&
          OtherNotified.size() < MaxTracked)
        OtherNotified.push_back(P);
    return Held != Old.Held || Pending.size() != Old.Pending.size() ||
           Unannounced.size() != Old.Unannounced.size() ||
           AfterOpen.size() != Old.AfterOpen.size() || Notify != Old.Notify ||
           NotifyRoot != Old.NotifyRoot ||
           NotifyRootRenewed != Old.NotifyRootRenewed ||
           OtherNotified.size() != Old.OtherNotified.size();
  }
};

/// What running a unit does, for one condition variable and mutex and one
/// lock state at entry.
struct RunResult {
  bool Analysed = false;
  /// The first notify of C reached while the caller's writes are still
  /// pending, with the calls that lead to it.
  llvm::SmallVector<const Expr *, 3> NotifyWithIncoming;
  bool IncomingSurvives = true;
  StmtSet ExitPending;
  bool NotifiesC = false;
  bool HeldAtExit = false;
  llvm::DenseMap<const CallExpr *, bool> HeldAtCall;
  /// Rule a's findings, made while running.
  std::vector<Finding> Findings;
  /// The state at the exit, for rules b and c.
  State Exit;
};

bool isConstantValue(const Expr *E, const ASTContext &Ctx) {
  E = bareExpr(E);
  if (!E || E->isValueDependent() || E->isTypeDependent())
    return false;
  if (llvm::isa<CXXBoolLiteralExpr, IntegerLiteral, CXXNullPtrLiteralExpr,
                FloatingLiteral, CharacterLiteral>(E))
    return true;
  if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E))
    return llvm::isa<EnumConstantDecl>(DRE->getDecl());
  return E->isEvaluatable(Ctx);
}

std::string keyName(Key K) {
  if (isStopState(K))
    return "the stop state";
  return "'" + static_cast<const ValueDecl *>(K)->getNameAsString() + "'";
}
} // namespace

/// Adds to \p Out how \p E, evaluated as a condition that is true when the
/// predicate holds (\p Positive) or fails, depends on the state it names.
static void polarityOf(const Expr *E, bool Positive, KeyUses &Out,
                       const ASTContext &Ctx) {
  E = bareExpr(E);
  if (!E)
    return;
  auto MarkAll = [&](const Stmt *S) {
    walkOwnCode(S, [&](const Stmt *N) {
      const ValueDecl *D = nullptr;
      if (const auto *ME = llvm::dyn_cast<MemberExpr>(N))
        D = llvm::dyn_cast<FieldDecl>(ME->getMemberDecl());
      else if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(N))
        D = llvm::dyn_cast<VarDecl>(DRE->getDecl());
      if (D)
        Out[D].Truth |= Mixed;
    });
  };
  if (const auto *UO = llvm::dyn_cast<UnaryOperator>(E))
    if (UO->getOpcode() == UO_LNot)
      return polarityOf(UO->getSubExpr(), !Positive, Out, Ctx);
  if (const auto *BO = llvm::dyn_cast<BinaryOperator>(E)) {
    if (BO->getOpcode() == BO_LAnd || BO->getOpcode() == BO_LOr) {
      polarityOf(BO->getLHS(), Positive, Out, Ctx);
      polarityOf(BO->getRHS(), Positive, Out, Ctx);
      return;
    }
    // `stop_ == true`, `done != false`.
    if (BO->getOpcode() == BO_EQ || BO->getOpcode() == BO_NE) {
      for (auto [Lit, Other] : {std::pair(BO->getRHS(), BO->getLHS()),
                                std::pair(BO->getLHS(), BO->getRHS())})
        if (const auto *B =
                llvm::dyn_cast<CXXBoolLiteralExpr>(bareExpr(Lit))) {
          bool Same = B->getValue() == (BO->getOpcode() == BO_EQ);
          return polarityOf(Other, Same ? Positive : !Positive, Out, Ctx);
        }
    }
    // `ready == 0`, `count_ > 2`: a state compared with an integer
    // constant (on either side).
    if (BO->isComparisonOp()) {
      const Expr *L = bareExpr(BO->getLHS()), *R = bareExpr(BO->getRHS());
      BinaryOperatorKind Op = BO->getOpcode();
      Expr::EvalResult CV;
      bool RightConst = R && !R->isValueDependent() && R->EvaluateAsInt(CV, Ctx);
      if (!RightConst && L && !L->isValueDependent() &&
          L->EvaluateAsInt(CV, Ctx)) {
        std::swap(L, R);
        Op = BinaryOperator::reverseComparisonOp(Op);
        RightConst = true;
      }
      if (RightConst) {
        // The state side, through an atomic's load() or conversion.
        if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(L))
          if (const CXXMethodDecl *MD = MC->getMethodDecl())
            if (llvm::isa<CXXConversionDecl>(MD) ||
                (MD->getIdentifier() && MD->getName() == "load"))
              L = bareExpr(MC->getImplicitObjectArgument());
        const ValueDecl *D = nullptr;
        if (const auto *ME = llvm::dyn_cast<MemberExpr>(L))
          D = llvm::dyn_cast<FieldDecl>(ME->getMemberDecl());
        else if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(L))
          D = llvm::dyn_cast<VarDecl>(DRE->getDecl());
        if (D) {
          Out[D].Atoms.push_back({Op, CV.Val.getInt(), Positive});
          return;
        }
      }
    }
    return MarkAll(E);
  }
  // `stop_` through an atomic's conversion or load().
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(E)) {
    const CXXMethodDecl *MD = MC->getMethodDecl();
    if (MD && (llvm::isa<CXXConversionDecl>(MD) ||
               (MD->getIdentifier() && MD->getName() == "load")) &&
        MD->getReturnType()->isScalarType())
      return polarityOf(MC->getImplicitObjectArgument(), Positive, Out, Ctx);
    return MarkAll(E);
  }
  const ValueDecl *D = nullptr;
  if (const auto *ME = llvm::dyn_cast<MemberExpr>(E))
    D = llvm::dyn_cast<FieldDecl>(ME->getMemberDecl());
  else if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E))
    D = llvm::dyn_cast<VarDecl>(DRE->getDecl());
  if (D && (D->getType()->isScalarType() || D->getType()->isRecordType())) {
    Out[D].Truth |= Positive ? Pos : Neg;
    return;
  }
  MarkAll(E);
}

/// How the predicate (or the loop around a predicate-less wait, which
/// waits while its condition holds) depends on each state it reads; states
/// it reads elsewhere (an `if` in the loop, a function it calls) are
/// Mixed, by default.
static void predicatePolarities(const WaitCondition &C, KeyUses &Out,
                                const ASTContext &Ctx) {
  if (C.PredicateCode) {
    const auto *Body = llvm::dyn_cast<CompoundStmt>(C.PredicateCode);
    if (Body && Body->size() == 1)
      if (const auto *Ret = llvm::dyn_cast<ReturnStmt>(Body->body_front()))
        polarityOf(Ret->getRetValue(), true, Out, Ctx);
    return;
  }
  if (C.Guard) { // waits once, while the `if`'s condition holds
    polarityOf(C.Guard->getCond(), false, Out, Ctx);
    return;
  }
  const Expr *Cond = nullptr;
  if (const auto *WS = llvm::dyn_cast<WhileStmt>(C.Loop))
    Cond = WS->getCond();
  else if (const auto *FS = llvm::dyn_cast<ForStmt>(C.Loop))
    Cond = FS->getCond();
  else if (const auto *DS = llvm::dyn_cast<DoStmt>(C.Loop))
    Cond = DS->getCond();
  if (Cond)
    polarityOf(Cond, false, Out, Ctx);
  // What the loop's `if`s read could mean anything.
  walkOwnCode(C.Loop, [&](const Stmt *N) {
    if (const auto *If = llvm::dyn_cast<IfStmt>(N)) {
      polarityOf(If->getCond(), false, Out, Ctx);
      polarityOf(If->getCond(), true, Out, Ctx);
    }
  });
}

/// The per-TU analysis; see the file comment.
class LostWakeupAnalysis {
public:
  LostWakeupAnalysis(ASTContext &Ctx, const ConditionVariableModel &CVs,
                     const LockModel &Locks, const SyncInventory &Inv,
                     unsigned MaxCallDepth)
      : Ctx(Ctx), CVs(CVs), Locks(Locks), Inv(Inv),
        MaxCallDepth(MaxCallDepth) {}

  void collectWaiters();
  bool hasWaiters() const { return !ByCV.empty(); }
  /// Rule g: a wait that checks nothing (no predicate, no loop, no `if`
  /// around it) right after taking its lock, on a condition variable
  /// another piece of code notifies once, after changing state: a notify
  /// that comes first is lost. Needs no readable waiter.
  void unpredicated(std::vector<Finding> &Out);
  void run(std::vector<Finding> &Out);
  const Waiter *waiterReading(const ValueDecl *CV, Key K) const;
  /// \p S stands for a stop request made elsewhere: 0 if not, 1 for a
  /// call that returns once it is made, 2 for a stop callback's
  /// registration.
  unsigned stopSite(const Stmt *S) const { return StopSites.lookup(S); }
  /// Where the waiting code was first handed to a thread start, when
  /// startedInLoop() answered \p Second, its second one; else null.
  const Stmt *firstStart(const Stmt *Second) const {
    return HandedTwice.lookup(Second);
  }

private:
  struct Target {
    const ValueDecl *CV;
    const ValueDecl *Mutex;
    llvm::SmallVector<Key, 8> Keys;
    /// How the waiters' predicates use each key.
    KeyUses Polarities;
  };
  struct UnitInfo {
    std::unique_ptr<CFG> Graph;
    bool Built = false;
    GuardVariables Guards;
  };

  const RunResult &runUnit(const CodeUnit &U, const Target &T, bool EntryHeld);
  void transfer(const CodeUnit &U, const UnitInfo &UI, const Target &T,
                const CFGElement &E, State &S, RunResult &R, bool Record);
  void report(const CodeUnit &U, const Target &T, std::vector<Finding> &Out);
  /// Rule d: a waiter tests state only after its wait; a notifier sets it
  /// once and notifies.
  void testedAfterWait(std::vector<Finding> &Out);
  /// Rule f: a notifier changes only state no wait on the condition
  /// variable checks, state a waiter reads once its wait has returned.
  void unchecked(std::vector<Finding> &Out);
  /// Rule e: a flag every waiter leaves on, announced with notify_one()
  /// while the waiting code runs on several threads.
  void wakesOne(std::vector<Finding> &Out);
  /// \p U may run on several threads at once: it (or a caller, two
  /// levels up) is a lambda written in a loop, or a function named (not
  /// called) in a loop: `std::thread(&Pool::work, this)` per worker. The
  /// loop, or null.
  const Stmt *startedInLoop(const CodeUnit &U, unsigned Depth);
  /// \p U, or a function it calls before \p Before (to a depth), reads
  /// \p K.
  bool readsBefore(const CodeUnit &U, const ValueDecl *K, const Stmt *Before,
                   unsigned Depth) const;
  UnitInfo &info(const CodeUnit &U);
  bool reachesNotify(const CodeUnit &U, const ValueDecl *CV, unsigned Depth);
  /// The waiter \p Wt notifies \p CV (itself or through a call) once its
  /// wait has returned: it passes a wake-up on.
  bool passesOn(const Waiter &Wt, const ValueDecl *CV);
  /// \p S runs once \p Wt's wait has returned: after it, or in a loop
  /// around it.
  bool afterWait(const Waiter &Wt, const Stmt *S) const;
  bool entryHeld(const CodeUnit &U, const Target &T, unsigned Depth);
  std::optional<WriteInfo> asWrite(const Stmt *S, const Target &T,
                                   const CodeUnit &U) const;
  bool mayLockOpaquely(const CallExpr *Call, const Target &T,
                       const UnitInfo &UI) const;
  bool canWake(const WriteInfo &W, const Target &T) const;
  bool heldOnEdge(const CFGBlock &From, unsigned SuccIndex, const Target &T,
                  const UnitInfo &UI) const;
  /// \p Call returns only once a stop has been requested: a wait that only
  /// a stop ends (`cv.wait(lk, tok, [] { return false; })`), or a call of a
  /// function of the TU that makes one (`Done(ctx)`). The request itself
  /// was made elsewhere, with no lock of ours held.
  bool observesStop(const CallExpr *Call);
  bool waitsOn(const CodeUnit &U, const ValueDecl *CV) const {
    return llvm::any_of(U.Waits, [&](const ConditionWait &W) {
      return W.CondVar == CV;
    });
  }

  ASTContext &Ctx;
  const ConditionVariableModel &CVs;
  const LockModel &Locks;
  const SyncInventory &Inv;
  unsigned MaxCallDepth;
  /// How many summaries are being computed (the call depth).
  unsigned Stack = 0;
  std::vector<Waiter> Waiters;
  /// Per condition variable, the waiters' (mutex, keys), merged by mutex.
  std::map<std::pair<unsigned, unsigned>, Target> Targets;
  llvm::DenseMap<const ValueDecl *, llvm::SmallVector<unsigned, 2>> ByCV;
  llvm::DenseMap<const CodeUnit *, std::unique_ptr<UnitInfo>> Infos;
  std::map<std::tuple<const CodeUnit *, const Target *, bool>, RunResult> Runs;
  std::map<std::tuple<const CodeUnit *, const ValueDecl *, unsigned>, bool>
      Reaches;
  llvm::DenseMap<const FunctionDecl *, bool> StopObservers;
  /// The sites standing for a stop request made elsewhere (see
  /// observesStop() and stopCallbackSite()), as stopSite() says.
  llvm::DenseMap<const Stmt *, unsigned> StopSites;
  /// stopCallbackSite() of each unit run, once.
  llvm::DenseMap<const CodeUnit *, const Stmt *> CallbackSites;
  /// startedInLoop() of each unit asked, once.
  llvm::DenseMap<const CodeUnit *, const Stmt *> StartLoops;
  /// A function handed to a second thread start (startedInLoop()'s answer
  /// when no loop starts it) -> the first.
  llvm::DenseMap<const Stmt *, const Stmt *> HandedTwice;
};

void LostWakeupAnalysis::collectWaiters() {
  llvm::DenseMap<const ValueDecl *, unsigned> CVIndex, MutexIndex;
  for (const auto &U : Inv.units()) {
    for (const ConditionWait &W : U->Waits) {
      if (W.Timed || W.StopAware || !W.CondVar)
        continue; // A timed wait wakes up on its own: a delay, not a hang.
      const ValueDecl *M = Locks.lockedBy(W.Lock);
      if (!M)
        continue;
      std::optional<WaitCondition> Cond = waitCondition(W, U->Fn, Ctx);
      if (!Cond)
        Cond = guardedWaitCondition(W, U->Fn, Ctx);
      if (!Cond)
        continue;
      // A condition variable or mutex known by a reference: the notifier
      // may name the same object otherwise.
      if (isAliasable(W.CondVar) || isAliasable(M))
        continue;
      Waiter Wt{U.get(), W, M, {}, {}};
      for (const ValueDecl *D : Cond->Reads) {
        QualType T = D->getType();
        if (D == M || D == W.CondVar || LockModel::isLockable(T) ||
            CVs.isConditionVariable(T) || T.isConstQualified() ||
            isStopTokenType(T) || isAliasable(D))
          continue;
        Wt.Keys.push_back(D);
      }
      predicatePolarities(*Cond, Wt.Polarities, Ctx);
      if (Cond->ReadsStopToken)
        Wt.Keys.push_back(stopStateOf(*U));
      if (Wt.Keys.empty())
        continue;
      // A wait in a branch that cannot run (its member is never given a
      // value that takes it) is no waiter. (Asked last: it walks the body.)
      if (cannotRun(W.Call, U->Body, Ctx))
        continue;
      unsigned CI = CVIndex.try_emplace(W.CondVar, CVIndex.size()).first->second;
      unsigned MI = MutexIndex.try_emplace(M, MutexIndex.size()).first->second;
      Target &T = Targets[{CI, MI}];
      if (!T.CV) {
        T.CV = W.CondVar;
        T.Mutex = M;
        ByCV[W.CondVar].push_back(CI * 65536 + MI);
      }
      for (Key K : Wt.Keys) {
        if (!llvm::is_contained(T.Keys, K))
          T.Keys.push_back(K);
        auto P = Wt.Polarities.find(K);
        if (P == Wt.Polarities.end())
          T.Polarities[K].Truth = Mixed;
        else
          T.Polarities[K].merge(P->second);
      }
      Waiters.push_back(std::move(Wt));
    }
  }
}

const Waiter *LostWakeupAnalysis::waiterReading(const ValueDecl *CV,
                                                Key K) const {
  for (const Waiter &W : Waiters)
    if ((!CV || W.Wait.CondVar == CV) && llvm::is_contained(W.Keys, K))
      return &W;
  return nullptr;
}

LostWakeupAnalysis::UnitInfo &LostWakeupAnalysis::info(const CodeUnit &U) {
  std::unique_ptr<UnitInfo> &Slot = Infos[&U];
  if (!Slot)
    Slot = std::make_unique<UnitInfo>();
  if (!Slot->Built) {
    Slot->Built = true;
    CFG::BuildOptions Opts;
    Opts.AddImplicitDtors = true;
    Opts.setAllAlwaysAdd();
    std::unique_ptr<CFG> G =
        CFG::buildCFG(U.Fn, const_cast<Stmt *>(U.Body), &Ctx, Opts);
    if (G && G->getNumBlockIDs() <= MaxCFGBlocks)
      Slot->Graph = std::move(G);
    Slot->Guards = Locks.guardsIn(U.Body);
  }
  return *Slot;
}

bool LostWakeupAnalysis::reachesNotify(const CodeUnit &U, const ValueDecl *CV,
                                       unsigned Depth) {
  for (const auto &N : U.Notifies)
    if (N.second == CV)
      return true;
  if (Depth >= MaxCallDepth)
    return false;
  auto Key = std::make_tuple(&U, CV, Depth);
  auto It = Reaches.find(Key);
  if (It != Reaches.end())
    return It->second;
  Reaches[Key] = false; // Recursion: not through itself.
  bool Result = false;
  for (const auto &C : U.Calls)
    if (const CodeUnit *Callee = Inv.unitOf(C.second))
      if (reachesNotify(*Callee, CV, Depth + 1)) {
        Result = true;
        break;
      }
  return Reaches[Key] = Result;
}

bool LostWakeupAnalysis::entryHeld(const CodeUnit &U, const Target &T,
                                   unsigned Depth) {
  const FunctionDecl *Fn = U.Fn;
  // Annotated for -Wthread-safety as running with a capability held.
  if (Fn->hasAttr<RequiresCapabilityAttr>())
    return true;
  // Handed a lock: it runs inside its caller's critical section.
  for (const ParmVarDecl *P : Fn->parameters()) {
    QualType PT = P->getType();
    if (!PT->isReferenceType() && !PT->isPointerType())
      continue;
    const CXXRecordDecl *RD = recordOf(PT);
    if (RD && RD->getIdentifier() &&
        (RD->getName().ends_with("lock") || RD->getName().ends_with("lock_guard")))
      return true;
  }
  // The naming convention for "call with the lock held".
  if (Fn->getIdentifier()) {
    std::string Lower = Fn->getName().lower();
    llvm::StringRef L(Lower);
    if ((L.ends_with("locked") && !L.ends_with("unlocked")) ||
        L.ends_with("_locked"))
      return true;
  }
  // Every call site in the TU holds M.
  if (Depth >= 2)
    return false;
  auto Callers = Inv.callersOf(Fn);
  if (Callers.empty())
    return false;
  for (const auto &[Caller, Call] : Callers) {
    const RunResult &R = runUnit(*Caller, T, entryHeld(*Caller, T, Depth + 1));
    if (!R.Analysed)
      return false;
    // A call the CFG never reaches (in a catch handler: there are no
    // exception edges) says nothing either way.
    auto It = R.HeldAtCall.find(Call);
    if (It != R.HeldAtCall.end() && !It->second)
      return false;
    // A destruction (`delete p`, a scope's end) is no call this walk
    // sees: nothing says M is held there.
    if (It == R.HeldAtCall.end() && isDestruction(Call))
      return false;
  }
  return true;
}

std::optional<WriteInfo> LostWakeupAnalysis::asWrite(const Stmt *S,
                                                     const Target &T,
                                                     const CodeUnit &U) const {
  const Expr *Value = nullptr;
  auto Tracked = [&](const Expr *Target, bool Flag) -> std::optional<WriteInfo> {
    const ValueDecl *D = writtenObject(Target);
    if (!D || !llvm::is_contained(T.Keys, static_cast<Key>(D)))
      return std::nullopt;
    return WriteInfo{D, Flag, Flag ? Value : nullptr};
  };
  if (const auto *BO = llvm::dyn_cast<BinaryOperator>(S)) {
    if (!BO->isAssignmentOp())
      return std::nullopt;
    Value = BO->getRHS();
    return Tracked(BO->getLHS(), BO->getOpcode() == BO_Assign &&
                                     isConstantValue(BO->getRHS(), Ctx));
  }
  if (const auto *UO = llvm::dyn_cast<UnaryOperator>(S)) {
    if (!UO->isIncrementDecrementOp())
      return std::nullopt;
    return Tracked(UO->getSubExpr(), false);
  }
  const auto *Call = llvm::dyn_cast<CallExpr>(S);
  if (!Call)
    return std::nullopt;
  const FunctionDecl *Callee = Call->getDirectCallee();
  if (!Callee)
    return std::nullopt;
  if (Callee->getIdentifier() && Callee->getName() == "request_stop") {
    Key K = stopStateOf(U);
    if (!llvm::is_contained(T.Keys, K))
      return std::nullopt;
    return WriteInfo{K, true};
  }
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call)) {
    const CXXMethodDecl *MD = MC->getMethodDecl();
    if (!MD || MD->isConst())
      return std::nullopt;
    // store(), exchange(), and a project's atomic's set() / Set().
    bool Flag = MD->getIdentifier() &&
                (MD->getName() == "store" || MD->getName() == "exchange" ||
                 MD->getName().equals_insensitive("set")) &&
                MC->getNumArgs() >= 1 && isConstantValue(MC->getArg(0), Ctx);
    if (Flag)
      Value = MC->getArg(0);
    return Tracked(MC->getImplicitObjectArgument(), Flag);
  }
  if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(Call)) {
    const auto *MD = llvm::dyn_cast<CXXMethodDecl>(Callee);
    if (!MD || MD->isConst() || OC->getNumArgs() < 1 ||
        OC->getOperator() == OO_Call || OC->getOperator() == OO_Arrow ||
        OC->getOperator() == OO_Star || OC->getOperator() == OO_Subscript)
      return std::nullopt;
    bool Flag = OC->getOperator() == OO_Equal && OC->getNumArgs() == 2 &&
                isConstantValue(OC->getArg(1), Ctx);
    if (Flag)
      Value = OC->getArg(1);
    return Tracked(OC->getArg(0), Flag);
  }
  return std::nullopt;
}

bool LostWakeupAnalysis::canWake(const WriteInfo &W, const Target &T) const {
  if (!W.Value)
    return true;
  auto It = T.Polarities.find(W.What);
  if (It == T.Polarities.end() || It->second.Truth == Mixed ||
      (It->second.Truth == NoUse && It->second.Atoms.empty()))
    return true;
  if (W.Value->isValueDependent())
    return true;
  Expr::EvalResult Stored;
  if (W.Value->EvaluateAsInt(Stored, Ctx))
    return It->second.canHelp(Stored.Val.getInt());
  bool B;
  if (!W.Value->EvaluateAsBooleanCondition(B, Ctx))
    return true;
  return It->second.canHelp(llvm::APSInt::get(B ? 1 : 0));
}

/// The edge from \p From's branch on `lk.owns_lock()` (or `!lk.owns_lock()`,
/// `if (lk)`) where the guard of M owns its lock.
bool LostWakeupAnalysis::heldOnEdge(const CFGBlock &From, unsigned SuccIndex,
                                    const Target &T, const UnitInfo &UI) const {
  const auto *E = llvm::dyn_cast_or_null<Expr>(From.getTerminatorCondition());
  if (!E || From.succ_size() != 2)
    return false;
  bool Positive = true;
  E = bareExpr(E);
  while (const auto *UO = llvm::dyn_cast<UnaryOperator>(E)) {
    if (UO->getOpcode() != UO_LNot)
      return false;
    Positive = !Positive;
    E = bareExpr(UO->getSubExpr());
  }
  const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(E);
  const CXXMethodDecl *MD = MC ? MC->getMethodDecl() : nullptr;
  if (!MD || !(llvm::isa<CXXConversionDecl>(MD) ||
               (MD->getIdentifier() && MD->getName() == "owns_lock")))
    return false;
  const auto *DRE =
      llvm::dyn_cast<DeclRefExpr>(bareExpr(MC->getImplicitObjectArgument()));
  const auto *VD = DRE ? llvm::dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
  auto It = VD ? UI.Guards.Vars.find(VD) : UI.Guards.Vars.end();
  if (It == UI.Guards.Vars.end() ||
      !llvm::is_contained(It->second.Mutexes, T.Mutex))
    return false;
  // Successor 0 is taken when the condition is true.
  return (SuccIndex == 0) == Positive;
}

bool LostWakeupAnalysis::mayLockOpaquely(const CallExpr *Call, const Target &T,
                                         const UnitInfo &UI) const {
  const FunctionDecl *Callee = Call->getDirectCallee();
  if (Callee && Ctx.getSourceManager().isInSystemHeader(Callee->getLocation()))
    return false; // The library's lock operations are in the lock model.
  auto Reaches = [&](const Expr *E) {
    E = bareExpr(E);
    if (llvm::isa<CXXThisExpr>(E))
      return true;
    if (const auto *UO = llvm::dyn_cast<UnaryOperator>(E))
      if (UO->getOpcode() == UO_AddrOf)
        E = bareExpr(UO->getSubExpr());
    if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E))
      if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl()))
        if (UI.Guards.Vars.count(VD))
          return true;
    return namedObject(E) == T.Mutex;
  };
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call))
    if (Reaches(MC->getImplicitObjectArgument()))
      return true;
  if (!Callee)
    return true; // Through a pointer or a std::function: anything.
  return llvm::any_of(Call->arguments(), Reaches);
}

void LostWakeupAnalysis::transfer(const CodeUnit &U, const UnitInfo &UI,
                                  const Target &T, const CFGElement &E,
                                  State &S, RunResult &R, bool Record) {
  llvm::SmallVector<LockEvent, 2> Events;
  Locks.eventsOf(E, UI.Guards, Events);
  for (const LockEvent &Ev : Events) {
    if (Ev.Mutex != T.Mutex) {
      // A mutex known by a reference may be M: its acquisition may order
      // the writes with the waiter.
      if (Ev.Kind == LockEvent::Acquire && isAliasable(Ev.Mutex)) {
        S.Held = true;
        S.Pending.clear();
      }
      continue;
    }
    if (Ev.Kind == LockEvent::Acquire) {
      S.Held = true;
      S.Pending.clear();
    } else {
      S.Held = false;
      if (S.Notify == State::HeldSince)
        S.Notify = State::Open;
    }
  }
  auto CS = E.getAs<CFGStmt>();
  if (!CS)
    return;
  const Stmt *St = CS->getStmt();

  // The notified object's variable declared again: the loop's next round,
  // and through it another object (`for (auto &[id, s] : subs) { s->closed
  // = true; s->cv.notify_one(); }`).
  if (const auto *DS = llvm::dyn_cast<DeclStmt>(St); DS && S.NotifyRoot) {
    if (llvm::is_contained(DS->decls(), S.NotifyRoot))
      S.NotifyRootRenewed = true;
  }

  if (std::optional<WriteInfo> W = asWrite(St, T, U)) {
    if (!canWake(*W, T))
      return; // It can only make the predicate false: nothing to lose.
    if (!S.Held)
      addTo(S.Pending, St);
    if (W->Flag) {
      addTo(S.Unannounced, St);
      if (S.Notify == State::Open &&
          !(S.NotifyRootRenewed && accessRoot(St) == S.NotifyRoot))
        addTo(S.AfterOpen, St);
    }
    return;
  }
  const auto *Call = llvm::dyn_cast<CallExpr>(St);
  if (!Call)
    return;

  auto NotifiesTarget = [&](llvm::ArrayRef<const Expr *> Path) {
    for (const Stmt *P : S.Pending) {
      if (!P) {
        if (R.NotifyWithIncoming.empty())
          R.NotifyWithIncoming.assign(Path.begin(), Path.end());
        continue;
      }
      if (Record) {
        Finding F{Rule::Unlocked, P, nullptr, {}, nullptr, &U};
        F.NotifyPath.assign(Path.begin(), Path.end());
        R.Findings.push_back(std::move(F));
      }
    }
    S.Unannounced.clear();
    S.AfterOpen.clear();
    S.OtherNotified.clear();
    R.NotifiesC = true;
  };

  if (const ValueDecl *CV = CVs.notified(Call)) {
    if (isAliasable(CV)) {
      // Perhaps C under another name: the flags may be announced.
      S.Unannounced.clear();
      S.AfterOpen.clear();
      S.OtherNotified.clear();
      return;
    }
    if (CV == T.CV) {
      NotifiesTarget({Call});
      S.Notify = S.Held ? State::HeldSince : State::Open;
      S.OpenNotify = Call;
      S.NotifyRoot = accessRoot(Call);
      S.NotifyRootRenewed = false;
    } else {
      for (const Stmt *W : S.Unannounced)
        if (S.OtherNotified.size() < MaxTracked &&
            !llvm::is_contained(S.OtherNotified, std::make_pair(W, Call)))
          S.OtherNotified.push_back({W, Call});
    }
    return;
  }
  if (observesStop(Call)) {
    // The stop state changed before this returned, under no lock of ours.
    if (llvm::is_contained(T.Keys, stopStateOf(U)) && !S.Held) {
      StopSites[Call] = 1;
      addTo(S.Pending, Call);
    }
    return;
  }
  if (CVs.asWait(Call))
    return;

  const FunctionDecl *Def = nullptr;
  if (!mayDispatchElsewhere(Call))
    Def = analysableDefinition(Call->getDirectCallee(), Ctx);
  const CodeUnit *Callee = Def ? Inv.unitOf(Def) : nullptr;
  if (Record)
    R.HeldAtCall[Call] = S.Held;
  if (Callee && Stack < MaxCallDepth) {
    ++Stack;
    const RunResult &Sum = runUnit(*Callee, T, S.Held);
    --Stack;
    if (Sum.Analysed) {
      if (!Sum.NotifyWithIncoming.empty()) {
        llvm::SmallVector<const Expr *, 3> Path{Call};
        Path.append(Sum.NotifyWithIncoming.begin(),
                    Sum.NotifyWithIncoming.end());
        NotifiesTarget(Path);
      } else if (Sum.NotifiesC) {
        S.Unannounced.clear();
        S.AfterOpen.clear();
        S.OtherNotified.clear();
        R.NotifiesC = true;
      }
      if (Sum.NotifiesC) {
        S.Notify = State::Open;
        S.OpenNotify = Call;
        S.NotifyRoot = nullptr;
      }
      if (!Sum.IncomingSurvives)
        S.Pending.clear();
      if (!S.Held)
        unite(S.Pending, Sum.ExitPending);
      S.Held = Sum.HeldAtExit;
      return;
    }
  }
  if (mayLockOpaquely(Call, T, UI)) {
    // It may take M, or notify: we cannot tell what a waiter sees.
    S.Pending.clear();
    S.Unannounced.clear();
    S.AfterOpen.clear();
    S.OtherNotified.clear();
  }
}

const RunResult &LostWakeupAnalysis::runUnit(const CodeUnit &U,
                                             const Target &T, bool EntryHeld) {
  auto Key = std::make_tuple(&U, &T, EntryHeld);
  auto Found = Runs.find(Key);
  if (Found != Runs.end())
    return Found->second;
  // In progress (recursion) reads as "not analysed": the call is opaque.
  Runs[Key];
  RunResult R;
  UnitInfo &UI = info(U);
  const CFG *G = UI.Graph.get();
  if (!G)
    return Runs[Key] = std::move(R);

  std::vector<State> In(G->getNumBlockIDs());
  State Entry;
  Entry.Reached = true;
  Entry.Held = EntryHeld;
  Entry.Pending.push_back(nullptr); // The caller's writes.
  // A stop_callback's lambda runs right after the stop request, made
  // without our lock (request_stop() runs it on the requesting thread).
  auto [Site, NewSite] = CallbackSites.try_emplace(&U, nullptr);
  if (NewSite)
    Site->second = stopCallbackSite(Inv, U);
  if (const Stmt *CB = Site->second;
      CB && !EntryHeld && llvm::is_contained(T.Keys, stopStateOf(U))) {
    StopSites[CB] = 2;
    addTo(Entry.Pending, CB);
  }
  In[G->getEntry().getBlockID()] = Entry;
  // A round-robin fixpoint in block order; the lattice is finite and small.
  auto Pass = [&](bool Record) {
    bool Changed = false;
    for (const CFGBlock *B : llvm::reverse(*G)) {
      if (!B || !In[B->getBlockID()].Reached)
        continue;
      State S = In[B->getBlockID()];
      for (const CFGElement &E : *B)
        transfer(U, UI, T, E, S, R, Record);
      unsigned Index = 0;
      for (const CFGBlock *Succ : B->succs()) {
        unsigned I = Index++;
        if (!Succ)
          continue;
        if (!S.Held && heldOnEdge(*B, I, T, UI)) {
          State Edge = S;
          Edge.Held = true;
          Changed |= In[Succ->getBlockID()].join(Edge);
          continue;
        }
        Changed |= In[Succ->getBlockID()].join(S);
      }
    }
    return Changed;
  };
  unsigned Rounds = 0;
  while (Pass(false))
    if (++Rounds > 64)
      return Runs[Key] = RunResult(); // Over budget: silence.
  R.Findings.clear();
  R.NotifyWithIncoming.clear();
  R.NotifiesC = false;
  Pass(true);

  const State &Exit = In[G->getExit().getBlockID()];
  R.Analysed = true;
  R.Exit = Exit;
  if (Exit.Reached) {
    R.IncomingSurvives = llvm::is_contained(Exit.Pending, nullptr);
    for (const Stmt *P : Exit.Pending)
      if (P)
        addTo(R.ExitPending, P);
    R.HeldAtExit = Exit.Held;
  } else {
    R.IncomingSurvives = false; // It never returns.
  }
  return Runs[Key] = std::move(R);
}

void LostWakeupAnalysis::report(const CodeUnit &U, const Target &T,
                                std::vector<Finding> &Out) {
  const RunResult &R = runUnit(U, T, entryHeld(U, T, 0));
  auto Add = [&](Finding F) {
    if (std::optional<WriteInfo> W = asWrite(F.Write, T, *F.Unit))
      F.What = W->What;
    else if (StopSites.count(F.Write))
      F.What = stopStateOf(*F.Unit);
    F.CV = T.CV;
    Out.push_back(std::move(F));
  };
  for (const Finding &F : R.Findings)
    Add(F);
  // Rules b and c: code that notifies without waiting on C itself (a
  // handshake that both waits and notifies is beyond this rule) and leaves
  // a flag unannounced at its exit.
  const State &Exit = R.Exit;
  if (!R.Analysed || !Exit.Reached || waitsOn(U, T.CV))
    return;
  for (const Stmt *W : Exit.AfterOpen)
    if (llvm::is_contained(Exit.Unannounced, W))
      Add({Rule::AfterNotify, W, nullptr, {Exit.OpenNotify}, nullptr, &U});
  // Rule c also needs the notifier to be able to name C: a member of its
  // class, a global, or a local of a function it is written in.
  bool CanNameC = false;
  if (const auto *FD = llvm::dyn_cast<FieldDecl>(T.CV)) {
    for (const DeclContext *DC = U.Fn; DC && !CanNameC; DC = DC->getParent())
      CanNameC = DC == FD->getParent();
  } else if (const auto *VD = llvm::dyn_cast<VarDecl>(T.CV)) {
    CanNameC = VD->hasGlobalStorage() && !VD->isStaticLocal();
    for (const DeclContext *DC = U.Fn; DC && !CanNameC; DC = DC->getParent())
      CanNameC = DC == VD->getDeclContext();
  }
  // Nor when the code the other condition variable wakes notifies C in
  // turn (a pool's workers, woken for the shutdown, notify the schedulers'
  // condition variable as they finish): the wake-up is relayed.
  auto Relayed = [&](const ValueDecl *Other) {
    return llvm::any_of(Inv.units(), [&](const auto &R) {
      return waitsOn(*R, Other) && reachesNotify(*R, T.CV, 0);
    });
  };
  for (const auto &[W, Other] : Exit.OtherNotified)
    if (CanNameC && llvm::is_contained(Exit.Unannounced, W) &&
        !llvm::is_contained(Exit.AfterOpen, W) && !Relayed(CVs.notified(Other)))
      Add({Rule::OtherCV, W, nullptr, {Other}, CVs.notified(Other), &U});
}

bool LostWakeupAnalysis::observesStop(const CallExpr *Call) {
  if (std::optional<ConditionWait> W = CVs.asWait(Call))
    return !W->Timed && stopOnlyToken(*W);
  const FunctionDecl *Def = nullptr;
  if (!mayDispatchElsewhere(Call))
    Def = analysableDefinition(Call->getDirectCallee(), Ctx);
  const CodeUnit *Callee = Def ? Inv.unitOf(Def) : nullptr;
  if (!Callee || Callee->Lambda)
    return false;
  auto [It, New] = StopObservers.try_emplace(Def, false);
  if (!New)
    return It->second;
  // A function whose body waits, untimed, for nothing but a stop, and
  // notifies nothing itself (`void Done(std::stop_token)`).
  bool Observes = Callee->Notifies.empty() &&
                  llvm::any_of(Callee->Waits, [](const ConditionWait &W) {
                    return !W.Timed && stopOnlyToken(W);
                  });
  return StopObservers[Def] = Observes;
}

/// The variable or data member \p N names, if it is a name.
static const ValueDecl *nameIn(const Stmt *N) {
  if (const auto *ME = llvm::dyn_cast<MemberExpr>(N))
    return ME->getMemberDecl();
  if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(N))
    return DRE->getDecl();
  return nullptr;
}

bool LostWakeupAnalysis::readsBefore(const CodeUnit &U, const ValueDecl *K,
                                     const Stmt *Before, unsigned Depth) const {
  const SourceManager &SM = Ctx.getSourceManager();
  bool Reads = false;
  walkWithLambdas(U.Body, nullptr, [&](const Stmt *N) {
    if (Reads || (Before && !SM.isBeforeInTranslationUnit(N->getBeginLoc(),
                                                          Before->getEndLoc())))
      return;
    if (nameIn(N) == K)
      Reads = true;
  });
  if (Reads || Depth >= 2)
    return Reads;
  for (const auto &[Call, Callee] : U.Calls)
    if (!Before ||
        SM.isBeforeInTranslationUnit(Call->getEndLoc(), Before->getBeginLoc()))
      if (const CodeUnit *CU = Inv.unitOf(Callee))
        if (CU != &U && readsBefore(*CU, K, nullptr, Depth + 1))
          return true;
  return false;
}

void LostWakeupAnalysis::testedAfterWait(std::vector<Finding> &Out) {
  const SourceManager &SM = Ctx.getSourceManager();
  auto Before = [&](SourceLocation L, SourceLocation R) {
    return SM.isBeforeInTranslationUnit(L, R);
  };
  for (const Waiter &Wt : Waiters) {
    const CodeUnit &U = *Wt.Unit;
    const CallExpr *Wait = Wt.Wait.Call;
    // The waiter takes the mutex itself before the wait: its critical
    // section, and so what it tests before sleeping, starts here.
    const UnitInfo &UI = info(U);
    if (!llvm::any_of(UI.Guards.Vars, [&](const auto &Entry) {
          const GuardVariables::Guard &G = Entry.second;
          return !G.Adopts && G.Construction &&
                 llvm::is_contained(G.Mutexes, Wt.Mutex) &&
                 Before(G.Construction->getBeginLoc(), Wait->getBeginLoc());
        }))
      continue;
    // The innermost loop around the wait.
    const Stmt *Loop = innermostLoopAround(U.Body, Wait);
    if (!Loop)
      continue;
    // What it tests after waking, in that loop, to leave it: shared state
    // (a data member or a global), not the waiter's locals.
    llvm::SmallVector<std::pair<const ValueDecl *, const Expr *>, 2> Exits;
    walkOwnCode(loopBody(Loop), [&](const Stmt *N) {
      const auto *If = llvm::dyn_cast<IfStmt>(N);
      if (!If || !If->getCond() ||
          !Before(Wait->getEndLoc(), If->getBeginLoc()) ||
          noWayOut(If->getThen()))
        return;
      walkOwnCode(If->getCond(), [&](const Stmt *C) {
        const ValueDecl *D = nameIn(C);
        const auto *VD = llvm::dyn_cast_or_null<VarDecl>(D);
        if (!D || (!llvm::isa<FieldDecl>(D) && !(VD && VD->hasGlobalStorage())))
          return;
        QualType T = D->getType();
        if (D == Wt.Mutex || D == Wt.Wait.CondVar || T.isConstQualified() ||
            LockModel::isLockable(T) || CVs.isConditionVariable(T) ||
            isAliasable(D) ||
            llvm::any_of(Exits, [&](const auto &E) { return E.first == D; }))
          return;
        Exits.push_back({D, If->getCond()});
      });
    });
    for (const auto &[K, Test] : Exits) {
      // Tested before the first wait (the predicate, the loop's condition,
      // code before the loop, the functions it calls there): a notify that
      // came earlier is seen.
      if (readsBefore(U, K, Wait, 0))
        continue;
      // A notifier that sets it once, to a constant, and notifies the
      // condition variable; not a handshake that waits on it too.
      Target One;
      One.CV = Wt.Wait.CondVar;
      One.Mutex = Wt.Mutex;
      One.Keys.push_back(K);
      for (const auto &N : Inv.units()) {
        if (N.get() == &U || waitsOn(*N, One.CV) ||
            !reachesNotify(*N, One.CV, 0))
          continue;
        const Stmt *FlagWrite = nullptr;
        walkOwnCode(N->Body, [&](const Stmt *S) {
          if (FlagWrite)
            return;
          if (std::optional<WriteInfo> W = asWrite(S, One, *N);
              W && W->Flag && W->What == K)
            FlagWrite = S;
        });
        if (!FlagWrite)
          continue;
        // Where it notifies: its own notify, or the call that leads to one.
        const Expr *Notify = nullptr;
        for (const auto &[Call, CV] : N->Notifies)
          if (CV == One.CV && !Notify)
            Notify = Call;
        for (const auto &[Call, Callee] : N->Calls)
          if (!Notify)
            if (const CodeUnit *CU = Inv.unitOf(Callee))
              if (reachesNotify(*CU, One.CV, 1))
                Notify = Call;
        Finding F{Rule::TestedAfterWait, Wait, K, {}, nullptr, N.get(), One.CV};
        if (Notify)
          F.NotifyPath.push_back(Notify);
        F.By = &Wt;
        F.Test = Test;
        F.FlagWrite = FlagWrite;
        Out.push_back(std::move(F));
        break;
      }
    }
  }
}

/// A class whose objects run a thread: it can be joined or detached
/// (std::thread, std::jthread, boost::thread, a project's Thread).
static bool isThreadClass(QualType T) {
  const CXXRecordDecl *RD = T->getAsCXXRecordDecl();
  if (!RD || !RD->hasDefinition())
    return false;
  for (const CXXMethodDecl *M : RD->getDefinition()->methods())
    if (M->getIdentifier() &&
        (M->getName() == "join" || M->getName() == "detach"))
      return true;
  return false;
}

/// \p Call starts a thread on a routine among its arguments:
/// pthread_create, std::async, or an emplace_back/push_back into a
/// container of threads.
static bool startsThread(const CallExpr *Call) {
  const FunctionDecl *FD = Call->getDirectCallee();
  if (!FD || !FD->getIdentifier())
    return false;
  llvm::StringRef N = FD->getName();
  if (N == "pthread_create" || (N == "async" && FD->isInStdNamespace()))
    return true;
  const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call);
  if (!MC || (N != "emplace_back" && N != "push_back" && N != "emplace"))
    return false;
  const auto *Spec = llvm::dyn_cast_or_null<ClassTemplateSpecializationDecl>(
      MC->getMethodDecl()->getParent());
  return Spec && Spec->getTemplateArgs().size() >= 1 &&
         Spec->getTemplateArgs()[0].getKind() == TemplateArgument::Type &&
         isThreadClass(Spec->getTemplateArgs()[0].getAsType());
}

const Stmt *LostWakeupAnalysis::startedInLoop(const CodeUnit &U,
                                              unsigned Depth) {
  // Once per unit asked (the walk below scans every unit).
  if (Depth == 0) {
    if (auto It = StartLoops.find(&U); It != StartLoops.end())
      return It->second;
    const Stmt *Loop = startedInLoop(U, 1);
    return StartLoops[&U] = Loop;
  }
  if (U.Lambda) {
    const auto *Enc = llvm::dyn_cast<FunctionDecl>(
        U.Lambda->getLambdaClass()->getDeclContext());
    if (const CodeUnit *E = Enc ? Inv.unitOf(Enc) : nullptr)
      if (const Stmt *Loop = innermostLoopAround(E->Body, U.Lambda))
        return Loop;
  } else {
    // Named, not called, in a loop of some unit: handed to a spawn; or
    // handed to two thread starts (`pthread_create(&a, 0, stopper, ..)` and
    // again for b).
    const DeclRefExpr *FirstHanded = nullptr;
    const Stmt *SecondHanded = nullptr;
    for (const auto &Other : Inv.units()) {
      llvm::SmallPtrSet<const Expr *, 8> Callees, Arguments;
      const Stmt *Found = nullptr;
      auto Argument = [&](const Expr *A) {
        A = bareExpr(A);
        if (const auto *UO = llvm::dyn_cast<UnaryOperator>(A);
            UO && UO->getOpcode() == UO_AddrOf)
          A = bareExpr(UO->getSubExpr());
        Arguments.insert(A);
      };
      walkOwnCode(Other->Body, [&](const Stmt *N) {
        if (const auto *C = llvm::dyn_cast<CallExpr>(N)) {
          if (C->getCallee())
            Callees.insert(C->getCallee()->IgnoreParenImpCasts());
          if (startsThread(C))
            llvm::for_each(C->arguments(), Argument);
        } else if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(N)) {
          if (isThreadClass(CE->getType()))
            llvm::for_each(CE->arguments(), Argument);
        }
      });
      walkOwnCode(Other->Body, [&](const Stmt *N) {
        const auto *DRE = llvm::dyn_cast<DeclRefExpr>(N);
        if (Found || !DRE || Callees.contains(DRE) ||
            DRE->getDecl()->getAsFunction() == nullptr ||
            DRE->getDecl()->getAsFunction()->getCanonicalDecl() !=
                U.Fn->getCanonicalDecl())
          return;
        Found = innermostLoopAround(Other->Body, DRE);
        if (!Arguments.contains(DRE) || SecondHanded)
          return;
        if (!FirstHanded)
          FirstHanded = DRE;
        else
          SecondHanded = DRE;
      });
      if (Found)
        return Found;
    }
    if (SecondHanded) {
      HandedTwice[SecondHanded] = FirstHanded;
      return SecondHanded;
    }
  }
  // (The walk counts from 1: two levels of callers above \p U.)
  if (Depth >= 3)
    return nullptr;
  for (const auto &[Caller, Call] : Inv.callersOf(U.Fn))
    if (const Stmt *Loop = startedInLoop(*Caller, Depth + 1))
      return Loop;
  return nullptr;
}

void LostWakeupAnalysis::wakesOne(std::vector<Finding> &Out) {
  const SourceManager &SM = Ctx.getSourceManager();
  auto Before = [&](const Stmt *A, const Stmt *B) {
    return SM.isBeforeInTranslationUnit(A->getEndLoc(), B->getBeginLoc());
  };
  for (auto &Entry : Targets) {
    const Target &T = Entry.second;
    for (const auto &N : Inv.units()) {
      // The notifier: its notifies of C after the flag's write are all
      // notify_one(), nothing it calls notifies C, and it does not wait on
      // C itself afterwards (what it did before, starting up, is apart).
      llvm::SmallVector<const CallExpr *, 2> Ones, Alls;
      for (const auto &[Call, CV] : N->Notifies)
        if (CV == T.CV)
          (CVs.wakesOne(Call) ? Ones : Alls).push_back(Call);
      // (One notify_one() per waiter, in a loop, wakes them all.)
      llvm::erase_if(Ones, [&](const CallExpr *C) {
        return innermostLoopAround(N->Body, C) != nullptr;
      });
      if (Ones.empty() || llvm::any_of(N->Calls, [&](const auto &C) {
            const CodeUnit *CU = Inv.unitOf(C.second);
            return CU && reachesNotify(*CU, T.CV, 1);
          }))
        continue;
      // A flag it sets, once, to a value that wakes, announced by a
      // notify_one() (the first notify of C after it), with no notify_all()
      // of C after it.
      struct Candidate {
        const Stmt *FlagWrite;
        const CallExpr *One;
        Key What;
      };
      llvm::SmallVector<Candidate, 2> Candidates;
      walkOwnCode(N->Body, [&](const Stmt *S) {
        std::optional<WriteInfo> W = asWrite(S, T, *N);
        if (!W || !W->Flag || !canWake(*W, T) || isStopState(W->What) ||
            llvm::any_of(Alls,
                         [&](const CallExpr *C) { return Before(S, C); }) ||
            llvm::any_of(N->Waits, [&](const ConditionWait &Wait) {
              return Wait.CondVar == T.CV &&
                     (Before(S, Wait.Call) || innermostLoopAround(N->Body, S));
            }))
          return;
        const CallExpr *Next = nullptr;
        for (const auto &[Call, CV] : N->Notifies)
          if (CV == T.CV && Before(S, Call) && (!Next || Before(Call, Next)))
            Next = Call;
        if (Next && llvm::is_contained(Ones, Next))
          Candidates.push_back({S, Next, W->What});
      });
      // A waiter that leaves on it without consuming it (a hand-off to one
      // waiter resets the flag) or passing the wake-up on, and that runs
      // on several threads.
      for (const Candidate &C : Candidates) {
        bool Found = false;
        for (const Waiter &Wt : Waiters) {
          if (Wt.Wait.CondVar != T.CV || Wt.Mutex != T.Mutex ||
              !llvm::is_contained(Wt.Keys, C.What) || Wt.Unit == N.get() ||
              passesOn(Wt, T.CV))
            continue;
          // (What it writes before its wait, starting a shutdown, is not
          // taking the flag.)
          bool Consumes = false;
          walkOwnCode(Wt.Unit->Body, [&](const Stmt *S) {
            if (std::optional<WriteInfo> W = asWrite(S, T, *Wt.Unit);
                W && W->What == C.What && afterWait(Wt, S))
              Consumes = true;
          });
          if (Consumes)
            continue;
          const Stmt *Loop = startedInLoop(*Wt.Unit, 0);
          if (!Loop)
            continue;
          Finding F{Rule::WakesOne, C.One,   C.What, {C.One},
                    nullptr,        N.get(), T.CV};
          F.By = &Wt;
          F.FlagWrite = C.FlagWrite;
          F.Spawns = Loop;
          Out.push_back(std::move(F));
          Found = true;
          break;
        }
        if (Found)
          break;
      }
    }
  }
}

bool LostWakeupAnalysis::afterWait(const Waiter &Wt, const Stmt *S) const {
  // What comes after the wait, or in a loop around it, runs once it is
  // woken.
  if (Ctx.getSourceManager().isBeforeInTranslationUnit(
          Wt.Wait.Call->getEndLoc(), S->getBeginLoc()))
    return true;
  const Stmt *Loop = innermostLoopAround(Wt.Unit->Body, Wt.Wait.Call);
  return Loop && containsStmt(Loop, S);
}

bool LostWakeupAnalysis::passesOn(const Waiter &Wt, const ValueDecl *CV) {
  // A notify before the wait (kicking another thread first) passes
  // nothing on.
  for (const auto &[Call, Notified] : Wt.Unit->Notifies)
    if (Notified == CV && afterWait(Wt, Call))
      return true;
  for (const auto &C : Wt.Unit->Calls)
    if (const CodeUnit *Callee = Inv.unitOf(C.second))
      if (afterWait(Wt, C.first) && reachesNotify(*Callee, CV, 1))
        return true;
  return false;
}

void LostWakeupAnalysis::unchecked(std::vector<Finding> &Out) {
  const SourceManager &SM = Ctx.getSourceManager();
  llvm::DenseSet<const ValueDecl *> Seen;
  for (const Waiter &First : Waiters) {
    const ValueDecl *CV = First.Wait.CondVar;
    if (!Seen.insert(CV).second)
      continue;
    // Every wait on it is read (a wait we cannot read may check anything),
    // and what they check, together.
    unsigned Waits = 0, Read = 0;
    for (const auto &U : Inv.units())
      for (const ConditionWait &W : U->Waits)
        Waits += W.CondVar == CV;
    Target Checked;
    Checked.CV = CV;
    for (const Waiter &Wt : Waiters)
      if (Wt.Wait.CondVar == CV) {
        ++Read;
        for (Key K : Wt.Keys)
          if (!llvm::is_contained(Checked.Keys, K))
            Checked.Keys.push_back(K);
      }
    if (Waits != Read)
      continue;
    for (const auto &N : Inv.units()) {
      // A notifier of its own, that waits on nothing of it.
      const CallExpr *Notify = nullptr;
      for (const auto &[Call, NCV] : N->Notifies)
        if (NCV == CV && !Notify)
          Notify = Call;
      if (!Notify || waitsOn(*N, CV))
        continue;
      // It (and what it calls) changes nothing a wait checks, and calls
      // no code we cannot read that is given the object.
      bool Helps = false;
      std::function<void(const CodeUnit &, unsigned)> Scan =
          [&](const CodeUnit &C, unsigned Depth) {
            walkOwnCode(C.Body, [&](const Stmt *S) {
              if (Helps)
                return;
              if (asWrite(S, Checked, C)) {
                Helps = true;
                return;
              }
              const auto *Call = llvm::dyn_cast<CallExpr>(S);
              if (!Call)
                return;
              // Code we cannot read: a call through a pointer or a function
              // object, or a project function defined elsewhere.
              const FunctionDecl *Callee = Call->getDirectCallee();
              const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(Call);
              if (!Callee || (OC && OC->getOperator() == OO_Call) ||
                  (!Callee->hasBody() &&
                   !SM.isInSystemHeader(Callee->getLocation())))
                Helps = true;
            });
            if (Depth >= 2)
              return;
            for (const auto &[Call, Callee] : C.Calls)
              if (const CodeUnit *CU = Inv.unitOf(Callee); CU && !Helps)
                Scan(*CU, Depth + 1);
          };
      Scan(*N, 0);
      if (Helps)
        continue;
      // What it does change, before the notify: shared state a waiter
      // reads once its wait has returned (the error it returns).
      walkOwnCode(N->Body, [&](const Stmt *S) {
        const Expr *Target = nullptr;
        if (const auto *BO = llvm::dyn_cast<BinaryOperator>(S);
            BO && BO->isAssignmentOp())
          Target = BO->getLHS();
        else if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(S);
                 OC && OC->getOperator() == OO_Equal && OC->getNumArgs() == 2)
          Target = OC->getArg(0);
        const ValueDecl *D = Target ? writtenObject(Target) : nullptr;
        const auto *VD = llvm::dyn_cast_or_null<VarDecl>(D);
        if (!D ||
            (!llvm::isa<FieldDecl>(D) && !(VD && VD->hasGlobalStorage())) ||
            isAliasable(D) ||
            !SM.isBeforeInTranslationUnit(S->getEndLoc(),
                                          Notify->getBeginLoc()))
          return;
        for (const Waiter &Wt : Waiters) {
          if (Wt.Wait.CondVar != CV || Wt.Unit == N.get())
            continue;
          const Stmt *ReadAfter = nullptr;
          walkWithLambdas(Wt.Unit->Body, nullptr, [&](const Stmt *R) {
            if (!ReadAfter && nameIn(R) == D &&
                SM.isBeforeInTranslationUnit(Wt.Wait.Call->getEndLoc(),
                                             R->getBeginLoc()))
              ReadAfter = R;
          });
          if (!ReadAfter)
            continue;
          Finding F{Rule::Unchecked, Wt.Wait.Call, D, {Notify},
                    nullptr,         N.get(),      CV};
          F.By = &Wt;
          F.FlagWrite = S;
          F.Test = llvm::dyn_cast<Expr>(ReadAfter);
          Out.push_back(std::move(F));
        }
      });
    }
  }
}

/// The condition variable \p D stands for: a structured binding of a
/// member (`auto &[m, cv] = *state;`) is that member.
static const ValueDecl *conditionObject(const ValueDecl *D) {
  if (const auto *B = llvm::dyn_cast_or_null<BindingDecl>(D))
    if (const auto *ME = llvm::dyn_cast_or_null<MemberExpr>(
            B->getBinding() ? bareExpr(B->getBinding()) : nullptr))
      return ME->getMemberDecl();
  return D;
}

/// \p S is under a loop, a branch or a `?:` of \p Body (lambdas left
/// out): it may run more than once, or not at all.
static bool conditionallyRun(const Stmt *Body, const Stmt *S) {
  bool Under = false;
  walkOwnCode(Body, [&](const Stmt *N) {
    if (!Under && N != S &&
        llvm::isa<WhileStmt, DoStmt, ForStmt, CXXForRangeStmt, IfStmt,
                  SwitchStmt, AbstractConditionalOperator>(N))
      Under = containsStmt(N, S);
  });
  return Under;
}

void LostWakeupAnalysis::unpredicated(std::vector<Finding> &Out) {
  const SourceManager &SM = Ctx.getSourceManager();
  for (const auto &U : Inv.units())
    for (const ConditionWait &W : U->Waits) {
      if (W.Timed || W.StopAware || W.Predicate || !W.CondVar || !W.Lock ||
          conditionallyRun(U->Body, W.Call))
        continue;
      const ValueDecl *CV = conditionObject(W.CondVar);
      if (!CV || isAliasable(CV))
        continue;
      // The lock is a local taken right before the wait, with no call in
      // between: nothing the waiter does under it (a request, a start of
      // the notifying code) orders the notify after the wait.
      const auto *LockRef =
          llvm::dyn_cast<DeclRefExpr>(bareExpr(W.Lock)->IgnoreImplicit());
      const auto *LockVar =
          LockRef ? llvm::dyn_cast<VarDecl>(LockRef->getDecl()) : nullptr;
      if (!LockVar || !LockVar->hasLocalStorage() ||
          llvm::isa<ParmVarDecl>(LockVar) ||
          !SM.isBeforeInTranslationUnit(LockVar->getEndLoc(),
                                        W.Call->getBeginLoc()))
        continue;
      bool Between = false;
      walkOwnCode(U->Body, [&](const Stmt *S) {
        Between |=
            (llvm::isa<CallExpr>(S) || llvm::isa<LambdaExpr>(S)) &&
            S != W.Call &&
            SM.isBeforeInTranslationUnit(LockVar->getEndLoc(),
                                         S->getBeginLoc()) &&
            SM.isBeforeInTranslationUnit(S->getEndLoc(), W.Call->getBeginLoc());
      });
      if (Between)
        continue;
      // The notifier: other code, not started by the waiter's own code,
      // that notifies it once (not in a loop, which may notify again)
      // after changing state the waiter shares.
      for (const auto &N : Inv.units()) {
        if (N.get() == U.get() ||
            (N->Lambda && containsStmt(U->Body, N->Lambda)))
          continue;
        for (const auto &[Notify, NCV] : N->Notifies) {
          if (conditionObject(NCV) != CV || conditionallyRun(N->Body, Notify))
            continue;
          const Stmt *Write = nullptr;
          const ValueDecl *What = nullptr;
          walkOwnCode(N->Body, [&](const Stmt *S) {
            const Expr *Target = writeTarget(S);
            const ValueDecl *D = Target ? writtenObject(Target) : nullptr;
            const auto *VD = llvm::dyn_cast_or_null<VarDecl>(D);
            // Shared: a data member, a global, or a variable of the code
            // around a lambda (captured).
            bool Shared = D && (llvm::isa<FieldDecl>(D) ||
                                (VD && (VD->hasGlobalStorage() ||
                                        !declaringStmt(N->Body, VD))));
            if (Write || !Shared || D == CV ||
                !SM.isBeforeInTranslationUnit(S->getEndLoc(),
                                              Notify->getBeginLoc()))
              return;
            Write = S;
            What = D;
          });
          if (!Write)
            continue;
          Finding F{Rule::Unpredicated, W.Call,  What,
                    {Notify},           nullptr, N.get(),
                    W.CondVar};
          F.FlagWrite = Write;
          Out.push_back(std::move(F));
          break;
        }
      }
    }
}

void LostWakeupAnalysis::run(std::vector<Finding> &Out) {
  testedAfterWait(Out);
  wakesOne(Out);
  unchecked(Out);
  for (auto &Entry : Targets) {
    const Target &T = Entry.second;
    // Code that notifies C, itself or through its calls; and, for rule c,
    // code that notifies only other condition variables.
    for (const auto &U : Inv.units())
      if (reachesNotify(*U, T.CV, 0) || !U->Notifies.empty())
        report(*U, T, Out);
  }
}

//===----------------------------------------------------------------------===//
// The check
//===----------------------------------------------------------------------===//

CvLostWakeupCheck::CvLostWakeupCheck(StringRef Name, ClangTidyContext *Context)
    : ClangTidyCheck(Name, Context),
      CVTypes(NameList::parse(Options.get("ConditionVariableTypes",
                                          defaults::ConditionVariableTypes))),
      GuardTypes(NameList::parse(
          Options.get("LockGuardTypes", defaults::LockGuardTypes))),
      MaxCallDepth(readMaxCallDepth(*this, Name, Options)) {
  CVTypesOption = CVTypes.str();
  GuardTypesOption = GuardTypes.str();
  std::string Error;
  if (const ModelConfig *M = userModelFor(Context, Error))
    CVTypes.add(M->ConditionVariableTypes);
  else if (!Error.empty())
    configurationDiag("%0") << Error;
  CVs = std::make_unique<ConditionVariableModel>(CVTypes);
  // A project's Cond::Wait(Mutex &) / Signal() is a condition variable.
  CVs->setReadWrappers(true);
  Locks = std::make_unique<LockModel>(GuardTypes);
}

CvLostWakeupCheck::~CvLostWakeupCheck() = default;

void CvLostWakeupCheck::storeOptions(ClangTidyOptions::OptionMap &Opts) {
  Options.store(Opts, "ConditionVariableTypes", CVTypesOption);
  Options.store(Opts, "LockGuardTypes", GuardTypesOption);
  Options.store(Opts, "MaxCallDepth", MaxCallDepth);
}

void CvLostWakeupCheck::registerMatchers(MatchFinder *Finder) {
  // Only a TU that notifies a condition variable is analysed at all.
  Finder->addMatcher(
      callExpr(callee(functionDecl(hasAnyName(
                   "notify_one", "notify_all", "::pthread_cond_signal",
                   "::pthread_cond_broadcast"))))
          .bind("notify"),
      this);
  Code.registerMatchers(Finder, this);
}

void CvLostWakeupCheck::check(const MatchFinder::MatchResult &Result) {
  Ctx = Result.Context;
  if (Result.Nodes.getNodeAs<CallExpr>("notify")) {
    SawNotify = true;
    return;
  }
  // Template code: the instantiations, and a pattern only where nothing
  // instantiates it and its code is not dependent.
  if (const auto *FD = Result.Nodes.getNodeAs<FunctionDecl>("inventory-fn"))
    if (!shouldAnalyseBody(FD))
      return;
  Code.collect(Result);
}

void CvLostWakeupCheck::onEndOfTranslationUnit() {
  bool Notified = SawNotify;
  SawNotify = false;
  if (!Notified || !Ctx) {
    Code.clear();
    return;
  }
  std::unique_ptr<SyncInventory> Inv = Code.take(*Ctx, *CVs);
  LostWakeupAnalysis A(*Ctx, *CVs, *Locks, *Inv, MaxCallDepth);
  A.collectWaiters();
  std::vector<Finding> Findings;
  A.unpredicated(Findings);
  if (A.hasWaiters())
    A.run(Findings);
  if (Findings.empty())
    return;

  const SourceManager &SM = Ctx->getSourceManager();
  llvm::stable_sort(Findings, [&](const Finding &L, const Finding &R) {
    return SM.isBeforeInTranslationUnit(L.Write->getBeginLoc(),
                                        R.Write->getBeginLoc());
  });
  // One finding per write, and per template location whatever instantiates
  // it.
  FindingOnce Reported;
  // Arguments 2 and 3 of a message naming the notifying code: a lambda, or
  // the function.
  auto NamedNotifier = [](const DiagnosticBuilder &D, const Finding &F) {
    D << (F.Unit->Lambda ? 1 : 0);
    if (F.Unit->Lambda)
      D << "";
    else
      D << patternDecl(F.Unit->Fn);
  };
  for (const Finding &F : Findings) {
    if (!F.What || !Reported.first(F.Write->getBeginLoc(), SM))
      continue;
    if (F.Kind == Rule::Unpredicated) {
      std::string Name = keyName(F.What);
      NamedNotifier(diag(llvm::cast<CallExpr>(F.Write)->getExprLoc(),
                         "lost wake-up: the wait on %0 checks nothing; a "
                         "notify that comes before it is lost, and %1, which "
                         "%select{%3|a lambda}2 changes before notifying %0, "
                         "is never tested")
                        << F.CV << Name,
                    F);
      diag(F.FlagWrite->getBeginLoc(), "%0 is changed here",
           DiagnosticIDs::Note)
          << Name;
      diag(F.NotifyPath.back()->getExprLoc(),
           "and %0 is notified here, perhaps before the waiter waits",
           DiagnosticIDs::Note)
          << F.CV;
      continue;
    }
    const Waiter *W = F.By ? F.By : A.waiterReading(F.CV, F.What);
    if (!W)
      continue;
    std::string Name = keyName(F.What);
    const Expr *Notify = F.NotifyPath.empty() ? nullptr : F.NotifyPath.back();
    SourceLocation Loc = F.Write->getBeginLoc();
    if (F.Kind == Rule::Unchecked) {
      NamedNotifier(diag(W->Wait.Call->getExprLoc(),
                         "lost wake-up: the wait on %0 does not check %1, "
                         "which %select{%3|a lambda}2 changes before "
                         "notifying %0; woken by that notify, the waiter "
                         "finds nothing it checks changed and sleeps on")
                        << W->Wait.CondVar << Name,
                    F);
      diag(F.FlagWrite->getBeginLoc(), "%0 is changed here",
           DiagnosticIDs::Note)
          << Name;
      if (Notify)
        diag(Notify->getExprLoc(), "and %0 is notified here",
             DiagnosticIDs::Note)
            << W->Wait.CondVar;
      if (F.Test)
        diag(F.Test->getBeginLoc(),
             "the waiter reads %0 here, only once the wait has returned",
             DiagnosticIDs::Note)
            << Name;
      continue;
    }
    if (F.Kind == Rule::WakesOne) {
      const auto *One = llvm::cast<CallExpr>(F.Write);
      {
        const FunctionDecl *Callee = One->getDirectCallee();
        std::string Called =
            (Callee ? Callee->getName() : llvm::StringRef("notify_one")).str() +
            "()";
        auto D = diag(One->getExprLoc(),
                      "lost wake-up: %0 wakes one waiter, but every waiter "
                      "on %1 leaves on %2; the others sleep on forever")
                 << Called << W->Wait.CondVar << Name;
        // The fix-it: wake them all.
        SourceLocation NameLoc = One->getExprLoc();
        if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(One)) {
          if (const auto *ME = llvm::dyn_cast<MemberExpr>(MC->getCallee()))
            NameLoc = ME->getMemberLoc();
        } else if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(
                       One->getCallee()->IgnoreParenImpCasts())) {
          NameLoc = DRE->getLocation();
        }
        std::string All = CVs->wakeAllName(One);
        if (!All.empty() && NameLoc.isValid() && !NameLoc.isMacroID())
          D << FixItHint::CreateReplacement(SourceRange(NameLoc, NameLoc), All);
      }
      diag(F.FlagWrite->getBeginLoc(), "%0 is set here, for every waiter",
           DiagnosticIDs::Note)
          << Name;
      diag(W->Wait.Call->getExprLoc(),
           "the waiter leaves on %0 here, and does not notify %1 again",
           DiagnosticIDs::Note)
          << Name << W->Wait.CondVar;
      if (const Stmt *First = A.firstStart(F.Spawns)) {
        diag(First->getBeginLoc(), "the waiting code is started here",
             DiagnosticIDs::Note);
        diag(F.Spawns->getBeginLoc(), "and here, on another thread",
             DiagnosticIDs::Note);
      } else {
        diag(F.Spawns->getBeginLoc(),
             "the waiting code is started for each round of this loop",
             DiagnosticIDs::Note);
      }
      continue;
    }
    if (F.Kind == Rule::TestedAfterWait) {
      diag(W->Wait.Call->getExprLoc(),
           "lost wake-up: %0 is tested only after the wait on %1; a notify "
           "that sets it before this wait begins wakes nobody, and the wait "
           "may block forever")
          << Name << W->Wait.CondVar;
      diag(F.Test->getBeginLoc(),
           "%0 is tested here, once the wait has returned, and not before "
           "the wait, holding %1",
           DiagnosticIDs::Note)
          << Name << W->Mutex;
      { // Emitted when Sets goes out of scope: before the next note.
        auto Sets =
            diag(F.FlagWrite->getBeginLoc(),
                 "%select{%1|a lambda}0 sets %2 here", DiagnosticIDs::Note)
            << (F.Unit->Lambda ? 1 : 0);
        if (F.Unit->Lambda)
          Sets << "";
        else
          Sets << patternDecl(F.Unit->Fn);
        Sets << Name;
      }
      if (Notify) {
        const auto *NotifyCall = llvm::dyn_cast<CallExpr>(Notify);
        if (NotifyCall && CVs->notified(NotifyCall))
          diag(Notify->getExprLoc(),
               "and notifies %0 here, whether or not the waiter is asleep",
               DiagnosticIDs::Note)
              << W->Wait.CondVar;
        else if (NotifyCall && NotifyCall->getDirectCallee())
          diag(Notify->getExprLoc(),
               "and calls %0 here, which notifies %1, whether or not the "
               "waiter is asleep",
               DiagnosticIDs::Note)
              << patternDecl(NotifyCall->getDirectCallee()) << W->Wait.CondVar;
      }
      continue;
    }
    switch (F.Kind) {
    case Rule::Unlocked: {
      if (unsigned Site = A.stopSite(F.Write)) {
        diag(Loc, "lost wake-up: the stop request %select{this call waits "
                  "for|this callback runs on}0 is made without holding %1, "
                  "the mutex the wait on %2 checks the stop state under, and "
                  "the notify that follows does not take %1; a waiter between "
                  "its check and its sleep misses it and waits forever")
            << (Site == 2 ? 1 : 0) << W->Mutex << W->Wait.CondVar;
        break;
      }
      auto D = diag(Loc, "lost wake-up: %0 is changed without holding %1, "
                         "the mutex the wait on %2 checks it under; a "
                         "waiter between its check and its sleep misses the "
                         "notify and waits forever")
               << Name << W->Mutex << W->Wait.CondVar;
      // The fix-it: the write under a std::lock_guard on the waiter's
      // mutex, where that is a local rewrite.
      const auto *MRD = recordOf(W->Mutex->getType());
      bool StdMutex = MRD && MRD->isInStdNamespace() && MRD->getIdentifier() &&
                      (MRD->getName() == "mutex" ||
                       MRD->getName() == "recursive_mutex" ||
                       MRD->getName() == "timed_mutex" ||
                       MRD->getName() == "recursive_timed_mutex");
      bool Accessible = false;
      if (const auto *FD = llvm::dyn_cast<FieldDecl>(W->Mutex)) {
        const auto *MD = llvm::dyn_cast_or_null<CXXMethodDecl>(
            F.Unit->Lambda ? nullptr : F.Unit->Fn);
        Accessible = MD && !MD->isStatic() && MD->getParent() == FD->getParent();
      } else if (const auto *VD = llvm::dyn_cast<VarDecl>(W->Mutex)) {
        Accessible = (VD->hasGlobalStorage() && !VD->isStaticLocal()) ||
                     VD->getDeclContext() == F.Unit->Fn;
      }
      const auto *WE = llvm::dyn_cast<Expr>(F.Write);
      if (StdMutex && Accessible && WE && !Loc.isMacroID() &&
          !F.Write->getEndLoc().isMacroID() &&
          isStatementOf(F.Unit->Body, F.Write)) {
        SourceLocation AfterSemi = Lexer::findLocationAfterToken(
            F.Write->getEndLoc(), tok::semi, SM, getLangOpts(), false);
        if (AfterSemi.isValid()) {
          std::string Guard = "{ std::lock_guard<std::" +
                              MRD->getName().str() + "> lock(" +
                              W->Mutex->getNameAsString() + "); ";
          D << FixItHint::CreateInsertion(Loc, Guard)
            << FixItHint::CreateInsertion(AfterSemi, " }");
        }
      }
      break;
    }
    case Rule::AfterNotify:
      diag(Loc, "lost wake-up: %0 is changed after %1 was notified; a waiter "
                "woken by that notify may already have checked it and gone "
                "back to sleep, and nothing notifies it again")
          << Name << W->Wait.CondVar;
      break;
    case Rule::OtherCV:
      diag(Loc, "lost wake-up: %0 is changed and %1 is notified, but the "
                "waiter that checks %0 sleeps on %2, which is not notified "
                "after the change")
          << Name << F.OtherCV << W->Wait.CondVar;
      break;
    case Rule::TestedAfterWait:
    case Rule::WakesOne:
    case Rule::Unchecked:
    case Rule::Unpredicated:
      break;
    }
    // Notes, in the order things happen.
    diag(W->Wait.Call->getExprLoc(),
         "the waiter checks %0 here, holding %1, and then sleeps on %2",
         DiagnosticIDs::Note)
        << Name << W->Mutex << W->Wait.CondVar;
    for (size_t I = 0; I + 1 < F.NotifyPath.size(); ++I)
      if (const auto *C = llvm::dyn_cast<CallExpr>(F.NotifyPath[I]))
        if (const FunctionDecl *Callee = C->getDirectCallee())
          diag(C->getExprLoc(), "%0 is called here", DiagnosticIDs::Note)
              << patternDecl(Callee);
    if (!Notify)
      continue;
    switch (F.Kind) {
    case Rule::Unlocked:
      diag(Notify->getExprLoc(),
           "%0 is notified here, and %1 has not been held since %2 changed",
           DiagnosticIDs::Note)
          << W->Wait.CondVar << W->Mutex << Name;
      break;
    case Rule::AfterNotify:
      diag(Notify->getExprLoc(), "%0 is notified here, before %1 changes",
           DiagnosticIDs::Note)
          << W->Wait.CondVar << Name;
      break;
    case Rule::OtherCV:
      diag(Notify->getExprLoc(), "only %0 is notified here",
           DiagnosticIDs::Note)
          << F.OtherCV;
      break;
    case Rule::TestedAfterWait:
    case Rule::WakesOne:
    case Rule::Unchecked:
    case Rule::Unpredicated:
      break;
    }
  }
}

} // namespace clang::tidy::threadleak
