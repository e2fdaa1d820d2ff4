//===--- LockModel.h - what locks and unlocks a mutex -------------*- C++ -*-===//
//
// The lock events of one statement, as a CFG element: a guard constructed
// (std::lock_guard, std::unique_lock, std::scoped_lock, Boost's and the
// user's own RAII guards) acquires its mutexes and its destructor releases
// them; `m.lock()` / `m.unlock()`, `lk.lock()` / `lk.unlock()`,
// pthread_mutex_lock / unlock, std::lock; a condition-variable wait releases
// the waiter's mutex and acquires it again before it returns.
//
// A mutex is named by the variable or data member that holds it (the
// abstract object of the concurrency model, without aliasing yet). A
// "lockable" is any class with lock() and unlock() members (any case), or
// pthread_mutex_t.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_MODEL_LOCKMODEL_H
#define THREADLEAK_MODEL_LOCKMODEL_H

#include "model/ConcurrencyModel.h"
#include "clang/AST/ExprCXX.h"
#include "clang/Analysis/CFG.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"

namespace clang::tidy::threadleak {

namespace defaults {
extern const char LockGuardTypes[];
/// Shared mutexes a holder must not read-lock again: a writer waiting in
/// between holds the second read lock back (undefined behaviour for the
/// standard's; Boost's give waiting writers priority).
extern const char WriterPreferringMutexes[];
} // namespace defaults

struct LockEvent {
  enum KindTy { Acquire, Release };
  KindTy Kind;
  const ValueDecl *Mutex;
  /// The expression that names the mutex (a guard's argument, the object
  /// of `m.lock()`, pthread's argument), for the analyses that need more
  /// than the declaration: which object's mutex it is.
  const Expr *MutexExpr = nullptr;
  /// The statement that acquires or releases: the call, the guard's
  /// construction; null for a guard's destructor.
  const Stmt *Site = nullptr;
  /// A shared (reader) acquisition or release.
  bool Shared = false;
  /// A try-lock: it never blocks, and holds the mutex only if it succeeded.
  bool Try = false;
  /// Half of a condition-variable wait: the release while it sleeps, or
  /// the re-acquisition before it returns. The locks held around the wait
  /// do not change.
  bool Wait = false;
};

/// The guard variables of one function: each with the mutexes its
/// construction locks (none for std::defer_lock) and the construction.
struct GuardVariables {
  struct Guard {
    llvm::SmallVector<const ValueDecl *, 2> Mutexes;
    /// The arguments that name them, in the same order.
    llvm::SmallVector<const Expr *, 2> MutexExprs;
    /// The construction (the acquisition's site).
    const CXXConstructExpr *Construction = nullptr;
    /// A reader guard (std::shared_lock, boost::shared_lock).
    bool Shared = false;
    /// Constructed with std::try_to_lock.
    bool Tries = false;
    /// Constructed already owning the lock (std::adopt_lock): no
    /// acquisition at the construction, but a release at the end.
    bool Adopts = false;
  };
  llvm::DenseMap<const VarDecl *, Guard> Vars;
  /// The constructions that initialise a guard variable.
  llvm::DenseMap<const Expr *, const VarDecl *> ByInit;
};

class LockModel {
public:
  explicit LockModel(NameList GuardTypes) : GuardTypes(std::move(GuardTypes)) {}

