//===--- BodyResolver.h - which function a spawned context runs -----------===//
//
// Given the callable expression handed to a spawn (std::thread's first
// argument, pthread_create's start routine, ...), find the function whose
// body the new context executes: a lambda's call operator, a free function,
// a member function named through std::bind or a pointer-to-member, a
// function object's operator(), or what a local function pointer was
// initialised with.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_ENGINE_BODYRESOLVER_H
#define THREADLEAK_ENGINE_BODYRESOLVER_H

#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace clang::tidy::threadleak {

struct ResolvedBody {
  /// The definition the context runs; null when it cannot be seen.
  const FunctionDecl *Function = nullptr;
  /// The callable went through std::bind/boost::bind: extra arguments (such
  /// as a jthread's stop_token) are dropped unless bound to a placeholder.
  bool ThroughBind = false;
  /// Called through a pointer-to-member with an object argument.
  bool ThroughMemberPointer = false;

  explicit operator bool() const { return Function != nullptr; }
};

/// Resolves \p Callable to the function a context started with it runs.
/// Generic lambdas resolve to their single instantiation, if there is one.
ResolvedBody resolveCallable(const Expr *Callable);

/// The definition of \p FD, if it has a body in this translation unit.
const FunctionDecl *definitionWithBody(const FunctionDecl *FD);

/// Whether code may do \p Does to the data member \p FD: true when code
/// outside its class may reach it (it is not private, the class has
/// friends, a method is defined where we cannot see), or when \p Does
/// holds for the body of a method or a written constructor initialiser.
bool classCodeMay(const FieldDecl *FD,
                  llvm::function_ref<bool(const Stmt *, const FieldDecl *)> Does);

/// \p FD is a coroutine: its body has co_await, co_yield or co_return.
bool isCoroutine(const FunctionDecl *FD);

} // namespace clang::tidy::threadleak

#endif
