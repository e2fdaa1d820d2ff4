//===--- CvWaitNoStopCheck.cpp - threadleak-cv-wait-no-stop ---------------===//
//
// Workers are the bodies of spawn sites; their waits on condition variables
// are found in the body and the functions it calls (to MaxCallDepth). For
// each wait:
//
// - a wait that takes a std::stop_token is stop-aware: fine;
// - a timed wait is fine unless the loop around it can never exit (the
//   worker wakes up, and goes back to sleep, forever);
// - an untimed wait with a predicate, or in a loop (the loop's tests are
//   the predicate), must be woken by the stop path: the destructor and the
//   StopMethods of the class that runs the worker and of the class that
//   owns the condition variable, or, for a local condition variable, the
//   function that declares it. Some stop path must write state that the
//   predicate reads and notify that condition variable, itself or through
//   the functions it calls. A stop path that calls code we cannot read with
//   access to the object is assumed to do both. No visible stop path: no
//   finding (we cannot tell).
//
// A wait with no predicate outside any loop is left to
// bugprone-spuriously-wake-up-functions.
//
//===----------------------------------------------------------------------===//

#include "CvWaitNoStopCheck.h"
#include "model/CallDepth.h"
#include "engine/BodyResolver.h"
#include "engine/ContextSpawns.h"
#include "engine/PathNotes.h"
#include "engine/StmtWalk.h"
#include "model/UserModel.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include <functional>

using namespace clang::ast_matchers;

namespace clang::tidy::threadleak {

namespace {
/// How deep a stop path or a predicate is followed into the functions it
/// calls.
constexpr unsigned MaxEffectDepth = 4;


/// The class a worker's code belongs to: the class of a member function,
/// or of the member function (or member initializer) a lambda is written
/// in.
const CXXRecordDecl *ownerClass(const FunctionDecl *Body) {
  for (const DeclContext *DC = Body; DC; DC = DC->getParent())
    if (const auto *RD = llvm::dyn_cast<CXXRecordDecl>(DC))
      if (!RD->isLambda())
        return RD;
  return nullptr;
}

/// The body of a predicate argument: a lambda, or a variable initialised
/// with one.
const Stmt *predicateBody(const Expr *Pred) {
  Pred = bareExpr(Pred);
  // A copy of a named predicate (the parameter is taken by value).
  if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(Pred))
    if (CE->getNumArgs() == 1 && CE->getConstructor()->isCopyOrMoveConstructor())
      Pred = bareExpr(CE->getArg(0));
  if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(Pred))
    if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl()))
      if (VD->getInit())
        Pred = bareExpr(VD->getInit());
  if (const auto *LE = llvm::dyn_cast<LambdaExpr>(Pred))
    return LE->getBody();
  return nullptr;
}

/// Finds \p Target in \p Root (not looking into lambdas) and sets \p Out
/// to the innermost loop around it, or null if there is none.
bool enclosingLoop(const Stmt *Root, const Stmt *Target, const Stmt *Loop,
                   const Stmt *&Out) {
  if (!Root)
    return false;
  if (Root == Target) {
    Out = Loop;
    return true;
  }
  if (llvm::isa<LambdaExpr>(Root))
    return false;
  if (llvm::isa<WhileStmt, ForStmt, DoStmt, CXXForRangeStmt>(Root))
    Loop = Root;
  for (const Stmt *Child : Root->children())
    if (enclosingLoop(Child, Target, Loop, Out))
      return true;
  return false;
}

std::string nameList(llvm::ArrayRef<const ValueDecl *> Decls) {
  std::string Out;
  unsigned N = 0;
  for (const ValueDecl *D : Decls) {
    if (N == 3) {
      Out += ", ...";
      break;
    }
    if (N)
      Out += ", ";
    Out += "'" + D->getNameAsString() + "'";
    ++N;
  }
  return Out;
}
} // namespace

CvWaitNoStopCheck::CvWaitNoStopCheck(StringRef Name, ClangTidyContext *Context)
    : ClangTidyCheck(Name, Context),
      Spawns(Options),
      CVTypes(NameList::parse(Options.get("ConditionVariableTypes",
                                          defaults::ConditionVariableTypes))) {
  StopMethodsOption = Options.get("StopMethods", defaults::StopMethods).str();
  addStopMethods(NameList::parse(StopMethodsOption).names());
  Model.StopSignalFunctions = NameList::parse(defaults::StopSignalFunctions);
  Model.MaxCallDepth = readMaxCallDepth(*this, Name, Options);
  CVTypesOption = CVTypes.str();
  std::string Error;
  if (const ModelConfig *M = userModelFor(Context, Error)) {
    Spawns.add(*M);
    CVTypes.add(M->ConditionVariableTypes);
    addStopMethods(M->StopMethods);
    Model.StopSignalFunctions.add(M->StopSignalFunctions);
  } else if (!Error.empty()) {
    configurationDiag("%0") << Error;
  }
  CVs = std::make_unique<ConditionVariableModel>(CVTypes);
}

