//===--- LockModel.cpp - what locks and unlocks a mutex -------------------===//

#include "model/LockModel.h"
#include "engine/StmtWalk.h"
#include "model/WaitModel.h"
#include "clang/AST/DeclCXX.h"
#include "clang/Basic/SourceManager.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringExtras.h"

namespace clang::tidy::threadleak {

namespace defaults {
const char WriterPreferringMutexes[] =
    "::std::shared_mutex;::std::shared_timed_mutex;::boost::shared_mutex;"
    "::boost::upgrade_mutex";
const char LockGuardTypes[] =
    "::std::lock_guard;::std::unique_lock;::std::scoped_lock;"
    "::std::shared_lock;::boost::lock_guard;::boost::unique_lock;"
    "::boost::shared_lock;::boost::upgrade_lock;::boost::strict_lock;"
    "::boost::unique_lock_ptr";
} // namespace defaults

namespace {
// The names of reader-writer locks' operations, folded (lower case, no
// underscores): std's lock_shared, Go's RLock, Abseil's ReaderLock, and the
// read_lock / write_lock, rdlock / wrlock and lock_read / lock_write of
// projects' own locks.
bool isAcquireName(llvm::StringRef Key) {
  return llvm::is_contained({"lock", "trylock", "lockshared", "trylockshared",
                             "writerlock", "readerlock", "rlock", "tryrlock",
                             "readlock", "writelock", "tryreadlock",
                             "trywritelock", "rdlock", "wrlock", "tryrdlock",
                             "trywrlock", "lockread", "lockwrite"},
                            Key);
}

bool isReleaseName(llvm::StringRef Key) {
  return llvm::is_contained({"unlock", "unlockshared", "writerunlock",
                             "readerunlock", "runlock", "readunlock",
                             "writeunlock", "unlockread", "unlockwrite"},
                            Key);
}

/// A reader's acquisition or release (Go's RLock/RUnlock included).
bool isSharedName(llvm::StringRef Key) {
  return llvm::is_contained(
      {"lockshared", "trylockshared", "readerlock", "rlock", "tryrlock",
       "unlockshared", "readerunlock", "runlock", "readlock", "tryreadlock",
       "readunlock", "rdlock", "tryrdlock", "lockread", "unlockread"},
      Key);
}

/// \p M's body (of the definition the translation unit has) calls an
/// unlock of some lock.
bool unlocksInBody(const CXXMethodDecl *M) {
  const FunctionDecl *Def = nullptr;
  if (!M || !M->hasBody(Def) || !Def->getBody())
    return false;
  bool Unlocks = false;
  llvm::SmallVector<const Stmt *, 16> Work{Def->getBody()};
  while (!Work.empty() && !Unlocks) {
    const Stmt *S = Work.pop_back_val();
    if (!S)
      continue;
    if (const auto *Call = llvm::dyn_cast<CallExpr>(S))
      if (const FunctionDecl *F = Call->getDirectCallee();
          F && F->getIdentifier())
        Unlocks |= isReleaseName(foldedName(F->getName())) ||
                   F->getName() == "pthread_mutex_unlock";
    Work.append(S->child_begin(), S->child_end());
  }
  return Unlocks;
}

bool isWaitName(llvm::StringRef Name) {
  return Name == "wait" || Name == "wait_for" || Name == "wait_until" ||
         Name == "timed_wait";
}

bool isTag(QualType T, llvm::StringRef Name) {
  const CXXRecordDecl *RD = recordOf(T);
  return RD && RD->getIdentifier() && RD->getName() == Name;
}

/// What a small accessor that \p Call calls returns.
const Expr *accessorResult(const CallExpr *Call) {
  return accessorReturnValue(Call->getDirectCallee());
}

/// The guard construction behind a variable's initialiser, through
/// `auto lk = std::unique_lock(m)`'s functional cast and copies, and
/// through an accessor that returns one (`auto lk = lock();`).
const CXXConstructExpr *constructionIn(const Expr *Init) {
  bool ThroughAccessor = false;
  while (Init) {
    Init = bareExpr(Init);
    if (const auto *Call = llvm::dyn_cast<CallExpr>(Init)) {
      if (ThroughAccessor)
        return nullptr;
      ThroughAccessor = true;
      Init = accessorResult(Call);
      continue;
    }
    if (const auto *FC = llvm::dyn_cast<CXXFunctionalCastExpr>(Init)) {
      Init = FC->getSubExpr();
      continue;
    }
    const auto *CE = llvm::dyn_cast<CXXConstructExpr>(Init);
    if (!CE)
      return nullptr;
    if (CE->getNumArgs() == 1 &&
        CE->getConstructor()->isCopyOrMoveConstructor()) {
      Init = CE->getArg(0);
      continue;
    }
    return CE;
  }
  return nullptr;
}
} // namespace

const ValueDecl *LockModel::mutexNamed(const Expr *E) {
  E = bareExpr(E);
  if (const auto *UO = llvm::dyn_cast<UnaryOperator>(E))
    if (UO->getOpcode() == UO_AddrOf)
      E = UO->getSubExpr();
  // An accessor of this object that returns one of its data members, or a
  // function that returns a global: `mtx()`. Of another object
  // (`store_.mtx()`), only an accessor that returns its own data member
  // directly (`return mu_;`): one returning `inner.mu` would give a
  // wrapper's mutex and the mutex inside it two names.
  // (`*p` of a smart pointer is the object it points to, however short
  // its operator* is: libc++'s is one `return`.)
  if (const auto *Call = llvm::dyn_cast<CallExpr>(bareExpr(E));
      Call && !llvm::isa<CXXOperatorCallExpr>(Call)) {
    if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call))
      if (!llvm::isa<CXXThisExpr>(bareExpr(MC->getImplicitObjectArgument())))
        return ownDataMember(accessorResult(Call));
    if (const Expr *Ret = accessorResult(Call)) {
      const ValueDecl *D = namedObject(Ret);
      const auto *VD = llvm::dyn_cast_or_null<VarDecl>(D);
      return D && (llvm::isa<FieldDecl>(D) || (VD && VD->hasGlobalStorage()))
                 ? D
                 : nullptr;
    }
  }
  return namedObject(E);
}

