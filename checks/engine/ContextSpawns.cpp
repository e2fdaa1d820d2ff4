//===--- ContextSpawns.cpp ------------------------------------------------===//

#include "engine/ContextSpawns.h"
#include "engine/BodyResolver.h"
#include "engine/FireAndForget.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/StmtCXX.h"
#include "clang/ASTMatchers/ASTMatchers.h"

using namespace clang::ast_matchers;

namespace clang::tidy::threadleak {

namespace {
/// A function with a coroutine body in this translation unit.
AST_MATCHER(FunctionDecl, hasCoroutineDefinition) {
  return isCoroutine(definitionWithBody(&Node));
}
} // namespace

namespace defaults {
const char SpawnFunctions[] =
    "::std::async;::boost::asio::co_spawn;::asio::co_spawn;"
    "::boost::fibers::async;"
    "::pthread_create;"
    // libcoro: the scheduler or pool runs the coroutine of the task.
    "::coro::scheduler::spawn_detached;::coro::scheduler::spawn;"
    "::coro::io_scheduler::spawn;::coro::thread_pool::spawn;"
    "::coro::thread_pool::spawn_detached";
const char ContextTypes[] =
    "::std::thread;::std::jthread;::boost::thread;::boost::fibers::fiber";
} // namespace defaults

/// The built-in DetachedCoroutineTypes: what the context checks take to be
/// fire-and-forget whatever its promise.
static const NameList FireAndForgetTypes =
    NameList::parse(defaults::DetachedCoroutineTypes);

static bool isCoSpawn(llvm::StringRef Spawner) {
  return Spawner == "boost::asio::co_spawn" || Spawner == "asio::co_spawn";
}

/// A call to a coroutine of this translation unit (`consume(ch)`, handed to
/// co_spawn): the coroutine is the body, its arguments bind its parameters.
static bool resolveCoroutineCall(const Expr *E, const ChannelFlow *Flow,
                                 SpawnedContext &Out) {
  const auto *Call = llvm::dyn_cast<CallExpr>(E->IgnoreImplicit());
  if (!Call)
    return false;
  const FunctionDecl *Def = definitionWithBody(Call->getDirectCallee());
  if (!isCoroutine(Def))
    return false;
  Out.Body = Def;
  unsigned Offset =
      llvm::isa<CXXOperatorCallExpr>(Call) && llvm::isa<CXXMethodDecl>(Def);
  for (unsigned I = Offset; Flow && I < Call->getNumArgs(); ++I)
    if (I - Offset < Def->getNumParams())
      if (ChannelOrigin O = Flow->originOf(Call->getArg(I), NoBindings))
        Out.Bindings[Def->getParamDecl(I - Offset)] = O;
  Out.Noun = "coroutine";
  return true;
}

SpawnedContext resolveSpawn(const Expr *Start, const ChannelFlow *Flow,
                            const NameList *DetachedCoroutineTypes) {
  SpawnedContext Ctx;
  Ctx.Start = Start;
  llvm::SmallVector<const Expr *, 8> Args;
  std::string Spawner;
  if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(Start)) {
    Args.assign(CE->arg_begin(), CE->arg_end());
    Spawner = plainQualifiedName(CE->getConstructor()->getParent());
  } else if (const auto *Call = llvm::dyn_cast<CallExpr>(Start)) {
    // A call of a fire-and-forget coroutine starts the coroutine itself.
    if (fireAndForgetKind(Call->getDirectCallee(),
                          DetachedCoroutineTypes ? *DetachedCoroutineTypes
                                                 : FireAndForgetTypes) !=
            FireAndForgetKind::None &&
        resolveCoroutineCall(Call, Flow, Ctx))
      return Ctx;
    Args.assign(Call->arg_begin(), Call->arg_end());
    if (const FunctionDecl *F = Call->getDirectCallee())
      Spawner = plainQualifiedName(F);
  } else {
    return Ctx;
  }
  if (Spawner == "pthread_create") {
    if (Args.size() != 4)
      return Ctx;
    ResolvedBody B = resolveCallable(Args[2]);
    if (!B || B.Function->getNumParams() != 1)
      return Ctx;
    Ctx.Body = B.Function;
    if (Flow)
      Flow->bindTrailing(B.Function, {Args[3]}, Ctx.Bindings);
    return Ctx;
  }
  if (Spawner == "boost::fibers::fiber" || Spawner == "boost::fibers::async")
    Ctx.Noun = "fiber";
  // fibers.emplace_back(f): what the container holds.
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Start))
    if (const Expr *Obj = MC->getImplicitObjectArgument())
      if (const auto *Container =
              llvm::dyn_cast_or_null<ClassTemplateSpecializationDecl>(
                  recordOf(Obj->getType()));
          Container && Container->getTemplateArgs().size() >= 1 &&
          Container->getTemplateArgs()[0].getKind() == TemplateArgument::Type)
        Ctx.Noun = threadNoun(
            recordOf(Container->getTemplateArgs()[0].getAsType()));
  // The first argument that is a callable with a visible body; the ones
  // after it are its arguments. (Launch policies, executors and allocators
  // come first.)
  for (unsigned I = 0; I < Args.size(); ++I) {
    const Expr *A = Args[I];
    if (llvm::isa<CXXDefaultArgExpr>(A))
      break;
    if (isCoSpawn(Spawner)) {
      // co_spawn(executor, awaitable-or-function, token): only the second.
      if (I != 1)
        continue;
      if (resolveCoroutineCall(A, Flow, Ctx))
        return Ctx;
    } else if (I == 0 && llvm::isa<CallExpr>(Start) &&
               Spawner != "std::async" && Spawner != "boost::fibers::async" &&
               resolveCoroutineCall(A, Flow, Ctx)) {
      // pool.spawn(worker(ch)): a spawn function handed the coroutine its
      // call made (libcoro's spawn, a user's SpawnFunctions entry).
      return Ctx;
    }
    ResolvedBody B = resolveCallable(A);
    if (!B)
      continue;
    Ctx.Body = B.Function;
    if (!B.ThroughBind && !B.ThroughMemberPointer) {
      llvm::SmallVector<const Expr *, 4> Rest;
      for (unsigned J = I + 1; J < Args.size(); ++J)
        if (!llvm::isa<CXXDefaultArgExpr>(Args[J]))
          Rest.push_back(Args[J]);
      if (Flow && !isCoSpawn(Spawner))
        Flow->bindTrailing(B.Function, Rest, Ctx.Bindings);
    }
    if (isCoSpawn(Spawner) || isCoroutine(B.Function))
      Ctx.Noun = "coroutine";
    return Ctx;
  }
  return Ctx;
}