/// A name as stop methods are compared: lower case, no underscores.
static std::string stopKey(llvm::StringRef Name) {
  std::string Key;
  for (char C : Name)
    if (C != '_')
      Key += llvm::toLower(C);
  return Key;
}

void CvWaitNoStopCheck::addStopMethods(const std::vector<std::string> &Names) {
  // Names are unqualified ("stop"); a qualified one ("app::Worker::halt")
  // is taken by its last component, as written lists often are.
  for (llvm::StringRef N : Names) {
    N = N.trim();
    size_t Colons = N.rfind("::");
    if (Colons != llvm::StringRef::npos)
      N = N.drop_front(Colons + 2);
    std::string Key = stopKey(N);
    if (!Key.empty() && !llvm::is_contained(StopMethods, Key))
      StopMethods.push_back(std::move(Key));
  }
}

bool CvWaitNoStopCheck::isStopMethodName(llvm::StringRef Name) const {
  // A name that starts with a stop word, case and underscores aside: stop,
  // Stop, StopAndJoin, shutdown_now, CloseAll, join_all.
  std::string Key = stopKey(Name);
  return llvm::any_of(StopMethods, [&](const std::string &Word) {
    return llvm::StringRef(Key).starts_with(Word);
  });
}

void CvWaitNoStopCheck::storeOptions(ClangTidyOptions::OptionMap &Opts) {
  Spawns.store(Options, Opts);
  Options.store(Opts, "ConditionVariableTypes", CVTypesOption);
  Options.store(Opts, "StopMethods", StopMethodsOption);
  Options.store(Opts, "MaxCallDepth", Model.MaxCallDepth);
}

void CvWaitNoStopCheck::registerMatchers(MatchFinder *Finder) {
  Spawns.registerMatchers(Finder, this);
}

void CvWaitNoStopCheck::onEndOfTranslationUnit() {
  Analysis.reset();
  EffectCache.clear();
  Reported.clear();
  Ctx = nullptr;
}

void CvWaitNoStopCheck::check(const MatchFinder::MatchResult &Result) {
  const Expr *Start = Spawns.matched(Result);
  if (!Start)
    return;
  SpawnedContext Spawned = resolveSpawn(Start);
  if (!Spawned)
    return;
  Ctx = Result.Context;
  if (!Analysis)
    Analysis = std::make_unique<ForeverAnalysis>(*Ctx, Model);
  const FunctionDecl *Body = analysableDefinition(Spawned.Body, *Ctx);
  if (!Body)
    return;
  Worker W{Start, Body, Spawned.Noun};
  llvm::SmallVector<const CallExpr *, 4> Chain;
  llvm::DenseSet<const FunctionDecl *> Seen;
  findWaits(W, Body, 0, Chain, Seen);
}

void CvWaitNoStopCheck::findWaits(
    const Worker &W, const FunctionDecl *Fn, unsigned Depth,
    llvm::SmallVectorImpl<const CallExpr *> &Chain,
    llvm::DenseSet<const FunctionDecl *> &Seen) {
  if (!Seen.insert(Fn).second)
    return;
  llvm::SmallVector<const CallExpr *, 16> Calls;
  collectCalls(Fn->getBody(), Calls);
  for (const CallExpr *Call : Calls)
    if (std::optional<ConditionWait> Wait = CVs->asWait(Call))
      if (!Reported.contains(Call))
        analyse(W, *Wait, Fn, Chain);
  if (Depth >= Model.MaxCallDepth)
    return;
  for (const CallExpr *Call : Calls) {
    const FunctionDecl *Callee =
        analysableDefinition(Call->getDirectCallee(), *Ctx);
    if (!Callee || mayDispatchElsewhere(Call))
      continue;
    Chain.push_back(Call);
    findWaits(W, Callee, Depth + 1, Chain, Seen);
    Chain.pop_back();
  }
}