namespace {
/// The acquire methods of a project's reader-writer lock class (outside
/// system headers, both defined here), or none.
struct RwAcquires {
  const FunctionDecl *Reader = nullptr, *Writer = nullptr;
};
RwAcquires rwAcquires(const CXXRecordDecl *RD, const SourceManager &SM) {
  RwAcquires A;
  if (!RD || !(RD = RD->getDefinition()) ||
      SM.isInSystemHeader(SM.getExpansionLoc(RD->getLocation())))
    return A;
  for (const CXXMethodDecl *M : RD->methods()) {
    if (!M->getIdentifier() || M->isConst())
      continue;
    std::string Key = foldedName(M->getName());
    if (!isAcquireName(Key) || llvm::StringRef(Key).starts_with("try"))
      continue;
    const FunctionDecl *Def = nullptr;
    if (!M->hasBody(Def) || !Def)
      continue;
    (isSharedName(Key) ? A.Reader : A.Writer) = Def;
  }
  return A;
}

/// The calls in \p Body that block, with the member of `this` each is on
/// (null for another object): waits, and locks (untried acquisitions).
struct BlockingCalls {
  llvm::SmallVector<std::pair<const CXXMemberCallExpr *, const FieldDecl *>, 2>
      Waits, Locks;
};
BlockingCalls blockingCalls(const Stmt *Body) {
  BlockingCalls Out;
  walkOwnCode(Body, [&](const Stmt *S) {
    const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S);
    const FunctionDecl *F = MC ? MC->getDirectCallee() : nullptr;
    if (!F || !F->getIdentifier())
      return;
    const FieldDecl *On = ownDataMember(MC->getImplicitObjectArgument());
    std::string Key = foldedName(F->getName());
    if (isWaitName(F->getName()))
      Out.Waits.push_back({MC, On});
    else if (isAcquireName(Key) && !llvm::StringRef(Key).starts_with("try"))
      Out.Locks.push_back({MC, On});
  });
  return Out;
}
} // namespace

