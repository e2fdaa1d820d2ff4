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
// - a std::jthread held by a variable or a data member adds ~jthread() to
//   the stop paths: it requests stop (what a predicate reading the token
//   waits for) and notifies nothing; only where threadleak-jthread-ignores-
//   stop leaves the callable alone (no endless loop, no ignored token, no
//   token read around a wait in a loop, no std::stop_callback), so that
//   each wait is reported once.
//
// A wait with no predicate outside any loop is left to
// bugprone-spuriously-wake-up-functions.
//
//===----------------------------------------------------------------------===//

#include "CvWaitNoStopCheck.h"
#include "engine/BodyResolver.h"
#include "engine/ChannelFlow.h"
#include "engine/ContextSpawns.h"
#include "engine/CrossTU.h"
#include "engine/CvPredicate.h"
#include "engine/Lenders.h"
#include "engine/PathNotes.h"
#include "engine/SpawnSites.h"
#include "engine/StateFlags.h"
#include "engine/StmtWalk.h"
#include "engine/StopTokenUse.h"
#include "engine/Templates.h"
#include "model/CallDepth.h"
#include "model/LockModel.h"
#include "model/UserModel.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/AST/StmtCXX.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/Lex/Lexer.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include <functional>

using namespace clang::ast_matchers;

namespace clang::tidy::threadleak {

namespace {
/// How deep a stop path or a predicate is followed into the functions it
/// calls.
constexpr unsigned MaxEffectDepth = 4;

/// The semaphore (a variable or data member) that \p Call acquires or
/// releases (std::counting_semaphore, std::binary_semaphore), or null.
const ValueDecl *semaphoreOp(const CallExpr *Call, llvm::StringRef Op) {
  const auto *MC = llvm::dyn_cast_or_null<CXXMemberCallExpr>(Call);
  const CXXMethodDecl *M = MC ? MC->getMethodDecl() : nullptr;
  if (!M || !M->getIdentifier() || M->getName() != Op)
    return nullptr;
  const CXXRecordDecl *RD = M->getParent();
  if (!RD->getIdentifier() || !RD->isInStdNamespace() ||
      (RD->getName() != "counting_semaphore" &&
       RD->getName() != "binary_semaphore"))
    return nullptr;
  return namedObject(MC->getImplicitObjectArgument());
}

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
  std::vector<ChannelSpec> UserChannels;
  std::vector<CounterSpec> UserCounters;
  if (const ModelConfig *M = userModelFor(Context, Error)) {
    Spawns.add(*M);
    UserChannels = M->Channels;
    UserCounters = M->WaitGroups;
    CVTypes.add(M->ConditionVariableTypes);
    addStopMethods(M->StopMethods);
    Model.StopSignalFunctions.add(M->StopSignalFunctions);
  } else if (!Error.empty()) {
    configurationDiag("%0") << Error;
  }
  CVs = std::make_unique<ConditionVariableModel>(CVTypes);
  CVs->setReadWrappers(true);
  Channels = std::make_unique<ChannelModel>(UserChannels);
  Counters = std::make_unique<CounterModel>(std::move(UserCounters));
  JthreadModel = Model;
  JthreadModel.InterruptionPointsStop = false;
}


void CvWaitNoStopCheck::addStopMethods(const std::vector<std::string> &Names) {
  // Names are unqualified ("stop"); a qualified one ("app::Worker::halt")
  // is taken by its last component, as written lists often are.
  for (llvm::StringRef N : Names) {
    N = N.trim();
    size_t Colons = N.rfind("::");
    if (Colons != llvm::StringRef::npos)
      N = N.drop_front(Colons + 2);
    std::string Key = foldedName(N);
    if (!Key.empty() && !llvm::is_contained(StopMethods, Key))
      StopMethods.push_back(std::move(Key));
  }
}

bool CvWaitNoStopCheck::isStopMethodName(llvm::StringRef Name) const {
  // A name that starts with a stop word, case and underscores aside: stop,
  // Stop, StopAndJoin, shutdown_now, CloseAll, join_all; or whose later
  // words do, after a first word that is not an accessor's: NotifyShutdown,
  // on_close, beginStop (not setStopCallback, isClosed, getJoinHandle).
  std::vector<std::string> Words = identifierWords(Name);
  for (size_t I = 0; I < Words.size(); ++I) {
    if (I == 1 && llvm::is_contained({"set", "get", "is", "has", "can",
                                      "should", "was", "will", "need"},
                                     Words.front()))
      return false;
    std::string Rest;
    for (size_t J = I; J < Words.size(); ++J)
      Rest += Words[J];
    if (llvm::any_of(StopMethods, [&](const std::string &Word) {
          return llvm::StringRef(Rest).starts_with(Word);
        }))
      return true;
  }
  return false;
}

void CvWaitNoStopCheck::storeOptions(ClangTidyOptions::OptionMap &Opts) {
  Spawns.store(Options, Opts);
  Options.store(Opts, "ConditionVariableTypes", CVTypesOption);
  Options.store(Opts, "StopMethods", StopMethodsOption);
  Options.store(Opts, "MaxCallDepth", Model.MaxCallDepth);
}

void CvWaitNoStopCheck::registerMatchers(MatchFinder *Finder) {
  Spawns.registerMatchers(Finder, this);
  // Cross-TU (the CLI only, see engine/CrossTU.h): the stop paths this file
  // defines, to summarise what they change and notify.
  if (crosstu::recording())
    Finder->addMatcher(cxxMethodDecl(isDefinition(), isExpansionInMainFile(),
                                     unless(isImplicit()))
                           .bind("summarise"),
                       this);
}

void CvWaitNoStopCheck::onEndOfTranslationUnit() {
  Analysis.reset();
  JthreadLoops.reset();
  EffectCache.clear();
  Defined.reset();
  Lending.reset();
  Reported.clear();
  Ctx = nullptr;
}

void CvWaitNoStopCheck::check(const MatchFinder::MatchResult &Result) {
  if (const auto *M = Result.Nodes.getNodeAs<CXXMethodDecl>("summarise")) {
    Ctx = Result.Context;
    summarise(M);
    return;
  }
  const Expr *Start = Spawns.matched(Result);
  if (!Start)
    return;
  SpawnedContext Spawned = Spawns.resolve(Start);
  if (!Spawned)
    return;
  Ctx = Result.Context;
  if (!Analysis)
    Analysis = std::make_unique<ForeverAnalysis>(*Ctx, Model);
  const FunctionDecl *Body = analysableDefinition(Spawned.Body, *Ctx);
  if (!Body || !shouldAnalyseBody(Body))
    return;
  Worker W{Start, Body, Spawned.Noun};
  llvm::SmallVector<const CallExpr *, 4> Chain;
  llvm::DenseSet<const FunctionDecl *> Seen;
  ParamTruth Known;
  findWaits(W, Body, 0, Chain, Seen, Known);
}

void CvWaitNoStopCheck::findWaits(
    const Worker &W, const FunctionDecl *Fn, unsigned Depth,
    llvm::SmallVectorImpl<const CallExpr *> &Chain,
    llvm::DenseSet<const FunctionDecl *> &Seen, const ParamTruth &Known) {
  // Each function once, but once more with what a caller rules out (the
  // depth bounds that).
  if (Known.empty() && !Seen.insert(Fn).second)
    return;
  // (`sendImpl(v, &ctx)` next to `sendImpl(v, nullptr)`: the wait under
  // `if (!ctx)` is the other caller's.)
  llvm::SmallVector<const CallExpr *, 16> Calls;
  collectCalls(Fn->getBody(), Known, Calls);
  for (const CallExpr *Call : Calls)
    if (std::optional<ConditionWait> Wait = CVs->asWait(Call)) {
      // A wait in a branch that cannot run is no wait.
      if (!Reported.seen(Call->getExprLoc(), Ctx->getSourceManager()) &&
          !cannotRun(Call, Fn->getBody(), *Ctx))
        analyse(W, *Wait, Fn, Chain);
    } else if (const ValueDecl *Sem = semaphoreOp(Call, "acquire")) {
      if (!Reported.seen(Call->getExprLoc(), Ctx->getSourceManager()))
        analyseAcquire(W, llvm::cast<CXXMemberCallExpr>(Call), Sem, Fn, Chain);
    }
  if (Depth >= Model.MaxCallDepth)
    return;
  for (const CallExpr *Call : Calls) {
    const FunctionDecl *Callee =
        analysableDefinition(Call->getDirectCallee(), *Ctx);
    // A member function of a class with a condition variable, defined in
    // another unit: its summary lists the waits it makes (the CLI's
    // cross-TU pass).
    const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call);
    const CXXMethodDecl *External =
        !Callee && MC && crosstu::enabled() ? MC->getMethodDecl() : nullptr;
    if (External && (External->isStatic() ||
                     !holdsConditionVariable(External->getParent())))
      External = nullptr;
    if ((!Callee && !External) || mayDispatchElsewhere(Call))
      continue;
    // A lock a project writes on a condition variable (Go's sync.Mutex,
    // a writer-preferring reader-writer lock): its lock() waits for the
    // holder's unlock(), not for a stop path; whether that can block
    // forever (a lock cycle, a holder that never unlocks) is
    // blocked-forever's question.
    if (LockModel::isAcquisition(Callee ? Callee : External))
      continue;
    // A channel operation: the channel checks own its internal wait (a
    // blocking queue's pop() waits on its own condition variable).
    // A class of the project read as a channel is code of the project: its
    // own waits are this check's.
    if (ChannelOp Op = Channels->classify(Call);
        Op && !Channels->inferredFor(Op.Spec))
      continue;
    // A wait group the model file declares, likewise: whether its wait
    // can block forever (a count-down missing on some path) is
    // blocked-forever's question, not a stop path's.
    if (MC && Counters->declares(MC->getRecordDecl()))
      continue;
    if (External) {
      Chain.push_back(Call);
      analyseExternalWaits(W, Call, External, Chain);
      Chain.pop_back();
      continue;
    }
    ParamTruth CalleeKnown;
    knownParams(Call, Callee, CalleeKnown);
    Chain.push_back(Call);
    findWaits(W, Callee, Depth + 1, Chain, Seen, CalleeKnown);
    Chain.pop_back();
  }
}

