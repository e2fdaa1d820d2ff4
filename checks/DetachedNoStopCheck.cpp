//===--- DetachedNoStopCheck.cpp - threadleak-detached-no-stop ------------===//

#include "DetachedNoStopCheck.h"
#include "model/CallDepth.h"
#include "engine/BodyResolver.h"
#include "engine/ContextSpawns.h"
#include "engine/CrossTU.h"
#include "engine/FireAndForget.h"
#include "engine/StmtWalk.h"
#include "engine/PathNotes.h"
#include "engine/SpawnSites.h"
#include "engine/Templates.h"
#include "model/UserModel.h"
#include "model/WaitModel.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"

using namespace clang::ast_matchers;

namespace clang::tidy::threadleak {

namespace {
/// A function with a coroutine body in this translation unit.
AST_MATCHER(FunctionDecl, isCoroutineFunction) {
  return isCoroutine(definitionWithBody(&Node));
}
} // namespace

DetachedNoStopCheck::DetachedNoStopCheck(StringRef Name,
                                         ClangTidyContext *Context)
    : ClangTidyCheck(Name, Context) {
  Model.ThreadTypes =
      NameList::parse(Options.get("ThreadTypes", defaults::ThreadTypes));
  Model.DetachedSpawnFunctions = NameList::parse(Options.get(
      "DetachedSpawnFunctions", defaults::DetachedSpawnFunctions));
  Model.StopSignalFunctions = NameList::parse(
      Options.get("StopSignalFunctions", defaults::StopSignalFunctions));
  Model.DetachedCoroutineTypes = NameList::parse(Options.get(
      "DetachedCoroutineTypes", defaults::DetachedCoroutineTypes));
  Model.ScopedSpawnFunctions = NameList::parse(
      Options.get("ScopedSpawnFunctions", defaults::ScopedSpawnFunctions));
  Model.MaxCallDepth = readMaxCallDepth(*this, Name, Options);
  // The options as given; the model file's lists add to them.
  RawOptions = {Model.ThreadTypes.str(), Model.DetachedSpawnFunctions.str(),
                Model.StopSignalFunctions.str(),
                Model.DetachedCoroutineTypes.str(),
                Model.ScopedSpawnFunctions.str()};
  std::string Error;
  if (const ModelConfig *M = userModelFor(Context, Error)) {
    Model.ThreadTypes.add(M->ThreadTypes);
    Model.DetachedSpawnFunctions.add(M->DetachedSpawnFunctions);
    Model.StopSignalFunctions.add(M->StopSignalFunctions);
    Model.DetachedCoroutineTypes.add(M->DetachedCoroutineTypes);
    Model.ScopedSpawnFunctions.add(M->ScopedSpawnFunctions);
  } else if (!Error.empty()) {
    configurationDiag("%0") << Error;
  }
  UninterruptibleModel = Model;
  UninterruptibleModel.InterruptionPointsStop = false;
}

void DetachedNoStopCheck::storeOptions(ClangTidyOptions::OptionMap &Opts) {
  Options.store(Opts, "ThreadTypes", RawOptions[0]);
  Options.store(Opts, "DetachedSpawnFunctions", RawOptions[1]);
  Options.store(Opts, "StopSignalFunctions", RawOptions[2]);
  Options.store(Opts, "DetachedCoroutineTypes", RawOptions[3]);
  Options.store(Opts, "ScopedSpawnFunctions", RawOptions[4]);
  Options.store(Opts, "MaxCallDepth", Model.MaxCallDepth);
}

void DetachedNoStopCheck::registerMatchers(MatchFinder *Finder) {
  std::vector<llvm::StringRef> ThreadTypes(Model.ThreadTypes.names().begin(),
                                           Model.ThreadTypes.names().end());
  // Top-down matchers only: no hasParent/forCallable/hasAncestor, whose
  // parent map costs a whole extra traversal of the AST. The function that
  // owns a handle is found from the handle's declaration instead.
  auto InUserCode = unless(isExpansionInSystemHeader());

  // t.detach() / std::thread(f).detach() / boost::thread::detach()
  if (!ThreadTypes.empty())
    Finder->addMatcher(
        cxxMemberCallExpr(
            callee(cxxMethodDecl(hasName("detach"),
                                 ofClass(cxxRecordDecl(hasAnyName(ThreadTypes))))),
            InUserCode)
            .bind("detach"),
        this);

  // pthread_detach(tid) and pthread_detach(pthread_self())
  Finder->addMatcher(
      callExpr(callee(functionDecl(hasName("::pthread_detach"))),
               argumentCountIs(1), InUserCode)
          .bind("pthread_detach"),
      this);

  // pthread_create(&tid, &attr, fn, arg) with a detached attr
  Finder->addMatcher(
      callExpr(callee(functionDecl(hasName("::pthread_create"))),
               argumentCountIs(4),
               hasArgument(1, ignoringParenImpCasts(
                                  unaryOperator(hasOperatorName("&")))),
               InUserCode)
          .bind("pthread_create"),
      this);

  // asio::co_spawn(executor, coroutine, asio::detached): the token is
  // checked in check().
  Finder->addMatcher(callExpr(callee(functionDecl(hasAnyName(
                                  "::boost::asio::co_spawn", "::asio::co_spawn"))),
                              InUserCode)
                         .bind("co_spawn"),
                     this);

  // Cross-TU (the CLI only, see CrossTU.h): the functions of this file
  // that other units can call, to summarise them (first pass); calls that
  // hand a function or lambda to a function defined elsewhere, which may
  // start a detached thread on it.
  if (crosstu::recording())
    Finder->addMatcher(functionDecl(isDefinition(), isExpansionInMainFile(),
                                    unless(isImplicit()))
                           .bind("summarise"),
                       this);
  if (crosstu::enabled()) {
    auto FunctionRef = declRefExpr(to(functionDecl()));
    Finder->addMatcher(
        callExpr(InUserCode,
                 hasAnyArgument(ignoringParenImpCasts(
                     anyOf(FunctionRef, lambdaExpr(),
                           unaryOperator(hasOperatorName("&"),
                                         hasUnaryOperand(FunctionRef))))))
            .bind("maybe-spawner"),
        this);
  }

  // Functions that run their callable (or coroutine) detached.
  if (!Model.DetachedSpawnFunctions.empty()) {
    std::vector<llvm::StringRef> Spawns(
        Model.DetachedSpawnFunctions.names().begin(),
        Model.DetachedSpawnFunctions.names().end());
    Finder->addMatcher(
        callExpr(callee(functionDecl(hasAnyName(Spawns))), InUserCode)
            .bind("spawn"),
        this);
  }

  // scope.spawn(task()): detached unless the scope may be joined.
  if (!Model.ScopedSpawnFunctions.empty()) {
    std::vector<llvm::StringRef> Scoped(
        Model.ScopedSpawnFunctions.names().begin(),
        Model.ScopedSpawnFunctions.names().end());
    Finder->addMatcher(
        cxxMemberCallExpr(callee(cxxMethodDecl(hasAnyName(Scoped))),
                          InUserCode)
            .bind("scoped_spawn"),
        this);
  }

  // A call of a coroutine of this translation unit; whether its promise
  // makes it a fire-and-forget context is decided in check(), once per
  // coroutine.
  Finder->addMatcher(
      callExpr(callee(functionDecl(isCoroutineFunction())), InUserCode)
          .bind("coroutine_call"),
      this);
}

ForeverAnalysis &DetachedNoStopCheck::analysis(ASTContext &Ctx,
                                               bool Interruptible) {
  std::unique_ptr<ForeverAnalysis> &A =
      Interruptible ? Analysis : UninterruptibleAnalysis;
  if (!A) {
    A = std::make_unique<ForeverAnalysis>(
        Ctx, Interruptible ? Model : UninterruptibleModel);
    if (crosstu::enabled())
      A->enableCrossTU();
  }
  return *A;
}

void DetachedNoStopCheck::summarise(const FunctionDecl *FD, ASTContext &Ctx) {
  crosstu::Recording *Rec = crosstu::recording();
  std::string Id = Rec ? crosstu::summaryIdentity(FD, Ctx) : std::string();
  if (Id.empty())
    return;
  const SourceManager &SM = Ctx.getSourceManager();
  // Recorded even without a fact: another unit's definition of the same
  // function with a fact is then ambiguous, not a verdict.
  crosstu::FunctionSummary &S = Rec->Defined[Id];
  S.Name = FD->getNameAsString();
  // A recursive function: no summary (silence).
  llvm::SmallVector<const CallExpr *, 16> Calls;
  collectCalls(FD->getBody(), Calls);
  for (const CallExpr *Call : Calls)
    if (const FunctionDecl *Callee = Call->getDirectCallee())
      if (Callee->getCanonicalDecl() == FD->getCanonicalDecl())
        return;
  if (!SummaryAnalysis)
    SummaryAnalysis = std::make_unique<ForeverAnalysis>(Ctx, Model);
  std::optional<EndlessLoop> Loop = SummaryAnalysis->findEndlessLoop(FD);
  if (!Loop || Loop->External)
    return;
  crosstu::FunctionSummary::Forever F;
  for (const CallExpr *Call : Loop->CallChain) {
    std::optional<crosstu::Location> At =
        crosstu::locationOf(Call->getBeginLoc(), SM);
    if (!At || !Call->getDirectCallee())
      return;
    std::string Name;
    llvm::raw_string_ostream OS(Name);
    Call->getDirectCallee()->getNameForDiagnostic(OS, Ctx.getPrintingPolicy(),
                                                  /*Qualified=*/false);
    F.Chain.emplace_back(std::move(*At), std::move(Name));
  }
  std::optional<crosstu::Location> At =
      crosstu::locationOf(Loop->Loop->getBeginLoc(), SM);
  if (!At)
    return;
  F.Loop = std::move(*At);
  switch (Loop->Kind) {
  case EndlessLoop::NoExit:
    F.Kind = "no-exit";
    break;
  case EndlessLoop::UnchangingCondition:
    F.Kind = "unchanging";
    F.Condition = shortSourceText(Loop->Condition, Ctx);
    break;
  case EndlessLoop::DeadExitAfterWait: {
    F.Kind = "dead-exit";
    F.Condition = shortSourceText(Loop->Condition, Ctx);
    std::optional<crosstu::Location> Wait =
        crosstu::locationOf(Loop->Wait->getBeginLoc(), SM);
    if (!Wait)
      return;
    F.Wait = std::move(*Wait);
    break;
  }
  }
  S.Loops = std::move(F);
}

void DetachedNoStopCheck::recordDetachedParameter(
    const Expr *Callable, const Expr *Start, SourceLocation DetachLoc,
    bool Interruptible, llvm::StringRef Noun, ASTContext &Ctx) {
  crosstu::Recording *Rec = crosstu::recording();
  if (!Rec || !Callable)
    return;
  const auto *Ref =
      llvm::dyn_cast<DeclRefExpr>(Callable->IgnoreParenImpCasts());
  const auto *P = Ref ? llvm::dyn_cast<ParmVarDecl>(Ref->getDecl()) : nullptr;
  const auto *F =
      P ? llvm::dyn_cast<FunctionDecl>(P->getDeclContext()) : nullptr;
  if (!F || !F->doesThisDeclarationHaveABody() || isCoroutine(F) ||
      !Ctx.getSourceManager().isWrittenInMainFile(
          Ctx.getSourceManager().getExpansionLoc(F->getLocation())))
    return;
  // The thread runs what the caller passed only if nothing in the function
  // may change the parameter: every other use of it is a plain read.
  bool OnlyRead = true;
  walkPruned(F->getBody(), [&](const Stmt *S) {
    if (!OnlyRead)
      return false;
    if (const auto *ICE = llvm::dyn_cast<ImplicitCastExpr>(S))
      if (ICE->getCastKind() == CK_LValueToRValue &&
          llvm::isa<DeclRefExpr>(ICE->getSubExpr()->IgnoreParens()))
        return false;
    if (S == Ref)
      return false;
    if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(S))
      OnlyRead = DRE->getDecl() != P;
    if (const auto *LE = llvm::dyn_cast<LambdaExpr>(S))
      for (const LambdaCapture &C : LE->captures())
        if (C.capturesVariable() && C.getCaptureKind() == LCK_ByRef &&
            C.getCapturedVar() == P)
          OnlyRead = false;
    return true;
  });
  if (!OnlyRead)
    return;
  std::string Id = crosstu::identity(F, Ctx);
  if (Id.empty())
    return;
  const SourceManager &SM = Ctx.getSourceManager();
  crosstu::FunctionSummary::Start St;
  St.Param = P->getFunctionScopeIndex();
  St.Interruptible = Interruptible;
  St.Noun = Noun.str();
  std::optional<crosstu::Location> At = crosstu::locationOf(DetachLoc, SM);
  if (!At)
    return;
  St.Detach = std::move(*At);
  if (Start && SM.getExpansionLineNumber(Start->getBeginLoc()) !=
                   SM.getExpansionLineNumber(DetachLoc))
    St.Started = crosstu::locationOf(Start->getBeginLoc(), SM);
  crosstu::FunctionSummary &S = Rec->Defined[Id];
  S.Name = F->getNameAsString();
  for (const crosstu::FunctionSummary::Start &Old : S.Starts)
    if (Old.Param == St.Param)
      return; // The first detach of that parameter says it.
  S.Starts.push_back(std::move(St));
}