/// Adds to \p E the variables and data members that \p Target (the left
/// side of an assignment, the object of a non-const call) names.
static void addWrite(const Expr *Target, const Stmt *Where,
                     CvWaitNoStopCheck::Effects &E) {
  Target = bareExpr(Target);
  while (Target) {
    if (const auto *ME = llvm::dyn_cast<MemberExpr>(Target)) {
      if (const auto *FD = llvm::dyn_cast<FieldDecl>(ME->getMemberDecl()))
        E.Writes.try_emplace(FD, Where);
      Target = bareExpr(ME->getBase());
      continue;
    }
    if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(Target)) {
      if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl()))
        E.Writes.try_emplace(VD, Where);
      return;
    }
    if (const auto *UO = llvm::dyn_cast<UnaryOperator>(Target)) {
      Target = bareExpr(UO->getSubExpr());
      continue;
    }
    if (const auto *AS = llvm::dyn_cast<ArraySubscriptExpr>(Target)) {
      Target = bareExpr(AS->getBase());
      continue;
    }
    if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(Target)) {
      if (OC->getNumArgs() >= 1 &&
          (OC->getOperator() == OO_Arrow || OC->getOperator() == OO_Star ||
           OC->getOperator() == OO_Subscript)) {
        Target = bareExpr(OC->getArg(0));
        continue;
      }
    }
    return;
  }
}

/// The object expression is `this`, a data member, or a reference or
/// pointer into the worker's state: code we cannot read that gets it may
/// change anything.
static bool touchesState(const Expr *E) {
  E = bareExpr(E);
  if (llvm::isa<CXXThisExpr>(E))
    return true;
  if (const auto *ME = llvm::dyn_cast<MemberExpr>(E))
    return llvm::isa<FieldDecl>(ME->getMemberDecl());
  if (const auto *UO = llvm::dyn_cast<UnaryOperator>(E))
    return touchesState(UO->getSubExpr());
  if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E))
    return llvm::isa<VarDecl>(DRE->getDecl());
  return false;
}

void CvWaitNoStopCheck::collect(const Stmt *S, Effects &E, unsigned Depth,
                                llvm::DenseSet<const FunctionDecl *> &Visited,
                                const FunctionDecl *Skip) {
  const SourceManager &SM = Ctx->getSourceManager();
  walkWithLambdas(S, Skip, [&](const Stmt *Node) {
    if (const auto *BO = llvm::dyn_cast<BinaryOperator>(Node)) {
      if (BO->isAssignmentOp())
        addWrite(BO->getLHS(), BO, E);
      return;
    }
    if (const auto *UO = llvm::dyn_cast<UnaryOperator>(Node)) {
      if (UO->isIncrementDecrementOp())
        addWrite(UO->getSubExpr(), UO, E);
      return;
    }
    const auto *Call = llvm::dyn_cast<CallExpr>(Node);
    if (!Call)
      return;
    if (const ValueDecl *CV = CVs->notified(Call)) {
      E.Notifies.insert(CV);
      return;
    }
    const FunctionDecl *Callee = Call->getDirectCallee();
    if (!Callee) {
      E.Unknown = true; // A call through a pointer: anything may happen.
      return;
    }
    // boost::thread::interrupt(): a Boost condition variable wait is an
    // interruption point and ends by throwing.
    if (Callee->getIdentifier() && (Callee->getName() == "interrupt" ||
                                    Callee->getName() == "interrupt_all")) {
      E.Unknown = true;
      return;
    }
    // The object of a non-const member call, and arguments passed by
    // non-const reference or pointer, may change.
    unsigned ArgOffset = 0;
    if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call)) {
      if (const CXXMethodDecl *MD = MC->getMethodDecl())
        if (!MD->isConst())
          addWrite(MC->getImplicitObjectArgument(), Call, E);
    } else if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(Call)) {
      if (const auto *MD = llvm::dyn_cast<CXXMethodDecl>(Callee)) {
        ArgOffset = 1;
        if (!MD->isConst() && OC->getNumArgs() >= 1)
          addWrite(OC->getArg(0), Call, E);
      }
    }
    for (unsigned I = ArgOffset; I < Call->getNumArgs(); ++I) {
      unsigned P = I - ArgOffset;
      if (P >= Callee->getNumParams())
        break;
      QualType PT = Callee->getParamDecl(P)->getType();
      if ((PT->isReferenceType() || PT->isPointerType()) &&
          !PT->getPointeeType().isConstQualified())
        addWrite(Call->getArg(I), Call, E);
    }
    if (mayDispatchElsewhere(Call)) {
      E.Unknown = true;
      return;
    }
    if (const FunctionDecl *Def = analysableDefinition(Callee, *Ctx)) {
      if (Depth < MaxEffectDepth && Visited.insert(Def).second)
        collect(Def->getBody(), E, Depth + 1, Visited, Skip);
      return;
    }
    if (SM.isInSystemHeader(Callee->getLocation()))
      return; // The library changes what it is given, nothing else.
    // Code we cannot read, given access to the state: it may write and
    // notify.
    if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call))
      if (touchesState(MC->getImplicitObjectArgument()))
        E.Unknown = true;
    for (const Expr *Arg : Call->arguments())
      if (touchesState(Arg) && (Arg->getType()->isPointerType() ||
                                Arg->getType()->isRecordType() ||
                                Arg->isLValue()))
        E.Unknown = true;
  });
}

