//===--- ObjectKey.h - which object an expression names ---------*- C++ -*-===//
//
// The abstract objects of the concurrency model: a sync object (a mutex, a
// channel, a condition variable) is named by an access path from a root
// (the function's `this`, or a variable) through data members: `this->mu`,
// `le.mu`, `client->mu` (`this->client->mu`), `m[...]` (an element of the
// container `this->m`, all elements collapsed). Pointers and smart pointers
// are looked through: `p->mu` and `(*p).mu` are one path. A local reference
// or a pointer that is initialised once and never assigned stands for its
// initialiser. A structured binding of a call's result (`auto [ch, err] =
// open();`) whose every return gives, at its place, a handle the callee
// makes itself names that fresh object (abstract: the callee's local).
//
// Two granularities:
//  - the exact key (root and path) says "the same object" within one
//    function, and across a call once the callee's `this` and parameters are
//    replaced by the call's object and arguments (mapThroughCall);
//  - the abstract object (the last data member, or the variable; an
//    element marker) says "an object of the same allocation site" across
//    the whole translation unit.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_ENGINE_OBJECTKEY_H
#define THREADLEAK_ENGINE_OBJECTKEY_H

#include "clang/AST/Decl.h"
#include "clang/AST/ExprCXX.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"
#include <functional>
#include <optional>
#include <string>

namespace clang::tidy::threadleak {

struct ObjectKey {
  enum RootKind : unsigned char {
    /// Not known: only the abstract object (the path's last member) is.
    Unknown,
    This,
    Var,
  };
  RootKind Root = Unknown;
  const VarDecl *RootVar = nullptr;
  /// Data members from the root; a null entry is "an element of" the
  /// container named so far.
  llvm::SmallVector<const ValueDecl *, 3> Path;

  /// Names an object at all (exactly or abstractly).
  bool valid() const { return Root != Unknown || !Path.empty(); }
  /// Names one object: a known root and no container element.
  bool exact() const;
  /// The abstract object: the last data member, or the root variable;
  /// for an element, the container's member (see isElement()). A last
  /// member that refers to another object (a reference or a pointer data
  /// member) is, while a MemberTargets scope resolves it, that object.
  const ValueDecl *object() const;
  bool isElement() const { return !Path.empty() && !Path.back(); }
  /// Same abstract object.
  bool sameObject(const ObjectKey &O) const {
    return object() == O.object() && isElement() == O.isElement();
  }
  bool operator==(const ObjectKey &O) const {
    return Root == O.Root && RootVar == O.RootVar && Path == O.Path;
  }
  bool operator!=(const ObjectKey &O) const { return !(*this == O); }
  /// How a diagnostic names it: `mu`, `le.mu`, `client->mu`, `m[...]`.
  std::string str() const;
};

/// How a diagnostic names a variable (a structured binding's decomposed
/// object by its first name).
std::string varName(const VarDecl *VD);

/// \p A and \p B (the same abstract object) are surely two objects: the
/// member they end in is held by value in different members or variables
/// (`objA.a.m` and `lockB.m`, `trx->mutex.m` and `thd->lock.m`: a project's
/// mutex type wrapping the real one, one abstract object for all).
bool surelyDistinct(const ObjectKey &A, const ObjectKey &B);

/// While alive, ObjectKey::object() reads a reference or pointer data
/// member that ends a key as what \p Resolve says it always refers to (a
/// member of another class, a global; null: itself). The exact key keeps
/// its own path. One scope at a time, on one thread (an analysis's run).
class MemberTargets {
public:
  using Fn = std::function<const ValueDecl *(const FieldDecl *)>;
  explicit MemberTargets(Fn Resolve);
  ~MemberTargets();
  MemberTargets(const MemberTargets &) = delete;
  MemberTargets &operator=(const MemberTargets &) = delete;
  static const ValueDecl *resolve(const ValueDecl *Member);

private:
  Fn Resolve;
  const MemberTargets *Outer;
};

/// Builds keys for the expressions of one function (or lambda).
class KeyBuilder {
public:
  /// \p Body: the code whose local references and pointers may be looked
  /// through (those initialised once and never assigned there).
  explicit KeyBuilder(const Stmt *Body);

