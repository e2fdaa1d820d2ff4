//===--- ContextSpawns.cpp ------------------------------------------------===//

#include "engine/ContextSpawns.h"
#include "engine/BodyResolver.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"

namespace clang::tidy::threadleak {

namespace defaults {
const char SpawnFunctions[] =
    "::std::async;::boost::asio::co_spawn;::boost::fibers::async;"
    "::pthread_create";
const char ContextTypes[] =
    "::std::thread;::std::jthread;::boost::thread;::boost::fibers::fiber";
} // namespace defaults

static bool isCoroutine(const FunctionDecl *FD) {
  return FD && llvm::isa_and_nonnull<CoroutineBodyStmt>(FD->getBody());
}

/// A call to a coroutine of this translation unit (`consume(ch)`, handed to
/// co_spawn): the coroutine is the body, its arguments bind its parameters.
static bool resolveCoroutineCall(const Expr *E, const ChannelFlow &Flow,
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
  for (unsigned I = Offset; I < Call->getNumArgs(); ++I)
    if (I - Offset < Def->getNumParams())
      if (ChannelOrigin O = Flow.originOf(Call->getArg(I), NoBindings))
        Out.Bindings[Def->getParamDecl(I - Offset)] = O;
  Out.Noun = "coroutine";
  return true;
}

SpawnedContext resolveSpawn(const Expr *Start, const ChannelFlow &Flow) {
  SpawnedContext Ctx;
  Ctx.Start = Start;
  llvm::SmallVector<const Expr *, 8> Args;
  std::string Spawner;
  if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(Start)) {
    Args.assign(CE->arg_begin(), CE->arg_end());
    Spawner = plainQualifiedName(CE->getConstructor()->getParent());
  } else if (const auto *Call = llvm::dyn_cast<CallExpr>(Start)) {
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
    Flow.bindTrailing(B.Function, {Args[3]}, Ctx.Bindings);
    return Ctx;
  }
  if (Spawner == "boost::fibers::fiber" || Spawner == "boost::fibers::async")
    Ctx.Noun = "fiber";
  // The first argument that is a callable with a visible body; the ones
  // after it are its arguments. (Launch policies, executors and allocators
  // come first.)
  for (unsigned I = 0; I < Args.size(); ++I) {
    const Expr *A = Args[I];
    if (llvm::isa<CXXDefaultArgExpr>(A))
      break;
    if (Spawner == "boost::asio::co_spawn" && I > 0 &&
        resolveCoroutineCall(A, Flow, Ctx))
      return Ctx;
    ResolvedBody B = resolveCallable(A);
    if (!B)
      continue;
    Ctx.Body = B.Function;
    if (!B.ThroughBind && !B.ThroughMemberPointer) {
      llvm::SmallVector<const Expr *, 4> Rest;
      for (unsigned J = I + 1; J < Args.size(); ++J)
        if (!llvm::isa<CXXDefaultArgExpr>(Args[J]))
          Rest.push_back(Args[J]);
      if (Spawner != "boost::asio::co_spawn")
        Flow.bindTrailing(B.Function, Rest, Ctx.Bindings);
    }
    if (Spawner == "boost::asio::co_spawn" || isCoroutine(B.Function))
      Ctx.Noun = "coroutine";
    return Ctx;
  }
  return Ctx;
}

} // namespace clang::tidy::threadleak