/// Adds to \p E the variables and data members that \p Target (the left
/// side of an assignment, the object of a non-const call) names.
static void addWrite(const Expr *Target, const Stmt *Where,
                     CvWaitNoStopCheck::Effects &E) {
  writtenObjects(Target,
                 [&](const ValueDecl *D) { E.Writes.try_emplace(D, Where); });
}

/// The object expression is `this`, a data member, or a reference or
/// pointer into the worker's state: code we cannot read that gets it may
/// change anything.
static bool touchesState(const Expr *E) {
  E = bareExpr(E);
  // `*&*&p`: a loop, not a recursion.
  while (const auto *UO = llvm::dyn_cast<UnaryOperator>(E))
    E = bareExpr(UO->getSubExpr());
  if (llvm::isa<CXXThisExpr>(E))
    return true;
  if (const auto *ME = llvm::dyn_cast<MemberExpr>(E))
    return llvm::isa<FieldDecl>(ME->getMemberDecl());
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
    if (std::optional<ConditionWait> Wait = CVs->asWait(Call))
      if (Wait->CondVar)
        E.Waits.insert(Wait->CondVar);
    // A semaphore's release wakes its acquire as a notify does a wait.
    if (const ValueDecl *Sem = semaphoreOp(Call, "release")) {
      E.Notifies.insert(Sem);
      return;
    }
    if (const ValueDecl *Sem = semaphoreOp(Call, "acquire"))
      E.Waits.insert(Sem);
    const FunctionDecl *Callee = Call->getDirectCallee();
    if (!Callee) {
      E.Unknown = true; // A call through a pointer: anything may happen.
      return;
    }
    // jthread::request_stop(), stop_source::request_stop(): what a
    // predicate reading the stop token waits for.
    if (Callee->getIdentifier() && Callee->getName() == "request_stop" &&
        !E.RequestsStop)
      E.RequestsStop = Call;
    // A call through a std::function (or any function object we cannot
    // read): the callable it holds may do anything.
    if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(Call))
      if (OC->getOperator() == OO_Call &&
          !analysableDefinition(Callee, *Ctx)) {
        const auto *MD = llvm::dyn_cast<CXXMethodDecl>(Callee);
        if (!MD || !MD->getParent()->isLambda()) {
          E.Unknown = true;
          return;
        }
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
    // A stop path defined in another unit (the CLI's cross-TU pass): what
    // its summary says it changes and notifies, the call doing it here.
    // (Wanted, not asked: effects are computed for every function a
    // reply may come from, and a summary of one is no reason to analyse
    // the unit again.)
    if (const crosstu::FunctionSummary *S = crosstu::want(Callee, *Ctx);
        S && S->Effects) {
      const crosstu::FunctionSummary::StateEffects &Ext = *S->Effects;
      E.Unknown |= Ext.Unknown;
      if (Ext.RequestsStop && !E.RequestsStop)
        E.RequestsStop = Call;
      for (const std::string &Name : Ext.Notifies)
        if (const ValueDecl *D = crosstu::stateNamed(Name, *Ctx))
          E.Notifies.insert(D);
      // (State this unit cannot name is not what its waits read.)
      for (const auto &[Name, At] : Ext.Writes)
        if (const ValueDecl *D = crosstu::stateNamed(Name, *Ctx))
          if (E.Writes.try_emplace(D, Call).second)
            if (SourceLocation L = crosstu::locate(At, Ctx->getSourceManager());
                L.isValid())
              E.WriteLocs[D] = L;
      return;
    }
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

void CvWaitNoStopCheck::analyseAcquire(const Worker &W,
                                       const CXXMemberCallExpr *Call,
                                       const ValueDecl *Sem,
                                       const FunctionDecl *Fn,
                                       llvm::ArrayRef<const CallExpr *> Chain) {
  const auto *Field = llvm::dyn_cast<FieldDecl>(Sem);
  if (!Field || Sem->getType()->isReferenceType() ||
      Sem->getType()->isPointerType())
    return;
  // What the loop around it tests (its way out, a stop flag).
  ConditionWait AsWait;
  AsWait.Call = Call;
  std::optional<WaitCondition> Cond =
      waitCondition(AsWait, Fn, *Ctx, MaxEffectDepth);
  if (!Cond || !Cond->Loop || Cond->Reads.empty())
    return;
  // The stop paths of the worker's class and of the semaphore's.
  llvm::SmallVector<const FunctionDecl *, 4> Roots;
  for (const CXXRecordDecl *RD :
       {ownerClass(W.Body),
        llvm::dyn_cast<CXXRecordDecl>(Field->getParent())}) {
    if (!RD || !RD->hasDefinition())
      continue;
    for (const CXXMethodDecl *M : RD->methods()) {
      if (!isStopPath(M))
        continue;
      const FunctionDecl *Def = analysableDefinition(M, *Ctx);
      if (!Def)
        return; // a stop path we cannot read
      if (!llvm::is_contained(Roots, Def))
        Roots.push_back(Def);
    }
  }
  if (llvm::is_contained(Roots, Fn) ||
      llvm::any_of(Chain, [&](const CallExpr *C) {
        const FunctionDecl *D =
            analysableDefinition(C->getDirectCallee(), *Ctx);
        return D && llvm::is_contained(Roots, D);
      }))
    return;
  // Some stop path changes what the loop tests, and none releases the
  // semaphore: the worker learns of the stop only after an acquire that
  // the stop does not end.
  const FunctionDecl *Writer = nullptr;
  const Stmt *WriteAt = nullptr;
  const ValueDecl *State = nullptr;
  for (const FunctionDecl *Root : Roots) {
    const Effects &E = effectsOf(Root, nullptr);
    if (E.Unknown || E.Notifies.contains(Sem))
      return;
    if (Writer)
      continue;
    for (const ValueDecl *D : Cond->Reads)
      if (auto It = E.Writes.find(D); It != E.Writes.end()) {
        Writer = Root;
        WriteAt = It->second;
        State = D;
        break;
      }
  }
  if (!Writer)
    return;
  Reported.first(Call->getExprLoc(), Ctx->getSourceManager());
  diag(Call->getExprLoc(),
       "acquire of %0 can block forever: the stop path changes %1 but never "
       "releases %0")
      << Sem << State;
  diag(Cond->Loop->getBeginLoc(),
       "the %0 leaves this loop on %1, which it tests only after the acquire "
       "returns",
       DiagnosticIDs::Note)
      << W.Noun << State;
  diag(WriteAt->getBeginLoc(), "%0 is changed here", DiagnosticIDs::Note)
      << State;
  diag(Writer->getLocation(), "%0 never calls release() on %1",
       DiagnosticIDs::Note)
      << patternDecl(Writer) << Sem;
  emitSpawnNotes(*this, W.Start, W.Noun, Chain);
}

namespace {
/// Function and lambda definitions outside system headers.
class DefinitionFinder : public RecursiveASTVisitor<DefinitionFinder> {
public:
  DefinitionFinder(const SourceManager &SM,
                   std::vector<const FunctionDecl *> &Out)
      : SM(SM), Out(Out) {}
  bool VisitFunctionDecl(FunctionDecl *FD) {
    if (FD->doesThisDeclarationHaveABody() && !FD->isDependentContext() &&
        !SM.isInSystemHeader(FD->getLocation()))
      Out.push_back(FD);
    return true;
  }
  bool VisitLambdaExpr(LambdaExpr *LE) {
    const CXXMethodDecl *Op = LE->getCallOperator();
    if (Op && Op->hasBody() && !Op->isDependentContext() &&
        !SM.isInSystemHeader(Op->getLocation()))
      Out.push_back(Op);
    return true;
  }

private:
  const SourceManager &SM;
  std::vector<const FunctionDecl *> &Out;
};
} // namespace

llvm::ArrayRef<const FunctionDecl *> CvWaitNoStopCheck::definedFunctions() {
  if (!Defined) {
    Defined.emplace();
    DefinitionFinder(Ctx->getSourceManager(), *Defined)
        .TraverseDecl(Ctx->getTranslationUnitDecl());
  }
  return *Defined;
}

/// \p Fn may return (or throw) between \p From and \p To, in source order:
/// the answering code may leave between the request it takes and its answer
/// (a cancellation point between two items).
static bool leavesBetween(const FunctionDecl *Fn, const Stmt *From,
                          const Stmt *To) {
  const SourceManager &SM = Fn->getASTContext().getSourceManager();
  bool Leaves = false;
  walkOwnCode(Fn->getBody(), [&](const Stmt *S) {
    Leaves |=
        llvm::isa<ReturnStmt, CoreturnStmt, CXXThrowExpr>(S) &&
        SM.isBeforeInTranslationUnit(From->getEndLoc(), S->getBeginLoc()) &&
        SM.isBeforeInTranslationUnit(S->getEndLoc(), To->getBeginLoc());
  });
  return Leaves;
}

llvm::SmallVector<std::pair<const FunctionDecl *, const CallExpr *>, 4>
CvWaitNoStopCheck::wayToWait(const Worker &W, const WaitSite &Site,
                             llvm::ArrayRef<const CallExpr *> Chain) {
  // From the wait outwards (a wait of another unit: from the call of the
  // function that makes it).
  llvm::SmallVector<std::pair<const FunctionDecl *, const CallExpr *>, 4>
      Levels;
  if (Site.Wait.Call)
    Levels.push_back({Site.Fn, Site.Wait.Call});
  for (size_t I = Chain.size(); I-- > 0;)
    Levels.push_back(
        {I == 0 ? W.Body
                : analysableDefinition(Chain[I - 1]->getDirectCallee(), *Ctx),
         Chain[I]});
  return Levels;
}

void CvWaitNoStopCheck::calledBeforeWait(
    const Worker &W, const WaitSite &Site,
    llvm::ArrayRef<const CallExpr *> Chain,
    llvm::SmallPtrSetImpl<const Decl *> &Out) {
  const SourceManager &SM = Ctx->getSourceManager();
  for (const auto &[F, At] : wayToWait(W, Site, Chain)) {
    if (!F || !F->getBody())
      continue;
    walkOwnCode(F->getBody(), [&](const Stmt *S) {
      const auto *Call = llvm::dyn_cast<CallExpr>(S);
      if (Call && Call != At && Call->getDirectCallee() &&
          SM.isBeforeInTranslationUnit(Call->getEndLoc(), At->getBeginLoc()))
        Out.insert(Call->getDirectCallee()->getCanonicalDecl());
    });
  }
}

const FunctionDecl *
CvWaitNoStopCheck::replyingCode(const Worker &W, const WaitSite &Site,
                                llvm::ArrayRef<const CallExpr *> Chain) {
  const ConditionWait &Wait = Site.Wait;
  const FunctionDecl *Fn = Site.Fn;
  llvm::ArrayRef<const ValueDecl *> Reads = Site.Reads;
  const SourceManager &SM = Ctx->getSourceManager();
  // A call given a lambda hands code to run elsewhere (a thread, a pool's
  // job): what that code does is not this thread's request or answer.
  auto HandsOnCode = [](const CallExpr *Call) {
    return llvm::any_of(Call->arguments(), [](const Expr *A) {
      return llvm::isa<LambdaExpr>(bareExpr(A));
    });
  };
  // The effects of the calls of \p Region that end before \p At begins.
  auto EffectsBefore = [&](const Stmt *Region, const Stmt *At, Effects &E) {
    llvm::DenseSet<const FunctionDecl *> Visited;
    walkOwnCode(Region, [&](const Stmt *S) {
      const auto *Call = llvm::dyn_cast<CallExpr>(S);
      if (Call && Call != At && !HandsOnCode(Call) &&
          SM.isBeforeInTranslationUnit(Call->getEndLoc(), At->getBeginLoc()))
        collect(Call, E, 1, Visited, nullptr);
    });
  };

  // What the worker asks for on its way to the wait: the code before each
  // call of the chain, from the wait outwards, up to the innermost loop
  // around one (what a previous iteration did is not a request).
  Effects Asked;
  for (const auto &[F, At] : wayToWait(W, Site, Chain)) {
    if (!F || !F->getBody())
      break;
    const Stmt *Loop = innermostLoopAround(F->getBody(), At);
    EffectsBefore(Loop ? loopBody(Loop) : F->getBody(), At, Asked);
    if (Loop)
      break;
  }
  if (Asked.Notifies.empty())
    return nullptr;

  // Code that waits for one of those and then answers: changes what the
  // predicate reads and notifies the condition variable. Not the worker's
  // own code, and not the condition variable's class (a queue whose pop()
  // waits and then notifies the pushers is the channel, not a partner).
  const auto *Owner = llvm::dyn_cast<FieldDecl>(Wait.CondVar)
                          ? llvm::dyn_cast<FieldDecl>(Wait.CondVar)->getParent()
                          : nullptr;
  llvm::SmallPtrSet<const FunctionDecl *, 4> Own{W.Body};
  if (Fn)
    Own.insert(Fn);
  for (const CallExpr *C : Chain)
    if (const FunctionDecl *D =
            analysableDefinition(C->getDirectCallee(), *Ctx))
      Own.insert(D);
  auto Answers = [&](const Effects &E) {
    return E.Notifies.contains(Wait.CondVar) &&
           (Reads.empty() || llvm::any_of(Reads, [&](const ValueDecl *D) {
              return E.Writes.count(D) != 0;
            }));
  };
  // (A method of the condition variable's class answers only a request
  // made on another object: a worker loop of the class that waits on its
  // own semaphore and then notifies, not a queue's pop() waiting on the
  // class's own member.)
  bool OwnerMethod = false;
  auto WaitsForRequest = [&](const Effects &E) {
    return llvm::any_of(E.Waits, [&](const ValueDecl *D) {
      const auto *F = llvm::dyn_cast<FieldDecl>(D);
      return Asked.Notifies.contains(D) &&
             !(OwnerMethod && F && F->getParent() == Owner);
    });
  };
  for (const FunctionDecl *S : definedFunctions()) {
    if (Own.contains(S))
      continue;
    const auto *MD = llvm::dyn_cast<CXXMethodDecl>(S);
    OwnerMethod = MD && Owner && MD->getParent() == Owner;
    const Effects &All = effectsOf(S, nullptr);
    if (!Answers(All) || !WaitsForRequest(All))
      continue;
    // In that order: a call that waits for the request, then one (after
    // it ends) that answers.
    const CallExpr *Request = nullptr;
    llvm::DenseSet<const FunctionDecl *> Visited;
    bool Found = false;
    walkOwnCode(S->getBody(), [&](const Stmt *Node) {
      const auto *Call = llvm::dyn_cast<CallExpr>(Node);
      if (Found || !Call || HandsOnCode(Call))
        return;
      Effects E;
      Visited.clear();
      collect(Call, E, 1, Visited, nullptr);
      if (Request &&
          SM.isBeforeInTranslationUnit(Request->getEndLoc(),
                                       Call->getBeginLoc()) &&
          Answers(E))
        Found = !leavesBetween(S, Request, Call);
      else if (!Request && WaitsForRequest(E))
        Request = Call;
    });
    if (Found)
      return S;
  }
  return nullptr;
}

/// How a cross-TU summary names \p D, state a waiter may test: a data
/// member or a variable with static storage, by qualified name; empty for
/// anything else (a local, a parameter, a global with internal linkage,
/// which another unit's of that name is not).
static std::string stateName(const ValueDecl *D) {
  if (const auto *VD = llvm::dyn_cast<VarDecl>(D))
    if (VD->hasLocalStorage() || llvm::isa<ParmVarDecl>(VD) ||
        !VD->isExternallyVisible())
      return {};
  if (!llvm::isa<FieldDecl, VarDecl>(D) || !D->getIdentifier())
    return {};
  return D->getQualifiedNameAsString();
}

void CvWaitNoStopCheck::summarise(const CXXMethodDecl *M) {
  crosstu::Recording *Rec = crosstu::recording();
  if (!Rec || M->isStatic())
    return;
  bool StopPath = isStopPath(M);
  if (!StopPath && !holdsConditionVariable(M->getParent()))
    return;
  std::string Id = crosstu::summaryIdentity(M, *Ctx);
  if (Id.empty())
    return;
  if (!StopPath) {
    // (A stop path's own waits are never judged: see judge().)
    std::vector<crosstu::FunctionSummary::Wait> Waits;
    llvm::SmallVector<const CallExpr *, 4> Chain;
    llvm::DenseSet<const FunctionDecl *> Seen;
    summariseWaits(M, M, 0, Chain, Seen, Waits);
    if (Waits.empty())
      return;
    crosstu::FunctionSummary &S = Rec->Defined[Id];
    S.Name = M->getNameAsString();
    S.Waits = std::move(Waits);
    return;
  }
  const Effects &E = effectsOf(M, nullptr);
  const SourceManager &SM = Ctx->getSourceManager();
  crosstu::FunctionSummary::StateEffects F;
  F.Unknown = E.Unknown;
  F.RequestsStop = E.RequestsStop != nullptr;
  for (const auto &[D, Where] : E.Writes) {
    std::string Name = stateName(D);
    if (Name.empty())
      continue;
    std::optional<crosstu::Location> At =
        crosstu::locationOf(Where->getBeginLoc(), SM);
    if (!At) {
      F.Unknown = true; // a write the notes could not show: silence
      continue;
    }
    F.Writes.emplace_back(std::move(Name), std::move(*At));
  }
  for (const ValueDecl *D : E.Notifies) {
    std::string Name = stateName(D);
    if (!Name.empty())
      F.Notifies.push_back(std::move(Name));
  }
  // The effects are sets: a deterministic text.
  llvm::sort(F.Writes, [](const auto &A, const auto &B) {
    return std::tie(A.first, A.second.File, A.second.Offset) <
           std::tie(B.first, B.second.File, B.second.Offset);
  });
  llvm::sort(F.Notifies);
  F.Notifies.erase(std::unique(F.Notifies.begin(), F.Notifies.end()),
                   F.Notifies.end());
  crosstu::FunctionSummary &S = Rec->Defined[Id];
  S.Name = M->getNameAsString();
  S.Effects = std::move(F);
}

/// Whether \p At, code of \p Fn, runs may depend on what the caller
/// passes: a condition of \p Fn written before it (or around it) reads a
/// parameter (`if (block) cv_.wait(...)`, `if (!wait) return;`).
static bool decidedByParameter(const FunctionDecl *Fn, const Stmt *At) {
  if (Fn->param_empty())
    return false;
  const SourceManager &SM = Fn->getASTContext().getSourceManager();
  bool Decided = false;
  walkOwnCode(Fn->getBody(), [&](const Stmt *S) {
    const Expr *Cond = nullptr;
    if (const auto *If = llvm::dyn_cast<IfStmt>(S))
      Cond = If->getCond();
    else if (const auto *While = llvm::dyn_cast<WhileStmt>(S))
      Cond = While->getCond();
    else if (const auto *Do = llvm::dyn_cast<DoStmt>(S))
      Cond = Do->getCond();
    else if (const auto *For = llvm::dyn_cast<ForStmt>(S))
      Cond = For->getCond();
    else if (const auto *Switch = llvm::dyn_cast<SwitchStmt>(S))
      Cond = Switch->getCond();
    else if (const auto *CO = llvm::dyn_cast<AbstractConditionalOperator>(S))
      Cond = CO->getCond();
    else if (const auto *BO = llvm::dyn_cast<BinaryOperator>(S);
             BO && BO->isLogicalOp())
      Cond = BO->getLHS();
    if (Decided || !Cond ||
        !SM.isBeforeInTranslationUnit(Cond->getBeginLoc(), At->getEndLoc()))
      return;
    walkOwnCode(Cond, [&](const Stmt *N) {
      if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(N))
        Decided |= llvm::isa<ParmVarDecl>(DRE->getDecl()) &&
                   DRE->getDecl()->getDeclContext() == Fn;
    });
  });
  return Decided;
}

