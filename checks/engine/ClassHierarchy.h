//===--- ClassHierarchy.h - virtual calls resolved over the TU's classes -*- C++
//-*-===//
//
// Part of the translation unit's concurrency model: which bodies a virtual
// call may run. A C++ port of a Go interface is an abstract class; a
// project's thread wrapper runs a virtual `run()`; a dispatcher calls its
// handlers through a base pointer. Without this, every analysis stopped at
// such a call.
//
// The targets of `obj->f()` are the final overriders of `f` in every
// concrete (not abstract) class of the translation unit derived from the
// static type of `obj` (class hierarchy analysis), less, in a closed set,
// the classes of this file whose objects nothing here makes (rapid type
// analysis: a base's default `{}` that every object overrides). The set
// is *closed* when
// no other translation unit can add a class to it: the static class is
// defined in the main file or has internal linkage, or the method or the
// class is final. An open set is what we see, not what may run: the
// analyses read it for what a call *may* do (release a channel, notify),
// never for what it *must* do (a lock it certainly takes, a loop it
// certainly enters).
//
// One index per translation unit, built on the first query and shared by
// every check (it lives as long as the ASTContext).
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_ENGINE_CLASSHIERARCHY_H
#define THREADLEAK_ENGINE_CLASSHIERARCHY_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/ExprCXX.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"
#include <optional>
#include <vector>

namespace clang::tidy::threadleak {

/// What a virtual call may run.
struct DispatchTargets {
  /// The overriders' definitions, in source order.
  llvm::SmallVector<const FunctionDecl *, 2> Fns;
  /// No other translation unit can add an overrider.
  bool Closed = false;
  /// Every overrider that may run has a body here.
  bool Complete = false;
  /// The call runs exactly this body.
  const FunctionDecl *unique() const {
    return Closed && Complete && Fns.size() == 1 ? Fns.front() : nullptr;
  }
};

class ClassHierarchy {
public:
  /// The translation unit's hierarchy (built lazily, freed with \p Ctx).
  static ClassHierarchy &of(const ASTContext &Ctx);

  /// The bodies \p Call may run, for a call that may dispatch
  /// (mayDispatchElsewhere); empty for any other call.
  const DispatchTargets &targets(const CallExpr *Call);
  /// The bodies `(Object.*&M)()` may run; \p Object may be null (any
  /// object of M's class).
  DispatchTargets targets(const CXXMethodDecl *M, const Expr *Object);

  explicit ClassHierarchy(const ASTContext &Ctx) : Ctx(Ctx) {}
  ~ClassHierarchy();

private:
  void index();
  /// Some object of exactly the class \p C is made in this translation
  /// unit (a complete-object construction, in any code).
  bool made(const CXXRecordDecl *C);

  const ASTContext &Ctx;
  bool Indexed = false;
  /// Every class definition outside system headers that has a vtable.
  std::vector<const CXXRecordDecl *> Dynamic;
  llvm::DenseMap<const CallExpr *, DispatchTargets> Cache;
  /// The classes made (canonical declarations), once asked.
  std::optional<llvm::DenseSet<const CXXRecordDecl *>> Made;
};

/// The one body \p Call runs: its direct callee, or the only overrider of
/// a virtual call in a closed hierarchy. Null when it may run more than
/// one body, or one we cannot see.
const FunctionDecl *resolvedCallee(const CallExpr *Call, const ASTContext &Ctx);

} // namespace clang::tidy::threadleak

#endif