const CvWaitNoStopCheck::Effects &
CvWaitNoStopCheck::effectsOf(const FunctionDecl *Root,
                             const FunctionDecl *Skip) {
  auto It = EffectCache.find({Root, Skip});
  if (It != EffectCache.end())
    return It->second;
  Effects E;
  llvm::DenseSet<const FunctionDecl *> Visited{Root};
  collect(Root->getBody(), E, 0, Visited, Skip);
  return EffectCache[{Root, Skip}] = std::move(E);
}

void CvWaitNoStopCheck::analyse(const Worker &W, const ConditionWait &Wait,
                                const FunctionDecl *Fn,
                                llvm::ArrayRef<const CallExpr *> Chain) {
  if (Wait.StopAware || !Wait.CondVar)
    return;
  const CallExpr *Call = Wait.Call;

  if (Wait.Timed) {
    // The worker wakes up on its own; it must then be able to leave.
    for (const EndlessLoop &Loop : Analysis->localEndlessLoops(Fn)) {
      if (!llvm::is_contained(Loop.Statements, Call))
        continue;
      Reported.insert(Call);
      diag(Call->getExprLoc(),
           "timed wait on %0 in a loop that never checks a stop condition: "
           "the %1 wakes up but never leaves")
          << Wait.CondVar << W.Noun;
      emitEndlessLoopNotes(*this, Loop, *Ctx, W.Noun);
      emitSpawnNotes(*this, W.Start, W.Noun, Chain);
      return;
    }
    return;
  }

  // What the wait waits for.
  const Stmt *PredicateCode = nullptr;
  const Stmt *Loop = nullptr;
  if (Wait.Predicate) {
    PredicateCode = predicateBody(Wait.Predicate);
    if (!PredicateCode)
      return; // A function object we cannot read.
  } else {
    enclosingLoop(Fn->getBody(), Call, nullptr, Loop);
    if (!Loop)
      return; // bugprone-spuriously-wake-up-functions' case.
  }
  llvm::SmallVector<const ValueDecl *, 8> Reads;
  bool SeesStop = false;
  llvm::DenseSet<const FunctionDecl *> Visited;
  std::function<void(const Stmt *, unsigned)> Read = [&](const Stmt *S,
                                                         unsigned Depth) {
    walkWithLambdas(S, nullptr, [&](const Stmt *Node) {
      if (const auto *ME = llvm::dyn_cast<MemberExpr>(Node)) {
        if (const auto *FD = llvm::dyn_cast<FieldDecl>(ME->getMemberDecl())) {
          if (!llvm::is_contained(Reads, FD))
            Reads.push_back(FD);
          SeesStop |= isStopTokenType(FD->getType());
        }
        return;
      }
      if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(Node)) {
        if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl())) {
          SeesStop |= isStopTokenType(VD->getType());
          if (!llvm::is_contained(Reads, VD))
            Reads.push_back(VD);
        }
        return;
      }
      if (const auto *CE = llvm::dyn_cast<CallExpr>(Node)) {
        const FunctionDecl *Callee = CE->getDirectCallee();
        if (Callee && Callee->getIdentifier() &&
            Callee->getName() == "stop_requested")
          SeesStop = true;
        if (const FunctionDecl *Def = analysableDefinition(Callee, *Ctx))
          if (Depth < MaxEffectDepth && Visited.insert(Def).second)
            Read(Def->getBody(), Depth + 1);
      }
    });
  };
  if (PredicateCode) {
    Read(PredicateCode, 0);
  } else {
    // The loop's tests: its condition and the conditions inside it.
    if (const auto *WS = llvm::dyn_cast<WhileStmt>(Loop))
      Read(WS->getCond(), 0);
    else if (const auto *FS = llvm::dyn_cast<ForStmt>(Loop))
      Read(FS->getCond(), 0);
    else if (const auto *DS = llvm::dyn_cast<DoStmt>(Loop))
      Read(DS->getCond(), 0);
    walkWithLambdas(Loop, nullptr, [&](const Stmt *Node) {
      if (const auto *If = llvm::dyn_cast<IfStmt>(Node))
        Read(If->getCond(), 0);
    });
  }
  if (SeesStop)
    return;

  // The stop paths.
  llvm::SmallVector<const FunctionDecl *, 4> Roots;
  const FunctionDecl *Skip = nullptr;
  auto AddClass = [&](const CXXRecordDecl *RD) {
    if (!RD || !RD->hasDefinition())
      return;
    for (const CXXMethodDecl *M : RD->methods()) {
      bool IsStop = llvm::isa<CXXDestructorDecl>(M)
                        ? M->isUserProvided()
                        : M->getIdentifier() &&
                              isStopMethodName(M->getName());
      if (!IsStop)
        continue;
      if (const FunctionDecl *Def = analysableDefinition(M, *Ctx))
        if (!llvm::is_contained(Roots, Def))
          Roots.push_back(Def);
    }
  };
  if (const auto *FD = llvm::dyn_cast<FieldDecl>(Wait.CondVar)) {
    AddClass(ownerClass(W.Body));
    AddClass(llvm::dyn_cast<CXXRecordDecl>(FD->getParent()));
  } else if (const auto *VD = llvm::dyn_cast<VarDecl>(Wait.CondVar)) {
    const auto *Owner = llvm::dyn_cast<FunctionDecl>(VD->getDeclContext());
    if (!VD->hasLocalStorage() || llvm::isa<ParmVarDecl>(VD) || !Owner ||
        Owner == Fn || !Owner->hasBody())
      return;
    Roots.push_back(Owner);
    Skip = W.Body;
  }
  if (Roots.empty())
    return; // No stop path we can read.

  const FunctionDecl *WritesButSilent = nullptr;
  const Stmt *SilentWrite = nullptr;
  const ValueDecl *SilentState = nullptr;
  for (const FunctionDecl *Root : Roots) {
    const Effects &E = effectsOf(Root, Skip);
    if (E.Unknown)
      return;
    const ValueDecl *Written = nullptr;
    for (const ValueDecl *D : Reads)
      if (E.Writes.count(D)) {
        Written = D;
        break;
      }
    if (!Written)
      continue;
    if (E.Notifies.contains(Wait.CondVar))
      return; // This stop path wakes the worker.
    if (!WritesButSilent) {
      WritesButSilent = Root;
      SilentWrite = E.Writes.lookup(Written);
      SilentState = Written;
    }
  }

  Reported.insert(Call);
  std::string Reading = Reads.empty() ? "" : nameList(Reads);
  if (WritesButSilent) {
    diag(Call->getExprLoc(),
         "wait on %0 can block forever: the stop path changes %1 but never "
         "notifies %0")
        << Wait.CondVar << SilentState;
    diag(SilentWrite->getBeginLoc(), "%0 is changed here", DiagnosticIDs::Note)
        << SilentState;
    diag(WritesButSilent->getLocation(),
         "%0 calls neither notify_one() nor notify_all() on %1",
         DiagnosticIDs::Note)
        << WritesButSilent << Wait.CondVar;
  } else {
    diag(Call->getExprLoc(),
         "wait on %0 can block forever: nothing on the stop path makes %select{"
         "its predicate true|its loop's condition change}1")
        << Wait.CondVar << (PredicateCode ? 0 : 1);
    const Stmt *What = PredicateCode ? static_cast<const Stmt *>(Wait.Predicate)
                                     : Loop;
    if (Reads.empty())
      diag(What->getBeginLoc(),
           "%select{the predicate|the loop}0 reads no state another thread "
           "can change",
           DiagnosticIDs::Note)
          << (PredicateCode ? 0 : 1);
    else
      diag(What->getBeginLoc(), "%select{the predicate|the loop}0 reads %1",
           DiagnosticIDs::Note)
          << (PredicateCode ? 0 : 1) << Reading;
    for (const FunctionDecl *Root : Roots)
      if (Skip)
        diag(Root->getLocation(),
             "%0 declares %1 and, apart from the %2, changes none of it",
             DiagnosticIDs::Note)
            << Root << Wait.CondVar << W.Noun;
      else
        diag(Root->getLocation(), "stop path %0 changes none of it",
             DiagnosticIDs::Note)
            << Root;
  }
  emitSpawnNotes(*this, W.Start, W.Noun, Chain);
}

} // namespace clang::tidy::threadleak
