//===--- FireAndForget.h - coroutines nobody can await or join ------------===//
//
// A call to a coroutine creates its frame. Whether the caller can ever wait
// for the coroutine depends on its return type's promise: a lazy coroutine
// (initial_suspend() suspends) runs only once its return object resumes or
// awaits it, so the return object owns it. An eager coroutine
// (initial_suspend() never suspends) runs at once; if its return object
// carries nothing and cannot be awaited, the frame belongs to nobody: the
// coroutine is a detached context, like a detached thread.
//
// The library spawns that hand a coroutine over to a scheduler (libcoro's
// spawn_detached) or to a scope that may never be joined (cppcoro's
// async_scope::spawn) start such contexts too; the coroutine they run is the
// one whose call produced their argument.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_ENGINE_FIREANDFORGET_H
#define THREADLEAK_ENGINE_FIREANDFORGET_H

#include "model/ConcurrencyModel.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/ExprCXX.h"

namespace clang::tidy::threadleak {

/// Why a coroutine's calls are detached contexts.
enum class FireAndForgetKind {
  None,
  /// initial_suspend() never suspends and the return object offers no way
  /// to await or join the coroutine.
  Eager,
  /// The return type is listed as a detached coroutine type
  /// (concurrencpp::null_result, whatever its initial suspension).
  NamedType,
};

/// How the calls of \p FD (a function with a coroutine body in this
/// translation unit) run: a detached context, or one that the caller may
/// await or join. The promise is the one Sema resolved through
/// std::coroutine_traits (the coroutine body's promise declaration), not a
/// name. \p DetachedTypes: return types whose coroutines are always detached.
FireAndForgetKind fireAndForgetKind(const FunctionDecl *FD,
                                    const NameList &DetachedTypes);

/// True if the awaiter type \p Awaiter's `await_ready()` is a constexpr
/// function that returns true (std::suspend_never): awaiting it never
/// suspends.
bool neverSuspends(const CXXRecordDecl *Awaiter);

/// True if an object of type \p T offers no way to await or join the
/// coroutine that returned it: `void`, or a class that (with its bases)
/// holds no data members, declares no member functions other than its
/// constructors, destructor and assignment operators, and has no
/// `operator co_await` (member, or a non-member in its namespace taking it).
bool carriesNothing(QualType T);

/// The coroutine that \p Arg (an argument of a spawn function) was made by
/// calling: `worker(ch)`, `[&]() -> task<> { ... }()`, `std::move(t)` for a
/// local `auto t = worker(ch);` of \p Owner. Null if \p Arg is anything
/// else or the coroutine's body is not visible. \p Call, if given, receives
/// the call that made it.
const FunctionDecl *coroutineMadeBy(const Expr *Arg,
                                    const CallExpr **Call = nullptr);

/// Whether the scope object \p Scope (the object of a scoped spawn,
/// `scope.spawn(task())`) may be joined: some code calls `join()` on it (in
/// the function that declares a local scope, in the member functions of
/// the class of a private data member), or it may reach code we cannot
/// see (a parameter, a reference, a global, a non-private member, a local
/// handed to a function or whose address is taken).
bool scopeMayBeJoined(const Expr *Scope);

/// False if \p Call is in an unevaluated operand (`decltype(f())`,
/// `sizeof`, `noexcept(f())`, `typeid` of a non-polymorphic type, a
/// requires-expression): naming a coroutine call there starts nothing.
/// Builds the AST's parent map: call it only for a candidate finding.
bool isEvaluated(const Expr *Call, ASTContext &Ctx);

} // namespace clang::tidy::threadleak

#endif