void DetachedNoStopCheck::checkCallToSpawner(const CallExpr *Call,
                                             ASTContext &Ctx) {
  const FunctionDecl *Callee = Call->getDirectCallee();
  // A body here is this unit's business; operators and calls through a
  // member pointer number their arguments otherwise.
  if (!Callee || definitionWithBody(Callee) ||
      llvm::isa<CXXOperatorCallExpr>(Call) ||
      Model.DetachedSpawnFunctions.containsCallee(Call) ||
      crosstu::identity(Callee, Ctx).empty())
    return;
  for (unsigned I = 0; I < Call->getNumArgs() && I < Callee->getNumParams();
       ++I) {
    ResolvedBody Body = resolveCallable(Call->getArg(I));
    if (!Body)
      continue;
    // Only a body that loops forever makes the callee worth asking about.
    if (!analysis(Ctx, /*Interruptible=*/false).findEndlessLoop(Body.Function))
      continue;
    const crosstu::FunctionSummary *S = crosstu::ask(Callee, Ctx);
    if (!S)
      return;
    for (const crosstu::FunctionSummary::Start &St : S->Starts) {
      if (St.Param != I)
        continue;
      std::optional<EndlessLoop> Loop =
          analysis(Ctx, St.Interruptible).findEndlessLoop(Body.Function);
      if (!Loop)
        continue;
      SourceManager &SM = Ctx.getSourceManager();
      SourceLocation Detach = crosstu::locate(St.Detach, SM);
      SourceLocation Started =
          St.Started ? crosstu::locate(*St.Started, SM) : SourceLocation();
      if (Detach.isInvalid() || (St.Started && Started.isInvalid()))
        return;
      diag(Call->getBeginLoc(), "detached %0 can never stop: its body loops "
                                "forever and observes no stop signal")
          << St.Noun;
      if (Started.isValid())
        diag(Started, "%0 started here", DiagnosticIDs::Note) << St.Noun;
      diag(Detach, "'%0' detaches the %1 that runs its argument here",
           DiagnosticIDs::Note)
          << S->Name << St.Noun;
      emitEndlessLoopNotes(*this, *Loop, Ctx, St.Noun);
      return;
    }
  }
}

