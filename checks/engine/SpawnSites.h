//===--- SpawnSites.h - where was this thread started? --------------------===//
//
// A detach names a thread handle; the analysis needs the callable the thread
// was started with. These helpers find, in the function that detaches (and,
// for a member handle, in the members of its class), the construction or
// pthread_create that produced the handle.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_ENGINE_SPAWNSITES_H
#define THREADLEAK_ENGINE_SPAWNSITES_H

#include "model/ConcurrencyModel.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/ExprCXX.h"
#include "llvm/ADT/SmallVector.h"

namespace clang::tidy::threadleak {

/// A thread start: the expression that started it and its callable.
struct SpawnSite {
  /// Construction, pthread_create call, or the emplace_back call that
  /// constructs the thread inside a container.
  const Expr *Start = nullptr;
  const Expr *Callable = nullptr; ///< The callable / start routine.
  /// Put into a container whose elements the detach reaches by iterating
  /// it: every such start is detached, not only one of them.
  bool FromContainer = false;
};

/// The constructions of a thread-type object from a callable that \p Handle
/// (the object a detach() is called on) may hold, made in \p Owner before
/// \p Before, or for a data member, anywhere in the members of its class.
/// A handle that is an element of a container (`t` of
/// `for (auto &t : threads_)`, `threads_[i]`, `threads_.at(i)`,
/// `threads_.back()`) leads to the `emplace_back`/`push_back` calls that
/// filled the container: in \p Owner for a local container, in the members
/// of the class for a data member (for `back()`/`front()`, the last/first
/// one before \p Before in the same function).
/// Empty when the handle comes from somewhere we cannot see.
llvm::SmallVector<SpawnSite, 2>
findThreadStarts(const Expr *Handle, const FunctionDecl *Owner,
                 SourceLocation Before, const NameList &ThreadTypes,
                 ASTContext &Ctx);

/// The starts of the thread the data member \p FD holds, in any member of
/// its class or its initialisers (whichever object of the class it is).
llvm::SmallVector<SpawnSite, 2>
findMemberThreadStarts(const FieldDecl *FD, const NameList &ThreadTypes);

/// The starts of the threads in the container \p Container (a variable or
/// data member) names: every element (its clear() or destruction joins
/// them all, for std::jthread).
llvm::SmallVector<SpawnSite, 2>
findElementThreadStarts(const Expr *Container, const FunctionDecl *Owner,
                        SourceLocation Before, const NameList &ThreadTypes,
                        ASTContext &Ctx);

/// A construction of a thread type from a callable (not a copy or move).
bool isThreadStart(const CXXConstructExpr *CCE, const NameList &ThreadTypes);

/// The pthread_create calls in \p Owner (before \p Before) that store their
/// thread id in \p Id.
llvm::SmallVector<SpawnSite, 2> findPthreadCreates(const Expr *Id,
                                                   const FunctionDecl *Owner,
                                                   SourceLocation Before,
                                                   ASTContext &Ctx);

/// True if \p Attr (pthread_create's attribute argument) was set to
/// PTHREAD_CREATE_DETACHED in \p Owner.
bool isDetachedAttr(const Expr *Attr, const FunctionDecl *Owner,
                    ASTContext &Ctx);

/// The function that declares the local variable \p Handle names (a thread
/// object, a pthread_t, a pthread_attr_t), looking through `&` and
/// std::move; null for temporaries, members and globals. This is where the
/// handle's story is told, found without a parent map.
const FunctionDecl *handleOwner(const Expr *Handle);

/// The innermost function or lambda containing \p S. Builds the AST's
/// parent map on first use: only for the rare cases that need it.
const FunctionDecl *enclosingFunction(const Stmt *S, ASTContext &Ctx);

/// \p S is written in main(): what it starts lives as long as the
/// process (main()'s own lifetime). Builds the parent map: call it only
/// when a finding depends on it.
bool isInMain(const Stmt *S, ASTContext &Ctx);

/// Whether Boost.Thread's interrupt() may reach the thread whose handle
/// \p Handle (the object of a detach()) names, in \p Owner or, for a data
/// member or a member container, in its class: some code there calls
/// interrupt() or interrupt_all(), or the handle escapes where we cannot
/// follow it. A temporary (`boost::thread(f).detach()`) cannot be
/// interrupted.
bool mayBeInterrupted(const Expr *Handle, const FunctionDecl *Owner,
                      ASTContext &Ctx);

/// The same for the thread that the construction \p Start starts, found
/// through what holds it (a variable, a data member, a container).
/// Builds the parent map: call it only when a finding depends on it.
bool mayBeInterruptedStart(const Expr *Start, ASTContext &Ctx);

/// True if \p E is a call to pthread_self().
bool isPthreadSelf(const Expr *E);

/// True if \p Owner calls detach() on the variable \p VD.
bool isDetachedVariable(const VarDecl *VD, const FunctionDecl *Owner);

/// The data member that \p Start (a thread construction) initialises in
/// \p Owner (`member_ = std::jthread(...)`, or a constructor's
/// `: member_(...)`), if any.
const FieldDecl *assignedField(const Expr *Start, const FunctionDecl *Owner);

/// True if a member function of \p FD's class calls detach() on it.
bool isDetachedField(const FieldDecl *FD);

} // namespace clang::tidy::threadleak

#endif
