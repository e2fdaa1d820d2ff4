//===--- SelectLoopNoExitCheck.cpp - threadleak-select-loop-no-exit -------===//
//
// Contexts are the bodies of spawn sites (threads, fibers, std::async,
// co_spawn, user spawn functions) and every coroutine defined in user code.
// For each, the loops that nothing can end (ForeverAnalysis: no break,
// return, co_return, throw or goto out, no condition that can change, no
// exit call, no co_await that throws when another context closes or
// cancels what it waits on) are found in the body and in the functions it
// calls, to MaxCallDepth; a loop is reported if it performs a multi-way
// wait, itself or in a function it calls. Functions reached only from
// main() are never a context, so main()'s event loop is not reported.
//
// The analysis runs once per translation unit, at its end, so that every
// co_spawn of a coroutine has been seen: a coroutine its spawner can cancel
// (a bound cancellation slot, or a parent that awaits it) leaves a loop of
// throwing co_awaits by cancellation.
//
//===----------------------------------------------------------------------===//

#include "SelectLoopNoExitCheck.h"
#include "model/CallDepth.h"
#include "engine/BodyResolver.h"
#include "engine/ContextSpawns.h"
#include "engine/PathNotes.h"
#include "engine/StmtWalk.h"
#include "engine/SpawnSites.h"
#include "engine/Templates.h"
#include "model/UserModel.h"
#include "model/WaitModel.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/StmtCXX.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"

using namespace clang::ast_matchers;

namespace clang::tidy::threadleak {

SelectLoopNoExitCheck::SelectLoopNoExitCheck(StringRef Name,
                                             ClangTidyContext *Context)
    : ClangTidyCheck(Name, Context),
      Spawns(Options),
      SelectFunctions(NameList::parse(
          Options.get("SelectFunctions", defaults::SelectFunctions))) {
  Model.StopSignalFunctions = NameList::parse(
      Options.get("StopSignalFunctions", defaults::StopSignalFunctions));
  Model.MaxCallDepth = readMaxCallDepth(*this, Name, Options);
  SelectFunctionsOption = SelectFunctions.str();
  StopSignalFunctionsOption = Model.StopSignalFunctions.str();
  std::string Error;
  if (const ModelConfig *M = userModelFor(Context, Error)) {
    Spawns.add(*M);
    SelectFunctions.add(M->SelectFunctions);
    Cases = SelectCaseModel(M->SelectCases);
    Model.StopSignalFunctions.add(M->StopSignalFunctions);
  } else if (!Error.empty()) {
    configurationDiag("%0") << Error;
  }
  UninterruptibleModel = Model;
  UninterruptibleModel.InterruptionPointsStop = false;
}

namespace {
/// Whether Boost.Thread's interrupt() can reach a context started by
/// \p Start.
enum class Interruption {
  /// std::thread, std::jthread, pthread_create: Boost's interruption points
  /// are no-ops there.
  Never,
  /// A boost::thread: through its handle.
  Handle,
  /// A fiber, a coroutine, a user's spawn: it may run on a boost::thread.
  Unknown,
};

Interruption interruptionOf(const Expr *Start) {
  const CXXRecordDecl *Type = nullptr;
  if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(Start)) {
    Type = CE->getConstructor()->getParent();
  } else if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Start)) {
    // emplace_back into a container of threads: the element type.
    const Expr *Obj = MC->getImplicitObjectArgument();
    if (const auto *Spec =
            llvm::dyn_cast_or_null<ClassTemplateSpecializationDecl>(
                Obj ? recordOf(Obj->getType()) : nullptr))
      if (Spec->getTemplateArgs().size() >= 1 &&
          Spec->getTemplateArgs()[0].getKind() == TemplateArgument::Type)
        Type = recordOf(Spec->getTemplateArgs()[0].getAsType());
  } else if (const auto *Call = llvm::dyn_cast<CallExpr>(Start)) {
    const FunctionDecl *F = Call->getDirectCallee();
    return F && plainQualifiedName(F) == "pthread_create"
               ? Interruption::Never
               : Interruption::Unknown;
  }
  if (!Type)
    return Interruption::Unknown;
  if (isNeverInterruptible(Type))
    return Interruption::Never;
  if (plainQualifiedName(Type) == "boost::thread")
    return Interruption::Handle;
  return Interruption::Unknown;
}
} // namespace