bool LockModel::holdsReadersBehindWriters(
    const CXXRecordDecl *RD, const SourceManager &SM,
    llvm::function_ref<bool(const CXXRecordDecl *)> Inner, unsigned Depth) {
  RwAcquires A = Depth > 3 ? RwAcquires() : rwAcquires(RD, SM);
  if (!A.Reader || !A.Writer)
    return false;
  const Stmt *R = A.Reader->getBody(), *W = A.Writer->getBody();
  BlockingCalls RB = blockingCalls(R), WB = blockingCalls(W);
  auto Before = [&](const Stmt *X, const Stmt *Y) {
    return SM.isBeforeInTranslationUnit(X->getBeginLoc(), Y->getBeginLoc());
  };
  // A wrapper: the reader takes an inner lock's read side, the writer its
  // write side; it holds readers back where the inner lock does.
  for (const auto &[MC, L] : RB.Locks) {
    const CXXRecordDecl *LC =
        L ? L->getType().getNonReferenceType()->getAsCXXRecordDecl() : nullptr;
    if (!LC || !isSharedName(foldedName(MC->getMethodDecl()->getName())) ||
        !(Inner(LC) || holdsReadersBehindWriters(LC, SM, Inner, Depth + 1)))
      continue;
    if (llvm::any_of(WB.Locks, [&](const auto &P) { return P.second == L; }))
      return true;
  }
  // A turnstile: the writer holds a mutex while it blocks on another lock,
  // and a reader must take that mutex first.
  llvm::SmallPtrSet<const FieldDecl *, 2> ReaderTakes;
  walkOwnCode(R, [&](const Stmt *S) {
    if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(S))
      for (const Expr *Arg : CE->arguments())
        if (const FieldDecl *F = ownDataMember(Arg))
          ReaderTakes.insert(F);
  });
  for (const auto &[MC, F] : RB.Locks)
    if (F)
      ReaderTakes.insert(F);
  bool Turnstile = false;
  walkOwnCode(W, [&](const Stmt *S) {
    const auto *CE = llvm::dyn_cast<CXXConstructExpr>(S);
    const FieldDecl *T =
        CE && CE->getNumArgs() ? ownDataMember(CE->getArg(0)) : nullptr;
    if (!T || !ReaderTakes.count(T) || !isLockable(T->getType()))
      return;
    // The writer's body is the guard's scope: guards there live to its end.
    Turnstile |= llvm::any_of(WB.Locks, [&](const auto &P) {
      return P.second != T && Before(CE, P.first);
    });
  });
  if (Turnstile)
    return true;
  // A waiting writer's mark: the writer writes a member before it waits,
  // and the reader's wait reads it (Go's readerWait, writersWaiting_).
  llvm::SmallPtrSet<const FieldDecl *, 4> ReaderWaitReads;
  for (const auto &[MC, On] : RB.Waits)
    for (const Expr *Arg : MC->arguments())
      walkWithLambdas(Arg, nullptr, [&](const Stmt *S) {
        if (const auto *ME = llvm::dyn_cast<MemberExpr>(S))
          if (const auto *F = llvm::dyn_cast<FieldDecl>(ME->getMemberDecl()))
            ReaderWaitReads.insert(F);
      });
  bool Marks = false;
  walkOwnCode(W, [&](const Stmt *S) {
    const Expr *Target = nullptr;
    if (const auto *UO = llvm::dyn_cast<UnaryOperator>(S)) {
      if (UO->isIncrementDecrementOp())
        Target = UO->getSubExpr();
    } else if (const auto *BO = llvm::dyn_cast<BinaryOperator>(S)) {
      if (BO->isAssignmentOp())
        Target = BO->getLHS();
    }
    const FieldDecl *F = Target ? ownDataMember(Target) : nullptr;
    if (F && ReaderWaitReads.count(F))
      Marks |= llvm::any_of(WB.Waits,
                            [&](const auto &P) { return Before(S, P.first); });
  });
  return Marks;
}

bool LockModel::isLockable(QualType T) {
  T = T.getNonReferenceType();
  if (T->isPointerType())
    T = T->getPointeeType();
  if (const auto *TT = T->getAs<TypedefType>())
    if (TT->getDecl()->getName() == "pthread_mutex_t")
      return true;
  return isLockableClass(T->getAsCXXRecordDecl());
}

/// \p E reads a mode of the program: a global or static variable, a
/// member of one, or an argument-less function that only returns one.
static bool readsProgramMode(const Expr *E, unsigned Depth = 0) {
  E = bareExpr(E);
  if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E)) {
    const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl());
    // Not a thread's own flag: one may say "this thread holds it".
    return VD && VD->hasGlobalStorage() &&
           VD->getTLSKind() == VarDecl::TLS_None &&
           !VD->getType()->isReferenceType();
  }
  if (const auto *ME = llvm::dyn_cast<MemberExpr>(E))
    return !ME->isArrow() && llvm::isa<FieldDecl>(ME->getMemberDecl()) &&
           readsProgramMode(ME->getBase(), Depth);
  const auto *Call = llvm::dyn_cast<CallExpr>(E);
  if (!Call || Depth > 1)
    return false;
  const FunctionDecl *F = Call->getDirectCallee();
  if (!F)
    return false;
  // __builtin_expect(mode, 0): OPAL_UNLIKELY and friends.
  if (F->getBuiltinID() == Builtin::BI__builtin_expect)
    return Call->getNumArgs() == 2 && readsProgramMode(Call->getArg(0), Depth);
  if (Call->getNumArgs() != 0 || llvm::isa<CXXMethodDecl>(F))
    return false;
  const Expr *Returned = accessorReturnValue(F);
  return Returned && readsProgramMode(Returned, Depth + 1);
}

