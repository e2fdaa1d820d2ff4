//===--- DetachedNoStopCheck.cpp - threadleak-detached-no-stop ------------===//

#include "DetachedNoStopCheck.h"
#include "model/CallDepth.h"
#include "engine/BodyResolver.h"
#include "engine/ContextSpawns.h"
#include "engine/FireAndForget.h"
#include "engine/PathNotes.h"
#include "engine/SpawnSites.h"
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
  if (!A)
    A = std::make_unique<ForeverAnalysis>(
        Ctx, Interruptible ? Model : UninterruptibleModel);
  return *A;
}

bool DetachedNoStopCheck::report(SourceLocation DetachLoc, const Expr *Start,
                                 const FunctionDecl *Body, ASTContext &Ctx,
                                 bool Interruptible, llvm::StringRef Noun) {
  std::optional<EndlessLoop> Loop =
      analysis(Ctx, Interruptible).findEndlessLoop(Body);
  if (!Loop)
    return false;
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
      if (!Body)
        continue;
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
         findPthreadCreates(Id, handleOwner(Id), Call->getBeginLoc(), Ctx))
      if (ResolvedBody Body = resolveCallable(Site.Callable)) {
        report(Call->getBeginLoc(), Site.Start, Body.Function, Ctx,
               /*Interruptible=*/false);
        return;
      }
    return;
  }

  if (const auto *Call = Result.Nodes.getNodeAs<CallExpr>("pthread_create")) {
    if (isDetachedAttr(Call->getArg(1), handleOwner(Call->getArg(1)), Ctx))
      if (ResolvedBody Body = resolveCallable(Call->getArg(2)))
        report(Call->getBeginLoc(), nullptr, Body.Function, Ctx,
               /*Interruptible=*/false);
    return;
  }

  if (const auto *Call = Result.Nodes.getNodeAs<CallExpr>("co_spawn")) {
    // Detached and with no cancellation slot bound: nobody can cancel it.
    const Expr *Token = coSpawnToken(Call);
    if (!Token || spawnerCanCancel(Token))
      return;
    SpawnedContext Spawned = resolveSpawn(Call);
    if (!Spawned)
      return;
    std::optional<EndlessLoop> Loop =
        analysis(Ctx, /*Interruptible=*/true).findEndlessLoop(Spawned.Body);
    if (!Loop)
      return;
    // Spawned by main() on the io_context main() runs: the process's
    // lifetime (a server's listener), not a leak. (The parent map this
    // needs is built only for a finding.)
    if (isInMain(Call, Ctx))
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
