//===--- SyncInventory.h - the translation unit's waits, notifies, calls -*- C++ -*-===//
//
// A first slice of the whole-translation-unit concurrency model: every
// piece of code of the TU (a function defined outside system headers, or a
// lambda's body, which runs wherever the closure is called), with the
// condition-variable waits and notifies it performs itself and its direct
// calls into other such code, plus the reverse edges (who calls a
// function). Built once per TU, and only when the TU notifies a condition
// variable at all.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_ENGINE_SYNCINVENTORY_H
#define THREADLEAK_ENGINE_SYNCINVENTORY_H

#include "engine/Destructors.h"
#include "model/WaitModel.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/ExprCXX.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"
#include <memory>
#include <vector>

namespace clang::tidy::threadleak {

/// One piece of code that runs as a whole: a function, or a lambda.
struct CodeUnit {
  /// The function, or the lambda's call operator.
  const FunctionDecl *Fn = nullptr;
  /// The lambda, for a lambda's unit.
  const LambdaExpr *Lambda = nullptr;
  /// What runs (a coroutine's body unwrapped).
  const Stmt *Body = nullptr;
  llvm::SmallVector<ConditionWait, 2> Waits;
  /// notify_one / notify_all / pthread_cond_signal calls, with the
  /// condition variable.
  llvm::SmallVector<std::pair<const CallExpr *, const ValueDecl *>, 2> Notifies;
  /// Calls into other units with the one definition they run: direct
  /// calls, virtual calls with one overrider in a closed hierarchy
  /// (ClassHierarchy); a `std::call_once(flag, f)` is a call of `f` (see
  /// invokedFunction()).
  llvm::SmallVector<std::pair<const CallExpr *, const FunctionDecl *>, 4> Calls;
  /// A virtual call that may run one of several definitions, or one an
  /// open hierarchy may add to: what it may run.
  struct Dispatch {
    const CallExpr *Call;
    llvm::SmallVector<const FunctionDecl *, 2> Targets;
  };
  llvm::SmallVector<Dispatch, 1> Dispatches;
  /// Destructors this code runs without a call written (Destructors.h),
  /// by what runs them: a statement (`delete p`, `p.reset()`,
  /// `c.erase(it)`), a local variable (at the end of its scope) or, in a
  /// destructor, a data member or a base class (at its end). Each is a
  /// call made up for the purpose, `Object.~T()`, and is in Calls too.
  llvm::DenseMap<const void *, llvm::SmallVector<const CallExpr *, 1>> Destroys;
};

/// \p Call runs a destructor: one of CodeUnit::Destroys (made up, in no
/// CFG), or a rare explicit `p->~T()`.
inline bool isDestruction(const CallExpr *Call) {
  return llvm::isa_and_nonnull<CXXDestructorDecl>(Call->getDirectCallee());
}

class SyncInventory {
public:
  SyncInventory(const ASTContext &Ctx, const ConditionVariableModel &CVs)
      : Ctx(Ctx), CVs(CVs) {}

  /// Walks \p FD (a definition) and the lambdas in it, in its constructor
  /// initialisers too.
  void addFunction(const FunctionDecl *FD);
  /// Adds the lambdas in \p E (a data member's initialiser) as units.
  void addLambdasIn(const Expr *E);

  const std::vector<std::unique_ptr<CodeUnit>> &units() const { return Units; }
  const CodeUnit *unitOf(const FunctionDecl *FD) const {
    return ByFunction.lookup(FD);
  }
  /// Adds the destructors each unit runs without a call written (see
  /// CodeUnit::Destroys): once every unit is in.
  void addDestructorCalls();
  /// The call sites of \p FD in the units walked.
  llvm::ArrayRef<std::pair<const CodeUnit *, const CallExpr *>>
  callersOf(const FunctionDecl *FD) const;

private:
  void addUnit(const FunctionDecl *Fn, const LambdaExpr *Lambda,
               const Stmt *Body);

  const ASTContext &Ctx;
  const ConditionVariableModel &CVs;
  std::vector<std::unique_ptr<CodeUnit>> Units;
  /// What destroys objects, found by the walk: a statement, or a local
  /// variable (its type says what it destroys).
  struct PendingDestroy {
    CodeUnit *Unit;
    const Stmt *At; ///< Null for a local variable.
    const VarDecl *Var = nullptr;
  };
  std::vector<PendingDestroy> Pending;
  /// The lambdas converted to each type of std::function: what destroying
  /// one may destroy (DestructorClosure).
  DestructorClosure::CallableTargets Callables;
  llvm::DenseMap<const FunctionDecl *, const CodeUnit *> ByFunction;
  llvm::DenseMap<const FunctionDecl *,
                 llvm::SmallVector<std::pair<const CodeUnit *, const CallExpr *>, 2>>
      Callers;
};

/// The statement that registers the lambda \p U as a stop callback in the
/// code that writes it (`std::stop_callback cb(tok, [..] {..})`, a
/// project's callback type named so, built or emplaced with the token and
/// the lambda, converted to a std::function or not), or null; \p Token
/// gets the token.
const Stmt *stopCallbackSite(const SyncInventory &Inv, const CodeUnit &U,
                             const Expr **Token = nullptr);

/// What a check collects during matching to build the inventory at the end
/// of the translation unit: every function definition outside system
/// headers, and every data member with an initialiser (where threads are
/// started too).
class InventoryCollector {
public:
  /// Adds the two matchers, bound to names only this class reads.
  void registerMatchers(ast_matchers::MatchFinder *Finder,
                        ast_matchers::MatchFinder::MatchCallback *Check);
  /// Takes a match of those matchers; false if it was another matcher's.
  bool collect(const ast_matchers::MatchFinder::MatchResult &Result);
  /// The inventory of what was collected; forgets it (the next TU starts
  /// empty).
  std::unique_ptr<SyncInventory> take(const ASTContext &Ctx,
                                      const ConditionVariableModel &CVs);
  /// Forgets what was collected.
  void clear() {
    Functions.clear();
    Fields.clear();
  }

private:
  std::vector<const FunctionDecl *> Functions;
  std::vector<const FieldDecl *> Fields;
};

} // namespace clang::tidy::threadleak

#endif