/// \p Ptr, a data member or a global (through members of either), is what
/// \p Locked goes through to reach its mutex.
static bool lockedThrough(const Expr *Ptr, const Expr *Locked) {
  Ptr = bareExpr(Ptr);
  const ValueDecl *P = nullptr;
  if (const auto *ME = llvm::dyn_cast<MemberExpr>(Ptr))
    P = llvm::dyn_cast<FieldDecl>(ME->getMemberDecl());
  else if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(Ptr))
    if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl());
        VD && VD->hasGlobalStorage())
      P = VD;
  if (!P || !Ptr->getType()->isPointerType())
    return false;
  bool Found = false;
  walkOwnCode(Locked, [&](const Stmt *S) {
    if (const auto *ME = llvm::dyn_cast<MemberExpr>(S))
      Found |= ME->getMemberDecl() == P;
    else if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(S))
      Found |= DRE->getDecl() == P;
  });
  return Found;
}

bool LockModel::isModeGuardedLocking(const IfStmt *If,
                                     const GuardVariables &Guards) const {
  if (!If || If->getElse() || If->hasInitStorage() || If->hasVarStorage() ||
      If->isConsteval())
    return false;
  const Stmt *Then = If->getThen();
  if (const auto *CS = llvm::dyn_cast<CompoundStmt>(Then))
    Then = CS->size() == 1 ? CS->body_front() : nullptr;
  const auto *Call = llvm::dyn_cast_or_null<CallExpr>(
      Then ? bareExpr(llvm::dyn_cast<Expr>(Then)) : nullptr);
  if (!Call)
    return false;
  // The branch only locks or unlocks.
  llvm::SmallVector<LockEvent, 2> Events;
  callEvents(Call, Guards, Events);
  const Expr *Locked = nullptr;
  if (!Events.empty()) {
    if (llvm::any_of(Events, [](const LockEvent &E) { return E.Try; }))
      return false;
    Locked = Events.front().MutexExpr;
  } else if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call)) {
    const CXXMethodDecl *M = MC->getMethodDecl();
    if (!M || !M->getIdentifier() || !isLockableClass(M->getParent()))
      return false;
    std::string Key = foldedName(M->getName());
    if (!(isAcquisition(M) || isReleaseName(Key)))
      return false;
    Locked = MC->getImplicitObjectArgument();
  } else {
    return false;
  }
  const Expr *Cond = If->getCond();
  if (!Cond)
    return false;
  if (readsProgramMode(Cond))
    return true;
  // `if (mu_) mu_->lock();`: a mutex the object (or the program) may not
  // have.
  Cond = bareExpr(Cond);
  if (const auto *BO = llvm::dyn_cast<BinaryOperator>(Cond);
      BO && BO->getOpcode() == BO_NE) {
    const Expr *R = BO->getRHS()->IgnoreParenImpCasts();
    const auto *Zero = llvm::dyn_cast<IntegerLiteral>(R);
    if (llvm::isa<CXXNullPtrLiteralExpr, GNUNullExpr>(R) ||
        (Zero && Zero->getValue() == 0))
      Cond = BO->getLHS();
  }
  return Locked && lockedThrough(Cond, Locked);
}

bool LockModel::isAcquisition(const FunctionDecl *FD) {
  const auto *MD = llvm::dyn_cast_or_null<CXXMethodDecl>(FD);
  if (!MD || !MD->getIdentifier())
    return false;
  std::string Key = foldedName(MD->getName());
  return isAcquireName(Key) && !llvm::StringRef(Key).starts_with("try") &&
         isLockableClass(MD->getParent());
}

bool LockModel::isLockableClass(const CXXRecordDecl *RD) {
  if (!RD || !RD->hasDefinition())
    return false;
  RD = RD->getDefinition();
  bool Lock = false, Unlock = false;
  auto Scan = [&](const CXXRecordDecl *C) {
    for (const CXXMethodDecl *M : C->methods())
      if (M->getIdentifier()) {
        std::string Key = foldedName(M->getName());
        // lock/unlock, or a reader-writer lock's own pair (read_lock,
        // write_unlock...).
        Lock |= isAcquireName(Key) && !llvm::StringRef(Key).starts_with("try");
        Unlock |= isReleaseName(Key);
      }
    return true;
  };
  Scan(RD);
  RD->forallBases(Scan);
  return Lock && Unlock;
}