SpawnSiteOptions::SpawnSiteOptions(const ClangTidyCheck::OptionsView &Options)
    : ContextTypes(NameList::parse(
          Options.get("ThreadTypes", defaults::ContextTypes))),
      SpawnFunctions(NameList::parse(
          Options.get("SpawnFunctions", defaults::SpawnFunctions))),
      DetachedCoroutineTypes(FireAndForgetTypes),
      ContextTypesOption(ContextTypes.str()),
      SpawnFunctionsOption(SpawnFunctions.str()) {}

void SpawnSiteOptions::add(const ModelConfig &Model) {
  ContextTypes.add(Model.ThreadTypes);
  DetachedCoroutineTypes.add(Model.DetachedCoroutineTypes);
  SpawnFunctions.add(Model.SpawnFunctions);
  SpawnFunctions.add(Model.DetachedSpawnFunctions);
}

void SpawnSiteOptions::store(const ClangTidyCheck::OptionsView &Options,
                             ClangTidyOptions::OptionMap &Opts) const {
  Options.store(Opts, "ThreadTypes", ContextTypesOption);
  Options.store(Opts, "SpawnFunctions", SpawnFunctionsOption);
}

void SpawnSiteOptions::registerMatchers(
    MatchFinder *Finder, MatchFinder::MatchCallback *Callback) const {
  auto InUserCode = unless(isExpansionInSystemHeader());
  std::vector<llvm::StringRef> Types(ContextTypes.names().begin(),
                                     ContextTypes.names().end());
  if (!Types.empty()) {
    Finder->addMatcher(
        cxxConstructExpr(hasDeclaration(cxxConstructorDecl(
                             ofClass(cxxRecordDecl(hasAnyName(Types))))),
                         unless(argumentCountIs(0)), InUserCode)
            .bind("spawn"),
        Callback);
    // workers.emplace_back([&] { ... }): the thread is constructed inside
    // the container; which containers hold threads is checked in
    // matched().
    Finder->addMatcher(
        cxxMemberCallExpr(callee(cxxMethodDecl(hasAnyName(
                              "emplace_back", "emplace", "emplace_front"))),
                          unless(argumentCountIs(0)), InUserCode)
            .bind("emplace"),
        Callback);
  }
  std::vector<llvm::StringRef> Spawns(SpawnFunctions.names().begin(),
                                      SpawnFunctions.names().end());
  if (!Spawns.empty())
    Finder->addMatcher(
        callExpr(callee(functionDecl(hasAnyName(Spawns))), InUserCode)
            .bind("spawn"),
        Callback);
  // A call of a coroutine of this translation unit: a context of its own if
  // the coroutine is fire-and-forget (decided in matched()).
  Finder->addMatcher(
      callExpr(callee(functionDecl(hasCoroutineDefinition())), InUserCode)
          .bind("coroutine_call"),
      Callback);
}