void SelectLoopNoExitCheck::storeOptions(ClangTidyOptions::OptionMap &Opts) {
  Spawns.store(Options, Opts);
  Options.store(Opts, "SelectFunctions", SelectFunctionsOption);
  Options.store(Opts, "StopSignalFunctions", StopSignalFunctionsOption);
  Options.store(Opts, "MaxCallDepth", Model.MaxCallDepth);
}

void SelectLoopNoExitCheck::registerMatchers(MatchFinder *Finder) {
  Spawns.registerMatchers(Finder, this);
  // Every coroutine is a context of its own.
  Finder->addMatcher(functionDecl(isDefinition(), hasBody(coroutineBodyStmt()),
                                  unless(isExpansionInSystemHeader()))
                         .bind("coroutine"),
                     this);
}

void SelectLoopNoExitCheck::check(const MatchFinder::MatchResult &Result) {
  Ctx = Result.Context;
  if (const auto *Coro = Result.Nodes.getNodeAs<FunctionDecl>("coroutine")) {
    Context &C = Contexts[Coro];
    C.Noun = "coroutine";
    C.Interruptible = true; // It may run on any thread.
    return;
  }
  const Expr *Start = Spawns.matched(Result);
  if (!Start)
    return;
  SpawnedContext Spawned = Spawns.resolve(Start);
  if (!Spawned)
    return;
  Context &C = Contexts[Spawned.Body];
  if (!C.Start) {
    C.Start = Start;
    C.Noun = Spawned.Noun;
  }
  C.Starts.push_back(Start);
  switch (interruptionOf(Start)) {
  case Interruption::Never:
    break;
  case Interruption::Handle:
    C.BoostStarts.push_back(Start);
    break;
  case Interruption::Unknown:
    C.Interruptible = true;
    break;
  }
  if (const Expr *Token = coSpawnToken(Start))
    C.Cancellable |= spawnerCanCancel(Token);
}

void SelectLoopNoExitCheck::onEndOfTranslationUnit() {
  if (Ctx) {
    // Cancellation flows from a coroutine to the ones it awaits.
    llvm::SmallVector<std::pair<const FunctionDecl *, const FunctionDecl *>, 8>
        Edges;
    for (const auto &[Body, C] : Contexts) {
      if (!isCoroutine(Body))
        continue;
      llvm::SmallPtrSet<const CallExpr *, 4> Awaited;
      collectAwaitedCalls(Body->getBody(), Awaited);
      for (const CallExpr *Call : Awaited)
        if (const FunctionDecl *F = definitionWithBody(Call->getDirectCallee()))
          if (Contexts.count(F))
            Edges.push_back({Body, F});
    }
    for (bool Changed = true; Changed;) {
      Changed = false;
      for (const auto &[From, To] : Edges)
        if (Contexts[From].Cancellable && !Contexts[To].Cancellable)
          Changed = Contexts[To].Cancellable = true;
    }
    Analysis = std::make_unique<ForeverAnalysis>(*Ctx, Model);
    UninterruptibleAnalysis =
        std::make_unique<ForeverAnalysis>(*Ctx, UninterruptibleModel);
    for (const auto &[Body, C] : Contexts)
      analyse(Body, C);
  }
  Analysis.reset();
  UninterruptibleAnalysis.reset();
  Active = nullptr;
  Contexts.clear();
  Reported.clear();
  Ctx = nullptr;
}

void SelectLoopNoExitCheck::analyse(const FunctionDecl *Body,
                                    const Context &C) {
  const FunctionDecl *Def = analysableDefinition(Body, *Ctx);
  if (!Def || !shouldAnalyseBody(Def))
    return;
  llvm::SmallVector<const CallExpr *, 4> Chain;
  llvm::DenseSet<const FunctionDecl *> Seen;
  Active = C.Interruptible ? Analysis.get() : UninterruptibleAnalysis.get();
  search(Def, C, 0, Chain, Seen);
}

bool SelectLoopNoExitCheck::leftByInterruption(const EndlessLoop &Loop,
                                               const Context &C) {
  if (C.Interruptible || C.BoostStarts.empty())
    return false;
  // Endless only because interruption points were discounted?
  if (llvm::any_of(Analysis->localEndlessLoops(Loop.Function),
                   [&](const EndlessLoop &L) { return L.Loop == Loop.Loop; }))
    return false;
  return llvm::any_of(C.BoostStarts, [&](const Expr *Start) {
    return mayBeInterruptedStart(Start, *Ctx);
  });
}