/// \p E names a data member of the object the code runs on (`cv_`,
/// `this->cv_`, `&cv_`).
static bool onThis(const Expr *E) {
  E = E ? bareExpr(E) : nullptr;
  if (const auto *UO = llvm::dyn_cast_or_null<UnaryOperator>(E);
      UO && UO->getOpcode() == UO_AddrOf)
    E = bareExpr(UO->getSubExpr());
  const auto *ME = llvm::dyn_cast_or_null<MemberExpr>(E);
  return ME && llvm::isa<FieldDecl>(ME->getMemberDecl()) &&
         llvm::isa<CXXThisExpr>(bareExpr(ME->getBase()));
}

bool CvWaitNoStopCheck::holdsConditionVariable(const CXXRecordDecl *RD,
                                               unsigned Depth) const {
  if (!RD || !RD->hasDefinition() || Depth > 8)
    return false;
  RD = RD->getDefinition();
  for (const FieldDecl *F : RD->fields())
    if (CVs->isConditionVariable(F->getType()))
      return true;
  for (const CXXBaseSpecifier &B : RD->bases())
    if (holdsConditionVariable(B.getType()->getAsCXXRecordDecl(), Depth + 1))
      return true;
  return false;
}

void CvWaitNoStopCheck::summariseWaits(
    const CXXMethodDecl *M, const FunctionDecl *Fn, unsigned Depth,
    llvm::SmallVectorImpl<const CallExpr *> &Chain,
    llvm::DenseSet<const FunctionDecl *> &Seen,
    std::vector<crosstu::FunctionSummary::Wait> &Out) {
  if (!Seen.insert(Fn).second || !Fn->getBody())
    return;
  const SourceManager &SM = Ctx->getSourceManager();
  llvm::SmallVector<const CallExpr *, 16> Calls;
  collectCalls(Fn->getBody(), Calls);
  for (const CallExpr *Call : Calls) {
    std::optional<ConditionWait> Wait = CVs->asWait(Call);
    if (!Wait || Wait->StopAware || Wait->Timed)
      continue;
    // On a condition variable of the object itself, which the caller's
    // unit names through the object it calls the function on.
    const auto *Field = llvm::dyn_cast_or_null<FieldDecl>(Wait->CondVar);
    const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call);
    const Expr *CVExpr = MC ? MC->getImplicitObjectArgument()
                         : Call->getNumArgs() > 0 ? Call->getArg(0)
                                                  : nullptr;
    if (!Field || Field->getType()->isReferenceType() ||
        Field->getType()->isPointerType() || !onThis(CVExpr))
      continue;
    // On every call, whatever the caller passes.
    if (cannotRun(Call, Fn->getBody(), *Ctx) || decidedByParameter(Fn, Call))
      continue;
    std::optional<WaitCondition> Cond =
        waitCondition(*Wait, Fn, *Ctx, MaxEffectDepth);
    if (!Cond || Cond->ReadsStopToken)
      continue;
    // What it waits for, by names the caller's unit can look up.
    crosstu::FunctionSummary::Wait Ext;
    Ext.CondVar = stateName(Field);
    bool Nameable = !Ext.CondVar.empty();
    for (const ValueDecl *D : Cond->Reads) {
      std::string Name = stateName(D);
      Nameable &= !Name.empty();
      Ext.Reads.push_back(std::move(Name));
    }
    std::optional<crosstu::Location> At =
        crosstu::locationOf(Call->getExprLoc(), SM);
    std::optional<crosstu::Location> Anchor =
        crosstu::locationOf(Cond->anchor(*Wait)->getBeginLoc(), SM);
    if (!Nameable || !At || !Anchor)
      continue;
    Ext.At = std::move(*At);
    Ext.Anchor = std::move(*Anchor);
    Ext.Predicate = Cond->PredicateCode != nullptr;
    for (const CallExpr *C : Chain) {
      std::optional<crosstu::Location> L =
          crosstu::locationOf(C->getBeginLoc(), SM);
      if (!L)
        break;
      Ext.Chain.emplace_back(std::move(*L),
                             C->getDirectCallee()->getNameAsString());
    }
    if (Ext.Chain.size() == Chain.size())
      Out.push_back(std::move(Ext));
  }
  if (Depth >= Model.MaxCallDepth)
    return;
  // Into the member functions it calls on its own object.
  for (const CallExpr *Call : Calls) {
    const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call);
    if (!MC ||
        !llvm::isa<CXXThisExpr>(bareExpr(MC->getImplicitObjectArgument())))
      continue;
    const FunctionDecl *Callee =
        analysableDefinition(MC->getDirectCallee(), *Ctx);
    if (!Callee || mayDispatchElsewhere(Call) ||
        LockModel::isAcquisition(Callee) || decidedByParameter(Fn, Call) ||
        cannotRun(Call, Fn->getBody(), *Ctx))
      continue;
    Chain.push_back(Call);
    summariseWaits(M, Callee, Depth + 1, Chain, Seen, Out);
    Chain.pop_back();
  }
}