/// The data member \p M's body lends its lock of, in one call of the
/// direction its name says: `proxyMtx.lock()`, `return mu_.try_lock()`,
/// `pthread_mutex_unlock(&m_)`; null otherwise.
static const FieldDecl *forwardedTo(const CXXMethodDecl *M,
                                    llvm::StringRef Key) {
  const FunctionDecl *Def = nullptr;
  if (!M->hasBody(Def))
    return nullptr;
  const auto *Body = llvm::dyn_cast_or_null<CompoundStmt>(Def->getBody());
  if (!Body || Body->size() != 1)
    return nullptr;
  const Stmt *Only = Body->body_front();
  if (const auto *Ret = llvm::dyn_cast<ReturnStmt>(Only))
    Only = Ret->getRetValue();
  const auto *Call = llvm::dyn_cast_or_null<CallExpr>(Only);
  const FunctionDecl *Callee = Call ? Call->getDirectCallee() : nullptr;
  if (!Callee || !Callee->getIdentifier())
    return nullptr;
  const Expr *Target = nullptr;
  std::string CalleeKey = foldedName(Callee->getName());
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call)) {
    Target = MC->getImplicitObjectArgument();
  } else if (Call->getNumArgs() == 1 &&
             (Callee->getName() == "pthread_mutex_lock" ||
              Callee->getName() == "pthread_mutex_unlock")) {
    Target = Call->getArg(0);
    CalleeKey = Callee->getName() == "pthread_mutex_lock" ? "lock" : "unlock";
  }
  if (!Target || CalleeKey != Key)
    return nullptr;
  Target = Target->IgnoreParenImpCasts();
  if (const auto *UO = llvm::dyn_cast<UnaryOperator>(Target);
      UO && (UO->getOpcode() == UO_AddrOf || UO->getOpcode() == UO_Deref))
    Target = UO->getSubExpr()->IgnoreParenImpCasts();
  const auto *ME = llvm::dyn_cast<MemberExpr>(Target);
  if (!ME || !llvm::isa<CXXThisExpr>(ME->getBase()->IgnoreParenImpCasts()))
    return nullptr;
  const auto *F = llvm::dyn_cast<FieldDecl>(ME->getMemberDecl());
  return F && LockModel::isLockable(F->getType()) ? F : nullptr;
}

bool LockModel::namesLockOrUnlock(llvm::StringRef Name) {
  std::string Key = foldedName(Name);
  return isAcquireName(Key) || isReleaseName(Key);
}

const FieldDecl *LockModel::lentMutex(const CXXRecordDecl *RD) const {
  if (!RD || !RD->hasDefinition())
    return nullptr;
  RD = RD->getDefinition();
  auto [It, New] = Lent.try_emplace(RD, nullptr);
  if (!New)
    return It->second;
  if (RD->getASTContext().getSourceManager().isInSystemHeader(
          RD->getLocation()))
    return nullptr;
  const FieldDecl *To = nullptr;
  bool Lock = false, Unlock = false, Other = false;
  for (const CXXMethodDecl *M : RD->methods()) {
    if (!M->getIdentifier() || M->isImplicit())
      continue;
    std::string Key = foldedName(M->getName());
    bool Acquires = isAcquireName(Key), Releases = isReleaseName(Key);
    if (!Acquires && !Releases) {
      Other = true;
      continue;
    }
    const FieldDecl *F = forwardedTo(M, Key);
    if (!F || (To && F != To))
      return nullptr;
    To = F;
    Lock |= Acquires && !llvm::StringRef(Key).starts_with("try");
    Unlock |= Releases;
  }
  // A class that is only the lock (a project's Mutex over std::mutex) is
  // one: its name is the mutex's.
  if (!Lock || !Unlock || !Other)
    return nullptr;
  Lent[RD] = To;
  return To;
}

/// A word of it (identifierWords) that says "takes the lock": `Lock`, `lock_shared`,
/// `AcquireRead`, `EnterCriticalSection`.
static bool saysLock(llvm::StringRef Name) {
  for (const std::string &W : identifierWords(Name))
    if (W == "lock" || W == "locks" || W == "locker" || W == "guard" ||
        W == "holder" || W == "acquire" || W == "enter")
      return true;
  return false;
}