const Expr *
SpawnSiteOptions::matched(const MatchFinder::MatchResult &Result) const {
  if (const auto *Call = Result.Nodes.getNodeAs<CallExpr>("coroutine_call")) {
    // Decided per call: cheap (the promise's initial suspend point and the
    // return type), and a cache keyed by declarations would outlive the
    // translation unit in clang-tidy.
    return fireAndForgetKind(Call->getDirectCallee(),
                             DetachedCoroutineTypes) !=
                       FireAndForgetKind::None &&
                   isEvaluated(Call, *Result.Context)
               ? Call
               : nullptr;
  }
  const auto *Start = Result.Nodes.getNodeAs<Expr>("spawn");
  if (const auto *Emplace =
          Result.Nodes.getNodeAs<CXXMemberCallExpr>("emplace")) {
    const Expr *Obj = Emplace->getImplicitObjectArgument();
    const auto *Container =
        llvm::dyn_cast_or_null<ClassTemplateSpecializationDecl>(
            Obj ? recordOf(Obj->getType()) : nullptr);
    if (!Container || Container->getTemplateArgs().size() < 1 ||
        Container->getTemplateArgs()[0].getKind() != TemplateArgument::Type)
      return nullptr;
    const CXXRecordDecl *Element =
        recordOf(Container->getTemplateArgs()[0].getAsType());
    if (!Element || !ContextTypes.contains(Element))
      return nullptr;
    Start = Emplace;
  }
  if (const auto *CE = llvm::dyn_cast_or_null<CXXConstructExpr>(Start))
    if (CE->getConstructor()->isCopyOrMoveConstructor())
      return nullptr;
  return Start;
}

const Expr *coSpawnToken(const Expr *Start) {
  const auto *Call = llvm::dyn_cast_or_null<CallExpr>(Start);
  const FunctionDecl *F = Call ? Call->getDirectCallee() : nullptr;
  if (!F || !isCoSpawn(plainQualifiedName(F)))
    return nullptr;
  // co_spawn(executor, awaitable-or-function, token[, constraint]).
  if (Call->getNumArgs() < 3 || llvm::isa<CXXDefaultArgExpr>(Call->getArg(2)))
    return nullptr;
  return Call->getArg(2);
}

} // namespace clang::tidy::threadleak