void SelectLoopNoExitCheck::search(
    const FunctionDecl *Fn, const Context &C, unsigned Depth,
    llvm::SmallVectorImpl<const CallExpr *> &Chain,
    llvm::DenseSet<const FunctionDecl *> &Seen) {
  if (!Seen.insert(Fn).second)
    return;
  for (const EndlessLoop &Loop : Active->localEndlessLoops(Fn)) {
    if (Reported.seen(Loop.Loop->getBeginLoc(), Ctx->getSourceManager()))
      continue;
    if (C.Cancellable) {
      // Cancelling the coroutine makes its pending operation complete with
      // operation_aborted; an awaited operation that throws then ends the
      // loop, and so does the next co_await of an awaitable (Asio's
      // throw_if_cancelled, on by default).
      bool Throws = false;
      walkOwnCode(Loop.Loop, [&](const Stmt *S) {
        if (const auto *Await = llvm::dyn_cast<CoawaitExpr>(S))
          Throws |= throwsIfCancelled(Await->getOperand());
      });
      if (Throws)
        continue;
    }
    llvm::SmallVector<const CallExpr *, 4> WaitCalls;
    if (const Expr *Wait = findWait(Loop, WaitCalls)) {
      if (onlyFromMain(C))
        return; // main()'s event loop, one context removed.
      // A Boost interruption point in the loop, and interrupt() can reach
      // the boost::thread that runs it.
      if (leftByInterruption(Loop, C))
        continue;
      report(Loop, Wait, WaitCalls, Chain, C);
    }
  }
  if (Depth >= Model.MaxCallDepth)
    return;
  llvm::SmallVector<const CallExpr *, 16> Calls;
  collectCalls(Fn->getBody(), Calls);
  for (const CallExpr *Call : Calls) {
    const FunctionDecl *Callee =
        analysableDefinition(Call->getDirectCallee(), *Ctx);
    // A coroutine is a context of its own, analysed as such.
    if (!Callee || mayDispatchElsewhere(Call) || isCoroutine(Callee))
      continue;
    Chain.push_back(Call);
    search(Callee, C, Depth + 1, Chain, Seen);
    Chain.pop_back();
  }
}

const Expr *
SelectLoopNoExitCheck::findWait(const EndlessLoop &Loop,
                                llvm::SmallVectorImpl<const CallExpr *> &Calls) {
  const SourceManager &SM = Ctx->getSourceManager();
  const Expr *Best = nullptr;
  for (const Stmt *S : Loop.Statements) {
    std::optional<MultiWait> W = asMultiWait(S, SelectFunctions, Cases);
    if (!W)
      continue;
    // The outermost `||` of a nested one: it comes first in the source and
    // contains the others.
    if (!Best ||
        SM.isBeforeInTranslationUnit(W->Where->getBeginLoc(),
                                     Best->getBeginLoc()) ||
        (W->Where->getBeginLoc() == Best->getBeginLoc() &&
         SM.isBeforeInTranslationUnit(Best->getEndLoc(),
                                      W->Where->getEndLoc())))
      Best = W->Where;
  }
  if (Best)
    return Best;
  // A wait inside a function the loop calls.
  for (const Stmt *S : Loop.Statements) {
    const auto *Call = llvm::dyn_cast<CallExpr>(S);
    if (!Call || mayDispatchElsewhere(Call))
      continue;
    const FunctionDecl *Callee =
        analysableDefinition(Call->getDirectCallee(), *Ctx);
    if (!Callee || Callee == Loop.Function)
      continue;
    Calls.push_back(Call);
    if (const Expr *W = findWaitIn(Callee, 1, Calls))
      return W;
    Calls.pop_back();
  }
  return nullptr;
}

const Expr *
SelectLoopNoExitCheck::findWaitIn(const FunctionDecl *Fn, unsigned Depth,
                                  llvm::SmallVectorImpl<const CallExpr *> &Calls) {
  llvm::SmallVector<const CallExpr *, 16> Inner;
  collectCalls(Fn->getBody(), Inner);
  for (const CallExpr *Call : Inner)
    if (asMultiWait(Call, SelectFunctions, Cases))
      return Call;
  if (Depth >= Model.MaxCallDepth)
    return nullptr;
  for (const CallExpr *Call : Inner) {
    if (mayDispatchElsewhere(Call))
      continue;
    const FunctionDecl *Callee =
        analysableDefinition(Call->getDirectCallee(), *Ctx);
    if (!Callee || Callee == Fn ||
        llvm::any_of(Calls, [&](const CallExpr *C) {
          return C->getDirectCallee() == Callee;
        }))
      continue;
    Calls.push_back(Call);
    if (const Expr *W = findWaitIn(Callee, Depth + 1, Calls))
      return W;
    Calls.pop_back();
  }
  return nullptr;
}