bool LockModel::isGuardConstruction(const CXXConstructExpr *CE) const {
  const CXXConstructorDecl *Ctor = CE->getConstructor();
  const CXXRecordDecl *RD = Ctor->getParent();
  if (GuardTypes.contains(RD))
    return true;
  // A user RAII guard: a destructor to release, and a lockable argument.
  if (!RD->hasUserDeclaredDestructor() || CE->getNumArgs() == 0)
    return false;
  bool Lockable = false;
  for (const Expr *Arg : CE->arguments())
    Lockable |= isLockable(Arg->getType()) && mutexNamed(Arg);
  if (!Lockable)
    return false;
  // And a constructor that takes a lock where we see it, or a name that
  // says it is a lock (a handle that keeps a pointer to its owner's mutex,
  // rocksdb's ColumnFamilyHandleImpl, is neither).
  const FunctionDecl *Def = nullptr;
  if (Ctor->hasBody(Def) && Def) {
    bool Locks = false;
    walkOwnCode(Def->getBody(), [&](const Stmt *S) {
      const auto *Call = llvm::dyn_cast<CallExpr>(S);
      const FunctionDecl *F = Call ? Call->getDirectCallee() : nullptr;
      Locks |= F && F->getIdentifier() && saysLock(F->getName());
    });
    return Locks;
  }
  return RD->getIdentifier() && saysLock(RD->getName());
}

void LockModel::guardMutexes(const CXXConstructExpr *CE,
                             llvm::SmallVectorImpl<const ValueDecl *> &Out,
                             bool &Defers, bool &Adopts,
                             llvm::SmallVectorImpl<const Expr *> *Exprs) {
  for (const Expr *Arg : CE->arguments()) {
    QualType T = Arg->getType();
    if (isTag(T, "defer_lock_t"))
      Defers = true;
    else if (isTag(T, "adopt_lock_t"))
      Adopts = true;
    else if (isLockable(T))
      if (const ValueDecl *M = mutexNamed(Arg)) {
        Out.push_back(M);
        if (Exprs)
          Exprs->push_back(Arg);
      }
  }
}

/// A guard constructed with std::try_to_lock: it may not hold its mutex.
static bool triesToLock(const CXXConstructExpr *CE) {
  for (const Expr *Arg : CE->arguments())
    if (isTag(Arg->getType(), "try_to_lock_t"))
      return true;
  return false;
}

bool LockModel::isSharedGuard(const CXXConstructExpr *CE) {
  const CXXRecordDecl *RD = CE->getConstructor()->getParent();
  if (RD->getIdentifier() && RD->getName() == "shared_lock")
    return true;
  // A project's reader guard: its constructor takes a read lock
  // (rocksdb's ReadLock: `mu_->ReadLock()`, `pthread_rwlock_rdlock`).
  const FunctionDecl *Def = nullptr;
  if (!CE->getConstructor()->hasBody(Def) || !Def->getBody())
    return false;
  bool Reads = false;
  walkOwnCode(Def->getBody(), [&](const Stmt *S) {
    const auto *Call = llvm::dyn_cast<CallExpr>(S);
    const auto *FD = Call ? Call->getDirectCallee() : nullptr;
    if (FD && FD->getIdentifier()) {
      std::string Key = foldedName(FD->getName());
      Reads |= isSharedName(Key) && !llvm::StringRef(Key).contains("unlock");
      Reads |= Key == "pthreadrwlockrdlock";
    }
  });
  return Reads;
}

GuardVariables LockModel::guardsIn(const Stmt *Body) const {
  GuardVariables G;
  walkOwnCode(Body, [&](const Stmt *S) {
    const auto *DS = llvm::dyn_cast<DeclStmt>(S);
    if (!DS)
      return;
    for (const Decl *D : DS->decls()) {
      const auto *VD = llvm::dyn_cast<VarDecl>(D);
      if (!VD || !VD->hasLocalStorage() || VD->getType()->isReferenceType())
        continue;
      const CXXConstructExpr *CE = constructionIn(VD->getInit());
      if (!CE || !isGuardConstruction(CE))
        continue;
      GuardVariables::Guard Guard;
      bool Defers = false;
      guardMutexes(CE, Guard.Mutexes, Defers, Guard.Adopts, &Guard.MutexExprs);
      Guard.Construction = CE;
      Guard.Shared = isSharedGuard(CE);
      Guard.Tries = triesToLock(CE);
      if (Defers)
        Guard.Adopts = true; // Not locked now; released at the end if held.
      G.Vars[VD] = std::move(Guard);
      G.ByInit[CE] = VD;
    }
  });
  return G;
}