void CvWaitNoStopCheck::wantStopPaths(const CXXRecordDecl *RD) {
  if (!RD || !RD->hasDefinition())
    return;
  for (const CXXMethodDecl *M : RD->getDefinition()->methods()) {
    if (M->isDeleted() || M->isDefaulted() || !isStopPath(M))
      continue;
    if (const FunctionDecl *Def = analysableDefinition(M, *Ctx))
      effectsOf(Def, nullptr);
    else
      crosstu::want(M, *Ctx);
  }
}

void CvWaitNoStopCheck::analyseExternalWaits(
    const Worker &W, const CallExpr *Call, const CXXMethodDecl *Callee,
    llvm::ArrayRef<const CallExpr *> Chain) {
  const crosstu::FunctionSummary *S = crosstu::ask(Callee, *Ctx);
  if (!S) {
    // The first pass: the second gives a unit only the summaries it asked
    // for or wants, so want now those judging the waits will read (the stop
    // paths of the worker's class and of the callee's, and what they
    // call): read if the callee's waits make the unit worth analysing
    // again, not a reason to.
    if (crosstu::recording()) {
      wantStopPaths(ownerClass(W.Body));
      wantStopPaths(Callee->getParent());
      for (const CXXBaseSpecifier &B : Callee->getParent()->bases())
        wantStopPaths(B.getType()->getAsCXXRecordDecl());
    }
    return;
  }
  SourceManager &SM = Ctx->getSourceManager();
  for (const crosstu::FunctionSummary::Wait &Ext : S->Waits) {
    // Names this unit cannot resolve, places it cannot show: no finding.
    const auto *CV = llvm::dyn_cast_or_null<FieldDecl>(
        crosstu::stateNamed(Ext.CondVar, *Ctx));
    if (!CV)
      continue;
    WaitSite Site;
    Site.Wait.CondVar = CV;
    Site.Predicate = Ext.Predicate;
    Site.Loc = crosstu::locate(Ext.At, SM);
    Site.AnchorLoc = crosstu::locate(Ext.Anchor, SM);
    if (Site.Loc.isInvalid() || Site.AnchorLoc.isInvalid() ||
        Reported.seen(Site.Loc, SM))
      continue;
    bool Resolved = true;
    for (const std::string &Name : Ext.Reads) {
      const ValueDecl *D = crosstu::stateNamed(Name, *Ctx);
      Resolved &= D != nullptr;
      if (D && !llvm::is_contained(Site.Reads, D))
        Site.Reads.push_back(D);
    }
    for (const auto &[At, Name] : Ext.Chain) {
      SourceLocation L = crosstu::locate(At, SM);
      Resolved &= L.isValid();
      Site.ExternalChain.emplace_back(L, Name);
    }
    if (Resolved)
      judge(W, Site, Chain);
  }
}