bool DetachedNoStopCheck::report(SourceLocation DetachLoc, const Expr *Start,
                                 const FunctionDecl *Body, ASTContext &Ctx,
                                 bool Interruptible, llvm::StringRef Noun) {
  if (!shouldAnalyseBody(Body))
    return false;
  std::optional<EndlessLoop> Loop =
      analysis(Ctx, Interruptible).findEndlessLoop(Body);
  if (!Loop)
    return false;
  // Another instantiation of the same template reported it.
  if (!Once.first(DetachLoc, Ctx.getSourceManager()))
    return true;
  diag(DetachLoc, "detached %0 can never stop: its body loops forever "
                  "and observes no stop signal")
      << Noun;
  const SourceManager &SM = Ctx.getSourceManager();
  if (Start && SM.getFileID(SM.getExpansionLoc(Start->getBeginLoc())) ==
                   SM.getFileID(SM.getExpansionLoc(DetachLoc)) &&
      SM.getExpansionLineNumber(Start->getBeginLoc()) !=
          SM.getExpansionLineNumber(DetachLoc))
    diag(Start->getBeginLoc(), "%0 started here", DiagnosticIDs::Note)
        << Noun;
  emitEndlessLoopNotes(*this, *Loop, Ctx, Noun);
  return true;
}