const ValueDecl *LockModel::lockedBy(const Expr *Lock) const {
  if (!Lock)
    return nullptr;
  const Expr *E = bareExpr(Lock);
  if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E))
    if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl()))
      if (VD->hasLocalStorage() && !llvm::isa<ParmVarDecl>(VD))
        if (const CXXConstructExpr *CE = constructionIn(VD->getInit()))
          if (isGuardConstruction(CE)) {
            llvm::SmallVector<const ValueDecl *, 2> Ms;
            bool Defers = false, Adopts = false;
            guardMutexes(CE, Ms, Defers, Adopts);
            return Ms.size() == 1 ? Ms.front() : nullptr;
          }
  // A guard that is not a local of the waiting function (a guard's member
  // reached through an accessor): which mutex it holds is not known here.
  if (const CXXRecordDecl *RD = recordOf(E->getType()))
    if (GuardTypes.contains(RD))
      return nullptr;
  if (isLockable(E->getType()))
    return mutexNamed(E);
  return nullptr;
}

void LockModel::eventsOf(const CFGElement &E, const GuardVariables &Guards,
                         llvm::SmallVectorImpl<LockEvent> &Out) const {
  if (auto Dtor = E.getAs<CFGAutomaticObjDtor>()) {
    auto It = Guards.Vars.find(Dtor->getVarDecl());
    if (It != Guards.Vars.end())
      for (size_t I = 0; I < It->second.Mutexes.size(); ++I)
        Out.push_back({LockEvent::Release, It->second.Mutexes[I],
                       It->second.MutexExprs[I], nullptr, It->second.Shared});
    return;
  }
  auto S = E.getAs<CFGStmt>();
  if (!S)
    return;
  const Stmt *St = S->getStmt();
  if (const auto *DS = llvm::dyn_cast<DeclStmt>(St)) {
    for (const Decl *D : DS->decls()) {
      const auto *VD = llvm::dyn_cast<VarDecl>(D);
      auto It = VD ? Guards.Vars.find(VD) : Guards.Vars.end();
      if (It == Guards.Vars.end() || It->second.Adopts)
        continue;
      for (size_t I = 0; I < It->second.Mutexes.size(); ++I)
        Out.push_back({LockEvent::Acquire, It->second.Mutexes[I],
                       It->second.MutexExprs[I], It->second.Construction,
                       It->second.Shared, It->second.Tries});
    }
    return;
  }
  if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(St)) {
    constructionEvents(CE, Guards, Out);
    return;
  }
  if (const auto *Call = llvm::dyn_cast<CallExpr>(St))
    callEvents(Call, Guards, Out);
}

void LockModel::constructionEvents(
    const CXXConstructExpr *CE, const GuardVariables &Guards,
    llvm::SmallVectorImpl<LockEvent> &Out) const {
  // A guard variable's construction is its DeclStmt's business.
  if (Guards.ByInit.count(CE) || !isGuardConstruction(CE))
    return;
  // A temporary guard locks and unlocks within its full-expression: an
  // empty critical section.
  llvm::SmallVector<const ValueDecl *, 2> Ms;
  llvm::SmallVector<const Expr *, 2> Es;
  bool Defers = false, Adopts = false;
  guardMutexes(CE, Ms, Defers, Adopts, &Es);
  if (Defers || Adopts)
    return;
  bool Shared = isSharedGuard(CE);
  for (size_t I = 0; I < Ms.size(); ++I)
    Out.push_back(
        {LockEvent::Acquire, Ms[I], Es[I], CE, Shared, triesToLock(CE)});
  for (size_t I = 0; I < Ms.size(); ++I)
    Out.push_back({LockEvent::Release, Ms[I], Es[I], CE, Shared});
}