  ObjectKey keyOf(const Expr *E) const;
  /// The key of a use of \p VD (a local reference stands for its
  /// initialiser, ...).
  ObjectKey keyOfVar(const VarDecl *VD) const { return keyOfVar(VD, 0); }
  /// \p K with a leading member of a local aggregate initialised with
  /// braces replaced by that member's initialiser's key.
  ObjectKey simplify(ObjectKey K) const;
  /// The variables assigned (or passed by non-const reference) in the body.
  bool isReassigned(const VarDecl *VD) const { return Assigned.count(VD); }

private:
  ObjectKey keyOf(const Expr *E, unsigned Depth) const;
  ObjectKey keyOfVar(const VarDecl *VD, unsigned Depth) const;
  /// The object a call of a function defined here returns (a reference, a
  /// pointer, a future of a promise), in the caller's terms.
  ObjectKey keyOfReturn(const CallExpr *Call, unsigned Depth) const;
  /// What a structured binding of a call's result names: the handle the
  /// callee makes afresh and returns at that place, or nothing.
  ObjectKey keyOfBinding(const BindingDecl *BD) const;
  /// The structured bindings assigned, or passed by non-const reference.
  llvm::DenseSet<const BindingDecl *> AssignedBindings;
  llvm::DenseSet<const VarDecl *> Assigned;
  /// Those of them given another value by an assignment (not only stepped
  /// by `++`/`--`).
  llvm::DenseSet<const VarDecl *> Written;
  /// Per callee, what every `return` of it names in its own terms (rooted
  /// at its `this` or a parameter), or nothing.
  mutable llvm::DenseMap<const FunctionDecl *, std::optional<ObjectKey>>
      Returns;
};

/// A call that runs a callable it is handed at once, in the caller's thread
/// and with the caller's locks, as a call would: `std::call_once(flag, f,
/// args...)`, `boost::call_once(flag, f)` (and Boost's older `call_once(f,
/// flag)`). The index of the callable among the call's arguments.
std::optional<unsigned> invokedArgument(const CallExpr *Call);

/// The function such a call runs: a lambda's call operator (written there,
/// or a local variable initialised with one), a function (`f`, `&f`) or a
/// member function (`&C::f`, its object the next argument). Null if \p Call
/// runs none we can name.
const FunctionDecl *invokedFunction(const CallExpr *Call);

/// The argument \p Call gives \p Callee's parameter \p Param, and the
/// object it calls \p Callee on (its `this`): for a member call, an
/// operator call and an invoking call (invokedArgument()) alike. Null where
/// the call has none.
const Expr *argumentFor(const CallExpr *Call, const FunctionDecl *Callee,
                        unsigned Param);
const Expr *objectFor(const CallExpr *Call, const FunctionDecl *Callee);

/// The key, in the caller, of \p CalleeKey (a key in \p Callee's terms)
/// when \p Call calls \p Callee: its `this` becomes the call's object, its
/// parameters the arguments. Keys rooted at the callee's own locals become
/// abstract (Root Unknown); keys rooted at variables the callee only
/// captures (a lambda's enclosing function's) are kept. A lambda's `this`
/// is the caller's only when \p CallerFn is the function the lambda is
/// written in; called from elsewhere (through a std::function), the key
/// becomes abstract.
ObjectKey mapThroughCall(const ObjectKey &CalleeKey, const CallExpr *Call,
                         const FunctionDecl *Callee, const KeyBuilder &Caller,
                         const FunctionDecl *CallerFn = nullptr);

/// A handle: a class of the project's whose one data member is a smart
/// pointer (lldb's `SBMutex` over a `shared_ptr<recursive_mutex>`, a Go-style
/// `chan<T>` over its shared state): a copy shares the object it points to,
/// so the handle names that object, and two handles may name one.
bool isHandle(QualType T);

/// A member of std::pair: `first`, `second`.
bool isPairMember(const ValueDecl *Member);

/// The container an iterator is taken from: `c.begin()`, `c.find(k)`,
/// `c.erase(it)` (a method of a standard container returning an
/// iterator), or null.
const Expr *iteratedContainer(const Expr *Init);

} // namespace clang::tidy::threadleak

#endif