bool DetachedNoStopCheck::isFireAndForget(const FunctionDecl *Coroutine) {
  auto [It, New] = FireAndForget.try_emplace(Coroutine, false);
  if (New)
    It->second = fireAndForgetKind(Coroutine, Model.DetachedCoroutineTypes) !=
                 FireAndForgetKind::None;
  return It->second;
}

bool DetachedNoStopCheck::reportCoroutine(SourceLocation Loc,
                                          const Expr *Start,
                                          const FunctionDecl *Body,
                                          ASTContext &Ctx) {
  std::optional<EndlessLoop> Loop =
      analysis(Ctx, /*Interruptible=*/true).findEndlessLoop(Body);
  if (!Loop)
    return false;
  // Started by main(): the process's lifetime, as for co_spawn. A call in
  // an unevaluated operand starts nothing. (The parent map these need is
  // built only for a finding.)
  if (Start && (isInMain(Start, Ctx) || !isEvaluated(Start, Ctx)))
    return false;
  return report(Loc, Start, Body, Ctx, /*Interruptible=*/true, "coroutine");
}

void DetachedNoStopCheck::check(const MatchFinder::MatchResult &Result) {
  ASTContext &Ctx = *Result.Context;

  if (const auto *FD = Result.Nodes.getNodeAs<FunctionDecl>("summarise")) {
    summarise(FD, Ctx);
    return;
  }
  if (const auto *Call = Result.Nodes.getNodeAs<CallExpr>("maybe-spawner")) {
    checkCallToSpawner(Call, Ctx);
    return;
  }

  if (const auto *Call = Result.Nodes.getNodeAs<CallExpr>("coroutine_call")) {
    const FunctionDecl *Coroutine = definitionWithBody(Call->getDirectCallee());
    // Through Stmt: CallExpr::getBeginLoc() of `[]() -> T {...}()` is
    // the parenthesis, not the lambda.
    const Stmt *Site = Call;
    if (Coroutine && isFireAndForget(Coroutine))
      reportCoroutine(Site->getBeginLoc(), Call, Coroutine, Ctx);
    return;
  }

  if (const auto *Call =
          Result.Nodes.getNodeAs<CXXMemberCallExpr>("scoped_spawn")) {
    for (const Expr *Arg : Call->arguments()) {
      const CallExpr *Made = nullptr;
      if (const FunctionDecl *Coroutine = coroutineMadeBy(Arg, &Made)) {
        if (!scopeMayBeJoined(Call->getImplicitObjectArgument()))
          reportCoroutine(Call->getBeginLoc(), Made, Coroutine, Ctx);
        return;
      }
    }
    return;
  }

  if (const auto *Detach =
          Result.Nodes.getNodeAs<CXXMemberCallExpr>("detach")) {
    const Expr *Handle = Detach->getImplicitObjectArgument();
    const FunctionDecl *Owner = handleOwner(Handle);
    const CXXRecordDecl *Type = Detach->getMethodDecl()->getParent();
    llvm::StringRef Noun = threadNoun(Type);
    // Boost interruption points end a loop only if somebody can call
    // interrupt() on the thread: never on a std::thread, and on a
    // boost::thread only through a handle, which detach() gives up. A fiber
    // or a user's thread type may run on a thread somebody interrupts.
    bool Interruptible = true;
    if (isNeverInterruptible(Type))
      Interruptible = false;
    else if (plainQualifiedName(Type) == "boost::thread")
      Interruptible = mayBeInterrupted(Handle, Owner, Ctx);
    for (const SpawnSite &Site :
         findThreadStarts(Handle, Owner, Detach->getBeginLoc(),
                          Model.ThreadTypes, Ctx)) {
      ResolvedBody Body = resolveCallable(Site.Callable);
      if (!Body) {
        recordDetachedParameter(Site.Callable, Site.Start,
                                Detach->getExprLoc(), Interruptible, Noun, Ctx);
        continue;
      }
      if (report(Detach->getExprLoc(), Site.Start, Body.Function, Ctx,
                 Interruptible, Noun))
        return;
      // Every thread of a container the detach iterates is detached; a
      // single handle holds one of them.
      if (!Site.FromContainer)
        return;
    }
    return;
  }

  if (const auto *Call = Result.Nodes.getNodeAs<CallExpr>("pthread_detach")) {
    const Expr *Id = Call->getArg(0);
    if (isPthreadSelf(Id)) {
      // The running thread detaches itself: its body is the caller.
      // (The running thread may be a boost::thread somebody interrupts.)
      if (const FunctionDecl *Self = enclosingFunction(Call, Ctx))
        report(Call->getBeginLoc(), nullptr, Self, Ctx,
               /*Interruptible=*/true);
      return;
    }
    // A thread pthread_create starts is no boost::thread: nobody can
    // interrupt it.
    for (const SpawnSite &Site :
         findPthreadCreates(Id, handleOwner(Id), Call->getBeginLoc(), Ctx)) {
      if (ResolvedBody Body = resolveCallable(Site.Callable)) {
        report(Call->getBeginLoc(), Site.Start, Body.Function, Ctx,
               /*Interruptible=*/false);
        return;
      }
      recordDetachedParameter(Site.Callable, Site.Start, Call->getBeginLoc(),
                              /*Interruptible=*/false, "thread", Ctx);
    }
    return;
  }

  if (const auto *Call = Result.Nodes.getNodeAs<CallExpr>("pthread_create")) {
    if (isDetachedAttr(Call->getArg(1), handleOwner(Call->getArg(1)), Ctx)) {
      if (ResolvedBody Body = resolveCallable(Call->getArg(2)))
        report(Call->getBeginLoc(), nullptr, Body.Function, Ctx,
               /*Interruptible=*/false);
      else
        recordDetachedParameter(Call->getArg(2), nullptr, Call->getBeginLoc(),
                                /*Interruptible=*/false, "thread", Ctx);
    }
    return;
  }

  if (const auto *Call = Result.Nodes.getNodeAs<CallExpr>("co_spawn")) {
    // Detached and with no cancellation slot bound: nobody can cancel it.
    const Expr *Token = coSpawnToken(Call);
    if (!Token || spawnerCanCancel(Token))
      return;
    SpawnedContext Spawned = resolveSpawn(Call);
    if (!Spawned || !shouldAnalyseBody(Spawned.Body))
      return;
    std::optional<EndlessLoop> Loop =
        analysis(Ctx, /*Interruptible=*/true).findEndlessLoop(Spawned.Body);
    if (!Loop)
      return;
    // Spawned by main() on the io_context main() runs: the process's
    // lifetime (a server's listener), not a leak. (The parent map this
    // needs is built only for a finding.)
    if (isInMain(Call, Ctx) ||
        !Once.first(Call->getBeginLoc(), Ctx.getSourceManager()))
      return;
    diag(Call->getBeginLoc(),
         "detached coroutine can never stop: its body loops forever and "
         "observes no cancellation");
    emitEndlessLoopNotes(*this, *Loop, Ctx, "coroutine");
    return;
  }

  if (const auto *Call = Result.Nodes.getNodeAs<CallExpr>("spawn")) {
    for (const Expr *Arg : Call->arguments()) {
      // spawn_detached(worker(ch)): the coroutine the call made.
      const CallExpr *Made = nullptr;
      if (const FunctionDecl *Coroutine = coroutineMadeBy(Arg, &Made)) {
        reportCoroutine(Call->getBeginLoc(), Made, Coroutine, Ctx);
        return;
      }
      if (ResolvedBody Body = resolveCallable(Arg)) {
        // What the function runs the callable on is not known.
        report(Call->getBeginLoc(), nullptr, Body.Function, Ctx,
               /*Interruptible=*/true,
               isCoroutine(Body.Function) ? "coroutine" : "thread");
        return;
      }
    }
  }
}

} // namespace clang::tidy::threadleak
