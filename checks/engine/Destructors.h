//===--- Destructors.h - what destroying an object runs ----------*- C++
//-*-===//
//
// A destructor is a call the source does not spell: `delete p`, a smart
// pointer's `reset()` or assignment, a container's `erase()` or `clear()`,
// a local object at the end of its scope and a destructor's members and
// bases all run code of the translation unit (a thread wrapper's join, a
// callback registry's unregister under its mutex). This is where the model
// learns which: the destructor definitions destroying a value of a type may
// run, through the members and bases of classes whose destructor is not
// written, the elements of the standard containers and the pointees of
// std::unique_ptr and std::shared_ptr (the last owner destroys; any one may
// be the last), and through a virtual destructor, the destructors of the
// classes derived from it.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_ENGINE_DESTRUCTORS_H
#define THREADLEAK_ENGINE_DESTRUCTORS_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/ExprCXX.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

namespace clang::tidy::threadleak {

/// An expression that destroys objects as it runs: what it destroys (the
/// type of the destroyed value) and the object that holds it.
struct Destruction {
  /// The value destroyed: a pointee (delete, a smart pointer's reset), or
  /// the container whose elements are erased (its element types are read
  /// through it).
  QualType Destroyed;
  /// The expression naming the object destroyed (or its owner).
  const Expr *Object = nullptr;
  /// Destroyed through a pointer: a virtual destructor dispatches.
  bool Dynamic = false;
  explicit operator bool() const { return !Destroyed.isNull(); }
};

/// The class of \p T, or of what it owns if it is a std::unique_ptr or
/// std::shared_ptr: whose destructor runs on the object itself.
const CXXRecordDecl *ownedClass(QualType T);

/// The class of the elements of \p T, a standard container (its first
/// type argument), or null.
const CXXRecordDecl *elementClass(QualType T);

/// A standard type-erased callable: std::function, std::move_only_function,
/// std::copyable_function.
bool isCallableWrapper(QualType T);

/// A class whose destructor joins the thread it runs: std::jthread.
bool isJoiningThread(const CXXRecordDecl *RD);

/// \p S destroys something: `delete p`; `p.reset(...)` or `p = ...` of a
/// std::unique_ptr or std::shared_ptr; `f = ...` of a std::function (its
/// old target, a closure and what it captured); `c.erase(...)`,
/// `c.clear()`, `c.pop_front()`, `c.pop_back()`, `c.pop()` of a standard
/// container or std::optional's `reset()`.
Destruction destructionAt(const Stmt *S);

/// Which destructor definitions (with bodies in this translation unit)
/// destroying a value of a type may run. Memoized per type.
class DestructorClosure {
public:
  /// \p HasUnit: the destructor definitions the model reads.
  /// The closure classes (lambdas) converted to each type of callable
  /// wrapper (`std::function<void()>`, canonical): what destroying one may
  /// destroy.
  using CallableTargets =
      llvm::DenseMap<const Type *, llvm::SmallVector<const CXXRecordDecl *, 2>>;

  explicit DestructorClosure(
      llvm::function_ref<bool(const FunctionDecl *)> HasUnit,
      llvm::ArrayRef<const CXXDestructorDecl *> Written,
      const CallableTargets *Callables = nullptr)
      : HasUnit(HasUnit), Written(Written.begin(), Written.end()),
        Callables(Callables) {}

  /// The destructors destroying a \p T runs (\p Dynamic: through a
  /// pointer, so those of the classes derived from it too), in a stable
  /// order, without duplicates: definitions the model reads, and
  /// declarations of destructors that join a thread (std::jthread's, and
  /// the implicit one of a class with a std::jthread member).
  llvm::ArrayRef<const FunctionDecl *> of(QualType T, bool Dynamic);

private:
  void collect(QualType T, bool Dynamic, unsigned Depth,
               llvm::SmallVectorImpl<const FunctionDecl *> &Out);
  llvm::function_ref<bool(const FunctionDecl *)> HasUnit;
  /// Every written destructor definition the model reads.
  llvm::SmallVector<const CXXDestructorDecl *, 8> Written;
  const CallableTargets *Callables;
  llvm::DenseMap<std::pair<const Decl *, unsigned>,
                 llvm::SmallVector<const FunctionDecl *, 2>>
      Cache;
};

} // namespace clang::tidy::threadleak

#endif