bool CvWaitNoStopCheck::isStopPath(const CXXMethodDecl *M) const {
  // A const member function is a query (closed(), stopped()), not a stop
  // path, whatever its name starts with.
  if (llvm::isa<CXXDestructorDecl>(M))
    return M->isUserProvided();
  return M->getIdentifier() && !M->isConst() &&
         (isStopMethodName(M->getName()) || waitsForStop(M));
}

bool CvWaitNoStopCheck::waitsForStop(const CXXMethodDecl *M) const {
  // `drainOnCancel()`: it waits, untimed, for nothing but a stop, and what it
  // does after runs once the stop comes: a stop path.
  const FunctionDecl *Def = analysableDefinition(M, *Ctx);
  if (!Def || !Def->getBody())
    return false;
  bool Waits = false;
  walkOwnCode(Def->getBody(), [&](const Stmt *S) {
    if (const auto *Call = llvm::dyn_cast<CallExpr>(S))
      if (std::optional<ConditionWait> W = CVs->asWait(Call))
        Waits |= W->StopAware && !W->Timed && stopOnlyToken(*W);
  });
  return Waits;
}

bool CvWaitNoStopCheck::neverWoken(const ValueDecl *CV,
                                   llvm::ArrayRef<const ValueDecl *> Reads) {
  // All the code that can reach the condition variable.
  llvm::SmallVector<const Stmt *, 8> Code;
  if (const auto *FD = llvm::dyn_cast<FieldDecl>(CV)) {
    const RecordDecl *RD = FD->getParent();
    const auto *CRD = llvm::dyn_cast<CXXRecordDecl>(RD);
    if (!CRD || FD->getAccess() == AS_public || CRD->hasFriends() ||
        CRD->isDependentContext())
      return false;
    for (const CXXMethodDecl *M : CRD->methods()) {
      if (M->isImplicit() || M->isDefaulted())
        continue;
      const FunctionDecl *Def = analysableDefinition(M, *Ctx);
      if (!Def)
        return false; // Defined elsewhere: it may notify.
      Code.push_back(Def->getBody());
      if (const auto *Ctor = llvm::dyn_cast<CXXConstructorDecl>(Def))
        for (const CXXCtorInitializer *Init : Ctor->inits())
          Code.push_back(Init->getInit());
    }
    for (const FieldDecl *F : CRD->fields())
      if (F->hasInClassInitializer())
        Code.push_back(F->getInClassInitializer());
  } else if (const auto *VD = llvm::dyn_cast<VarDecl>(CV)) {
    const auto *Owner = llvm::dyn_cast<FunctionDecl>(VD->getDeclContext());
    if (!VD->hasLocalStorage() || llvm::isa<ParmVarDecl>(VD) || !Owner ||
        !Owner->hasBody())
      return false;
    Code.push_back(Owner->getBody());
  } else {
    return false;
  }
  if (CV->getType()->isReferenceType() || CV->getType()->isPointerType())
    return false;
  // Every use of the condition variable must be as the object of its own
  // member call; any other use (an argument, a reference taken) escapes.
  bool Woken = false;
  unsigned Uses = 0, AsObject = 0;
  for (const Stmt *S : Code) {
    walkWithLambdas(S, nullptr, [&](const Stmt *Node) {
      if (Woken)
        return;
      // A lambda capturing it by reference uses it in its body (walked).
      if (const auto *LE = llvm::dyn_cast<LambdaExpr>(Node)) {
        for (const Expr *Init : LE->capture_inits())
          if (const auto *DRE =
                  llvm::dyn_cast_or_null<DeclRefExpr>(bareExpr(Init)))
            AsObject += DRE->getDecl() == CV;
        return;
      }
      if (const auto *ME = llvm::dyn_cast<MemberExpr>(Node)) {
        Uses += ME->getMemberDecl() == CV;
        return;
      }
      if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(Node)) {
        Uses += DRE->getDecl() == CV;
        return;
      }
      const auto *Call = llvm::dyn_cast<CallExpr>(Node);
      if (!Call)
        return;
      if (CVs->notified(Call) == CV) {
        Woken = true;
        return;
      }
      // Code we cannot read that is given the object, a call through a
      // pointer or a std::function, a Boost interrupt(): it may wake it.
      const FunctionDecl *Callee = Call->getDirectCallee();
      if (!Callee ||
          (Callee->getIdentifier() && (Callee->getName() == "interrupt" ||
                                       Callee->getName() == "interrupt_all"))) {
        Woken = true;
        return;
      }
      if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(Call))
        if (OC->getOperator() == OO_Call && !analysableDefinition(Callee, *Ctx)) {
          Woken = true;
          return;
        }
      if (!analysableDefinition(Callee, *Ctx) &&
          llvm::any_of(Call->arguments(), [](const Expr *A) {
            return llvm::isa<CXXThisExpr>(bareExpr(A));
          })) {
        Woken = true;
        return;
      }
      if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call)) {
        const Expr *Obj = bareExpr(MC->getImplicitObjectArgument());
        if ((llvm::isa<MemberExpr>(Obj) &&
             llvm::cast<MemberExpr>(Obj)->getMemberDecl() == CV) ||
            (llvm::isa<DeclRefExpr>(Obj) &&
             llvm::cast<DeclRefExpr>(Obj)->getDecl() == CV))
          ++AsObject;
        // A write to what the predicate reads.
        if (const CXXMethodDecl *MD = MC->getMethodDecl())
          if (!MD->isConst())
            if (const ValueDecl *D = writtenObject(MC->getImplicitObjectArgument()))
              Woken |= llvm::is_contained(Reads, D);
      }
      // Passing state by non-const reference or pointer may change it.
      for (const Expr *Arg : Call->arguments())
        if (const ValueDecl *D = writtenObject(Arg))
          if (llvm::is_contained(Reads, D) &&
              (Arg->isLValue() || Arg->getType()->isPointerType()))
            Woken = true;
    });
    if (Woken)
      return false;
    walkWithLambdas(S, nullptr, [&](const Stmt *Node) {
      // A lambda's body is walked too: its writes count there.
      if (const Expr *Target = writeTarget(Node))
        if (const ValueDecl *D = writtenObject(Target))
          Woken |= llvm::is_contained(Reads, D);
    });
    if (Woken)
      return false;
  }
  return Uses == AsObject;
}