  /// The mutex that \p E names: `m_`, `*pm`, `&m` (for pthread_mutex_lock),
  /// `p->m`, through smart pointers; null if it names none.
  static const ValueDecl *mutexNamed(const Expr *E);
  /// The type is a lockable: pthread_mutex_t, or a class with lock() and
  /// unlock() members (Lock/Unlock too).
  static bool isLockable(QualType T);
  /// The class part of isLockable(): a lock()/unlock() pair, its own or a
  /// base's.
  static bool isLockableClass(const CXXRecordDecl *RD);
  /// \p RD, a lockable class of the project's (outside system headers)
  /// with methods of its own besides, only lends a data member's lock: each
  /// of its own lock and unlock methods is one call of the same direction
  /// on that member (`void Lock() { proxyMtx.lock(); }`, tendermint's
  /// Mempool). Its lock() is the member's, and its other methods are
  /// ordinary code, not a lock's implementation. Null for any other class
  /// (a class that is only a lock is the mutex).
  const FieldDecl *lentMutex(const CXXRecordDecl *RD) const;
  /// \p Name is a lock's or an unlock's (any case, try-locks included).
  static bool namesLockOrUnlock(llvm::StringRef Name);
  /// \p FD is a lockable class's blocking acquisition (lock(), RLock(),
  /// lock_shared(), ...): what it waits for is the holder's unlock.
  static bool isAcquisition(const FunctionDecl *FD);
  /// \p RD, a reader-writer lock a project writes itself (outside system
  /// headers, with a reader's and a writer's acquire defined here:
  /// lock_shared / lock, RLock / Lock, read_lock / write_lock), makes new readers wait
  /// behind a waiting writer, as its code shows: the writer marks itself
  /// waiting (writes a member the reader's wait reads) before it waits, or
  /// holds a turnstile mutex the reader must take while it blocks, or the
  /// lock wraps an inner one (\p Inner says which classes do).
  static bool holdsReadersBehindWriters(
      const CXXRecordDecl *RD, const SourceManager &SM,
      llvm::function_ref<bool(const CXXRecordDecl *)> Inner,
      unsigned Depth = 0);
  /// A guard class: listed, or a class with a user-declared destructor
  /// constructed from a lockable (leveldb's MutexLock, absl::MutexLock).
  bool isGuardConstruction(const CXXConstructExpr *CE) const;

  /// The guard variables declared in \p Body (lambdas left out).
  GuardVariables guardsIn(const Stmt *Body) const;
  /// The mutex a lock object used as a wait's lock argument stands for: the
  /// mutex of a guard variable, or a lockable itself; null if unknown.
  const ValueDecl *lockedBy(const Expr *Lock) const;

  /// The events of one CFG element (calls into the translation unit's own
  /// functions are the caller's business: see the lock summaries).
  void eventsOf(const CFGElement &E, const GuardVariables &Guards,
                llvm::SmallVectorImpl<LockEvent> &Out) const;

  /// `if (MODE) lock(m);`, `if (MODE) m->unlock();`: an `if` with no else
  /// whose branch only takes or releases a mutex (a lockable's acquisition
  /// or release, pthread's, a project wrapper's), under a test of a mode
  /// of the program, not of the call: a global or static variable (a
  /// member of one), a call of an argument-less function whose body only
  /// returns such a variable (OpenMPI's `opal_using_threads()`, a
  /// library's "threads enabled" switch), or whether a data member or
  /// global the locked mutex is reached through is null; through
  /// `__builtin_expect`. Locking the mode turns off never blocks, so the
  /// lock sets that matter are the mode's that locks: the branch taken.
  /// Never a parameter or a local: a caller may say with one that it
  /// already holds the mutex.
  bool isModeGuardedLocking(const IfStmt *If,
                            const GuardVariables &Guards) const;

private:
  void constructionEvents(const CXXConstructExpr *CE,
                          const GuardVariables &Guards,
                          llvm::SmallVectorImpl<LockEvent> &Out) const;
  void callEvents(const CallExpr *Call, const GuardVariables &Guards,
                  llvm::SmallVectorImpl<LockEvent> &Out) const;
  /// The mutexes a guard construction names (its lockable arguments).
  static void guardMutexes(const CXXConstructExpr *CE,
                           llvm::SmallVectorImpl<const ValueDecl *> &Out,
                           bool &Defers, bool &Adopts,
                           llvm::SmallVectorImpl<const Expr *> *Exprs = nullptr);
  /// A reader guard: std::shared_lock, boost::shared_lock.
  static bool isSharedGuard(const CXXConstructExpr *CE);

  NameList GuardTypes;
  mutable llvm::DenseMap<const CXXRecordDecl *, const FieldDecl *> Lent;
};

} // namespace clang::tidy::threadleak

#endif
