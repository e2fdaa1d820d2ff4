//===--- DetachedNoStopCheck.cpp - threadleak-detached-no-stop ------------===//

#include "DetachedNoStopCheck.h"
#include "model/CallDepth.h"
#include "engine/BodyResolver.h"
#include "engine/ContextSpawns.h"
#include "engine/PathNotes.h"
#include "engine/SpawnSites.h"
#include "model/UserModel.h"
#include "model/WaitModel.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"

using namespace clang::ast_matchers;

namespace clang::tidy::threadleak {

DetachedNoStopCheck::DetachedNoStopCheck(StringRef Name,
                                         ClangTidyContext *Context)
    : ClangTidyCheck(Name, Context) {
  Model.ThreadTypes =
      NameList::parse(Options.get("ThreadTypes", defaults::ThreadTypes));
  Model.DetachedSpawnFunctions = NameList::parse(Options.get(
      "DetachedSpawnFunctions", defaults::DetachedSpawnFunctions));
  Model.StopSignalFunctions = NameList::parse(
      Options.get("StopSignalFunctions", defaults::StopSignalFunctions));
  Model.MaxCallDepth = readMaxCallDepth(*this, Name, Options);
  // The options as given; the model file's lists add to them.
  RawOptions = {Model.ThreadTypes.str(), Model.DetachedSpawnFunctions.str(),
                Model.StopSignalFunctions.str()};
  std::string Error;
  if (const ModelConfig *M = userModelFor(Context, Error)) {
    Model.ThreadTypes.add(M->ThreadTypes);
    Model.DetachedSpawnFunctions.add(M->DetachedSpawnFunctions);
    Model.StopSignalFunctions.add(M->StopSignalFunctions);
  } else if (!Error.empty()) {
    configurationDiag("%0") << Error;
  }
}

void DetachedNoStopCheck::storeOptions(ClangTidyOptions::OptionMap &Opts) {
  Options.store(Opts, "ThreadTypes", RawOptions[0]);
  Options.store(Opts, "DetachedSpawnFunctions", RawOptions[1]);
  Options.store(Opts, "StopSignalFunctions", RawOptions[2]);
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

  // User-declared functions that run their callable detached.
  if (!Model.DetachedSpawnFunctions.empty()) {
    std::vector<llvm::StringRef> Spawns(
        Model.DetachedSpawnFunctions.names().begin(),
        Model.DetachedSpawnFunctions.names().end());
    Finder->addMatcher(
        callExpr(callee(functionDecl(hasAnyName(Spawns))), InUserCode)
            .bind("spawn"),
        this);
  }
}

ForeverAnalysis &DetachedNoStopCheck::analysis(ASTContext &Ctx) {
  if (!Analysis)
    Analysis = std::make_unique<ForeverAnalysis>(Ctx, Model);
  return *Analysis;
}

void DetachedNoStopCheck::report(SourceLocation DetachLoc, const Expr *Start,
                                 const FunctionDecl *Body, ASTContext &Ctx) {
  std::optional<EndlessLoop> Loop = analysis(Ctx).findEndlessLoop(Body);
  if (!Loop)
    return;
  diag(DetachLoc, "detached thread can never stop: its body loops forever "
                  "and observes no stop signal");
  const SourceManager &SM = Ctx.getSourceManager();
  if (Start && SM.getFileID(SM.getExpansionLoc(Start->getBeginLoc())) ==
                   SM.getFileID(SM.getExpansionLoc(DetachLoc)) &&
      SM.getExpansionLineNumber(Start->getBeginLoc()) !=
          SM.getExpansionLineNumber(DetachLoc))
    diag(Start->getBeginLoc(), "thread started here", DiagnosticIDs::Note);
  emitEndlessLoopNotes(*this, *Loop, Ctx);
}

void DetachedNoStopCheck::check(const MatchFinder::MatchResult &Result) {
  ASTContext &Ctx = *Result.Context;

  if (const auto *Detach =
          Result.Nodes.getNodeAs<CXXMemberCallExpr>("detach")) {
    const Expr *Handle = Detach->getImplicitObjectArgument();
    for (const SpawnSite &Site :
         findThreadStarts(Handle, handleOwner(Handle),
                          Detach->getBeginLoc(), Model.ThreadTypes, Ctx)) {
      ResolvedBody Body = resolveCallable(Site.Callable);
      if (Body) {
        report(Detach->getExprLoc(), Site.Start, Body.Function, Ctx);
        return;
      }
    }
    return;
  }

  if (const auto *Call = Result.Nodes.getNodeAs<CallExpr>("pthread_detach")) {
    const Expr *Id = Call->getArg(0);
    if (isPthreadSelf(Id)) {
      // The running thread detaches itself: its body is the caller.
      if (const FunctionDecl *Self = enclosingFunction(Call, Ctx))
        report(Call->getBeginLoc(), nullptr, Self, Ctx);
      return;
    }
    for (const SpawnSite &Site :
         findPthreadCreates(Id, handleOwner(Id), Call->getBeginLoc(), Ctx))
      if (ResolvedBody Body = resolveCallable(Site.Callable)) {
        report(Call->getBeginLoc(), Site.Start, Body.Function, Ctx);
        return;
      }
    return;
  }

  if (const auto *Call = Result.Nodes.getNodeAs<CallExpr>("pthread_create")) {
    if (isDetachedAttr(Call->getArg(1), handleOwner(Call->getArg(1)), Ctx))
      if (ResolvedBody Body = resolveCallable(Call->getArg(2)))
        report(Call->getBeginLoc(), nullptr, Body.Function, Ctx);
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
    std::optional<EndlessLoop> Loop = analysis(Ctx).findEndlessLoop(Spawned.Body);
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
    for (const Expr *Arg : Call->arguments())
      if (ResolvedBody Body = resolveCallable(Arg)) {
        report(Call->getBeginLoc(), nullptr, Body.Function, Ctx);
        return;
      }
  }
}

} // namespace clang::tidy::threadleak