/// \p Inner is \p Root or somewhere under it (lambdas left out).
static bool contains(const Stmt *Root, const Stmt *Inner) {
  bool Found = false;
  walkOwnCode(Root, [&](const Stmt *S) { Found |= S == Inner; });
  return Found;
}

/// \p Wait is inside a loop of \p Fn.
static bool insideLoop(const FunctionDecl *Fn, const CallExpr *Wait) {
  bool Found = false;
  walkOwnCode(Fn->getBody(), [&](const Stmt *S) {
    if (!Found && llvm::isa<WhileStmt, DoStmt, ForStmt, CXXForRangeStmt>(S))
      Found = contains(S, Wait);
  });
  return Found;
}

const NamedDecl *CvWaitNoStopCheck::stoppingJthread(const Worker &W,
                                                    const CallExpr *Wait,
                                                    const FunctionDecl *Fn,
                                                    bool &Owned) {
  Owned = false;
  // A std::jthread constructed from the worker's callable...
  const Expr *E = W.Start->IgnoreImplicit();
  if (const auto *Cast = llvm::dyn_cast<CXXFunctionalCastExpr>(E))
    E = Cast->getSubExpr()->IgnoreImplicit();
  const auto *Construct = llvm::dyn_cast<CXXConstructExpr>(E);
  const CXXRecordDecl *RD =
      Construct ? Construct->getType()->getAsCXXRecordDecl() : nullptr;
  if (!RD || !RD->getIdentifier() || RD->getName() != "jthread" ||
      plainQualifiedName(RD) != "std::jthread")
    return nullptr;
  // ...held by a variable or a data member that is never detached (a
  // detached jthread's destructor does nothing; a temporary's runs at
  // once).
  const NamedDecl *Holder = nullptr;
  DynTypedNodeList Parents = Ctx->getParents(*W.Start);
  for (unsigned Steps = 0; !Parents.empty() && Steps < 8; ++Steps) {
    const DynTypedNode &P = Parents[0];
    if (const auto *VD = P.get<VarDecl>()) {
      const auto *Owner =
          llvm::dyn_cast_or_null<FunctionDecl>(VD->getParentFunctionOrMethod());
      if (VD->hasLocalStorage() && !llvm::isa<ParmVarDecl>(VD) &&
          !VD->getType()->isReferenceType() && Owner &&
          !isDetachedVariable(VD, Owner))
        Holder = VD;
      break;
    }
    const FieldDecl *FD = P.get<FieldDecl>();
    if (const auto *Init = P.get<CXXCtorInitializer>())
      FD = Init->getMember();
    // A constructor's initialiser: the parent map skips the initialiser.
    if (const auto *Ctor = P.get<CXXConstructorDecl>())
      FD = assignedField(W.Start, Ctor);
    if (FD) {
      if (!isDetachedField(FD))
        Holder = FD;
      break;
    }
    const auto *X = P.get<Expr>();
    if (!X || !llvm::isa<ExprWithCleanups, MaterializeTemporaryExpr,
                         CXXBindTemporaryExpr, ImplicitCastExpr,
                         CXXFunctionalCastExpr, CXXConstructExpr, ParenExpr>(X))
      break;
    Parents = Ctx->getParents(*X);
  }
  if (!Holder)
    return nullptr;
  // threadleak-jthread-ignores-stop owns the callable that loops forever,
  // takes its token and ignores it, or tests it around waits in a loop.
  // Where it certainly reports the callable (warnings (1)-(3), and (4)
  // for an untimed wait in the callable itself), this check says nothing.
  StopTokenInfo Token = analyzeStopToken(W.Body, *Ctx, Model.MaxCallDepth);
  if (!JthreadLoops)
    JthreadLoops = std::make_unique<ForeverAnalysis>(*Ctx, JthreadModel);
  if (JthreadLoops->findEndlessLoop(W.Body)) {
    Owned = true;
    return nullptr;
  }
  if (Token.Use == TokenUse::Ignored) {
    Owned = Fn == W.Body;
    return nullptr;
  }
  if (Token.Use == TokenUse::Consulted && (!Fn || insideLoop(Fn, Wait)))
    return nullptr;
  // A std::stop_callback runs on request_stop() and may notify.
  bool Callback = false;
  walkWithLambdas(W.Body->getBody(), nullptr, [&](const Stmt *S) {
    if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(S))
      if (const CXXRecordDecl *C = CE->getType()->getAsCXXRecordDecl())
        Callback |= C->getIdentifier() && C->getName() == "stop_callback";
  });
  return Callback ? nullptr : Holder;
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
      Reported.first(Call->getExprLoc(), Ctx->getSourceManager());
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
  std::optional<WaitCondition> Cond = waitCondition(Wait, Fn, *Ctx, MaxEffectDepth);
  if (!Cond)
    return;
  WaitSite Site;
  Site.Wait = Wait;
  Site.Fn = Fn;
  Site.Loc = Call->getExprLoc();
  Site.AnchorLoc = Cond->anchor(Wait)->getBeginLoc();
  Site.Predicate = Cond->PredicateCode != nullptr;
  Site.Reads = Cond->Reads;
  Site.ReadsStopToken = Cond->ReadsStopToken;
  judge(W, Site, Chain);
}