bool SelectLoopNoExitCheck::onlyFromMain(const Context &C) {
  if (C.Starts.empty())
    return false; // A coroutine nobody here spawns: it is a context.
  return llvm::all_of(C.Starts, [&](const Expr *Start) {
    return isInMain(Start, *Ctx);
  });
}

void SelectLoopNoExitCheck::report(const EndlessLoop &Loop, const Expr *Wait,
                                   llvm::ArrayRef<const CallExpr *> WaitCalls,
                                   llvm::ArrayRef<const CallExpr *> Chain,
                                   const Context &C) {
  Reported.first(Loop.Loop->getBeginLoc(), Ctx->getSourceManager());
  diag(Loop.Loop->getBeginLoc(),
       "endless loop around a multi-way wait: no alternative leads out of "
       "the loop and it observes no stop or cancellation");

  for (const CallExpr *Call : WaitCalls)
    diag(Call->getBeginLoc(), "the loop calls %0 here", DiagnosticIDs::Note)
        << patternDecl(Call->getDirectCallee());
  std::optional<MultiWait> W = asMultiWait(Wait, SelectFunctions, Cases);
  switch (W->Kind) {
  case MultiWait::AwaitableOr:
    diag(Wait->getBeginLoc(),
         "waits here for the first of %0 alternatives; whichever completes, "
         "the loop goes on",
         DiagnosticIDs::Note)
        << W->Alternatives;
    break;
  case MultiWait::ParallelGroup:
    if (W->Alternatives)
      diag(Wait->getBeginLoc(),
           "waits here for the first of %0 operations of a parallel group; "
           "whichever completes, the loop goes on",
           DiagnosticIDs::Note)
          << W->Alternatives;
    else
      diag(Wait->getBeginLoc(),
           "waits here for the first operation of a parallel group to "
           "complete; whichever completes, the loop goes on",
           DiagnosticIDs::Note);
    break;
  case MultiWait::SelectCall:
    diag(Wait->getBeginLoc(),
         "waits here in %0; whatever it reports, the loop goes on",
         DiagnosticIDs::Note)
        << W->Callee;
    break;
  case MultiWait::CaseSelect:
    if (W->HasDefault)
      diag(Wait->getBeginLoc(),
           "selects here among %0 cases and a default, so it never waits; "
           "whichever fires, the loop goes on",
           DiagnosticIDs::Note)
          << W->Alternatives;
    else if (W->Alternatives == 1)
      diag(Wait->getBeginLoc(),
           "waits here for its only case to fire; when it fires, the loop "
           "goes on",
           DiagnosticIDs::Note);
    else
      diag(Wait->getBeginLoc(),
           "waits here for the first of %0 cases to fire; whichever fires, "
           "the loop goes on",
           DiagnosticIDs::Note)
          << W->Alternatives;
    break;
  }
  if (Loop.Kind == EndlessLoop::DeadExitAfterWait) {
    diag(Loop.Condition->getBeginLoc(),
         "the loop's way out '%0' is tested only right after the wait "
         "returns with its predicate true, when it cannot hold",
         DiagnosticIDs::Note)
        << shortSourceText(Loop.Condition, *Ctx)
        << Loop.Condition->getSourceRange();
    diag(Loop.Wait->getBeginLoc(),
         "a timeout of this wait leads back to waiting, not out of the loop",
         DiagnosticIDs::Note);
  }
  if (Loop.Kind == EndlessLoop::UnchangingCondition)
    diag(Loop.Condition->getBeginLoc(),
         "the loop's condition '%0' cannot change while the loop runs",
         DiagnosticIDs::Note)
        << shortSourceText(Loop.Condition, *Ctx)
        << Loop.Condition->getSourceRange();

  emitSpawnNotes(*this, C.Start, C.Noun, Chain);
}

} // namespace clang::tidy::threadleak