void LockModel::callEvents(const CallExpr *Call, const GuardVariables &Guards,
                           llvm::SmallVectorImpl<LockEvent> &Out) const {
  const FunctionDecl *Callee = Call->getDirectCallee();
  if (!Callee || !Callee->getIdentifier())
    return;
  llvm::StringRef Name = Callee->getName();
  // The mutexes a lock object stands for: a guard variable's, or itself.
  struct Named {
    const ValueDecl *Mutex;
    const Expr *E;
    bool Shared;
  };
  auto MutexesOf = [&](const Expr *Obj, llvm::SmallVectorImpl<Named> &Ms) {
    const Expr *E = bareExpr(Obj);
    if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E))
      if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl())) {
        auto It = Guards.Vars.find(VD);
        if (It != Guards.Vars.end()) {
          for (size_t I = 0; I < It->second.Mutexes.size(); ++I)
            Ms.push_back({It->second.Mutexes[I], It->second.MutexExprs[I],
                          It->second.Shared});
          return;
        }
      }
    if (isLockable(E->getType()))
      if (const ValueDecl *M = mutexNamed(E))
        Ms.push_back({M, E, false});
  };
  auto Emit = [&](LockEvent::KindTy K, llvm::ArrayRef<Named> Ms, bool Shared,
                  bool Try, bool Wait = false) {
    for (const Named &M : Ms)
      Out.push_back({K, M.Mutex, M.E, Call, Shared || M.Shared, Try, Wait});
  };

  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call)) {
    llvm::SmallVector<Named, 2> Ms;
    if (isWaitName(Name)) {
      // cv.wait(lk, ...): the waiter's mutex is released while it sleeps
      // and acquired again before the wait returns.
      if (MC->getNumArgs() >= 1)
        MutexesOf(MC->getArg(0), Ms);
      Emit(LockEvent::Release, Ms, false, false, /*Wait=*/true);
      Emit(LockEvent::Acquire, Ms, false, false, /*Wait=*/true);
      return;
    }
    std::string Key = foldedName(Name);
    bool Acquire = isAcquireName(Key);
    if (!Acquire && !isReleaseName(Key)) {
      // A guard's own early release (oneTBB's scoped_lock::release()),
      // told apart from std::unique_lock::release(), which lets go of
      // the mutex still locked, by its body: it unlocks.
      const auto *DRE = llvm::dyn_cast<DeclRefExpr>(
          bareExpr(MC->getImplicitObjectArgument()));
      const auto *VD = DRE ? llvm::dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
      if (Key != "release" || !VD || !unlocksInBody(MC->getMethodDecl()))
        return;
      if (Guards.Vars.count(VD)) {
        MutexesOf(MC->getImplicitObjectArgument(), Ms);
      } else if (llvm::isa<ParmVarDecl>(VD) &&
                 VD->getType()->isLValueReferenceType()) {
        // A guard handed by reference (oneTBB's `add_ref_unsafe(lock,
        // ...)`, which calls `lock.release()`): the parameter stands for
        // the caller's guard, which the caller maps to its mutex.
        Ms.push_back({VD, DRE, false});
      }
      Emit(LockEvent::Release, Ms, false, false);
      return;
    }
    MutexesOf(MC->getImplicitObjectArgument(), Ms);
    Emit(Acquire ? LockEvent::Acquire : LockEvent::Release, Ms,
         isSharedName(Key), llvm::StringRef(Key).starts_with("try"));
    return;
  }
  if (llvm::isa<CXXOperatorCallExpr>(Call))
    return;
  bool Global =
      Callee->getDeclContext()->getRedeclContext()->isTranslationUnit();
  if (Global && Name.starts_with("pthread_")) {
    bool Acquire =
        Name == "pthread_mutex_lock" || Name == "pthread_mutex_trylock" ||
        Name == "pthread_mutex_timedlock" || Name == "pthread_mutex_clocklock";
    bool Release = Name == "pthread_mutex_unlock";
    bool Wait = Name == "pthread_cond_wait" ||
                Name == "pthread_cond_timedwait" ||
                Name == "pthread_cond_clockwait";
    unsigned Arg = Wait ? 1 : 0;
    if ((Acquire || Release || Wait) && Call->getNumArgs() > Arg)
      if (const ValueDecl *M = mutexNamed(Call->getArg(Arg))) {
        const Expr *E = Call->getArg(Arg);
        if (Release || Wait)
          Out.push_back({LockEvent::Release, M, E, Call, false, false, Wait});
        if (!Release)
          Out.push_back({LockEvent::Acquire, M, E, Call, false,
                         Name != "pthread_mutex_lock" && !Wait, Wait});
      }
    return;
  }
  // std::lock(a, b, ...), boost::lock(a, b, ...).
  if (Name == "lock" && Callee->isInStdNamespace()) {
    llvm::SmallVector<Named, 2> Ms;
    for (const Expr *Arg : Call->arguments())
      MutexesOf(Arg, Ms);
    Emit(LockEvent::Acquire, Ms, false, false);
  }
}

} // namespace clang::tidy::threadleak