void CvWaitNoStopCheck::judge(const Worker &W, const WaitSite &Site,
                              llvm::ArrayRef<const CallExpr *> Chain) {
  const ConditionWait &Wait = Site.Wait;
  const CallExpr *Call = Wait.Call;
  const FunctionDecl *Fn = Site.Fn;
  // A std::jthread's destructor requests stop and joins: a stop path that
  // changes the stop token's state and notifies nothing.
  bool JthreadOwned = false;
  const NamedDecl *Jthread = stoppingJthread(W, Call, Fn, JthreadOwned);
  if (JthreadOwned || (Site.ReadsStopToken && !Jthread))
    return;
  llvm::ArrayRef<const ValueDecl *> Reads = Site.Reads;
  auto SpawnNotes = [&] {
    emitSpawnNotes(*this, W.Start, W.Noun, Chain);
    for (const auto &[At, Callee] : Site.ExternalChain)
      diag(At, "which calls '%0' here", DiagnosticIDs::Note) << Callee;
  };

  // The stop paths.
  llvm::SmallVector<const FunctionDecl *, 4> Roots;
  const FunctionDecl *Skip = nullptr;
  // A stop path of a class template's specialization that this unit does
  // not instantiate (its stop() is called elsewhere) is code we cannot
  // read here: it may wake the wait.
  bool UnreadStopPath = false;
  // Stop paths defined in another unit, read from its summary (the CLI's
  // cross-TU pass).
  llvm::SmallVector<
      std::pair<const CXXMethodDecl *, const crosstu::FunctionSummary *>, 2>
      External;
  auto AddClass = [&](const CXXRecordDecl *RD) {
    if (!RD || !RD->hasDefinition())
      return;
    for (const CXXMethodDecl *M : RD->methods()) {
      if (M->isDeleted() || !isStopPath(M))
        continue;
      if (const FunctionDecl *Def = analysableDefinition(M, *Ctx)) {
        if (!llvm::is_contained(Roots, Def))
          Roots.push_back(Def);
      } else if (const FunctionDecl *Pattern =
                     M->getTemplateInstantiationPattern()) {
        UnreadStopPath |= Pattern->doesThisDeclarationHaveABody();
      } else if (!M->isDefaulted()) {
        // Defined in another unit (or in a header we do not read): it may
        // wake the wait, unless that unit's summary says what it does.
        const crosstu::FunctionSummary *S = crosstu::ask(M, *Ctx);
        if (S && S->Effects) {
          if (!llvm::is_contained(External, std::make_pair(M, S)))
            External.emplace_back(M, S);
        } else {
          UnreadStopPath = true;
        }
      }
    }
  };
  if (const auto *FD = llvm::dyn_cast<FieldDecl>(Wait.CondVar)) {
    AddClass(ownerClass(W.Body));
    AddClass(llvm::dyn_cast<CXXRecordDecl>(FD->getParent()));
    // The object that holds the condition variable is one its worker's
    // class borrows (`s_.cv`, or `s_.wait()` into the holder's code, with
    // `Shared &s_` bound to what the constructor is handed): the lenders'
    // stop paths count too, and for a lender that is a local, the function
    // that makes it. (Lenders we cannot list: the stop paths of the
    // classes on the way, as for an object of its own.)
    if (!Lending)
      Lending = std::make_unique<MemberLenders>(*Ctx);
    const auto *Holder = llvm::dyn_cast<CXXRecordDecl>(FD->getParent());
    llvm::SmallVector<const FieldDecl *, 4> Borrowed, Path, LenderPath;
    for (const CallExpr *C : Chain)
      if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(C))
        if (MC->getRecordDecl() == Holder) {
          memberPath(MC->getImplicitObjectArgument(), Path);
          if (!Path.empty())
            Borrowed.push_back(Path.front());
        }
    // (A wait of another unit is on a member of the callee's own object:
    // what that object is, the call says.)
    const Expr *CVExpr = nullptr;
    if (const auto *MC = llvm::dyn_cast_or_null<CXXMemberCallExpr>(Call))
      CVExpr = MC->getImplicitObjectArgument();
    else if (Call && Call->getNumArgs() > 0)
      CVExpr = Call->getArg(0);
    Path.clear();
    if (CVExpr)
      memberPath(CVExpr, Path);
    if (!Path.empty())
      Borrowed.push_back(Path.size() > 1 ? Path[1] : Path[0]);
    llvm::SmallVector<const Expr *, 4> Lenders;
    for (const FieldDecl *M : Borrowed) {
      if (Lending->lendersOf(M, Lenders) != MemberLenders::Lent)
        continue;
      for (const Expr *Arg : Lenders) {
        memberPath(Arg, LenderPath);
        const auto *Ref =
            llvm::dyn_cast_or_null<DeclRefExpr>(stripChannelExpr(Arg));
        const auto *V = Ref ? llvm::dyn_cast<VarDecl>(Ref->getDecl()) : nullptr;
        const auto *Maker =
            V ? llvm::dyn_cast<FunctionDecl>(V->getDeclContext()) : nullptr;
        if (!LenderPath.empty()) {
          AddClass(
              llvm::dyn_cast<CXXRecordDecl>(LenderPath.back()->getParent()));
        } else if (V && V->hasLocalStorage() && !llvm::isa<ParmVarDecl>(V) &&
                   Maker && analysableDefinition(Maker, *Ctx)) {
          if (!llvm::is_contained(Roots, Maker))
            Roots.push_back(Maker);
          Skip = W.Body;
        } else {
          return; // a lender we cannot follow may stop it
        }
      }
    }
  } else if (const auto *VD = llvm::dyn_cast<VarDecl>(Wait.CondVar)) {
    const auto *Owner = llvm::dyn_cast<FunctionDecl>(VD->getDeclContext());
    if (!VD->hasLocalStorage() || llvm::isa<ParmVarDecl>(VD) || !Owner ||
        Owner == Fn || !Owner->hasBody())
      return;
    Roots.push_back(Owner);
    Skip = W.Body;
  }
  if (UnreadStopPath)
    return;
  // A stop path the worker itself calls on its way to the wait
  // (`tasks->close(); tasks->wait();`) has made its changes before the
  // predicate is first tested: it is not what the wait waits for.
  // One that changes what the predicate reads: the worker sets up what
  // it waits for itself, and the rest is up to other code.
  llvm::SmallPtrSet<const Decl *, 8> CalledBefore;
  calledBeforeWait(W, Site, Chain, CalledBefore);
  for (const FunctionDecl *F : Roots)
    if (CalledBefore.contains(F->getCanonicalDecl()) &&
        llvm::any_of(Reads, [&](const ValueDecl *D) {
          return effectsOf(F, Skip).Writes.count(D) != 0;
        }))
      return;
  for (const auto &[M, S] : External)
    if (CalledBefore.contains(M->getCanonicalDecl()) &&
        llvm::any_of(S->Effects->Writes, [&](const auto &Write) {
          return llvm::any_of(Reads, [&](const ValueDecl *D) {
            return stateName(D) == Write.first;
          });
        }))
      return;
  llvm::erase_if(Roots, [&](const FunctionDecl *F) {
    return CalledBefore.contains(F->getCanonicalDecl());
  });
  llvm::erase_if(External, [&](const auto &E) {
    return CalledBefore.contains(E.first->getCanonicalDecl());
  });
  // The wait is the stop path's own (`Stop()` waiting for its workers to
  // finish): the stop path cannot be what wakes it, and what does (the
  // workers' ends) is not this check's question.
  auto IsRoot = [&](const FunctionDecl *F) {
    const FunctionDecl *Def = F ? analysableDefinition(F, *Ctx) : nullptr;
    return Def && llvm::is_contained(Roots, Def);
  };
  auto IsExternalRoot = [&](const FunctionDecl *F) {
    return llvm::any_of(External, [&](const auto &E) {
      return F && E.first->getCanonicalDecl() == F->getCanonicalDecl();
    });
  };
  if (IsRoot(Fn) || llvm::any_of(Chain, [&](const CallExpr *C) {
        return IsRoot(C->getDirectCallee()) ||
               IsExternalRoot(C->getDirectCallee());
      }))
    return;
  // No stop path, but nothing anywhere notifies the condition variable or
  // changes what the predicate reads: the wait never ends.
  if (Roots.empty() && External.empty() && !Reads.empty() &&
      !Site.ReadsStopToken && neverWoken(Wait.CondVar, Reads)) {
    Reported.first(Site.Loc, Ctx->getSourceManager());
    diag(Site.Loc,
         "wait on %0 can block forever: nothing notifies %0 or changes what "
         "%select{its predicate|its loop}1 reads")
        << Wait.CondVar << (Site.Predicate ? 0 : 1);
    diag(Site.AnchorLoc, "%select{the predicate|the loop}0 reads %1",
         DiagnosticIDs::Note)
        << (Site.Predicate ? 0 : 1) << nameList(Reads);
    diag(Wait.CondVar->getLocation(),
         "%0 is %select{a private member of %2, whose member functions are|"
         "local to %2, which is}1 all the code that can reach it",
         DiagnosticIDs::Note)
        << Wait.CondVar << (llvm::isa<FieldDecl>(Wait.CondVar) ? 0 : 1)
        << llvm::cast<NamedDecl>(llvm::isa<FieldDecl>(Wait.CondVar)
                                     ? static_cast<const Decl *>(
                                           llvm::cast<FieldDecl>(Wait.CondVar)
                                               ->getParent())
                                     : llvm::cast<Decl>(llvm::cast<VarDecl>(
                                                            Wait.CondVar)
                                                            ->getDeclContext()));
    SpawnNotes();
    return;
  }

  if (Roots.empty() && External.empty() && !Jthread)
    return; // No stop path we can read.
  // ~jthread() the only stop path: a constructor that makes the predicate
  // true and notifies releases the wait as soon as the object exists.
  if (Roots.empty() && External.empty())
    if (const auto *FD = llvm::dyn_cast<FieldDecl>(Wait.CondVar))
      if (const auto *RD = llvm::dyn_cast<CXXRecordDecl>(FD->getParent()))
        for (const CXXConstructorDecl *C : RD->ctors())
          if (const FunctionDecl *Def = analysableDefinition(C, *Ctx)) {
            const Effects &E = effectsOf(Def, nullptr);
            if (E.Unknown || (E.Notifies.contains(Wait.CondVar) &&
                              llvm::any_of(Reads, [&](const ValueDecl *D) {
                                return E.Writes.count(D) != 0;
                              })))
              return;
          }

  const FunctionDecl *WritesButSilent = nullptr;
  const Stmt *SilentWrite = nullptr;
  SourceLocation SilentWriteLoc;
  const ValueDecl *SilentState = nullptr;
  for (const FunctionDecl *Root : Roots) {
    const Effects &E = effectsOf(Root, Skip);
    if (E.Unknown)
      return;
    // It requests stop itself and notifies: the predicate's token test
    // holds when the worker wakes.
    if (Site.ReadsStopToken && E.RequestsStop &&
        E.Notifies.contains(Wait.CondVar))
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
      SilentWriteLoc = E.WriteLocs.lookup(Written);
      if (SilentWriteLoc.isInvalid())
        SilentWriteLoc = SilentWrite->getBeginLoc();
      SilentState = Written;
    }
  }
  std::string CVName = stateName(Wait.CondVar);
  for (const auto &[M, S] : External) {
    const crosstu::FunctionSummary::StateEffects &E = *S->Effects;
    if (E.Unknown)
      return;
    bool Notifies = !CVName.empty() && llvm::is_contained(E.Notifies, CVName);
    if (Site.ReadsStopToken && E.RequestsStop && Notifies)
      return;
    const ValueDecl *Written = nullptr;
    const crosstu::Location *Where = nullptr;
    for (const ValueDecl *D : Reads) {
      std::string Name = stateName(D);
      for (const auto &[W, Loc] : E.Writes)
        if (!Name.empty() && W == Name) {
          Written = D;
          Where = &Loc;
          break;
        }
      if (Written)
        break;
    }
    if (!Written)
      continue;
    if (Notifies)
      return; // This stop path wakes the worker.
    if (!WritesButSilent) {
      SourceLocation At = crosstu::locate(*Where, Ctx->getSourceManager());
      if (At.isInvalid())
        return; // notes that cannot point at real code: no finding
      WritesButSilent = M;
      SilentWriteLoc = At;
      SilentState = Written;
    }
  }

  // The worker waits for the reply to its own request: the code that
  // answers it wakes it whatever the stop path does; whether that code can
  // stop answering first is threadleak-blocked-forever's question.
  if (replyingCode(W, Site, Chain))
    return;

  Reported.first(Site.Loc, Ctx->getSourceManager());
  std::string Reading = Reads.empty() ? "" : nameList(Reads);
  if (Jthread && Site.ReadsStopToken && !WritesButSilent) {
    // The predicate tests the token, but a stop request wakes only the
    // waits that were given the token (condition_variable_any's).
    diag(Site.Loc,
         "wait on %0 can block forever: ~jthread() requests stop, but a stop "
         "request does not notify %0")
        << Wait.CondVar;
    diag(Site.AnchorLoc,
         "%select{the predicate|the loop}0 reads the stop token, and is "
         "tested again only when %1 is notified",
         DiagnosticIDs::Note)
        << (Site.Predicate ? 0 : 1) << Wait.CondVar;
    diag(Jthread->getLocation(),
         "%0 is a std::jthread: its destructor requests stop and joins, and "
         "nothing on the stop path notifies %1",
         DiagnosticIDs::Note)
        << Jthread << Wait.CondVar;
    SpawnNotes();
    return;
  }
  if (WritesButSilent) {
    { // Emitted when D goes out of scope: before the notes.
      auto D =
          diag(Site.Loc,
               "wait on %0 can block forever: the stop path changes %1 but "
               "never notifies %0")
          << Wait.CondVar << SilentState;
      // The fix-it: notify right after the write, where the stop path can
      // name the condition variable and the write is a statement of its own.
      bool Nameable = false;
      if (const auto *FD = llvm::dyn_cast<FieldDecl>(Wait.CondVar)) {
        const auto *MD = llvm::dyn_cast<CXXMethodDecl>(WritesButSilent);
        Nameable = MD && !MD->isStatic() && MD->getParent() == FD->getParent();
      } else if (const auto *VD = llvm::dyn_cast<VarDecl>(Wait.CondVar)) {
        Nameable = VD->getDeclContext() == WritesButSilent;
      }
      const SourceManager &SM = Ctx->getSourceManager();
      if (Nameable && SilentWrite && !SilentWrite->getBeginLoc().isMacroID() &&
          !SilentWrite->getEndLoc().isMacroID() &&
          isStatementOf(WritesButSilent->getBody(), SilentWrite)) {
        SourceLocation AfterSemi = Lexer::findLocationAfterToken(
            SilentWrite->getEndLoc(), tok::semi, SM, getLangOpts(), false);
        if (AfterSemi.isValid())
          D << FixItHint::CreateInsertion(
              AfterSemi,
              ("\n" +
               Lexer::getIndentationForLine(SilentWrite->getBeginLoc(), SM) +
               Wait.CondVar->getName() + ".notify_all();")
                  .str());
      }
    }
    diag(SilentWriteLoc, "%0 is changed here", DiagnosticIDs::Note)
        << SilentState;
    diag(WritesButSilent->getLocation(),
         "%0 calls neither notify_one() nor notify_all() on %1",
         DiagnosticIDs::Note)
        << patternDecl(WritesButSilent) << Wait.CondVar;
  } else {
    diag(Site.Loc,
         "wait on %0 can block forever: nothing on the stop path makes %select{"
         "its predicate true|its loop's condition change}1")
        << Wait.CondVar << (Site.Predicate ? 0 : 1);
    if (Reads.empty())
      diag(Site.AnchorLoc,
           "%select{the predicate|the loop}0 reads no state another thread "
           "can change",
           DiagnosticIDs::Note)
          << (Site.Predicate ? 0 : 1);
    else
      diag(Site.AnchorLoc, "%select{the predicate|the loop}0 reads %1",
           DiagnosticIDs::Note)
          << (Site.Predicate ? 0 : 1) << Reading;
    for (const FunctionDecl *Root : Roots)
      if (Skip)
        diag(Root->getLocation(),
             "%0 declares %1 and, apart from the %2, changes none of it",
             DiagnosticIDs::Note)
            << patternDecl(Root) << Wait.CondVar << W.Noun;
      else
        diag(Root->getLocation(), "stop path %0 changes none of it",
             DiagnosticIDs::Note)
            << patternDecl(Root);
    for (const auto &[M, S] : External)
      diag(M->getLocation(),
           "stop path %0, defined in another translation unit, changes none "
           "of it",
           DiagnosticIDs::Note)
          << M;
    if (Jthread)
      diag(Jthread->getLocation(),
           "stop path '~jthread()' of %0 requests stop and joins: it "
           "changes none of it",
           DiagnosticIDs::Note)
          << Jthread;
  }
  SpawnNotes();
}

} // namespace clang::tidy::threadleak
