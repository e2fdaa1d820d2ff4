//===--- ConcurrencyModel.h - threadleak's model of concurrency APIs ------===//
//
// What spawns a concurrent context, what blocks it, and what lets it stop.
// Every list is a check option, so users extend the model without
// recompiling; the defaults describe the standard library, POSIX threads and
// Boost.Thread.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_MODEL_CONCURRENCYMODEL_H
#define THREADLEAK_MODEL_CONCURRENCYMODEL_H

#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "clang/AST/Type.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/StringSet.h"
#include <string>
#include <vector>

namespace clang::tidy::threadleak {

/// The qualified name of \p D as users write it: inline namespaces
/// (std::__cxx11, std::__1) and template arguments are left out, so
/// "std::counting_semaphore::acquire" names every specialization's method.
std::string plainQualifiedName(const NamedDecl *D);

/// A set of qualified names read from a check option ("::std::thread;
/// boost::thread"), matched against declarations by plainQualifiedName.
class NameList {
public:
  NameList() = default;
  /// Parses a ';'- or ','-separated list; blanks and a leading "::" are
  /// ignored.
  static NameList parse(llvm::StringRef List);

  bool contains(const NamedDecl *D) const;
  /// True if \p Call calls a listed function. A method matches through the
  /// class that declares it and through the class of the object it is
  /// called on, so "std::future::wait" finds libstdc++'s inherited
  /// std::__basic_future::wait.
  bool containsCallee(const CallExpr *Call) const;
  bool containsName(llvm::StringRef QualifiedName) const;
  bool empty() const { return Names.empty(); }
  /// The names in the order they were given, with a leading "::", for
  /// matchers (hasAnyName) and for writing the option back.
  const std::vector<std::string> &names() const { return Ordered; }
  /// The list as an option value: "::a;::b".
  std::string str() const;
  /// Adds \p More (qualified names, as in a `.threadleak.yaml`).
  void add(const std::vector<std::string> &More);

private:
  llvm::StringSet<> Names;
  std::vector<std::string> Ordered;
};

/// The default value of each list option; docs/configuration.md documents
/// them.
namespace defaults {
extern const char ThreadTypes[];
extern const char JThreadTypes[];
extern const char DetachedSpawnFunctions[];
extern const char DetachedCoroutineTypes[];
extern const char ScopedSpawnFunctions[];
extern const char StopSignalFunctions[];
extern const char BlockingFunctions[];
extern const char InterruptionPoints[];
/// Executors that run a callable they are handed once, elsewhere (not an
/// option yet: the blocking analysis's built-in knowledge).
extern const char RunOnceSubmitFunctions[];
} // namespace defaults

/// The model one check instance works with, built from its options.
struct ConcurrencyModel {
  /// Thread handle types whose construction from a callable starts a thread
  /// and which can be detached (std::thread, std::jthread, boost::thread,
  /// boost::fibers::fiber).
  NameList ThreadTypes;
  /// Thread types that pass a std::stop_token to their callable and whose
  /// destructor requests stop and joins.
  NameList JThreadTypes;
  /// Functions that run their callable argument on a context nobody joins.
  NameList DetachedSpawnFunctions;
  /// Coroutine return types whose coroutines nobody can await or join.
  NameList DetachedCoroutineTypes;
  /// Member functions that run a coroutine in a scope object, which owns
  /// it until somebody calls the scope's join().
  NameList ScopedSpawnFunctions;
  /// Calls that end a loop when a stop is requested, by throwing or
  /// unwinding (boost::this_thread::interruption_point, pthread_testcancel).
  NameList StopSignalFunctions;
  /// Waits that block with no timeout until another context releases them.
  NameList BlockingFunctions;
  /// Boost.Thread's interruption points (built in, not an option): they end
  /// a loop only by throwing boost::thread_interrupted after somebody calls
  /// interrupt() on a handle of the thread that runs them.
  NameList InterruptionPoints = NameList::parse(defaults::InterruptionPoints);
  /// Whether the InterruptionPoints listed in StopSignalFunctions are ways
  /// out: false for a context nobody can interrupt (a detached thread, a
  /// std::thread, a pthread).
  bool InterruptionPointsStop = true;

  /// How deep to follow calls from a thread body into functions defined in
  /// the translation unit.
  unsigned MaxCallDepth = 4;
};

/// std::stop_token, by value or reference.
bool isStopTokenType(QualType T);
/// std::stop_source (by value).
bool isStopSourceType(QualType T);

/// What runs on a context of thread type \p RD: "fiber" for
/// boost::fibers::fiber, else "thread".
llvm::StringRef threadNoun(const CXXRecordDecl *RD);

/// The contexts of \p RD can never be interrupted with Boost.Thread's
/// interrupt(): std::thread and std::jthread (a Boost interruption point is
/// a no-op on a thread Boost did not start).
bool isNeverInterruptible(const CXXRecordDecl *RD);

/// \p E without the implicit nodes (casts, temporaries, cleanups) and
/// parentheses around it.
const Expr *bareExpr(const Expr *E);

/// bareExpr(), and through copy and move constructions.
const Expr *bareExprThroughCopies(const Expr *E);

/// What a small accessor returns: the value of the single `return` that is
/// the whole body of \p FD's definition (`std::mutex &mtx() { return m_; }`),
/// or null.
const Expr *accessorReturnValue(const FunctionDecl *FD);

/// An iterator class (a standard container's `iterator`, libstdc++'s
/// `__normal_iterator`, `_Rb_tree_iterator`...), by its name.
bool isIteratorClass(const CXXRecordDecl *RD);

/// The data member of `this` that \p E names directly (`m_`, `this->m_`),
/// or null (`in.m`, a local, a call).
const FieldDecl *ownDataMember(const Expr *E);

/// A name as the model's word lists compare it: lower case, without
/// underscores (`Stop`, `stop_all` and `StopAll` alike; `try_lock`, `TryLock`).
std::string foldedName(llvm::StringRef Name);

/// The words of an identifier, lower case: `TryReceive`, `try_receive` and
/// `tryReceive` all give {try, receive}; an acronym ends before the
/// capital that starts the next word (`RWLock`: {rw, lock}) and digits
/// separate words without being one (`lock2`: {lock}).
std::vector<std::string> identifierWords(llvm::StringRef Name);

/// The record behind \p T (through references, pointers and typedefs).
const CXXRecordDecl *recordOf(QualType T);

/// The first template argument of the class \p T names (a container's
/// element, a smart pointer's pointee), or a null type.
QualType firstTypeArgument(QualType T);

/// std::make_shared, std::make_unique, std::allocate_shared.
bool isStdFactory(const FunctionDecl *FD);

/// \p FD is a virtual member function that neither it nor its class
/// declares `final`: a call of it may run an override's body.
bool mayRunOverride(const FunctionDecl *FD);

} // namespace clang::tidy::threadleak

#endif
