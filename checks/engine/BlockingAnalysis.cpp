//===--- BlockingAnalysis.cpp - can this operation wait forever? ----------===//

#include "engine/BlockingAnalysis.h"
#include "engine/BodyResolver.h"
#include "engine/ChannelCapacity.h"
#include "engine/ChannelFlow.h"
#include "engine/ClassHierarchy.h"
#include "engine/CrossTU.h"
#include "engine/CvPredicate.h"
#include "engine/Destructors.h"
#include "engine/ForeverAnalysis.h"
#include "engine/SpawnSites.h"
#include "engine/StateFlags.h"
#include "engine/StmtWalk.h"
#include "engine/Templates.h"
#include "model/FutureModel.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/Attr.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/AST/StmtCXX.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"
#include "clang/Analysis/CFG.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Lexer.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SetVector.h"
#include <functional>
#include <map>
#include <set>
#include <tuple>

namespace clang::tidy::threadleak {

namespace {

using KeyList = llvm::SmallVector<ObjectKey, 4>;

/// A lock the code must hold at a point.
struct HeldLock {
  ObjectKey Key;
  bool Shared = false;
  /// Where it was acquired, and the calls from the holding unit down to it.
  const Stmt *Site = nullptr;
  llvm::SmallVector<const CallExpr *, 2> Chain;
  /// Acquired by an explicit lock() call in the holding unit itself.
  bool Explicit = false;
  /// Acquired by a call, in the holding unit itself, of a project's
  /// function that returns holding it (EnterCriticalSection()).
  bool ByWrapper = false;
};

struct State {
  bool Reached = false;
  llvm::SmallVector<HeldLock, 4> Held;
  /// The (abstract) mutexes released on some path so far.
  KeyList Released;
};

/// One names a project's mutex wrapper, the other the mutex inside it
/// (`lock` and `lock.m`, a `Mutex` class whose `m` a condition's Wait()
/// adopts; or `cv.mu_->m` for a wrapper of that class): the same lock, or
/// maybe the same.
bool wrapsLock(const ObjectKey &A, const ObjectKey &B) {
  if (A.Path.size() == B.Path.size())
    return false;
  const ObjectKey &Short = A.Path.size() < B.Path.size() ? A : B;
  const ObjectKey &Long = A.Path.size() < B.Path.size() ? B : A;
  auto InsideFrom = [&](size_t I) {
    return llvm::all_of(llvm::drop_begin(Long.Path, I),
                        [](const ValueDecl *M) { return M != nullptr; });
  };
  if (A.Root != ObjectKey::Unknown && A.Root == B.Root &&
      A.RootVar == B.RootVar &&
      std::equal(Short.Path.begin(), Short.Path.end(), Long.Path.begin()) &&
      InsideFrom(Short.Path.size()))
    return true;
  // The mutex inside a wrapper of the other's class, reached some other
  // way (leveldb's CondVar holds the `Mutex *mu_` it was built with, and
  // its Wait() adopts `mu_->mu_`): it may be the same wrapper, so a wait
  // may release it. Not known to be held while it waits.
  const ValueDecl *Wrapper = Short.object();
  if (!Wrapper || Short.isElement())
    return false;
  const auto *Inner = llvm::dyn_cast_or_null<FieldDecl>(Long.Path.back());
  const CXXRecordDecl *WrapperClass =
      Wrapper->getType().getNonReferenceType()->getAsCXXRecordDecl();
  return Inner && WrapperClass && Long.Path.size() >= 2 &&
         Inner->getParent()->getCanonicalDecl() ==
             WrapperClass->getCanonicalDecl();
}

bool containsObject(llvm::ArrayRef<ObjectKey> Keys, const ObjectKey &K) {
  return llvm::any_of(Keys,
                      [&](const ObjectKey &O) { return O.sameObject(K); });
}

void addObject(llvm::SmallVectorImpl<ObjectKey> &Keys, const ObjectKey &K) {
  if (!containsObject(Keys, K))
    Keys.push_back(K);
}

bool sameHeld(const HeldLock &A, const HeldLock &B) {
  return A.Key == B.Key && A.Shared == B.Shared;
}

bool operator==(const State &A, const State &B) {
  if (A.Reached != B.Reached || A.Held.size() != B.Held.size() ||
      A.Released.size() != B.Released.size())
    return false;
  for (size_t I = 0; I < A.Held.size(); ++I)
    if (!sameHeld(A.Held[I], B.Held[I]))
      return false;
  for (size_t I = 0; I < A.Released.size(); ++I)
    if (!A.Released[I].sameObject(B.Released[I]))
      return false;
  return true;
}

State join(const State &A, const State &B) {
  if (!A.Reached)
    return B;
  if (!B.Reached)
    return A;
  State R;
  R.Reached = true;
  for (const HeldLock &H : A.Held)
    if (llvm::any_of(B.Held, [&](const HeldLock &O) { return sameHeld(H, O); }))
      R.Held.push_back(H);
  R.Released = A.Released;
  for (const ObjectKey &K : B.Released)
    addObject(R.Released, K);
  return R;
}

void releaseFrom(State &S, const ObjectKey &K) {
  // Released counts what may be a lock the unit's callers hold: the
  // release of a lock this unit itself took (the same object, held here)
  // is not one. A callee that takes and releases a mutex in a loop still
  // cannot release a caller's hold of it: it would wait for itself first.
  bool Own = K.exact() && llvm::any_of(S.Held, [&](const HeldLock &H) {
               return H.Key == K;
             });
  llvm::erase_if(S.Held,
                 [&](const HeldLock &H) { return H.Key.sameObject(K); });
  if (!Own)
    addObject(S.Released, K);
}

/// What an operation on a channel or a condition variable is.
enum class OpKind {
  Receive,
  Send,
  TrySend,
  TryReceive,
  Close,
  Wait,
  Notify,
  /// Handed to code we do not read (a select's case constructor, a function
  /// without a body): it may do anything to the object.
  Unknown,
  /// std::latch::wait / arrive_and_wait, std::counting_semaphore::acquire:
  /// blocks until a count_down / release.
  CounterWait,
  CounterSignal,
  /// WaitGroup::add: a later wait blocks until as many dones.
  CounterAdd,
  /// A future's get() or wait(): blocks until its promise is set or
  /// destroyed. The object is the promise (model/FutureModel.h).
  FutureWait,
  FutureSet,
  /// The promise's destruction: a waiter wakes with broken_promise.
  FutureDrop,
  /// A wait that only a stop ends (a stop-aware wait whose predicate is
  /// `false`, a wait for `stop_requested()`). The object is the wait's
  /// condition variable; the stop source is found from its token.
  StopWait,
  /// A std::stop_source's `request_stop()`: the object is the source.
  StopRequest,
};

/// An operation on a channel or a condition variable, with the locks held
/// there (abstract objects).
struct OpRecord {
  OpKind Kind;
  const Stmt *Site;
  ObjectKey Object;
  const CodeUnit *Unit;
  KeyList Held;
  /// The object's type (its channel spec, or its condition variable
  /// class), for names that may alias.
  const void *Type = nullptr;
  /// A channel operation's channel type.
  const ChannelSpec *Spec = nullptr;
};

/// A blocking operation reached with locks held (possibly none).
struct BlockedOp {
  OpKind Kind;
  const CallExpr *Call;
  ObjectKey Object;
  /// The wait's own mutex (released while it sleeps).
  ObjectKey OwnMutex;
  const CodeUnit *Unit;               ///< The unit that holds the locks.
  const CodeUnit *SiteUnit = nullptr; ///< The unit the operation is written in.
  llvm::SmallVector<const CallExpr *, 2> Chain; ///< From Unit to Call.
  llvm::SmallVector<HeldLock, 2> Held;
  /// A member of a race (`co_await (a || b)`): blocks only if every member
  /// does.
  const Stmt *Race = nullptr;
  bool HasPredicate = false;
  bool Unbuffered = false;
  /// A send's channel capacity, where it is known.
  std::optional<uint64_t> Capacity;
  /// A latch or semaphore that blocks its first waiter as created (a latch
  /// with a count, a semaphore with none).
  bool BlocksAsCreated = false;
  /// A wait group's wait: it blocks once something adds to it.
  bool BlocksAfterAdd = false;
  /// A latch's wait.
  bool Latch = false;
  /// A future's wait through the object that holds its promise too
  /// (`this->done_.wait()` of `this->donePromise_`): that object, hence
  /// the promise, lives while the wait does; its destruction is no
  /// partner.
  bool OwnerAlive = false;
  const void *Type = nullptr;
};

/// Values of `bool` parameters that some code requires in order to run
/// (`if (lock) ...`: lock must be true).
using Requirements = llvm::SmallVector<std::pair<const ParmVarDecl *, bool>, 1>;

/// Adds \p R to \p To; false if \p To already requires the opposite (the
/// code never runs).
bool addRequirement(Requirements &To, std::pair<const ParmVarDecl *, bool> R) {
  for (const auto &[P, V] : To)
    if (P == R.first)
      return V == R.second;
  To.push_back(R);
  return true;
}

/// What a callee does, in its own terms, for its callers.
struct Effect {
  /// Join: a thread's join() (Site), in SiteUnit: a caller holding a lock
  /// the thread needs waits forever (reportJoins).
  enum KindTy { Acquire, Block, Join } Kind;
  ObjectKey Key;
  bool Shared = false;
  const Stmt *Site = nullptr;
  llvm::SmallVector<const CallExpr *, 2> Chain;
  KeyList ReleasedBefore;
  /// For an Acquire: under a branch on a parameter of the unit (`if
  /// (need_lock) mu.lock();`): a caller may be one that says not to.
  bool Conditional = false;
  /// For an Acquire: a condition wait taking its mutex back.
  bool Rewait = false;
  /// For a Block: the operation (index into Impl::Blocking, as reached in
  /// the callee itself).
  size_t Op = 0;
  /// For a Join: the unit the join is written in.
  const CodeUnit *SiteUnit = nullptr;
  /// Under branches on `bool` parameters that their function only reads:
  /// it happens only where each has the value given. A call that passes a
  /// constant decides; one that passes a parameter of its own hands the
  /// question on to its callers (Impl::requiredAt).
  Requirements Requires;
};

/// A mutex of `this` held while code reached from here acquires the same
/// member of a named object (a callback that locks `le.mu` under
/// `this->mu`): a self-deadlock where a caller's `this` is that object.
struct PendingSelf {
  HeldLock Held;
  ObjectKey Key;
  const Stmt *Site;
  llvm::SmallVector<const CallExpr *, 2> Chain;
};

/// A call back into a unit whose analysis is under way (recursion: a
/// callback that calls the function running it again): the object it is
/// called on, the calls from the summary's unit down to that call, and the
/// locks held along them (in the summary's unit's terms).
struct Reentry {
  const CodeUnit *Target;
  ObjectKey Object;
  llvm::SmallVector<const CallExpr *, 2> Chain;
  llvm::SmallVector<HeldLock, 2> Held;
};

struct Summary {
  std::vector<Effect> Effects;
  llvm::SmallVector<HeldLock, 2> ExitHeld;
  KeyList MayRelease;
  std::vector<PendingSelf> Pending;
  std::vector<Reentry> Reentries;
};

struct Edge {
  ObjectKey From, To;
  HeldLock FromHeld;
  const Stmt *ToSite;
  llvm::SmallVector<const CallExpr *, 2> ToChain;
  const CodeUnit *Unit;
  /// `To` is taken for reading (a shared lock).
  bool ToShared = false;
};

struct LeakCandidate {
  const CodeUnit *Unit;
  const Stmt *Return; ///< Null: falls off the end.
  HeldLock Held;
};

/// A round of a loop that comes back round (\p Back, the block that
/// leads to the loop's transition) still holding \p Held, which the round
/// acquired.
struct LoopLeakCandidate {
  const CodeUnit *Unit;
  const Stmt *Loop;
  const CFGBlock *Back, *Transition;
  HeldLock Held;
};

struct Acquisition {
  ObjectKey Key;
  const Stmt *Site;
  bool Shared;
  const CodeUnit *Unit;
};

//===-- Templates ---------------------------------------------------------===//

/// \p D's qualified name as its template spells it (`receiver::wait`, not
/// `receiver<int>::wait`): the instantiations of one template give the
/// same text. A member of a partial specialization keeps its own name (the
/// pattern's would read `function<type-parameter-0-0 (...)>`).
std::string patternName(const NamedDecl *D) {
  const NamedDecl *P = patternDecl(D);
  for (const DeclContext *DC = P->getDeclContext(); DC; DC = DC->getParent())
    if (llvm::isa<ClassTemplatePartialSpecializationDecl>(DC))
      return D->getQualifiedNameAsString();
  return P->getQualifiedNameAsString();
}

/// A lock whose lock() does nothing (spdlog's null_mutex, the no-op lock a
/// policy-based template is instantiated with for single-threaded use):
/// taking it never waits, so it neither deadlocks nor orders anything.
bool locksNothing(QualType T) {
  T = T.getNonReferenceType();
  if (T->isPointerType())
    T = T->getPointeeType();
  const CXXRecordDecl *RD = T->getAsCXXRecordDecl();
  if (!RD || !RD->hasDefinition())
    return false;
  bool Lock = false;
  for (const CXXMethodDecl *M : RD->methods()) {
    if (!M->getIdentifier() || foldedName(M->getName()) != "lock")
      continue;
    const FunctionDecl *Def = nullptr;
    const auto *Body =
        M->hasBody(Def) && Def
            ? llvm::dyn_cast_or_null<CompoundStmt>(Def->getBody())
            : nullptr;
    if (!Body || !Body->body_empty())
      return false;
    Lock = true;
  }
  return Lock;
}

bool locksNothing(const LockEvent &Ev) {
  if (Ev.MutexExpr)
    return locksNothing(Ev.MutexExpr->getType());
  return Ev.Mutex && locksNothing(Ev.Mutex->getType());
}

/// \p Body (template code that is not analysed, lambdas included) may name
/// the member \p F: by its declaration, or by a dependent name spelled
/// like it; unless \p OnlyDependent, also by the member of the template
/// \p F is instantiated from (`cv` in `Mailbox<T>::stop()` for
/// `Mailbox<int>::cv`).
bool mayNameMember(const Stmt *Body, const NamedDecl *F,
                   bool OnlyDependent = false) {
  if (!Body || !F->getIdentifier())
    return false;
  llvm::StringRef Name = F->getName();
  const NamedDecl *Pattern = OnlyDependent ? F : patternDecl(F);
  bool Names = false;
  walkWithLambdas(Body, nullptr, [&](const Stmt *S) {
    if (Names)
      return;
    if (const auto *ME = llvm::dyn_cast<MemberExpr>(S))
      Names = ME->getMemberDecl() == F || ME->getMemberDecl() == Pattern;
    else if (const auto *DM = llvm::dyn_cast<CXXDependentScopeMemberExpr>(S))
      Names = DM->getMember().getAsString() == Name;
    else if (const auto *UM = llvm::dyn_cast<UnresolvedMemberExpr>(S))
      Names = UM->getMemberName().getAsString() == Name;
    else if (const auto *DR = llvm::dyn_cast<DependentScopeDeclRefExpr>(S))
      Names = DR->getDeclName().getAsString() == Name;
    else if (const auto *Ref = llvm::dyn_cast<DeclRefExpr>(S))
      Names = Ref->getDecl() == F || Ref->getDecl() == Pattern;
    else if (const auto *UL = llvm::dyn_cast<UnresolvedLookupExpr>(S))
      Names = UL->getName().getAsString() == Name;
  });
  return Names;
}

/// \p RD is an instantiation of a class template (or a member class of
/// one), and a member function its template defines but \p RD does not
/// instantiate names \p F: code nothing calls for this instantiation, but
/// code a class defines is a partner wherever it is called from.
bool uninstantiatedMemberNames(const CXXRecordDecl *RD, const FieldDecl *F) {
  const CXXRecordDecl *Pattern = RD->getTemplateInstantiationPattern();
  if (!Pattern)
    return false;
  llvm::SmallPtrSet<const Decl *, 16> Instantiated;
  for (const Decl *D : RD->decls()) {
    if (const auto *FT = llvm::dyn_cast<FunctionTemplateDecl>(D)) {
      if (const FunctionTemplateDecl *From =
              FT->getInstantiatedFromMemberTemplate())
        for (const FunctionDecl *S : FT->specializations())
          if (S->doesThisDeclarationHaveABody())
            Instantiated.insert(From->getTemplatedDecl()->getCanonicalDecl());
      continue;
    }
    const auto *FD = llvm::dyn_cast<FunctionDecl>(D);
    if (!FD || !FD->doesThisDeclarationHaveABody())
      continue;
    if (const FunctionDecl *From = FD->getInstantiatedFromMemberFunction())
      Instantiated.insert(From->getCanonicalDecl());
  }
  for (const Decl *D : Pattern->decls()) {
    const FunctionDecl *FD = llvm::dyn_cast<FunctionDecl>(D);
    if (const auto *FT = llvm::dyn_cast<FunctionTemplateDecl>(D))
      FD = FT->getTemplatedDecl();
    const FunctionDecl *Def = nullptr;
    if (!FD || !FD->hasBody(Def) || !Def ||
        Instantiated.count(FD->getCanonicalDecl()))
      continue;
    if (mayNameMember(Def->getBody(), F))
      return true;
    if (const auto *Ctor = llvm::dyn_cast<CXXConstructorDecl>(Def))
      for (const CXXCtorInitializer *Init : Ctor->inits())
        if (Init->getInit() && mayNameMember(Init->getInit(), F))
          return true;
  }
  return false;
}

std::string unitName(const CodeUnit &U) {
  if (U.Lambda)
    return "the lambda";
  return "'" + patternName(U.Fn) + "'";
}

/// A mutex that may be taken again by its holder: a recursive one, one
/// whose attributes we do not read (pthread), or a wrapper of either
/// (log4cplus's thread::Mutex holds a std::recursive_mutex).
bool isRecursiveType(QualType T, unsigned Depth) {
  T = T.getNonReferenceType().getCanonicalType();
  if (T->isPointerType())
    T = T->getPointeeType().getCanonicalType();
  std::string Name = T.getAsString();
  if (llvm::StringRef(Name).contains_insensitive("recursive") ||
      llvm::StringRef(Name).contains("pthread_mutex"))
    return true;
  // A library's mutex is what its name says (std::mutex holds a
  // pthread_mutex_t, and is not recursive): only the project's own
  // wrappers are looked into.
  const CXXRecordDecl *RD = T->getAsCXXRecordDecl();
  if (!RD || !RD->hasDefinition() || Depth >= 2 || RD->isInStdNamespace() ||
      RD->getASTContext().getSourceManager().isInSystemHeader(
          RD->getLocation()))
    return false;
  for (const FieldDecl *F : RD->fields())
    if (isRecursiveType(F->getType(), Depth + 1))
      return true;
  for (const CXXBaseSpecifier &B : RD->bases())
    if (isRecursiveType(B.getType(), Depth + 1))
      return true;
  return false;
}

bool isRecursiveMutex(const ObjectKey &K) {
  const ValueDecl *D = K.object();
  return !D || isRecursiveType(D->getType(), 0);
}

const char *opNoun(OpKind K) {
  switch (K) {
  case OpKind::Receive:
    return "a receive from";
  case OpKind::Send:
    return "a send on";
  case OpKind::TrySend:
    return "a non-blocking send on";
  case OpKind::TryReceive:
    return "a non-blocking receive from";
  case OpKind::Close:
    return "a close of";
  case OpKind::Wait:
    return "a wait on";
  case OpKind::Notify:
    return "a notify of";
  case OpKind::Unknown:
    return "a use of";
  case OpKind::CounterWait:
    return "a wait on";
  case OpKind::CounterSignal:
    return "a release of";
  case OpKind::CounterAdd:
    return "an add to";
  case OpKind::FutureWait:
    return "a wait for the value of";
  case OpKind::FutureSet:
    return "setting the value of";
  case OpKind::FutureDrop:
    return "the destruction of";
  case OpKind::StopWait:
    return "a wait for a stop, on";
  case OpKind::StopRequest:
    return "a stop request on";
  }
  return "";
}

/// The first argument of the construction \p VD is initialised with (a
/// latch's or a semaphore's count), or null.
const Expr *countArgument(const VarDecl *VD) {
  const auto *CE = llvm::dyn_cast_or_null<CXXConstructExpr>(
      VD && VD->getInit() ? bareExpr(VD->getInit()) : nullptr);
  return CE && CE->getNumArgs() >= 1 ? CE->getArg(0) : nullptr;
}

/// The count a data member is made with: its default member initialiser
/// (`std::latch open_{1};`), where no constructor initialises it otherwise.
const Expr *countArgument(const FieldDecl *FD) {
  const auto *RD =
      FD ? llvm::dyn_cast<CXXRecordDecl>(FD->getParent()) : nullptr;
  if (!RD || !FD->hasInClassInitializer())
    return nullptr;
  for (const CXXConstructorDecl *C : RD->ctors())
    for (const CXXCtorInitializer *Init : C->inits())
      if (Init->isWritten() && Init->getMember() == FD)
        return nullptr;
  const auto *CE = llvm::dyn_cast_or_null<CXXConstructExpr>(
      FD->getInClassInitializer() ? bareExpr(FD->getInClassInitializer())
                                  : nullptr);
  return CE && CE->getNumArgs() >= 1 ? CE->getArg(0) : nullptr;
}

/// A count as the notes write it: its value, or its source text (explicit
/// casts left out) quoted; empty when neither is known.
std::string countText(const Expr *Arg, const ASTContext &Ctx) {
  if (std::optional<uint64_t> N = evaluateCount(Arg, Ctx))
    return std::to_string(*N);
  Arg = Arg->IgnoreParenImpCasts();
  while (const auto *Cast = llvm::dyn_cast<ExplicitCastExpr>(Arg))
    Arg = Cast->getSubExpr()->IgnoreParenImpCasts();
  std::string Text = Lexer::getSourceText(
                         CharSourceRange::getTokenRange(Arg->getSourceRange()),
                         Ctx.getSourceManager(), Ctx.getLangOpts())
                         .str();
  return Text.empty() ? Text : "'" + Text + "'";
}

/// By how much the count-down or add \p Site changes its count: its
/// argument's value, 1 without one; nothing when it is not a call or the
/// value is not known.
std::optional<uint64_t> countStep(const Stmt *Site, const ASTContext &Ctx) {
  const auto *Call = llvm::dyn_cast<CallExpr>(Site);
  if (!Call)
    return std::nullopt;
  if (Call->getNumArgs() == 0)
    return 1;
  return evaluateCount(Call->getArg(0), Ctx);
}

/// A name that may stand for another object of its type: a parameter, a
/// reference, a raw pointer (a smart pointer or an object is its own
/// allocation; a copy of a smart pointer resolves to the original's key).
/// Appends the steps of \p From that \p To does not have yet.
void appendSteps(std::vector<WitnessStep> &To,
                 llvm::ArrayRef<WitnessStep> From) {
  for (const WitnessStep &W : From)
    if (llvm::none_of(To, [&](const WitnessStep &O) {
          return O.At == W.At && O.What == W.What;
        }))
      To.push_back(W);
}

/// A raw or smart pointer: what it points to was allocated elsewhere.
bool isPointerLike(QualType T) {
  T = T.getNonReferenceType().getCanonicalType();
  if (T->isPointerType())
    return true;
  const CXXRecordDecl *RD = recordOf(T);
  return RD && isSmartPointer(RD);
}

bool aliasable(const ObjectKey &K) {
  const ValueDecl *D = K.object();
  if (!D)
    return true;
  QualType T = D->getType();
  // An element that is a pointer (`std::vector<std::shared_ptr<Chan>>`):
  // each element points to an object allocated elsewhere.
  if (K.isElement()) {
    const auto *Spec = llvm::dyn_cast_or_null<ClassTemplateSpecializationDecl>(
        recordOf(T.getNonReferenceType()));
    return Spec &&
           llvm::any_of(Spec->getTemplateArgs().asArray(),
                        [](const TemplateArgument &A) {
                          return A.getKind() == TemplateArgument::Type &&
                                 (isPointerLike(A.getAsType()) ||
                                  isHandle(A.getAsType()));
                        });
  }
  if (llvm::isa<ParmVarDecl>(D))
    return true;
  if (T->isReferenceType() || T->isPointerType())
    return true;
  // A handle (a Go-style `chan<T>` over a shared state) is a pointer: a copy
  // names the same object under another name.
  if (isHandle(T))
    return true;
  // A pointer to a pointer (`std::shared_ptr<std::shared_ptr<Chan>>`): the
  // inner one may be assigned any object.
  if (isPointerLike(T)) {
    QualType Inner =
        T->isPointerType() ? T->getPointeeType() : firstTypeArgument(T);
    return !Inner.isNull() && isPointerLike(Inner);
  }
  return false;
}

/// An expression that creates a new object (`std::make_shared<Chan>()`,
/// `new Chan`, `Chan()`): no operation can be waiting on it yet.
bool isFreshObject(const Expr *E) {
  E = E->IgnoreImplicit();
  if (const auto *M = llvm::dyn_cast<MaterializeTemporaryExpr>(E))
    E = M->getSubExpr()->IgnoreImplicit();
  if (const auto *B = llvm::dyn_cast<CXXBindTemporaryExpr>(E))
    E = B->getSubExpr()->IgnoreImplicit();
  if (llvm::isa<CXXNewExpr>(E))
    return true;
  if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(E))
    return !CE->getConstructor()->isCopyOrMoveConstructor();
  if (const auto *Call = llvm::dyn_cast<CallExpr>(E))
    return isStdFactory(Call->getDirectCallee());
  return false;
}

/// std::move and friends: they hand the object on, not use it.
bool isIdentityLike(const CallExpr *Call) {
  const FunctionDecl *FD = Call->getDirectCallee();
  if (!FD || !FD->getIdentifier() || !FD->isInStdNamespace())
    return false;
  llvm::StringRef N = FD->getName();
  return N == "move" || N == "forward" || N == "addressof";
}

/// The class of the object \p T holds, refers or points to (through smart
/// pointers): two names may alias only if it is the same.
const CXXRecordDecl *objectClass(QualType T) {
  for (int Guard = 0; Guard < 4; ++Guard) {
    const CXXRecordDecl *RD = recordOf(T);
    if (!RD)
      return nullptr;
    const auto *Spec = llvm::dyn_cast<ClassTemplateSpecializationDecl>(RD);
    if (!Spec || !isSmartPointer(RD) || Spec->getTemplateArgs().size() < 1 ||
        Spec->getTemplateArgs()[0].getKind() != TemplateArgument::Type)
      return RD->getCanonicalDecl();
    T = Spec->getTemplateArgs()[0].getAsType();
  }
  return nullptr;
}

/// A promise held by value or through a smart pointer (not a reference or
/// a raw pointer: someone else owns that one).
QualType heldPromise(QualType T) {
  if (T.isNull() || T->isReferenceType() || T->isPointerType())
    return QualType();
  if (const auto *Spec =
          llvm::dyn_cast_or_null<ClassTemplateSpecializationDecl>(
              T->getAsCXXRecordDecl());
      Spec && isSmartPointer(Spec) && Spec->getTemplateArgs().size() >= 1 &&
      Spec->getTemplateArgs()[0].getKind() == TemplateArgument::Type)
    T = Spec->getTemplateArgs()[0].getAsType();
  return isPromiseType(T) && !T->isPointerType() ? T : QualType();
}

/// The promise type a standard container of promises holds (as a type
/// argument: `std::vector<std::promise<T>>`, `std::map<K,
/// std::shared_ptr<std::promise<T>>>`), or null.
QualType elementPromise(QualType T) {
  const auto *Spec = llvm::dyn_cast_or_null<ClassTemplateSpecializationDecl>(
      T.isNull() || T->isPointerType() ? nullptr : recordOf(T));
  if (!Spec || !Spec->isInStdNamespace() || isSmartPointer(Spec))
    return QualType();
  for (const TemplateArgument &A : Spec->getTemplateArgs().asArray())
    if (A.getKind() == TemplateArgument::Type)
      if (QualType P = heldPromise(A.getAsType()); !P.isNull())
        return P;
  return QualType();
}

/// What a partner of a blocked \p K does, for "nothing ... <it>":
/// `sends to it or closes it` (\p ThirdPerson) or `send to it or close it`.
const char *partnerDoes(OpKind K, bool ThirdPerson) {
  switch (K) {
  case OpKind::Receive:
    return ThirdPerson ? "sends to it or closes it" : "send to it or close it";
  case OpKind::Send:
    return ThirdPerson ? "receives from it or closes it"
                       : "receive from it or close it";
  case OpKind::CounterWait:
    return ThirdPerson ? "counts it down or releases it"
                       : "count it down or release it";
  case OpKind::FutureWait:
    return ThirdPerson ? "sets its value" : "set its value";
  default:
    return ThirdPerson ? "notifies it" : "notify it";
  }
}

/// The operations that can complete a blocked \p B: of the right kind
/// (where \p R is on the object at all is the caller's business).
bool isPartner(const BlockedOp &B, const OpRecord &R) {
  OpKind Other = R.Kind;
  if (Other == OpKind::Unknown)
    return true;
  switch (B.Kind) {
  case OpKind::Receive:
    return Other == OpKind::Send || Other == OpKind::TrySend ||
           Other == OpKind::Close;
  case OpKind::Send:
    return Other == OpKind::Receive || Other == OpKind::TryReceive ||
           Other == OpKind::Close;
  case OpKind::Wait:
    return Other == OpKind::Notify;
  case OpKind::CounterWait:
    return Other == OpKind::CounterSignal;
  case OpKind::FutureWait:
    return Other == OpKind::FutureSet ||
           (Other == OpKind::FutureDrop && !B.OwnerAlive);
  case OpKind::StopWait:
    return Other == OpKind::StopRequest;
  default:
    return false;
  }
}

/// A loop whose only way out is a stop: `while (!st.stop_requested())`
/// (or `for (; !st.stop_requested();)`, `do ... while`) with no other
/// exit in its body. The `stop_requested()` call, or null.
const CXXMemberCallExpr *stopOnlyLoop(const Stmt *Loop) {
  const Expr *Cond = loopCondition(Loop);
  const Stmt *Body = loopBody(Loop);
  const auto *Not =
      Cond ? llvm::dyn_cast<UnaryOperator>(Cond->IgnoreParenImpCasts())
           : nullptr;
  if (!Not || Not->getOpcode() != UO_LNot)
    return nullptr;
  const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(
      Not->getSubExpr()->IgnoreParenImpCasts());
  const CXXMethodDecl *M = MC ? MC->getMethodDecl() : nullptr;
  if (!M || !M->getIdentifier() || M->getName() != "stop_requested")
    return nullptr;
  QualType T = MC->getImplicitObjectArgument()->getType();
  if (!isStopTokenType(T) && !isStopSourceType(T))
    return nullptr;
  return noWayOut(Body, false) ? MC : nullptr;
}

static bool isFunctionClass(const CXXRecordDecl *RD) {
  return RD && RD->getIdentifier() && RD->getName() == "function" &&
         (RD->isInStdNamespace() ||
          plainQualifiedName(RD) == "boost::function");
}

bool isFunctionObjectType(QualType T) {
  // A pointer to a function: what it is given, as a std::function.
  if (!T.isNull() && T.getNonReferenceType()->isFunctionPointerType())
    return true;
  const CXXRecordDecl *RD = recordOf(T);
  if (isFunctionClass(RD))
    return true;
  // A smart pointer to a std::function (a registry of
  // `std::shared_ptr<std::function<void()>>` handles): called as `(*p)()`.
  const auto *Spec =
      llvm::dyn_cast_or_null<ClassTemplateSpecializationDecl>(RD);
  if (!Spec || !Spec->isInStdNamespace() || !Spec->getIdentifier() ||
      (Spec->getName() != "shared_ptr" && Spec->getName() != "unique_ptr") ||
      Spec->getTemplateArgs().size() < 1 ||
      Spec->getTemplateArgs()[0].getKind() != TemplateArgument::Type)
    return false;
  return isFunctionClass(recordOf(Spec->getTemplateArgs()[0].getAsType()));
}

/// A container of function objects: an array of them, or a standard
/// sequence or map whose elements (a map's mapped values) are, or are
/// containers of them in turn (a registry of callbacks per key,
/// `std::map<Id, std::vector<Callback>>`). A call through any element may
/// run what any element was given.
bool isFunctionObjectContainer(QualType T, unsigned Depth = 0) {
  T = T.getNonReferenceType();
  if (const auto *AT = llvm::dyn_cast<ArrayType>(T.getCanonicalType()))
    return isFunctionObjectType(AT->getElementType());
  const auto *Spec =
      llvm::dyn_cast_or_null<ClassTemplateSpecializationDecl>(recordOf(T));
  if (!Spec || !Spec->isInStdNamespace() || !Spec->getIdentifier() ||
      T->isPointerType())
    return false;
  static constexpr llvm::StringLiteral Containers[] = {
      "vector", "deque",    "list",          "forward_list",      "array",
      "map",    "multimap", "unordered_map", "unordered_multimap"};
  if (!llvm::is_contained(Containers, Spec->getName()))
    return false;
  for (const TemplateArgument &A : Spec->getTemplateArgs().asArray())
    if (A.getKind() == TemplateArgument::Type &&
        ((isFunctionObjectType(A.getAsType()) &&
          !A.getAsType()->isPointerType()) ||
         (Depth == 0 && isFunctionObjectContainer(A.getAsType(), 1))))
      return true;
  return false;
}

/// `it->second`, `(*it).first`: a member of the element an iterator
/// local (`auto it = m.find(k)`) stands at; its container, or null.
const ValueDecl *iteratorElementContainer(const Expr *E) {
  const auto *ME = llvm::dyn_cast<MemberExpr>(bareExpr(E));
  if (!ME || !isPairMember(ME->getMemberDecl()))
    return nullptr;
  const Expr *Base = bareExpr(ME->getBase());
  if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(Base);
      OC && (OC->getOperator() == OO_Arrow || OC->getOperator() == OO_Star) &&
      OC->getNumArgs() >= 1)
    Base = bareExpr(OC->getArg(0));
  const auto *DRE = llvm::dyn_cast<DeclRefExpr>(Base);
  const auto *It = DRE ? llvm::dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
  if (!It || !It->hasLocalStorage() ||
      !isIteratorClass(It->getType()->getAsCXXRecordDecl()))
    return nullptr;
  const Expr *C = iteratedContainer(It->getInit());
  const ValueDecl *D = C ? namedObject(C) : nullptr;
  return D && isFunctionObjectContainer(D->getType()) ? D : nullptr;
}

/// The container of function objects \p E is an element of (`v[i]`,
/// `m.at(k)`, `v.front()`, `v.back()`, `fs[i]` of an array), or null.
const ValueDecl *elementContainer(const Expr *E) {
  E = bareExpr(E);
  const Expr *Base = nullptr;
  if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(E)) {
    if (OC->getOperator() == OO_Subscript && OC->getNumArgs() == 2)
      Base = OC->getArg(0);
  } else if (const auto *ASE = llvm::dyn_cast<ArraySubscriptExpr>(E)) {
    Base = ASE->getBase();
  } else if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(E)) {
    const CXXMethodDecl *M = MC->getMethodDecl();
    if (M && M->getIdentifier() &&
        (M->getName() == "at" || M->getName() == "front" ||
         M->getName() == "back"))
      Base = MC->getImplicitObjectArgument();
  }
  const ValueDecl *D = Base ? namedObject(Base) : nullptr;
  if (D && isFunctionObjectContainer(D->getType()))
    return D;
  return iteratorElementContainer(E);
}

/// The function object a call's callee expression \p E names: a variable,
/// a data member, a structured binding, or (for an element) its container.
const ValueDecl *calledObject(const Expr *E) {
  if (const ValueDecl *C = elementContainer(E))
    return C;
  if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(bareExpr(E)))
    if (const auto *BD = llvm::dyn_cast<BindingDecl>(DRE->getDecl()))
      return BD;
  return namedObject(E);
}

/// A member function that puts its arguments into a container as elements
/// (`push_back(f)`, `m.emplace(k, f)`, `m.insert({k, f})`).
bool storesElements(const CXXMethodDecl *M) {
  static constexpr llvm::StringLiteral Stores[] = {
      "push_back",   "push_front",   "emplace_back", "emplace_front",
      "emplace",     "emplace_hint", "insert",       "insert_or_assign",
      "try_emplace", "assign"};
  return M && M->getIdentifier() && llvm::is_contained(Stores, M->getName());
}

/// How the translation unit creates objects of the class C: the variables
/// of type C, and whether anything else makes one (a member or an array
/// of C, a class derived from C, a `new`, a temporary or copy, a template
/// argument: a container may hold some).
class ObjectsOf : public RecursiveASTVisitor<ObjectsOf> {
public:
  ObjectsOf(const CXXRecordDecl *C, const SourceManager &SM)
      : C(C->getCanonicalDecl()), SM(SM) {}
  bool shouldVisitTemplateInstantiations() const { return true; }
  bool shouldVisitImplicitCode() const { return true; }

  /// Variables of type C (canonical declarations).
  llvm::SmallPtrSet<const VarDecl *, 2> Vars;
  /// The objects made on the heap: `std::make_shared<C>(..)`,
  /// `std::make_unique<C>(..)`, `new C(..)`, in the project's code.
  llvm::SmallVector<const Expr *, 2> Heap;
  /// The constructions of those made by `new`.
  llvm::SmallPtrSet<const Expr *, 2> HeapInits;
  bool Other = false;

  bool VisitCallExpr(CallExpr *E) {
    const FunctionDecl *FD = E->getDirectCallee();
    const TemplateArgumentList *Args =
        FD ? FD->getTemplateSpecializationArgs() : nullptr;
    if (isStdFactory(FD) && Args && Args->size() >= 1 &&
        Args->get(0).getKind() == TemplateArgument::Type &&
        kind(Args->get(0).getAsType()) == 1 &&
        !SM.isInSystemHeader(E->getBeginLoc()))
      Heap.push_back(E);
    return true;
  }

  bool VisitVarDecl(VarDecl *D) {
    if (int K = kind(D->getType()))
      K == 1 ? (void)Vars.insert(D->getCanonicalDecl()) : (void)(Other = true);
    return true;
  }
  bool VisitFieldDecl(FieldDecl *D) {
    Other |= kind(D->getType()) != 0;
    return true;
  }
  bool VisitCXXRecordDecl(CXXRecordDecl *D) {
    if (D->isThisDeclarationADefinition() && D->getCanonicalDecl() != C)
      for (const CXXBaseSpecifier &B : D->bases())
        Other |= kind(B.getType()) != 0 && !holdsNone(D);
    if (const auto *Spec = llvm::dyn_cast<ClassTemplateSpecializationDecl>(D);
        Spec && !holdsNone(Spec))
      arguments(Spec->getTemplateArgs().asArray());
    return true;
  }
  bool VisitFunctionDecl(FunctionDecl *D) {
    if (const TemplateArgumentList *Args = D->getTemplateSpecializationArgs();
        Args && !isStdFactory(D) && !holdsNone(D))
      arguments(Args->asArray());
    return true;
  }
  bool VisitCXXNewExpr(CXXNewExpr *E) {
    if (int K = kind(E->getAllocatedType())) {
      if (K == 1 && !E->isArray() && !SM.isInSystemHeader(E->getBeginLoc())) {
        Heap.push_back(E);
        // Its construction is this object's, not another.
        if (const Expr *Init = E->getInitializer())
          HeapInits.insert(Init->IgnoreImplicit());
      } else if (!SM.isInSystemHeader(E->getBeginLoc()))
        Other = true;
    }
    return true;
  }
  /// An expression that makes an object; a variable's own initialiser
  /// makes that variable. (The standard library's own constructions are
  /// its factories' or its containers', counted where they are called or
  /// named.)
  bool VisitExpr(Expr *E) {
    if (!llvm::isa<CXXConstructExpr, InitListExpr, CXXParenListInitExpr,
                   CompoundLiteralExpr, ImplicitValueInitExpr>(E) ||
        !kind(E->getType()) || SM.isInSystemHeader(E->getBeginLoc()))
      return true;
    if (const auto *IL = llvm::dyn_cast<InitListExpr>(E))
      if (!IL->isSemanticForm())
        return true;
    Made.push_back(E);
    return true;
  }
  /// Every object made is a variable's initialiser.
  bool onlyInitialisers() const {
    llvm::SmallPtrSet<const Expr *, 4> Inits;
    for (const VarDecl *V : Vars)
      for (const VarDecl *R : V->redecls())
        if (const Expr *Init = R->getInit())
          Inits.insert(Init->IgnoreImplicit());
    return llvm::all_of(Made, [&](const Expr *E) {
      return Inits.count(E->IgnoreImplicit()) ||
             HeapInits.count(E->IgnoreImplicit());
    });
  }

private:
  /// 0: not C; 1: a C; 2: an array of C.
  int kind(QualType T) const {
    if (T.isNull())
      return 0;
    T = T.getCanonicalType();
    bool Array = false;
    while (const auto *AT = llvm::dyn_cast<ArrayType>(T.getTypePtr())) {
      Array = true;
      T = AT->getElementType().getCanonicalType();
    }
    const CXXRecordDecl *RD = T->getAsCXXRecordDecl();
    if (!RD || RD->getCanonicalDecl() != C)
      return 0;
    return Array ? 2 : 1;
  }
  void arguments(llvm::ArrayRef<TemplateArgument> Args) {
    for (const TemplateArgument &A : Args)
      if (A.getKind() == TemplateArgument::Type)
        Other |= kind(A.getAsType()) != 0;
  }
  /// A template of the standard library's (or another system header's)
  /// that holds no C of its own: anything but a container, an optional, a
  /// variant, a tuple or a pair. Smart pointers, their control blocks,
  /// allocators and type traits make no object of C by themselves (a
  /// factory that does is counted where it is called, and a container that
  /// does where it is named); a project's template may hold some.
  bool holdsNone(const NamedDecl *D) const {
    if (!SM.isInSystemHeader(D->getLocation()))
      return false;
    if (llvm::isa<FunctionDecl>(D))
      return true;
    static constexpr llvm::StringLiteral Holders[] = {"vector",
                                                      "deque",
                                                      "list",
                                                      "forward_list",
                                                      "array",
                                                      "map",
                                                      "multimap",
                                                      "set",
                                                      "multiset",
                                                      "unordered_map",
                                                      "unordered_multimap",
                                                      "unordered_set",
                                                      "unordered_multiset",
                                                      "optional",
                                                      "variant",
                                                      "tuple",
                                                      "pair",
                                                      "queue",
                                                      "stack",
                                                      "priority_queue",
                                                      "valarray",
                                                      "_Tuple_impl",
                                                      "_Head_base",
                                                      "_Optional_base",
                                                      "_Optional_payload",
                                                      "_Variant_storage",
                                                      "_Uninitialized",
                                                      "_List_node",
                                                      "_Rb_tree_node",
                                                      "_Hash_node",
                                                      "_Hash_node_value",
                                                      "_Hash_node_value_base",
                                                      "_Fwd_list_node"};
    return !D->getIdentifier() || !llvm::is_contained(Holders, D->getName());
  }
  const CXXRecordDecl *C;
  const SourceManager &SM;
  llvm::SmallVector<const Expr *, 4> Made;
};

} // namespace

class BlockingAnalysis::Impl {
public:
  Impl(ASTContext &Ctx, const SyncInventory &Inv, const LockModel &Locks,
       const ChannelModel &Channels, const ConditionVariableModel &CVs,
       const CounterModel &Counters, const NameList &ThreadTypes,
       unsigned MaxCallDepth, BlockingStats &Stats)
      : Ctx(Ctx), Inv(Inv), Locks(Locks), Channels(Channels), CVs(CVs),
        Counters(Counters), ThreadTypes(ThreadTypes),
        MaxCallDepth(MaxCallDepth), Stats(Stats) {}

  std::vector<BlockingFinding> run();
  void dump(llvm::raw_ostream &OS);
  NameList WriterPreferring =
      NameList::parse(defaults::WriterPreferringMutexes);
  NameList RunOnce = NameList::parse(defaults::RunOnceSubmitFunctions);
  /// Go-style contexts (the model file's), or null.
  const ContextModel *Contexts = nullptr;
  /// The classes of the contexts whose done channels are received from
  /// (an operation's Type).
  llvm::DenseSet<const void *> ContextClasses;
  /// A Go-style select's case constructors.
  SelectCaseModel Cases;
  /// Cases of a select with a default case: they never block.
  llvm::DenseSet<const CallExpr *> NonBlockingCases;
  /// Every case of a select (its call).
  llvm::DenseSet<const Stmt *> CaseSites;
  /// The test of a range-for over a channel (`__begin != __end`), where
  /// the loop's receive blocks, and the loop (where it is recorded).
  llvm::DenseMap<const Stmt *, const Stmt *> RangeTests;
  /// \p Q is the operation recorded at \p Site (a range-for's receive
  /// blocks at its test).
  bool isOpAt(const BlockedOp &Q, const Stmt *Site) const {
    return siteOf(Q) == Site ||
           (Q.Chain.empty() && RangeTests.lookup(Q.Call) == Site);
  }
  /// Per unit, its selects: which case fired (and so what runs after one)
  /// is not followed.
  llvm::DenseMap<const CodeUnit *, llvm::SmallPtrSet<const Stmt *, 2>> Selects;
  /// \p Call makes a case of a select: the operation it stands for.
  ChannelOp caseOp(const CallExpr *Call) const;
  /// Some code of \p From (a site and the code that leads to it, see
  /// ancestors()) may reach its statement after a select: which case
  /// fired, and what ordered it, is not followed.
  bool afterSelect(const llvm::MapVector<const CodeUnit *, const Stmt *> &From);
  /// \p Race is a Go-style select (not an awaited `||`).
  static bool isSelect(const Stmt *Race) {
    return Race && !llvm::isa<CoawaitExpr>(Race);
  }

private:
  struct UnitInfo {
    const CodeUnit *U = nullptr;
    enum { NotYet, InProgress, Done } Status = NotYet;
    bool Relevant = false;
    std::unique_ptr<KeyBuilder> KB;
    GuardVariables Guards;
    llvm::DenseMap<const CallExpr *, const CodeUnit *> Calls;
    /// Calls through a std::function whose lambdas are known, and virtual
    /// calls that may run one of several overriders.
    llvm::DenseMap<const CallExpr *, llvm::SmallVector<const CodeUnit *, 2>>
        Indirect;
    /// Of those, the calls whose targets are only what may run (a virtual
    /// call): nothing a target does is certain to happen.
    llvm::SmallPtrSet<const CallExpr *, 2> MayOnly;
    llvm::SmallPtrSet<const CallExpr *, 4> Awaited;
    llvm::DenseMap<const CallExpr *, const Stmt *> RaceOf;
    /// The implicit calls of a range-for over a channel (begin, end, ++):
    /// the range receive is the operation.
    llvm::SmallPtrSet<const CallExpr *, 4> RangeCalls;
    Summary Sum;
    /// Abstract mutexes released by an explicit call / by anything.
    KeyList ExplicitReleases, AnyReleases;
    /// Released where this unit does not hold them: its callers' locks
    /// (a condition's Wait() that unlocks its caller's mutex and locks it
    /// again returns it to them).
    KeyList CallersReleased;
    /// The CFG, kept for the questions asked after the dataflow, and where
    /// each statement is in it (block, element index).
    std::unique_ptr<CFG> G;
    llvm::DenseMap<const Stmt *, std::pair<unsigned, unsigned>> Pos;
    /// The statements under a branch on a parameter: the parameter values
    /// the branch requires, or Opaque where it tests one in a way we do not
    /// read (a caller may say not to; Effect::Conditional).
    struct ParamGuard {
      Requirements Requires;
      bool Opaque = false;
    };
    llvm::DenseMap<const Stmt *, ParamGuard> ParamGuards;
    /// The skeleton, for --dump-model: (statement, what happens, held).
    std::vector<std::tuple<SourceLocation, std::string, std::string>> Skeleton;
    /// Self-deadlocks on a mutex the unit itself acquired (the held lock,
    /// the key taken again, where, and the calls down to it), judged once
    /// its CFG is complete (flagStopsReentry asks where its statements
    /// are).
    std::vector<PendingSelf> OwnSelfDeadlocks;
    /// Calls back into this unit, with the locks it held there: judged
    /// against what it acquires once its summary is complete.
    struct OwnReentry {
      llvm::SmallVector<HeldLock, 2> Held;
      ObjectKey Object;
      llvm::SmallVector<const CallExpr *, 2> Chain;
    };
    std::vector<OwnReentry> OwnReentries;
  };

  UnitInfo &info(const CodeUnit *U) {
    auto &P = Infos[U];
    if (!P) {
      P = std::make_unique<UnitInfo>();
      P->U = U;
    }
    return *P;
  }
  void prepare(UnitInfo &I);
  /// \p U's CFG, implicit destructors on (a guard's end is an event).
  std::unique_ptr<CFG> buildCFG(const CodeUnit &U) {
    CFG::BuildOptions Opts;
    Opts.AddImplicitDtors = true;
    // A constructor's written initialisers are its first steps (the
    // inventory lists their calls as the constructor's).
    Opts.AddInitializers = true;
    Opts.setAllAlwaysAdd();
    return CFG::buildCFG(U.Fn, const_cast<Stmt *>(U.Body), &Ctx, Opts);
  }
  /// The key of \p E in \p I's names; where no path names it, the
  /// abstract object \p Fallback (or the variable or member \p E names).
  /// The units \p Call may run: its callee, or the lambdas of the
  /// std::function it calls through.
  static llvm::SmallVector<const CodeUnit *, 2>
  targetsOf(const UnitInfo &I, const CallExpr *Call) {
    if (const CodeUnit *Callee = I.Calls.lookup(Call))
      return {Callee};
    auto It = I.Indirect.find(Call);
    return It == I.Indirect.end() ? llvm::SmallVector<const CodeUnit *, 2>()
                                  : It->second;
  }
  /// A key mapped into \p I through a call: a guard of \p I's handed to
  /// the callee by reference (`relock(lk)`, which unlocks and locks `lk`)
  /// is the mutex it guards.
  ObjectKey calleeKey(const UnitInfo &I, const ObjectKey &K,
                      const CallExpr *Call, const FunctionDecl *Callee) const {
    ObjectKey M = mapThroughCall(K, Call, Callee, *I.KB, I.U->Fn);
    if (M.Root == ObjectKey::Var && M.Path.empty() && M.RootVar)
      if (auto G = I.Guards.Vars.find(M.RootVar);
          G != I.Guards.Vars.end() && G->second.MutexExprs.size() == 1) {
        ObjectKey Mu = keyOf(I, G->second.MutexExprs.front());
        if (Mu.valid())
          return Mu;
      }
    return M;
  }
  /// The context \p E names (a context, or a call of its Done member), or
  /// nothing if \p E is none. A context a factory made is keyed by the
  /// variable that holds it (for `auto [ctx, cancel] = with_cancel()`, the
  /// decomposed pair: the context and its cancel function are one
  /// object); one derived from a parent, by the parent (cancelling the
  /// parent cancels it); copies and init-captures by what they copy.
  std::optional<ObjectKey> contextKey(const UnitInfo &I, const Expr *E,
                                      unsigned Depth = 0) const;
  /// \p B, a send in a lambda, is on a local of the code that creates the
  /// lambda, made afresh for each lambda it creates, and nothing else
  /// sends on it.
  bool freshPerRun(const BlockedOp &B) const;
  /// \p Call of a method that only returns a context member's done
  /// channel (`Dying()`): that member of the object it is called on.
  std::optional<ObjectKey>
  forwardedDone(const UnitInfo &I, const CallExpr *Call, unsigned Depth) const;
  /// The context member whose done channel \p Call's method only returns.
  const FieldDecl *forwardedDoneMember(const CallExpr *Call) const;
  /// The key of the context that \p VD, initialised by a factory call,
  /// holds.
  std::optional<ObjectKey> factoryKey(const UnitInfo &I, const VarDecl *VD,
                                      unsigned Depth) const;
  /// \p Call cancels a context (a Cancel member, or a call of the cancel
  /// function a factory returned): which one. \p Callee gets the
  /// expression naming the context or the cancel function.
  std::optional<ObjectKey> cancelKey(const UnitInfo &I, const CallExpr *Call,
                                     const Expr *&Callee) const;
  ObjectKey keyOf(const UnitInfo &I, const Expr *E,
                  const ValueDecl *Fallback = nullptr) const {
    if (Contexts && E)
      if (std::optional<ObjectKey> C = contextKey(I, E))
        return *C;
    ObjectKey K = I.KB->keyOf(E);
    if (K.valid())
      return K;
    if (!Fallback && E)
      Fallback = namedObject(E);
    if (Fallback)
      K.Path.push_back(Fallback);
    return K;
  }
  /// The acquisition of \p K that \p Ev makes, as an effect of \p I's
  /// summary, with what was released before it (for a wait taking its
  /// mutex back, that mutex too: its own hold was given up first).
  void addAcquireEffect(UnitInfo &I, const State &S, const ObjectKey &K,
                        const LockEvent &Ev) {
    Effect Ef;
    Ef.Kind = Effect::Acquire;
    Ef.Key = K;
    Ef.Shared = Ev.Shared;
    Ef.Site = Ev.Site;
    Ef.Rewait = Ev.Wait;
    Ef.ReleasedBefore = S.Released;
    if (Ev.Wait)
      addObject(Ef.ReleasedBefore, K);
    addEffect(I, std::move(Ef));
  }
  /// \p Call, made with \p S, calls a function defined in another unit
  /// whose summary says what it acquires: those are acquisitions at the
  /// call, and effects of \p I's summary.
  void acquiredElsewhere(UnitInfo &I, State &S, const CallExpr *Call);
  /// Records, for the cross-TU pass, what each function other units can
  /// call acquires.
  void recordAcquires(crosstu::Recording &Rec) const;
  /// A held lock of \p S is a global, or \p Callee's object or a parameter
  /// is of a class (or derives from one) whose lockable data member the
  /// unit's code names (LockOwners, computed on first use).
  bool mayAcquireNamed(const FunctionDecl *Callee, const State &S);
  llvm::DenseSet<const CXXRecordDecl *> LockOwners;
  bool LockOwnersKnown = false;
  /// Adds to \p F, after each step at a call of ExternalAcquires, the
  /// acquisition in the other unit.
  void externalNotes(BlockingFinding &F) const;
  /// The mutex a lock event takes or gives back: a class that lends a
  /// member's lock (LockModel::lentMutex) stands for that member.
  ObjectKey lockKey(const UnitInfo &I, const LockEvent &Ev) const {
    ObjectKey K = keyOf(I, Ev.MutexExpr, Ev.Mutex);
    QualType T;
    if (Ev.MutexExpr)
      T = Ev.MutexExpr->getType();
    else if (Ev.Mutex)
      T = Ev.Mutex->getType();
    if (K.valid() && !T.isNull())
      if (const FieldDecl *F = Locks.lentMutex(recordOf(T)))
        K.Path.push_back(F);
    return K;
  }
  bool isModelledImplementation(const CodeUnit &U) const;
  /// The locks \p LE, the body of a context started where it is written
  /// (a thread's or a spawn function's callable), may release without
  /// taking them first: those its starter hands it.
  KeyList handedTo(const LambdaExpr *LE, unsigned Depth) {
    const CodeUnit *L = Inv.unitOf(LE->getCallOperator());
    if (!L || Depth + 1 > MaxCallDepth)
      return {};
    computeRunSites();
    if (!RunWhereWritten.contains(LE))
      return {};
    const Summary *Sum = summaryOf(L, Depth + 1);
    return Sum ? Sum->MayRelease : KeyList();
  }
  const Summary *summaryOf(const CodeUnit *U, unsigned Depth);
  void analyse(UnitInfo &I, unsigned Depth);
  void transfer(UnitInfo &I, const CFGElement &E, State &S, bool Record,
                unsigned Depth);
  void transferElement(UnitInfo &I, const CFGElement &E, State &S, bool Record,
                       unsigned Depth);
  /// A call into code of ours (\p Call's targets), or the destructors an
  /// element runs: their summaries applied.
  void callInto(UnitInfo &I, State &S, const CallExpr *Call, bool Record,
                unsigned Depth, SourceLocation At = SourceLocation());
  /// A destruction that joins a thread (a std::jthread, or a class's
  /// jthread members), or waits for a std::async task (its future): a
  /// join of each, where the destruction runs.
  void joinAtDestruction(UnitInfo &I, State &S, const CallExpr *Call,
                         bool Record, SourceLocation At);
  /// A join of \p K (written, or a destruction's), recorded: judged here
  /// if locks are held, and a summary effect for the callers.
  /// \p Async: the std::async call whose task the join waits for (a
  /// destroyed or discarded future of it).
  void recordJoin(UnitInfo &I, const State &S, const CallExpr *Join,
                  const ObjectKey &K, const CallExpr *Async = nullptr);
  /// The made-up `obj.member.~jthread()` of an implicit destructor's
  /// made-up call, per member (made once: the dataflow runs each element
  /// more than once).
  llvm::DenseMap<std::pair<const CallExpr *, const FieldDecl *>,
                 const CallExpr *>
      MemberJoins;
  void acquire(UnitInfo &I, State &S, const ObjectKey &K, bool Shared,
               const Stmt *Site, llvm::ArrayRef<const CallExpr *> Chain,
               llvm::ArrayRef<ObjectKey> ReleasedBefore, bool Record,
               bool Conditional = false);
  /// An operation of \p I's own that blocks: recorded, and an effect of
  /// its summary.
  void ownBlockingOp(UnitInfo &I, State &S, BlockedOp Op, bool Record) {
    if (!Record)
      return;
    Effect Ef;
    Ef.Kind = Effect::Block;
    Ef.Key = Op.Object;
    Ef.Site = Op.Call;
    Ef.ReleasedBefore = S.Released;
    blockingOp(I, S, std::move(Op), {}, Record);
    Ef.Op = Blocking.size() - 1;
    addEffect(I, std::move(Ef));
  }
  void blockingOp(UnitInfo &I, State &S, BlockedOp Op,
                  llvm::ArrayRef<ObjectKey> ReleasedBefore, bool Record);
  void record(UnitInfo &I, OpKind K, const Stmt *Site, const ObjectKey &Obj,
              const State &S, const void *Type);
  /// \p R may operate on the object \p B blocks on.
  bool mayBeSame(const OpRecord &R, const ObjectKey &Obj, const void *Type) {
    if (R.Object.sameObject(Obj))
      return true;
    return R.Type && R.Type == Type && (mayAlias(R.Object) || mayAlias(Obj));
  }
  /// Another name may reach \p K's object (aliasable()), or \p K ends in a
  /// handle held by value that may be a copy of another one (copiedHandle).
  bool mayAlias(const ObjectKey &K) {
    if (!aliasable(K))
      return false;
    const ValueDecl *D = K.isElement() ? nullptr : K.object();
    if (!D || llvm::isa<ParmVarDecl>(D) || !isHandle(D->getType()) ||
        D->getType()->isReferenceType())
      return true;
    return copiedHandle(D);
  }
  /// The handle data member or variable \p D may hold a copy of another
  /// handle: something other than a construction of a new object gives it
  /// a value (an initialiser, an assignment, an aggregate's element), or a
  /// non-const reference or its address reaches code that may assign it.
  /// A handle that only ever holds objects made for it names nothing else.
  bool copiedHandle(const ValueDecl *D);
  llvm::DenseMap<const ValueDecl *, bool> CopiedHandles;
  KeyList heldObjects(const State &S) const;
  const KeyList &entryHeld(const CodeUnit *U, unsigned Depth);
  bool releasedByCallers(const CodeUnit *U, const ObjectKey &K, unsigned Depth,
                         llvm::SmallPtrSetImpl<const CodeUnit *> &Seen);
  bool releasesBelow(const CodeUnit *U, const ObjectKey &K, unsigned Depth,
                     const CodeUnit *Except);
  /// How far an object reaches, for "no partner anywhere".
  struct Confinement {
    /// Reaches code other than the function that creates it (a lambda, a
    /// function it is handed to), all of which we read.
    bool Shared = false;
    const Stmt *HandedAt = nullptr;
    const FunctionDecl *HandedTo = nullptr;
    /// Every name it reaches: the variable or member, the parameters it is
    /// handed to, its local copies and references.
    llvm::SmallPtrSet<const ValueDecl *, 4> Names;
    /// An object of this class (a channel's owner, not a channel): the
    /// calls of its class's methods on it are its operations, their code
    /// read with the rest (see thisConfined).
    const CXXRecordDecl *Class = nullptr;
  };
  /// Every method of \p C and of its bases uses `this` only to reach its
  /// members and to hand it to lambdas (whose code does the same), and its
  /// constructors and destructor call none of its methods and start
  /// nothing on `this`: an object of C is reached only through the names
  /// the code that holds it uses. C a class of the main file.
  bool thisConfined(const CXXRecordDecl *C);
  llvm::DenseMap<const CXXRecordDecl *, bool> ThisConfined;
  /// Counts for a channel member \p F of the class of an object held in a
  /// local variable: one object's member counted like a local channel.
  void reportMemberCounts(std::vector<BlockingFinding> &Out,
                          llvm::DenseSet<const Stmt *> &Done,
                          const llvm::DenseSet<const Stmt *> &BlockingSends);
  /// The object \p K (in \p I) is created where we see it and reaches only
  /// code we read, under names the partner search matches: no partner that
  /// the analysis did not see can exist.
  bool confined(const UnitInfo &I, const ObjectKey &K, Confinement &C);
  /// Every name of \p D in \p Body (lambdas included) is an operation on
  /// it, a query, a `(void)` discard, a capture, a local copy or reference
  /// confined in turn, or an argument of a call into code we read whose
  /// parameter is confined in turn.
  bool confinedIn(const Stmt *Body, const ValueDecl *D, unsigned Depth,
                  Confinement &C);
  /// The function a thread constructed with arguments runs
  /// (`std::thread(worker, ch)`), or null.
  const FunctionDecl *threadStartedOn(const CXXConstructExpr *CE) const;
  /// The callable a thread container's `emplace_back` (`emplace`,
  /// `emplace_front`) starts a thread on, or null.
  const Expr *threadContainerCallable(const CXXMemberCallExpr *MC) const;
  /// The function \p S starts a thread on: a thread's constructor or a
  /// thread container's emplace_back with a function (a method's address
  /// too, \p Object then getting the object it runs on).
  const FunctionDecl *startedFunction(const Stmt *S,
                                      const Expr **Object = nullptr) const;
  /// The same for a data member of a class of the main file, over the
  /// whole translation unit.
  bool confinedMember(const FieldDecl *F, Confinement &C);
  /// \p RD may be a class whose objects only code of this translation
  /// unit reaches: a class of the main file, or an instantiation of a class
  /// template of the main file (the members it does not instantiate are
  /// called nowhere).
  bool mainFileClass(const CXXRecordDecl *RD) const;

public:
  /// See BlockingAnalysis::setUnanalysedTemplates.
  std::vector<const FunctionDecl *> UnanalysedTemplates;

private:
  llvm::DenseMap<const FieldDecl *, std::optional<Confinement>>
      MemberConfinement;
  /// Adds an effect to \p I's summary: one per (kind, object, site), and
  /// at most MaxEffects (over budget: what is left out is not reported).
  void addEffect(UnitInfo &I, Effect Ef) {
    // Under a branch on a parameter of the unit's: what it requires.
    auto G = I.ParamGuards.find(Ef.Chain.empty() ? Ef.Site : Ef.Chain.front());
    if (G != I.ParamGuards.end()) {
      for (const auto &R : G->second.Requires)
        if (!addRequirement(Ef.Requires, R))
          return; // `if (!lock) f(lock)`: never happens.
      if (G->second.Opaque && Ef.Kind == Effect::Acquire)
        Ef.Conditional = true;
    }
    // The same effect reached another way: released before on either way
    // counts (the conservative side). Under other conditions it is another
    // effect: a caller may rule out one and not the other.
    for (Effect &E : I.Sum.Effects)
      if (E.Kind == Ef.Kind && E.Site == Ef.Site && E.Key == Ef.Key &&
          E.Conditional == Ef.Conditional && E.Requires == Ef.Requires) {
        for (const ObjectKey &K : Ef.ReleasedBefore)
          addObject(E.ReleasedBefore, K);
        return;
      }
    if (I.Sum.Effects.size() >= MaxEffects) {
      ++Stats.OverBudget;
      return;
    }
    I.Sum.Effects.push_back(std::move(Ef));
  }
  static constexpr size_t MaxEffects = 256;
  /// The only object of the class \p C: a variable of static storage
  /// duration, or a local of `main` (which runs once), that is the one
  /// object of C the translation unit makes (C a class of the main file),
  /// or null.
  const VarDecl *onlyObject(const CXXRecordDecl *C) { return only(C).Var; }
  /// The only object of \p C, made on the heap once, in `main`
  /// (`std::make_shared<C>()`, `new C`): where, or null.
  const Expr *onlyHeapObject(const CXXRecordDecl *C) { return only(C).Made; }
  struct OnlyObject {
    const VarDecl *Var = nullptr;
    const Expr *Made = nullptr;
  };
  const OnlyObject &only(const CXXRecordDecl *C);
  llvm::DenseMap<const CXXRecordDecl *, OnlyObject> OnlyObjects;
  /// \p A and \p B name one mutex: the same member of the only object of
  /// its class, reached in two ways (`this->mu` in Page's code and
  /// `page.mu`, where `static Page page;` is the one Page; `this->mu` and
  /// `h_->owner_.mu` in a handler that refers back to it).
  bool sameThroughOnlyObject(const ObjectKey &A, const ObjectKey &B);
  /// \p P is a `bool` parameter that its function (its lambdas included)
  /// only reads: its value is the one the call passed, everywhere.
  bool readOnlyBool(const ParmVarDecl *P);
  llvm::DenseMap<const ParmVarDecl *, bool> ReadOnlyBools;
  /// What \p Cond having the value \p Value says of read-only `bool`
  /// parameters: the values it implies (a conjunction) go to \p Out;
  /// \p Opaque is set where it tests a parameter in another way.
  void paramLiterals(const Expr *Cond, bool Value, Requirements &Out,
                     bool &Opaque);
  /// Fills \p I.ParamGuards.
  void computeParamGuards(UnitInfo &I);
  /// \p Ef's requirements where \p Call calls \p Callee, in the caller's
  /// terms (\p Out); false if the call's constant arguments rule it out.
  /// \p Unknown: an argument decides, but we do not know its value.
  bool requiredAt(const Effect &Ef, const CallExpr *Call,
                  const FunctionDecl *Callee, Requirements &Out, bool &Unknown);
  void applySummary(UnitInfo &I, State &S, const CallExpr *Call,
                    const CodeUnit *Callee, bool Only, bool Record,
                    unsigned Depth, bool MayOnly = false);
  /// The lambdas \p Target (a std::function variable or member) is given
  /// by \p Src, through copies, std::move, a function that returns one and
  /// a parameter of a function whose call sites we see.
  void addFunctionObject(const ValueDecl *Target, const Expr *Src);
  /// What \p U's constructor initialisers and its class's member
  /// initialisers give function objects (each class once).
  void functionObjectsOf(const CodeUnit &U,
                         llvm::SmallPtrSetImpl<const CXXRecordDecl *> &Classes);
  /// What \p S (a statement of \p U) gives a function object, or calls
  /// through one.
  void functionObjectsAt(const CodeUnit &U, const Stmt *S);
  /// \p S locks, waits, uses a channel or a counter, or hands a channel on.
  bool touchesSync(const Stmt *S) const;
  /// The names in \p Obj, the object expression of a sync operation.
  //===-- Promises and futures (model/FutureModel.h) ----------------------===//
  /// The promise whose state the future \p Future (in \p I's terms) waits
  /// for, or an invalid key. \p OwnerAlive: the future is reached through
  /// an object that holds the promise too.
  /// Called in the record pass: a std::async future's task end is
  /// recorded as its setter.
  ObjectKey promiseKey(UnitInfo &I, const Expr *Future, bool &OwnerAlive,
                       const CallExpr **Async = nullptr);
  /// The unit a std::async call's callable runs, or null.
  const CodeUnit *asyncBody(const Expr *Callable) const;
  /// A future data member every assignment of which, in its class's code,
  /// is a future of one promise reached from `this`: that promise's key
  /// (rooted at `this`).
  const ObjectKey *memberFuturePromise(const FieldDecl *F);
  /// What the reference or pointer data member \p F always refers to (the
  /// same member of objects of one class, or one global), from every value
  /// it is given in this translation unit: its initialisers (a
  /// constructor's parameter stands for what its constructions pass),
  /// assignments and aggregate initialisations. Null if they differ or
  /// one is not known.
  const ValueDecl *memberTarget(const FieldDecl *F);
  llvm::DenseMap<const FieldDecl *, const ValueDecl *> MemberTargets;
  /// Values given to reference and pointer data members, by member (with
  /// the code that gives them; null for an in-class initialiser).
  llvm::DenseMap<const FieldDecl *,
                 std::vector<std::pair<const CodeUnit *, const Expr *>>>
      MemberValues;
  bool MemberValuesDone = false;
  /// Every write of the data member \p F: its in-class initialiser (no
  /// unit), constructor initialisers (no base: `this`'s), and assignments
  /// `base.F = value`, each with the unit that makes it.
  void memberWrites(
      const FieldDecl *F,
      llvm::function_ref<void(const CodeUnit *, const Expr *, const Expr *)>
          Visit);
  /// \p R can complete \p B (isPartner), and is not a promise's
  /// destruction that every path of its code reaches only after setting
  /// the promise (the first completion wakes the waiters; that one never
  /// is it).
  bool partnerOf(const BlockedOp &B, const OpRecord &R) {
    if (!isPartner(B, R))
      return false;
    if (R.Kind != OpKind::FutureDrop)
      return true;
    return llvm::none_of(Ops, [&](const OpRecord &Set) {
      return Set.Kind == OpKind::FutureSet && Set.Unit == R.Unit &&
             Set.Object.sameObject(R.Object) &&
             dominates(R.Unit, Set.Site, R.Site);
    });
  }
  /// The partners of \p B on its confined object (those that reach one of
  /// \p Conf's names); false when one may be on it without our knowing:
  /// no object named, or a select's case (whether it fires is not
  /// followed).
  bool confinedPartners(const BlockedOp &B, const Confinement &Conf,
                        llvm::SmallVectorImpl<const OpRecord *> &Out);
  /// The partners of \p B that may be on its object (of its type, where
  /// a name may alias); false when one of no known type may be.
  bool partnersMaybeOn(const BlockedOp &B,
                       llvm::SmallVectorImpl<const OpRecord *> &Out) {
    for (const OpRecord &R : Ops) {
      if (!partnerOf(B, R))
        continue;
      if (!R.Type && !R.Object.sameObject(B.Object))
        return false;
      if (mayBeSame(R, B.Object, B.Type))
        Out.push_back(&R);
    }
    return true;
  }
  /// Every destruction of the promise \p K names is an operation we
  /// record (a local's scope end, a lambda's end for its captures), or
  /// cannot happen while \p I runs.
  bool dropsKnown(const UnitInfo &I, const ObjectKey &K);
  /// `std::move(V)` or `std::forward(V)` appears in \p VD's function.
  /// \p OnlyLocal: each such move initialises a local or a lambda's
  /// capture (whose end we record).
  bool movedFrom(const VarDecl *VD, bool &OnlyLocal);
  /// The destruction of promises \p VD holds (by value or through a
  /// smart pointer) at \p Site.
  void recordDrops(UnitInfo &I, const VarDecl *VD, ObjectKey K,
                   const Stmt *Site, const State &S);
  llvm::DenseMap<const FieldDecl *, std::optional<ObjectKey>> FutureMembers;
  llvm::DenseMap<const VarDecl *, std::pair<bool, bool>> Moves;
  /// The promise destructions and std::async task ends recorded, by site
  /// and object (one site may end several).
  llvm::DenseSet<std::pair<const Stmt *, const ValueDecl *>> OneShotSeen;

  void noteSyncUses(const Expr *Obj) {
    walkOwnCode(Obj, [&](const Stmt *In) {
      if (llvm::isa<DeclRefExpr, MemberExpr>(In))
        SyncUses.insert(llvm::cast<Expr>(In));
    });
  }
  /// \p Via: for a call, the callee's acquisition it stands for.
  bool acquiresAt(UnitInfo &I, const CFGElement &E, const ObjectKey &M,
                  const Effect **Via = nullptr);
  bool needsBeforeNext(const CodeUnit *U, const Stmt *Site, const ObjectKey &M);

  /// Where \p S is in the CFG of \p U (false where it has no place).
  bool cfgPos(const CodeUnit *U, const Stmt *S, const CFGBlock *&B,
              unsigned &Idx);
  /// Every path from the entry of \p U to \p To passes \p Via first.
  bool dominates(const CodeUnit *U, const Stmt *Via, const Stmt *To);
  /// Some path of \p U leads from \p From to \p To.
  bool mayReach(const CodeUnit *U, const Stmt *From, const Stmt *To);
  /// \p Site comes after a loop of \p U each of whose rounds takes \p M
  /// (returns the acquisition, for the witness).
  const Stmt *loopTakesBefore(const CodeUnit *U, const Stmt *Site,
                              const ObjectKey &M);
  /// What keeps an operation from running: the blocked operation \p Self
  /// (which comes first in its unit and runs once), or the mutex \p Mutex
  /// that the blocked side holds.
  struct GateTarget {
    const BlockedOp *Self = nullptr;
    ObjectKey Mutex;
    /// The operation that waits holding Mutex: a partner that takes Mutex
    /// on its way is held back unless it started after that.
    const BlockedOp *Holder = nullptr;
  };
  /// An acquisition of \p M in \p U's own code on a path to \p Site
  /// (outside any loop around the site; one every path runs if there is
  /// one), or null.
  const Stmt *takenOnTheWay(const CodeUnit *U, const Stmt *Site,
                            const ObjectKey &M, const Effect **Via = nullptr);
  /// \p R cannot run while the target holds: it holds the mutex, comes
  /// after the blocked operation, runs after a loop whose every round
  /// takes the mutex, or comes after a blocking operation whose every
  /// partner is gated in turn (to depth 3). \p Why gets the witness.
  bool gated(const OpRecord &R, const GateTarget &T, unsigned Depth,
             std::vector<WitnessStep> &Why);
  /// The gate "taken on the way": \p U takes T.Mutex on a way to \p Site
  /// (\p What, for the note), not ordered before the holder; or, where it
  /// does not, every call of \p U comes after such an acquisition in its
  /// caller (in the caller's thread), to a few levels.
  /// \p Call's value is thrown away at once: its full-expression is a
  /// statement of a block, a branch or a loop body.
  bool discardedResult(const CallExpr *Call);
  bool takesOnTheWay(const CodeUnit *U, const Stmt *Site,
                     const std::string &What, const GateTarget &T,
                     unsigned Depth, std::vector<WitnessStep> &Why);
  /// The operations that can complete the direct blocking operation \p Q,
  /// on an object whose every name is known; false if one may be unknown.
  bool knownPartners(const BlockedOp &Q,
                     llvm::SmallVectorImpl<const OpRecord *> &Out);
  /// Blocking operations written in \p U that may run before \p Site.
  bool blocksBefore(const CodeUnit *U, const Stmt *Site);
  bool surelyWaits(const BlockedOp &Q);
  /// \p Q, a wait group's wait, waits once the blocked side of \p T runs:
  /// it is a lambda started in \p Q's code after an add to that group in
  /// the same round (the add may not run at all, but then neither does
  /// the blocked side).
  bool addsBeforeStart(const BlockedOp &Q, const GateTarget &T);
  /// Every way from \p From to \p To in \p U's code goes through \p Via.
  bool onlyThrough(const CodeUnit *U, const Stmt *From, const Stmt *Via,
                   const Stmt *To);
  /// Where \p Q is in its unit: the operation, or the call that leads to
  /// it.
  static const Stmt *siteOf(const BlockedOp &Q) {
    return Q.Chain.empty() ? static_cast<const Stmt *>(Q.Call)
                           : Q.Chain.front();
  }
  /// \p U may run more than once: two callers, a call in a loop, a lambda
  /// started in a loop; with \p Unbounded, only loops count (any number of
  /// times).
  bool runsMoreThanOnce(const CodeUnit *U, unsigned Depth,
                        bool Unbounded = false);

  /// The guard variable of \p I that acquires at \p Site: its
  /// construction, or a `lock()` call on it; null otherwise.
  static const VarDecl *guardAt(const UnitInfo &I, const Stmt *Site) {
    const auto *E = llvm::dyn_cast_or_null<Expr>(Site);
    if (!E)
      return nullptr;
    if (const VarDecl *VD = I.Guards.ByInit.lookup(E))
      return VD;
    if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(E))
      if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(
              bareExpr(MC->getImplicitObjectArgument())))
        if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl()))
          return I.Guards.Vars.count(VD) ? VD : nullptr;
    return nullptr;
  }
  /// When \p Held and \p K name one member differently: why they are one
  /// mutex (the only object of its class the program makes).
  void sameMutexNote(std::vector<WitnessStep> &Notes, const ObjectKey &Held,
                     const ObjectKey &K);
  void selfDeadlock(const HeldLock &First, const ObjectKey &K, const Stmt *Site,
                    llvm::ArrayRef<const CallExpr *> Chain,
                    const CodeUnit &Unit);
  /// A call back into \p R.Target, reached from \p I in state \p S:
  /// judged there if \p I is that unit, else handed to \p I's callers.
  void noteReentry(UnitInfo &I, const State &S, Reentry R) {
    R.Held.append(S.Held.begin(), S.Held.end());
    if (R.Target == I.U) {
      if (!R.Held.empty())
        I.OwnReentries.push_back(
            {std::move(R.Held), std::move(R.Object), std::move(R.Chain)});
      return;
    }
    if (I.Sum.Reentries.size() < MaxEffects)
      I.Sum.Reentries.push_back(std::move(R));
  }
  /// The calls back into \p I, judged once its summary is complete: a
  /// mutex it held there that it acquires again, on the same object.
  void reportReentries(UnitInfo &I);
  /// A self-deadlock found in \p I: on a mutex \p I acquired itself,
  /// judged once its CFG is complete; else reported now.
  void ownSelfDeadlock(UnitInfo &I, const HeldLock &H, const ObjectKey &K,
                       const Stmt *Site,
                       llvm::ArrayRef<const CallExpr *> Chain) {
    if (!H.Chain.empty())
      return selfDeadlock(H, K, Site, Chain, *I.U);
    I.OwnSelfDeadlocks.push_back({H, K, Site, {Chain.begin(), Chain.end()}});
  }
  /// \p Holder, holding \p HeldKey since \p HeldSite, set a state flag
  /// beside that mutex (a data member of the same object) before the call
  /// that leads back to it, and the code on the way back takes the mutex
  /// only while that flag says otherwise (`if (state == Running)`): it
  /// does not (canonical/mir#4469's fix; see StateFlags.h).
  bool flagStopsReentry(const CodeUnit *Holder, const ObjectKey &HeldKey,
                        const Stmt *HeldSite, const Stmt *Site,
                        llvm::ArrayRef<const CallExpr *> Chain);
  void addChainNotes(std::vector<WitnessStep> &Notes,
                     llvm::ArrayRef<const CallExpr *> Chain,
                     llvm::StringRef Why) const;
  void heldNotes(std::vector<WitnessStep> &Notes, const HeldLock &H) const;
  /// How a note names what \p C calls: the function, "the lambda", or the
  /// function object called through.
  std::string calleeName(const CallExpr *C) const;
  /// "X is called here", or "'std::call_once' calls X here".
  std::string callNote(const CallExpr *C) const;

  void reportLockOrder(std::vector<BlockingFinding> &Out);
  /// Drops the findings in code that never runs (deadUnit, code nothing
  /// calls included) of a program whose `main` is in this translation
  /// unit: what they describe cannot happen.
  void dropDeadFindings(std::vector<BlockingFinding> &Out);
  /// \p U never runs: a function only this file's code can call (internal
  /// linkage, or a member of a class of the main file), whose address is
  /// not taken, that nothing calls, or whose every call is in code that
  /// never runs or through a local pointer that is always null there; or a
  /// lambda written in such code. \p Why gets the reason.
  /// With \p Uncalled false, code nothing calls is not dead (it may be an
  /// entry point; see NoPartner).
  bool deadUnit(const CodeUnit *U, unsigned Depth, std::string &Why,
                bool Uncalled = false);
  /// How many levels of callers (and lambdas' enclosing code) deadUnit
  /// follows.
  static constexpr unsigned MaxDeadDepth = 6;
  static constexpr llvm::StringLiteral DeadVia =
      "it is called only from code that never runs: ";
  /// \p Call's object is a local (smart) pointer that is null wherever it
  /// is used: it is never given anything but null.
  bool callsThroughNull(const CallExpr *Call, std::string &Name) const;
  /// Functions named other than as a call's callee, found once per unit.
  llvm::DenseSet<const FunctionDecl *> AddressTaken;
  /// Of those, the ones named elsewhere than as the function a thread is
  /// started on (startsOf() knows those starts).
  llvm::DenseSet<const FunctionDecl *> AddressEscapes;
  bool AddressTakenKnown = false;
  /// A mutex whose waiting writer holds back new readers: a read lock
  /// taken again by its holder may wait for that writer, which waits for
  /// the first read lock.
  bool writerPreferring(const ObjectKey &K) const {
    const ValueDecl *D = K.object();
    const CXXRecordDecl *RD = D ? objectClass(D->getType()) : nullptr;
    // A project's own reader-writer lock: where its code shows it.
    return RD && (WriterPreferring.contains(RD) ||
                  LockModel::holdsReadersBehindWriters(
                      RD, Ctx.getSourceManager(), [&](const CXXRecordDecl *C) {
                        return WriterPreferring.contains(C);
                      }));
  }
  struct RecursiveRead {
    HeldLock First;
    ObjectKey Key;
    const Stmt *Site;
    llvm::SmallVector<const CallExpr *, 2> Chain;
  };
  std::vector<RecursiveRead> RecursiveReads;
  void reportRecursiveReads(std::vector<BlockingFinding> &Out);
  void reportLeaks(std::vector<BlockingFinding> &Out);
  /// A mutex a loop's round acquires (first thing, every round) and comes
  /// back round still holding on some path, where the unit releases it on
  /// others: the next round waits for itself.
  void reportLoopLeaks(std::vector<BlockingFinding> &Out);
  /// \p K may be taken again by its holder (isRecursiveMutex), unless it
  /// is a pthread mutex every initialisation of which in the translation
  /// unit makes a default one: PTHREAD_MUTEX_INITIALIZER, or
  /// pthread_mutex_init with no attributes.
  bool mayRecurse(const ObjectKey &K);
  llvm::DenseMap<const ValueDecl *, bool> DefaultPthreadMutexes;
  void reportBlocked(std::vector<BlockingFinding> &Out);
  void reportJoins(std::vector<BlockingFinding> &Out);
  /// JoinUnderLock for a wait group: a wait on it, holding M, for a
  /// count-down made by code started apart (a goroutine's body, after
  /// its work) that may acquire M before it: both wait forever.
  void reportCounterJoins(std::vector<BlockingFinding> &Out);
  /// Every path of \p U from its entry to its exit passes \p S.
  bool onEveryPath(const CodeUnit *U, const Stmt *S);
  /// Fills \p I.Pos from \p I.G (a CFG built outside the dataflow, which
  /// fills it as it goes).
  void indexCFG(UnitInfo &I);
  /// The condition-variable wait \p B (a predicate wait) blocks as its
  /// objects are made: its predicate is false while the data members it
  /// reads hold their initial values (zero, false, null, empty), and only
  /// \p Writers (or the waiting function itself) change them.
  bool waitsAsMade(const BlockedOp &B,
                   const llvm::SmallPtrSetImpl<const CodeUnit *> &Writers);
  /// How many times something can happen on one run: a number, any
  /// number (ManyAt: the loop that makes it so), or not known.
  struct Count {
    unsigned N = 0;
    bool Many = false;
    bool Unknown = false;
    const Stmt *ManyAt = nullptr;
    /// Some of N comes from a counted loop's trips: code that receives a
    /// fixed number of times expects as many sends, which a loop of an
    /// unknown count (Many) may well make.
    bool Counted = false;
    /// The operations along the path, in its order, each with how many
    /// times it runs there (Any: any number), through calls: the blocked
    /// one is the first that takes the count past what the channel takes.
    static constexpr unsigned Any = ~0u;
    llvm::SmallVector<std::pair<const Stmt *, unsigned>, 4> Trace;
    /// The same for the statements of the unit counted from (the calls and
    /// started lambdas that reach the operations), for the witness.
    llvm::SmallVector<std::pair<const Stmt *, unsigned>, 4> Via;
    static Count unknown() {
      Count C;
      C.Unknown = true;
      return C;
    }
    Count &operator+=(const Count &O) {
      N += O.N;
      if (O.Many && !Many)
        ManyAt = O.ManyAt;
      Many |= O.Many;
      Unknown |= O.Unknown;
      Counted |= O.Counted;
      if (Trace.size() + O.Trace.size() <= 64)
        Trace.append(O.Trace.begin(), O.Trace.end());
      if (Via.size() + O.Via.size() <= 64)
        Via.append(O.Via.begin(), O.Via.end());
      return *this;
    }
    /// The first operation of the trace past \p Taken of them, or null.
    /// Null too where one operation is on the path twice (code run twice,
    /// by two contexts perhaps, whose sends may interleave either way).
    const Stmt *past(uint64_t Taken) const {
      llvm::SmallPtrSet<const Stmt *, 8> Seen;
      for (auto [S, Times] : Trace)
        if (!Seen.insert(S).second)
          return nullptr;
      uint64_t Sum = 0;
      for (auto [S, Times] : Trace) {
        Sum += Times == Any ? Taken + 1 : Times;
        if (Sum > Taken)
          return S;
      }
      return nullptr;
    }
  };
  /// The most sends (else receives) on the confined object \p Conf, whose
  /// operations are \p Sites, that one run of \p U can perform, through
  /// the calls, lambdas and threads it hands the object to.
  /// \p ThisIsObject: \p U runs on the object (Conf.Class's), so `this`
  /// names it; the units walked go to \p ReachedUnits.
  Count maxOps(const CodeUnit *U, const Confinement &Conf,
               const llvm::DenseMap<const Stmt *, OpKind> &Sites, bool Sends,
               unsigned Depth, bool ThisIsObject = false,
               llvm::SmallPtrSetImpl<const CodeUnit *> *ReachedUnits = nullptr);
  /// Counts: a confined channel whose code can send more times than its
  /// receives and its buffer can take.
  /// A latch's or wait group's wait inside the loop that starts, one per
  /// round, the contexts that count it down, for a count set before the
  /// loop: the first round waits for every count-down with one started.
  void reportWaitInStartLoop(std::vector<BlockingFinding> &Out,
                             llvm::DenseSet<const Stmt *> &Done);
  void reportCounts(std::vector<BlockingFinding> &Out,
                    llvm::DenseSet<const Stmt *> &Done);
  /// The sends can outnumber what the receives and a buffer of \p Cap
  /// take, where both counts are known well enough to say so.
  static bool outnumber(const Count &Sends, const Count &Recvs, uint64_t Cap) {
    return !Sends.Unknown && !Recvs.Unknown && !Recvs.Many &&
           !(Sends.Many && Recvs.Counted) &&
           (Sends.Many || Sends.N > Recvs.N + Cap);
  }
  /// The send that waits: the first one past the \p Taken that the
  /// receives and the buffer take, along the path that sends the most;
  /// else the last send.
  static const Stmt *
  blockedSend(const Count &Sends, uint64_t Taken,
              const llvm::DenseMap<const Stmt *, OpKind> &Sites,
              const Stmt *LastSend) {
    const Stmt *Blocked = Sends.past(Taken);
    return Blocked && Sites.count(Blocked) ? Blocked : LastSend;
  }
  static std::string timesText(const Count &C);
  static std::string takesText(unsigned Receives, uint64_t Cap);
  /// Outlived: a receive (or a race of receives) in a loop that cannot
  /// be left while a partner remains, whose partners are finite: each sends
  /// to an object its own code creates, and runs to its end.
  void reportOutlived(std::vector<BlockingFinding> &Out,
                      llvm::DenseSet<const Stmt *> &Done);
  /// From the wait at \p Site (a race of \p Arms, or one receive), some
  /// path leaves \p C: its CFG's exit, a call that does not return, or
  /// another await that may throw, not counting the branches on the race's
  /// result where an arm with \p ArmNever set won.
  /// PartnerLeaves: a send whose every receiver is a loop that another
  /// arm of its race ends, fired by code nothing orders after the send.
  void reportPartnerLeaves(std::vector<BlockingFinding> &Out,
                           llvm::DenseSet<const Stmt *> &Done);
  /// PartnerLeaves, on their own: a send, in a loop, on a channel whose
  /// every receiver is a loop started by the sending code before that
  /// loop, each of which may leave (a `return` or `break` that does not
  /// test what it received: an error path) while the sender goes on.
  void reportReceiversLeave(std::vector<BlockingFinding> &Out,
                            llvm::DenseSet<const Stmt *> &Done);
  /// A send on a channel whose capacity is not a constant: bounded, by a
  /// value that is not the number of items (no size(), no variable the
  /// sending loop's own bound reads). \p Loop is that loop.
  bool boundedBelowItems(const BlockedOp &B, const Stmt *Loop);
  /// PartnerGivesUp: a send on an unbuffered channel (or a receive, once)
  /// whose every partner is an operation that may give up (a receive with a
  /// timeout, one given a stop token something stops, a poll) in other code
  /// that runs once and moves on when it does (no loop, or a loop its
  /// failure ends): after a give-up, nobody completes the wait.
  void reportPartnerGivesUp(std::vector<BlockingFinding> &Out,
                            llvm::DenseSet<const Stmt *> &Done);
  /// Code whose ancestors are \p FromR runs where we see it start: from
  /// `main`, or from code that also leads to a wait (\p FromWait); with
  /// \p Itself, \p RUnit leading to the wait counts too.
  static bool
  seenToStart(const llvm::MapVector<const CodeUnit *, const Stmt *> &FromR,
              const CodeUnit *RUnit,
              const llvm::MapVector<const CodeUnit *, const Stmt *> &FromWait,
              bool Itself) {
    return llvm::any_of(FromR, [&](const auto &P) {
      return (Itself || P.first != RUnit) &&
             ((P.first->Fn && P.first->Fn->isMain()) ||
              FromWait.count(P.first));
    });
  }
  /// orderedBefore's question on the ancestors of each (\p FromA,
  /// \p FromB): in some code that leads to both, B cannot come before the
  /// way to A. With \p StartsApart, a way to A through a thread start
  /// orders it only where the starting code joins (`join()`, `get()`,
  /// `wait()`) between the start and B.
  bool orderedByAncestors(
      const llvm::MapVector<const CodeUnit *, const Stmt *> &FromA,
      const llvm::MapVector<const CodeUnit *, const Stmt *> &FromB,
      bool StartsApart);
  /// The `request_stop()` calls of the units (a std::stop_source's, a
  /// std::jthread's), found by the first walk (their units matter: what
  /// orders them is asked).
  std::vector<std::pair<const CodeUnit *, const CallExpr *>> StopRequests;
  /// `request_stop`, interned once (run()): compared on every call.
  const IdentifierInfo *RequestStopId = nullptr;

  // Stop sources as objects: a wait that only a stop ends, and the
  // `request_stop()` calls of the sources its token comes from.
  struct StopWaitSite {
    BlockedOp Op;
    /// The token (or source) whose stop alone ends the wait.
    const Expr *Token;
    /// A loop only a stop ends (stopOnlyLoop), rather than a wait.
    const Stmt *Loop = nullptr;
  };
  std::vector<StopWaitSite> StopWaits;
  /// The `stop_requested()` calls that are the only way out of their loop
  /// (found by the first walk), with the loop.
  llvm::DenseMap<const CallExpr *, const Stmt *> StopLoops;
  /// Where a stop token's value comes from, as far as it is followed.
  struct TokenTrace {
    llvm::SmallVector<const ValueDecl *, 2> Sources;
    /// The `get_token()` calls found on the way, for the witness.
    llvm::SmallVector<const Expr *, 2> Made;
    llvm::SmallPtrSet<const Decl *, 8> Seen;
    unsigned Budget = 64;
  };
  /// The std::stop_source objects (data members, variables: abstract)
  /// that the stop token, or source, \p Tok may be of: followed through
  /// `get_token()`, copies, locals set once, captures, parameters (to every
  /// call of a function only this file can call), and token members (to
  /// every write of them). False where it may come from elsewhere (a
  /// std::jthread's token, a lambda's parameter, a caller we do not see).
  bool stopSources(const Expr *Tok, unsigned Depth, TokenTrace &T);
  bool paramStopSources(const ParmVarDecl *P, unsigned Depth, TokenTrace &T);
  bool memberStopSources(const FieldDecl *F, unsigned Depth, TokenTrace &T);
  /// Every call of \p FD (a function or a constructor) is one we see:
  /// \p Out gets each with the argument for parameter \p Idx. False if
  /// it may be called otherwise (its address is taken, another file may
  /// call it, a container constructs it in place).
  bool everyCallOf(const FunctionDecl *FD, unsigned Idx,
                   llvm::SmallVectorImpl<const Expr *> &Out);
  /// Every name of the stop source \p D is the object of a `get_token()`,
  /// `request_stop()`, `stop_requested()` or `stop_possible()`: it is not
  /// copied (a copy shares its state), handed out, or reset.
  bool sourceStaysPut(const ValueDecl *D);
  llvm::DenseMap<const ValueDecl *, bool> SourcesPut;
  /// No `request_stop()` of \p Src can end the wait \p B: each is in code
  /// that never runs (\p Live: \p B's wait is one `main()` leads to),
  /// runs only after \p B completes, or in a std::stop_callback on a token
  /// whose sources are never stopped in turn. \p Why gets the witness.
  bool sourceNeverStopped(const ValueDecl *Src, const BlockedOp &B,
                          unsigned Depth, bool Live,
                          std::vector<WitnessStep> &Why);
  /// The token of the std::stop_callback that runs the lambda \p U, if it
  /// is one's callback.
  const Expr *callbackToken(const CodeUnit *U);
  /// A wait that only a stop ends, of a source nothing that runs stops.
  void reportStopWaits(std::vector<BlockingFinding> &Out,
                       llvm::DenseSet<const Stmt *> &Done);
  /// PartnerSkips: a receive, an unbuffered send or a future's wait, once,
  /// in the unit that creates the object, whose every partner is in code
  /// that unit runs before it (a thread, a std::async task, a call), some
  /// path of which returns without it (an error return before the
  /// `set_value()`): the wait has nobody left to complete it.
  void reportPartnerSkips(std::vector<BlockingFinding> &Out,
                          llvm::DenseSet<const Stmt *> &Done);
  /// PartnerSkips for a latch or a wait group: a wait, once, in the code
  /// that creates the counter, whose count is exactly the count-downs the
  /// workers it starts make (one each), one of which may return without
  /// its own.
  void reportCounterSkips(std::vector<BlockingFinding> &Out,
                          llvm::DenseSet<const Stmt *> &Done);
  /// Whether running some code surely performs one of a set of partner
  /// operations: None (it cannot reach one), Skips (some path returns
  /// without), Must (every path does, or we cannot tell).
  enum class Performs { None, Skips, Must };
  struct SkipSearch {
    /// The partners, by unit, with where they are (block, element).
    llvm::DenseMap<const CodeUnit *,
                   llvm::SmallVector<std::pair<unsigned, unsigned>, 2>>
        Sites;
    llvm::DenseMap<const CodeUnit *, Performs> Memo;
    /// Of a unit that Skips: the way it returns without a partner.
    llvm::DenseMap<const CodeUnit *, std::vector<WitnessStep>> Why;
    /// The variables and members the branches on that way read.
    llvm::DenseMap<const CodeUnit *, llvm::SmallVector<const ValueDecl *, 4>>
        Reads;
    /// Units reached from a place that runs them (a call, a thread).
    llvm::SmallPtrSet<const CodeUnit *, 8> Reached;
    /// CFG elements left to classify, over every unit reached.
    unsigned Budget = 20000;
  };
  /// \p U with its CFG: its analysis, or, for code the dataflow did not
  /// need (it only starts or calls what does), a CFG built on demand.
  /// Null when it has none (over budget).
  const UnitInfo *withCFG(const CodeUnit *U);
  llvm::DenseMap<const CodeUnit *, std::unique_ptr<UnitInfo>> OnDemand;
  /// The state \p WC waits for is locals of \p C, of integral type, whose
  /// constant initial values make it wait, that \p C's code (its lambdas
  /// included) only reads and assigns: \p Writes gets the assignments,
  /// with the unit each is in.
  bool stateWrites(
      const WaitCondition &WC, const CodeUnit *C,
      llvm::SmallVectorImpl<std::pair<const CodeUnit *, const Stmt *>> &Writes);
  /// An element of a unit that performs a partner (Skips or Must), at its
  /// index in its block; what it runs, for the witness.
  struct SkipStep {
    unsigned Idx;
    Performs P;
    const Stmt *At;
    const CodeUnit *Target;
  };
  using SkipSteps = llvm::DenseMap<unsigned, llvm::SmallVector<SkipStep, 2>>;
  /// The steps of \p I's CFG (its partners of \p S, and what stepAt
  /// says of each statement); \p Own gets the statements of its own
  /// partners and steps. False over budget.
  bool classifySteps(const UnitInfo &I, SkipSearch &S, unsigned Depth,
                     SkipSteps &Steps,
                     llvm::SmallPtrSetImpl<const Stmt *> &Own);
  /// A step of \p Steps in \p B before element \p Upto performing at
  /// least \p Min.
  static bool stepBefore(const SkipSteps &Steps, const CFGBlock *B,
                         unsigned Upto, Performs Min) {
    auto It = Steps.find(B->getBlockID());
    return It != Steps.end() &&
           llvm::any_of(It->second, [&](const SkipStep &St) {
             return St.Idx < Upto && St.P >= Min;
           });
  }
  /// The variables and members the branches that lead to \p To read.
  static void readsBefore(const CFGBlock *To,
                          llvm::SmallVectorImpl<const ValueDecl *> &Reads);
  /// What the branches of the way \p First's code returns without a
  /// partner read, a parameter standing for its argument at \p First.
  static void skipReads(const SkipStep &First, const SkipSearch &S,
                        llvm::SmallVectorImpl<const ValueDecl *> &Out);
  /// What running \p Y does to the partners of \p S.
  Performs performs(const CodeUnit *Y, SkipSearch &S, unsigned Depth);
  /// What the element \p St of \p I does: a partner of its own, a call or a
  /// thread start that runs a unit that performs one. \p Target gets that
  /// unit (a Skips one, for the witness).
  Performs stepAt(const UnitInfo &I, const Stmt *St, SkipSearch &S,
                  unsigned Depth, const CodeUnit *&Target);
  /// The lambda \p LE runs where it is written: a thread's or a
  /// std::async task's callable, a thread container's emplace_back, or
  /// called on the spot.
  bool runsWhereWritten(const LambdaExpr *LE);
  /// One walk of the units' code for where code runs: RunWhereWritten,
  /// ThreadStarts, StartRefs.
  void computeRunSites();
  /// The constructions of each constructor (canonical) in the units' code
  /// and constructor initialisers, with the unit (computed on first use).
  llvm::DenseMap<
      const FunctionDecl *,
      llvm::SmallVector<std::pair<const CodeUnit *, const Stmt *>, 1>>
      ConstructSites;
  /// The `std::make_unique<C>(...)` and `std::make_shared<C>(...)` calls
  /// for each class (canonical), with the unit.
  llvm::DenseMap<
      const CXXRecordDecl *,
      llvm::SmallVector<std::pair<const CodeUnit *, const CallExpr *>, 1>>
      MakeSites;
  /// Constructions in data members' own initialisers (`Ptr p_{&f};`), by
  /// constructor: the class's constructors run them, not a unit of ours.
  llvm::DenseMap<const CXXConstructorDecl *,
                 llvm::SmallVector<const CXXConstructExpr *, 1>>
      FieldInitSites;
  bool ConstructSitesDone = false;
  /// What each construction of an object with \p Ctor gives its parameter
  /// \p Idx: `new C(a)`, a local or a member built so, a data member's own
  /// initialiser (no unit: the class's constructors run it),
  /// `std::make_unique<C>(a)` / `std::make_shared` of as many arguments.
  void constructionArguments(
      const CXXConstructorDecl *Ctor, unsigned Idx,
      llvm::function_ref<void(const Expr *, const CodeUnit *)> Visit);
  void computeConstructSites();
  llvm::DenseSet<const LambdaExpr *> RunWhereWritten;
  /// The functions threads are started on (canonical), with the unit and
  /// the statement that starts each.
  llvm::DenseMap<
      const FunctionDecl *,
      llvm::SmallVector<std::pair<const CodeUnit *, const Stmt *>, 1>>
      ThreadStarts;
  /// The names (`worker`, `&Server::run`) those starts hand over.
  llvm::DenseSet<const Expr *> StartRefs;
  bool RunWhereWrittenKnown = false;
  /// A walk of \p I's CFG from its entry that does not pass a block
  /// \p Barrier says stops it, to \p Target (or the exit, if null) at
  /// element \p TargetIdx; a loop is not left through its condition when
  /// \p KeepLoops says the loop matters. \p Path gets the blocks, entry
  /// first.
  bool walkAvoiding(
      const UnitInfo &I, const CFGBlock *Target, unsigned TargetIdx,
      llvm::function_ref<bool(const CFGBlock *, unsigned Upto)> Barrier,
      llvm::function_ref<bool(const Stmt *Loop)> KeepLoops,
      llvm::SmallVectorImpl<const CFGBlock *> &Path);
  /// Where \p U starts in other code: its callers' calls, a lambda's
  /// creation.
  /// With \p CallsOnly, only the calls (what runs \p U to its end before
  /// going on), not the creation of a lambda that may run concurrently.
  void startsOf(
      const CodeUnit *U,
      llvm::SmallVectorImpl<std::pair<const CodeUnit *, const Stmt *>> &Out,
      bool CallsOnly = false);
  /// The code that leads to \p S in \p U (its callers and the places that
  /// create its lambda, transitively), with the statement there that does;
  /// \p U itself with \p S. False when it is too far to tell.
  /// \p MaxDepth: levels of callers (0: MaxCallDepth).
  bool ancestors(const CodeUnit *U, const Stmt *S,
                 llvm::MapVector<const CodeUnit *, const Stmt *> &Out,
                 bool CallsOnly = false, unsigned MaxDepth = 0);
  /// \p A (in \p UA), when it happens, completes before \p B (in \p UB)
  /// starts: some code leads to both, and no path there goes from the way
  /// to B to the way to A; a way to A through a thread start (a lambda
  /// handed on, a function a thread runs) orders it only where that code
  /// joins between the start and B. True when it cannot tell (too deep).
  /// Only the calls this translation unit shows can run \p U: a lambda, a
  /// member of a class of this file, a function of this file with internal
  /// linkage, whose address is not taken.
  bool onlyCalledHere(const CodeUnit *U);
  /// Only this file's code can name \p FD: a method of a class of this
  /// file (and, for a virtual one, of every method it overrides), or a
  /// function with internal linkage of this file.
  bool fileOnly(const FunctionDecl *FD) const;
  /// Like orderedBefore(), but false when it cannot tell.
  /// \p Where gets the code that orders them, and where B's way starts
  /// in it.
  bool surelyOrderedBefore(
      const CodeUnit *UA, const Stmt *A, const CodeUnit *UB, const Stmt *B,
      std::pair<const CodeUnit *, const Stmt *> *Where = nullptr);
  /// The blocked operation \p Q, at each level of its call chain, is
  /// surely ordered before \p R starts (R's context is started, or R's
  /// code called, only after it).
  bool startsAfter(const BlockedOp &Q, const OpRecord &R,
                   std::pair<const CodeUnit *, const Stmt *> &Where);
  /// The sends on \p Q's channel that run before the buffered send \p Q in
  /// its own code, when they are at least its capacity: then Q finds the
  /// buffer full unless something took from it in between. Empty if not.
  std::vector<const BlockedOp *> fillsBefore(const BlockedOp &Q);
  /// One note per send of \p Fills (fillsBefore(\p Q)): it fills the
  /// buffer before \p Q.
  void addFillNotes(std::vector<WitnessStep> &Notes, const BlockedOp &Q,
                    llvm::ArrayRef<const BlockedOp *> Fills) {
    for (const BlockedOp *P : Fills)
      Notes.push_back({siteOf(*P), std::string(opNoun(P->Kind)) + " '" +
                                       P->Object.str() + "' before it fills " +
                                       "the buffer (capacity " +
                                       std::to_string(*Q.Capacity) + ")"});
  }
  bool orderedBefore(const CodeUnit *UA, const Stmt *A, const CodeUnit *UB,
                     const Stmt *B);
  /// Every run of \p A (in \p UA, from each of the places that start its
  /// code) comes before \p B (in \p UB), or it cannot tell. Code run on a
  /// thread or through a lambda runs apart from where it is started: only
  /// a join on the way orders it.
  bool everyRunBefore(const CodeUnit *UA, const Stmt *A, const CodeUnit *UB,
                      const Stmt *B);
  bool
  everyRunBefore(const CodeUnit *UA, const Stmt *A,
                 const llvm::MapVector<const CodeUnit *, const Stmt *> &FromB,
                 bool Apart, unsigned Depth);
  /// In \p X, a join (a thread's `join()`, a future's or a latch's or wait
  /// group's wait) lies on a way from \p From to \p To.
  bool joinedBetween(const CodeUnit *X, const Stmt *From, const Stmt *To);
  bool canLeave(const CodeUnit *C, const Stmt *Site,
                llvm::ArrayRef<const BlockedOp *> Arms,
                llvm::ArrayRef<bool> ArmNever);
  /// \p R's code cannot run on any object: it is dead (deadUnit), or
  /// nothing in this translation unit calls it, its address is not taken,
  /// and no other translation unit can call it with the object: it is a
  /// member function of a class of this file, or reaches the object
  /// through a parameter whose class is of this file. Sets \p Why.
  bool neverRunsOn(const OpRecord &R, std::string &Why);
  /// Some path from \p S leaves \p U (its CFG's exit, or a call that does
  /// not return).
  bool reachesExit(const CodeUnit *U, const Stmt *S);
  void computeAddressTaken();

  /// A join() reached with locks held.
  struct JoinRecord {
    const CallExpr *Call;
    const CodeUnit *Unit; ///< The unit that holds the locks.
    llvm::SmallVector<HeldLock, 2> Held;
    /// A wait on the future of this std::async call, not a thread's join.
    const CallExpr *Async = nullptr;
    /// The unit the join is written in, and the calls from Unit to it
    /// (a destructor's join, reached through `delete`).
    const CodeUnit *SiteUnit = nullptr;
    llvm::SmallVector<const CallExpr *, 2> Chain = {};
  };
  std::vector<JoinRecord> Joins;
  /// What the thread (or std::async task) \p J waits for runs: each start
  /// of it with the unit it runs (\p Starts holds the starts). With
  /// \p Members, a joined data member's starts anywhere in its class.
  void joinedBodies(
      const JoinRecord &J, llvm::SmallVectorImpl<SpawnSite> &Starts,
      llvm::SmallVectorImpl<std::pair<const SpawnSite *, const CodeUnit *>>
          &Bodies,
      bool Members = false);
  /// JoinFirst: a join of a thread whose body cannot end without a wait
  /// that only code after the join completes.
  void reportJoinsFirst(std::vector<BlockingFinding> &Out);
  /// Every join, with locks held or not (JoinFirst's), once.
  std::vector<JoinRecord> AllJoins;
  llvm::DenseSet<const CallExpr *> JoinSeen;
  /// Waits for a std::async task's result: a join, judged as one.
  llvm::DenseSet<const Stmt *> AsyncWaits;
  /// The destruction of a std::async task's future (a made-up destructor
  /// call) -> that std::async call: its destructor waits for the task.
  llvm::DenseMap<const CallExpr *, const CallExpr *> AsyncOfJoin;

  ASTContext &Ctx;
  const SyncInventory &Inv;
  const LockModel &Locks;
  const ChannelModel &Channels;
  /// The capacities of the channel objects operations name.
  ChannelCapacity Capacities{Ctx, Channels};
  const ConditionVariableModel &CVs;
  const CounterModel &Counters;
  const NameList &ThreadTypes;
  unsigned MaxCallDepth;
  BlockingStats &Stats;

public:
  /// Keep the skeletons for dump().
  bool Dumping = false;

private:
  llvm::DenseMap<const CodeUnit *, std::unique_ptr<UnitInfo>> Infos;
  std::vector<BlockingFinding> Findings;
  std::vector<Edge> Edges;
  std::vector<OpRecord> Ops;
  std::vector<BlockedOp> Blocking;
  std::vector<LeakCandidate> Leaks;
  std::vector<LoopLeakCandidate> LoopLeaks;
  std::vector<Acquisition> Acquisitions;
  /// The condition waits whose taking back of their mutex is recorded as
  /// an acquisition (for the notes' wording).
  llvm::DenseSet<const Stmt *> RewaitSites;
  /// Calls of functions defined in other units that acquire a mutex (by
  /// their cross-TU summaries): the mutex in the caller's terms, and the
  /// note at the acquisition in the other unit.
  llvm::DenseMap<const Stmt *,
                 llvm::SmallVector<std::pair<ObjectKey, WitnessStep>, 1>>
      ExternalAcquires;
  llvm::DenseMap<const CallExpr *, KeyList> CallHeld;
  llvm::DenseMap<const CodeUnit *, KeyList> EntryHeld;
  llvm::DenseSet<const Stmt *> SeenOp;
  /// The lambdas a std::function variable or data member may hold, and the
  /// calls through one.
  llvm::DenseMap<const ValueDecl *, llvm::SmallVector<const CodeUnit *, 2>>
      FunctionObjects;
  llvm::DenseMap<
      const CodeUnit *,
      llvm::SmallVector<std::pair<const CallExpr *, const ValueDecl *>, 2>>
      CallsThrough;
  /// Function objects given another one (`f = other;`, an argument
  /// `process` for a parameter): they may hold what it holds.
  llvm::DenseMap<const ValueDecl *, llvm::SmallSetVector<const ValueDecl *, 2>>
      FunctionAliases;
  /// The units that call a lambda through a std::function, with the call.
  llvm::DenseMap<
      const CodeUnit *,
      llvm::SmallVector<std::pair<const CodeUnit *, const CallExpr *>, 2>>
      IndirectCallers;
  /// Calls, lambdas and loops written inside a loop of their function
  /// (one that can run its body more than once): the innermost such loop.
  llvm::DenseMap<const Stmt *, const Stmt *> LoopOf;
  bool inLoop(const Stmt *S) const { return LoopOf.count(S) != 0; }
  /// DeclRefExprs inside the object expressions of sync operations.
  /// (and the MemberExprs naming members there).
  llvm::DenseSet<const Expr *> SyncUses;
  /// The number of operands of each race (`a || b || c`: 3).
  llvm::DenseMap<const Stmt *, unsigned> RaceArms;
  /// Some unit that matters was left out (no CFG, over budget): its
  /// operations are not recorded, so "no partner anywhere" cannot be said.
  bool Incomplete = false;
  /// The first unit left out, and why (for the model dump).
  std::pair<const CodeUnit *, const char *> LeftOut{nullptr, nullptr};
};

//===----------------------------------------------------------------------===//
// Preparation: which units matter
//===----------------------------------------------------------------------===//

bool BlockingAnalysis::Impl::isModelledImplementation(const CodeUnit &U) const {
  // A context's own code, and a context factory's (with the cancel
  // function it returns): the model says what they do.
  if (Contexts && !Contexts->empty() && U.Fn)
    for (const DeclContext *DC = U.Fn; DC; DC = DC->getParent()) {
      if (const auto *FD = llvm::dyn_cast<FunctionDecl>(DC)) {
        if (const auto *M = llvm::dyn_cast<CXXMethodDecl>(FD);
            M && Contexts->isContextClass(M->getParent()))
          return true;
        if (Contexts->isFactory(FD))
          return true;
      } else if (const auto *RD = llvm::dyn_cast<CXXRecordDecl>(DC);
                 RD && !RD->isLambda() && Contexts->isContextClass(RD)) {
        return true;
      }
    }
  const auto *MD = llvm::dyn_cast<CXXMethodDecl>(U.Fn);
  if (!MD || U.Lambda)
    return false;
  QualType T = MD->getThisType()->getPointeeType();
  // A class that lends a member's lock: only its lock and unlock are the
  // lock's (the member's) code; the rest is the class's own.
  if (Locks.lentMutex(MD->getParent()))
    return MD->getIdentifier() && LockModel::namesLockOrUnlock(MD->getName());
  if (LockModel::isLockable(T) || Channels.specForType(T) ||
      CVs.isConditionVariable(T))
    return true;
  // A class nested in a channel type (its range-for iterator): the model
  // says what its loop does (one receive per round).
  for (const DeclContext *DC = MD->getParent()->getDeclContext(); DC;
       DC = DC->getParent())
    if (const auto *RD = llvm::dyn_cast<CXXRecordDecl>(DC))
      if (Channels.specForRecord(RD))
        return true;
  return false;
}

void BlockingAnalysis::Impl::prepare(UnitInfo &I) {
  const CodeUnit &U = *I.U;
  I.KB = std::make_unique<KeyBuilder>(U.Body);
  I.Guards = Locks.guardsIn(U.Body);
  for (const auto &[Call, Callee] : U.Calls)
    if (const CodeUnit *CU = Inv.unitOf(Callee))
      if (!isModelledImplementation(*CU))
        I.Calls[Call] = CU;
  if (auto It = CallsThrough.find(&U); It != CallsThrough.end())
    for (const auto &[Call, D] : It->second)
      if (auto FO = FunctionObjects.find(D); FO != FunctionObjects.end())
        I.Indirect[Call] = FO->second;
  for (const CodeUnit::Dispatch &D : U.Dispatches) {
    llvm::SmallVector<const CodeUnit *, 2> Targets;
    for (const FunctionDecl *Fn : D.Targets)
      if (const CodeUnit *CU = Inv.unitOf(Fn))
        if (!isModelledImplementation(*CU))
          Targets.push_back(CU);
    if (Targets.empty())
      continue;
    I.Indirect[D.Call] = std::move(Targets);
    I.MayOnly.insert(D.Call);
  }
  walkOwnCode(U.Body, [&](const Stmt *S) {
    // The implicit calls of a range-for over a channel.
    if (const auto *For = llvm::dyn_cast<CXXForRangeStmt>(S)) {
      if (!Channels.rangeReceive(For))
        return;
      for (const Stmt *Part :
           {(const Stmt *)For->getRangeStmt(),
            (const Stmt *)For->getBeginStmt(), (const Stmt *)For->getEndStmt(),
            (const Stmt *)For->getCond(), (const Stmt *)For->getInc(),
            (const Stmt *)For->getLoopVarStmt()})
        walkOwnCode(Part, [&](const Stmt *In) {
          if (const auto *C = llvm::dyn_cast<CallExpr>(In))
            I.RangeCalls.insert(C);
        });
      return;
    }
    // A Go-style select: a race of its cases (none blocks with a default).
    if (const auto *Sel = llvm::dyn_cast<CallExpr>(S);
        Sel && Cases.isSelect(Sel)) {
      SelectCaseModel::Arms A = Cases.armsOf(Sel);
      for (const CallExpr *Case : A.Cases) {
        I.RaceOf[Case] = Sel;
        CaseSites.insert(Case);
      }
      // Something else among the arguments: it may fire.
      RaceArms[Sel] = A.Cases.size() + A.Others;
      Selects[I.U].insert(Sel);
      if (A.Default)
        for (const Expr *A : Sel->arguments())
          if (const auto *Case = llvm::dyn_cast<CallExpr>(bareExpr(A)))
            NonBlockingCases.insert(Case);
      return;
    }
    // Calls awaited by a coroutine, and the races (`a || b`) among them.
    const auto *CA = llvm::dyn_cast<CoawaitExpr>(S);
    if (!CA)
      return;
    const Expr *Operand = CA->getOperand();
    bool Race = false;
    walkOwnCode(Operand, [&](const Stmt *In) {
      if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(In))
        if (OC->getOperator() == OO_PipePipe)
          Race = true;
    });
    walkOwnCode(Operand, [&](const Stmt *In) {
      if (const auto *C = llvm::dyn_cast<CallExpr>(In)) {
        I.Awaited.insert(C);
        if (Race)
          I.RaceOf[C] = CA;
      }
    });
    if (Race) {
      // Its operands: a timer's wait or any operation we do not model is
      // one too, and ends the race.
      llvm::SmallVector<const Expr *, 4> Arms;
      raceAlternatives(Operand, Arms);
      RaceArms[CA] = Arms.size();
    }
  });
}

//===----------------------------------------------------------------------===//
// The dataflow
//===----------------------------------------------------------------------===//

static std::string heldText(const State &S) {
  std::string Out = "{";
  for (size_t I = 0; I < S.Held.size(); ++I) {
    if (I)
      Out += ", ";
    Out += S.Held[I].Key.str();
    if (S.Held[I].Shared)
      Out += " (shared)";
  }
  return Out + "}";
}

KeyList BlockingAnalysis::Impl::heldObjects(const State &S) const {
  KeyList Out;
  for (const HeldLock &H : S.Held)
    addObject(Out, H.Key);
  return Out;
}

void BlockingAnalysis::Impl::record(UnitInfo &I, OpKind K, const Stmt *Site,
                                    const ObjectKey &Obj, const State &S,
                                    const void *Type) {
  if (!SeenOp.insert(Site).second)
    return;
  Ops.push_back({K, Site, Obj, I.U, heldObjects(S), Type});
}

void BlockingAnalysis::Impl::sameMutexNote(std::vector<WitnessStep> &Notes,
                                           const ObjectKey &Held,
                                           const ObjectKey &K) {
  // Two names of one member: say why they are one mutex.
  if (Held == K || K.Path.empty())
    return;
  const auto *FD = llvm::dyn_cast_or_null<FieldDecl>(K.Path.back());
  const auto *C = FD ? llvm::dyn_cast<CXXRecordDecl>(FD->getParent()) : nullptr;
  if (!C)
    return;
  std::string Both = "'" + Held.str() + "' and '" + K.str() +
                     "' are both its '" + FD->getNameAsString() + "'";
  if (const VarDecl *Only = onlyObject(C))
    Notes.push_back({nullptr,
                     "'" + Only->getNameAsString() + "' is the only '" +
                         C->getNameAsString() + "' the program makes: " + Both,
                     Only->getLocation()});
  else if (const Expr *Made = onlyHeapObject(C))
    Notes.push_back({Made, "the '" + C->getNameAsString() +
                               "' made here is the only one the program "
                               "makes: " +
                               Both});
}

void BlockingAnalysis::Impl::selfDeadlock(
    const HeldLock &First, const ObjectKey &K, const Stmt *Site,
    llvm::ArrayRef<const CallExpr *> Chain, const CodeUnit &Unit) {
  BlockingFinding F;
  F.Kind = BlockingFinding::SelfDeadlock;
  F.At = Site;
  F.Message = "'" + K.str() +
              "' is acquired again by code that already holds it; it waits "
              "for itself forever";
  sameMutexNote(F.Notes, First.Key, K);
  heldNotes(F.Notes, First);
  addChainNotes(F.Notes, Chain, "with '" + K.str() + "' held");
  Findings.push_back(std::move(F));
}

bool BlockingAnalysis::Impl::flagStopsReentry(
    const CodeUnit *Holder, const ObjectKey &HeldKey, const Stmt *HeldSite,
    const Stmt *Site, llvm::ArrayRef<const CallExpr *> Chain) {
  const auto *MutexField =
      HeldKey.Path.empty()
          ? nullptr
          : llvm::dyn_cast_or_null<FieldDecl>(HeldKey.Path.back());
  auto HI = Infos.find(Holder);
  if (!MutexField || HI == Infos.end() || !HI->second->KB)
    return false;
  // The tests on the way back: around each call of the chain and around
  // the acquisition, on members of the mutex's class.
  llvm::SmallVector<FlagTest, 4> Tests;
  for (const CallExpr *C : Chain)
    guardingFlagTests(C, Ctx, Tests);
  guardingFlagTests(Site, Ctx, Tests);
  llvm::erase_if(Tests, [&](const FlagTest &T) {
    return llvm::cast<FieldDecl>(T.Member->getMemberDecl())->getParent() !=
           MutexField->getParent();
  });
  if (Tests.empty())
    return false;
  const Stmt *Entry = Chain.empty() ? Site : Chain.front();
  // A destructor is run by a statement of the holder's (`q.clear()`; a
  // key of its CFG positions), not by its made-up call.
  if (!Chain.empty() && isDestruction(Chain.front())) {
    Entry = nullptr;
    for (const auto &[By, Calls] : Holder->Destroys)
      if (llvm::is_contained(Calls, Chain.front()) &&
          HI->second->Pos.count(static_cast<const Stmt *>(By)))
        Entry = static_cast<const Stmt *>(By);
    if (!Entry)
      return false;
  }
  bool Stops = false;
  walkOwnCode(Holder->Body, [&](const Stmt *S) {
    std::optional<FlagWrite> W = Stops ? std::nullopt : flagWrite(S, Ctx);
    if (!W)
      return;
    // The flag of the object whose mutex is held, written while it is
    // held and before the call.
    ObjectKey WK = HI->second->KB->keyOf(W->Member);
    if (WK.Root != HeldKey.Root || WK.RootVar != HeldKey.RootVar ||
        WK.Path.size() != HeldKey.Path.size() ||
        !std::equal(WK.Path.begin(), WK.Path.end() - 1, HeldKey.Path.begin()) ||
        !dominates(Holder, HeldSite, S) || !dominates(Holder, S, Entry))
      return;
    Stops = llvm::any_of(Tests, [&](const FlagTest &T) {
      return T.Member->getMemberDecl() == W->Member->getMemberDecl() &&
             T.failedBy(W->Value);
    });
  });
  return Stops;
}

bool BlockingAnalysis::Impl::callsThroughNull(const CallExpr *Call,
                                              std::string &Name) const {
  const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call);
  const Expr *Obj = MC ? MC->getImplicitObjectArgument() : nullptr;
  if (!Obj)
    return false;
  Obj = Obj->IgnoreParenImpCasts();
  // `p->f()`: through a raw pointer, or a smart pointer's operator->.
  if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(Obj);
      OC && OC->getOperator() == OO_Arrow && OC->getNumArgs() == 1)
    Obj = OC->getArg(0)->IgnoreParenImpCasts();
  const auto *DR = llvm::dyn_cast<DeclRefExpr>(Obj);
  const auto *VD = DR ? llvm::dyn_cast<VarDecl>(DR->getDecl()) : nullptr;
  if (!VD || !VD->isLocalVarDecl() || VD->isStaticLocal() ||
      !isPointerLike(VD->getType()))
    return false;
  auto IsNull = [&](const Expr *E) {
    if (!E)
      return true;
    E = E->IgnoreImplicit();
    if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(E))
      return CE->getNumArgs() == 0 ||
             (CE->getNumArgs() == 1 &&
              CE->getArg(0)->IgnoreImplicit()->getType()->isNullPtrType());
    return E->isNullPointerConstant(
               const_cast<ASTContext &>(VD->getASTContext()),
               Expr::NPC_ValueDependentIsNotNull) != Expr::NPCK_NotNull;
  };
  if (!IsNull(VD->getInit()))
    return false;
  // Every use reads it (a test, a dereference, a copy out) or makes it
  // null again; none gives it an object or hands it out to be changed.
  const auto *Fn = llvm::dyn_cast<FunctionDecl>(VD->getDeclContext());
  if (!Fn || !Fn->getBody())
    return false;
  bool Ok = true;
  ParentMapContext &PM = const_cast<ASTContext &>(Ctx).getParentMapContext();
  using namespace ast_matchers;
  for (const BoundNodes &N :
       match(traverse(
                 TK_AsIs,
                 findAll(declRefExpr(to(varDecl(equalsNode(VD)))).bind("u"))),
             *Fn->getBody(), const_cast<ASTContext &>(Ctx))) {
    const auto *Use = N.getNodeAs<DeclRefExpr>("u");
    if (!Ok)
      break;
    DynTypedNodeList Ps = PM.getParents(*Use);
    const Stmt *P = Ps.empty() ? nullptr : Ps[0].get<Stmt>();
    while (P && llvm::isa<ImplicitCastExpr, ParenExpr>(P)) {
      Ps = PM.getParents(*P);
      P = Ps.empty() ? nullptr : Ps[0].get<Stmt>();
    }
    if (const auto *OC = llvm::dyn_cast_or_null<CXXOperatorCallExpr>(P)) {
      if (OC->getOperator() == OO_Arrow || OC->getOperator() == OO_Star ||
          OC->getOperator() == OO_ExclaimEqual ||
          OC->getOperator() == OO_EqualEqual)
        continue;
      if (OC->getOperator() == OO_Equal && OC->getNumArgs() == 2 &&
          OC->getArg(0)->IgnoreImplicit() == Use && IsNull(OC->getArg(1)))
        continue;
    }
    if (const auto *BO = llvm::dyn_cast_or_null<BinaryOperator>(P)) {
      if (BO->isEqualityOp())
        continue;
      if (BO->getOpcode() == BO_Assign && BO->getLHS()->IgnoreParens() == Use &&
          IsNull(BO->getRHS()))
        continue;
    }
    if (const auto *UO = llvm::dyn_cast_or_null<UnaryOperator>(P);
        UO && (UO->getOpcode() == UO_LNot || UO->getOpcode() == UO_Deref))
      continue;
    if (const auto *ME = llvm::dyn_cast_or_null<MemberExpr>(P)) {
      // `p->f()` on a raw pointer, `p.operator bool()`.
      if (ME->isArrow())
        continue;
      if (const auto *Conv =
              llvm::dyn_cast<CXXConversionDecl>(ME->getMemberDecl());
          Conv && Conv->getConversionType()->isBooleanType())
        continue;
    }
    // A copy (or a move, which leaves it null): the copy cannot change it.
    if (const auto *CE = llvm::dyn_cast_or_null<CXXConstructExpr>(P);
        CE && CE->getConstructor()->isCopyOrMoveConstructor())
      continue;
    if (llvm::isa_and_nonnull<IfStmt, WhileStmt, ReturnStmt, CoreturnStmt,
                              ConditionalOperator>(P))
      continue; // Tested, or copied out (a copy cannot change it).
    Ok = false;
  }
  if (Ok)
    Name = VD->getNameAsString();
  return Ok;
}

void BlockingAnalysis::Impl::computeAddressTaken() {
  if (AddressTakenKnown)
    return;
  AddressTakenKnown = true;
  computeRunSites();
  using namespace ast_matchers;
  // Named other than as the callee of a call (an argument of one too:
  // `pthread_create(&t, nullptr, run, arg)`).
  auto IsCallee = [&](const Expr *E) {
    const Expr *Callee = E;
    for (unsigned I = 0; I < 2; ++I) {
      DynTypedNodeList Parents = Ctx.getParents(*Callee);
      if (Parents.empty())
        return false;
      if (const auto *C = Parents[0].get<CallExpr>())
        return C->getCallee() == Callee;
      const auto *ICE = Parents[0].get<ImplicitCastExpr>();
      if (!ICE)
        return false;
      Callee = ICE;
    }
    return false;
  };
  for (const BoundNodes &N :
       match(traverse(TK_AsIs,
                      findAll(expr(anyOf(declRefExpr(to(functionDecl())),
                                         memberExpr(member(cxxMethodDecl()))))
                                  .bind("r"))),
             Ctx)) {
    const auto *E = N.getNodeAs<Expr>("r");
    if (IsCallee(E))
      continue;
    const ValueDecl *D = llvm::isa<DeclRefExpr>(E)
                             ? llvm::cast<DeclRefExpr>(E)->getDecl()
                             : llvm::cast<MemberExpr>(E)->getMemberDecl();
    const auto *FD = llvm::cast<FunctionDecl>(D)->getCanonicalDecl();
    AddressTaken.insert(FD);
    if (!StartRefs.count(E))
      AddressEscapes.insert(FD);
  }
}

bool BlockingAnalysis::Impl::deadUnit(const CodeUnit *U, unsigned Depth,
                                      std::string &Why, bool Uncalled) {
  if (Depth > MaxDeadDepth)
    return false;
  // A lambda exists only once the code it is written in runs.
  if (U->Lambda) {
    const auto *Enc = llvm::dyn_cast<FunctionDecl>(
        U->Lambda->getLambdaClass()->getDeclContext());
    const CodeUnit *EU = Enc ? Inv.unitOf(Enc) : nullptr;
    return EU && EU != U && deadUnit(EU, Depth + 1, Why, Uncalled);
  }
  const FunctionDecl *FD = U->Fn;
  const auto *MD = llvm::dyn_cast<CXXMethodDecl>(FD);
  if (!FD ||
      (MD && (MD->isVirtual() || llvm::isa<CXXConstructorDecl>(MD) ||
              llvm::isa<CXXDestructorDecl>(MD) ||
              MD->getOverloadedOperator() != OO_None)) ||
      FD->isMain())
    return false;
  // Only this file's code can call it.
  const SourceManager &SM = Ctx.getSourceManager();
  const CXXRecordDecl *RD = MD ? MD->getParent() : nullptr;
  bool FileOnly =
      RD ? !RD->isDependentContext() && !RD->isLambda() &&
               !llvm::isa<ClassTemplateSpecializationDecl>(RD) &&
               SM.isInMainFile(SM.getExpansionLoc(RD->getLocation()))
         : !FD->isExternallyVisible() &&
               SM.isInMainFile(SM.getExpansionLoc(FD->getLocation()));
  if (!FileOnly || FD->isTemplateInstantiation())
    return false;
  // Named other than as a call's callee (`&Worker::stop`, a function
  // pointer, std::bind): it may run from anywhere.
  computeAddressTaken();
  if (AddressTaken.count(FD->getCanonicalDecl()))
    return false;
  if (auto IC = IndirectCallers.find(U);
      IC != IndirectCallers.end() && !IC->second.empty())
    return false;
  // Nothing calls it, and only this file could: it never runs (unless
  // template code we do not analyse names it).
  std::string Name = FD->getQualifiedNameAsString();
  if (Inv.callersOf(FD).empty()) {
    if (!Uncalled)
      return false;
    for (const FunctionDecl *T : UnanalysedTemplates)
      if (mayNameMember(T->getBody(), FD))
        return false;
    Why = "nothing calls '" + Name + "', and no other translation unit can";
    return true;
  }
  std::string NullName, Root;
  for (const auto &[CallerUnit, Call] : Inv.callersOf(FD)) {
    std::string Null, Sub;
    if (callsThroughNull(Call, Null)) {
      NullName = Null;
      continue;
    }
    if (CallerUnit && CallerUnit != U &&
        deadUnit(CallerUnit, Depth + 1, Sub, Uncalled)) {
      // The first reason at the root of the dead callers, said once.
      if (Root.empty()) {
        size_t P = Sub.rfind(DeadVia);
        Root = P == std::string::npos ? Sub : Sub.substr(P + DeadVia.size());
      }
      continue;
    }
    return false;
  }
  Why = "'" + Name + "' never runs: " +
        (!NullName.empty()
             ? "it is called only through '" + NullName +
                   "', which is always null there, or from code that never "
                   "runs"
             : DeadVia.str() + Root);
  return true;
}

void BlockingAnalysis::Impl::reportRecursiveReads(
    std::vector<BlockingFinding> &Out) {
  for (const RecursiveRead &R : RecursiveReads) {
    // A writer somewhere: the deadlock needs one to arrive in between.
    const Acquisition *Writer = nullptr;
    for (const Acquisition &A : Acquisitions)
      if (!A.Shared && A.Key.sameObject(R.Key)) {
        Writer = &A;
        break;
      }
    if (!Writer)
      continue;
    std::string Mu = "'" + R.Key.str() + "'";
    const CXXRecordDecl *RD = objectClass(R.Key.object()->getType());
    BlockingFinding F;
    F.Kind = BlockingFinding::SelfDeadlock;
    F.At = R.Site;
    F.Message = Mu + " is locked for reading again by code that already "
                     "holds it for reading; a writer that starts waiting in "
                     "between holds this second read lock back, and waits "
                     "itself for the first: both wait forever";
    sameMutexNote(F.Notes, R.First.Key, R.Key);
    heldNotes(F.Notes, R.First);
    addChainNotes(F.Notes, R.Chain,
                  "with '" + R.First.Key.str() + "' held for reading");
    std::string Type = "'" + plainQualifiedName(RD) + "'";
    F.Notes.push_back(
        {Writer->Site,
         "'" + Writer->Key.str() + "' is locked for writing here, in " +
             unitName(*Writer->Unit) +
             (RD->isInStdNamespace()
                  ? "; a thread that holds a " + Type +
                        " must not lock it again (undefined behaviour), and "
                        "libc++'s and MSVC's hold new readers back behind a "
                        "waiting writer"
                  : "; a waiting writer of " + Type +
                        " holds back new readers")});
    Out.push_back(std::move(F));
  }
}

void BlockingAnalysis::Impl::heldNotes(std::vector<WitnessStep> &Notes,
                                       const HeldLock &H) const {
  for (const CallExpr *C : H.Chain)
    Notes.push_back({C, callNote(C)});
  Notes.push_back({H.Site, "'" + H.Key.str() + "' is acquired here"});
}

std::string BlockingAnalysis::Impl::calleeName(const CallExpr *C) const {
  // `std::call_once(flag, f)` calls f.
  const FunctionDecl *Invoked = invokedFunction(C);
  const FunctionDecl *FD = Invoked ? Invoked : C->getDirectCallee();
  std::string Name =
      FD ? "'" + patternName(FD) + "'" : std::string("the callee");
  // A virtual call with one overrider in the program: name it too.
  if (!Invoked)
    if (const FunctionDecl *Target =
            ClassHierarchy::of(Ctx).targets(C).unique())
      Name += " (its only override, '" + patternName(Target) + "')";
  if (FD && llvm::isa<CXXMethodDecl>(FD) &&
      llvm::cast<CXXMethodDecl>(FD)->getParent()->isLambda())
    Name = "the lambda";
  // A call through a std::function or a pointer to functions: name the
  // function object.
  const Expr *Through = nullptr;
  if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(C);
      OC && OC->getOperator() == OO_Call && OC->getNumArgs() > 0)
    Through = OC->getArg(0);
  else if (!FD && !llvm::isa<CXXMemberCallExpr>(C) && C->getCallee())
    Through = C->getCallee();
  if (Through) {
    const Expr *Callee = Through->IgnoreParenImpCasts();
    if (const auto *ME = llvm::dyn_cast<MemberExpr>(Callee))
      Name = "the function object '" + ME->getMemberDecl()->getNameAsString() +
             "'";
    else if (const auto *DR = llvm::dyn_cast<DeclRefExpr>(Callee))
      Name = "the function object '" + DR->getDecl()->getNameAsString() + "'";
    else if (const ValueDecl *Container = elementContainer(Callee))
      Name = "a function object of '" + Container->getNameAsString() + "'";
  }
  return Name;
}

std::string BlockingAnalysis::Impl::callNote(const CallExpr *C) const {
  // A destruction (`delete p`, a scope's end: SyncInventory's made-up
  // call).
  if (isDestruction(C)) {
    const FunctionDecl *D = C->getDirectCallee();
    std::string Runs = "the destructor '" + patternName(D) + "' runs ";
    const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(C);
    const Expr *Obj = MC ? MC->getImplicitObjectArgument() : nullptr;
    if (const auto *DRE = llvm::dyn_cast_or_null<DeclRefExpr>(Obj))
      return Runs + "when '" + DRE->getDecl()->getNameAsString() +
             "' goes out of scope";
    // A destructor's member, at its end (made up, so with no location of
    // its own).
    if (const auto *ME = llvm::dyn_cast_or_null<MemberExpr>(Obj);
        ME && llvm::isa<CXXThisExpr>(ME->getBase()) &&
        ME->getMemberLoc().isInvalid())
      return Runs + "as the member '" + ME->getMemberDecl()->getNameAsString() +
             "' is destroyed";
    return Runs + "here";
  }
  if (invokedFunction(C))
    return "'" + patternName(C->getDirectCallee()) + "' calls " +
           calleeName(C) + " here";
  return calleeName(C) + " is called here";
}

void BlockingAnalysis::Impl::addChainNotes(
    std::vector<WitnessStep> &Notes, llvm::ArrayRef<const CallExpr *> Chain,
    llvm::StringRef Why) const {
  for (const CallExpr *C : Chain)
    Notes.push_back({C, callNote(C) + ", " + Why.str()});
}

void BlockingAnalysis::Impl::acquire(UnitInfo &I, State &S, const ObjectKey &K,
                                     bool Shared, const Stmt *Site,
                                     llvm::ArrayRef<const CallExpr *> Chain,
                                     llvm::ArrayRef<ObjectKey> ReleasedBefore,
                                     bool Record, bool Conditional) {
  if (!Record)
    return;
  Acquisitions.push_back({K, Site, Shared, I.U});
  // A recursive mutex this thread already holds: taking it again does not
  // wait, whatever else is held.
  bool Reentered =
      K.exact() && mayRecurse(K) &&
      llvm::any_of(S.Held, [&](const HeldLock &H) {
        return H.Key == K && !containsObject(ReleasedBefore, H.Key);
      });
  for (const HeldLock &H : S.Held) {
    if (containsObject(ReleasedBefore, H.Key))
      continue;
    if (H.Key == K && K.exact()) {
      // A callee that takes it only on some paths may be told not to
      // (rocksdb's WriteOptionsFile(need_mutex_lock)). A guard locked
      // again through itself throws (std::system_error, boost::lock_error)
      // instead of waiting.
      bool SameGuard = Chain.empty() && H.Chain.empty() && guardAt(I, Site) &&
                       guardAt(I, Site) == guardAt(I, H.Site);
      if (!(H.Shared && Shared) && !mayRecurse(K) &&
          !(Conditional && !Chain.empty()) && !SameGuard)
        ownSelfDeadlock(I, H, K, Site, Chain);
      // A read lock taken again: on a writer-preferring mutex, a writer
      // waiting in between holds the second one back.
      if (H.Shared && Shared && !(Conditional && !Chain.empty()) &&
          !SameGuard && writerPreferring(K))
        RecursiveReads.push_back({H, K, Site, {Chain.begin(), Chain.end()}});
      continue;
    }
    // Two mutexes of one abstract object held in different members
    // (`trx->mutex.m` and `thd->lock.m`): as two objects.
    bool Same = H.Key.sameObject(K) && !surelyDistinct(H.Key, K);
    // `this->mu` and `p.mu` where `this` can only be `p`.
    if (Same && !(H.Shared && Shared) && !mayRecurse(K) &&
        !(Conditional && !Chain.empty()) && sameThroughOnlyObject(H.Key, K)) {
      ownSelfDeadlock(I, H, K, Site, Chain);
      continue;
    }
    // Read-locked again through another name of that one object
    // (influxdb#26369: `f->mu` of a tag key pointing back at the log file
    // whose `mu` is held).
    if (Same && H.Shared && Shared && !(Conditional && !Chain.empty()) &&
        writerPreferring(K) && sameThroughOnlyObject(H.Key, K)) {
      RecursiveReads.push_back({H, K, Site, {Chain.begin(), Chain.end()}});
      continue;
    }
    // The same member of `this` and of a named object: the same mutex
    // where a caller's `this` is that object (decided at the calls).
    if (Same && H.Key.Root == ObjectKey::This && K.Root == ObjectKey::Var &&
        K.exact() && !(H.Shared && Shared) && !mayRecurse(K) &&
        !(Conditional && !Chain.empty()) && I.Sum.Pending.size() < MaxEffects)
      I.Sum.Pending.push_back({H, K, Site, {Chain.begin(), Chain.end()}});
    if (Same || !H.Key.object() || !K.object())
      continue;
    // Taken together by one statement (`std::scoped_lock l(a, b)`,
    // `std::lock(a, b)`): the standard's deadlock-avoidance algorithm
    // backs off instead of waiting while it holds one, whatever order
    // other code takes them in.
    if ((H.Site == Site && H.Chain.empty() && Chain.empty()) || Reentered)
      continue;
    Edge E{H.Key, K, H, Site, {Chain.begin(), Chain.end()}, I.U, Shared};
    Edges.push_back(std::move(E));
  }
}

void BlockingAnalysis::Impl::blockingOp(
    UnitInfo &I, State &S, BlockedOp Op,
    llvm::ArrayRef<ObjectKey> ReleasedBefore, bool Record) {
  if (!Record)
    return;
  if (!Op.SiteUnit)
    Op.SiteUnit = I.U;
  for (const HeldLock &H : S.Held)
    if (!containsObject(ReleasedBefore, H.Key))
      Op.Held.push_back(H);
  Op.Unit = I.U;
  Blocking.push_back(std::move(Op));
}

void BlockingAnalysis::Impl::transfer(UnitInfo &I, const CFGElement &E,
                                      State &S, bool Record, unsigned Depth) {
  transferElement(I, E, S, Record, Depth);
  if (I.U->Destroys.empty())
    return;
  // The destructors the element runs (SyncInventory): after the statement
  // (`delete p` destroys, then frees), at a local's or a member's end.
  const void *Trigger = nullptr;
  SourceLocation At; // for the dump: where the scope ends
  if (auto SE = E.getAs<CFGStmt>())
    Trigger = SE->getStmt();
  else if (auto D = E.getAs<CFGAutomaticObjDtor>()) {
    // A guard's end is the lock model's business.
    if (!I.Guards.Vars.count(D->getVarDecl()))
      Trigger = D->getVarDecl();
    if (D->getTriggerStmt())
      At = D->getTriggerStmt()->getEndLoc();
  } else if (auto M = E.getAs<CFGMemberDtor>())
    Trigger = M->getFieldDecl();
  else if (auto B = E.getAs<CFGBaseDtor>()) {
    if (const CXXRecordDecl *RD =
            B->getBaseSpecifier()->getType()->getAsCXXRecordDecl())
      Trigger = RD->getCanonicalDecl();
  }
  if (!Trigger)
    return;
  auto It = I.U->Destroys.find(Trigger);
  if (It == I.U->Destroys.end())
    return;
  for (const CallExpr *Call : It->second) {
    if (Inv.unitOf(Call->getDirectCallee()))
      callInto(I, S, Call, Record, Depth, At);
    else
      joinAtDestruction(I, S, Call, Record, At);
  }
}

void BlockingAnalysis::Impl::joinAtDestruction(UnitInfo &I, State &S,
                                               const CallExpr *Call,
                                               bool Record, SourceLocation At) {
  const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call);
  const auto *Dtor =
      llvm::dyn_cast_or_null<CXXDestructorDecl>(Call->getDirectCallee());
  if (!MC || !Dtor)
    return;
  // A std::async task's future (SyncInventory adds only those): its
  // destructor waits for the task, unless a wait on it came first.
  if (isFutureType(Dtor->getThisType()->getPointeeType())) {
    const auto *DRE = llvm::dyn_cast<DeclRefExpr>(
        MC->getImplicitObjectArgument()->IgnoreImpCasts());
    const auto *VD = DRE ? llvm::dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
    const auto *Async =
        VD && VD->getInit()
            ? llvm::dyn_cast<CallExpr>(bareExprThroughCopies(VD->getInit()))
            : nullptr;
    if (!Async || !blockingAsync(Async))
      return;
    bool Waited = false;
    walkOwnCode(I.U->Body, [&](const Stmt *St) {
      const auto *W = llvm::dyn_cast<CXXMemberCallExpr>(St);
      FutureOp FO = W ? classifyFutureOp(W) : FutureOp();
      if (FO && FO.Kind == FutureOpKind::Wait)
        if (const auto *R = llvm::dyn_cast<DeclRefExpr>(bareExpr(FO.Object)))
          Waited |= R->getDecl() == VD;
    });
    if (Waited)
      return;
    if (Record && Dumping)
      I.Skeleton.emplace_back(At.isValid() ? At : Call->getBeginLoc(),
                              "destroy: waits for the std::async task of " +
                                  VD->getNameAsString(),
                              heldText(S));
    if (Record)
      recordJoin(I, S, Call, I.KB->keyOf(MC->getImplicitObjectArgument()),
                 Async);
    return;
  }
  // The jthreads it joins: the object itself, or its jthread members.
  llvm::SmallVector<const CallExpr *, 1> Joined;
  if (isJoiningThread(Dtor->getParent())) {
    Joined.push_back(Call);
  } else {
    for (const FieldDecl *F : Dtor->getParent()->fields()) {
      const CXXRecordDecl *RD = F->getType()->getAsCXXRecordDecl();
      if (!isJoiningThread(RD) || !RD->getDestructor())
        continue;
      const CallExpr *&J = MemberJoins[{Call, F}];
      if (!J) {
        Expr *Obj = const_cast<Expr *>(MC->getImplicitObjectArgument());
        auto *Handle = MemberExpr::CreateImplicit(
            Ctx, Obj, Obj->getType()->isPointerType(),
            const_cast<FieldDecl *>(F), F->getType(), VK_LValue, OK_Ordinary);
        auto *ME = MemberExpr::CreateImplicit(
            Ctx, Handle, false, RD->getDestructor(), Ctx.BoundMemberTy,
            VK_PRValue, OK_Ordinary);
        J = CXXMemberCallExpr::Create(Ctx, ME, {}, Ctx.VoidTy, VK_PRValue,
                                      Call->getBeginLoc(), FPOptionsOverride());
      }
      Joined.push_back(J);
    }
  }
  for (const CallExpr *J : Joined) {
    const auto *JC = llvm::cast<CXXMemberCallExpr>(J);
    ObjectKey K = I.KB->keyOf(JC->getImplicitObjectArgument());
    if (Record && Dumping)
      I.Skeleton.emplace_back(At.isValid() ? At : J->getBeginLoc(),
                              "destroy: joins " + K.str(), heldText(S));
    if (Record)
      recordJoin(I, S, J, K);
  }
}

/// \p Call is `pthread_join(t, &ret)`.
static bool isPthreadJoin(const CallExpr *Call) {
  const FunctionDecl *F = Call ? Call->getDirectCallee() : nullptr;
  return F && F->getIdentifier() && F->getName() == "pthread_join" &&
         Call->getNumArgs() == 2 &&
         (F->isExternC() || F->getDeclContext()->isTranslationUnit());
}

void BlockingAnalysis::Impl::recordJoin(UnitInfo &I, const State &S,
                                        const CallExpr *Join,
                                        const ObjectKey &K,
                                        const CallExpr *Async) {
  if (Async) {
    AsyncOfJoin[Join] = Async;
    AsyncWaits.insert(Join);
  }
  if (!S.Held.empty())
    Joins.push_back({Join, I.U, {S.Held.begin(), S.Held.end()}, Async});
  if (JoinSeen.insert(Join).second)
    AllJoins.push_back({Join, I.U, {}, Async});
  // A caller may hold the lock (a destructor joining its thread, run by
  // `delete` under the owner's mutex): a summary effect.
  Effect Ef;
  Ef.Kind = Effect::Join;
  Ef.Key = K;
  Ef.Site = Join;
  Ef.SiteUnit = I.U;
  Ef.ReleasedBefore = S.Released;
  addEffect(I, std::move(Ef));
}

void BlockingAnalysis::Impl::transferElement(UnitInfo &I, const CFGElement &E,
                                             State &S, bool Record,
                                             unsigned Depth) {
  auto Skel = [&](SourceLocation At, std::string What) {
    if (Record && Dumping && At.isValid())
      I.Skeleton.emplace_back(At, std::move(What), heldText(S));
  };
  // Locks.
  llvm::SmallVector<LockEvent, 2> Events;
  Locks.eventsOf(E, I.Guards, Events);
  for (const LockEvent &Ev : Events) {
    // A lock that does nothing is not one.
    if (locksNothing(Ev))
      continue;
    // A wait releases its mutex and takes it back: the locks held do not
    // change, but taking it back, after every other lock held, is an
    // acquisition in that order (SDL#12365: the opener waits on the loop's
    // condition holding the device lock; the loop thread, holding the
    // loop's lock, takes the device lock). Its own hold does not count: it
    // was given up first.
    if (Ev.Wait) {
      if (Ev.Kind != LockEvent::Acquire || !Record)
        continue;
      ObjectKey K = lockKey(I, Ev);
      if (!K.valid())
        continue;
      if (Ev.Site)
        RewaitSites.insert(Ev.Site);
      KeyList GivenUp{K};
      acquire(I, S, K, Ev.Shared, Ev.Site, {}, GivenUp, Record);
      addAcquireEffect(I, S, K, Ev);
      continue;
    }
    ObjectKey K = lockKey(I, Ev);
    if (Ev.MutexExpr && Record)
      noteSyncUses(Ev.MutexExpr);
    if (Ev.Kind == LockEvent::Acquire) {
      Skel(Ev.Site ? Ev.Site->getBeginLoc() : SourceLocation(),
           std::string(Ev.Try ? "try-" : "") + "acquire " + K.str() +
               (Ev.Shared ? " (shared)" : ""));
      if (Ev.Try)
        continue;
      acquire(I, S, K, Ev.Shared, Ev.Site, {}, {}, Record);
      if (Record)
        addAcquireEffect(I, S, K, Ev);
      HeldLock H;
      H.Key = K;
      H.Shared = Ev.Shared;
      H.Site = Ev.Site;
      H.Explicit = Ev.Site && llvm::isa<CallExpr>(Ev.Site);
      S.Held.push_back(std::move(H));
    } else {
      SourceLocation At;
      if (Ev.Site)
        At = Ev.Site->getBeginLoc();
      else if (auto D = E.getAs<CFGAutomaticObjDtor>())
        At = D->getTriggerStmt()->getEndLoc();
      Skel(At, "release " + K.str() + (Ev.Site ? "" : " (end of scope)"));
      if (Record && llvm::none_of(S.Held, [&](const HeldLock &H) {
            return H.Key.sameObject(K);
          }))
        addObject(I.CallersReleased, K);
      releaseFrom(S, K);
      if (Record && Ev.Site && llvm::isa<CallExpr>(Ev.Site))
        addObject(I.ExplicitReleases, K);
      if (Record)
        addObject(I.AnyReleases, K);
    }
  }

  // A promise's destruction wakes its waiters (with broken_promise).
  if (auto D = E.getAs<CFGAutomaticObjDtor>()) {
    if (Record && D->getVarDecl() && D->getTriggerStmt())
      recordDrops(I, D->getVarDecl(), I.KB->keyOfVar(D->getVarDecl()),
                  D->getTriggerStmt(), S);
    return;
  }
  auto SE = E.getAs<CFGStmt>();
  if (!SE)
    return;
  const Stmt *St = SE->getStmt();
  // A context started here that releases a lock it did not take (a Go
  // mutex, unlocked by the goroutine: kubo's GC worker runs the GC lock's
  // unlocker): the lock is handed over with it; this code no longer
  // decides when it is free.
  if (const auto *LE = llvm::dyn_cast<LambdaExpr>(St); LE && !S.Held.empty())
    for (const ObjectKey &K : handedTo(LE, Depth)) {
      Skel(LE->getBeginLoc(),
           "hand " + K.str() + " to the context started here");
      llvm::SmallVector<ObjectKey, 2> Handed;
      for (const HeldLock &H : S.Held)
        if (H.Key.sameObject(K))
          Handed.push_back(H.Key);
      for (const ObjectKey &H : Handed)
        releaseFrom(S, H);
    }
  // Erasing a container's promises wakes their waiters (broken_promise).
  if (Record)
    if (Destruction D = destructionAt(St); D && !D.Dynamic)
      if (QualType P = elementPromise(D.Destroyed); !P.isNull()) {
        ObjectKey K = keyOf(I, D.Object);
        if (K.valid()) {
          K.Path.push_back(nullptr);
          Skel(St->getBeginLoc(), "destroy " + K.str());
          Ops.push_back({OpKind::FutureDrop, St, K, I.U, heldObjects(S),
                         oneShotTag(P, Ctx)});
        }
      }

  // An assignment makes the paths rooted at its target name another object.
  auto Kill = [&](const Expr *LHS) {
    LHS = bareExpr(LHS);
    if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(LHS)) {
      llvm::erase_if(S.Held, [&](const HeldLock &H) {
        return H.Key.Root == ObjectKey::Var && H.Key.RootVar == DRE->getDecl();
      });
    } else if (const auto *ME = llvm::dyn_cast<MemberExpr>(LHS)) {
      if (llvm::isa<CXXThisExpr>(bareExpr(ME->getBase())))
        llvm::erase_if(S.Held, [&](const HeldLock &H) {
          return H.Key.Root == ObjectKey::This && H.Key.Path.size() > 1 &&
                 H.Key.Path.front() == ME->getMemberDecl();
        });
    }
  };
  if (const auto *BO = llvm::dyn_cast<BinaryOperator>(St)) {
    if (BO->isAssignmentOp())
      Kill(BO->getLHS());
    return;
  }
  const auto *Call = llvm::dyn_cast<CallExpr>(St);
  if (!Call)
    return;
  if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(Call))
    if (OC->isAssignmentOp() && OC->getNumArgs() >= 1)
      Kill(OC->getArg(0));

  auto NoteUses = [&](const Expr *Obj) {
    if (Record)
      noteSyncUses(Obj);
  };

  // A thread's join(): it waits for the thread's body to finish.
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call))
    if (const CXXMethodDecl *M = MC->getMethodDecl())
      if (M->getIdentifier() && M->getName() == "join" &&
          MC->getNumArgs() == 0 && ThreadTypes.contains(M->getParent())) {
        ObjectKey K = I.KB->keyOf(MC->getImplicitObjectArgument());
        Skel(Call->getBeginLoc(), "join " + K.str());
        if (Record)
          recordJoin(I, S, MC, K);
        return;
      }
  // pthread_join(t, &ret): it waits for the routine pthread_create
  // started on t.
  if (isPthreadJoin(Call)) {
    ObjectKey K = I.KB->keyOf(Call->getArg(0));
    Skel(Call->getBeginLoc(), "join " + K.str());
    if (Record)
      recordJoin(I, S, Call, K);
    return;
  }
  // Latches, semaphores and wait groups.
  if (CounterOp CO =
          Counters.classify(llvm::dyn_cast<CXXMemberCallExpr>(Call))) {
    const Expr *Obj = CO.Object;
    ObjectKey K = keyOf(I, Obj);
    NoteUses(Obj);
    const void *Type = objectClass(Obj->getType());
    bool ArriveAndWait = CO.Kind == CounterOpKind::SignalAndWait;
    OpKind Kind = CO.Kind == CounterOpKind::Signal ? OpKind::CounterSignal
                  : CO.Kind == CounterOpKind::Add  ? OpKind::CounterAdd
                                                   : OpKind::CounterWait;
    Skel(Call->getBeginLoc(), std::string(opNoun(Kind)) + " " + K.str());
    if (Record) {
      // arrive_and_wait counts down too: a partner of the other waiters.
      if (ArriveAndWait) {
        SeenOp.erase(Obj);
        record(I, OpKind::CounterSignal, Obj, K, S, Type);
      }
      record(I, Kind, Call, K, S, Type);
    }
    if (Kind == OpKind::CounterWait && K.valid()) {
      BlockedOp B;
      B.Kind = OpKind::CounterWait;
      B.Call = Call;
      B.Object = K;
      B.Type = Type;
      B.BlocksAfterAdd = CO.Family == CounterOp::WaitGroup;
      B.Latch = CO.Family == CounterOp::Latch && !ArriveAndWait;
      // As created: a latch with a positive count, a semaphore with none.
      const ValueDecl *Obj = K.object();
      if (const Expr *Arg =
              llvm::isa_and_nonnull<FieldDecl>(Obj)
                  ? countArgument(llvm::cast<FieldDecl>(Obj))
                  : countArgument(llvm::dyn_cast_or_null<VarDecl>(Obj));
          Arg && CO.Family != CounterOp::WaitGroup) {
        Expr::EvalResult R;
        if (!Arg->isValueDependent() && Arg->EvaluateAsInt(R, Ctx)) {
          int64_t N = R.Val.getInt().getExtValue();
          B.BlocksAsCreated = CO.Family == CounterOp::Latch
                                  ? N > (ArriveAndWait ? 1 : 0)
                                  : N == 0;
        }
      }
      ownBlockingOp(I, S, std::move(B), Record);
    }
    return;
  }
  // A std::async call whose future is discarded: the temporary's
  // destructor waits for the task at once, like a join.
  if (Record && blockingAsync(Call) && discardedResult(Call)) {
    Skel(Call->getBeginLoc(), "waits for its std::async task (discarded)");
    recordJoin(I, S, Call, ObjectKey(), /*Async=*/Call);
    return;
  }
  // Promises and futures: a one-shot channel named by its promise.
  if (FutureOp FO = classifyFutureOp(Call)) {
    // Nothing here changes the locks held: only the record pass matters.
    if (!Record)
      return;
    NoteUses(FO.Object);
    const void *Tag = oneShotTag(FO.Object->getType(), Ctx);
    if (FO.Kind == FutureOpKind::Set) {
      ObjectKey K = keyOf(I, FO.Object);
      Skel(Call->getBeginLoc(), "set " + K.str());
      record(I, OpKind::FutureSet, Call, K, S, Tag);
      return;
    }
    if (FO.Kind != FutureOpKind::Wait)
      return; // a link (get_future, share) or a timed wait
    bool OwnerAlive = false;
    const CallExpr *Async = nullptr;
    ObjectKey K = promiseKey(I, FO.Object, OwnerAlive, &Async);
    // A std::async task's future: like a join of the task.
    if (Async)
      AsyncWaits.insert(Call);
    if (Async && !S.Held.empty())
      Joins.push_back({Call, I.U, {S.Held.begin(), S.Held.end()}, Async});
    Skel(Call->getBeginLoc(),
         "wait for " + (K.valid() ? K.str() : std::string("?")));
    if (!K.valid())
      return;
    record(I, OpKind::FutureWait, Call, K, S, Tag);
    // A promise that may be destroyed where we do not see it may wake
    // the wait with broken_promise at any time.
    if (!OwnerAlive && !dropsKnown(I, K))
      return;
    BlockedOp B;
    B.Kind = OpKind::FutureWait;
    B.Call = Call;
    B.Object = K;
    B.Type = Tag;
    B.OwnerAlive = OwnerAlive;
    ownBlockingOp(I, S, std::move(B), /*Record=*/true);
    return;
  }
  // Channel operations (a select's cases too).
  ChannelOp Op = Channels.classify(Call);
  bool Case = false;
  if (!Op)
    Case = bool(Op = caseOp(Call));
  if (Op) {
    ObjectKey K = keyOf(I, Op.Channel);
    // A case on a channel we cannot name (a timer's, `after(d)`) is not an
    // operation on every channel of its type: it is left out, and the
    // select's other cases do not block for good.
    if (Case && !K.object())
      return;
    NoteUses(Op.Channel);
    const void *Type = objectClass(Op.Channel->getType());
    // A receive from a context's done channel: from the context.
    if (const auto *DC = Contexts ? llvm::dyn_cast<CallExpr>(
                                        bareExprThroughCopies(Op.Channel))
                                  : nullptr) {
      const Expr *Ctx = Contexts->doneOf(DC);
      const FieldDecl *Fwd = Ctx ? nullptr : forwardedDoneMember(DC);
      if (Ctx || Fwd)
        if (const CXXRecordDecl *C = Contexts->contextClassIn(
                Ctx ? Ctx->getType() : Fwd->getType())) {
          Type = C;
          ContextClasses.insert(C);
        }
    }
    OpKind Kind = OpKind::Close;
    switch (Op.Kind) {
    case ChannelOpKind::Receive:
      Kind = OpKind::Receive;
      break;
    case ChannelOpKind::Send:
      Kind = OpKind::Send;
      break;
    case ChannelOpKind::TrySend:
      Kind = OpKind::TrySend;
      break;
    case ChannelOpKind::TryReceive:
      Kind = OpKind::TryReceive;
      break;
    default:
      break;
    }
    Skel(Call->getBeginLoc(),
         std::string(opNoun(Kind)) + " " + K.str() +
             (Op.Asynchronous && !I.Awaited.count(Call) ? " (not awaited)"
                                                        : ""));
    if (Record) {
      size_t Before = Ops.size();
      record(I, Kind, Call, K, S, Type);
      if (Ops.size() > Before)
        Ops.back().Spec = Op.Spec;
    }
    bool Blocks = (Kind == OpKind::Receive || Kind == OpKind::Send) &&
                  (!Op.Asynchronous || I.Awaited.count(Call));
    if (Blocks && K.valid()) {
      BlockedOp B;
      B.Kind = Kind;
      B.Call = Call;
      B.Object = K;
      B.Race = I.RaceOf.lookup(Call);
      B.Type = Type;
      if (Op.Spec) {
        // Unbuffered: the channel's capacity is 0 where it is created (for
        // a receive: a try-send completes it only while it waits).
        std::optional<uint64_t> Cap;
        if (Op.Spec->Unbuffered)
          Cap = 0;
        else if (const auto *VD = llvm::dyn_cast_or_null<VarDecl>(K.object()))
          Cap = Capacities.ofVariable(VD, *Op.Spec);
        else if (const auto *FD = llvm::dyn_cast_or_null<FieldDecl>(K.object()))
          Cap = Capacities.ofMember(FD, *Op.Spec);
        B.Unbuffered = Cap && *Cap == 0;
        B.Capacity = Cap;
      }
      ownBlockingOp(I, S, std::move(B), Record);
    }
    return;
  }
  // The test of a loop only a stop ends: asked like a wait only a stop
  // ends (reportStopWaits).
  if (Record)
    if (auto It = StopLoops.find(Call); It != StopLoops.end()) {
      BlockedOp B;
      B.Kind = OpKind::StopWait;
      B.Call = Call;
      B.Unit = B.SiteUnit = I.U;
      const auto *MC = llvm::cast<CXXMemberCallExpr>(Call);
      StopWaits.push_back(
          {std::move(B), MC->getImplicitObjectArgument(), It->second});
    }
  // A context's cancel: the close of its done channel.
  if (const Expr *Callee = nullptr;
      std::optional<ObjectKey> K = cancelKey(I, Call, Callee)) {
    NoteUses(Callee);
    Skel(Call->getBeginLoc(), "cancel " + K->str());
    // Its class: the context's, or the one the factory's pair holds.
    const void *Type = nullptr;
    if (K->RootVar)
      Type = Contexts->contextClassIn(K->RootVar->getType());
    if (!Type)
      Type = Contexts->contextClassIn(Callee->getType());
    if (Record && K->valid())
      record(I, OpKind::Close, Call, *K, S, Type);
    return;
  }
  // A std::stop_source's request_stop(): the partner of a wait that only
  // a stop ends.
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call);
      MC && MC->getMethodDecl() && RequestStopId &&
      MC->getMethodDecl()->getIdentifier() == RequestStopId &&
      isStopSourceType(MC->getImplicitObjectArgument()->getType())) {
    ObjectKey K = keyOf(I, MC->getImplicitObjectArgument());
    Skel(Call->getBeginLoc(), "request stop " + K.str());
    if (Record)
      record(I, OpKind::StopRequest, Call, K, S, nullptr);
    return;
  }
  // Condition variables.
  if (std::optional<ConditionWait> W = CVs.asWait(Call)) {
    const Expr *CVExpr = nullptr;
    if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call))
      CVExpr = MC->getImplicitObjectArgument();
    else if (Call->getNumArgs() >= 1)
      CVExpr = Call->getArg(0);
    ObjectKey K = keyOf(I, CVExpr, W->CondVar);
    NoteUses(CVExpr);
    Skel(Call->getBeginLoc(),
         std::string(W->Timed ? "timed " : "") + "wait on " + K.str());
    if (Record)
      record(I, OpKind::Wait, Call, K, S, objectClass(CVExpr->getType()));
    // A wait only a stop ends: asked after the dataflow (reportStopWaits).
    if (Record && !W->Timed)
      if (const Expr *Token = stopOnlyToken(*W)) {
        BlockedOp B;
        B.Kind = OpKind::StopWait;
        B.Call = Call;
        B.Object = K;
        B.Unit = B.SiteUnit = I.U;
        StopWaits.push_back({std::move(B), Token});
      }
    const void *CVType = objectClass(CVExpr->getType());
    if (!W->Timed && !W->StopAware) {
      BlockedOp B;
      B.Kind = OpKind::Wait;
      B.Call = Call;
      B.Object = K;
      B.HasPredicate = W->Predicate != nullptr;
      B.Type = CVType;
      if (W->Lock) {
        // The mutex the wait releases: a guard's, or the lockable itself.
        const Expr *L = bareExpr(W->Lock);
        // `guard.native_handle()`: the lock inside a user's guard.
        if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(L))
          if (MC->getNumArgs() == 0)
            L = bareExpr(MC->getImplicitObjectArgument());
        if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(L))
          if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl())) {
            auto It = I.Guards.Vars.find(VD);
            if (It != I.Guards.Vars.end() && It->second.MutexExprs.size() == 1)
              B.OwnMutex = I.KB->keyOf(It->second.MutexExprs.front());
          }
        if (!B.OwnMutex.valid())
          B.OwnMutex = I.KB->keyOf(L);
        if (!B.OwnMutex.valid())
          if (const ValueDecl *M = Locks.lockedBy(W->Lock))
            B.OwnMutex.Path.push_back(M);
      }
      ownBlockingOp(I, S, std::move(B), Record);
    }
    return;
  }
  if (CVs.notified(Call)) {
    const Expr *CVExpr = nullptr;
    if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call))
      CVExpr = MC->getImplicitObjectArgument();
    else if (Call->getNumArgs() >= 1)
      CVExpr = Call->getArg(0);
    ObjectKey K = keyOf(I, CVExpr, CVs.notified(Call));
    NoteUses(CVExpr);
    Skel(Call->getBeginLoc(), "notify " + K.str());
    if (Record)
      record(I, OpKind::Notify, Call, K, S,
             CVExpr ? objectClass(CVExpr->getType()) : nullptr);
    return;
  }
  if (!Events.empty())
    return; // A lock or unlock: its implementation is the model's business.
  callInto(I, S, Call, Record, Depth);
}

void BlockingAnalysis::Impl::callInto(UnitInfo &I, State &S,
                                      const CallExpr *Call, bool Record,
                                      unsigned Depth, SourceLocation At) {
  auto Skel = [&](SourceLocation At, std::string What) {
    if (Record && Dumping && At.isValid())
      I.Skeleton.emplace_back(At, std::move(What), heldText(S));
  };
  auto NoteUses = [&](const Expr *Obj) {
    if (Record)
      noteSyncUses(Obj);
  };
  // A call into the translation unit's own code (or through a function
  // object whose lambdas we know): its summary, in our terms.
  llvm::SmallVector<const CodeUnit *, 2> Targets = targetsOf(I, Call);
  if (Targets.empty()) {
    if (Record)
      acquiredElsewhere(I, S, Call);
    // A channel or condition variable handed to code we do not read: that
    // code may complete (or be) any operation on it.
    // A smart pointer's own members (`pw = std::make_shared<Pipe>()`)
    // change which object it owns, not the object.
    const auto *Method =
        llvm::dyn_cast_or_null<CXXMethodDecl>(Call->getDirectCallee());
    bool OwnerOnly = Method && isSmartPointer(Method->getParent());
    if (Record && !OwnerOnly && !isIdentityLike(Call) &&
        !I.RangeCalls.count(Call))
      for (const Expr *Arg : Call->arguments()) {
        const CXXRecordDecl *RD = objectClass(Arg->getType());
        if (!RD)
          continue;
        QualType T = Arg->getType().getNonReferenceType();
        bool Sync = Channels.specForType(T) || CVs.isConditionVariable(T);
        if (!Sync && T->isPointerType())
          Sync = Channels.specForType(T->getPointeeType()) ||
                 CVs.isConditionVariable(T->getPointeeType());
        if (!Sync || isFreshObject(Arg))
          continue;
        ObjectKey K = keyOf(I, Arg);
        NoteUses(Arg);
        SeenOp.erase(Arg);
        Skel(Arg->getBeginLoc(), "hands " + K.str() + " to code not read");
        record(I, OpKind::Unknown, Arg, K, S, RD);
      }
    return;
  }
  if (Record)
    CallHeld[Call] = heldObjects(S);
  if (Record && Dumping) {
    std::string What = isDestruction(Call)     ? "destroy: runs"
                       : I.Calls.count(Call)   ? "call"
                       : I.MayOnly.count(Call) ? "virtual call, may run:"
                       : llvm::isa<CXXOperatorCallExpr>(Call)
                           ? "call through std::function:"
                           : "call through a function pointer:";
    for (const CodeUnit *T : Targets) {
      if (!T->Lambda) {
        What += " " + unitName(*T);
        continue;
      }
      PresumedLoc P = Ctx.getSourceManager().getPresumedLoc(
          Ctx.getSourceManager().getExpansionLoc(T->Lambda->getBeginLoc()));
      What += " lambda at " + (P.isValid() ? std::to_string(P.getLine()) + ":" +
                                                 std::to_string(P.getColumn())
                                           : std::string("?"));
    }
    Skel(At.isValid() ? At : Call->getBeginLoc(), What);
  }
  bool MayOnly = I.MayOnly.count(Call);
  for (const CodeUnit *Callee : Targets)
    applySummary(I, S, Call, Callee, Targets.size() == 1 && !MayOnly, Record,
                 Depth, MayOnly);
}

void BlockingAnalysis::Impl::applySummary(UnitInfo &I, State &S,
                                          const CallExpr *Call,
                                          const CodeUnit *Callee, bool Only,
                                          bool Record, unsigned Depth,
                                          bool MayOnly) {
  const Summary *Sum =
      Depth < MaxCallDepth ? summaryOf(Callee, Depth + 1) : nullptr;
  if (!Sum) {
    // A call back into a unit under analysis: noted, for that unit to
    // judge with its locks (only what surely runs).
    auto CI = Infos.find(Callee);
    if (Record && !MayOnly && Depth < MaxCallDepth && CI != Infos.end() &&
        CI->second->Status == UnitInfo::InProgress && !Callee->Lambda) {
      ObjectKey This;
      This.Root = ObjectKey::This;
      ObjectKey Obj = calleeKey(I, This, Call, Callee->Fn);
      if (Obj.valid())
        noteReentry(I, S, {Callee, std::move(Obj), {Call}, {}});
    }
    return;
  }
  for (const Reentry &R : Record && !MayOnly ? llvm::ArrayRef(Sum->Reentries)
                                             : llvm::ArrayRef<Reentry>()) {
    if (R.Chain.size() + 1 > MaxCallDepth)
      continue;
    Reentry Mine{R.Target, calleeKey(I, R.Object, Call, Callee->Fn), {Call}};
    Mine.Chain.append(R.Chain.begin(), R.Chain.end());
    for (HeldLock H : R.Held) {
      H.Key = calleeKey(I, H.Key, Call, Callee->Fn);
      H.Chain.insert(H.Chain.begin(), Call);
      H.Explicit = false;
      if (H.Key.valid())
        Mine.Held.push_back(std::move(H));
    }
    if (Mine.Object.valid())
      noteReentry(I, S, std::move(Mine));
  }
  for (const Effect &Ef : Sum->Effects) {
    if (Ef.Chain.size() + 1 > MaxCallDepth)
      continue;
    // `f(false)` where f locks only `if (lock)`: not here.
    Requirements Req;
    bool Unknown = false;
    if (!requiredAt(Ef, Call, Callee->Fn, Req, Unknown))
      continue;
    bool Conditional =
        Ef.Conditional || MayOnly || (Unknown && Ef.Kind == Effect::Acquire);
    ObjectKey K = calleeKey(I, Ef.Key, Call, Callee->Fn);
    // What the callee released before, in our terms.
    KeyList ReleasedBefore;
    for (const ObjectKey &R : Ef.ReleasedBefore)
      addObject(ReleasedBefore, calleeKey(I, R, Call, Callee->Fn));
    llvm::SmallVector<const CallExpr *, 2> Chain{Call};
    Chain.append(Ef.Chain.begin(), Ef.Chain.end());
    if (Ef.Kind == Effect::Acquire) {
      // Still up to a caller of ours: as conditional as a lock under
      // `if (need_lock)`.
      acquire(I, S, K, Ef.Shared, Ef.Site, Chain, ReleasedBefore, Record,
              Conditional || !Req.empty());
    } else if (Ef.Kind == Effect::Join) {
      if (Record && !S.Held.empty() && !MayOnly && Req.empty())
        Joins.push_back({llvm::cast<CallExpr>(Ef.Site),
                         I.U,
                         {S.Held.begin(), S.Held.end()},
                         AsyncOfJoin.lookup(llvm::cast<CallExpr>(Ef.Site)),
                         Ef.SiteUnit,
                         Chain});
    } else if (Record) {
      BlockedOp B = Blocking[Ef.Op];
      B.Object = K;
      B.Chain = Chain;
      // The locks the callee holds there are held here too, down the call.
      llvm::SmallVector<HeldLock, 2> Inner;
      for (HeldLock H : B.Held) {
        H.Key = calleeKey(I, H.Key, Call, Callee->Fn);
        H.Chain.insert(H.Chain.begin(), Call);
        H.Explicit = false;
        if (H.Key.object() && !llvm::any_of(S.Held, [&](const HeldLock &O) {
              return O.Key.sameObject(H.Key);
            }))
          Inner.push_back(std::move(H));
      }
      B.Held.clear();
      if (B.OwnMutex.valid())
        B.OwnMutex = calleeKey(I, B.OwnMutex, Call, Callee->Fn);
      blockingOp(I, S, std::move(B), ReleasedBefore, Record);
      Blocking.back().Held.append(Inner.begin(), Inner.end());
    }
    if (Record) {
      Effect Mine = Ef;
      Mine.Key = K;
      Mine.Chain = Chain;
      Mine.Requires = Req;
      Mine.Conditional = Conditional;
      Mine.ReleasedBefore = ReleasedBefore;
      for (const ObjectKey &R : S.Released)
        addObject(Mine.ReleasedBefore, R);
      if (Mine.Kind == Effect::Block)
        Mine.Op = Blocking.size() - 1;
      addEffect(I, std::move(Mine));
    }
  }
  // A `this` mutex held under the callee while it takes a named object's:
  // here `this` may be that object.
  for (const PendingSelf &P :
       Record ? llvm::ArrayRef(Sum->Pending) : llvm::ArrayRef<PendingSelf>()) {
    if (P.Chain.size() + 1 > MaxCallDepth)
      continue;
    ObjectKey HK = mapThroughCall(P.Held.Key, Call, Callee->Fn, *I.KB, I.U->Fn);
    llvm::SmallVector<const CallExpr *, 2> Chain{Call};
    Chain.append(P.Chain.begin(), P.Chain.end());
    if ((HK == P.Key && HK.exact()) || sameThroughOnlyObject(HK, P.Key)) {
      if (P.Held.Chain.empty() &&
          flagStopsReentry(Callee, P.Held.Key, P.Held.Site, P.Site, P.Chain))
        continue;
      HeldLock First = P.Held;
      First.Key = HK;
      First.Chain.insert(First.Chain.begin(), Call);
      // The call is in the first note's chain; the rest leads on from the
      // held acquisition.
      selfDeadlock(First, HK, P.Site, P.Chain, *I.U);
    } else if (HK.Root == ObjectKey::This &&
               I.Sum.Pending.size() < MaxEffects) {
      PendingSelf Mine = P;
      Mine.Held.Key = HK;
      Mine.Held.Chain.insert(Mine.Held.Chain.begin(), Call);
      Mine.Chain = Chain;
      I.Sum.Pending.push_back(std::move(Mine));
    }
  }
  for (const ObjectKey &R : Sum->MayRelease) {
    ObjectKey Mine = calleeKey(I, R, Call, Callee->Fn);
    // A release wrapper (LeaveCriticalSection()) of a lock a wrapper took
    // here: released as explicitly as an unlock().
    if (Record && llvm::any_of(S.Held, [&](const HeldLock &H) {
          return H.ByWrapper && H.Key.sameObject(Mine);
        }))
      addObject(I.ExplicitReleases, Mine);
    releaseFrom(S, Mine);
  }
  // Held after the call only if it is the one function called.
  if (!Only)
    return;
  for (const HeldLock &H : Sum->ExitHeld) {
    HeldLock Mine = H;
    Mine.Key = calleeKey(I, H.Key, Call, Callee->Fn);
    Mine.Chain.insert(Mine.Chain.begin(), Call);
    // (Taken by the wrapper itself, not by code it calls in turn.)
    Mine.ByWrapper = H.Explicit && H.Chain.empty();
    Mine.Explicit = false;
    if (Mine.Key.valid())
      S.Held.push_back(std::move(Mine));
  }
}

void BlockingAnalysis::Impl::acquiredElsewhere(UnitInfo &I, State &S,
                                               const CallExpr *Call) {
  const FunctionDecl *Callee = Call->getDirectCallee();
  if (!crosstu::enabled() || !Callee || Callee->hasBody() ||
      isDestruction(Call))
    return;
  // A virtual call may run an override that takes something else.
  if (mayRunOverride(Callee))
    return;
  // Asked only where an acquisition can make a finding here (asking is
  // what makes the CLI analyse this unit again): with a lock held, and
  // either a global (the callee may name it) or a callee whose object or
  // parameters are of a class whose mutex this unit names itself (held
  // here, the callee may take it again; taken here in some order, the
  // callee may take it in the other).
  if (S.Held.empty() || !mayAcquireNamed(Callee, S))
    return;
  const crosstu::FunctionSummary *Sum = crosstu::ask(Callee, Ctx);
  if (!Sum)
    return;
  for (const crosstu::FunctionSummary::Acquire &A : Sum->Acquires) {
    ObjectKey Own = crosstu::keyOf(A.Key, Callee);
    if (!Own.valid())
      continue;
    Effect Ef;
    Ef.Kind = Effect::Acquire;
    Ef.Key = Own;
    bool Known = true;
    for (const auto &[Param, Value] : A.Requires) {
      Known &= Param < Callee->getNumParams();
      if (Known)
        Ef.Requires.push_back({Callee->getParamDecl(Param), Value});
    }
    // `f(false)` where f locks only `if (lock)`: not here. One our own
    // caller decides is left out: nothing here says it.
    Requirements Req;
    bool Unknown = false;
    if (!Known || !requiredAt(Ef, Call, Callee, Req, Unknown) || Unknown ||
        !Req.empty())
      continue;
    ObjectKey K = calleeKey(I, Own, Call, Callee);
    if (!K.valid())
      continue;
    SourceLocation At = crosstu::locate(A.At, Ctx.getSourceManager());
    if (At.isValid())
      ExternalAcquires[Call].push_back(
          {K,
           {nullptr,
            "'" + patternName(Callee) +
                "', defined in another translation unit, acquires '" +
                Own.str() + "' here",
            At}});
    acquire(I, S, K, A.Shared, Call, {}, {}, true, false);
    Effect Mine;
    Mine.Kind = Effect::Acquire;
    Mine.Key = K;
    Mine.Shared = A.Shared;
    Mine.Site = Call;
    Mine.ReleasedBefore = S.Released;
    addEffect(I, std::move(Mine));
  }
}

bool BlockingAnalysis::Impl::mayAcquireNamed(const FunctionDecl *Callee,
                                             const State &S) {
  if (llvm::any_of(S.Held, [](const HeldLock &H) {
        const auto *VD = llvm::dyn_cast_or_null<VarDecl>(H.Key.object());
        return VD && VD->hasGlobalStorage();
      }))
    return true;
  if (!LockOwnersKnown) {
    LockOwnersKnown = true;
    llvm::DenseMap<const FieldDecl *, bool> Lockable;
    for (const auto &UP : Inv.units())
      walkOwnCode(UP->Body, [&](const Stmt *St) {
        const auto *ME = llvm::dyn_cast<MemberExpr>(St);
        const auto *F =
            ME ? llvm::dyn_cast<FieldDecl>(ME->getMemberDecl()) : nullptr;
        if (!F)
          return;
        auto [It, New] = Lockable.try_emplace(F, false);
        if (New)
          It->second = LockModel::isLockable(F->getType());
        if (const auto *RD = llvm::dyn_cast<CXXRecordDecl>(F->getParent());
            RD && It->second)
          LockOwners.insert(RD->getCanonicalDecl());
      });
  }
  auto Owns = [&](const CXXRecordDecl *RD) {
    if (!RD || !RD->hasDefinition())
      return false;
    if (LockOwners.contains(RD->getCanonicalDecl()))
      return true;
    return llvm::any_of(
        RD->getDefinition()->bases(), [&](const CXXBaseSpecifier &B) {
          const CXXRecordDecl *BD = B.getType()->getAsCXXRecordDecl();
          return BD && LockOwners.contains(BD->getCanonicalDecl());
        });
  };
  if (const auto *MD = llvm::dyn_cast<CXXMethodDecl>(Callee);
      MD && !MD->isStatic() && Owns(MD->getParent()))
    return true;
  return llvm::any_of(Callee->parameters(), [&](const ParmVarDecl *P) {
    return Owns(objectClass(P->getType()));
  });
}

void BlockingAnalysis::Impl::recordAcquires(crosstu::Recording &Rec) const {
  const SourceManager &SM = Ctx.getSourceManager();
  for (const auto &UP : Inv.units()) {
    const CodeUnit *U = UP.get();
    auto It = Infos.find(U);
    if (U->Lambda || !U->Fn || It == Infos.end() ||
        It->second->Status != UnitInfo::Done)
      continue;
    std::string Id = crosstu::summaryIdentity(U->Fn, Ctx);
    if (Id.empty())
      continue;
    // What it takes whatever its caller holds and passes: not what it
    // takes only on a path its caller may rule out, nor after giving a
    // lock back (its caller's, maybe).
    std::vector<crosstu::FunctionSummary::Acquire> Out;
    for (const Effect &Ef : It->second->Sum.Effects) {
      if (Ef.Kind != Effect::Acquire || Ef.Conditional || Ef.Rewait ||
          !Ef.ReleasedBefore.empty() || !Ef.Site)
        continue;
      std::optional<crosstu::AccessPath> P = crosstu::pathOf(Ef.Key, U->Fn);
      std::optional<crosstu::Location> L =
          crosstu::locationOf(Ef.Site->getBeginLoc(), SM);
      if (!P || !L)
        continue;
      crosstu::FunctionSummary::Acquire A{*P, Ef.Shared, {}, *L};
      bool Own = true;
      for (const auto &[Param, Value] : Ef.Requires) {
        Own &= Param->getDeclContext() == U->Fn;
        A.Requires.emplace_back(Param->getFunctionScopeIndex(), Value);
      }
      // One per mutex and condition, at its first place.
      if (Own && llvm::none_of(Out, [&](const auto &O) {
            return O.Key == A.Key && O.Shared == A.Shared &&
                   O.Requires == A.Requires;
          }))
        Out.push_back(std::move(A));
    }
    crosstu::FunctionSummary &S = Rec.Defined[Id];
    S.Name = U->Fn->getNameAsString();
    S.Acquires = std::move(Out);
  }
}

void BlockingAnalysis::Impl::externalNotes(BlockingFinding &F) const {
  if (ExternalAcquires.empty())
    return;
  std::vector<WitnessStep> Out;
  // The acquisitions at the call the step names (all, if it names none).
  auto Add = [&](const Stmt *At, llvm::StringRef Text) {
    auto It = At ? ExternalAcquires.find(At) : ExternalAcquires.end();
    if (It == ExternalAcquires.end())
      return;
    bool Named = llvm::any_of(It->second, [&](const auto &E) {
      return Text.contains("'" + E.first.str() + "'");
    });
    for (const auto &[K, Step] : It->second)
      if (!Named || Text.contains("'" + K.str() + "'"))
        Out.push_back(Step);
  };
  for (const WitnessStep &N : F.Notes) {
    Out.push_back(N);
    Add(N.At, N.What);
  }
  Add(F.At, F.Message);
  F.Notes = std::move(Out);
}

const Summary *BlockingAnalysis::Impl::summaryOf(const CodeUnit *U,
                                                 unsigned Depth) {
  UnitInfo &I = info(U);
  if (!I.Relevant)
    return nullptr;
  if (I.Status == UnitInfo::Done)
    return &I.Sum;
  if (I.Status == UnitInfo::InProgress)
    return nullptr; // Recursion: what it does is not known yet.
  analyse(I, Depth);
  return I.Status == UnitInfo::Done ? &I.Sum : nullptr;
}

void BlockingAnalysis::Impl::analyse(UnitInfo &I, unsigned Depth) {
  I.Status = UnitInfo::InProgress;
  ++Stats.Analysed;
  const CodeUnit &U = *I.U;
  prepare(I);
  computeParamGuards(I);
  std::unique_ptr<CFG> G = buildCFG(U);
  if (!G) {
    Incomplete = true;
    if (!LeftOut.first)
      LeftOut = {&U, "no CFG"};
    I.Status = UnitInfo::Done;
    return;
  }
  // Forward to a fixpoint, within a budget.
  std::vector<State> In(G->getNumBlockIDs());
  In[G->getEntry().getBlockID()].Reached = true;
  llvm::SmallVector<const CFGBlock *, 16> Work{&G->getEntry()};
  llvm::DenseSet<const CFGBlock *> Queued{&G->getEntry()};
  size_t Budget = 40 * G->getNumBlockIDs() + 100;
  // `if (threads_enabled) lock(m);`: only the mode that locks matters
  // (LockModel::isModeGuardedLocking); its false edge is not followed.
  // Per block: 0 not asked yet, 1 no, 2 yes.
  std::vector<uint8_t> ModeGuarded(G->getNumBlockIDs(), 0);
  auto OnlyTaken = [&](const CFGBlock *B) {
    uint8_t &M = ModeGuarded[B->getBlockID()];
    if (!M) {
      const auto *If = llvm::dyn_cast_or_null<IfStmt>(B->getTerminatorStmt());
      M = If && B->succ_size() == 2 && Locks.isModeGuardedLocking(If, I.Guards)
              ? 2
              : 1;
    }
    return M == 2;
  };
  while (!Work.empty()) {
    if (Budget-- == 0) {
      ++Stats.OverBudget;
      Incomplete = true;
      if (!LeftOut.first)
        LeftOut = {&U, "over its budget"};
      I.Sum = Summary();
      I.Status = UnitInfo::Done;
      return;
    }
    const CFGBlock *B = Work.pop_back_val();
    Queued.erase(B);
    State S = In[B->getBlockID()];
    for (const CFGElement &E : *B)
      transfer(I, E, S, false, Depth);
    bool Taken = OnlyTaken(B);
    unsigned Edge = 0;
    for (const CFGBlock *Succ : B->succs()) {
      if (Edge++ == 1 && Taken)
        continue;
      if (!Succ)
        continue;
      State &SI = In[Succ->getBlockID()];
      State N = join(SI, S);
      if (!(N == SI)) {
        SI = std::move(N);
        if (Queued.insert(Succ).second)
          Work.push_back(Succ);
      }
    }
  }
  // The settled states: record what happens, once.
  for (const CFGBlock *B : *G) {
    State S = In[B->getBlockID()];
    if (!S.Reached)
      continue;
    bool Throws = false;
    const Stmt *Ret = nullptr;
    unsigned Index = 0;
    for (const CFGElement &E : *B) {
      // A scope's end, where its objects die (the body's own end is the
      // unit's exit, below).
      if (auto D = E.getAs<CFGAutomaticObjDtor>())
        if (D->getTriggerStmt() && D->getTriggerStmt() != U.Body)
          I.Pos.try_emplace(D->getTriggerStmt(), B->getBlockID(), Index);
      if (auto SE = E.getAs<CFGStmt>()) {
        I.Pos[SE->getStmt()] = {B->getBlockID(), Index};
        if (llvm::isa<CXXThrowExpr>(SE->getStmt()))
          Throws = true;
        if (llvm::isa<ReturnStmt>(SE->getStmt()))
          Ret = SE->getStmt();
      }
      transfer(I, E, S, true, Depth);
      ++Index;
    }
    if (B->getTerminatorStmt())
      I.Pos[B->getTerminatorStmt()] = {B->getBlockID(), Index};
    if (const auto *For =
            llvm::dyn_cast_or_null<CXXForRangeStmt>(B->getTerminatorStmt()))
      if (ChannelOp Op = Channels.rangeReceive(For)) {
        ObjectKey K = keyOf(I, Op.Channel);
        const void *Type = objectClass(Op.Channel->getType());
        record(I, OpKind::Receive, For, K, S, Type);
        if (Dumping)
          I.Skeleton.emplace_back(For->getBeginLoc(),
                                  "a range-for receive from " + K.str(),
                                  heldText(S));
        // It blocks as the same loop written with a receive in its
        // condition does: at the test that ends it (the iterator that
        // stops only once the channel is closed).
        if (const auto *Test = llvm::dyn_cast_or_null<CallExpr>(
                For->getCond() ? For->getCond()->IgnoreImplicit() : nullptr);
            Test && K.valid()) {
          RangeTests[Test] = For;
          BlockedOp BO;
          BO.Kind = OpKind::Receive;
          BO.Call = Test;
          BO.Object = K;
          BO.Type = Type;
          ownBlockingOp(I, S, std::move(BO), /*Record=*/true);
        }
      }
    if (Dumping && !B->succ_empty() && *B->succ_begin() == &G->getExit())
      I.Skeleton.emplace_back(Ret ? Ret->getBeginLoc() : U.Body->getEndLoc(),
                              Throws                    ? "throw"
                              : B->hasNoReturnElement() ? "no return"
                                                        : "return",
                              heldText(S));
    // A return (not a throw, not a call that never returns: assert()).
    if (!B->succ_empty() && *B->succ_begin() == &G->getExit() && !Throws &&
        !B->hasNoReturnElement())
      for (const HeldLock &H : S.Held)
        if ((H.Explicit && H.Chain.empty()) || H.ByWrapper)
          Leaks.push_back({I.U, Ret, H});
    // Back to a loop's head: what this way round still holds.
    for (const CFGBlock *Succ : B->succs())
      if (Succ && Succ->getLoopTarget())
        for (const HeldLock &H : S.Held)
          if (H.Explicit && H.Chain.empty() && !H.Shared)
            LoopLeaks.push_back({I.U, Succ->getLoopTarget(), B, Succ, H});
  }
  // Must-held at the exit, and what may have been released.
  const State &Exit = In[G->getExit().getBlockID()];
  // The unit's body stands for its end (what dies there, a std::async
  // task's completion).
  I.Pos[U.Body] = {G->getExit().getBlockID(), 0};
  // What dies when the unit ends: promises its by-value parameters hold,
  // a lambda's captures (its closure dies after its run, as far as we can
  // tell).
  if (Exit.Reached) {
    auto AtExit = [&](const VarDecl *VD) {
      recordDrops(I, VD, I.KB->keyOfVar(VD), U.Body, Exit);
    };
    if (U.Lambda) {
      for (const LambdaCapture &C : U.Lambda->captures())
        if (C.capturesVariable() && C.getCaptureKind() == LCK_ByCopy)
          if (const auto *VD = llvm::dyn_cast<VarDecl>(C.getCapturedVar()))
            AtExit(VD);
    } else if (U.Fn) {
      for (const ParmVarDecl *P : U.Fn->parameters())
        AtExit(P);
    }
  }
  if (Exit.Reached) {
    for (const HeldLock &H : Exit.Held)
      if (H.Key.valid())
        I.Sum.ExitHeld.push_back(H);
    I.Sum.MayRelease = Exit.Released;
  }
  I.G = std::move(G);
  I.Status = UnitInfo::Done;
  for (const PendingSelf &D : I.OwnSelfDeadlocks)
    if (!flagStopsReentry(I.U, D.Held.Key, D.Held.Site, D.Site, D.Chain))
      selfDeadlock(D.Held, D.Key, D.Site, D.Chain, *I.U);
  I.OwnSelfDeadlocks.clear();
  reportReentries(I);
}

void BlockingAnalysis::Impl::reportReentries(UnitInfo &I) {
  llvm::SmallPtrSet<const Stmt *, 2> Reported;
  for (const UnitInfo::OwnReentry &R : I.OwnReentries)
    for (const Effect &E : I.Sum.Effects) {
      if (E.Kind != Effect::Acquire || E.Conditional || E.Shared ||
          !E.Requires.empty() || Reported.count(E.Site) ||
          R.Chain.size() + E.Chain.size() > MaxCallDepth)
        continue;
      // The mutex the unit acquires, on the object it is called on again.
      ObjectKey K;
      if (E.Key.Root == ObjectKey::This) {
        K = R.Object;
        K.Path.append(E.Key.Path.begin(), E.Key.Path.end());
      } else if (E.Key.Root == ObjectKey::Var && E.Key.RootVar &&
                 E.Key.RootVar->hasGlobalStorage()) {
        K = E.Key;
      } else {
        continue;
      }
      if (mayRecurse(K))
        continue;
      llvm::SmallVector<const CallExpr *, 4> Chain(R.Chain.begin(),
                                                   R.Chain.end());
      Chain.append(E.Chain.begin(), E.Chain.end());
      for (const HeldLock &H : R.Held) {
        if (H.Shared ||
            !((H.Key == K && K.exact()) || sameThroughOnlyObject(H.Key, K)))
          continue;
        if (H.Chain.empty() &&
            flagStopsReentry(I.U, H.Key, H.Site, E.Site, Chain))
          continue;
        selfDeadlock(H, K, E.Site, Chain, *I.U);
        Reported.insert(E.Site);
        break;
      }
    }
  I.OwnReentries.clear();
}

//===-- The only object of a class ----------------------------------------===//

const BlockingAnalysis::Impl::OnlyObject &
BlockingAnalysis::Impl::only(const CXXRecordDecl *C) {
  C = C->getCanonicalDecl();
  if (auto It = OnlyObjects.find(C); It != OnlyObjects.end())
    return It->second;
  OnlyObject Only;
  // A class only this file's code makes objects of: not a template's, not
  // a lambda's, not a union.
  const CXXRecordDecl *Def = C->getDefinition();
  if (Def && !llvm::isa<ClassTemplateSpecializationDecl>(Def) &&
      !Def->getInstantiatedFromMemberClass() && mainFileClass(Def)) {
    ObjectsOf Find(Def, Ctx.getSourceManager());
    Find.TraverseDecl(Ctx.getTranslationUnitDecl());
    if (!Find.Other && Find.Vars.empty() && Find.Heap.size() == 1 &&
        Find.onlyInitialisers()) {
      // One made on the heap, once: in `main` (nothing may call it), not
      // in a loop.
      const Expr *E = Find.Heap.front();
      const FunctionDecl *Fn = enclosingFunction(E, Ctx);
      if (Fn && Fn->isMain() && !innermostLoopAround(Fn->getBody(), E))
        Only.Made = E;
    } else if (!Find.Other && Find.Vars.size() == 1 && Find.Heap.empty() &&
               Find.onlyInitialisers()) {
      const VarDecl *V = *Find.Vars.begin();
      // One object for the whole program: not one per thread, not a
      // local or a parameter of code that may run twice at once. `main`
      // runs once, and nothing may call it.
      const auto *Fn = llvm::dyn_cast<FunctionDecl>(V->getDeclContext());
      if (V->getStorageDuration() == SD_Static ||
          (V->getStorageDuration() == SD_Automatic &&
           !llvm::isa<ParmVarDecl>(V) && Fn && Fn->isMain()))
        Only.Var = V;
    }
  }
  return OnlyObjects[C] = Only;
}

bool BlockingAnalysis::Impl::sameThroughOnlyObject(const ObjectKey &A,
                                                   const ObjectKey &B) {
  // Two names of one member of a class with one object: whichever way
  // they reach an object of that class, it is that one.
  if (A.valid() && B.valid() && !A.isElement() && !B.isElement() &&
      !A.Path.empty() && !B.Path.empty() && A.Path.back() == B.Path.back())
    if (const auto *F = llvm::dyn_cast<FieldDecl>(A.Path.back()))
      if (const auto *C = llvm::dyn_cast<CXXRecordDecl>(F->getParent()))
        if (onlyObject(C) || onlyHeapObject(C))
          return true;
  const ObjectKey *T = &A, *V = &B;
  if (T->Root != ObjectKey::This)
    std::swap(T, V);
  if (T->Root != ObjectKey::This || V->Root != ObjectKey::Var || !V->RootVar ||
      T->Path.empty() || T->Path != V->Path || !T->exact() || !V->exact() ||
      V->RootVar->getType()->isReferenceType())
    return false;
  // `this` is an object of the class whose member the path starts with.
  const auto *F = llvm::dyn_cast<FieldDecl>(T->Path.front());
  const CXXRecordDecl *C = V->RootVar->getType()->getAsCXXRecordDecl();
  if (!F || !C || F->getParent()->getCanonicalDecl() != C->getCanonicalDecl())
    return false;
  return onlyObject(C) == V->RootVar->getCanonicalDecl();
}

//===-- Constant arguments ------------------------------------------------===//

bool BlockingAnalysis::Impl::readOnlyBool(const ParmVarDecl *P) {
  if (auto It = ReadOnlyBools.find(P); It != ReadOnlyBools.end())
    return It->second;
  const auto *FD = llvm::dyn_cast<FunctionDecl>(P->getDeclContext());
  bool OK = P->getType()->isBooleanType() && FD && FD->getBody();
  // Every use reads its value, or captures it: no assignment, no `&p`, no
  // non-const reference to it, in the function or its lambdas.
  llvm::DenseSet<const Expr *> Reads;
  auto Check = [&](const Stmt *S) {
    if (const auto *ICE = llvm::dyn_cast<ImplicitCastExpr>(S)) {
      if (ICE->getCastKind() == CK_LValueToRValue)
        Reads.insert(ICE->getSubExpr()->IgnoreParens());
    } else if (const auto *LE = llvm::dyn_cast<LambdaExpr>(S)) {
      for (const Expr *Init : LE->capture_inits())
        if (Init)
          Reads.insert(Init->IgnoreParens());
    } else if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(S)) {
      if (DRE->getDecl() == P && !Reads.count(DRE))
        OK = false;
    }
  };
  if (OK) {
    walkWithLambdas(FD->getBody(), nullptr, Check);
    if (const auto *Ctor = llvm::dyn_cast<CXXConstructorDecl>(FD))
      for (const CXXCtorInitializer *Init : Ctor->inits())
        walkWithLambdas(Init->getInit(), nullptr, Check);
  }
  ReadOnlyBools[P] = OK;
  return OK;
}

void BlockingAnalysis::Impl::paramLiterals(const Expr *Cond, bool Value,
                                           Requirements &Out, bool &Opaque) {
  forEachImpliedTest(Cond, Value, [&](const Expr *Test, bool TestValue) {
    if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(Test))
      if (const auto *P = llvm::dyn_cast<ParmVarDecl>(DRE->getDecl());
          P && readOnlyBool(P)) {
        if (!addRequirement(Out, {P, TestValue}))
          Opaque = true; // `p && !p`: nothing to say.
        return;
      }
    // Another test: opaque if it reads a parameter, or a thread's own
    // flag, with which a caller may say it holds what is taken (a
    // condition on anything else is as if absent, as everywhere in the
    // dataflow).
    walkOwnCode(Test, [&](const Stmt *In) {
      if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(In)) {
        const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl());
        Opaque |= llvm::isa<ParmVarDecl>(DRE->getDecl()) ||
                  (VD && VD->getTLSKind() != VarDecl::TLS_None);
      }
    });
  });
}

void BlockingAnalysis::Impl::computeParamGuards(UnitInfo &I) {
  // Acquisitions and blocking operations under a branch on a parameter:
  // the caller says whether they happen (`if (need_lock) mu.lock();`).
  auto Guard = [&](const Stmt *Branch, const Requirements &Req, bool Opaque) {
    if (!Branch || (Req.empty() && !Opaque))
      return;
    walkOwnCode(Branch, [&](const Stmt *In) {
      UnitInfo::ParamGuard &G = I.ParamGuards[In];
      for (const auto &R : Req)
        if (!addRequirement(G.Requires, R))
          G.Opaque = true;
      G.Opaque |= Opaque;
    });
  };
  auto Branches = [&](const Expr *Cond, const Stmt *Then, const Stmt *Else) {
    for (bool Value : {true, false}) {
      Requirements Req;
      bool Opaque = false;
      paramLiterals(Cond, Value, Req, Opaque);
      Guard(Value ? Then : Else, Req, Opaque);
    }
  };
  walkOwnCode(I.U->Body, [&](const Stmt *S) {
    if (const auto *If = llvm::dyn_cast<IfStmt>(S)) {
      Branches(If->getCond(), If->getThen(), If->getElse());
    } else if (const auto *CO = llvm::dyn_cast<ConditionalOperator>(S)) {
      Branches(CO->getCond(), CO->getTrueExpr(), CO->getFalseExpr());
    } else if (const auto *Sw = llvm::dyn_cast<SwitchStmt>(S)) {
      bool Opaque = false;
      walkOwnCode(Sw->getCond(), [&](const Stmt *In) {
        if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(In))
          Opaque |= llvm::isa<ParmVarDecl>(DRE->getDecl());
      });
      Guard(Sw->getBody(), {}, Opaque);
    } else if (const auto *CS = llvm::dyn_cast<CompoundStmt>(S)) {
      // `if (canceled) return;`: what follows runs only when the test
      // fails (a plain test of parameters; another leaves it as it was).
      llvm::ArrayRef<Stmt *> Body(CS->body_begin(), CS->size());
      for (size_t K = 0; K + 1 < Body.size(); ++K) {
        const auto *If = llvm::dyn_cast<IfStmt>(Body[K]);
        if (!If || If->getElse() || If->getInit() ||
            If->getConditionVariable() || !alwaysLeaves(If->getThen()))
          continue;
        Requirements Req;
        bool Opaque = false;
        paramLiterals(If->getCond(), false, Req, Opaque);
        if (Opaque || Req.empty())
          continue;
        for (size_t J = K + 1; J < Body.size(); ++J)
          Guard(Body[J], Req, false);
      }
    }
  });
}

bool BlockingAnalysis::Impl::requiredAt(const Effect &Ef, const CallExpr *Call,
                                        const FunctionDecl *Callee,
                                        Requirements &Out, bool &Unknown) {
  for (const auto &[P, V] : Ef.Requires) {
    // A parameter of the function a lambda is written in: decided where
    // that function is called.
    if (P->getDeclContext() != Callee) {
      if (!addRequirement(Out, {P, V}))
        return false;
      continue;
    }
    const Expr *Arg = argumentFor(Call, Callee, P->getFunctionScopeIndex());
    bool C = false;
    if (Arg && !Arg->isValueDependent() &&
        Arg->EvaluateAsBooleanCondition(C, Ctx)) {
      if (C != V)
        return false;
      continue;
    }
    // The caller's own parameter (or its negation), handed on.
    Requirements Mine;
    bool Opaque = false;
    const Expr *Bare = Arg ? Arg->IgnoreParenImpCasts() : nullptr;
    bool Plain =
        Bare && (llvm::isa<DeclRefExpr>(Bare) ||
                 (llvm::isa<UnaryOperator>(Bare) &&
                  llvm::cast<UnaryOperator>(Bare)->getOpcode() == UO_LNot));
    if (Plain)
      paramLiterals(Bare, V, Mine, Opaque);
    if (!Plain || Opaque || Mine.size() != 1) {
      Unknown = true;
      continue;
    }
    if (!addRequirement(Out, Mine.front()))
      return false;
  }
  return true;
}

bool BlockingAnalysis::Impl::acquiresAt(UnitInfo &I, const CFGElement &E,
                                        const ObjectKey &M,
                                        const Effect **Via) {
  llvm::SmallVector<LockEvent, 2> Events;
  Locks.eventsOf(E, I.Guards, Events);
  for (const LockEvent &Ev : Events)
    if (Ev.Kind == LockEvent::Acquire && !Ev.Try && !Ev.Wait &&
        lockKey(I, Ev).sameObject(M))
      return true;
  auto SE = E.getAs<CFGStmt>();
  const auto *Call = SE ? llvm::dyn_cast<CallExpr>(SE->getStmt()) : nullptr;
  if (!Call)
    return false;
  llvm::SmallVector<const CodeUnit *, 2> Targets = targetsOf(I, Call);
  // Every function it may call takes M (one that may not is no gate).
  bool Any = false;
  for (const CodeUnit *Callee : Targets) {
    auto It = Infos.find(Callee);
    if (It == Infos.end() || It->second->Status != UnitInfo::Done)
      return false;
    bool Takes = false;
    for (const Effect &Ef : It->second->Sum.Effects) {
      Requirements Req;
      bool Unknown = false;
      if (Ef.Kind == Effect::Acquire &&
          requiredAt(Ef, Call, Callee->Fn, Req, Unknown) &&
          calleeKey(I, Ef.Key, Call, Callee->Fn).sameObject(M)) {
        if (Via && !Takes && !Any)
          *Via = &Ef;
        Takes = true;
      }
    }
    if (!Takes)
      return false;
    Any = true;
  }
  return Any;
}

bool BlockingAnalysis::Impl::needsBeforeNext(const CodeUnit *U,
                                             const Stmt *Site,
                                             const ObjectKey &M) {
  const CFGBlock *Start;
  unsigned Idx;
  if (!cfgPos(U, Site, Start, Idx))
    return false;
  UnitInfo &I = *Infos.find(U)->second;
  auto AcquiresIn = [&](const CFGBlock *B, unsigned From, unsigned To) {
    unsigned K = 0;
    for (const CFGElement &E : *B) {
      if (K >= From && K < To && acquiresAt(I, E, M))
        return true;
      ++K;
    }
    return false;
  };
  // Can the operation run again at all: in a loop of its function, or in
  // a function entered more than once?
  bool Reentered = runsMoreThanOnce(U, 0);
  bool Looped = false;
  {
    llvm::SmallVector<const CFGBlock *, 16> Work(Start->succ_begin(),
                                                 Start->succ_end());
    llvm::DenseSet<const CFGBlock *> Seen;
    while (!Work.empty() && !Looped) {
      const CFGBlock *B = Work.pop_back_val();
      if (!B || !Seen.insert(B).second)
        continue;
      Looped = B == Start;
      Work.append(B->succ_begin(), B->succ_end());
    }
  }
  if (!Looped && !Reentered)
    return false;
  // Some way from the operation to its next run takes M: once the
  // partner is there, the blocked side keeps M and waits for it.
  if (AcquiresIn(Start, Idx + 1, Start->size()))
    return true;
  llvm::SmallVector<const CFGBlock *, 16> Work(Start->succ_begin(),
                                               Start->succ_end());
  llvm::DenseSet<const CFGBlock *> Seen;
  while (!Work.empty()) {
    const CFGBlock *B = Work.pop_back_val();
    if (!B || !Seen.insert(B).second)
      continue;
    if (B == Start) {
      if (AcquiresIn(Start, 0, Idx))
        return true;
      continue;
    }
    if (AcquiresIn(B, 0, B->size()))
      return true;
    Work.append(B->succ_begin(), B->succ_end());
  }
  return false;
}

bool BlockingAnalysis::Impl::runsMoreThanOnce(const CodeUnit *U, unsigned Depth,
                                              bool Unbounded) {
  if (Depth > MaxCallDepth)
    return false;
  if (U->Lambda && inLoop(U->Lambda))
    return true;
  auto Callers = Inv.callersOf(U->Fn);
  if (Callers.size() >= 2 && !Unbounded)
    return true;
  for (const auto &[CallerUnit, Call] : Callers)
    if (inLoop(Call) ||
        runsMoreThanOnce(CallerUnit, Depth + 1, Unbounded))
      return true;
  return false;
}

//===----------------------------------------------------------------------===//
// The questions
//===----------------------------------------------------------------------===//

const KeyList &BlockingAnalysis::Impl::entryHeld(const CodeUnit *U,
                                                 unsigned Depth) {
  auto It = EntryHeld.find(U);
  if (It != EntryHeld.end())
    return It->second;
  EntryHeld[U] = {}; // Recursion: nothing known to be held.
  KeyList Result;
  llvm::SmallVector<std::pair<const CodeUnit *, const CallExpr *>, 4> Callers;
  for (const auto &[CallerUnit, Call] : Inv.callersOf(U->Fn))
    Callers.push_back({CallerUnit, Call});
  // A lambda called through a std::function: held at each such call.
  if (auto It = IndirectCallers.find(U); It != IndirectCallers.end())
    Callers.append(It->second.begin(), It->second.end());
  bool First = true;
  if (Depth < MaxCallDepth)
    for (const auto &[CallerUnit, Call] : Callers) {
      KeyList Here;
      auto CH = CallHeld.find(Call);
      if (CH != CallHeld.end())
        Here = CH->second;
      for (const ObjectKey &K : entryHeld(CallerUnit, Depth + 1))
        addObject(Here, K);
      if (First) {
        Result = Here;
        First = false;
      } else {
        llvm::erase_if(Result, [&](const ObjectKey &K) {
          return !containsObject(Here, K);
        });
      }
    }
  EntryHeld[U] = Result;
  return EntryHeld[U];
}

namespace {
/// The name \p E hands on, through copies, std::move and friends, `&`,
/// `*` and a smart pointer's `->` / `*`: a DeclRefExpr or a MemberExpr,
/// or null.
const Expr *handedName(const Expr *E) {
  for (int Guard = 0; E && Guard < 8; ++Guard) {
    E = bareExprThroughCopies(E);
    if (llvm::isa<DeclRefExpr, MemberExpr>(E))
      return E;
    if (const auto *UO = llvm::dyn_cast<UnaryOperator>(E)) {
      if (UO->getOpcode() != UO_AddrOf && UO->getOpcode() != UO_Deref)
        return nullptr;
      E = UO->getSubExpr();
      continue;
    }
    if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(E)) {
      if ((OC->getOperator() != OO_Arrow && OC->getOperator() != OO_Star) ||
          OC->getNumArgs() != 1)
        return nullptr;
      E = OC->getArg(0);
      continue;
    }
    const auto *C = llvm::dyn_cast<CallExpr>(E);
    const FunctionDecl *FD = C ? C->getDirectCallee() : nullptr;
    if (!FD || !FD->isInStdNamespace() || !FD->getIdentifier() ||
        C->getNumArgs() != 1)
      return nullptr;
    llvm::StringRef N = FD->getName();
    if (N != "move" && N != "forward" && N != "ref" && N != "cref" &&
        N != "as_const" && N != "addressof")
      return nullptr;
    E = C->getArg(0);
  }
  return nullptr;
}

bool namesDecl(const Expr *N, const ValueDecl *D) {
  if (const auto *DRE = llvm::dyn_cast_or_null<DeclRefExpr>(N)) {
    // A structured binding names the object it decomposes.
    if (const auto *BD = llvm::dyn_cast<BindingDecl>(DRE->getDecl()))
      return BD == D || BD->getDecomposedDecl() == D;
    return DRE->getDecl() == D;
  }
  if (const auto *ME = llvm::dyn_cast_or_null<MemberExpr>(N))
    return ME->getMemberDecl() == D;
  return false;
}

/// An operation on \p RK may be one on the object \p K, confined with
/// \p Names: the same allocation site, or one of the names it reaches.
/// A loop whose body never comes round again: `do { ... } while (false)`,
/// or a body that ends, unconditionally, in a `return`, `break` or `throw`
/// of its own (or an if/else whose branches all do) that no `continue` of
/// its own skips (`for (;;) { ...; return x; }`).
bool bodyRunsOnce(const Stmt *Loop, const ASTContext &Ctx) {
  const Stmt *Body = nullptr;
  if (const auto *D = llvm::dyn_cast<DoStmt>(Loop)) {
    bool Again = true;
    const Expr *Cond = D->getCond();
    if (Cond && !Cond->isValueDependent() &&
        Cond->EvaluateAsBooleanCondition(Again, Ctx) && !Again)
      return true;
    // `do { ... } while (dummy_cond())`: Boost.Test's macros loop on a
    // function that returns false.
    if (const auto *Call = llvm::dyn_cast_or_null<CallExpr>(
            Cond ? Cond->IgnoreParenImpCasts() : nullptr))
      if (const FunctionDecl *FD = Call->getDirectCallee();
          FD && Call->getNumArgs() == 0 && FD->getBody())
        if (const auto *Body = llvm::dyn_cast<CompoundStmt>(FD->getBody());
            Body && Body->size() == 1)
          if (const auto *Ret = llvm::dyn_cast<ReturnStmt>(Body->body_front());
              Ret && Ret->getRetValue() &&
              !Ret->getRetValue()->isValueDependent() &&
              Ret->getRetValue()->EvaluateAsBooleanCondition(Again, Ctx) &&
              !Again)
            return true;
    Body = D->getBody();
  } else if (const auto *F = llvm::dyn_cast<ForStmt>(Loop)) {
    Body = F->getBody();
  } else if (const auto *W = llvm::dyn_cast<WhileStmt>(Loop)) {
    Body = W->getBody();
  } else {
    return false; // a range-for: receiving from a channel, say
  }
  // Every way out of the body's last statement leaves the loop: a return,
  // break or throw, or an if/else both of whose branches end so (a worklist:
  // an else-if chain may be long).
  llvm::SmallVector<const Stmt *, 8> Ends{Body};
  while (!Ends.empty()) {
    const Stmt *Last = Ends.pop_back_val();
    while (const auto *CS = llvm::dyn_cast_or_null<CompoundStmt>(Last))
      Last = CS->body_empty() ? nullptr : CS->body_back();
    if (const auto *If = llvm::dyn_cast_or_null<IfStmt>(Last)) {
      if (!If->getElse())
        return false;
      Ends.push_back(If->getThen());
      Ends.push_back(If->getElse());
      continue;
    }
    const auto *LastExpr = llvm::dyn_cast_or_null<Expr>(Last);
    if (!Last ||
        !(llvm::isa<ReturnStmt, BreakStmt>(Last) ||
          (LastExpr && llvm::isa<CXXThrowExpr>(LastExpr->IgnoreParens()))))
      return false;
  }
  // A `continue` of this loop: one not inside a loop nested in it.
  bool Continues = false;
  llvm::SmallVector<const Stmt *, 16> Work{Body};
  while (!Work.empty() && !Continues) {
    const Stmt *S = Work.pop_back_val();
    if (!S ||
        llvm::isa<ForStmt, WhileStmt, DoStmt, CXXForRangeStmt, LambdaExpr>(S))
      continue;
    Continues = llvm::isa<ContinueStmt>(S);
    Work.append(S->child_begin(), S->child_end());
  }
  return !Continues;
}

/// What runs again with each round of the loop \p S: its body, its
/// condition (a `while`'s condition variable too) and a `for`'s increment.
/// (A range-for's range is evaluated once.)
static llvm::SmallVector<const Stmt *, 4> loopRepeats(const Stmt *S) {
  llvm::SmallVector<const Stmt *, 4> Out{loopBody(S)};
  if (const auto *F = llvm::dyn_cast<ForStmt>(S))
    Out.append({F->getConditionVariableDeclStmt(), F->getCond(), F->getInc()});
  else if (const auto *W = llvm::dyn_cast<WhileStmt>(S))
    Out.append({W->getConditionVariableDeclStmt(), W->getCond()});
  else if (const auto *D = llvm::dyn_cast<DoStmt>(S))
    Out.push_back(D->getCond());
  llvm::erase(Out, nullptr);
  return Out;
}

/// \p Site is a statement of \p Body that runs whenever \p Body does: one
/// of its statements, through nested blocks only (not under a condition).
static bool runsWith(const Stmt *Body, const Stmt *Site) {
  llvm::SmallVector<const Stmt *, 8> Work{Body};
  while (!Work.empty()) {
    const Stmt *S = Work.pop_back_val();
    if (!S)
      continue;
    if (const auto *CS = llvm::dyn_cast<CompoundStmt>(S)) {
      Work.append(CS->body_begin(), CS->body_end());
      continue;
    }
    if (const auto *E = llvm::dyn_cast<Expr>(S);
        E && E->IgnoreImplicit() == Site)
      return true;
  }
  return false;
}

/// How many times a counted loop runs its body at most: `for (int i = A;
/// i < B; ++i)` with constants A and B, whose body does not change i.
std::optional<uint64_t> constantTrips(const Stmt *Loop, const ASTContext &Ctx) {
  const auto *F = llvm::dyn_cast<ForStmt>(Loop);
  const auto *Init =
      F ? llvm::dyn_cast_or_null<DeclStmt>(F->getInit()) : nullptr;
  const auto *I = Init && Init->isSingleDecl()
                      ? llvm::dyn_cast<VarDecl>(Init->getSingleDecl())
                      : nullptr;
  if (!I || !I->getType()->isIntegerType() || !I->getInit() || !F->getCond())
    return std::nullopt;
  std::optional<uint64_t> From = evaluateCount(I->getInit(), Ctx);
  const auto *Cond =
      llvm::dyn_cast<BinaryOperator>(F->getCond()->IgnoreParenImpCasts());
  const auto *Inc = llvm::dyn_cast_or_null<UnaryOperator>(
      F->getInc() ? F->getInc()->IgnoreParenImpCasts() : nullptr);
  auto IsI = [&](const Expr *E) {
    const auto *DR = llvm::dyn_cast<DeclRefExpr>(E->IgnoreParenImpCasts());
    return DR && DR->getDecl() == I;
  };
  if (!From || !Cond || !IsI(Cond->getLHS()) || !Inc || !Inc->isIncrementOp() ||
      !IsI(Inc->getSubExpr()))
    return std::nullopt;
  std::optional<uint64_t> To = evaluateCount(Cond->getRHS(), Ctx);
  if (!To || (Cond->getOpcode() == BO_NE && *To < *From))
    return std::nullopt;
  uint64_t End = *To;
  if (Cond->getOpcode() == BO_LE)
    ++End;
  else if (Cond->getOpcode() != BO_LT && Cond->getOpcode() != BO_NE)
    return std::nullopt;
  // The body leaves i alone: no assignment, increment or address of it.
  bool Changed = false;
  walkWithLambdas(F->getBody(), nullptr, [&](const Stmt *S) {
    if (const auto *U = llvm::dyn_cast<UnaryOperator>(S))
      Changed |= (U->isIncrementDecrementOp() || U->getOpcode() == UO_AddrOf) &&
                 IsI(U->getSubExpr());
    else if (const auto *B = llvm::dyn_cast<BinaryOperator>(S))
      Changed |= B->isAssignmentOp() && IsI(B->getLHS());
    else if (const auto *LE = llvm::dyn_cast<LambdaExpr>(S))
      for (const LambdaCapture &C : LE->captures())
        Changed |= C.capturesVariable() && C.getCapturedVar() == I &&
                   C.getCaptureKind() == LCK_ByRef;
    else if (const auto *Call = llvm::dyn_cast<CallExpr>(S)) {
      // Bound to a reference to non-const (or to a parameter we cannot see).
      const FunctionDecl *FD = Call->getDirectCallee();
      unsigned Shift = llvm::isa<CXXOperatorCallExpr>(Call) &&
                               llvm::isa_and_nonnull<CXXMethodDecl>(FD)
                           ? 1
                           : 0;
      for (unsigned A = 0; A < Call->getNumArgs(); ++A) {
        const Expr *Arg = Call->getArg(A);
        if (!IsI(Arg) || Arg->isPRValue())
          continue;
        const ParmVarDecl *P =
            FD && A >= Shift && A - Shift < FD->getNumParams()
                ? FD->getParamDecl(A - Shift)
                : nullptr;
        QualType T = P ? P->getType() : QualType();
        Changed |= !P || (T->isReferenceType() &&
                          !T.getNonReferenceType().isConstQualified());
      }
    }
  });
  if (Changed)
    return std::nullopt;
  return End > *From ? End - *From : 0;
}

bool reachesName(const ObjectKey &RK, const ObjectKey &K,
                 const llvm::SmallPtrSetImpl<const ValueDecl *> &Names) {
  return RK.sameObject(K) || (RK.Root == ObjectKey::Var && RK.Path.empty() &&
                              Names.count(RK.RootVar));
}

/// A const member function that gives nothing back through which the
/// object could be reached (`is_open()`, `size()`).
bool isQuery(const CXXMethodDecl *M) {
  if (!M || !M->isConst())
    return false;
  QualType R = M->getReturnType();
  return R->isVoidType() || R->isBooleanType() ||
         R->isIntegralOrEnumerationType();
}
} // namespace

const Expr *BlockingAnalysis::Impl::threadContainerCallable(
    const CXXMemberCallExpr *MC) const {
  const CXXMethodDecl *M = MC ? MC->getMethodDecl() : nullptr;
  const auto *Spec =
      M ? llvm::dyn_cast<ClassTemplateSpecializationDecl>(M->getParent())
        : nullptr;
  if (!Spec || !M->getIdentifier() || MC->getNumArgs() < 1 ||
      !llvm::is_contained({llvm::StringRef("emplace_back"),
                           llvm::StringRef("emplace"),
                           llvm::StringRef("emplace_front")},
                          M->getName()) ||
      Spec->getTemplateArgs().size() < 1 ||
      Spec->getTemplateArgs()[0].getKind() != TemplateArgument::Type)
    return nullptr;
  const CXXRecordDecl *Elem =
      Spec->getTemplateArgs()[0].getAsType()->getAsCXXRecordDecl();
  return Elem && ThreadTypes.contains(Elem) ? MC->getArg(0) : nullptr;
}

const FunctionDecl *
BlockingAnalysis::Impl::startedFunction(const Stmt *S,
                                        const Expr **Object) const {
  const Expr *Callable = nullptr;
  const Expr *Obj = nullptr;
  if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(S)) {
    const FunctionDecl *FD = threadStartedOn(CE);
    if (FD && CE->getNumArgs() >= 2)
      Obj = CE->getArg(1);
    if (Object)
      *Object = Obj;
    return FD;
  }
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S)) {
    Callable = threadContainerCallable(MC);
    if (Callable && MC->getNumArgs() >= 2)
      Obj = MC->getArg(1);
  }
  const auto *Fn = llvm::dyn_cast_or_null<DeclRefExpr>(
      Callable ? handedName(Callable) : nullptr);
  const auto *FD = Fn ? llvm::dyn_cast<FunctionDecl>(Fn->getDecl()) : nullptr;
  if (Object)
    *Object = FD ? Obj : nullptr;
  return FD;
}

namespace {
/// The first argument of a thread started on \p FD that is handed to its
/// parameters: after the object, for a method.
unsigned firstParamArg(const FunctionDecl *FD) {
  const auto *MD = llvm::dyn_cast_or_null<CXXMethodDecl>(FD);
  return MD && MD->isInstance() ? 2 : 1;
}
} // namespace

const FunctionDecl *
BlockingAnalysis::Impl::threadStartedOn(const CXXConstructExpr *CE) const {
  const auto *Fn =
      CE->getNumArgs() >= 1
          ? llvm::dyn_cast_or_null<DeclRefExpr>(handedName(CE->getArg(0)))
          : nullptr;
  const auto *FD = Fn ? llvm::dyn_cast<FunctionDecl>(Fn->getDecl()) : nullptr;
  return FD && ThreadTypes.contains(CE->getConstructor()->getParent())
             ? FD
             : nullptr;
}

//===-- Promises and futures ----------------------------------------------===//

const CodeUnit *BlockingAnalysis::Impl::asyncBody(const Expr *Callable) const {
  if (!Callable)
    return nullptr;
  const Expr *E = bareExprThroughCopies(Callable);
  if (const auto *UO = llvm::dyn_cast<UnaryOperator>(E);
      UO && UO->getOpcode() == UO_AddrOf)
    E = bareExpr(UO->getSubExpr());
  if (const auto *LE = llvm::dyn_cast<LambdaExpr>(E))
    return Inv.unitOf(LE->getCallOperator());
  if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E))
    if (const auto *FD = llvm::dyn_cast<FunctionDecl>(DRE->getDecl()))
      return Inv.unitOf(FD);
  return nullptr;
}

ObjectKey BlockingAnalysis::Impl::promiseKey(UnitInfo &I, const Expr *Future,
                                             bool &OwnerAlive,
                                             const CallExpr **Async) {
  OwnerAlive = false;
  ObjectKey K = I.KB->keyOf(Future);
  if (!K.valid())
    return {};
  if (const auto *F = llvm::dyn_cast_or_null<FieldDecl>(K.object());
      F && isFutureType(F->getType()) && !F->getType()->isPointerType()) {
    const ObjectKey *P = memberFuturePromise(F);
    if (!P)
      return {};
    K.Path.pop_back();
    K.Path.append(P->Path.begin(), P->Path.end());
    // `obj.f_.wait()`, `obj.f()` (an accessor): obj lives while it waits.
    OwnerAlive = llvm::isa<MemberExpr, CXXMemberCallExpr>(bareExpr(Future));
  }
  const ValueDecl *O = K.object();
  if (!O)
    return {};
  if (!heldPromise(O->getType()).isNull())
    return K;
  // An element of a container of promises (all elements are one object).
  if (K.isElement() && !elementPromise(O->getType()).isNull())
    return K;
  // A future std::async returned (`auto f = std::async(...)`): its task's
  // end sets it, and nothing else does.
  const auto *VD = llvm::dyn_cast<VarDecl>(O);
  if (!VD || K.Root != ObjectKey::Var || !K.Path.empty() ||
      !VD->hasLocalStorage() || llvm::isa<ParmVarDecl>(VD) || !VD->getInit() ||
      I.KB->isReassigned(VD))
    return {};
  const auto *Call =
      llvm::dyn_cast<CallExpr>(bareExprThroughCopies(VD->getInit()));
  const CodeUnit *Body = Call ? asyncBody(asyncCallable(Call)) : nullptr;
  if (!Body)
    return {};
  if (OneShotSeen.insert({Body->Body, VD}).second)
    Ops.push_back({OpKind::FutureSet,
                   Body->Body,
                   K,
                   Body,
                   {},
                   oneShotTag(VD->getType(), Ctx)});
  if (Async)
    *Async = Call;
  return K;
}

const ObjectKey *
BlockingAnalysis::Impl::memberFuturePromise(const FieldDecl *F) {
  auto [It, New] = FutureMembers.try_emplace(F);
  if (!New)
    return It->second ? &*It->second : nullptr;
  std::optional<ObjectKey> Found;
  bool Bad = false;
  // `base.F = <future of base.P...>`: the path P... from the base.
  auto Take = [&](const ObjectKey &Base, const Expr *RHS,
                  const KeyBuilder &KB) {
    ObjectKey R = KB.keyOf(RHS);
    if (!Base.exact() || !R.exact() || R.Root != Base.Root ||
        R.RootVar != Base.RootVar || R.Path.size() <= Base.Path.size() ||
        !std::equal(Base.Path.begin(), Base.Path.end(), R.Path.begin()) ||
        heldPromise(R.object()->getType()).isNull()) {
      Bad = true;
      return;
    }
    ObjectKey Rel;
    Rel.Root = ObjectKey::This;
    Rel.Path.assign(R.Path.begin() + Base.Path.size(), R.Path.end());
    if (Found && *Found != Rel)
      Bad = true;
    Found = Rel;
  };
  ObjectKey This;
  This.Root = ObjectKey::This;
  // Keys in the unit that writes (one builder per unit).
  const CodeUnit *BuiltFor = nullptr;
  std::optional<KeyBuilder> KB;
  memberWrites(F, [&](const CodeUnit *U, const Expr *Base, const Expr *Value) {
    if (Bad)
      return;
    if (!U) {
      Take(This, Value, KeyBuilder(Value));
      return;
    }
    if (BuiltFor != U) {
      KB.emplace(U->Body);
      BuiltFor = U;
    }
    Take(Base ? KB->keyOf(Base) : This, Value, *KB);
  });
  if (Bad || !Found)
    return nullptr;
  FutureMembers[F] = std::move(Found);
  return &*FutureMembers[F];
}

namespace {
bool refersToObject(const FieldDecl *F) {
  QualType T = F->getType();
  if (!T->isReferenceType() && !T->isPointerType())
    return false;
  QualType P = T->getPointeeType();
  return !P.isNull() && P->isRecordType();
}
} // namespace

const ValueDecl *BlockingAnalysis::Impl::memberTarget(const FieldDecl *F) {
  if (!refersToObject(F))
    return nullptr;
  auto [It, New] = MemberTargets.try_emplace(F, nullptr);
  if (!New)
    return It->second;
  if (!MemberValuesDone) {
    MemberValuesDone = true;
    auto Give = [&](const FieldDecl *FD, const CodeUnit *U, const Expr *V) {
      if (FD && V && refersToObject(FD))
        MemberValues[FD].push_back({U, V});
    };
    for (const auto &UP : Inv.units()) {
      const CodeUnit *U = UP.get();
      if (const auto *Ctor = llvm::dyn_cast_or_null<CXXConstructorDecl>(U->Fn);
          Ctor && !U->Lambda)
        for (const CXXCtorInitializer *CI : Ctor->inits())
          if (CI->isWritten())
            Give(CI->getMember(), U, CI->getInit());
      walkOwnCode(U->Body, [&](const Stmt *S) {
        if (const auto *IL = llvm::dyn_cast<InitListExpr>(S)) {
          const auto *RD = IL->getType()->getAsRecordDecl();
          if (!RD || IL->isTransparent())
            return;
          for (const FieldDecl *FD : RD->fields())
            if (FD->getFieldIndex() < IL->getNumInits())
              Give(FD, U, IL->getInit(FD->getFieldIndex()));
          return;
        }
        const Expr *LHS = nullptr, *RHS = nullptr;
        if (const auto *BO = llvm::dyn_cast<BinaryOperator>(S);
            BO && BO->isAssignmentOp()) {
          LHS = BO->getLHS();
          RHS = BO->getRHS();
        }
        if (const auto *ME = llvm::dyn_cast_or_null<MemberExpr>(
                LHS ? bareExpr(LHS) : nullptr))
          Give(llvm::dyn_cast<FieldDecl>(ME->getMemberDecl()), U, RHS);
      });
    }
  }
  // What one value refers to: a key's object, or, for a constructor's
  // parameter, what each construction passes.
  const ValueDecl *Found = nullptr;
  bool Bad = false;
  auto Take = [&](const Expr *V, const Stmt *Body) {
    ObjectKey K = KeyBuilder(Body ? Body : V).keyOf(V);
    const ValueDecl *O = K.isElement() ? nullptr : K.object();
    // A member, or a global: not a local, a parameter or F itself.
    const auto *Var = llvm::dyn_cast_or_null<VarDecl>(O);
    if (!O || O == F || (Var && Var->hasLocalStorage()) ||
        (Found && Found != O))
      Bad = true;
    else
      Found = O;
  };

  if (const Expr *Init = F->getInClassInitializer())
    Take(Init, nullptr);
  auto VI = MemberValues.find(F);
  if (VI != MemberValues.end())
    for (const auto &[U, V] : VI->second) {
      if (Bad)
        break;
      const auto *DRE = llvm::dyn_cast<DeclRefExpr>(bareExpr(V));
      const auto *PVD =
          DRE ? llvm::dyn_cast<ParmVarDecl>(DRE->getDecl()) : nullptr;
      const auto *Ctor =
          PVD ? llvm::dyn_cast<CXXConstructorDecl>(PVD->getDeclContext())
              : nullptr;
      if (!Ctor) {
        Take(V, U ? U->Body : nullptr);
        continue;
      }
      // A constructor's parameter: each construction's argument.
      unsigned Sites = 0;
      constructionArguments(Ctor, PVD->getFunctionScopeIndex(),
                            [&](const Expr *Arg, const CodeUnit *CU) {
                              Take(Arg, CU ? CU->Body : nullptr);
                              ++Sites;
                            });
      if (!Sites)
        Bad = true;
    }
  if (Bad || !Found)
    return nullptr;
  return MemberTargets[F] = Found;
}

namespace {
/// `L = R` (built-in or overloaded, compound too): its two sides.
bool assignmentSides(const Stmt *S, const Expr *&LHS, const Expr *&RHS) {
  if (const auto *BO = llvm::dyn_cast<BinaryOperator>(S);
      BO && BO->isAssignmentOp()) {
    LHS = BO->getLHS();
    RHS = BO->getRHS();
    return true;
  }
  if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(S);
      OC && OC->isAssignmentOp() && OC->getNumArgs() == 2) {
    LHS = OC->getArg(0);
    RHS = OC->getArg(1);
    return true;
  }
  return false;
}

/// \p V constructs a new object (a constructor that neither copies nor
/// moves: `chan<T>(n)`, `{0}`, a default construction) rather than a copy
/// of another one.
bool constructsNew(const Expr *V) {
  V = V ? bareExprThroughCopies(V) : nullptr;
  if (const auto *FC = llvm::dyn_cast_or_null<CXXFunctionalCastExpr>(V))
    V = bareExprThroughCopies(FC->getSubExpr());
  if (const auto *DI = llvm::dyn_cast_or_null<CXXDefaultInitExpr>(V))
    return constructsNew(DI->getExpr());
  const auto *CE = llvm::dyn_cast_or_null<CXXConstructExpr>(V);
  return CE && CE->getConstructor() &&
         !CE->getConstructor()->isCopyOrMoveConstructor();
}
} // namespace

bool BlockingAnalysis::Impl::copiedHandle(const ValueDecl *D) {
  auto [It, New] = CopiedHandles.try_emplace(D, true);
  if (!New)
    return It->second;
  bool Copied = false;
  auto Given = [&](const Expr *V) { Copied |= !constructsNew(V); };
  // Where a use of D may change what it holds beyond an assignment: bound
  // to a non-const reference (`std::swap(a, b)`), its address taken.
  auto Escapes = [&](const Stmt *S) {
    if (const auto *UO = llvm::dyn_cast<UnaryOperator>(S)) {
      if (UO->getOpcode() == UO_AddrOf &&
          namesDecl(bareExpr(UO->getSubExpr()), D))
        Copied = true;
      return;
    }
    const auto *Call = llvm::dyn_cast<CallExpr>(S);
    const FunctionDecl *Callee = Call ? Call->getDirectCallee() : nullptr;
    if (!Callee || llvm::isa<CXXOperatorCallExpr>(Call))
      return;
    for (unsigned A = 0; A < Call->getNumArgs() && A < Callee->getNumParams();
         ++A) {
      QualType PT = Callee->getParamDecl(A)->getType();
      if (PT->isReferenceType() &&
          !PT.getNonReferenceType().isConstQualified() &&
          namesDecl(bareExpr(Call->getArg(A)), D))
        Copied = true;
    }
  };
  if (const auto *F = llvm::dyn_cast<FieldDecl>(D)) {
    const CXXRecordDecl *Owner = llvm::dyn_cast<CXXRecordDecl>(F->getParent());
    // Initialisers (a constructor without one default-constructs it) and
    // assignments.
    memberWrites(
        F, [&](const CodeUnit *, const Expr *, const Expr *V) { Given(V); });
    for (const auto &UP : Inv.units()) {
      if (Copied)
        break;
      walkOwnCode(UP->Body, [&](const Stmt *S) {
        if (const auto *IL = llvm::dyn_cast<InitListExpr>(S)) {
          if (!IL->isTransparent() && Owner &&
              IL->getType()->getAsCXXRecordDecl() == Owner &&
              F->getFieldIndex() < IL->getNumInits())
            Given(IL->getInit(F->getFieldIndex()));
          return;
        }
        Escapes(S);
      });
    }
  } else if (const auto *VD = llvm::dyn_cast<VarDecl>(D)) {
    Given(VD->getInit());
    const auto *FD = llvm::dyn_cast_or_null<FunctionDecl>(VD->getDeclContext());
    const Stmt *Body = FD ? FD->getBody() : nullptr;
    auto Visit = [&](const Stmt *S) {
      const Expr *LHS = nullptr, *RHS = nullptr;
      if (assignmentSides(S, LHS, RHS) && namesDecl(bareExpr(LHS), D))
        Given(RHS);
      Escapes(S);
    };
    if (Body && VD->hasLocalStorage())
      walkWithLambdas(Body, nullptr, Visit);
    else
      for (const auto &UP : Inv.units())
        walkOwnCode(UP->Body, Visit);
  } else {
    Copied = true;
  }
  return CopiedHandles[D] = Copied;
}

void BlockingAnalysis::Impl::memberWrites(
    const FieldDecl *F,
    llvm::function_ref<void(const CodeUnit *, const Expr *, const Expr *)>
        Visit) {
  if (const Expr *Init = F->getInClassInitializer())
    Visit(nullptr, nullptr, Init);
  for (const auto &UP : Inv.units()) {
    const CodeUnit *U = UP.get();
    if (const auto *Ctor = llvm::dyn_cast_or_null<CXXConstructorDecl>(U->Fn);
        Ctor && !U->Lambda)
      for (const CXXCtorInitializer *CI : Ctor->inits())
        if (CI->getMember() == F && CI->isWritten())
          Visit(U, nullptr, CI->getInit());
    walkOwnCode(U->Body, [&](const Stmt *S) {
      const Expr *LHS = nullptr, *RHS = nullptr;
      assignmentSides(S, LHS, RHS);
      const auto *ME =
          llvm::dyn_cast_or_null<MemberExpr>(LHS ? bareExpr(LHS) : nullptr);
      if (ME && ME->getMemberDecl() == F)
        Visit(U, ME->getBase(), RHS);
    });
  }
}

bool BlockingAnalysis::Impl::movedFrom(const VarDecl *VD, bool &OnlyLocal) {
  auto [It, New] = Moves.try_emplace(VD);
  if (New) {
    const auto *FD = llvm::dyn_cast<FunctionDecl>(VD->getDeclContext());
    const Stmt *Body = FD ? FD->getBody() : nullptr;
    llvm::SmallPtrSet<const Expr *, 4> LocalInits;
    bool Moved = false, Local = true;
    // One pre-order walk: a declaration or a lambda comes before the move
    // in its initialiser.
    walkWithLambdas(Body, nullptr, [&](const Stmt *S) {
      if (const auto *DS = llvm::dyn_cast<DeclStmt>(S)) {
        for (const Decl *D : DS->decls())
          if (const auto *V = llvm::dyn_cast<VarDecl>(D); V && V->getInit())
            LocalInits.insert(bareExprThroughCopies(V->getInit()));
        return;
      }
      if (const auto *LE = llvm::dyn_cast<LambdaExpr>(S)) {
        for (const Expr *Init : LE->capture_inits())
          if (Init)
            LocalInits.insert(bareExprThroughCopies(Init));
        return;
      }
      const auto *Call = llvm::dyn_cast<CallExpr>(S);
      if (!Call || !isIdentityLike(Call) || Call->getNumArgs() != 1)
        return;
      const auto *DRE = llvm::dyn_cast<DeclRefExpr>(bareExpr(Call->getArg(0)));
      if (!DRE || DRE->getDecl() != VD)
        return;
      Moved = true;
      Local &= LocalInits.count(Call) > 0;
    });
    It->second = {Moved, Local};
  }
  OnlyLocal = Moves[VD].second;
  return Moves[VD].first;
}

bool BlockingAnalysis::Impl::dropsKnown(const UnitInfo &I, const ObjectKey &K) {
  // A promise member of the object a member function runs on: the object
  // lives while the function runs.
  if (K.Root == ObjectKey::This)
    return !I.U->Lambda;
  if (K.Root != ObjectKey::Var || !K.RootVar || !K.exact())
    return false;
  const VarDecl *VD = K.RootVar;
  if (!VD->hasLocalStorage())
    return true; // destroyed after main returns
  QualType T = VD->getType();
  if (T->isReferenceType() || T->isPointerType())
    return false;
  bool OnlyLocal = true;
  if (movedFrom(VD, OnlyLocal) && !OnlyLocal)
    return false;
  const CXXRecordDecl *RD = T->getAsCXXRecordDecl();
  if (!RD || !isSmartPointer(RD))
    return true;
  // A shared promise: each copy's end is a destruction we record (its
  // owner's scope end, the end of a lambda that captured it by copy), as
  // long as every use of it is one of those or goes through it.
  const auto *FD = llvm::dyn_cast<FunctionDecl>(VD->getDeclContext());
  if (!FD || !FD->getBody())
    return false;
  unsigned Uses = 0, Through = 0;
  walkWithLambdas(FD->getBody(), nullptr, [&](const Stmt *S) {
    auto Names = [&](const Expr *E) {
      const auto *DRE = llvm::dyn_cast_or_null<DeclRefExpr>(
          E ? bareExprThroughCopies(E) : nullptr);
      return DRE && DRE->getDecl() == VD;
    };
    if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(S)) {
      Uses += DRE->getDecl() == VD;
    } else if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(S)) {
      if ((OC->getOperator() == OO_Arrow || OC->getOperator() == OO_Star) &&
          OC->getNumArgs() == 1 && Names(OC->getArg(0)))
        ++Through;
    } else if (const auto *LE = llvm::dyn_cast<LambdaExpr>(S)) {
      auto Init = LE->capture_init_begin();
      for (auto C = LE->capture_begin(); C != LE->capture_end(); ++C, ++Init)
        if (C->capturesVariable() && C->getCaptureKind() == LCK_ByCopy &&
            !C->getCapturedVar()->isInitCapture() && Names(*Init))
          ++Through;
    }
  });
  return Uses == Through;
}

void BlockingAnalysis::Impl::recordDrops(UnitInfo &I, const VarDecl *VD,
                                         ObjectKey K, const Stmt *Site,
                                         const State &S) {
  if (!K.valid())
    return;
  auto Add = [&](const ObjectKey &Key, const ValueDecl *What, QualType P) {
    if (!OneShotSeen.insert({Site, What}).second)
      return;
    if (Dumping) {
      SourceLocation At = Site == I.U->Body               ? Site->getEndLoc()
                          : llvm::isa<CompoundStmt>(Site) ? Site->getEndLoc()
                                                          : Site->getBeginLoc();
      I.Skeleton.emplace_back(At, "destroy " + Key.str(), heldText(S));
    }
    Ops.push_back({OpKind::FutureDrop, Site, Key, I.U, heldObjects(S),
                   oneShotTag(P, Ctx)});
  };
  QualType T = VD->getType();
  if (QualType P = heldPromise(T); !P.isNull()) {
    // A promise moved into another object: that one's end is the drop.
    bool OnlyLocal = true;
    if (isPromiseType(T) && movedFrom(VD, OnlyLocal))
      return;
    Add(K, VD, P);
    return;
  }
  // An object holding promises: they die with it.
  const CXXRecordDecl *RD = T->isReferenceType() || T->isPointerType()
                                ? nullptr
                                : T->getAsCXXRecordDecl();
  if (!RD || !RD->hasDefinition() || isSmartPointer(RD))
    return;
  for (const FieldDecl *F : RD->getDefinition()->fields())
    if (QualType P = heldPromise(F->getType()); !P.isNull()) {
      ObjectKey FK = K;
      FK.Path.push_back(F);
      Add(FK, F, P);
    }
}

bool BlockingAnalysis::Impl::confinedIn(const Stmt *Body, const ValueDecl *D,
                                        unsigned Depth, Confinement &C) {
  if (!Body || Depth > 4)
    return false;
  if (!C.Names.insert(D).second && Depth > 0)
    return true; // Already followed (a recursive call, a second call site).
  llvm::SmallPtrSet<const Expr *, 8> Accounted;
  llvm::SmallPtrSet<const Stmt *, 2> RangeStmts;
  llvm::SmallVector<const Expr *, 8> Mentions;
  bool Escapes = false;
  // \p Arg of \p Call goes to parameter \p P of \p Callee.
  auto HandedTo = [&](const Stmt *Call, const FunctionDecl *Callee,
                      unsigned P) {
    const FunctionDecl *Def =
        Callee ? analysableDefinition(Callee, Ctx) : nullptr;
    const CodeUnit *Target = Def ? Inv.unitOf(Def) : nullptr;
    if (!Target || P >= Def->getNumParams() ||
        !confinedIn(Target->Body, Def->getParamDecl(P), Depth + 1, C))
      return false;
    C.Shared = true;
    if (!C.HandedAt) {
      C.HandedAt = Call;
      C.HandedTo = Def;
    }
    return true;
  };
  walkWithLambdas(Body, nullptr, [&](const Stmt *S) {
    if (Escapes)
      return;
    if (const auto *E = llvm::dyn_cast<Expr>(S); E && namesDecl(E, D)) {
      Mentions.push_back(E);
      return;
    }
    // A thread started on a function with arguments (by its constructor,
    // or a thread container's emplace_back): each argument is handed to
    // its parameter.
    if (const FunctionDecl *FD = startedFunction(S)) {
      llvm::SmallVector<const Expr *, 4> Args;
      if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(S))
        Args.append(CE->arg_begin(), CE->arg_end());
      else
        Args.append(llvm::cast<CallExpr>(S)->arg_begin(),
                    llvm::cast<CallExpr>(S)->arg_end());
      unsigned First = firstParamArg(FD);
      for (unsigned A = 1; A < Args.size(); ++A) {
        const Expr *N = handedName(Args[A]);
        if (!namesDecl(N, D))
          continue;
        Accounted.insert(N);
        // The object a method runs on: what it does with it is not read.
        if (A < First || !HandedTo(S, FD, A - First)) {
          Escapes = true;
          return;
        }
      }
      return;
    }
    if (const auto *Call = llvm::dyn_cast<CallExpr>(S)) {
      // A smart pointer's `->` / `*` and std::move: looked through by the
      // call or construction around them.
      if (const Expr *N = handedName(Call); N && N != Call)
        return;
      const FunctionDecl *FD = Call->getDirectCallee();
      unsigned First = 0;
      const Expr *Object = nullptr;
      const CXXMethodDecl *Method = nullptr;
      if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call)) {
        Object = MC->getImplicitObjectArgument();
        Method = MC->getMethodDecl();
      } else if (llvm::isa<CXXOperatorCallExpr>(Call) &&
                 llvm::isa_and_nonnull<CXXMethodDecl>(FD) &&
                 Call->getNumArgs() > 0) {
        Object = Call->getArg(0);
        Method = llvm::cast<CXXMethodDecl>(FD);
        First = 1;
      }
      if (const Expr *N = Object ? handedName(Object) : nullptr;
          namesDecl(N, D)) {
        Accounted.insert(N);
        // An operation on it, or a query; anything else its class does
        // (a reset, an accessor that hands it out) is not followed.
        // An object's own methods are its operations (their code is read).
        bool OwnMethod = C.Class && Method && !Method->isStatic() &&
                         analysableDefinition(Method, Ctx) &&
                         (Method->getParent() == C.Class ||
                          C.Class->isDerivedFrom(Method->getParent()));
        if (!OwnMethod && !SyncUses.count(N) && !isQuery(Method) &&
            !Channels.setsCapacity(llvm::dyn_cast<CXXMemberCallExpr>(Call)) &&
            !classifyFutureOp(Call)) {
          Escapes = true;
          return;
        }
      }
      for (unsigned A = First; A < Call->getNumArgs(); ++A) {
        const Expr *N = handedName(Call->getArg(A));
        if (!namesDecl(N, D))
          continue;
        Accounted.insert(N);
        if (SyncUses.count(N))
          continue; // An operation written as a free function.
        if (!HandedTo(Call, FD, A - First)) {
          Escapes = true;
          return;
        }
      }
      return;
    }
    if (llvm::isa<CXXConstructExpr>(S))
      return;
    if (const auto *Cast = llvm::dyn_cast<ExplicitCastExpr>(S)) {
      if (Cast->getType()->isVoidType())
        if (const Expr *N = handedName(Cast->getSubExpr()); namesDecl(N, D))
          Accounted.insert(N);
      return;
    }
    // A range-for over a channel receives from it (its hidden range
    // reference is the channel).
    if (const auto *For = llvm::dyn_cast<CXXForRangeStmt>(S)) {
      if (Channels.rangeReceive(For))
        if (const Expr *N = handedName(For->getRangeInit()); namesDecl(N, D)) {
          Accounted.insert(N);
          RangeStmts.insert(For->getRangeStmt());
        }
      return;
    }
    // A local copy or reference: confined in turn.
    if (const auto *DS = llvm::dyn_cast<DeclStmt>(S)) {
      if (RangeStmts.count(DS))
        return;
      for (const Decl *Dc : DS->decls()) {
        const auto *V = llvm::dyn_cast<VarDecl>(Dc);
        const Expr *N = V && V->getInit() ? handedName(V->getInit()) : nullptr;
        if (!namesDecl(N, D))
          continue;
        Accounted.insert(N);
        if (!confinedIn(Body, V, Depth + 1, C)) {
          Escapes = true;
          return;
        }
      }
      return;
    }
    // Captured by a lambda: the lambda's code is read with the rest (its
    // uses of a plain capture name the variable itself).
    if (const auto *LE = llvm::dyn_cast<LambdaExpr>(S)) {
      auto Init = LE->capture_init_begin();
      for (auto Cap = LE->capture_begin(); Cap != LE->capture_end();
           ++Cap, ++Init) {
        if (!Cap->capturesVariable() || !*Init)
          continue;
        const auto *Var = llvm::dyn_cast<VarDecl>(Cap->getCapturedVar());
        const Expr *N = handedName(*Init);
        if (!namesDecl(N, D))
          continue;
        Accounted.insert(N);
        C.Shared = true;
        if (Var && Var->isInitCapture() &&
            !confinedIn(LE->getBody(), Var, Depth + 1, C)) {
          Escapes = true;
          return;
        }
      }
    }
  });
  if (Escapes)
    return false;
  for (const Expr *M : Mentions)
    if (!Accounted.count(M) && !SyncUses.count(M))
      return false;
  return true;
}

bool BlockingAnalysis::Impl::confined(const UnitInfo &I, const ObjectKey &K,
                                      Confinement &C) {
  if (const auto *F = llvm::dyn_cast_or_null<FieldDecl>(K.object())) {
    if (Incomplete || K.isElement())
      return false;
    auto [It, New] = MemberConfinement.try_emplace(F);
    if (New) {
      Confinement MC;
      if (confinedMember(F, MC))
        It->second = MC;
    }
    if (!It->second)
      return false;
    C = *It->second;
    return true;
  }
  if (K.Root != ObjectKey::Var || !K.RootVar || !K.exact())
    return false;
  const VarDecl *VD = K.RootVar;
  const auto *Owner = llvm::dyn_cast<FunctionDecl>(VD->getDeclContext());
  const CodeUnit *OwnerUnit = Owner ? Inv.unitOf(Owner) : nullptr;
  if (!VD->hasLocalStorage() || llvm::isa<ParmVarDecl>(VD) ||
      VD->getType()->isReferenceType() || !OwnerUnit)
    return false;
  // Created here: a construction, std::make_shared / make_unique, new.
  if (const Expr *Init = VD->getInit()) {
    const Expr *E = bareExpr(Init);
    if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(E)) {
      if (CE->getNumArgs() == 1 &&
          CE->getConstructor()->isCopyOrMoveConstructor()) {
        const Expr *A = bareExpr(CE->getArg(0));
        const auto *C = llvm::dyn_cast<CallExpr>(A);
        const FunctionDecl *F = C ? C->getDirectCallee() : nullptr;
        if (!F || !F->getIdentifier() ||
            !llvm::StringRef(F->getName()).starts_with("make_"))
          return false;
      }
    } else if (const auto *C = llvm::dyn_cast<CallExpr>(E)) {
      // A std::async future: only its task's end sets it. A new context
      // (not derived from a parent: then the key is the parent's).
      const FunctionDecl *F = C->getDirectCallee();
      if (!asyncCallable(C) &&
          !(Contexts && Contexts->factoryCall(C) && !Contexts->parentOf(C)) &&
          (!F || !F->getIdentifier() ||
           !llvm::StringRef(F->getName()).starts_with("make_")))
        return false;
    } else if (!llvm::isa<CXXNewExpr>(E) && !llvm::isa<InitListExpr>(E)) {
      return false;
    }
  }
  if (!confinedIn(OwnerUnit->Body, VD, 0, C))
    return false;
  // Shared with other code: a partner there would have been seen only if
  // that code was analysed.
  return (!C.Shared && OwnerUnit == I.U) || !Incomplete;
}

bool BlockingAnalysis::Impl::confinedMember(const FieldDecl *F,
                                            Confinement &C) {
  // A class of the main file: no other translation unit names it.
  const auto *RD = llvm::dyn_cast<CXXRecordDecl>(F->getParent());
  if (!RD || !mainFileClass(RD) || !F->getIdentifier())
    return false;
  // Template code we do not analyse may name it: a pattern nothing
  // instantiates also through the member of the template it comes from,
  // any pattern (an instantiated one's instantiations are read) through a
  // dependent name (`this->cv` in a derived template, `t.in` on a `T`),
  // which may resolve to it in an instantiation this unit does not make.
  for (const FunctionDecl *T : UnanalysedTemplates)
    if (mayNameMember(T->getBody(), F,
                      /*OnlyDependent=*/isInstantiatedPattern(T)))
      return false;
  if (uninstantiatedMemberNames(RD, F))
    return false;
  // A member bound to an object it is handed (a reference, a pointer to or
  // a copy of a handle of what a parameter or another object names) is
  // that object: whoever handed it reaches it too.
  auto Borrows = [](const Expr *Init) {
    return Init && handedName(Init) != nullptr;
  };
  if (F->getType()->isReferenceType() ||
      (F->hasInClassInitializer() && Borrows(F->getInClassInitializer())))
    return false;
  // \p Root names it (a lambda's body is a unit of its own, walked below).
  // A future made of it (`f_ = p_.get_future()`) is not: the future
  // cannot complete a wait on it.
  auto Mentions = [F](const Stmt *Root) {
    unsigned Names = 0, Links = 0;
    walkOwnCode(Root, [&](const Stmt *S) {
      const auto *E = llvm::dyn_cast<Expr>(S);
      Names += E && namesDecl(E, F);
      if (FutureOp FO = classifyFutureOp(llvm::dyn_cast<CallExpr>(S));
          FO && FO.Kind == FutureOpKind::Link &&
          namesDecl(handedName(FO.Object), F))
        ++Links;
    });
    return Names > Links;
  };
  // Other members' initialisers must not name it.
  for (const FieldDecl *Other : RD->fields())
    if (Other != F && Other->hasInClassInitializer() &&
        Mentions(Other->getInClassInitializer()))
      return false;
  llvm::StringRef Name = F->getName();
  for (const auto &UP : Inv.units()) {
    const CodeUnit &U = *UP;
    // Template code may name it in a way we do not resolve.
    if (U.Fn->isDependentContext()) {
      bool Names = false;
      walkOwnCode(U.Body, [&](const Stmt *S) {
        if (const auto *E = llvm::dyn_cast<Expr>(S); E && namesDecl(E, F))
          Names = true;
        else if (const auto *DM =
                     llvm::dyn_cast<CXXDependentScopeMemberExpr>(S))
          Names |= DM->getMember().getAsString() == Name;
        else if (const auto *UM = llvm::dyn_cast<UnresolvedMemberExpr>(S))
          Names |= UM->getMemberName().getAsString() == Name;
        else if (const auto *DR = llvm::dyn_cast<DependentScopeDeclRefExpr>(S))
          Names |= DR->getDeclName().getAsString() == Name;
      });
      if (Names)
        return false;
      continue;
    }
    if (const auto *Ctor = llvm::dyn_cast<CXXConstructorDecl>(U.Fn))
      for (const CXXCtorInitializer *Init : Ctor->inits()) {
        if (Init->getMember() == F
                ? Borrows(Init->getInit())
                : Init->getInit() && Mentions(Init->getInit()))
          return false;
      }
    if (!confinedIn(U.Body, F, 0, C))
      return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Gates: what keeps a partner from running while the blocked side waits
//===----------------------------------------------------------------------===//

/// Some walk from \p Start along successors, not through \p Barrier,
/// reaches \p Target.
static bool reachesBlock(llvm::ArrayRef<const CFGBlock *> Start,
                         const CFGBlock *Target, const CFGBlock *Barrier) {
  llvm::SmallVector<const CFGBlock *, 16> Work(Start.begin(), Start.end());
  llvm::DenseSet<const CFGBlock *> Seen;
  while (!Work.empty()) {
    const CFGBlock *B = Work.pop_back_val();
    if (!B || !Seen.insert(B).second)
      continue;
    if (B == Target)
      return true;
    if (B != Barrier)
      Work.append(B->succ_begin(), B->succ_end());
  }
  return false;
}

bool BlockingAnalysis::Impl::cfgPos(const CodeUnit *U, const Stmt *S,
                                    const CFGBlock *&B, unsigned &Idx) {
  auto UI = Infos.find(U);
  if (UI == Infos.end() || !UI->second->G)
    return false;
  UnitInfo &I = *UI->second;
  auto P = I.Pos.find(S);
  if (P == I.Pos.end())
    return false;
  for (const CFGBlock *Blk : *I.G)
    if (Blk->getBlockID() == P->second.first) {
      B = Blk;
      Idx = P->second.second;
      return true;
    }
  return false;
}

bool BlockingAnalysis::Impl::dominates(const CodeUnit *U, const Stmt *Via,
                                       const Stmt *To) {
  const CFGBlock *BV, *BT;
  unsigned IV, IT;
  if (!cfgPos(U, Via, BV, IV) || !cfgPos(U, To, BT, IT))
    return false;
  // Every entry into a block runs its elements in order.
  if (BV == BT)
    return IV < IT;
  const CFGBlock *Entry = &Infos.find(U)->second->G->getEntry();
  return !reachesBlock({Entry}, BT, BV);
}

bool BlockingAnalysis::Impl::onlyThrough(const CodeUnit *U, const Stmt *From,
                                         const Stmt *Via, const Stmt *To) {
  const CFGBlock *BF, *BV, *BT;
  unsigned IF, IV, IT;
  if (!cfgPos(U, From, BF, IF) || !cfgPos(U, Via, BV, IV) ||
      !cfgPos(U, To, BT, IT))
    return false;
  // In From's own block, whichever comes first.
  if (BF == BT && IF < IT && !(BF == BV && IF < IV && IV < IT))
    return false;
  if (BF == BV && IF < IV)
    return true;
  llvm::SmallVector<const CFGBlock *, 4> Succs(BF->succ_begin(),
                                               BF->succ_end());
  // Entering To's block: Via first if it is earlier in that block.
  if (BV == BT)
    return IV < IT || !reachesBlock(Succs, BT, nullptr);
  return !reachesBlock(Succs, BT, BV);
}

bool BlockingAnalysis::Impl::mayReach(const CodeUnit *U, const Stmt *From,
                                      const Stmt *To) {
  const CFGBlock *BF, *BT;
  unsigned IF, IT;
  if (!cfgPos(U, From, BF, IF) || !cfgPos(U, To, BT, IT))
    return false;
  if (BF == BT && IF < IT)
    return true;
  llvm::SmallVector<const CFGBlock *, 4> Succs(BF->succ_begin(),
                                               BF->succ_end());
  return reachesBlock(Succs, BT, nullptr);
}

const Stmt *BlockingAnalysis::Impl::loopTakesBefore(const CodeUnit *U,
                                                    const Stmt *Site,
                                                    const ObjectKey &M) {
  const CFGBlock *BS;
  unsigned IS;
  if (!cfgPos(U, Site, BS, IS))
    return nullptr;
  UnitInfo &I = *Infos.find(U)->second;
  // The blocks that run before the site and never after it.
  llvm::DenseSet<const CFGBlock *> After;
  {
    llvm::SmallVector<const CFGBlock *, 16> Work(BS->succ_begin(),
                                                 BS->succ_end());
    while (!Work.empty()) {
      const CFGBlock *B = Work.pop_back_val();
      if (B && After.insert(B).second)
        Work.append(B->succ_begin(), B->succ_end());
    }
  }
  if (After.count(BS))
    return nullptr; // The site is in a loop itself: needsBeforeNext's case.
  llvm::DenseSet<const CFGBlock *> Before;
  {
    llvm::SmallVector<const CFGBlock *, 16> Work(BS->pred_begin(),
                                                 BS->pred_end());
    while (!Work.empty()) {
      const CFGBlock *B = Work.pop_back_val();
      if (B && !After.count(B) && Before.insert(B).second)
        Work.append(B->pred_begin(), B->pred_end());
    }
  }
  // A block of Before that takes M, on a loop of Before none of whose
  // rounds can avoid taking M.
  auto Takes = [&](const CFGBlock *B) -> const Stmt * {
    for (const CFGElement &E : *B)
      if (acquiresAt(I, E, M))
        if (auto SE = E.getAs<CFGStmt>())
          return SE->getStmt();
    return nullptr;
  };
  llvm::SmallVector<const CFGBlock *, 16> Sorted(Before.begin(), Before.end());
  llvm::sort(Sorted, [](const CFGBlock *A, const CFGBlock *B) {
    return A->getBlockID() < B->getBlockID();
  });
  for (const CFGBlock *A : Sorted) {
    const Stmt *Acq = Takes(A);
    if (!Acq)
      continue;
    // The loop around A: the blocks of Before that A reaches and that
    // reach A.
    llvm::DenseSet<const CFGBlock *> Fwd, Loop;
    llvm::SmallVector<const CFGBlock *, 16> Work(A->succ_begin(),
                                                 A->succ_end());
    while (!Work.empty()) {
      const CFGBlock *B = Work.pop_back_val();
      if (B && Before.count(B) && Fwd.insert(B).second)
        Work.append(B->succ_begin(), B->succ_end());
    }
    if (!Fwd.count(A))
      continue; // Not in a loop.
    Work.assign(A->pred_begin(), A->pred_end());
    while (!Work.empty()) {
      const CFGBlock *B = Work.pop_back_val();
      if (B && Fwd.count(B) && Loop.insert(B).second)
        Work.append(B->pred_begin(), B->pred_end());
    }
    // Every round takes M: without the blocks that take it, the loop has
    // no cycle left.
    llvm::DenseMap<const CFGBlock *, int> Color;
    std::function<bool(const CFGBlock *)> Cyclic = [&](const CFGBlock *B) {
      Color[B] = 1;
      for (const CFGBlock *S : B->succs()) {
        if (!S || !Loop.count(S) || Takes(S))
          continue;
        int C = Color.lookup(S);
        if (C == 1 || (C == 0 && Cyclic(S)))
          return true;
      }
      Color[B] = 2;
      return false;
    };
    bool Avoidable = false;
    for (const CFGBlock *B : Loop)
      if (!Takes(B) && Color.lookup(B) == 0 && Cyclic(B))
        Avoidable = true;
    if (!Avoidable)
      return Acq;
  }
  return nullptr;
}

const Stmt *BlockingAnalysis::Impl::takenOnTheWay(const CodeUnit *U,
                                                  const Stmt *Site,
                                                  const ObjectKey &M,
                                                  const Effect **Via) {
  const CFGBlock *BS;
  unsigned IS;
  if (!cfgPos(U, Site, BS, IS))
    return nullptr;
  UnitInfo &I = *Infos.find(U)->second;
  const Stmt *Found = nullptr;
  for (const CFGBlock *B : *I.G)
    for (const CFGElement &E : *B) {
      auto SE = E.getAs<CFGStmt>();
      const Effect *Through = nullptr;
      if (!SE || !acquiresAt(I, E, M, &Through))
        continue;
      const Stmt *Acq = SE->getStmt();
      // A path to the site takes it (a branch taken rarely is how such
      // deadlocks hide; a callee's acquisition may be on one of its paths
      // too), and the site does not lead back to it (a loop would make it
      // the next round's, not this one's), unless every way to the site
      // takes it first: each round of the loop does, the first included.
      // One every path takes first.
      if (Acq == Site || !mayReach(U, Acq, Site))
        continue;
      bool Must = dominates(U, Acq, Site);
      if (!Must && mayReach(U, Site, Acq))
        continue;
      if (!Found || Must) {
        Found = Acq;
        if (Via)
          *Via = Through;
      }
      if (Must)
        return Found;
    }
  return Found;
}

bool BlockingAnalysis::Impl::knownPartners(
    const BlockedOp &Q, llvm::SmallVectorImpl<const OpRecord *> &Out) {
  auto QI = Infos.find(Q.Unit);
  if (QI == Infos.end())
    return false;
  Confinement Conf;
  if (!confined(*QI->second, Q.Object, Conf))
    return false;
  for (const OpRecord &R : Ops) {
    if (!partnerOf(Q, R))
      continue;
    if (!R.Object.object())
      return false;
    if (reachesName(R.Object, Q.Object, Conf.Names) ||
        mayBeSame(R, Q.Object, Q.Type))
      Out.push_back(&R);
  }
  return true;
}

bool BlockingAnalysis::Impl::blocksBefore(const CodeUnit *U, const Stmt *Site) {
  for (const BlockedOp &Q : Blocking) {
    if (Q.Unit != U)
      continue;
    const Stmt *At =
        Q.Chain.empty() ? static_cast<const Stmt *>(Q.Call) : Q.Chain.front();
    if (!isOpAt(Q, Site) && mayReach(U, At, Site))
      return true;
  }
  return false;
}

/// A blocking operation that surely waits for a partner: a receive, an
/// unbuffered send, a latch's wait, a wait group's wait after an add.
bool BlockingAnalysis::Impl::surelyWaits(const BlockedOp &Q) {
  if (Q.Race)
    return false;
  switch (Q.Kind) {
  case OpKind::Receive:
  case OpKind::FutureWait:
    return true;
  case OpKind::Send:
    return Q.Unbuffered || !fillsBefore(Q).empty();
  case OpKind::CounterWait:
    if (Q.BlocksAsCreated)
      return true;
    // A wait group: something in the same code adds to it first.
    return Q.BlocksAfterAdd && llvm::any_of(Ops, [&](const OpRecord &R) {
             return R.Kind == OpKind::CounterAdd && R.Unit == Q.Unit &&
                    R.Object == Q.Object &&
                    dominates(Q.Unit, R.Site, siteOf(Q));
           });
  default:
    return false;
  }
}

bool BlockingAnalysis::Impl::addsBeforeStart(const BlockedOp &Q,
                                             const GateTarget &T) {
  if (Q.Kind != OpKind::CounterWait || !Q.BlocksAfterAdd || !T.Self ||
      !T.Self->Unit->Lambda)
    return false;
  const Stmt *Start = T.Self->Unit->Lambda;
  return llvm::any_of(Ops, [&](const OpRecord &R) {
    return R.Kind == OpKind::CounterAdd && R.Unit == Q.Unit &&
           R.Object == Q.Object && dominates(Q.Unit, R.Site, Start) &&
           mayReach(Q.Unit, Start, siteOf(Q));
  });
}

bool BlockingAnalysis::Impl::discardedResult(const CallExpr *Call) {
  const Stmt *Cur = Call;
  for (unsigned Depth = 0; Depth < 8; ++Depth) {
    auto Parents = Ctx.getParents(*Cur);
    if (Parents.size() != 1)
      return false;
    const Stmt *P = Parents[0].get<Stmt>();
    if (!P)
      return false;
    // The statement of a block, or of a branch or a loop body.
    if (llvm::isa<CompoundStmt>(P))
      return true;
    if (const auto *If = llvm::dyn_cast<IfStmt>(P))
      return If->getThen() == Cur || If->getElse() == Cur;
    if (llvm::isa<WhileStmt, ForStmt, DoStmt>(P))
      return loopBody(P) == Cur;
    if (!llvm::isa<ExprWithCleanups, CXXBindTemporaryExpr,
                   MaterializeTemporaryExpr, ImplicitCastExpr, ParenExpr>(P))
      return false;
    Cur = P;
  }
  return false;
}

bool BlockingAnalysis::Impl::takesOnTheWay(const CodeUnit *U, const Stmt *Site,
                                           const std::string &What,
                                           const GateTarget &T, unsigned Depth,
                                           std::vector<WitnessStep> &Why) {
  std::string Mu = "'" + T.Mutex.str() + "'";
  const Effect *Via = nullptr;
  if (const Stmt *Acq = takenOnTheWay(U, Site, T.Mutex, &Via)) {
    if (everyRunBefore(U, Acq, T.Holder->Unit, siteOf(*T.Holder)))
      return false;
    bool Every = dominates(U, Acq, Site);
    Why.push_back({Acq, unitName(*U) + (Every ? " takes " : " may take ") + Mu +
                            " here, on its way to " + What});
    // Through calls: down to the acquisition.
    if (Via && Via->Site) {
      addChainNotes(Why, Via->Chain, "on the way");
      Why.push_back({Via->Site, Mu + " is acquired here"});
    }
    return true;
  }
  // Its callers, each in its own thread: every one on the way to its call.
  if (Depth >= 3 || U->Lambda)
    return false;
  std::vector<WitnessStep> First;
  bool Any = false;
  for (const auto &[C, Call] : Inv.callersOf(U->Fn)) {
    if (!C)
      continue;
    Any = true;
    std::vector<WitnessStep> Steps;
    if (C == U || !Infos.count(C) ||
        !takesOnTheWay(C, Call, "the call of " + unitName(*U), T, Depth + 1,
                       Steps))
      return false;
    if (First.empty())
      First = std::move(Steps);
  }
  if (!Any)
    return false;
  Why.insert(Why.end(), First.begin(), First.end());
  Why.push_back({Site, What + " in " + unitName(*U) + " comes after that"});
  return true;
}

bool BlockingAnalysis::Impl::gated(const OpRecord &R, const GateTarget &T,
                                   unsigned Depth,
                                   std::vector<WitnessStep> &Why) {
  const CFGBlock *HB;
  unsigned HI;
  std::string What = std::string(opNoun(R.Kind)) + " '" + R.Object.str() +
                     "' in " + unitName(*R.Unit);
  if (T.Mutex.valid()) {
    std::string Mu = "'" + T.Mutex.str() + "'";
    if (containsObject(R.Held, T.Mutex)) {
      Why.push_back({R.Site, What + " runs only with " + Mu + " held"});
      return true;
    }
    if (containsObject(entryHeld(R.Unit, 0), T.Mutex)) {
      Why.push_back({R.Site, What + " runs only with " + Mu +
                                 " held by every caller of " +
                                 unitName(*R.Unit)});
      return true;
    }
    if (const Stmt *Acq = loopTakesBefore(R.Unit, R.Site, T.Mutex)) {
      Why.push_back({Acq, "each round of the loop in " + unitName(*R.Unit) +
                              " takes " + Mu + " here"});
      Why.push_back({R.Site, What + " runs only after that loop"});
      return true;
    }
    // Taken on the way to the operation: unless the partner is past it
    // when the holder takes the mutex, it waits for the holder. Nothing
    // may order the holder after that point (it is started there, or
    // waits for what comes after it).
    if (T.Holder &&
        takesOnTheWay(R.Unit, R.Site,
                      std::string(opNoun(R.Kind)) + " '" + R.Object.str() + "'",
                      T, 0, Why))
      return true;
  }
  // In the blocked side's own code (which runs once), where no path leads
  // from it to the blocked operation: it has not run when the operation
  // blocks, and cannot run until the operation completes.
  // The same for the holder of a mutex, if its code runs once at a time.
  const BlockedOp *Blocked = T.Self ? T.Self : T.Holder;
  if (Blocked && R.Unit == Blocked->Unit && R.Site != siteOf(*Blocked) &&
      cfgPos(R.Unit, R.Site, HB, HI) &&
      !mayReach(R.Unit, R.Site, siteOf(*Blocked)) &&
      (T.Self || !runsMoreThanOnce(R.Unit, 0))) {
    Why.push_back({R.Site, What + " cannot come before it in the same code: "
                                  "it runs only after the blocked operation"});
    return true;
  }
  // Started, or called, only after the blocked operation.
  std::pair<const CodeUnit *, const Stmt *> Order;
  if (T.Self && !T.Mutex.valid() && startsAfter(*T.Self, R, Order)) {
    Why.push_back({Order.second, unitName(*Order.first) +
                                     " gets here only after the blocked "
                                     "operation completes"});
    Why.push_back({R.Site, What + " runs only from there"});
    return true;
  }
  if (Depth >= 3)
    return false;
  for (const BlockedOp &Q : Blocking) {
    // (A wait for a group the blocked side's starter adds to before the
    // start: it gates \p R if every way from the start to \p R waits.)
    if (Q.Unit != R.Unit || isOpAt(Q, R.Site) || &Q == T.Self)
      continue;
    if (!(surelyWaits(Q) && dominates(R.Unit, siteOf(Q), R.Site)) &&
        !(addsBeforeStart(Q, T) &&
          onlyThrough(R.Unit, T.Self->Unit->Lambda, siteOf(Q), R.Site)))
      continue;
    llvm::SmallVector<const OpRecord *, 4> Partners;
    if (!knownPartners(Q, Partners))
      continue;
    // A partner the blocked side ran on its way to the operation (before
    // it on every way, in the code that holds the locks or in the code the
    // operation is written in: `stop_.send(done); done.recv();`) has
    // completed Q's partner already: the blocked side's own locks do not
    // hold it back.
    // So has one it ran before it created the lambda Q is written in
    // (`limiter.send(true); spawn([&] { limiter.recv(); wg.done(); });`):
    // Q's code has not started when the partner completes.
    auto RanBefore = [&](const OpRecord *P) {
      return Blocked && ((P->Unit == Blocked->Unit &&
                          (dominates(P->Unit, P->Site, siteOf(*Blocked)) ||
                           (Q.Unit->Lambda &&
                            dominates(P->Unit, P->Site, Q.Unit->Lambda)))) ||
                         (Blocked->SiteUnit && P->Unit == Blocked->SiteUnit &&
                          dominates(P->Unit, P->Site, Blocked->Call)));
    };
    std::vector<WitnessStep> Sub;
    bool All = true;
    for (const OpRecord *P : Partners)
      if (P->Site == R.Site || RanBefore(P) || !gated(*P, T, Depth + 1, Sub)) {
        All = false;
        break;
      }
    if (!All)
      continue;
    Why.push_back({R.Site, What + " runs only after " + opNoun(Q.Kind) + " '" +
                               Q.Object.str() + "' completes"});
    Why.push_back({Q.Call, std::string(opNoun(Q.Kind)) + " '" + Q.Object.str() +
                               "' waits here, and every operation that could "
                               "complete it is held back too:"});
    appendSteps(Why, Sub);
    return true;
  }
  return false;
}

bool BlockingAnalysis::Impl::mainFileClass(const CXXRecordDecl *RD) const {
  if (RD->isDependentContext() || RD->isLambda() || RD->isUnion())
    return false;
  const CXXRecordDecl *Written = RD;
  if (const auto *Spec = llvm::dyn_cast<ClassTemplateSpecializationDecl>(RD)) {
    // Instantiated here (an explicit instantiation declaration's members
    // are instantiated in another translation unit), or specialized here.
    switch (Spec->getSpecializationKind()) {
    case TSK_ImplicitInstantiation:
    case TSK_ExplicitInstantiationDefinition:
      Written = Spec->getTemplateInstantiationPattern();
      break;
    case TSK_ExplicitSpecialization:
      break;
    default:
      return false;
    }
  } else if (RD->getInstantiatedFromMemberClass()) {
    Written = RD->getTemplateInstantiationPattern();
  }
  const SourceManager &SM = Ctx.getSourceManager();
  return Written && SM.isInMainFile(SM.getExpansionLoc(Written->getLocation()));
}

void BlockingAnalysis::Impl::reportBlocked(std::vector<BlockingFinding> &Out) {
  llvm::DenseSet<const Stmt *> Done;
  // Held-lock findings on a select's cases, by select.
  llvm::MapVector<const Stmt *, std::vector<BlockingFinding>> HeldArms;
  // Races: a member blocks forever only if every member does.
  llvm::DenseMap<const Stmt *, unsigned> RaceStuck;
  struct Verdict {
    bool NoPartner = false;
    Confinement Conf;
    /// A partner found in code that never runs, for the witness.
    std::vector<WitnessStep> Dead;
  };
  std::vector<Verdict> Verdicts(Blocking.size());
  for (size_t Idx = 0; Idx < Blocking.size(); ++Idx) {
    const BlockedOp &B = Blocking[Idx];
    if (!B.Chain.empty())
      continue;
    Confinement &Conf = Verdicts[Idx].Conf;
    bool Stuck = (B.Kind != OpKind::Send || B.Unbuffered) &&
                 !(B.Kind == OpKind::Wait && B.HasPredicate) &&
                 (B.Kind != OpKind::CounterWait || B.BlocksAsCreated ||
                  B.BlocksAfterAdd) &&
                 confined(*Infos.find(B.Unit)->second, B.Object, Conf);
    // A wait group's wait blocks once something added to it.
    bool Added = !Stuck || !B.BlocksAfterAdd;
    for (size_t R = 0; !Added && R < Ops.size(); ++R)
      if (Ops[R].Kind == OpKind::CounterAdd &&
          reachesName(Ops[R].Object, B.Object, Conf.Names))
        Added = true;
    Stuck &= Added;
    // A partner: an operation on the object itself, or through one of the
    // names it reaches; a name we cannot resolve may be any object.
    std::optional<bool> Live;
    for (size_t R = 0; Stuck && R < Ops.size(); ++R) {
      const ObjectKey &K = Ops[R].Object;
      if (!partnerOf(B, Ops[R]))
        continue;
      if (!K.object() || reachesName(K, B.Object, Conf.Names)) {
        // A partner in code that never runs is none.
        // Only for an operation in code that is itself reached (a lambda,
        // or code with callers here): a partner in uncalled code of a
        // file whose own entry points are uncalled is the same guess. And
        // a partner in code nothing calls (that only this file could) is
        // none only for a wait that `main` leads to: in a program whose
        // `main` we see, what nothing calls and no other file can never
        // runs (without one, an uncalled function may be the entry point
        // a test harness or another file's code runs).
        std::string Why;
        bool Reached = B.Unit->Lambda || !Inv.callersOf(B.Unit->Fn).empty();
        if (Reached && !Live) {
          llvm::MapVector<const CodeUnit *, const Stmt *> From;
          Live = ancestors(B.Unit, B.Call, From) &&
                 llvm::any_of(From, [](const auto &P) {
                   return P.first->Fn && P.first->Fn->isMain();
                 });
        }
        if (K.object() && !Incomplete && Reached &&
            deadUnit(Ops[R].Unit, 0, Why, *Live)) {
          if (Verdicts[Idx].Dead.empty())
            Verdicts[Idx].Dead.push_back(
                {Ops[R].Site, std::string(opNoun(Ops[R].Kind)) + " '" +
                                  K.str() + "' is here, but " + Why});
          continue;
        }
        Stuck = false;
      }
    }
    Verdicts[Idx].NoPartner = Stuck;
    if (B.Race)
      RaceStuck[B.Race] += Stuck;
  }
  for (size_t Idx = 0; Idx < Blocking.size(); ++Idx) {
    const BlockedOp &B = Blocking[Idx];
    if (Done.count(B.Call))
      continue;
    // No partner at all, on an object nobody else can reach.
    if (Verdicts[Idx].NoPartner &&
        (!B.Race || RaceStuck[B.Race] == RaceArms.lookup(B.Race))) {
      Done.insert(B.Call);
      BlockingFinding F;
      F.Kind = BlockingFinding::NoPartner;
      F.At = B.Call;
      std::string Name = B.Object.str();
      const Confinement &Conf = Verdicts[Idx].Conf;
      const char *Missing = partnerDoes(B.Kind, /*ThirdPerson=*/true);
      // A context's done channel: only a cancel closes it.
      std::string What = std::string(opNoun(B.Kind)) + " '" + Name + "'";
      if (B.Kind == OpKind::Receive && ContextClasses.count(B.Type)) {
        Missing = "cancels it";
        What = "a receive from the done channel of '" + Name + "'";
      }
      std::string Race = B.Race ? " (nor any other operation of the race)" : "";
      // Partners in code that never runs: "nothing that runs".
      std::string Runs = Verdicts[Idx].Dead.empty() ? "" : "that runs ";
      if (const auto *Field =
              llvm::dyn_cast_or_null<FieldDecl>(B.Object.object())) {
        std::string Qualified = Field->getParent()->getNameAsString() +
                                "::" + Field->getNameAsString();
        F.Message = What + " waits forever: nothing in this translation unit " +
                    Runs + Missing + Race + ", and no other code can reach '" +
                    Qualified + "'";
        F.Notes.push_back({nullptr,
                           "'" + Qualified +
                               "' is declared here, in a class of this file "
                               "that no other translation unit can name",
                           Field->getLocation()});
      } else {
        const VarDecl *VD = B.Object.RootVar;
        std::string Var = varName(VD);
        F.Message = What + " waits forever: '" + Var + "' " +
                    (Conf.Shared ? "" : "is created here and ") +
                    (Conf.Shared ? "reaches only code of this translation "
                                   "unit, and none of it "
                                 : "never shared, and nothing ") +
                    Runs + Missing + Race;
        F.Notes.push_back(
            {VD->getInit() ? static_cast<const Stmt *>(VD->getInit()) : nullptr,
             "'" + Var + "' is created here", VD->getLocation()});
      }
      if (Conf.HandedAt)
        F.Notes.push_back(
            {Conf.HandedAt, "handed to '" + Conf.HandedTo->getNameAsString() +
                                "' here, which does not " +
                                partnerDoes(B.Kind, /*ThirdPerson=*/false)});
      appendSteps(F.Notes, Verdicts[Idx].Dead);
      Out.push_back(std::move(F));
      continue;
    }
    // Each waits for the other: every partner runs only after this
    // operation completes (later in its own code, which runs once, or
    // after a wait whose partners do).
    if (surelyWaits(B) && !runsMoreThanOnce(B.Unit, 0)) {
      llvm::SmallVector<const OpRecord *, 4> Partners;
      std::vector<WitnessStep> Why;
      if (knownPartners(B, Partners) && !Partners.empty() &&
          llvm::all_of(Partners, [&](const OpRecord *R) {
            return gated(*R, GateTarget{&B, {}}, 0, Why);
          })) {
        Done.insert(B.Call);
        BlockingFinding F;
        F.Kind = BlockingFinding::WaitCycle;
        F.At = B.Call;
        F.Message = std::string(opNoun(B.Kind)) + " '" + B.Object.str() +
                    "' waits forever: every operation that could complete "
                    "it runs only after it completes";
        // A buffered send: the sends before it filled the buffer.
        if (!B.Unbuffered)
          addFillNotes(F.Notes, B, fillsBefore(B));
        addChainNotes(F.Notes, B.Chain, "which blocks");
        appendSteps(F.Notes, Why);
        Out.push_back(std::move(F));
        continue;
      }
    }
    // Waiting with a mutex held that every partner needs (a std::async
    // task's result: the join's rule, reportJoins).
    if (B.Held.empty() || AsyncWaits.count(B.Call))
      continue;
    llvm::SmallVector<const OpRecord *, 4> Partners;
    if (!partnersMaybeOn(B, Partners) || Partners.empty())
      continue;
    // Runs more than once: in a loop (of its own code or of the calls that
    // reach it), or in a unit entered more than once.
    bool InALoop =
        inLoop(B.Call) || llvm::any_of(B.Chain, [&](const CallExpr *C) {
          return inLoop(C);
        });
    // A buffered send waits only once the buffer is full: when it runs any
    // number of times (in a loop, a context started in a loop), or after
    // sends of the same code that fill it (tendermint#1673: two
    // CheckTx() calls, a channel of capacity 1).
    std::vector<const BlockedOp *> Fills;
    if (B.Kind == OpKind::Send && !B.Unbuffered) {
      if (B.Capacity && !InALoop && !runsMoreThanOnce(B.Unit, 0, true))
        Fills = fillsBefore(B);
      if (!(B.Capacity &&
            (InALoop || runsMoreThanOnce(B.Unit, 0, true) || !Fills.empty())))
        continue;
    }
    // A sender that drains the buffer under the mutex it sends under
    // (`try_pop(stale); push(v);`, grpc-go#1353's fix) always finds room.
    if (B.Kind == OpKind::Send && !B.Unbuffered &&
        llvm::any_of(Ops, [&](const OpRecord &R) {
          return R.Unit == B.SiteUnit &&
                 (R.Kind == OpKind::TryReceive || R.Kind == OpKind::Receive) &&
                 R.Object.sameObject(B.Object) &&
                 llvm::any_of(B.Held, [&](const HeldLock &H) {
                   return containsObject(R.Held, H.Key);
                 });
        }))
      continue;
    // A wait whose own mutex is not known: the mutex held may be the one it
    // releases.
    if (B.Kind == OpKind::Wait && !B.OwnMutex.valid())
      continue;
    bool Again = InALoop || runsMoreThanOnce(B.Unit, 0) || !Fills.empty();
    // A select's case (a stop case is how such a wait is made safe): held
    // back only by a partner that holds the mutex, or must take it before
    // it runs again; not by one that takes it on its way (an order the
    // select's other cases may rule out).
    bool Select = isSelect(B.Race);
    for (const HeldLock &H : B.Held) {
      if (!H.Key.object() ||
          (B.OwnMutex.valid() &&
           (H.Key.sameObject(B.OwnMutex) || wrapsLock(H.Key, B.OwnMutex))))
        continue;
      // Each partner holds M, or cannot run again without maybe taking M
      // first while the blocked side runs more than once (the first match
      // goes through; the next blocked operation keeps M and waits), or
      // is gated behind M some other way: after a loop whose every round
      // takes M, or after a wait whose every partner is gated in turn. The
      // other ways only where the blocked side's code takes M before any
      // wait of its own (nothing orders it after the partner's progress).
      bool OwnGate = false;
      {
        const CFGBlock *HB;
        unsigned HI;
        OwnGate =
            cfgPos(B.Unit, H.Site, HB, HI) && !blocksBefore(B.Unit, H.Site);
      }
      enum GateKind { Holds, CallersHold, NextRound, NextPoll, Other };
      llvm::SmallVector<GateKind, 4> Gates;
      std::vector<std::vector<WitnessStep>> Whys;
      bool AllGated = true;
      for (const OpRecord *R : Partners) {
        Whys.emplace_back();
        if (containsObject(R->Held, H.Key)) {
          Gates.push_back(Holds);
        } else if (containsObject(entryHeld(R->Unit, 0), H.Key)) {
          Gates.push_back(CallersHold);
        } else if (Again && needsBeforeNext(R->Unit, R->Site, H.Key)) {
          Gates.push_back(NextRound);
        } else if ((R->Kind == OpKind::TryReceive ||
                    R->Kind == OpKind::TrySend) &&
                   needsBeforeNext(R->Unit, R->Site, H.Key)) {
          // A poll does not wait for this operation: only a poll made
          // while it waits completes it, and every poll after the one
          // under way takes M first.
          Gates.push_back(NextPoll);
        } else if (OwnGate && !Select &&
                   gated(*R, GateTarget{nullptr, H.Key, &B}, 0, Whys.back())) {
          Gates.push_back(Other);
        } else {
          AllGated = false;
          break;
        }
      }
      if (!AllGated)
        continue;
      Done.insert(B.Call);
      BlockingFinding F;
      F.Kind = BlockingFinding::HeldByPartner;
      F.At = B.Call;
      std::string Obj = B.Object.str(), Mu = H.Key.str();
      bool AllHeld = llvm::all_of(
          Gates, [](GateKind G) { return G == Holds || G == CallersHold; });
      F.Message = std::string(opNoun(B.Kind)) + " '" + Obj +
                  "' waits while holding '" + Mu + "', and every operation " +
                  "that could complete it " + (AllHeld ? "needs" : "may need") +
                  " '" + Mu + "' first: both sides wait forever";
      heldNotes(F.Notes, H);
      // A lock taken down the chain: its notes already walked that far.
      llvm::ArrayRef<const CallExpr *> Rest = B.Chain;
      if (!H.Chain.empty() && H.Chain.size() <= Rest.size() &&
          std::equal(H.Chain.begin(), H.Chain.end(), Rest.begin()))
        Rest = Rest.drop_front(H.Chain.size());
      addChainNotes(F.Notes, Rest, "holding '" + Mu + "'");
      addFillNotes(F.Notes, B, Fills);
      for (size_t P = 0; P < Partners.size() && P < 3; ++P) {
        const OpRecord *R = Partners[P];
        if (Gates[P] == Other) {
          appendSteps(F.Notes, Whys[P]);
          continue;
        }
        appendSteps(
            F.Notes,
            WitnessStep{
                R->Site,
                std::string(opNoun(R->Kind)) + " '" + R->Object.str() +
                    "' in " + unitName(*R->Unit) +
                    (Gates[P] == Holds ? " runs only with '" + Mu + "' held"
                     : Gates[P] == CallersHold
                         ? " runs only with '" + Mu +
                               "' held by every caller of " + unitName(*R->Unit)
                     : Gates[P] == NextPoll
                         ? " does not wait for it, and may "
                           "take '" +
                               Mu + "' before it polls again"
                         : " may take '" + Mu +
                               "' before it runs again, while "
                               "this operation runs more than "
                               "once")});
      }
      // A select's case: only if every case is held back, once.
      if (isSelect(B.Race))
        HeldArms[B.Race].push_back(std::move(F));
      else
        Out.push_back(std::move(F));
      break;
    }
  }
  for (auto &[Race, Fs] : HeldArms)
    if (Fs.size() == RaceArms.lookup(Race))
      Out.push_back(std::move(Fs.front()));
  reportPartnerLeaves(Out, Done);
  reportReceiversLeave(Out, Done);
  reportPartnerGivesUp(Out, Done);
  reportPartnerSkips(Out, Done);
  reportOutlived(Out, Done);
  reportCounts(Out, Done);
  reportWaitInStartLoop(Out, Done);
  reportCounterSkips(Out, Done);
  reportStopWaits(Out, Done);
}

//===----------------------------------------------------------------------===//
// Stop sources: a wait only a stop ends, of a source nothing stops
//===----------------------------------------------------------------------===//

/// How a diagnostic names a stop source: `Class::member`, or the variable.
static std::string sourceName(const ValueDecl *D) {
  if (const auto *FD = llvm::dyn_cast<FieldDecl>(D))
    return FD->getParent()->getNameAsString() + "::" + FD->getNameAsString();
  return D->getNameAsString();
}

bool BlockingAnalysis::Impl::stopSources(const Expr *Tok, unsigned Depth,
                                         TokenTrace &T) {
  if (!Tok || Depth > 8 || T.Budget == 0)
    return false;
  --T.Budget;
  const Expr *E = bareExprThroughCopies(Tok);
  auto Add = [&](const ValueDecl *D) {
    if (!llvm::is_contained(T.Sources, D))
      T.Sources.push_back(D);
    return true;
  };
  // A source itself (the object of `src.stop_requested()`, `get_token()`).
  if (isStopSourceType(E->getType()) ||
      (E->getType()->isReferenceType() &&
       isStopSourceType(E->getType().getNonReferenceType()))) {
    if (const auto *ME = llvm::dyn_cast<MemberExpr>(E)) {
      const auto *F = llvm::dyn_cast<FieldDecl>(ME->getMemberDecl());
      return F && isStopSourceType(F->getType()) && Add(F);
    }
    const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E);
    const auto *V = DRE ? llvm::dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
    if (!V || llvm::isa<ParmVarDecl>(V))
      return false;
    if (V->getType()->isReferenceType())
      return V->hasLocalStorage() && V->getInit() &&
             stopSources(V->getInit(), Depth + 1, T);
    return isStopSourceType(V->getType()) && Add(V);
  }
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(E)) {
    const CXXMethodDecl *M = MC->getMethodDecl();
    const Expr *Obj = MC->getImplicitObjectArgument();
    if (M && M->getIdentifier() && M->getName() == "get_token" &&
        isStopSourceType(Obj->getType())) {
      if (T.Made.size() < 2)
        T.Made.push_back(MC);
      return stopSources(Obj, Depth + 1, T);
    }
    // An accessor of a class of this file (`ctx.done()`: `return
    // src_.get_token();`): what it returns. A std::jthread's
    // get_stop_token() is not followed.
    const FunctionDecl *Def = M ? analysableDefinition(M, Ctx) : nullptr;
    const auto *Body =
        Def ? llvm::dyn_cast_or_null<CompoundStmt>(Def->getBody()) : nullptr;
    const auto *Ret = Body && Body->size() == 1
                          ? llvm::dyn_cast<ReturnStmt>(Body->body_front())
                          : nullptr;
    if (!Ret || !Ret->getRetValue() || !mainFileClass(M->getParent()) ||
        mayDispatchElsewhere(MC))
      return false;
    return stopSources(Ret->getRetValue(), Depth + 1, T);
  }
  if (!isStopTokenType(E->getType()))
    return false;
  if (const auto *ME = llvm::dyn_cast<MemberExpr>(E)) {
    const auto *F = llvm::dyn_cast<FieldDecl>(ME->getMemberDecl());
    return F && memberStopSources(F, Depth, T);
  }
  const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E);
  const auto *V = DRE ? llvm::dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
  if (!V)
    return false;
  if (!T.Seen.insert(V).second)
    return true;
  if (const auto *P = llvm::dyn_cast<ParmVarDecl>(V))
    return paramStopSources(P, Depth, T);
  // A local (or an init-capture) set once.
  if (!V->hasLocalStorage() || !V->getInit())
    return false;
  const auto *Owner =
      llvm::dyn_cast_or_null<FunctionDecl>(V->getParentFunctionOrMethod());
  if (!Owner || !Owner->getBody() ||
      KeyBuilder(Owner->getBody()).isReassigned(V))
    return false;
  return stopSources(V->getInit(), Depth + 1, T);
}

bool BlockingAnalysis::Impl::paramStopSources(const ParmVarDecl *P,
                                              unsigned Depth, TokenTrace &T) {
  const auto *FD = llvm::dyn_cast<FunctionDecl>(P->getDeclContext());
  // A lambda's parameter: a std::jthread's own token, a callback's
  // argument, handed in by code we do not read.
  if (!FD || (llvm::isa<CXXMethodDecl>(FD) &&
              llvm::cast<CXXMethodDecl>(FD)->getParent()->isLambda()))
    return false;
  llvm::SmallVector<const Expr *, 4> Args;
  if (!everyCallOf(FD, P->getFunctionScopeIndex(), Args) || Args.empty())
    return false;
  for (const Expr *A : Args)
    if (!stopSources(A, Depth + 1, T))
      return false;
  return true;
}

bool BlockingAnalysis::Impl::memberStopSources(const FieldDecl *F,
                                               unsigned Depth, TokenTrace &T) {
  if (!T.Seen.insert(F).second)
    return true;
  const auto *RD = llvm::dyn_cast<CXXRecordDecl>(F->getParent());
  if (!RD || !mainFileClass(RD) || uninstantiatedMemberNames(RD, F))
    return false;
  for (const FunctionDecl *TF : UnanalysedTemplates)
    if (mayNameMember(TF->getBody(), F))
      return false;
  // Every write of it: its initialisers and assignments.
  llvm::SmallVector<const Expr *, 4> Values;
  memberWrites(F, [&](const CodeUnit *, const Expr *, const Expr *Value) {
    Values.push_back(Value);
  });
  if (Values.empty())
    return false;
  for (const Expr *V : Values)
    if (!stopSources(V, Depth + 1, T))
      return false;
  return true;
}

bool BlockingAnalysis::Impl::everyCallOf(
    const FunctionDecl *FD, unsigned Idx,
    llvm::SmallVectorImpl<const Expr *> &Out) {
  FD = FD->getCanonicalDecl();
  const FunctionDecl *Def = analysableDefinition(FD, Ctx);
  if (!Def || Def->isMain() || Def->isTemplateInstantiation())
    return false;
  if (!fileOnly(Def))
    return false;
  // Named other than as a callee: only a thread started on it with its
  // arguments (`std::thread(&C::run, this, tok)`) is a call we can read.
  computeAddressTaken();
  if (AddressEscapes.count(FD))
    return false;
  for (const FunctionDecl *TF : UnanalysedTemplates)
    if (mayNameMember(TF->getBody(), Def))
      return false;
  auto Arg = [&](const Expr *A) {
    if (!A)
      return false;
    Out.push_back(A);
    return true;
  };
  if (AddressTaken.count(FD)) {
    computeRunSites();
    auto TS = ThreadStarts.find(FD);
    if (TS == ThreadStarts.end())
      return false;
    unsigned A = Idx + firstParamArg(Def);
    for (const auto &[SU, S] : TS->second) {
      const auto *CE = llvm::dyn_cast<CXXConstructExpr>(S);
      const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S);
      unsigned N = CE ? CE->getNumArgs() : MC ? MC->getNumArgs() : 0;
      if (A >= N || !Arg(CE ? CE->getArg(A) : MC->getArg(A)))
        return false;
    }
  }
  for (const auto &[CU, Call] : Inv.callersOf(Def))
    if (!Arg(argumentFor(Call, Def, Idx)))
      return false;
  // Virtual calls that may run it (and calls through a std::function).
  if (const CodeUnit *U = Inv.unitOf(Def))
    if (auto IC = IndirectCallers.find(U); IC != IndirectCallers.end())
      for (const auto &[CU, Call] : IC->second) {
        const auto *CE = llvm::dyn_cast_or_null<CallExpr>(Call);
        if (!CE || !Arg(argumentFor(CE, Def, Idx)))
          return false;
      }
  const auto *Ctor = llvm::dyn_cast<CXXConstructorDecl>(Def);
  const CXXRecordDecl *Class = Ctor ? Ctor->getParent() : nullptr;
  bool Bad = false;
  auto Visit = [&](const Stmt *S) {
    if (Bad)
      return;
    if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(S)) {
      if (Ctor && CE->getConstructor()->getCanonicalDecl() == FD)
        Bad = !Arg(Idx < CE->getNumArgs() ? CE->getArg(Idx) : nullptr);
      return;
    }
    const auto *Call = llvm::dyn_cast<CallExpr>(S);
    if (!Call)
      return;
    if (!Ctor)
      return;
    // std::make_unique<C>(args...) / make_shared: the constructor of C with
    // as many parameters, if it is the only one.
    const FunctionDecl *Callee = Call->getDirectCallee();
    const TemplateArgumentList *TA =
        Callee ? Callee->getTemplateSpecializationArgs() : nullptr;
    if (!TA || TA->size() == 0 ||
        TA->get(0).getKind() != TemplateArgument::Type)
      return;
    if (recordOf(TA->get(0).getAsType()) != Class)
      return;
    if (!Callee->isInStdNamespace() || !Callee->getIdentifier() ||
        (Callee->getName() != "make_unique" &&
         Callee->getName() != "make_shared")) {
      Bad = true; // constructed elsewhere, out of sight
      return;
    }
    unsigned Same = 0;
    for (const CXXConstructorDecl *C : Class->ctors())
      Same += C->getNumParams() == Call->getNumArgs() &&
              !C->isCopyOrMoveConstructor();
    if (Same != 1 || Call->getNumArgs() != Def->getNumParams())
      Bad = true;
    else
      Bad = !Arg(Call->getArg(Idx));
  };
  for (const auto &UP : Inv.units()) {
    const CodeUnit &U = *UP;
    if (!Ctor)
      break;
    walkOwnCode(U.Body, Visit);
    if (const auto *C = llvm::dyn_cast_or_null<CXXConstructorDecl>(U.Fn);
        C && !U.Lambda)
      for (const CXXCtorInitializer *CI : C->inits())
        if (CI->getInit())
          walkOwnCode(CI->getInit(), Visit);
    if (Bad)
      return false;
  }
  // A class constructed in place by a container (emplace_back) is
  // constructed where we do not look: only direct constructions count.
  if (Ctor)
    for (const auto &UP : Inv.units()) {
      walkOwnCode(UP->Body, [&](const Stmt *S) {
        const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S);
        const CXXMethodDecl *M = MC ? MC->getMethodDecl() : nullptr;
        if (M && M->getIdentifier() && M->getName().starts_with("emplace"))
          if (const auto *Spec =
                  llvm::dyn_cast<ClassTemplateSpecializationDecl>(
                      M->getParent()))
            for (const TemplateArgument &A : Spec->getTemplateArgs().asArray())
              if (A.getKind() == TemplateArgument::Type &&
                  recordOf(A.getAsType()) == Class)
                Bad = true;
      });
      if (Bad)
        return false;
    }
  return true;
}

bool BlockingAnalysis::Impl::sourceStaysPut(const ValueDecl *D) {
  auto [It, New] = SourcesPut.try_emplace(D, false);
  if (!New)
    return It->second;
  if (const auto *F = llvm::dyn_cast<FieldDecl>(D)) {
    const auto *RD = llvm::dyn_cast<CXXRecordDecl>(F->getParent());
    if (!RD || !mainFileClass(RD) || uninstantiatedMemberNames(RD, F))
      return false;
    for (const FunctionDecl *TF : UnanalysedTemplates)
      if (mayNameMember(TF->getBody(), F))
        return false;
  } else if (const auto *V = llvm::dyn_cast<VarDecl>(D)) {
    if (!V->hasLocalStorage() && V->isExternallyVisible())
      return false;
  } else {
    return false;
  }
  llvm::SmallPtrSet<const Expr *, 8> Mentions, Accounted;
  auto Visit = [&](const Stmt *S) {
    if (const auto *E = llvm::dyn_cast<Expr>(S); E && namesDecl(E, D)) {
      Mentions.insert(E);
      return;
    }
    const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S);
    const CXXMethodDecl *M = MC ? MC->getMethodDecl() : nullptr;
    if (!M || !M->getIdentifier())
      return;
    llvm::StringRef N = M->getName();
    if (N != "get_token" && N != "request_stop" && N != "stop_requested" &&
        N != "stop_possible")
      return;
    if (const Expr *Obj = handedName(MC->getImplicitObjectArgument());
        namesDecl(Obj, D))
      Accounted.insert(Obj);
  };
  for (const auto &UP : Inv.units()) {
    const CodeUnit &U = *UP;
    walkOwnCode(U.Body, Visit);
    if (const auto *C = llvm::dyn_cast_or_null<CXXConstructorDecl>(U.Fn);
        C && !U.Lambda)
      for (const CXXCtorInitializer *CI : C->inits())
        if (CI->getInit() && CI->getMember() != D)
          walkWithLambdas(CI->getInit(), nullptr, Visit);
  }
  if (const auto *F = llvm::dyn_cast<FieldDecl>(D))
    for (const FieldDecl *Other : F->getParent()->fields())
      if (Other != F && Other->hasInClassInitializer())
        walkWithLambdas(Other->getInClassInitializer(), nullptr, Visit);
  for (const Expr *M : Mentions)
    if (!Accounted.count(M))
      return false;
  It = SourcesPut.find(D);
  It->second = true;
  return true;
}

const Expr *BlockingAnalysis::Impl::callbackToken(const CodeUnit *U) {
  const Expr *Token = nullptr;
  return stopCallbackSite(Inv, *U, &Token) ? Token : nullptr;
}

bool BlockingAnalysis::Impl::sourceNeverStopped(const ValueDecl *Src,
                                                const BlockedOp &B,
                                                unsigned Depth, bool Live,
                                                std::vector<WitnessStep> &Why) {
  if (Depth > 3 || !sourceStaysPut(Src))
    return false;
  std::string Name = Src->getNameAsString();
  unsigned Requests = 0;
  for (const OpRecord &R : Ops) {
    if (R.Kind != OpKind::StopRequest)
      continue;
    const ValueDecl *O = R.Object.object();
    if (!O || R.Object.isElement())
      return false; // a source we cannot name: it may be this one
    if (O != Src)
      continue;
    ++Requests;
    std::string Dead;
    if (deadUnit(R.Unit, 0, Dead, Live)) {
      Why.push_back(
          {R.Site, "a stop of '" + Name + "' is requested here, but " + Dead});
      continue;
    }
    // Only once the wait is over: later in its own code, or in code that
    // starts or is called only after it.
    std::vector<WitnessStep> After;
    if (gated(R, GateTarget{&B, {}, nullptr}, 0, After)) {
      appendSteps(Why, After);
      continue;
    }
    // In a std::stop_callback: only once another token is stopped.
    if (const Expr *Parent = callbackToken(R.Unit)) {
      TokenTrace PT;
      std::vector<WitnessStep> Sub;
      if (stopSources(Parent, 0, PT) && !PT.Sources.empty() &&
          llvm::all_of(PT.Sources, [&](const ValueDecl *P) {
            return P != Src && sourceNeverStopped(P, B, Depth + 1, Live, Sub);
          })) {
        std::string PName;
        if (const auto *N = llvm::dyn_cast_or_null<NamedDecl>(
                namedObject(Parent) ? namedObject(Parent) : nullptr))
          PName = " '" + N->getNameAsString() + "'";
        Why.push_back({R.Site, "a stop of '" + Name +
                                   "' is requested here only by a "
                                   "std::stop_callback on the token" +
                                   PName + ", which nothing stops:"});
        appendSteps(Why, Sub);
        continue;
      }
    }
    return false;
  }
  if (!Requests)
    Why.push_back({nullptr,
                   "nothing requests a stop of '" + sourceName(Src) + "'",
                   Src->getLocation()});
  return true;
}

void BlockingAnalysis::Impl::reportStopWaits(
    std::vector<BlockingFinding> &Out, llvm::DenseSet<const Stmt *> &Done) {
  if (Incomplete)
    return;
  for (const StopWaitSite &SW : StopWaits) {
    const BlockedOp &B = SW.Op;
    if (Done.count(B.Call))
      continue;
    TokenTrace T;
    if (!stopSources(SW.Token, 0, T) || T.Sources.empty())
      continue;
    // Whether `main` leads to it: threads started in callbacks of calls
    // go deeper than a call chain.
    llvm::MapVector<const CodeUnit *, const Stmt *> From;
    bool Live = ancestors(B.Unit, B.Call, From, false, 2 * MaxCallDepth) &&
                llvm::any_of(From, [](const auto &P) {
                  return P.first->Fn && P.first->Fn->isMain();
                });
    std::vector<WitnessStep> Why;
    if (!llvm::all_of(T.Sources, [&](const ValueDecl *Src) {
          return sourceNeverStopped(Src, B, 0, Live, Why);
        }))
      continue;
    Done.insert(B.Call);
    BlockingFinding F;
    F.Kind = BlockingFinding::NoPartner;
    F.At = SW.Loop ? SW.Loop : B.Call;
    std::string Srcs = "'" + sourceName(T.Sources.front()) + "'";
    if (T.Sources.size() > 1)
      Srcs +=
          " (or another of " + std::to_string(T.Sources.size()) + " sources)";
    F.Message = SW.Loop ? "this loop never ends: only a stop of " + Srcs +
                              " ends it, and nothing that runs requests one"
                        : "a wait on '" + B.Object.str() +
                              "' waits forever: only a stop of " + Srcs +
                              " ends it, and nothing that runs requests one";
    for (const Expr *M : T.Made)
      F.Notes.push_back({M, "its stop token is made here, of '" +
                                sourceName(T.Sources.front()) + "'"});
    appendSteps(F.Notes, Why);
    Out.push_back(std::move(F));
  }
}

//===----------------------------------------------------------------------===//
// A wait inside the loop that starts its count-downs
//===----------------------------------------------------------------------===//

void BlockingAnalysis::Impl::reportWaitInStartLoop(
    std::vector<BlockingFinding> &Out, llvm::DenseSet<const Stmt *> &Done) {
  const SourceManager &SM = Ctx.getSourceManager();
  auto Within = [&](const Stmt *Outer, SourceLocation L) {
    SourceRange R = Outer->getSourceRange();
    return !SM.isBeforeInTranslationUnit(L, R.getBegin()) &&
           !SM.isBeforeInTranslationUnit(R.getEnd(), L);
  };
  for (const BlockedOp &B : Blocking) {
    if (B.Kind != OpKind::CounterWait || !(B.Latch || B.BlocksAfterAdd) ||
        !B.Chain.empty() || B.Unit != B.SiteUnit || Done.count(B.Call) ||
        !inLoop(B.Call))
      continue;
    const Stmt *L = LoopOf.lookup(B.Call);
    const ObjectKey &K = B.Object;
    const VarDecl *VD = K.Root == ObjectKey::Var && K.Path.empty() && K.exact()
                            ? K.RootVar
                            : nullptr;
    if (!L || !VD || !VD->hasLocalStorage() || llvm::isa<ParmVarDecl>(VD) ||
        VD->getType()->isReferenceType() || Within(L, VD->getLocation()))
      continue;
    // The count is set before the loop: a latch's constructor argument (a
    // constant 1 or less lets every round through), a wait group's adds,
    // all before the loop.
    std::string Count, CountText;
    if (B.Latch) {
      const Expr *Arg = countArgument(VD);
      if (!Arg)
        continue;
      std::optional<uint64_t> N = evaluateCount(Arg, Ctx);
      if (N && *N <= 1)
        continue;
      Count = N ? std::to_string(*N) : "its count";
      CountText = countText(Arg, Ctx);
    }
    // Every count-down (and add) of the object, and who makes it.
    const LambdaExpr *Started = nullptr;
    const OpRecord *Signal = nullptr, *Add = nullptr;
    bool Fits = true;
    for (const OpRecord &R : Ops) {
      if (!R.Object.sameObject(K) &&
          !(R.Object.Root == ObjectKey::Var && R.Object.RootVar == VD))
        continue;
      if (R.Kind == OpKind::CounterAdd) {
        // Before the loop, in the waiting code.
        Fits &= R.Unit == B.Unit && !Within(L, R.Site->getBeginLoc()) &&
                SM.isBeforeInTranslationUnit(R.Site->getBeginLoc(),
                                             L->getBeginLoc());
        Add = &R;
      } else if (R.Kind == OpKind::CounterSignal) {
        // In a lambda started in this loop's rounds, once per round, that
        // nothing calls: a thread's body (or a callback run elsewhere).
        const CodeUnit *U = R.Unit;
        Fits &= U->Lambda && LoopOf.lookup(U->Lambda) == L &&
                Inv.callersOf(U->Fn).empty() && !IndirectCallers.count(U) &&
                (!Started || Started == U->Lambda);
        // By one: `count_down(2)` may finish the count in one round.
        if (llvm::isa<CallExpr>(R.Site))
          Fits &= countStep(R.Site, Ctx) == 1u;
        Started = U->Lambda;
        Signal = &R;
      } else if (R.Kind == OpKind::Unknown) {
        Fits = false;
      }
      if (!Fits)
        break;
    }
    if (!Fits || !Signal || (B.BlocksAfterAdd && !Add))
      continue;
    Done.insert(B.Call);
    std::string Name = K.str();
    BlockingFinding F;
    F.Kind = BlockingFinding::Counts;
    F.At = B.Call;
    F.Message =
        "'" + Name + "' is waited for inside the loop that starts " +
        "what counts it down, one per round: the first round waits " + "for " +
        (B.Latch ? (Count == "its count" ? std::string("its count")
                                         : "all " + Count + " count-downs")
                 : std::string("every done() added before the loop")) +
        " with only one of them started";
    if (B.Latch)
      F.Notes.push_back(
          {VD->getInit(),
           "'" + VD->getNameAsString() + "' is created here" +
               (CountText.empty() ? std::string()
                                  : " with a count of " + CountText),
           VD->getLocation()});
    else
      F.Notes.push_back({Add->Site, "adds to '" + Name +
                                        "' here, before the "
                                        "loop"});
    F.Notes.push_back({Started, "started here, once per round: it counts '" +
                                    Name + "' down"});
    F.Notes.push_back({Signal->Site, "counts it down here"});
    Out.push_back(std::move(F));
  }
}

//===----------------------------------------------------------------------===//
// Counts: more sends than the receives can take
//===----------------------------------------------------------------------===//

BlockingAnalysis::Impl::Count BlockingAnalysis::Impl::maxOps(
    const CodeUnit *U, const Confinement &Conf,
    const llvm::DenseMap<const Stmt *, OpKind> &Sites, bool Sends,
    unsigned Depth, bool ThisIsObject,
    llvm::SmallPtrSetImpl<const CodeUnit *> *ReachedUnits) {
  if (Depth > MaxCallDepth)
    return Count::unknown();
  UnitInfo &I = info(U);
  // A unit that touches nothing itself was not analysed: a method of an
  // object that sets it up, or starts the code that uses it. Its calls and
  // its CFG are all the count needs (analysing it here, while the findings
  // are reported, would add operations to the lists being read).
  if (!I.Relevant && I.Status == UnitInfo::NotYet && !I.G) {
    prepare(I);
    I.G = buildCFG(*U);
    indexCFG(I);
  }
  if (!I.G)
    return Count::unknown();
  if (ReachedUnits)
    ReachedUnits->insert(U);
  const CFG &G = *I.G;
  // Lambdas bound to a variable may run any number of times.
  llvm::SmallPtrSet<const LambdaExpr *, 4> Bound;
  walkOwnCode(U->Body, [&](const Stmt *S) {
    if (const auto *DS = llvm::dyn_cast<DeclStmt>(S))
      for (const Decl *D : DS->decls())
        if (const auto *V = llvm::dyn_cast<VarDecl>(D))
          if (const auto *LE = llvm::dyn_cast_or_null<LambdaExpr>(
                  V->getInit() ? bareExprThroughCopies(V->getInit()) : nullptr))
            Bound.insert(LE);
  });
  // Two branches that test the same variable may exclude each other
  // (`if (a) send(); if (!a) send();`): a path through both is not known
  // to be one the program takes.
  {
    llvm::SmallVector<llvm::SmallPtrSet<const Decl *, 4>, 4> Guards;
    bool Correlated = false;
    walkOwnCode(U->Body, [&](const Stmt *S) {
      const auto *If = llvm::dyn_cast<IfStmt>(S);
      if (!If || Correlated)
        return;
      bool Counted = false;
      for (const Stmt *Branch : {If->getThen(), If->getElse()})
        walkWithLambdas(Branch, nullptr, [&](const Stmt *In) {
          Counted |= Sites.count(In) != 0;
          if (const auto *Call = llvm::dyn_cast<CallExpr>(In))
            Counted |= !targetsOf(I, Call).empty();
        });
      if (!Counted)
        return;
      llvm::SmallPtrSet<const Decl *, 4> Vars;
      walkOwnCode(If->getCond(), [&](const Stmt *In) {
        if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(In))
          Vars.insert(DRE->getDecl());
      });
      for (const auto &Other : Guards)
        for (const Decl *D : Vars)
          Correlated |= Other.count(D) != 0;
      Guards.push_back(std::move(Vars));
    });
    if (Correlated)
      return Count::unknown();
  }
  auto IsThis = [&](const Expr *E) {
    return ThisIsObject && E &&
           llvm::isa<CXXThisExpr>(E->IgnoreParenImpCasts());
  };
  auto Hands = [&](const Expr *E) {
    if (IsThis(E))
      return true;
    const Expr *N = handedName(E);
    const auto *DRE = llvm::dyn_cast_or_null<DeclRefExpr>(N);
    return DRE && Conf.Names.count(DRE->getDecl());
  };
  // What \p C at \p S, inside a loop, adds up to: times the loop's trip
  // count where it is a constant (and the loop is in no other), else any
  // number.
  auto Repeated = [&](const Stmt *S, Count C) {
    const Stmt *L = LoopOf.lookup(S);
    std::optional<uint64_t> Trips =
        L && !C.Many && !LoopOf.count(L) ? constantTrips(L, Ctx) : std::nullopt;
    if (Trips && *Trips * C.N <= 1024) {
      C.N = static_cast<unsigned>(*Trips * C.N);
      C.Counted = true;
      for (auto &Entry : C.Trace)
        Entry.second = static_cast<unsigned>(Entry.second * *Trips);
      return C;
    }
    C.Many = true;
    C.ManyAt = S;
    for (auto &Entry : C.Trace)
      Entry.second = Count::Any;
    return C;
  };
  // A statement inside a loop that no path comes back to runs once per
  // run (`for (;;) { if (failed) { errs.send(e); return; } }`); one the
  // CFG does not place is taken to be on a cycle.
  auto OnCycle = [&](const Stmt *S) {
    const CFGBlock *B;
    unsigned Idx;
    return !cfgPos(U, S, B, Idx) || mayReach(U, S, S);
  };
  auto Weight = [&](const Stmt *S) -> Count {
    Count C;
    bool Loop = inLoop(S) && OnCycle(S);
    if (auto Op = Sites.find(S); Op != Sites.end()) {
      bool Counted = Sends ? Op->second == OpKind::Send
                           : (Op->second == OpKind::Receive ||
                              Op->second == OpKind::TryReceive);
      if (!Counted)
        return C;
      if (llvm::isa<CXXForRangeStmt>(S)) {
        C.Many = true;
        C.ManyAt = S;
        C.Trace.push_back({S, Count::Any});
      } else {
        C.N = 1;
        C.Trace.push_back({S, 1});
        if (Loop)
          C = Repeated(S, C);
      }
      return C;
    }
    const CodeUnit *Callee = nullptr;
    bool CalleeThis = false;
    if (const auto *Call = llvm::dyn_cast<CallExpr>(S)) {
      bool Handed = false;
      for (const Expr *A : Call->arguments())
        Handed |= Hands(A);
      if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call)) {
        const Expr *Obj = MC->getImplicitObjectArgument();
        // Called on the object: its `this` is the object.
        CalleeThis = Conf.Class && Hands(Obj);
        Handed |= Hands(Obj);
      }
      if (!Handed)
        return C;
      llvm::SmallVector<const CodeUnit *, 2> Targets = targetsOf(I, Call);
      if (Targets.size() != 1)
        return Targets.empty() ? C : Count::unknown();
      Callee = Targets.front();
    } else if (const auto *LE = llvm::dyn_cast<LambdaExpr>(S)) {
      bool Captures = false, CapturesThis = false;
      for (const LambdaCapture &Cap : LE->captures()) {
        Captures |=
            Cap.capturesVariable() && Conf.Names.count(Cap.getCapturedVar());
        CapturesThis |= ThisIsObject && Cap.capturesThis();
      }
      if (!Captures && !CapturesThis)
        return C;
      Callee = Inv.unitOf(LE->getCallOperator());
      if (!Callee)
        return Count::unknown();
      Count In = maxOps(Callee, Conf, Sites, Sends, Depth + 1, CapturesThis,
                        ReachedUnits);
      if ((In.N || In.Many) && Bound.count(LE))
        return Count::unknown();
      if ((In.N || In.Many) && Loop)
        In = Repeated(LE, In);
      return In;
    } else if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(S)) {
      // A thread started on a function with the object as an argument.
      const FunctionDecl *FD = threadStartedOn(CE);
      bool Handed = false;
      for (unsigned A = 1; A < CE->getNumArgs(); ++A)
        Handed |= Hands(CE->getArg(A));
      if (!Handed || !FD)
        return C;
      // A method run on the object: its `this` is the object.
      if (firstParamArg(FD) == 2)
        CalleeThis = Conf.Class && Hands(CE->getArg(1));
      const FunctionDecl *Def = analysableDefinition(FD, Ctx);
      Callee = Def ? Inv.unitOf(Def) : nullptr;
      if (!Callee)
        return Count::unknown();
    } else {
      return C;
    }
    Count In =
        maxOps(Callee, Conf, Sites, Sends, Depth + 1, CalleeThis, ReachedUnits);
    if ((In.N || In.Many) && Loop)
      In = Repeated(S, In);
    return In;
  };
  // The blocks in reverse post-order, without the back edges: the longest
  // path by weight (a weighted statement inside a loop counts as many).
  unsigned NB = G.getNumBlockIDs();
  std::vector<Count> W(NB), Dist(NB);
  auto Weighed = [&](const Stmt *S) {
    Count C = Weight(S);
    if (Depth == 0 && !Sites.count(S) && (C.N || C.Many))
      C.Via.push_back({S, C.Many ? Count::Any : C.N});
    return C;
  };
  for (const CFGBlock *B : G) {
    for (const CFGElement &E : *B)
      if (auto SE = E.getAs<CFGStmt>())
        W[B->getBlockID()] += Weighed(SE->getStmt());
    if (const Stmt *T = B->getTerminatorStmt();
        T && llvm::isa<CXXForRangeStmt>(T))
      W[B->getBlockID()] += Weight(T);
  }
  // The way out of a loop whose head is \p B (its condition), or null.
  auto LoopExit = [](const CFGBlock *B) -> const CFGBlock * {
    const Stmt *T = B->getTerminatorStmt();
    if (!T || !llvm::isa<ForStmt, WhileStmt, CXXForRangeStmt>(T) ||
        B->succ_size() != 2)
      return nullptr;
    return *(B->succ_begin() + 1);
  };
  // Depth first, a loop's way out before its body: in the reverse
  // post-order the body then comes before what follows the loop, which a
  // path through the body reaches by coming round (below).
  std::vector<unsigned char> State(NB, 0);
  std::vector<const CFGBlock *> Post;
  llvm::SmallVector<std::pair<const CFGBlock *, unsigned>, 16> Stack;
  auto SuccAt = [&](const CFGBlock *B, unsigned I) -> const CFGBlock * {
    unsigned N = B->succ_size();
    if (LoopExit(B))
      I = N - 1 - I;
    return *(B->succ_begin() + I);
  };
  Stack.push_back({&G.getEntry(), 0});
  State[G.getEntry().getBlockID()] = 1;
  llvm::DenseSet<std::pair<unsigned, unsigned>> Back;
  while (!Stack.empty()) {
    auto &[B, SI] = Stack.back();
    if (SI == B->succ_size()) {
      State[B->getBlockID()] = 2;
      Post.push_back(B);
      Stack.pop_back();
      continue;
    }
    const CFGBlock *S = SuccAt(B, SI);
    ++SI;
    if (!S)
      continue;
    if (State[S->getBlockID()] == 1)
      Back.insert({B->getBlockID(), S->getBlockID()});
    else if (State[S->getBlockID()] == 0) {
      State[S->getBlockID()] = 1;
      Stack.push_back({S, 0});
    }
  }
  auto Better = [](const Count &A, const Count &B) {
    if (A.Many != B.Many)
      return A.Many;
    return A.N > B.N;
  };
  std::vector<bool> Reached(NB, false);
  Reached[G.getEntry().getBlockID()] = true;
  Dist[G.getEntry().getBlockID()] = W[G.getEntry().getBlockID()];
  Count Result, AnyUnknown;
  for (const CFGBlock *B : llvm::reverse(Post)) {
    unsigned Id = B->getBlockID();
    if (!Reached[Id])
      continue;
    AnyUnknown.Unknown |= Dist[Id].Unknown;
    if (Better(Dist[Id], Result))
      Result = Dist[Id];
    for (const CFGBlock *S : B->succs()) {
      if (!S)
        continue;
      // Round the loop and out of it: what the body did (each weight in
      // it already counts every round) is on the path that follows.
      if (Back.count({Id, S->getBlockID()})) {
        S = LoopExit(S);
        if (!S)
          continue;
      }
      Count Next = Dist[Id];
      Next += W[S->getBlockID()];
      if (!Reached[S->getBlockID()] || Better(Next, Dist[S->getBlockID()])) {
        Dist[S->getBlockID()] = Next;
        Reached[S->getBlockID()] = true;
      }
    }
  }
  Result.Unknown |= AnyUnknown.Unknown;
  return Result;
}

//===----------------------------------------------------------------------===//
// Outlived: a receive loop whose partners all finish
//===----------------------------------------------------------------------===//

bool BlockingAnalysis::Impl::reachesExit(const CodeUnit *U, const Stmt *S) {
  const CFGBlock *B;
  unsigned Idx;
  if (!cfgPos(U, S, B, Idx))
    return true; // cannot tell: assume it finishes
  const CFGBlock *Exit = &Infos.find(U)->second->G->getExit();
  llvm::SmallVector<const CFGBlock *, 16> Work{B};
  llvm::DenseSet<const CFGBlock *> Seen;
  while (!Work.empty()) {
    const CFGBlock *Cur = Work.pop_back_val();
    if (!Cur || !Seen.insert(Cur).second)
      continue;
    // A call that does not return (exit(), a throw helper) leaves too.
    if (Cur == Exit || Cur->hasNoReturnElement())
      return true;
    Work.append(Cur->succ_begin(), Cur->succ_end());
  }
  return false;
}

bool BlockingAnalysis::Impl::neverRunsOn(const OpRecord &R, std::string &Why) {
  if (deadUnit(R.Unit, 0, Why))
    return true;
  const CodeUnit *U = R.Unit;
  const FunctionDecl *FD = U->Fn;
  if (U->Lambda || !FD || FD->isMain() || !Inv.callersOf(FD).empty() ||
      Incomplete)
    return false;
  if (auto IC = IndirectCallers.find(U);
      IC != IndirectCallers.end() && !IC->second.empty())
    return false;
  const auto *MD = llvm::dyn_cast<CXXMethodDecl>(FD);
  if (MD && (MD->isVirtual() || llvm::isa<CXXConstructorDecl>(MD) ||
             llvm::isa<CXXDestructorDecl>(MD) ||
             MD->getOverloadedOperator() != OO_None))
    return false;
  if (FD->isTemplateInstantiation() || FD->isDependentContext())
    return false;
  computeAddressTaken();
  if (AddressTaken.count(FD->getCanonicalDecl()))
    return false;
  // Template code we do not analyse may call it.
  for (const FunctionDecl *T : UnanalysedTemplates)
    if (mayNameMember(T->getBody(), FD))
      return false;
  // Who can hand it the object: a caller of a member function needs an
  // object of its class, a caller of a function an argument of its
  // parameter's type. Either class of this file: no other code names it.
  bool FileOnly = false;
  if (MD && !MD->isStatic() && R.Object.Root == ObjectKey::This)
    FileOnly = mainFileClass(MD->getParent());
  else if (const auto *P =
               llvm::dyn_cast_or_null<ParmVarDecl>(R.Object.RootVar);
           P && R.Object.Root == ObjectKey::Var)
    if (const CXXRecordDecl *RD = objectClass(P->getType()))
      FileOnly = mainFileClass(RD);
  if (!FileOnly)
    return false;
  Why = "nothing calls '" + FD->getQualifiedNameAsString() +
        "', and no other translation unit can";
  return true;
}

void BlockingAnalysis::Impl::startsOf(
    const CodeUnit *U,
    llvm::SmallVectorImpl<std::pair<const CodeUnit *, const Stmt *>> &Out,
    bool CallsOnly) {
  // A coroutine's caller goes on before its body completes, unless it
  // awaits the call.
  bool Coroutine = CallsOnly && U->Fn && U->Fn->getBody() &&
                   llvm::isa<CoroutineBodyStmt>(U->Fn->getBody());
  auto Awaits = [&](const CodeUnit *Caller, const Stmt *Call) {
    auto It = Infos.find(Caller);
    const auto *CE = llvm::dyn_cast<CallExpr>(Call);
    return CE && It != Infos.end() && It->second->Awaited.count(CE);
  };
  for (const auto &[CallerUnit, Call] : Inv.callersOf(U->Fn))
    if (CallerUnit && (!Coroutine || Awaits(CallerUnit, Call)))
      Out.push_back({CallerUnit, Call});
  if (Coroutine)
    return;
  if (auto IC = IndirectCallers.find(U); IC != IndirectCallers.end())
    for (const auto &[CallerUnit, Call] : IC->second)
      if (CallerUnit)
        Out.push_back({CallerUnit, Call});
  // A constructor runs where its object is made.
  if (!U->Lambda && llvm::isa_and_nonnull<CXXConstructorDecl>(U->Fn)) {
    computeConstructSites();
    if (auto CS = ConstructSites.find(U->Fn->getCanonicalDecl());
        CS != ConstructSites.end())
      Out.append(CS->second.begin(), CS->second.end());
  }
  // A function a thread is started on runs, if at all, after the start.
  if (!U->Lambda && !CallsOnly && U->Fn) {
    computeRunSites();
    if (auto TS = ThreadStarts.find(U->Fn->getCanonicalDecl());
        TS != ThreadStarts.end())
      Out.append(TS->second.begin(), TS->second.end());
  }
  // A lambda runs, if at all, after it is created.
  if (U->Lambda && !CallsOnly)
    if (const auto *FD = llvm::dyn_cast<FunctionDecl>(
            U->Lambda->getLambdaClass()->getDeclContext()))
      if (const CodeUnit *Enclosing = Inv.unitOf(FD))
        Out.push_back({Enclosing, U->Lambda});
}

void BlockingAnalysis::Impl::computeConstructSites() {
  if (ConstructSitesDone)
    return;
  ConstructSitesDone = true;
  llvm::SmallPtrSet<const CXXRecordDecl *, 16> Seen;
  for (const auto &UP : Inv.units()) {
    const CodeUnit *U = UP.get();
    auto Visit = [&](const Stmt *S) {
      if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(S)) {
        if (const CXXConstructorDecl *C = CE->getConstructor();
            C && !C->isImplicit() && Inv.unitOf(analysableDefinition(C, Ctx)))
          ConstructSites[C->getCanonicalDecl()].push_back({U, CE});
        return;
      }
      const auto *Call = llvm::dyn_cast<CallExpr>(S);
      const FunctionDecl *Callee = Call ? Call->getDirectCallee() : nullptr;
      const TemplateArgumentList *TA =
          Callee ? Callee->getTemplateSpecializationArgs() : nullptr;
      if (TA && TA->size() > 0 &&
          TA->get(0).getKind() == TemplateArgument::Type &&
          Callee->isInStdNamespace() && Callee->getIdentifier() &&
          (Callee->getName() == "make_unique" ||
           Callee->getName() == "make_shared"))
        if (const CXXRecordDecl *RD = recordOf(TA->get(0).getAsType()))
          MakeSites[RD->getCanonicalDecl()].push_back({U, Call});
    };
    walkOwnCode(U->Body, Visit);
    if (const auto *C = llvm::dyn_cast_or_null<CXXConstructorDecl>(U->Fn);
        C && !U->Lambda)
      for (const CXXCtorInitializer *CI : C->inits())
        if (CI->getInit() && CI->isWritten())
          walkOwnCode(CI->getInit(), Visit);
    // The data members' own initialisers of the classes of our code.
    const auto *MD = llvm::dyn_cast_or_null<CXXMethodDecl>(U->Fn);
    if (!MD || U->Lambda || !Seen.insert(MD->getParent()).second)
      continue;
    for (const FieldDecl *F : MD->getParent()->fields())
      if (const Expr *Init = F->getInClassInitializer())
        walkOwnCode(Init, [&](const Stmt *S) {
          if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(S))
            if (const CXXConstructorDecl *C = CE->getConstructor();
                C && !C->isImplicit())
              FieldInitSites[C->getCanonicalDecl()].push_back(CE);
        });
  }
}

void BlockingAnalysis::Impl::constructionArguments(
    const CXXConstructorDecl *Ctor, unsigned Idx,
    llvm::function_ref<void(const Expr *, const CodeUnit *)> Visit) {
  computeConstructSites();
  if (auto CS = ConstructSites.find(Ctor->getCanonicalDecl());
      CS != ConstructSites.end())
    for (const auto &[CU, S] : CS->second)
      if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(S);
          CE && Idx < CE->getNumArgs())
        Visit(CE->getArg(Idx), CU);
  for (const CXXConstructExpr *CE :
       FieldInitSites.lookup(Ctor->getCanonicalDecl()))
    if (Idx < CE->getNumArgs())
      Visit(CE->getArg(Idx), nullptr);
  if (auto MS = MakeSites.find(Ctor->getParent()->getCanonicalDecl());
      MS != MakeSites.end())
    for (const auto &[CU, Call] : MS->second)
      if (Call->getNumArgs() == Ctor->getNumParams())
        Visit(Call->getArg(Idx), CU);
}

bool BlockingAnalysis::Impl::ancestors(
    const CodeUnit *U, const Stmt *S,
    llvm::MapVector<const CodeUnit *, const Stmt *> &Out, bool CallsOnly,
    unsigned MaxDepth) {
  if (!MaxDepth)
    MaxDepth = MaxCallDepth;
  Out[U] = S;
  llvm::SmallVector<std::pair<const CodeUnit *, unsigned>, 8> Work{{U, 0}};
  while (!Work.empty()) {
    auto [Cur, Depth] = Work.pop_back_val();
    llvm::SmallVector<std::pair<const CodeUnit *, const Stmt *>, 4> Starts;
    startsOf(Cur, Starts, CallsOnly);
    if (!Starts.empty() && Depth >= MaxDepth)
      return false; // too far to tell
    for (const auto &[Up, Site] : Starts)
      if (Out.insert({Up, Site}).second)
        Work.push_back({Up, Depth + 1});
  }
  return true;
}

bool BlockingAnalysis::Impl::surelyOrderedBefore(
    const CodeUnit *UA, const Stmt *A, const CodeUnit *UB, const Stmt *B,
    std::pair<const CodeUnit *, const Stmt *> *Where) {
  // A's side through calls only: code a lambda runs concurrently with
  // what follows its creation does not complete before that.
  llvm::MapVector<const CodeUnit *, const Stmt *> FromA;
  if (!ancestors(UA, A, FromA, /*CallsOnly=*/true))
    return false;
  // B's side: the one way that leads to it. Every unit on it below the
  // common code has one start, and no other code can call it; else B may
  // also run from somewhere nothing orders.
  const CodeUnit *Cur = UB;
  const Stmt *Site = B;
  for (unsigned Depth = 0; Cur && Depth <= MaxCallDepth; ++Depth) {
    auto It = FromA.find(Cur);
    if (It != FromA.end() && It->second != Site) {
      if (mayReach(Cur, Site, It->second) || runsMoreThanOnce(Cur, 0))
        return false;
      if (Where)
        *Where = {Cur, Site};
      return true;
    }
    llvm::SmallVector<std::pair<const CodeUnit *, const Stmt *>, 4> Starts;
    startsOf(Cur, Starts);
    if (Starts.size() != 1 || !onlyCalledHere(Cur))
      return false;
    std::tie(Cur, Site) = Starts.front();
  }
  return false;
}

bool BlockingAnalysis::Impl::fileOnly(const FunctionDecl *FD) const {
  if (const auto *MD = llvm::dyn_cast<CXXMethodDecl>(FD))
    return mainFileClass(MD->getParent()) &&
           llvm::all_of(MD->overridden_methods(),
                        [&](const CXXMethodDecl *O) { return fileOnly(O); });
  const SourceManager &SM = Ctx.getSourceManager();
  return !FD->isExternallyVisible() &&
         SM.isInMainFile(SM.getExpansionLoc(FD->getLocation()));
}

bool BlockingAnalysis::Impl::onlyCalledHere(const CodeUnit *U) {
  if (U->Lambda)
    return true;
  const FunctionDecl *FD = U->Fn;
  if (!FD || FD->isMain())
    return false;
  const auto *MD = llvm::dyn_cast<CXXMethodDecl>(FD);
  if ((MD && MD->isVirtual()) || !fileOnly(FD))
    return false;
  computeAddressTaken();
  return !AddressEscapes.count(FD->getCanonicalDecl());
}

bool BlockingAnalysis::Impl::startsAfter(
    const BlockedOp &Q, const OpRecord &R,
    std::pair<const CodeUnit *, const Stmt *> &Where) {
  // Each level of the chain: the unit and where the operation is in it.
  // A level whose call starts a coroutine it does not await goes on
  // before the operation completes: only the levels below it count.
  llvm::SmallVector<std::pair<const CodeUnit *, const Stmt *>, 4> Levels;
  const CodeUnit *U = Q.Unit;
  for (size_t K = 0; U; ++K) {
    const Stmt *Site = K < Q.Chain.size()
                           ? static_cast<const Stmt *>(Q.Chain[K])
                           : static_cast<const Stmt *>(Q.Call);
    Levels.push_back({U, Site});
    if (K >= Q.Chain.size())
      break;
    const FunctionDecl *Callee = Q.Chain[K]->getDirectCallee();
    const CodeUnit *Next = Callee ? Inv.unitOf(Callee) : nullptr;
    if (Next && Next->Fn && Next->Fn->getBody() &&
        llvm::isa<CoroutineBodyStmt>(Next->Fn->getBody())) {
      auto It = Infos.find(U);
      if (It == Infos.end() || !It->second->Awaited.count(Q.Chain[K]))
        Levels.clear();
    }
    U = Next;
  }
  if (!U)
    return false;
  for (const auto &[LU, Site] : Levels) {
    if (runsMoreThanOnce(LU, 0))
      return false;
    if (surelyOrderedBefore(LU, Site, R.Unit, R.Site, &Where))
      return true;
  }
  return false;
}

std::vector<const BlockedOp *>
BlockingAnalysis::Impl::fillsBefore(const BlockedOp &Q) {
  std::vector<const BlockedOp *> Out;
  if (Q.Kind != OpKind::Send || Q.Unbuffered || !Q.Capacity || Q.Race ||
      *Q.Capacity == 0)
    return Out;
  // The buffer fills only if nothing takes from it meanwhile: a loop or a
  // second entry could interleave receives.
  if (inLoop(siteOf(Q)) || runsMoreThanOnce(Q.Unit, 0))
    return Out;
  const Stmt *Site = siteOf(Q);
  for (const BlockedOp &P : Blocking)
    if (&P != &Q && P.Kind == OpKind::Send && P.Unit == Q.Unit && !P.Race &&
        siteOf(P) != Site && P.Object.sameObject(Q.Object) &&
        !inLoop(siteOf(P)) && dominates(Q.Unit, siteOf(P), Site) &&
        llvm::none_of(
            Out, [&](const BlockedOp *O) { return siteOf(*O) == siteOf(P); }))
      Out.push_back(&P);
  if (Out.size() < *Q.Capacity)
    Out.clear();
  return Out;
}

bool BlockingAnalysis::Impl::orderedBefore(const CodeUnit *UA, const Stmt *A,
                                           const CodeUnit *UB, const Stmt *B) {
  llvm::MapVector<const CodeUnit *, const Stmt *> FromA, FromB;
  if (!ancestors(UA, A, FromA) || !ancestors(UB, B, FromB))
    return true; // cannot tell: assume it is
  return orderedByAncestors(FromA, FromB, /*StartsApart=*/true);
}

bool BlockingAnalysis::Impl::everyRunBefore(const CodeUnit *UA, const Stmt *A,
                                            const CodeUnit *UB, const Stmt *B) {
  llvm::MapVector<const CodeUnit *, const Stmt *> FromB;
  if (!ancestors(UB, B, FromB))
    return true; // cannot tell: assume it is
  return everyRunBefore(UA, A, FromB, /*Apart=*/false, 0);
}

bool BlockingAnalysis::Impl::everyRunBefore(
    const CodeUnit *UA, const Stmt *A,
    const llvm::MapVector<const CodeUnit *, const Stmt *> &FromB, bool Apart,
    unsigned Depth) {
  if (auto It = FromB.find(UA); It != FromB.end() && It->second != A) {
    // Code both reach: B cannot come before A there (a loop around A may
    // run no round; then A never happens at all), or, apart, a join waits
    // for A's run on the way to B.
    if (!Apart)
      return !mayReach(UA, It->second, A);
    return joinedBetween(UA, A, It->second);
  }
  llvm::SmallVector<std::pair<const CodeUnit *, const Stmt *>, 4> Starts;
  startsOf(UA, Starts);
  if (Starts.empty())
    return false; // an entry point B's code does not share
  if (Depth >= MaxCallDepth)
    return true; // too far to tell
  // Past a lambda or a function a thread is started on, A runs apart
  // from the code that starts it.
  computeRunSites();
  bool Next = Apart || UA->Lambda != nullptr ||
              (UA->Fn && ThreadStarts.count(UA->Fn->getCanonicalDecl()));
  for (const auto &[Up, Site] : Starts)
    if (!everyRunBefore(Up, Site, FromB, Next, Depth + 1))
      return false;
  return true;
}

bool BlockingAnalysis::Impl::joinedBetween(const CodeUnit *X, const Stmt *From,
                                           const Stmt *To) {
  bool Joined = false;
  walkOwnCode(X->Body, [&](const Stmt *S) {
    const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S);
    const CXXMethodDecl *MD = MC ? MC->getMethodDecl() : nullptr;
    if (Joined || !MD || !MD->getIdentifier())
      return;
    // A thread's join(), a future's get() or wait(), a latch's or a wait
    // group's wait() (not a smart pointer's get()).
    llvm::StringRef N = MD->getName();
    FutureOp FO = classifyFutureOp(MC);
    CounterOp CO = Counters.classify(MC);
    bool Waits = (N == "join" && MC->getNumArgs() == 0) ||
                 (FO && FO.Kind == FutureOpKind::Wait) ||
                 (CO && CO.Kind == CounterOpKind::Wait);
    if (Waits)
      Joined = mayReach(X, From, MC) && mayReach(X, MC, To);
  });
  return Joined;
}

bool BlockingAnalysis::Impl::orderedByAncestors(
    const llvm::MapVector<const CodeUnit *, const Stmt *> &FromA,
    const llvm::MapVector<const CodeUnit *, const Stmt *> &FromB,
    bool StartsApart) {
  // Levels from A's own code up; with StartsApart, past a lambda or a
  // function a thread is started on, A runs apart from the code that
  // starts it.
  bool Apart = false;
  const CodeUnit *Prev = nullptr;
  for (const auto &[X, SA] : FromA) {
    if (Prev && StartsApart) {
      computeRunSites();
      Apart |= Prev->Lambda != nullptr ||
               (Prev->Fn && ThreadStarts.count(Prev->Fn->getCanonicalDecl()));
    }
    Prev = X;
    auto It = FromB.find(X);
    if (It == FromB.end() || It->second == SA)
      continue;
    const Stmt *SB = It->second;
    if (!Apart) {
      // B cannot come before A there (a loop around A may run no round;
      // then A never happens at all).
      if (!mayReach(X, SB, SA))
        return true;
      continue;
    }
    // Started apart: joined on the way from its start to B.
    if (joinedBetween(X, SA, SB))
      return true;
  }
  return false;
}

bool BlockingAnalysis::Impl::freshPerRun(const BlockedOp &B) const {
  const LambdaExpr *L = B.Unit->Lambda;
  const VarDecl *VD = B.Object.Root == ObjectKey::Var && B.Object.Path.empty()
                          ? B.Object.RootVar
                          : nullptr;
  const auto *Creator =
      L ? llvm::dyn_cast<FunctionDecl>(L->getLambdaClass()->getDeclContext())
        : nullptr;
  if (!VD || !Creator || !VD->hasLocalStorage() || llvm::isa<ParmVarDecl>(VD) ||
      VD->getType()->isReferenceType() || VD->getDeclContext() != Creator)
    return false;
  // Made in the round of the loop that creates the lambda (or no loop
  // creates it: each call of the creating code makes its own).
  if (const Stmt *Loop = LoopOf.lookup(L)) {
    bool Inside = false;
    walkOwnCode(loopBody(Loop), [&](const Stmt *S) {
      if (const auto *DS = llvm::dyn_cast<DeclStmt>(S))
        Inside |= llvm::is_contained(DS->decls(), VD);
    });
    if (!Inside)
      return false;
  }
  // No other send on it: one item for its buffer.
  return llvm::none_of(Ops, [&](const OpRecord &R) {
    return R.Site != B.Call &&
           (R.Kind == OpKind::Send || R.Kind == OpKind::TrySend) &&
           R.Object.sameObject(B.Object);
  });
}

/// \p E is a timer's wait (`t.async_wait(...)` on an Asio waitable or
/// deadline timer): it completes by itself.
static bool timerWait(const Expr *E) {
  const auto *MC =
      llvm::dyn_cast_or_null<CXXMemberCallExpr>(E ? bareExpr(E) : nullptr);
  const CXXMethodDecl *MD = MC ? MC->getMethodDecl() : nullptr;
  if (!MD || !MD->getIdentifier() || MD->getName() != "async_wait")
    return false;
  const CXXRecordDecl *RD = MD->getParent();
  return RD && RD->getIdentifier() &&
         (RD->getName() == "basic_waitable_timer" ||
          RD->getName() == "basic_deadline_timer");
}

void BlockingAnalysis::Impl::reportPartnerLeaves(
    std::vector<BlockingFinding> &Out, llvm::DenseSet<const Stmt *> &Done) {
  llvm::DenseMap<const Stmt *, const BlockedOp *> ArmAt;
  for (const BlockedOp &B : Blocking)
    if (B.Race && B.Chain.empty())
      ArmAt[B.Call] = &B;
  for (const BlockedOp &B : Blocking) {
    if (B.Kind != OpKind::Send || B.Race || !B.Chain.empty() ||
        Done.count(B.Call))
      continue;
    // A send that waits: unbuffered, or buffered and run any number of
    // times (the buffer fills once nobody takes from it).
    bool Again = inLoop(B.Call) || runsMoreThanOnce(B.Unit, 0, true);
    // A lambda run again, each run with its own channel (made by the code
    // that creates it, in the same round of its loop): one item each.
    if (Again && !B.Unbuffered && !inLoop(B.Call) && freshPerRun(B))
      Again = false;
    if (!B.Unbuffered && !(B.Capacity && Again))
      continue;
    auto BI = Infos.find(B.Unit);
    Confinement Conf;
    if (BI == Infos.end() || !confined(*BI->second, B.Object, Conf))
      continue;
    // The code that leads to the send, once.
    std::optional<llvm::MapVector<const CodeUnit *, const Stmt *>> FromSend;
    auto startsWithSend = [&](const OpRecord &R) {
      if (!FromSend) {
        FromSend.emplace();
        if (!ancestors(B.Unit, B.Call, *FromSend))
          FromSend->clear();
      }
      // (Not after a select: what made its case fire is not followed.)
      llvm::MapVector<const CodeUnit *, const Stmt *> FromR;
      return ancestors(R.Unit, R.Site, FromR) &&
             seenToStart(FromR, R.Unit, *FromSend, /*Itself=*/false) &&
             !afterSelect(FromR);
    };
    // Every partner is a receive that races others, in a loop.
    llvm::SmallVector<const BlockedOp *, 2> Receivers;
    bool Ok = true;
    for (const OpRecord &R : Ops) {
      if (!isPartner(B, R) ||
          (R.Object.object() && !reachesName(R.Object, B.Object, Conf.Names)))
        continue;
      // (One that receives once takes one item: a buffer may hold this
      // send's.)
      auto Arm = ArmAt.find(R.Site);
      if (R.Kind != OpKind::Receive || Arm == ArmAt.end() ||
          Arm->second->Unit == B.Unit ||
          (!inLoop(Arm->second->Call) && !B.Unbuffered)) {
        Ok = false;
        break;
      }
      Receivers.push_back(Arm->second);
    }
    if (!Ok || Receivers.empty())
      continue;
    // Each receiver's loop can be left by another arm, fired by code that
    // nothing orders after this send; a receiver run again may come back.
    std::vector<WitnessStep> Why;
    for (const BlockedOp *Recv : Receivers) {
      const CodeUnit *RU = Recv->Unit;
      if (runsMoreThanOnce(RU, 0)) {
        Ok = false;
        break;
      }
      llvm::SmallVector<const BlockedOp *, 4> Arms;
      for (const BlockedOp &A : Blocking)
        if (A.Race == Recv->Race && A.Chain.empty())
          Arms.push_back(&A);
      // The operands we do not model must be timers' waits: they fire by
      // themselves (an idle timeout).
      const Expr *Timer = nullptr;
      if (Arms.size() != RaceArms.lookup(Recv->Race)) {
        // (A select's other cases: not read.)
        if (isSelect(Recv->Race)) {
          Ok = false;
          break;
        }
        llvm::SmallVector<const Expr *, 4> Alternatives;
        raceAlternatives(llvm::cast<CoawaitExpr>(Recv->Race)->getOperand(),
                         Alternatives);
        for (const Expr *Alt : Alternatives) {
          if (llvm::any_of(Arms, [&](const BlockedOp *A) {
                return containsStmt(Alt, A->Call);
              }))
            continue;
          if (!timerWait(Alt)) {
            Ok = false;
            break;
          }
          Timer = Alt;
        }
        if (!Ok)
          break;
      }
      // The other arms' partners: what makes the loop leave. An arm leaves
      // when, of all arms, its winning alone can lead out.
      const OpRecord *Trigger = nullptr;
      const BlockedOp *TriggerArm = nullptr;
      for (const BlockedOp *A : Arms) {
        if (A == Recv)
          continue;
        llvm::SmallVector<bool, 4> OnlyA;
        for (const BlockedOp *Other : Arms)
          OnlyA.push_back(Other != A);
        if (!canLeave(RU, Recv->Race, Arms, OnlyA))
          continue;
        for (const OpRecord &R : Ops) {
          if (!isPartner(*A, R) ||
              (R.Object.object() && !R.Object.sameObject(A->Object) &&
               !mayBeSame(R, A->Object, A->Type)))
            continue;
          std::string Ignored;
          if (R.Object.object() && neverRunsOn(R, Ignored))
            continue;
          // A trigger runs where we see it start: from `main`, or from
          // code that also leads to the send (code that runs from places
          // we do not see is not known to run at all); the object's
          // destruction ends everything anyway.
          // (A cancellation, a close, explains it best.)
          if ((!Trigger ||
               (Trigger->Kind != OpKind::Close && R.Kind == OpKind::Close)) &&
              R.Object.object() && R.Unit != RU &&
              !llvm::isa<CXXDestructorDecl>(R.Unit->Fn) && startsWithSend(R) &&
              !orderedBefore(B.Unit, B.Call, R.Unit, R.Site)) {
            Trigger = &R;
            TriggerArm = A;
          }
        }
      }
      // A timer's win that leads out: it needs nobody.
      if (!Trigger && Timer) {
        llvm::SmallVector<bool, 4> OnlyTimers(Arms.size(), true);
        if (canLeave(RU, Recv->Race, Arms, OnlyTimers)) {
          if (Why.empty())
            Why.push_back(
                {Recv->Call,
                 "the only receiver, in " + unitName(*RU) + ", takes from '" +
                     Recv->Object.str() +
                     (inLoop(Recv->Call)
                          ? "' in a loop, racing a timer's wait that ends the "
                            "loop when it fires first"
                          : "' once, racing a timer's wait that goes on "
                            "without it when it fires first")});
          continue;
        }
      }
      if (!Trigger) {
        Ok = false;
        break;
      }
      if (Why.empty()) {
        Why.push_back(
            {Recv->Call, "the only receiver, in " + unitName(*RU) +
                             ", takes from '" + Recv->Object.str() +
                             (inLoop(Recv->Call) ? "' in a loop" : "' once") +
                             ", racing a receive from '" +
                             TriggerArm->Object.str() + "'"});
        Why.push_back(
            {Trigger->Site,
             (Trigger->Kind == OpKind::Close &&
                      ContextClasses.count(TriggerArm->Type)
                  ? std::string("a cancel of")
                  : std::string(opNoun(Trigger->Kind))) +
                 " '" + Trigger->Object.str() + "' in " +
                 unitName(*Trigger->Unit) +
                 (inLoop(Recv->Call) ? " ends that loop" : " wins that race") +
                 ", and nothing orders it after this send"});
      }
    }
    if (!Ok)
      continue;
    Done.insert(B.Call);
    BlockingFinding F;
    F.Kind = BlockingFinding::PartnerLeaves;
    F.At = B.Call;
    F.Message =
        "a send on '" + B.Object.str() + "' may wait forever: " +
        (llvm::all_of(Receivers,
                      [&](const BlockedOp *R) { return inLoop(R->Call); })
             ? "its receiver's loop may have left before it"
             : "its receiver may have gone on before it") +
        ", and nothing else receives from it or closes it";
    appendSteps(F.Notes, Why);
    Out.push_back(std::move(F));
  }
}

namespace {
/// The variables and members \p E reads.
void readsOf(const Expr *E, llvm::SmallVectorImpl<const ValueDecl *> &Out) {
  if (!E)
    return;
  walkOwnCode(E, [&](const Stmt *S) {
    const ValueDecl *D = nullptr;
    if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(S))
      D = llvm::dyn_cast<VarDecl>(DRE->getDecl());
    else if (const auto *ME = llvm::dyn_cast<MemberExpr>(S))
      D = llvm::dyn_cast<FieldDecl>(ME->getMemberDecl());
    if (D && !llvm::is_contained(Out, D))
      Out.push_back(D);
  });
}

/// The locals that hold what the operation \p Site gave, in \p Body: a
/// local its result initialises or is assigned to, one it takes by
/// reference or address (`pop(v)`, `recv(&v)`), a range-for's variable.
void resultHolders(const Stmt *Body, const Stmt *Site,
                   llvm::SmallPtrSetImpl<const VarDecl *> &Out) {
  auto AddVar = [&](const Expr *E) {
    if (!E)
      return;
    E = E->IgnoreParenImpCasts();
    if (const auto *UO = llvm::dyn_cast<UnaryOperator>(E);
        UO && UO->getOpcode() == UO_AddrOf)
      E = UO->getSubExpr()->IgnoreParenImpCasts();
    if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E))
      if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl()))
        Out.insert(VD);
  };
  if (const auto *For = llvm::dyn_cast<CXXForRangeStmt>(Site))
    Out.insert(For->getLoopVariable());
  else if (const auto *Call = llvm::dyn_cast<CallExpr>(Site))
    for (const Expr *A : Call->arguments())
      AddVar(A);
  walkOwnCode(Body, [&](const Stmt *S) {
    if (const auto *DS = llvm::dyn_cast<DeclStmt>(S)) {
      for (const Decl *D : DS->decls())
        if (const auto *VD = llvm::dyn_cast<VarDecl>(D);
            VD && containsStmt(VD->getInit(), Site))
          Out.insert(VD);
    } else if (const auto *BO = llvm::dyn_cast<BinaryOperator>(S);
               BO && BO->getOpcode() == BO_Assign &&
               containsStmt(BO->getRHS(), Site)) {
      AddVar(BO->getLHS());
    } else if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(S);
               OC && OC->getOperator() == OO_Equal && OC->getNumArgs() == 2 &&
               containsStmt(OC->getArg(1), Site)) {
      AddVar(OC->getArg(0));
    }
  });
}

/// \p E tests what \p Site gave: it reads the operation or one of
/// \p Holders as a value (negated, compared, a member of it, a method
/// called on it), not as an argument handed to a function that works
/// on it (`process(v)`).
bool testsResult(const Expr *E, const Stmt *Site,
                 const llvm::SmallPtrSetImpl<const VarDecl *> &Holders) {
  if (!E)
    return false;
  E = E->IgnoreParenImpCasts();
  if (E == Site)
    return true;
  if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E)) {
    // (`auto [ec, v] = co_await ch.async_receive(...)`: a binding of it.)
    const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl());
    if (const auto *BD = llvm::dyn_cast<BindingDecl>(DRE->getDecl()))
      VD = llvm::dyn_cast_or_null<VarDecl>(BD->getDecomposedDecl());
    return VD && Holders.count(VD);
  }
  if (const auto *UO = llvm::dyn_cast<UnaryOperator>(E))
    return testsResult(UO->getSubExpr(), Site, Holders);
  if (const auto *BO = llvm::dyn_cast<BinaryOperator>(E))
    return testsResult(BO->getLHS(), Site, Holders) ||
           testsResult(BO->getRHS(), Site, Holders);
  if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(E))
    return llvm::any_of(OC->arguments(), [&](const Expr *A) {
      return testsResult(A, Site, Holders);
    });
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(E))
    return E == Site ||
           testsResult(MC->getImplicitObjectArgument(), Site, Holders);
  if (const auto *ME = llvm::dyn_cast<MemberExpr>(E))
    return testsResult(ME->getBase(), Site, Holders);
  if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(E))
    return CE->getNumArgs() == 1 && testsResult(CE->getArg(0), Site, Holders);
  if (const auto *CO = llvm::dyn_cast<ConditionalOperator>(E))
    return testsResult(CO->getCond(), Site, Holders);
  if (const auto *Cl = llvm::dyn_cast<ExprWithCleanups>(E))
    return testsResult(Cl->getSubExpr(), Site, Holders);
  return false;
}

/// The statements of \p S, a loop's body, that leave the loop on their
/// own: a `return`, `co_return` or `goto`, a `break` of the loop's own,
/// not under an `if` or `switch` that tests what \p Site gave (a closed
/// channel's status, a sentinel value). Lambdas are other code; a throw
/// is not followed.
void ownExits(const Stmt *S, const Stmt *Site,
              const llvm::SmallPtrSetImpl<const VarDecl *> &Holders,
              bool Nested, llvm::SmallVectorImpl<const Stmt *> &Out) {
  if (!S || llvm::isa<LambdaExpr>(S))
    return;
  if (llvm::isa<ReturnStmt, CoreturnStmt, GotoStmt>(S) ||
      (llvm::isa<BreakStmt>(S) && !Nested)) {
    Out.push_back(S);
    return;
  }
  auto Tested = [&](const Expr *Cond, const VarDecl *CondVar) {
    return testsResult(Cond, Site, Holders) ||
           (CondVar &&
            (Holders.count(CondVar) || containsStmt(CondVar->getInit(), Site)));
  };
  if (const auto *If = llvm::dyn_cast<IfStmt>(S)) {
    if (Tested(If->getCond(), If->getConditionVariable()))
      return;
  } else if (const auto *Sw = llvm::dyn_cast<SwitchStmt>(S)) {
    if (Tested(Sw->getCond(), Sw->getConditionVariable()))
      return;
  }
  bool Inner =
      Nested ||
      llvm::isa<WhileStmt, ForStmt, DoStmt, CXXForRangeStmt, SwitchStmt>(S);
  for (const Stmt *Child : S->children())
    ownExits(Child, Site, Holders, Inner, Out);
}

/// \p E's value is a number of items: it calls size() or the like, or
/// is sizeof, or reads a local initialised so.
bool countsItems(const Expr *E, unsigned Depth = 0) {
  bool Found = false;
  walkOwnCode(E, [&](const Stmt *S) {
    if (Found)
      return;
    if (llvm::isa<UnaryExprOrTypeTraitExpr>(S)) {
      Found = true;
    } else if (const auto *Call = llvm::dyn_cast<CallExpr>(S)) {
      const FunctionDecl *FD = Call->getDirectCallee();
      if (FD && FD->getIdentifier()) {
        llvm::StringRef N = FD->getName();
        Found = N == "size" || N == "ssize" || N == "length" || N == "count" ||
                N == "distance" || N == "len" || N == "capacity";
      }
    } else if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(S)) {
      if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl());
          VD && Depth < 2 && VD->hasLocalStorage() && VD->getInit())
        Found = countsItems(VD->getInit(), Depth + 1);
    }
  });
  return Found;
}

/// What bounds \p Loop's rounds: its condition, or a range-for's range.
const Expr *loopBound(const Stmt *Loop) {
  if (const auto *For = llvm::dyn_cast<CXXForRangeStmt>(Loop))
    return For->getRangeInit();
  return loopCondition(Loop);
}

/// \p Cond, a loop's condition, reads only its own code's locals (an
/// index, an iterator, a lambda's copy), none that a lambda of that code
/// captures by reference or whose address it takes: nothing another
/// thread may change. (A range-for's range is its items.)
bool readsOnlyLocals(const Stmt *Cond, const CodeUnit &U) {
  if (!Cond || llvm::isa<CXXForRangeStmt>(Cond))
    return true;
  llvm::SmallPtrSet<const ValueDecl *, 4> Shared;
  walkOwnCode(U.Body, [&](const Stmt *N) {
    if (const auto *LE = llvm::dyn_cast<LambdaExpr>(N)) {
      for (const LambdaCapture &C : LE->captures())
        if (C.capturesVariable() && C.getCaptureKind() == LCK_ByRef)
          Shared.insert(C.getCapturedVar());
    } else if (const auto *UO = llvm::dyn_cast<UnaryOperator>(N);
               UO && UO->getOpcode() == UO_AddrOf) {
      if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(
              UO->getSubExpr()->IgnoreParenImpCasts()))
        Shared.insert(DRE->getDecl());
    }
  });
  auto ByCopy = [&](const VarDecl *VD) {
    return U.Lambda &&
           llvm::any_of(U.Lambda->captures(), [&](const LambdaCapture &C) {
             return C.capturesVariable() && C.getCapturedVar() == VD &&
                    C.getCaptureKind() == LCK_ByCopy;
           });
  };
  bool Ok = true;
  walkOwnCode(Cond, [&](const Stmt *N) {
    if (llvm::isa<MemberExpr>(N)) {
      const auto *ME = llvm::cast<MemberExpr>(N);
      if (llvm::isa<CXXThisExpr>(ME->getBase()->IgnoreParenImpCasts()))
        Ok = false;
    } else if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(N)) {
      if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl());
          VD && (!VD->hasLocalStorage() || VD->getType()->isReferenceType() ||
                 Shared.count(VD) ||
                 (DRE->refersToEnclosingVariableOrCapture() && !ByCopy(VD))))
        Ok = false;
    }
  });
  return Ok;
}
} // namespace

bool BlockingAnalysis::Impl::boundedBelowItems(const BlockedOp &B,
                                               const Stmt *Loop) {
  const auto *VD = llvm::dyn_cast_or_null<VarDecl>(B.Object.object());
  if (!VD || B.Object.Root != ObjectKey::Var || !B.Object.Path.empty() ||
      !VD->hasLocalStorage() || VD->getType()->isReferenceType() ||
      llvm::isa<ParmVarDecl>(VD) || !VD->getInit())
    return false;
  const ChannelSpec *Spec = nullptr;
  for (const OpRecord &R : Ops)
    if (R.Site == B.Call && R.Spec)
      Spec = R.Spec;
  if (!Spec || Spec->Unbuffered)
    return false;
  const Expr *Cap = Channels.capacityArgument(VD->getInit(), *Spec);
  if (!Cap || countsItems(Cap))
    return false;
  // The loop sends as many items as the channel holds.
  llvm::SmallVector<const ValueDecl *, 4> CapVars, BoundVars;
  readsOf(Cap, CapVars);
  readsOf(loopBound(Loop), BoundVars);
  return llvm::none_of(CapVars, [&](const ValueDecl *D) {
    return llvm::is_contained(BoundVars, D);
  });
}

bool BlockingAnalysis::Impl::confinedPartners(
    const BlockedOp &B, const Confinement &Conf,
    llvm::SmallVectorImpl<const OpRecord *> &Out) {
  for (const OpRecord &R : Ops) {
    if (!partnerOf(B, R))
      continue;
    if (!R.Object.object() || CaseSites.count(R.Site))
      return false;
    if (reachesName(R.Object, B.Object, Conf.Names))
      Out.push_back(&R);
  }
  return true;
}

void BlockingAnalysis::Impl::reportReceiversLeave(
    std::vector<BlockingFinding> &Out, llvm::DenseSet<const Stmt *> &Done) {
  for (const BlockedOp &B : Blocking) {
    if (B.Kind != OpKind::Send || B.Race || !B.Chain.empty() ||
        Done.count(B.Call))
      continue;
    // A send run any number of times, by a loop of its own code that
    // nothing but its items ends.
    const Stmt *Loop = LoopOf.lookup(B.Call);
    if (!Loop || !mayReach(B.Unit, B.Call, B.Call) ||
        !readsOnlyLocals(
            llvm::isa<CXXForRangeStmt>(Loop) ? Loop : loopBound(Loop), *B.Unit))
      continue;
    {
      llvm::SmallPtrSet<const VarDecl *, 2> Holders;
      resultHolders(B.Unit->Body, B.Call, Holders);
      llvm::SmallVector<const Stmt *, 2> Exits;
      ownExits(loopBody(Loop), B.Call, Holders, false, Exits);
      if (!Exits.empty())
        continue;
    }
    // It waits once the buffer is full: unbuffered, a constant capacity
    // below the loop's constant bound if it has one, or a bound that is
    // not the number of items.
    if (!B.Unbuffered) {
      if (B.Capacity) {
        const VarDecl *CondVar = nullptr;
        if (const auto *BO = llvm::dyn_cast_or_null<BinaryOperator>(
                bareExpr(loopCondition(Loop, &CondVar))))
          if (std::optional<uint64_t> N = evaluateCount(BO->getRHS(), Ctx);
              N && ((BO->getOpcode() == BO_LE && *N < *B.Capacity) ||
                    ((BO->getOpcode() == BO_LT || BO->getOpcode() == BO_NE) &&
                     *N <= *B.Capacity)))
            continue;
      } else if (!boundedBelowItems(B, Loop)) {
        continue;
      }
    }
    auto BI = Infos.find(B.Unit);
    Confinement Conf;
    if (BI == Infos.end() || !confined(*BI->second, B.Object, Conf))
      continue;
    // Every partner receives in other code; a close is the sender's own,
    // after its loop.
    llvm::MapVector<const CodeUnit *, const OpRecord *> Receivers;
    llvm::SmallVector<const OpRecord *, 4> Partners;
    bool Ok = confinedPartners(B, Conf, Partners);
    for (const OpRecord *R : Partners) {
      if (!Ok)
        break;
      if (R->Kind == OpKind::Close && R->Unit == B.Unit &&
          !mayReach(B.Unit, R->Site, B.Call))
        continue;
      auto [It, New] = Receivers.insert({R->Unit, R});
      Ok = R->Kind == OpKind::Receive && R->Unit != B.Unit &&
           (New || It->second->Site == R->Site);
    }
    if (!Ok || Receivers.empty())
      continue;
    // Each receiver is a loop, started by the sending code before its
    // loop and called from there by nothing that runs it again, that
    // may leave on its own.
    std::vector<WitnessStep> Why;
    for (const auto &[RU, R] : Receivers) {
      llvm::MapVector<const CodeUnit *, const Stmt *> FromR, Calls;
      if (!mayReach(RU, R->Site, R->Site) || !ancestors(RU, R->Site, FromR) ||
          !ancestors(RU, R->Site, Calls, /*CallsOnly=*/true) ||
          Calls.count(B.Unit)) {
        Ok = false;
        break;
      }
      auto Start = FromR.find(B.Unit);
      if (Start == FromR.end() || !mayReach(B.Unit, Start->second, B.Call) ||
          mayReach(B.Unit, B.Call, Start->second) ||
          llvm::any_of(Calls, [&](const auto &C) {
            return C.first != RU && mayReach(C.first, C.second, C.second);
          })) {
        Ok = false;
        break;
      }
      // (A range-for receive is its own loop.)
      const Stmt *RLoop = llvm::isa<CXXForRangeStmt>(R->Site)
                              ? R->Site
                              : LoopOf.lookup(R->Site);
      llvm::SmallPtrSet<const VarDecl *, 2> Holders;
      resultHolders(RU->Body, R->Site, Holders);
      llvm::SmallVector<const Stmt *, 2> Exits;
      ownExits(loopBody(RLoop), R->Site, Holders, false, Exits);
      const CFGBlock *XB;
      unsigned XI;
      const Stmt *Exit = nullptr;
      for (const Stmt *X : Exits)
        if (cfgPos(RU, X, XB, XI) && mayReach(RU, R->Site, X)) {
          Exit = X;
          break;
        }
      if (!RLoop || !Exit) {
        Ok = false;
        break;
      }
      if (Why.empty()) {
        Why.push_back({Start->second, "the receiving code, " + unitName(*RU) +
                                          ", is started here, before the "
                                          "loop that sends"});
        Why.push_back(
            {R->Site, "it takes from '" + B.Object.str() + "' in a loop"});
        Why.push_back({Exit, "and may leave that loop here, on a path that "
                             "does not depend on what it received; nothing "
                             "then takes what this loop sends"});
      }
    }
    if (!Ok)
      continue;
    Done.insert(B.Call);
    BlockingFinding F;
    F.Kind = BlockingFinding::PartnerLeaves;
    F.At = B.Call;
    F.Message = "a send on '" + B.Object.str() +
                "' may wait forever: every receiver may leave its loop "
                "before it, and nothing else receives from it or closes it";
    appendSteps(F.Notes, Why);
    Out.push_back(std::move(F));
  }
}

//===----------------------------------------------------------------------===//
// PartnerGivesUp: every partner may give up, and moves on when it does
//===----------------------------------------------------------------------===//

namespace {
/// The condition \p Cond is false when \p Op, written in it, fails: it is
/// the operation's result (`ch.take(st)`), tested as it is (an optional's
/// `operator bool`, `has_value()`), assigned (`(v = ch.take(st))`), held in
/// the loop's condition variable \p CondVar, or one side of an `&&`.
bool falseOnFailure(const Expr *Cond, const Stmt *Op, const VarDecl *CondVar) {
  const Expr *E = bareExpr(Cond);
  if (!E)
    return false;
  if (E == Op)
    return true;
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(E)) {
    const CXXMethodDecl *MD = MC->getMethodDecl();
    if (MD && MC->getNumArgs() == 0 &&
        (llvm::isa<CXXConversionDecl>(MD) ||
         (MD->getIdentifier() && MD->getName() == "has_value")))
      return falseOnFailure(MC->getImplicitObjectArgument(), Op, CondVar);
    return false;
  }
  if (const auto *BO = llvm::dyn_cast<BinaryOperator>(E)) {
    if (BO->getOpcode() == BO_LAnd)
      return falseOnFailure(BO->getLHS(), Op, CondVar) ||
             falseOnFailure(BO->getRHS(), Op, CondVar);
    if (BO->getOpcode() == BO_Assign)
      return falseOnFailure(BO->getRHS(), Op, CondVar);
    return false;
  }
  if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(E))
    return CE->getNumArgs() == 1 && falseOnFailure(CE->getArg(0), Op, CondVar);
  if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E))
    return CondVar && DRE->getDecl() == CondVar && CondVar->getInit() &&
           falseOnFailure(CondVar->getInit(), Op, nullptr);
  return false;
}

/// The result of \p Op, in \p U, decides a branch written in the code (not
/// in a macro's expansion): \p Op is in the condition of an `if`, a loop, a
/// `switch`, a `?:`, or initialises or is assigned to a local that one
/// reads.
bool resultTested(const CodeUnit *U, const Stmt *Op) {
  llvm::SmallPtrSet<const VarDecl *, 2> Holders;
  walkOwnCode(U->Body, [&](const Stmt *S) {
    if (const auto *DS = llvm::dyn_cast<DeclStmt>(S)) {
      for (const Decl *D : DS->decls())
        if (const auto *VD = llvm::dyn_cast<VarDecl>(D);
            VD && containsStmt(VD->getInit(), Op))
          Holders.insert(VD);
    } else if (const auto *BO = llvm::dyn_cast<BinaryOperator>(S);
               BO && BO->getOpcode() == BO_Assign &&
               containsStmt(BO->getRHS(), Op)) {
      if (const auto *DRE =
              llvm::dyn_cast<DeclRefExpr>(BO->getLHS()->IgnoreParenImpCasts()))
        if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl()))
          Holders.insert(VD);
    }
  });
  auto Decides = [&](const Expr *Cond) {
    if (!Cond || Cond->getBeginLoc().isMacroID())
      return false;
    bool Found = false;
    walkOwnCode(Cond, [&](const Stmt *In) {
      if (In == Op)
        Found = true;
      else if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(In))
        if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl()))
          Found |= Holders.count(VD) != 0;
    });
    return Found;
  };
  bool Tested = false;
  walkOwnCode(U->Body, [&](const Stmt *S) {
    if (Tested)
      return;
    if (const auto *If = llvm::dyn_cast<IfStmt>(S))
      Tested = Decides(If->getCond()) ||
               (If->getConditionVariable() &&
                Holders.count(If->getConditionVariable()) &&
                !If->getBeginLoc().isMacroID());
    else if (const auto *W = llvm::dyn_cast<WhileStmt>(S))
      Tested = Decides(W->getCond());
    else if (const auto *F = llvm::dyn_cast<ForStmt>(S))
      Tested = Decides(F->getCond());
    else if (const auto *D = llvm::dyn_cast<DoStmt>(S))
      Tested = Decides(D->getCond());
    else if (const auto *Sw = llvm::dyn_cast<SwitchStmt>(S))
      Tested = Decides(Sw->getCond());
    else if (const auto *CO = llvm::dyn_cast<ConditionalOperator>(S))
      Tested = Decides(CO->getCond());
  });
  return Tested;
}

/// How the operation \p Call may give up: it is given a stop token, a
/// timeout (a duration or a time point), or neither (a poll).
enum class GiveUp { StopToken, Timeout, Poll };
GiveUp giveUpOf(const CallExpr *Call) {
  GiveUp G = GiveUp::Poll;
  for (const Expr *A : Call->arguments()) {
    const CXXRecordDecl *RD = recordOf(A->getType());
    if (!RD || !RD->getIdentifier())
      continue;
    llvm::StringRef N = RD->getName();
    if (N == "stop_token")
      return GiveUp::StopToken;
    if (N == "duration" || N == "time_point")
      G = GiveUp::Timeout;
  }
  return G;
}
} // namespace

void BlockingAnalysis::Impl::reportPartnerGivesUp(
    std::vector<BlockingFinding> &Out, llvm::DenseSet<const Stmt *> &Done) {
  for (const BlockedOp &B : Blocking) {
    if (B.Race || Done.count(B.Call) || Done.count(siteOf(B)))
      continue;
    // A send that waits for its receiver; a receive made once on an
    // unbuffered channel (one in a loop waits for its senders' end:
    // Outlived's question; a buffered one takes a try-send's item).
    bool Send = B.Kind == OpKind::Send;
    if (!B.Unbuffered ||
        (!Send && !(B.Kind == OpKind::Receive && B.Chain.empty() &&
                    !inLoop(B.Call) && !runsMoreThanOnce(B.Unit, 0))))
      continue;
    OpKind Try = Send ? OpKind::TryReceive : OpKind::TrySend;
    auto BI = Infos.find(B.Unit);
    Confinement Conf;
    if (BI == Infos.end() || !confined(*BI->second, B.Object, Conf))
      continue;
    // Every partner may give up, in other code that runs once.
    llvm::SmallVector<const OpRecord *, 2> Partners;
    bool Ok = true;
    for (const OpRecord &R : Ops) {
      if (!partnerOf(B, R))
        continue;
      if (!R.Object.object()) {
        Ok = false;
        break;
      }
      if (!reachesName(R.Object, B.Object, Conf.Names))
        continue;
      const auto *Call = llvm::dyn_cast<CallExpr>(R.Site);
      if (R.Kind != Try || !Call || R.Unit == B.Unit ||
          runsMoreThanOnce(R.Unit, 0)) {
        Ok = false;
        break;
      }
      Partners.push_back(&R);
    }
    if (!Ok || Partners.empty())
      continue;
    // A library channel's send in a context that the receiving code
    // starts is threadleak-channel-send-no-receiver's question (the
    // spawner that may not receive): one finding per bug.
    if (const auto *Enc =
            Send && B.Unit->Lambda
                ? llvm::dyn_cast<FunctionDecl>(
                      B.Unit->Lambda->getLambdaClass()->getDeclContext())
                : nullptr;
        Enc && llvm::all_of(Partners, [&](const OpRecord *R) {
          return R->Spec && !Channels.inferredFor(R->Spec) &&
                 Inv.unitOf(Enc) == R->Unit;
        }))
      continue;
    // Each moves on when it gives up: it is in no loop, or in the
    // condition of a loop (itself in none) that its failure makes false
    // (`while (auto v = ch.take(st))`).
    std::vector<WitnessStep> Why;
    bool NeedsStop = false;
    for (const OpRecord *R : Partners) {
      const Stmt *Loop = LoopOf.lookup(R->Site);
      if (Loop) {
        const VarDecl *CondVar = nullptr;
        const Expr *Cond = loopCondition(Loop, &CondVar);
        bool InCond = containsStmt(Cond, R->Site) ||
                      (CondVar && containsStmt(CondVar->getInit(), R->Site));
        if (!InCond || inLoop(Loop) ||
            !falseOnFailure(Cond, R->Site, CondVar)) {
          Ok = false;
          break;
        }
      }
      // The code handles the give-up: a branch of its own tests the
      // result (`if (!r) return`), not an assertion's macro that expects
      // success (`BOOST_CHECK(success == c.pop_wait_for(v, 1s))`).
      if (!Loop && !resultTested(R->Unit, R->Site)) {
        Ok = false;
        break;
      }
      GiveUp G = giveUpOf(llvm::cast<CallExpr>(R->Site));
      NeedsStop |= G == GiveUp::StopToken;
      std::string Role =
          std::string(Partners.size() == 1 ? "the only " : "a ") +
          (Send ? "receiver" : "sender");
      std::string How = G == GiveUp::StopToken ? "gives up once its stop token "
                                                 "is stopped"
                        : G == GiveUp::Timeout ? "gives up when its time is up"
                        : Send ? "takes an item only if one is waiting"
                               : "hands its item over only if a receiver is "
                                 "waiting";
      Why.push_back({R->Site, Role + " of '" + B.Object.str() + "', in " +
                                  unitName(*R->Unit) + ", " + How +
                                  (Loop ? ", and its loop then ends"
                                        : ", and then goes on without it")});
    }
    if (!Ok)
      continue;
    // A stop token gives up only once a stop is requested: some request
    // that code we see start makes, and nothing orders after this wait.
    if (NeedsStop) {
      llvm::MapVector<const CodeUnit *, const Stmt *> FromWait;
      if (!ancestors(B.Unit, B.Call, FromWait))
        continue;
      const CallExpr *Stop = nullptr;
      for (const auto &[SU, SC] : StopRequests) {
        llvm::MapVector<const CodeUnit *, const Stmt *> FromStop;
        if (llvm::isa_and_nonnull<CXXDestructorDecl>(SU->Fn) ||
            !ancestors(SU, SC, FromStop) ||
            !seenToStart(FromStop, SU, FromWait, /*Itself=*/true) ||
            orderedByAncestors(FromWait, FromStop, /*StartsApart=*/true))
          continue;
        Stop = SC;
        break;
      }
      if (!Stop)
        continue;
      Why.push_back({Stop, "a stop is requested here, and nothing orders it "
                           "after this " +
                               std::string(Send ? "send" : "receive")});
    }
    Done.insert(B.Call);
    BlockingFinding F;
    F.Kind = BlockingFinding::PartnerGivesUp;
    F.At = B.Call;
    F.Message = std::string(Send ? "a send on '" : "a receive from '") +
                B.Object.str() + "' may wait forever: " +
                (Partners.size() == 1 ? "its only " : "each ") +
                (Send ? "receiver" : "sender") +
                " may give up first, and nothing else " +
                (Send ? "receives from it" : "sends to it") + " or closes it";
    appendSteps(F.Notes, Why);
    Out.push_back(std::move(F));
  }
}

//===----------------------------------------------------------------------===//
// PartnerSkips: every partner is in code that may return without it
//===----------------------------------------------------------------------===//

namespace {
/// What a partner of a blocked \p K does, to its object \p Obj: "setting
/// the value of 'p'", "sending to 'ch' or closing it".
std::string partnerDoing(OpKind K, const std::string &Obj) {
  switch (K) {
  case OpKind::Receive:
    return "sending to '" + Obj + "' or closing it";
  case OpKind::Send:
    return "receiving from '" + Obj + "' or closing it";
  case OpKind::FutureWait:
    return "setting the value of '" + Obj + "'";
  case OpKind::Wait:
    return "notifying '" + Obj + "'";
  default:
    return "completing an operation on '" + Obj + "'";
  }
}

bool isLoopStmt(const Stmt *S) {
  return llvm::isa_and_nonnull<ForStmt, WhileStmt, DoStmt, CXXForRangeStmt>(S);
}
} // namespace

void BlockingAnalysis::Impl::indexCFG(UnitInfo &I) {
  if (!I.G)
    return;
  for (const CFGBlock *B : *I.G) {
    unsigned Index = 0;
    for (const CFGElement &E : *B) {
      if (auto SE = E.getAs<CFGStmt>())
        I.Pos[SE->getStmt()] = {B->getBlockID(), Index};
      ++Index;
    }
  }
}

const BlockingAnalysis::Impl::UnitInfo *
BlockingAnalysis::Impl::withCFG(const CodeUnit *U) {
  if (auto It = Infos.find(U); It != Infos.end()) {
    if (It->second->G || It->second->Status != UnitInfo::NotYet)
      return It->second->G ? It->second.get() : nullptr;
  }
  auto &P = OnDemand[U];
  if (!P) {
    P = std::make_unique<UnitInfo>();
    P->U = U;
    prepare(*P);
    P->G = buildCFG(*U);
    indexCFG(*P);
  }
  return P->G ? P.get() : nullptr;
}

bool BlockingAnalysis::Impl::stateWrites(
    const WaitCondition &WC, const CodeUnit *C,
    llvm::SmallVectorImpl<std::pair<const CodeUnit *, const Stmt *>> &Writes) {
  llvm::DenseMap<const VarDecl *, int64_t> Init;
  for (const ValueDecl *D : WC.Reads) {
    const auto *V = llvm::dyn_cast<VarDecl>(D);
    Expr::EvalResult R;
    if (!V || V->getDeclContext() != C->Fn || !V->hasLocalStorage() ||
        llvm::isa<ParmVarDecl>(V) ||
        !V->getType()->isIntegralOrEnumerationType() || !V->getInit() ||
        V->getInit()->isValueDependent() ||
        !V->getInit()->EvaluateAsInt(R, Ctx))
      return false;
    Init[V] = R.Val.getInt().getExtValue();
  }
  // Does it wait, with the state as initialised?
  std::function<std::optional<int64_t>(const Expr *)> Eval =
      [&](const Expr *E) -> std::optional<int64_t> {
    if (!E)
      return std::nullopt;
    E = E->IgnoreParenImpCasts();
    if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E))
      if (const auto *V = llvm::dyn_cast<VarDecl>(DRE->getDecl()))
        if (auto It = Init.find(V); It != Init.end())
          return It->second;
    if (const auto *UO = llvm::dyn_cast<UnaryOperator>(E)) {
      std::optional<int64_t> X = Eval(UO->getSubExpr());
      if (!X)
        return std::nullopt;
      if (UO->getOpcode() == UO_LNot)
        return int64_t(!*X);
      if (UO->getOpcode() == UO_Minus)
        return -*X;
      return std::nullopt;
    }
    if (const auto *BO = llvm::dyn_cast<BinaryOperator>(E)) {
      std::optional<int64_t> L = Eval(BO->getLHS()), R = Eval(BO->getRHS());
      if (!L || !R)
        return std::nullopt;
      switch (BO->getOpcode()) {
      case BO_LAnd:
        return int64_t(*L && *R);
      case BO_LOr:
        return int64_t(*L || *R);
      case BO_EQ:
        return int64_t(*L == *R);
      case BO_NE:
        return int64_t(*L != *R);
      case BO_LT:
        return int64_t(*L < *R);
      case BO_GT:
        return int64_t(*L > *R);
      case BO_LE:
        return int64_t(*L <= *R);
      case BO_GE:
        return int64_t(*L >= *R);
      case BO_Add:
        return *L + *R;
      case BO_Sub:
        return *L - *R;
      default:
        return std::nullopt;
      }
    }
    Expr::EvalResult R;
    if (!E->isValueDependent() && E->EvaluateAsInt(R, Ctx))
      return R.Val.getInt().getExtValue();
    return std::nullopt;
  };
  std::optional<int64_t> Waits;
  if (WC.PredicateCode) {
    const auto *Body = llvm::dyn_cast<CompoundStmt>(WC.PredicateCode);
    const auto *Ret = Body && Body->size() == 1
                          ? llvm::dyn_cast<ReturnStmt>(Body->body_front())
                          : nullptr;
    if (std::optional<int64_t> P =
            Ret ? Eval(Ret->getRetValue()) : std::nullopt)
      Waits = !*P;
  } else if (const auto *W = llvm::dyn_cast<WhileStmt>(WC.Loop)) {
    Waits = Eval(W->getCond());
  } else if (const auto *F = llvm::dyn_cast<ForStmt>(WC.Loop)) {
    Waits = Eval(F->getCond());
  } else if (llvm::isa<DoStmt>(WC.Loop)) {
    Waits = 1;
  }
  if (!Waits || !*Waits)
    return false;
  // Every use: a read, or an assignment (whose unit is the innermost
  // lambda around it); a by-copy capture or any other use is not this
  // shape.
  bool Ok = true;
  std::function<void(const Stmt *, const Stmt *, const CodeUnit *)> Walk =
      [&](const Stmt *S, const Stmt *P, const CodeUnit *U) {
        if (!S || !Ok)
          return;
        if (const auto *LE = llvm::dyn_cast<LambdaExpr>(S)) {
          for (const LambdaCapture &Cap : LE->captures())
            if (Cap.capturesVariable() && Cap.getCaptureKind() == LCK_ByCopy &&
                Init.count(llvm::dyn_cast<VarDecl>(Cap.getCapturedVar())))
              Ok = false;
          const CodeUnit *In = Inv.unitOf(LE->getCallOperator());
          Walk(LE->getBody(), LE, In ? In : U);
          return;
        }
        if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(S)) {
          const auto *V = llvm::dyn_cast<VarDecl>(DRE->getDecl());
          if (!V || !Init.count(V))
            return;
          if (const auto *IC = llvm::dyn_cast_or_null<ImplicitCastExpr>(P);
              IC && IC->getCastKind() == CK_LValueToRValue)
            return;
          if (const auto *BO = llvm::dyn_cast_or_null<BinaryOperator>(P);
              BO && BO->isAssignmentOp() &&
              BO->getLHS()->IgnoreParens() == DRE) {
            Writes.push_back({U, BO});
            return;
          }
          if (const auto *UO = llvm::dyn_cast_or_null<UnaryOperator>(P);
              UO && UO->isIncrementDecrementOp()) {
            Writes.push_back({U, UO});
            return;
          }
          Ok = false;
          return;
        }
        // Parentheses hand their own parent down.
        const Stmt *Down = llvm::isa<ParenExpr>(S) ? P : S;
        for (const Stmt *Child : S->children())
          Walk(Child, Down, U);
      };
  Walk(C->Body, nullptr, C);
  return Ok;
}

void BlockingAnalysis::Impl::computeRunSites() {
  if (!RunWhereWrittenKnown) {
    // One walk of the code, from the side that runs the lambda (no parent
    // map): a thread's or std::async's callable, a thread container's
    // emplace_back, a call on the spot.
    RunWhereWrittenKnown = true;
    // The run-once functions' own names, to ask the qualified name (a
    // string built per call) only of the calls that may be one.
    llvm::StringSet<> RunOnceNames;
    for (const std::string &N : RunOnce.names())
      RunOnceNames.insert(llvm::StringRef(N).rsplit("::").second.empty()
                              ? llvm::StringRef(N)
                              : llvm::StringRef(N).rsplit("::").second);
    auto Add = [&](const Expr *E) {
      E = E ? bareExpr(E) : nullptr;
      // Through the conversion to a parameter's function object
      // (`submit(std::function<void()>)`).
      if (const auto *CE = llvm::dyn_cast_or_null<CXXConstructExpr>(E);
          CE && CE->getNumArgs() == 1)
        E = bareExpr(CE->getArg(0));
      if (const auto *L = llvm::dyn_cast_or_null<LambdaExpr>(E))
        RunWhereWritten.insert(L);
    };
    for (const auto &UP : Inv.units())
      walkOwnCode(UP->Body, [&](const Stmt *S) {
        // A function a thread is started on: where it starts, and the
        // name that hands it over (not an address that escapes).
        if (const FunctionDecl *FD = startedFunction(S)) {
          ThreadStarts[FD->getCanonicalDecl()].push_back({UP.get(), S});
          const Expr *Callable =
              llvm::isa<CXXConstructExpr>(S)
                  ? llvm::cast<CXXConstructExpr>(S)->getArg(0)
                  : llvm::cast<CXXMemberCallExpr>(S)->getArg(0);
          StartRefs.insert(handedName(Callable));
          return;
        }
        if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(S)) {
          if (CE->getNumArgs() >= 1 &&
              ThreadTypes.contains(CE->getConstructor()->getParent()))
            Add(CE->getArg(0));
          return;
        }
        const auto *Call = llvm::dyn_cast<CallExpr>(S);
        if (!Call)
          return;
        if (const Expr *Callable = asyncCallable(Call))
          Add(Callable);
        if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(Call);
            OC && OC->getOperator() == OO_Call)
          Add(OC->getArg(0));
        Add(threadContainerCallable(llvm::dyn_cast<CXXMemberCallExpr>(Call)));
        // Handed to an executor that runs it once (asio's post, a TBB task
        // group's run).
        const FunctionDecl *Callee = Call->getDirectCallee();
        if (Callee && Callee->getIdentifier() &&
            RunOnceNames.count(Callee->getName()) &&
            RunOnce.containsCallee(Call))
          for (const Expr *Arg : Call->arguments())
            Add(Arg);
      });
  }
}

bool BlockingAnalysis::Impl::runsWhereWritten(const LambdaExpr *LE) {
  computeRunSites();
  return RunWhereWritten.count(LE) != 0;
}

BlockingAnalysis::Impl::Performs
BlockingAnalysis::Impl::stepAt(const UnitInfo &I, const Stmt *St, SkipSearch &S,
                               unsigned Depth, const CodeUnit *&Target) {
  Target = nullptr;
  auto Runs = [&](const CodeUnit *Y) {
    if (!Y)
      return Performs::None;
    Performs P = performs(Y, S, Depth + 1);
    if (P != Performs::None) {
      S.Reached.insert(Y);
      Target = Y;
    }
    return P;
  };
  // A thread started on a function (through a container's emplace_back
  // too).
  if (const FunctionDecl *FD = startedFunction(St)) {
    const FunctionDecl *Def = analysableDefinition(FD, Ctx);
    return Runs(Def ? Inv.unitOf(Def) : nullptr);
  }
  if (const auto *Call = llvm::dyn_cast<CallExpr>(St)) {
    if (I.RangeCalls.count(Call))
      return Performs::None;
    auto Targets = targetsOf(I, Call);
    if (!Targets.empty()) {
      // One target that performs: what it does; several, or a virtual
      // call that may run another: it may run one that always does.
      const CodeUnit *Only = nullptr;
      unsigned N = 0;
      Performs P = Performs::None;
      for (const CodeUnit *T : Targets) {
        Performs TP = performs(T, S, Depth + 1);
        if (TP == Performs::None)
          continue;
        S.Reached.insert(T);
        ++N;
        Only = T;
        P = TP;
      }
      if (N == 0)
        return Performs::None;
      if (N > 1 || I.MayOnly.count(Call))
        return Performs::Must;
      Target = Only;
      return P;
    }
    if (const Expr *Callable = asyncCallable(Call))
      return Runs(asyncBody(Callable));
    return Performs::None;
  }
  if (const auto *LE = llvm::dyn_cast<LambdaExpr>(St)) {
    const CodeUnit *Y = Inv.unitOf(LE->getCallOperator());
    if (!Y || performs(Y, S, Depth + 1) == Performs::None)
      return Performs::None;
    if (runsWhereWritten(LE))
      return Runs(Y);
    // Called through a function object: those calls are the steps.
    if (!Inv.callersOf(Y->Fn).empty() || IndirectCallers.count(Y))
      return Performs::None;
    // Run by code we do not read: it may run, and do it.
    S.Reached.insert(Y);
    return Performs::Must;
  }
  return Performs::None;
}

bool BlockingAnalysis::Impl::walkAvoiding(
    const UnitInfo &I, const CFGBlock *Target, unsigned TargetIdx,
    llvm::function_ref<bool(const CFGBlock *, unsigned)> Barrier,
    llvm::function_ref<bool(const Stmt *)> KeepLoops,
    llvm::SmallVectorImpl<const CFGBlock *> &Path) {
  const CFG &G = *I.G;
  // What happens at the exit (a task's end, a capture's destruction)
  // happens on every way out.
  if (!Target) {
    Target = &G.getExit();
    TargetIdx = ~0u;
  }
  llvm::DenseMap<const CFGBlock *, const CFGBlock *> From;
  llvm::SmallVector<const CFGBlock *, 16> Work{&G.getEntry()};
  From[&G.getEntry()] = nullptr;
  const CFGBlock *Found = nullptr;
  while (!Work.empty() && !Found) {
    const CFGBlock *B = Work.pop_back_val();
    if (B == Target) {
      if (!Barrier(B, TargetIdx))
        Found = B;
      continue;
    }
    // A path that ends in a throw or a call that does not return does not
    // return. (Going through a block runs its terminator too: a range-for's
    // receive is its loop's test, after the block's elements.)
    if (B->hasNoReturnElement() || Barrier(B, B->size() + 1) ||
        llvm::any_of(*B, [](const CFGElement &E) {
          auto SE = E.getAs<CFGStmt>();
          return SE && llvm::isa<CXXThrowExpr>(SE->getStmt());
        }))
      continue;
    const Stmt *Term = B->getTerminatorStmt();
    unsigned K = 0;
    for (const CFGBlock *Succ : B->succs()) {
      bool Exit = K++ == 1 && isLoopStmt(Term);
      if (!Succ || From.count(Succ) || (Exit && KeepLoops(Term)))
        continue;
      From[Succ] = B;
      Work.push_back(Succ);
    }
  }
  if (!Found)
    return false;
  Path.clear();
  for (const CFGBlock *B = Found; B; B = From.lookup(B))
    Path.push_back(B);
  std::reverse(Path.begin(), Path.end());
  return true;
}

namespace {
/// The function object variable \p S calls (`cb(x)`, `cb.operator()(x)`).
const VarDecl *calledObject(const Stmt *S) {
  const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(S);
  if (!OC || OC->getOperator() != OO_Call || OC->getNumArgs() == 0)
    return nullptr;
  const auto *DRE =
      llvm::dyn_cast<DeclRefExpr>(bareExprThroughCopies(OC->getArg(0)));
  return DRE ? llvm::dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
}

/// \p S gives one of \p Vars to other code, not calling it: an argument
/// of a call (`q.push_back(std::move(cb))`), the value of an assignment
/// (`cb_ = cb`), a lambda's capture.
bool handsOn(const Stmt *S,
             const llvm::SmallPtrSetImpl<const VarDecl *> &Vars) {
  auto Names = [&](const Expr *E) {
    E = E ? bareExprThroughCopies(E) : nullptr;
    while (const auto *C = llvm::dyn_cast_or_null<CallExpr>(E)) {
      if (!isIdentityLike(C) || C->getNumArgs() != 1)
        break;
      E = bareExprThroughCopies(C->getArg(0));
    }
    const auto *DRE = llvm::dyn_cast_or_null<DeclRefExpr>(E);
    const auto *VD = DRE ? llvm::dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
    return VD && Vars.count(VD);
  };
  if (const auto *LE = llvm::dyn_cast<LambdaExpr>(S))
    return llvm::any_of(LE->capture_inits(), Names);
  if (const auto *BO = llvm::dyn_cast<BinaryOperator>(S))
    return BO->isAssignmentOp() && Names(BO->getRHS());
  const auto *Call = llvm::dyn_cast<CallExpr>(S);
  if (!Call || calledObject(S) || isIdentityLike(Call))
    return false;
  unsigned First = 0;
  if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(Call))
    First = OC->isAssignmentOp() ? 1 : 0;
  for (unsigned A = First; A < Call->getNumArgs(); ++A)
    if (Names(Call->getArg(A)))
      return true;
  return false;
}
} // namespace

bool BlockingAnalysis::Impl::classifySteps(
    const UnitInfo &I, SkipSearch &S, unsigned Depth, SkipSteps &Steps,
    llvm::SmallPtrSetImpl<const Stmt *> &Own) {
  llvm::SmallPtrSet<const VarDecl *, 2> Performing;
  llvm::DenseSet<std::pair<unsigned, unsigned>> Sites;
  if (auto It = S.Sites.find(I.U); It != S.Sites.end())
    for (auto [Blk, Idx] : It->second) {
      Steps[Blk].push_back({Idx, Performs::Must, nullptr, nullptr});
      Sites.insert({Blk, Idx});
    }
  for (const CFGBlock *B : *I.G) {
    unsigned Idx = 0;
    for (const CFGElement &E : *B) {
      // Over budget: silence (it may well perform one).
      if (S.Budget == 0 || --S.Budget == 0)
        return false;
      if (Sites.count({B->getBlockID(), Idx})) {
        if (auto SE = E.getAs<CFGStmt>())
          Own.insert(SE->getStmt());
        else if (auto D = E.getAs<CFGAutomaticObjDtor>())
          Own.insert(D->getTriggerStmt());
      }
      if (auto SE = E.getAs<CFGStmt>()) {
        const CodeUnit *T;
        Performs P = stepAt(I, SE->getStmt(), S, Depth, T);
        if (P != Performs::None) {
          Steps[B->getBlockID()].push_back({Idx, P, SE->getStmt(), T});
          Own.insert(SE->getStmt());
          if (const VarDecl *F = calledObject(SE->getStmt()))
            Performing.insert(F);
        }
      }
      ++Idx;
    }
  }
  if (Performing.empty())
    return true;
  // A function object whose call performs one, handed on instead (stored
  // in a container or a member to be called later, passed to other code):
  // that code may call it, and do it.
  for (const CFGBlock *B : *I.G) {
    unsigned Idx = 0;
    for (const CFGElement &E : *B) {
      if (auto SE = E.getAs<CFGStmt>())
        if (handsOn(SE->getStmt(), Performing)) {
          Steps[B->getBlockID()].push_back(
              {Idx, Performs::Must, SE->getStmt(), nullptr});
          Own.insert(SE->getStmt());
        }
      ++Idx;
    }
  }
  return true;
}

BlockingAnalysis::Impl::Performs
BlockingAnalysis::Impl::performs(const CodeUnit *Y, SkipSearch &S,
                                 unsigned Depth) {
  if (auto It = S.Memo.find(Y); It != S.Memo.end())
    return It->second;
  if (Depth > MaxCallDepth)
    return Performs::Must;
  S.Memo[Y] = Performs::Must; // recursion: it may
  const UnitInfo *II = withCFG(Y);
  if (!II)
    return Performs::Must; // no CFG: it may
  const UnitInfo &I = *II;
  SkipSteps Steps;
  llvm::SmallPtrSet<const Stmt *, 8> StepStmts;
  if (!classifySteps(I, S, Depth, Steps, StepStmts))
    return S.Memo[Y] = Performs::Must;
  if (Steps.empty())
    return S.Memo[Y] = Performs::None;
  auto MustBefore = [&](const CFGBlock *B, unsigned Upto) {
    return stepBefore(Steps, B, Upto, Performs::Must);
  };
  // A loop that performs one in its body is not left before its first
  // round: that it may run none is a guess about the data.
  auto KeepLoops = [&](const Stmt *Loop) {
    bool Has = false;
    walkOwnCode(Loop, [&](const Stmt *In) { Has |= StepStmts.count(In) != 0; });
    return Has;
  };
  llvm::SmallVector<const CFGBlock *, 16> Path;
  if (!walkAvoiding(I, nullptr, 0, MustBefore, KeepLoops, Path))
    return S.Memo[Y] = Performs::Must;
  // The witness: a unit on the way that skips it in turn, or where this
  // one returns.
  std::vector<WitnessStep> Why;
  llvm::SmallVector<const ValueDecl *, 4> Reads;
  llvm::SmallVector<llvm::FoldingSetNodeID, 4> Tests;
  for (const CFGBlock *B : Path) {
    if (B->succ_size() > 1) {
      const auto *Cond =
          llvm::dyn_cast_or_null<Expr>(B->getTerminatorCondition());
      readsOf(Cond, Reads);
      // Two branches on the same test: the way may not exist (`if (ok)
      // send(1); ... if (!ok) send(-1);`).
      if (Cond) {
        const Expr *E = Cond->IgnoreParenImpCasts();
        while (const auto *UO = llvm::dyn_cast<UnaryOperator>(E)) {
          if (UO->getOpcode() != UO_LNot)
            break;
          E = UO->getSubExpr()->IgnoreParenImpCasts();
        }
        llvm::FoldingSetNodeID ID;
        E->Profile(ID, Ctx, /*Canonical=*/true);
        if (llvm::is_contained(Tests, ID))
          return S.Memo[Y] = Performs::Must;
        Tests.push_back(ID);
      }
    }
    if (!Why.empty())
      continue;
    auto It = Steps.find(B->getBlockID());
    if (It == Steps.end())
      continue;
    for (const SkipStep &St : It->second)
      if (St.P == Performs::Skips && St.Target && Why.empty()) {
        Why.push_back({St.At, unitName(*St.Target) +
                                  (llvm::isa<CallExpr>(St.At) &&
                                           !llvm::isa<LambdaExpr>(St.At)
                                       ? " is called here"
                                       : " is started here")});
        auto Inner = S.Why.find(St.Target);
        if (Inner != S.Why.end())
          Why.insert(Why.end(), Inner->second.begin(), Inner->second.end());
        for (const ValueDecl *D : S.Reads.lookup(St.Target))
          if (!llvm::is_contained(Reads, D))
            Reads.push_back(D);
      }
  }
  if (Why.empty()) {
    const CFGBlock *Last = Path.size() >= 2 ? Path[Path.size() - 2] : nullptr;
    const Stmt *Ret = nullptr;
    if (Last)
      for (const CFGElement &E : *Last)
        if (auto SE = E.getAs<CFGStmt>())
          if (llvm::isa<ReturnStmt>(SE->getStmt()))
            Ret = SE->getStmt();
    if (Ret)
      Why.push_back({Ret, unitName(*Y) + " may return here"});
    else
      Why.push_back({nullptr, unitName(*Y) + " may reach its end here",
                     Y->Body->getEndLoc()});
  }
  // Only what the branches read from outside the unit's own locals.
  llvm::erase_if(Reads, [&](const ValueDecl *D) {
    const auto *VD = llvm::dyn_cast<VarDecl>(D);
    return VD && !llvm::isa<ParmVarDecl>(VD) && VD->hasLocalStorage() &&
           VD->getDeclContext() == Y->Fn;
  });
  S.Why[Y] = std::move(Why);
  S.Reads[Y] = std::move(Reads);
  return S.Memo[Y] = Performs::Skips;
}

void BlockingAnalysis::Impl::readsBefore(
    const CFGBlock *To, llvm::SmallVectorImpl<const ValueDecl *> &Reads) {
  llvm::SmallVector<const CFGBlock *, 16> Work{To};
  llvm::DenseSet<const CFGBlock *> Seen;
  while (!Work.empty()) {
    const CFGBlock *Blk = Work.pop_back_val();
    if (!Blk || !Seen.insert(Blk).second)
      continue;
    if (Blk->succ_size() > 1)
      readsOf(llvm::dyn_cast_or_null<Expr>(Blk->getTerminatorCondition()),
              Reads);
    Work.append(Blk->pred_begin(), Blk->pred_end());
  }
}

void BlockingAnalysis::Impl::skipReads(
    const SkipStep &First, const SkipSearch &S,
    llvm::SmallVectorImpl<const ValueDecl *> &Out) {
  for (const ValueDecl *D : S.Reads.lookup(First.Target)) {
    const auto *P = llvm::dyn_cast<ParmVarDecl>(D);
    if (!P || P->getDeclContext() != First.Target->Fn) {
      Out.push_back(D);
      continue;
    }
    unsigned Arg = P->getFunctionScopeIndex();
    const Expr *A = nullptr;
    if (const auto *Call = llvm::dyn_cast<CallExpr>(First.At))
      A = Arg < Call->getNumArgs() ? Call->getArg(Arg) : nullptr;
    else if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(First.At)) {
      Arg += firstParamArg(First.Target->Fn);
      A = Arg < CE->getNumArgs() ? CE->getArg(Arg) : nullptr;
    }
    readsOf(A, Out);
  }
}

void BlockingAnalysis::Impl::reportPartnerSkips(
    std::vector<BlockingFinding> &Out, llvm::DenseSet<const Stmt *> &Done) {
  for (const BlockedOp &B : Blocking) {
    // Made by the code, or by a function it calls (`waitFor(p)`).
    if (B.Race || Done.count(B.Call) ||
        (!B.Chain.empty() && B.Kind == OpKind::Wait))
      continue;
    if (B.Kind != OpKind::Receive && B.Kind != OpKind::FutureWait &&
        B.Kind != OpKind::Wait && !(B.Kind == OpKind::Send && B.Unbuffered))
      continue;
    const Stmt *At = siteOf(B);
    // A condition variable's wait: what it waits for, and where (the loop
    // around a wait without a predicate).
    std::optional<WaitCondition> WC;
    const Stmt *WaitAt = At;
    if (B.Kind == OpKind::Wait) {
      std::optional<ConditionWait> W = CVs.asWait(B.Call);
      if (W)
        WC = waitCondition(*W, B.Unit->Fn, Ctx);
      if (!WC || WC->ReadsStopToken || WC->Reads.empty() ||
          (!WC->PredicateCode && !WC->Loop))
        continue;
      if (WC->Loop)
        WaitAt = WC->Loop;
    }
    // An object created by the waiting code, or by the code that starts
    // it (a lambda run by a thread), waited for once.
    // Or a data member of the object the waiting method runs on, whose
    // partners run only from that method.
    const VarDecl *Root =
        B.Object.Root == ObjectKey::Var ? B.Object.RootVar : nullptr;
    const auto *Member =
        B.Object.Root == ObjectKey::This && B.Object.Path.size() == 1
            ? llvm::dyn_cast_or_null<FieldDecl>(B.Object.Path.front())
            : nullptr;
    if (Member ? WC.has_value()
               : !Root || !Root->hasLocalStorage() ||
                     llvm::isa<ParmVarDecl>(Root) ||
                     Root->getType()->isReferenceType())
      continue;
    const CodeUnit *C = B.Unit;
    const LambdaExpr *Started = nullptr;
    if (Member ? C->Lambda != nullptr : Root->getDeclContext() != C->Fn) {
      if (!C->Lambda || !runsWhereWritten(C->Lambda))
        continue;
      const auto *Enc = llvm::dyn_cast<FunctionDecl>(
          C->Lambda->getLambdaClass()->getDeclContext());
      Started = C->Lambda;
      C = Enc ? Inv.unitOf(Enc) : nullptr;
      if (!C ||
          (Member ? C->Lambda != nullptr : Root->getDeclContext() != C->Fn))
        continue;
    }
    if (inLoop(WaitAt) || (!B.Chain.empty() && inLoop(B.Call)) ||
        llvm::any_of(B.Chain,
                     [&](const CallExpr *Call) { return inLoop(Call); }) ||
        runsMoreThanOnce(B.Unit, 0) || runsMoreThanOnce(C, 0))
      continue;
    // The state a condition variable's waiter waits for: locals of the
    // creating code it starts out waiting on, changed only by assignments.
    llvm::SmallVector<std::pair<const CodeUnit *, const Stmt *>, 4> Writes;
    if (WC && !stateWrites(*WC, C, Writes))
      continue;
    const UnitInfo *CI = withCFG(C);
    auto WI = Infos.find(B.Unit);
    const CFGBlock *BB;
    unsigned BIdx;
    if (!CI || WI == Infos.end() || !cfgPos(B.Unit, At, BB, BIdx))
      continue;
    const UnitInfo &I = *CI;
    Confinement Conf;
    if (!confined(*WI->second, B.Object, Conf))
      continue;
    // Its partners; those after it in its own code never come first (and
    // a started waiter's own ones before it are not this question).
    SkipSearch S;
    llvm::SmallVector<const OpRecord *, 4> Partners, OnObject;
    bool Unknown = !confinedPartners(B, Conf, OnObject);
    for (const OpRecord *RP : OnObject) {
      if (Unknown)
        break;
      const OpRecord &R = *RP;
      // (One in the function that waits: what it does before is not
      // followed.)
      if (llvm::any_of(B.Chain, [&](const CallExpr *Call) {
            const FunctionDecl *FD = Call->getDirectCallee();
            return FD && Inv.unitOf(FD) == R.Unit;
          })) {
        Unknown = true;
        break;
      }
      if (R.Unit == B.Unit) {
        if (dominates(B.Unit, At, R.Site))
          continue;
        if (Started) {
          Unknown = true;
          break;
        }
      }
      const CFGBlock *PB;
      unsigned PIdx;
      if (!cfgPos(R.Unit, R.Site, PB, PIdx)) {
        Unknown = true;
        break;
      }
      S.Sites[R.Unit].push_back({PB->getBlockID(), PIdx});
      Partners.push_back(&R);
    }
    // A write to the state a waiter waits for may end its wait too.
    llvm::SmallPtrSet<const CodeUnit *, 4> WriteUnits;
    for (const auto &[WU, Site] : Writes) {
      if (Unknown)
        break;
      const UnitInfo *WUI = withCFG(WU);
      if (!WUI || !WUI->Pos.count(Site)) {
        Unknown = true;
        break;
      }
      if (WU == B.Unit) {
        if (dominates(B.Unit, WaitAt, Site))
          continue;
        if (Started) {
          Unknown = true;
          break;
        }
      }
      S.Sites[WU].push_back(WUI->Pos.lookup(Site));
      WriteUnits.insert(WU);
    }
    if (Unknown || Partners.empty())
      continue;
    // What each element of the creating code does to them.
    S.Memo[C] = Performs::Must;
    SkipSteps Steps;
    llvm::SmallPtrSet<const Stmt *, 8> Ignored;
    if (!classifySteps(I, S, 0, Steps, Ignored))
      continue;
    // Every partner is in code we saw run from here; the started waiter
    // does none of it.
    if (llvm::any_of(Partners,
                     [&](const OpRecord *R) {
                       return R->Unit != C && !S.Reached.count(R->Unit);
                     }) ||
        llvm::any_of(WriteUnits,
                     [&](const CodeUnit *WU) {
                       return WU != C && !S.Reached.count(WU);
                     }) ||
        (Started && S.Memo.lookup(B.Unit) != Performs::None))
      continue;
    // A member: the code that reaches its partners runs only from here
    // (another caller of it may perform one on the same object).
    if (Member && llvm::any_of(S.Reached, [&](const CodeUnit *U) {
          if (!U->Lambda && !onlyCalledHere(U))
            return true;
          llvm::SmallVector<std::pair<const CodeUnit *, const Stmt *>, 4>
              Starts;
          startsOf(U, Starts);
          return llvm::any_of(Starts, [&](const auto &St) {
            // A method a thread runs on another object acts on its members.
            const Expr *Obj = nullptr;
            if (const FunctionDecl *FD = startedFunction(St.second, &Obj);
                FD && firstParamArg(FD) == 2 &&
                !llvm::isa_and_nonnull<CXXThisExpr>(
                    Obj ? Obj->IgnoreParenImpCasts() : nullptr))
              return true;
            return St.first != C && !S.Reached.count(St.first);
          });
        }))
      continue;
    auto Before = [&](Performs Min) {
      return [&, Min](const CFGBlock *Blk, unsigned Upto) {
        return stepBefore(Steps, Blk, Upto, Min);
      };
    };
    auto NoLoops = [](const Stmt *) { return false; };
    // Where the partners must have come by: the wait, in the creating
    // code; its end, for a waiter it starts.
    const CFGBlock *To = Started ? nullptr : BB;
    unsigned ToIdx = Started ? 0 : BIdx;
    llvm::SmallVector<const CFGBlock *, 16> Path;
    // Every way there starts one (else whether it runs at all is a question
    // of the data), and some way only ones that may skip it.
    if (walkAvoiding(I, To, ToIdx, Before(Performs::Skips), NoLoops, Path) ||
        !walkAvoiding(I, To, ToIdx, Before(Performs::Must), NoLoops, Path))
      continue;
    const SkipStep *First = nullptr;
    for (const CFGBlock *Blk : Path) {
      auto It = Steps.find(Blk->getBlockID());
      if (It == Steps.end())
        continue;
      for (const SkipStep &St : It->second)
        if (St.P == Performs::Skips && St.Target &&
            (Blk != To || St.Idx < ToIdx) && !First)
          First = &St;
    }
    if (!First)
      continue;
    // The way out is not decided by what the waiting code tests on its way
    // to the wait (`if (ok)` on both sides): a parameter's value is the
    // argument's.
    llvm::SmallVector<const ValueDecl *, 4> SkipReads;
    skipReads(*First, S, SkipReads);
    llvm::SmallVector<const ValueDecl *, 8> WaiterReads;
    readsBefore(BB, WaiterReads);
    // And every test of the functions down the chain to the wait
    // (`if (activeStreams.empty()) ch.pop(v);` in the callee).
    bool Unread = false;
    for (const CallExpr *Call : B.Chain) {
      const FunctionDecl *FD = Call->getDirectCallee();
      const CodeUnit *CU = FD ? Inv.unitOf(FD) : nullptr;
      const UnitInfo *CUI = CU ? withCFG(CU) : nullptr;
      if (!CUI) {
        Unread = true;
        break;
      }
      for (const CFGBlock *Blk : *CUI->G)
        if (Blk->succ_size() > 1)
          readsOf(llvm::dyn_cast_or_null<Expr>(Blk->getTerminatorCondition()),
                  WaiterReads);
    }
    if (Unread)
      continue;
    if (Started) {
      auto SP = I.Pos.find(Started);
      if (SP == I.Pos.end())
        continue;
      for (const CFGBlock *SB : *I.G)
        if (SB->getBlockID() == SP->second.first)
          readsBefore(SB, WaiterReads);
    }
    if (llvm::any_of(SkipReads, [&](const ValueDecl *D) {
          return llvm::is_contained(WaiterReads, D);
        }))
      continue;
    Done.insert(B.Call);
    BlockingFinding F;
    F.Kind = BlockingFinding::PartnerSkips;
    F.At = B.Call;
    std::string Obj = B.Object.str();
    F.Message = std::string(opNoun(B.Kind)) + " '" + Obj +
                "' may wait forever: the code that " +
                (WC ? std::string("makes its condition true and notifies it")
                    : partnerDoes(B.Kind, /*ThirdPerson=*/true)) +
                " may return without doing so";
    for (size_t P = 0; P < Partners.size() && P < 2; ++P)
      F.Notes.push_back({Partners[P]->Site, partnerDoing(B.Kind, Obj) +
                                                " here, in " +
                                                unitName(*Partners[P]->Unit) +
                                                ", would complete it"});
    std::vector<WitnessStep> Why{
        {First->At, unitName(*First->Target) +
                        (llvm::isa<LambdaExpr, CXXConstructExpr>(First->At)
                             ? " is started here"
                             : " is called here")}};
    for (const WitnessStep &W : S.Why.lookup(First->Target))
      Why.push_back(W);
    // The last step is where it leaves.
    Why.back().What += " without " + partnerDoing(B.Kind, Obj);
    appendSteps(F.Notes, Why);
    addChainNotes(F.Notes, B.Chain, "which waits");
    Out.push_back(std::move(F));
  }
}

//===-- Counters: a wait that needs every count-down ----------------------===//

namespace {
/// \p L, a loop, runs \p E times: `for (T i = 0; i < E; ++i)`, or a
/// range `for` over `c` with \p E `c.size()`.
bool runsTimes(const Stmt *L, const Expr *E, const ASTContext &Ctx) {
  E = E->IgnoreParenImpCasts();
  while (const auto *Cast = llvm::dyn_cast<ExplicitCastExpr>(E))
    E = Cast->getSubExpr()->IgnoreParenImpCasts();
  auto Same = [&](const Expr *A, const Expr *B) {
    if (!A || !B)
      return false;
    llvm::FoldingSetNodeID X, Y;
    A->IgnoreParenImpCasts()->Profile(X, Ctx, /*Canonical=*/true);
    B->IgnoreParenImpCasts()->Profile(Y, Ctx, /*Canonical=*/true);
    return X == Y;
  };
  if (const auto *F = llvm::dyn_cast<ForStmt>(L)) {
    const auto *DS = llvm::dyn_cast_or_null<DeclStmt>(F->getInit());
    const auto *V = DS && DS->isSingleDecl()
                        ? llvm::dyn_cast<VarDecl>(DS->getSingleDecl())
                        : nullptr;
    Expr::EvalResult R;
    if (!V || !V->getInit() || V->getInit()->isValueDependent() ||
        !V->getInit()->EvaluateAsInt(R, Ctx) || R.Val.getInt() != 0)
      return false;
    auto IsV = [&](const Expr *X) {
      const auto *DRE =
          X ? llvm::dyn_cast<DeclRefExpr>(X->IgnoreParenImpCasts()) : nullptr;
      return DRE && DRE->getDecl() == V;
    };
    const auto *Cond = llvm::dyn_cast_or_null<BinaryOperator>(
        F->getCond() ? F->getCond()->IgnoreParenImpCasts() : nullptr);
    const auto *Inc = llvm::dyn_cast_or_null<UnaryOperator>(F->getInc());
    return Cond && (Cond->getOpcode() == BO_LT || Cond->getOpcode() == BO_NE) &&
           IsV(Cond->getLHS()) && Same(Cond->getRHS(), E) && Inc &&
           Inc->isIncrementOp() && IsV(Inc->getSubExpr());
  }
  if (const auto *FR = llvm::dyn_cast<CXXForRangeStmt>(L)) {
    const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(E);
    const CXXMethodDecl *M = MC ? MC->getMethodDecl() : nullptr;
    return M && M->getIdentifier() && M->getName() == "size" &&
           MC->getNumArgs() == 0 &&
           Same(MC->getImplicitObjectArgument(), FR->getRangeInit());
  }
  return false;
}
} // namespace

void BlockingAnalysis::Impl::reportCounterSkips(
    std::vector<BlockingFinding> &Out, llvm::DenseSet<const Stmt *> &Done) {
  for (const BlockedOp &B : Blocking) {
    // A latch's or a wait group's wait, once, in the code that creates it.
    if (B.Kind != OpKind::CounterWait || !(B.Latch || B.BlocksAfterAdd) ||
        B.Race || !B.Chain.empty() || B.Unit != B.SiteUnit ||
        Done.count(B.Call))
      continue;
    const ObjectKey &K = B.Object;
    const CodeUnit *C = B.Unit;
    const VarDecl *Root =
        K.Root == ObjectKey::Var && K.Path.empty() && K.exact() ? K.RootVar
                                                                : nullptr;
    if (!Root || !Root->hasLocalStorage() || llvm::isa<ParmVarDecl>(Root) ||
        Root->getType()->isReferenceType() || Root->getDeclContext() != C->Fn ||
        inLoop(B.Call) || runsMoreThanOnce(C, 0))
      continue;
    auto CIt = Infos.find(C);
    const CFGBlock *BB;
    unsigned BIdx;
    if (CIt == Infos.end() || !CIt->second->G || !cfgPos(C, B.Call, BB, BIdx))
      continue;
    const UnitInfo &I = *CIt->second;
    Confinement Conf;
    if (!confined(I, K, Conf))
      continue;
    // The loops of the creating code: a statement's innermost one, and
    // the loops' own variables (a `for`'s counter, a range's element).
    llvm::DenseMap<const Stmt *, const Stmt *> Around;
    llvm::SmallPtrSet<const Decl *, 4> LoopVars;
    walkOwnCode(C->Body, [&](const Stmt *S) {
      const Stmt *Body = loopBody(S);
      if (!Body || bodyRunsOnce(S, Ctx))
        return;
      walkOwnCode(Body, [&](const Stmt *In) { Around[In] = S; });
      if (const auto *F = llvm::dyn_cast<ForStmt>(S))
        if (const auto *DS = llvm::dyn_cast_or_null<DeclStmt>(F->getInit()))
          LoopVars.insert(DS->decl_begin(), DS->decl_end());
      if (const auto *FR = llvm::dyn_cast<CXXForRangeStmt>(S))
        LoopVars.insert(FR->getLoopVariable());
    });
    // How many times each statement runs, as a sum: a constant, plus so
    // many per round of a loop whose trip count we do not know. Nested
    // loops are not this question.
    using Terms = std::map<const Stmt *, uint64_t>;
    auto AddTerm = [&](const Stmt *S, uint64_t N, Terms &T) {
      const Stmt *L = Around.lookup(S);
      if (L && Around.count(L))
        return false;
      if (L)
        if (std::optional<uint64_t> Trips = constantTrips(L, Ctx)) {
          N *= *Trips;
          L = nullptr;
        }
      T[L] += N;
      return true;
    };
    // The count it waits for, and the count-downs that could make it: its
    // own, and one per start of each worker it starts that makes one.
    Terms Count, Signals;
    const OpRecord *FirstAdd = nullptr;
    llvm::MapVector<const CodeUnit *, const OpRecord *> Workers;
    llvm::SmallVector<const OpRecord *, 4> SignalOps;
    bool Fits = true;
    for (const OpRecord &R : Ops) {
      if (!Fits)
        break;
      if (!partnerOf(B, R) && R.Kind != OpKind::CounterAdd)
        continue;
      if (!R.Object.object() || R.Kind == OpKind::Unknown) {
        Fits = R.Object.object() && !reachesName(R.Object, K, Conf.Names);
        continue;
      }
      if (!reachesName(R.Object, K, Conf.Names))
        continue;
      std::optional<uint64_t> N = countStep(R.Site, Ctx);
      if (R.Kind == OpKind::CounterAdd) {
        Fits =
            B.BlocksAfterAdd && R.Unit == C && N && AddTerm(R.Site, *N, Count);
        if (!FirstAdd)
          FirstAdd = &R;
      } else if (R.Unit == C) {
        Fits = N && AddTerm(R.Site, *N, Signals);
        SignalOps.push_back(&R);
      } else {
        // At most one count-down of one per run of the worker.
        Fits = N && *N == 1 && !Workers.count(R.Unit) && !inLoop(R.Site);
        Workers[R.Unit] = &R;
        SignalOps.push_back(&R);
      }
    }
    if (!Fits || Workers.empty())
      continue;
    for (const auto &[W, R] : Workers) {
      // A lambda the creating code runs where it writes it (a thread's), or
      // a function it starts threads on: the starts are the creating
      // code's, and nothing else runs it.
      llvm::SmallVector<const Stmt *, 2> Starts;
      if (!Inv.callersOf(W->Fn).empty() || IndirectCallers.count(W)) {
        Fits = false;
        break;
      }
      if (W->Lambda) {
        if (runsWhereWritten(W->Lambda))
          Starts.push_back(W->Lambda);
      } else {
        walkOwnCode(C->Body, [&](const Stmt *S) {
          if (const FunctionDecl *FD = startedFunction(S);
              FD && FD->getCanonicalDecl() == W->Fn->getCanonicalDecl())
            Starts.push_back(S);
        });
      }
      Fits &= !Starts.empty();
      for (const Stmt *St : Starts)
        Fits &= I.Pos.count(St) && AddTerm(St, 1, Signals);
      if (!Fits)
        break;
    }
    if (!Fits)
      continue;
    // A latch's count: a constant, or the trip count of the loop that
    // starts the workers (`std::latch done(n); for (int i = 0; i < n;
    // ++i)`).
    const Expr *CountArg = nullptr;
    if (B.Latch) {
      CountArg = countArgument(Root);
      if (!CountArg)
        continue;
      if (std::optional<uint64_t> N = evaluateCount(CountArg, Ctx))
        Count[nullptr] = *N;
      else if (Signals.size() == 1 && Signals.begin()->first &&
               Signals.begin()->second == 1 &&
               runsTimes(Signals.begin()->first, CountArg, Ctx))
        Count[Signals.begin()->first] = 1;
      else
        continue;
    }
    // Every count-down it could get is one it needs: then a worker that
    // skips its own leaves the count short. (More count-downs than the
    // count, or fewer, is another design.)
    if (Count.empty() || Count != Signals)
      continue;
    SkipSearch S;
    bool Placed = true;
    for (const OpRecord *R : SignalOps) {
      const CFGBlock *PB;
      unsigned PIdx;
      if (!cfgPos(R->Unit, R->Site, PB, PIdx)) {
        Placed = false;
        break;
      }
      S.Sites[R->Unit].push_back({PB->getBlockID(), PIdx});
    }
    if (!Placed)
      continue;
    S.Memo[C] = Performs::Must;
    SkipSteps Steps;
    llvm::SmallPtrSet<const Stmt *, 8> Ignored;
    if (!classifySteps(I, S, 0, Steps, Ignored) ||
        llvm::any_of(Workers, [&](const auto &WR) {
          return !S.Reached.count(WR.first);
        }))
      continue;
    // A worker started on the way to the wait that may return without its
    // count-down.
    const SkipStep *First = nullptr;
    for (const CFGBlock *Blk : *I.G) {
      auto It = Steps.find(Blk->getBlockID());
      if (It == Steps.end())
        continue;
      for (const SkipStep &St : It->second)
        if (!First && St.P == Performs::Skips && St.Target &&
            Workers.count(St.Target) && mayReach(C, St.At, B.Call))
          First = &St;
    }
    if (!First)
      continue;
    // Its way out is not decided by what the creating code tests before
    // the wait (a loop's own counter decides nothing about it).
    llvm::SmallVector<const ValueDecl *, 4> SkipR;
    skipReads(*First, S, SkipR);
    llvm::SmallVector<const ValueDecl *, 8> WaiterReads;
    readsBefore(BB, WaiterReads);
    llvm::erase_if(WaiterReads,
                   [&](const ValueDecl *D) { return LoopVars.count(D); });
    if (llvm::any_of(SkipR, [&](const ValueDecl *D) {
          return llvm::is_contained(WaiterReads, D);
        }))
      continue;
    Done.insert(B.Call);
    const OpRecord &Signal = *Workers.lookup(First->Target);
    std::string Obj = K.str();
    std::string SignalName = "count_down";
    if (const auto *Call = llvm::dyn_cast<CallExpr>(Signal.Site))
      if (const FunctionDecl *FD = Call->getDirectCallee();
          FD && FD->getIdentifier())
        SignalName = FD->getName().str();
    std::string Doing = "calling '" + SignalName + "()' on '" + Obj + "'";
    BlockingFinding F;
    F.Kind = BlockingFinding::PartnerSkips;
    F.At = B.Call;
    F.Message = "a wait on '" + Obj + "' may wait forever: it needs " +
                (B.Latch ? std::string("every count-down its count asks for")
                         : "a '" + SignalName + "()' for each one added") +
                ", and code that makes one may return without it";
    if (B.Latch) {
      std::string Text = countText(CountArg, Ctx);
      F.Notes.push_back(
          {Root->getInit(),
           "'" + Obj + "' is created here with a count of " +
               (Text.empty() ? std::string("its argument") : Text),
           Root->getLocation()});
    } else {
      F.Notes.push_back({FirstAdd->Site, "'" + Obj + "' is added to here"});
    }
    std::vector<WitnessStep> Why{
        {First->At, unitName(*First->Target) + " is started here" +
                        (Around.count(First->At) ? ", once per round" : "") +
                        ": it makes one of them"}};
    for (const WitnessStep &W : S.Why.lookup(First->Target))
      Why.push_back(W);
    Why.back().What += " without " + Doing;
    appendSteps(F.Notes, Why);
    F.Notes.push_back({Signal.Site, "the one it skips is here"});
    Out.push_back(std::move(F));
  }
}

bool BlockingAnalysis::Impl::canLeave(const CodeUnit *C, const Stmt *Site,
                                      llvm::ArrayRef<const BlockedOp *> Arms,
                                      llvm::ArrayRef<bool> ArmNever) {
  const BlockedOp &First = *Arms.front();
  const VarDecl *Result = nullptr;
  llvm::SmallVector<const Expr *, 4> Alternatives;
  if (First.Race) {
    walkOwnCode(C->Body, [&](const Stmt *S) {
      if (const auto *DS = llvm::dyn_cast<DeclStmt>(S))
        for (const Decl *D : DS->decls())
          if (const auto *V = llvm::dyn_cast<VarDecl>(D))
            if (V->getInit() && bareExpr(V->getInit()) == First.Race)
              Result = V;
    });
    // A select's alternatives are its arguments, its result their index.
    if (const auto *CA = llvm::dyn_cast<CoawaitExpr>(First.Race))
      raceAlternatives(CA->getOperand(), Alternatives);
    else if (const auto *Sel = llvm::dyn_cast<CallExpr>(First.Race))
      for (const Expr *A : Sel->arguments())
        Alternatives.push_back(bareExpr(A));
  }
  // Alternative index -> never fires.
  llvm::SmallVector<bool, 4> Never(Alternatives.size(), false);
  for (size_t K = 0; K < Alternatives.size(); ++K)
    for (size_t A = 0; A < Arms.size(); ++A)
      if (containsStmt(Alternatives[K], Arms[A]->Call))
        Never[K] = ArmNever[A];
  const CFGBlock *Start;
  unsigned StartIdx;
  if (!cfgPos(C, Site, Start, StartIdx) &&
      !cfgPos(C, First.Call, Start, StartIdx))
    return true; // cannot tell
  const CFG &G = *Infos.find(C)->second->G;
  bool Leaves = false;
  llvm::SmallVector<const CFGBlock *, 16> Work{Start};
  llvm::DenseSet<const CFGBlock *> Seen;
  while (!Work.empty() && !Leaves) {
    const CFGBlock *B = Work.pop_back_val();
    if (!B || !Seen.insert(B).second)
      continue;
    if (B == &G.getExit() || B->hasNoReturnElement()) {
      Leaves = true;
      break;
    }
    // Another await may throw out of the loop (an Asio error).
    for (const CFGElement &E : *B)
      if (auto SE = E.getAs<CFGStmt>())
        if (const auto *CA = llvm::dyn_cast<CoawaitExpr>(SE->getStmt());
            CA && CA != First.Race &&
            !llvm::any_of(Arms, [&](const BlockedOp *A) {
              return bareExpr(CA->getOperand()) == A->Call;
            }))
          Leaves = true;
    std::optional<IndexTest> T;
    if (Result && B->succ_size() == 2)
      if ((T = indexTest(*B, Ctx)) && T->Result != Result)
        T.reset();
    unsigned SI = 0;
    for (const CFGBlock *Succ : B->succs()) {
      bool IsTrue = SI++ == 0;
      if (T) {
        RaceBranch Br = T->OnTrue;
        if (!IsTrue)
          Br = Br == RaceBranch::Is ? RaceBranch::IsNot : RaceBranch::Is;
        // The branch where alternative K won, or (of two) the other one.
        std::optional<uint64_t> Won;
        if (Br == RaceBranch::Is)
          Won = T->K;
        else if (Alternatives.size() == 2 && T->K < 2)
          Won = 1 - T->K;
        if (Won && *Won < Never.size() && Never[*Won])
          continue;
      }
      Work.push_back(Succ);
    }
  }
  return Leaves;
}

void BlockingAnalysis::Impl::reportOutlived(
    std::vector<BlockingFinding> &Out, llvm::DenseSet<const Stmt *> &Done) {
  // The operations that wait together: a race's receives, or one receive.
  llvm::MapVector<const Stmt *, llvm::SmallVector<const BlockedOp *, 2>> Groups;
  for (const BlockedOp &B : Blocking)
    if (B.Chain.empty() && B.Kind == OpKind::Receive && B.SiteUnit == B.Unit)
      Groups[B.Race ? B.Race : B.Call].push_back(&B);
  for (auto &[Site, Arms] : Groups) {
    const BlockedOp &First = *Arms.front();
    const CodeUnit *C = First.Unit;
    if (llvm::any_of(Arms,
                     [&](const BlockedOp *B) { return Done.count(B->Call); }))
      continue;
    // Every arm of a race is a receive we model (a timer ends it).
    if (First.Race && Arms.size() != RaceArms.lookup(First.Race))
      continue;
    auto CI = Infos.find(C);
    if (CI == Infos.end() || !CI->second->G || !C->Lambda)
      continue;
    // Each arm: its partners, the ones that never run, and the finite ones.
    struct ArmInfo {
      bool Dead = true;
      std::vector<WitnessStep> DeadWhy;
      llvm::SmallVector<const OpRecord *, 2> Live;
    };
    std::vector<ArmInfo> Info(Arms.size());
    bool Ok = true;
    for (size_t A = 0; Ok && A < Arms.size(); ++A) {
      const BlockedOp &B = *Arms[A];
      Confinement Conf;
      if (!confined(*CI->second, B.Object, Conf)) {
        Ok = false;
        break;
      }
      for (const OpRecord &R : Ops) {
        if (!isPartner(B, R))
          continue;
        if (R.Object.object() && !reachesName(R.Object, B.Object, Conf.Names))
          continue;
        std::string Why;
        if (R.Object.object() && neverRunsOn(R, Why)) {
          if (Info[A].DeadWhy.size() < 2)
            Info[A].DeadWhy.push_back({R.Site, std::string(opNoun(R.Kind)) +
                                                   " '" + R.Object.str() +
                                                   "' is here, but " + Why});
          continue;
        }
        // A close or an unknown use ends the loop some other way; a partner
        // is finite only in other code that makes the object it sends to
        // and runs to its end after it.
        const VarDecl *Root =
            R.Object.Root == ObjectKey::Var ? R.Object.RootVar : nullptr;
        if (R.Kind != OpKind::Send || R.Unit == C || !Root ||
            !Root->hasLocalStorage() || llvm::isa<ParmVarDecl>(Root) ||
            Root->getType()->isReferenceType() || !Root->getInit() ||
            Root->getDeclContext() != R.Unit->Fn ||
            !isFreshObject(Root->getInit()) || !reachesExit(R.Unit, R.Site)) {
          Ok = false;
          break;
        }
        Info[A].Dead = false;
        if (Info[A].Live.size() < 2)
          Info[A].Live.push_back(&R);
      }
    }
    if (!Ok || llvm::none_of(Info, [](const ArmInfo &I) { return !I.Dead; }))
      continue; // (no live partner at all is NoPartner's case)
    // The loop: from the wait, the unit's exit is reached only on branches
    // where an arm that never fires won.
    llvm::SmallVector<bool, 4> ArmNever;
    for (const ArmInfo &I : Info)
      ArmNever.push_back(I.Dead);
    if (canLeave(C, Site, Arms, ArmNever))
      continue;
    for (const BlockedOp *B : Arms)
      Done.insert(B->Call);
    BlockingFinding F;
    F.Kind = BlockingFinding::Outlived;
    F.At = First.Call;
    auto List = [&](bool Dead) {
      std::string L;
      unsigned N = 0;
      for (size_t A = 0; A < Arms.size(); ++A)
        if (Info[A].Dead == Dead)
          L += (N++ ? " or '" : "'") + Arms[A]->Object.str() + "'";
      return L;
    };
    const OpRecord *Sender = nullptr;
    for (const ArmInfo &I : Info)
      if (!I.Live.empty() && !Sender)
        Sender = I.Live.front();
    std::string Dead = List(true);
    F.Message =
        "a receive from " + List(false) + (Dead.empty() ? "" : " or " + Dead) +
        " waits forever: " +
        (Dead.empty() ? std::string("the loop never leaves")
                      : "the loop leaves only on a receive from " + Dead +
                            ", which nothing that runs sends to or closes") +
        ", and every send comes from " + unitName(*Sender->Unit) +
        ", to an object it creates, before it returns";
    const VarDecl *Root = Sender->Object.RootVar;
    F.Notes.push_back({Root->getInit(),
                       "'" + Root->getNameAsString() + "' is created here",
                       Root->getLocation()});
    for (const ArmInfo &I : Info)
      for (const OpRecord *R : I.Live)
        F.Notes.push_back({R->Site, "sends on '" + R->Object.str() +
                                        "' here; " + unitName(*R->Unit) +
                                        " then runs to its end"});
    for (size_t A = 0; A < Arms.size(); ++A)
      if (Info[A].Dead) {
        if (Info[A].DeadWhy.empty())
          F.Notes.push_back({Arms[A]->Call, "nothing sends to '" +
                                                Arms[A]->Object.str() +
                                                "' or closes it"});
        appendSteps(F.Notes, Info[A].DeadWhy);
      }
    Out.push_back(std::move(F));
  }
}

/// "any number of times", "once", "3 times".
std::string BlockingAnalysis::Impl::timesText(const Count &C) {
  return C.Many     ? std::string("any number of times")
         : C.N == 1 ? std::string("once")
                    : std::to_string(C.N) + " times";
}

/// What the receives and the buffer take.
std::string BlockingAnalysis::Impl::takesText(unsigned Receives, uint64_t Cap) {
  std::string Buffer =
      Cap == 0 ? std::string() : " its buffer holds " + std::to_string(Cap);
  if (Receives == 0)
    return "nothing receives from it" + (Cap ? "," + Buffer : std::string());
  return "at most " + std::to_string(Receives) +
         (Receives == 1 ? " receive takes" : " receives take") + " from it" +
         (Cap ? " and" + Buffer : std::string());
}

void BlockingAnalysis::Impl::reportCounts(std::vector<BlockingFinding> &Out,
                                          llvm::DenseSet<const Stmt *> &Done) {
  // The sends that block (an Asio send nobody awaits does not).
  llvm::DenseSet<const Stmt *> BlockingSends;
  for (const BlockedOp &B : Blocking)
    if (B.Kind == OpKind::Send && B.Chain.empty() && !B.Race)
      BlockingSends.insert(B.Call); // (A race's send may lose the race.)
  // Channels created in a function: local variables named by operations.
  llvm::SetVector<const VarDecl *> Candidates;
  llvm::DenseMap<const VarDecl *, const ChannelSpec *> SpecOf;
  for (const OpRecord &R : Ops)
    if (R.Spec && R.Object.Root == ObjectKey::Var && R.Object.RootVar &&
        R.Object.Path.empty() && !llvm::isa<ParmVarDecl>(R.Object.RootVar) &&
        R.Object.RootVar->hasLocalStorage()) {
      Candidates.insert(R.Object.RootVar);
      SpecOf[R.Object.RootVar] = R.Spec;
    }
  const SourceManager &SM = Ctx.getSourceManager();
  for (const VarDecl *VD : Candidates) {
    ObjectKey K;
    K.Root = ObjectKey::Var;
    K.RootVar = VD;
    const CodeUnit *Owner =
        Inv.unitOf(llvm::dyn_cast<FunctionDecl>(VD->getDeclContext()));
    if (!Owner || !VD->getInit())
      continue;
    const ChannelSpec &Spec = *SpecOf[VD];
    std::optional<uint64_t> Capacity = Capacities.ofVariable(VD, Spec);
    Confinement Conf;
    if (!Capacity || !confined(*Infos.find(Owner)->second, K, Conf))
      continue;

    // Its operations, wherever they are written; a close ends the count.
    llvm::DenseMap<const Stmt *, OpKind> Sites;
    const Stmt *LastSend = nullptr;
    std::string SendName;
    llvm::SmallVector<const Stmt *, 2> Receives;
    llvm::SmallVector<const OpRecord *, 1> Closes;
    bool Closed = false;
    for (const OpRecord &R : Ops) {
      const ObjectKey &RK = R.Object;
      if (!reachesName(RK, K, Conf.Names))
        continue;
      if (R.Kind == OpKind::Send && !BlockingSends.count(R.Site))
        continue;
      Sites[R.Site] = R.Kind;
      Closed |= R.Kind == OpKind::Unknown;
      if (R.Kind == OpKind::Close)
        Closes.push_back(&R);
      if (R.Kind == OpKind::Send &&
          (!LastSend || SM.isBeforeInTranslationUnit(LastSend->getBeginLoc(),
                                                     R.Site->getBeginLoc()))) {
        LastSend = R.Site;
        SendName = RK.str();
      }
      if ((R.Kind == OpKind::Receive || R.Kind == OpKind::TryReceive) &&
          Receives.size() < 2)
        Receives.push_back(R.Site);
    }
    if (Closed || !LastSend || Done.count(LastSend))
      continue;
    // A close ends the count, unless it cannot run while a send waits: it
    // comes after a wait for every sender to finish (a wait group the
    // senders count down after their send).
    std::vector<WitnessStep> CloseGate;
    if (!Closes.empty()) {
      const BlockedOp *Sender = nullptr;
      for (const BlockedOp &B : Blocking)
        if (B.Call == LastSend && B.Chain.empty())
          Sender = &B;
      GateTarget T;
      T.Self = Sender;
      if (!Sender || !llvm::all_of(Closes, [&](const OpRecord *C) {
            return gated(*C, T, 0, CloseGate);
          }))
        continue;
    }
    Count Sends = maxOps(Owner, Conf, Sites, true, 0);
    Count Recvs = maxOps(Owner, Conf, Sites, false, 0);
    uint64_t Cap = *Capacity;
    if (!outnumber(Sends, Recvs, Cap))
      continue;
    const Stmt *Blocked = blockedSend(Sends, Recvs.N + Cap, Sites, LastSend);
    if (Done.count(Blocked))
      continue;
    Done.insert(Blocked);
    Done.insert(LastSend);
    for (const OpRecord &R : Ops)
      if (R.Site == Blocked && R.Kind == OpKind::Send) {
        SendName = R.Object.str();
        break;
      }
    BlockingFinding F;
    F.Kind = BlockingFinding::Counts;
    F.At = Blocked;
    std::string Name = K.str();
    F.Message = "a send on '" + SendName +
                "' may wait forever: one run of the code that reaches '" +
                Name + "' can send to it " + timesText(Sends) + ", and " +
                takesText(Recvs.N, Cap);
    F.Notes.push_back({VD->getInit(),
                       "'" + VD->getNameAsString() + "' is created here",
                       VD->getLocation()});
    if (Sends.ManyAt)
      F.Notes.push_back({Sends.ManyAt, llvm::isa<LambdaExpr>(Sends.ManyAt)
                                           ? "a sender is started here, in a "
                                             "loop"
                                           : "sends here, in a loop"});
    if (Conf.HandedAt && !Sends.ManyAt)
      F.Notes.push_back(
          {Conf.HandedAt,
           "handed to '" + Conf.HandedTo->getNameAsString() + "' here"});
    for (const Stmt *R : Receives)
      F.Notes.push_back({R, "receives from '" + Name + "' here"});
    appendSteps(F.Notes, CloseGate); // why no close can release it
    Out.push_back(std::move(F));
  }
  reportMemberCounts(Out, Done, BlockingSends);
}

bool BlockingAnalysis::Impl::thisConfined(const CXXRecordDecl *C) {
  C = C->getCanonicalDecl();
  if (auto It = ThisConfined.find(C); It != ThisConfined.end())
    return It->second;
  bool Ok = true;
  llvm::SmallVector<const CXXRecordDecl *, 4> Classes{C->getDefinition()};
  while (Ok && !Classes.empty()) {
    const CXXRecordDecl *RD = Classes.pop_back_val();
    if (!RD || !mainFileClass(RD)) {
      Ok = false;
      break;
    }
    for (const CXXBaseSpecifier &B : RD->bases())
      Classes.push_back(recordOf(B.getType())
                            ? recordOf(B.getType())->getDefinition()
                            : nullptr);
    for (const Decl *D : RD->decls()) {
      const auto *MD = llvm::dyn_cast<CXXMethodDecl>(D);
      if (const auto *FT = llvm::dyn_cast<FunctionTemplateDecl>(D))
        MD = llvm::dyn_cast<CXXMethodDecl>(FT->getTemplatedDecl());
      const FunctionDecl *Def = nullptr;
      if (!MD || MD->isStatic() || !MD->hasBody(Def))
        continue;
      bool Special = llvm::isa<CXXConstructorDecl, CXXDestructorDecl>(Def);
      llvm::SmallVector<const Stmt *, 4> Roots{Def->getBody()};
      if (const auto *Ctor = llvm::dyn_cast<CXXConstructorDecl>(Def))
        for (const CXXCtorInitializer *Init : Ctor->inits())
          Roots.push_back(Init->getInit());
      for (const Stmt *Root : Roots) {
        llvm::SmallPtrSet<const Expr *, 8> Accounted;
        unsigned Uses = 0;
        walkWithLambdas(Root, nullptr, [&](const Stmt *S) {
          if (llvm::isa<CXXThisExpr>(S))
            ++Uses;
          if (const auto *ME = llvm::dyn_cast<MemberExpr>(S)) {
            const Expr *Base = ME->getBase()->IgnoreParenImpCasts();
            if (llvm::isa<CXXThisExpr>(Base)) {
              Accounted.insert(Base);
              // A constructor or destructor that calls a method runs the
              // object's code outside the calls its holder makes.
              Ok &= !(Special && llvm::isa<CXXMethodDecl>(ME->getMemberDecl()));
            }
          } else if (const auto *LE = llvm::dyn_cast<LambdaExpr>(S)) {
            for (const Expr *Init : LE->capture_inits())
              if (Init && llvm::isa<CXXThisExpr>(Init->IgnoreParenImpCasts()))
                Accounted.insert(Init->IgnoreParenImpCasts());
            Ok &= !(Special &&
                    llvm::any_of(LE->captures(), [](const LambdaCapture &Cap) {
                      return Cap.capturesThis();
                    }));
          }
        });
        Ok &= Accounted.size() == Uses;
      }
      if (!Ok)
        break;
    }
  }
  ThisConfined[C] = Ok;
  return Ok;
}

void BlockingAnalysis::Impl::reportMemberCounts(
    std::vector<BlockingFinding> &Out, llvm::DenseSet<const Stmt *> &Done,
    const llvm::DenseSet<const Stmt *> &BlockingSends) {
  if (Incomplete)
    return;
  // Channel members, each operated on only through `this`.
  llvm::MapVector<const FieldDecl *, const OpRecord *> Members;
  llvm::SmallPtrSet<const FieldDecl *, 4> Other;
  for (const OpRecord &R : Ops) {
    const auto *F = llvm::dyn_cast_or_null<FieldDecl>(R.Object.object());
    if (!F || !R.Spec)
      continue;
    if (R.Object.Root == ObjectKey::This && R.Object.Path.size() == 1)
      Members.insert({F, &R});
    else
      Other.insert(F);
  }
  for (const FieldDecl *F : Other)
    Members.erase(F);
  if (Members.empty())
    return;
  // The class of the object a local variable holds (by value, through a
  // pointer or a std smart pointer).
  auto ClassHeld = [](const VarDecl *VD) -> const CXXRecordDecl * {
    const CXXRecordDecl *RD = recordOf(VD->getType());
    if (const auto *Spec =
            llvm::dyn_cast_or_null<ClassTemplateSpecializationDecl>(RD);
        Spec && Spec->isInStdNamespace() && Spec->getIdentifier() &&
        (Spec->getName() == "shared_ptr" || Spec->getName() == "unique_ptr") &&
        Spec->getTemplateArgs().size() >= 1 &&
        Spec->getTemplateArgs()[0].getKind() == TemplateArgument::Type)
      RD = recordOf(Spec->getTemplateArgs()[0].getAsType());
    return RD ? RD->getDefinition() : nullptr;
  };
  const SourceManager &SM = Ctx.getSourceManager();
  for (const auto &UP : Inv.units()) {
    const CodeUnit *Owner = UP.get();
    if (Owner->Fn->isDependentContext())
      continue;
    llvm::SmallVector<const VarDecl *, 4> Vars;
    walkOwnCode(Owner->Body, [&](const Stmt *S) {
      if (const auto *DS = llvm::dyn_cast<DeclStmt>(S))
        for (const Decl *D : DS->decls())
          if (const auto *VD = llvm::dyn_cast<VarDecl>(D);
              VD && VD->hasLocalStorage() && VD->getInit() &&
              !VD->getType()->isReferenceType())
            Vars.push_back(VD);
    });
    for (const VarDecl *VD : Vars) {
      const CXXRecordDecl *C = ClassHeld(VD);
      if (!C)
        continue;
      for (const auto &[F, Rep] : Members) {
        const auto *P = llvm::dyn_cast<CXXRecordDecl>(F->getParent());
        if (!P || (P->getCanonicalDecl() != C->getCanonicalDecl() &&
                   !C->isDerivedFrom(P)))
          continue;
        const ChannelSpec &Spec = *Rep->Spec;
        std::optional<uint64_t> Capacity = Capacities.ofMember(F, Spec);
        Confinement MemberConf;
        if (!Capacity || !thisConfined(C) ||
            !confined(*Infos.find(Rep->Unit)->second, Rep->Object, MemberConf))
          continue;
        ObjectKey K;
        K.Root = ObjectKey::Var;
        K.RootVar = VD;
        Confinement Conf;
        Conf.Class = C;
        if (!confined(info(Owner), K, Conf))
          continue;
        // A capacity set by a method: the holder calls one that does first.
        auto SetsIt = [&](const CXXMemberCallExpr *MC) {
          const CXXMethodDecl *MD = MC->getMethodDecl();
          return MD && MD->getIdentifier() &&
                 llvm::is_contained(Spec.CapacitySetters, MD->getName()) &&
                 namesDecl(handedName(MC->getImplicitObjectArgument()), F);
        };
        // (Set by a constructor: by every one, or the object made by
        // another is not bounded.)
        bool SetByMethods = false, SetByCtor = false, EveryCtor = true;
        for (const CXXMethodDecl *MD : P->methods()) {
          const auto *Ctor = llvm::dyn_cast<CXXConstructorDecl>(MD);
          if (Ctor && (Ctor->isCopyOrMoveConstructor() || Ctor->isDeleted()))
            continue;
          const FunctionDecl *Def = analysableDefinition(MD, Ctx);
          bool Sets = false;
          if (Def)
            walkWithLambdas(Def->getBody(), nullptr, [&](const Stmt *S) {
              if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S))
                Sets |= SetsIt(MC);
            });
          (Ctor ? SetByCtor : SetByMethods) |= Sets;
          if (Ctor)
            EveryCtor &= Sets;
        }
        if (SetByCtor && !EveryCtor)
          continue;
        if (SetByMethods) {
          // Through calls on `this`, a few levels down.
          std::function<bool(const FunctionDecl *, unsigned)> Reaches =
              [&](const FunctionDecl *Fn, unsigned D) {
                const FunctionDecl *Def = analysableDefinition(Fn, Ctx);
                bool Found = false;
                if (!Def || D > 4)
                  return false;
                walkOwnCode(Def->getBody(), [&](const Stmt *S) {
                  const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S);
                  if (!MC || Found)
                    return;
                  Found =
                      SetsIt(MC) ||
                      (llvm::isa<CXXThisExpr>(MC->getImplicitObjectArgument()
                                                  ->IgnoreParenImpCasts()) &&
                       Reaches(MC->getMethodDecl(), D + 1));
                });
                return Found;
              };
          // The first statement after the declaration that names it.
          const CXXMemberCallExpr *First = nullptr;
          bool Seen = false;
          walkOwnCode(Owner->Body, [&](const Stmt *S) {
            const auto *E = llvm::dyn_cast<Expr>(S);
            if (Seen || !E || !namesDecl(E, VD))
              return;
            Seen = true;
            // The call that names it: its enclosing statement.
            walkOwnCode(Owner->Body, [&](const Stmt *In) {
              const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(In);
              if (!First && MC &&
                  handedName(MC->getImplicitObjectArgument()) == E)
                First = MC;
            });
          });
          if (!First || !runsWith(Owner->Body, First) ||
              !Reaches(First->getMethodDecl(), 0))
            continue;
        }
        // Its operations (only methods reached from this object's holder
        // count them, below); a close ends the count.
        llvm::DenseMap<const Stmt *, OpKind> Sites;
        bool Closed = false;
        const Stmt *LastSend = nullptr;
        llvm::SmallVector<const Stmt *, 2> Receives;
        for (const OpRecord &R : Ops) {
          if (R.Object.object() != F ||
              (R.Kind == OpKind::Send && !BlockingSends.count(R.Site)))
            continue;
          Sites[R.Site] = R.Kind;
          Closed |= R.Kind == OpKind::Close || R.Kind == OpKind::Unknown;
          if (R.Kind == OpKind::Send &&
              (!LastSend ||
               SM.isBeforeInTranslationUnit(LastSend->getBeginLoc(),
                                            R.Site->getBeginLoc())))
            LastSend = R.Site;
          if ((R.Kind == OpKind::Receive || R.Kind == OpKind::TryReceive) &&
              Receives.size() < 2)
            Receives.push_back(R.Site);
        }
        if (Closed || !LastSend || Done.count(LastSend))
          continue;
        llvm::SmallPtrSet<const CodeUnit *, 8> Reached;
        Count Sends = maxOps(Owner, Conf, Sites, true, 0, false, &Reached);
        Count Recvs = maxOps(Owner, Conf, Sites, false, 0, false, &Reached);
        uint64_t Cap = *Capacity;
        if (!outnumber(Sends, Recvs, Cap))
          continue;
        // A send under a condition on the object's state that the code
        // sharing the object changes (a "consumer closed" flag) is not
        // known to happen.
        llvm::SmallPtrSet<const ValueDecl *, 4> Decides;
        for (const CodeUnit *U : Reached) {
          bool SendsHere = false;
          walkOwnCode(U->Body, [&](const Stmt *S) {
            auto Op = Sites.find(S);
            SendsHere |= Op != Sites.end() && Op->second == OpKind::Send &&
                         !runsWith(U->Body, S);
          });
          if (!SendsHere)
            continue;
          // The members its conditions read, directly or through a local
          // initialised from one.
          llvm::SmallVector<const Stmt *, 4> Conds;
          walkOwnCode(U->Body, [&](const Stmt *S) {
            if (const auto *If = llvm::dyn_cast<IfStmt>(S))
              Conds.push_back(If->getCond());
            else if (const auto *Sw = llvm::dyn_cast<SwitchStmt>(S))
              Conds.push_back(Sw->getCond());
            else if (const auto *CO = llvm::dyn_cast<ConditionalOperator>(S))
              Conds.push_back(CO->getCond());
          });
          for (const Stmt *Cond : Conds)
            walkOwnCode(Cond, [&](const Stmt *S) {
              const Expr *Init = nullptr;
              if (const auto *DR = llvm::dyn_cast<DeclRefExpr>(S))
                if (const auto *V = llvm::dyn_cast<VarDecl>(DR->getDecl());
                    V && V->hasLocalStorage() && V->getInit())
                  Init = V->getInit();
              for (const Stmt *Root : {S, static_cast<const Stmt *>(Init)})
                if (Root)
                  walkOwnCode(Root, [&](const Stmt *In) {
                    if (const auto *ME = llvm::dyn_cast<MemberExpr>(In);
                        ME &&
                        llvm::isa<CXXThisExpr>(
                            ME->getBase()->IgnoreParenImpCasts()) &&
                        llvm::isa<FieldDecl>(ME->getMemberDecl()))
                      Decides.insert(ME->getMemberDecl());
                  });
            });
        }
        bool Changed = false;
        auto Names = [&](const Expr *E) {
          const auto *ME =
              llvm::dyn_cast_or_null<MemberExpr>(E ? handedName(E) : nullptr);
          return ME && Decides.count(ME->getMemberDecl());
        };
        for (const CodeUnit *U : Reached)
          walkOwnCode(U->Body, [&](const Stmt *S) {
            if (const auto *BO = llvm::dyn_cast<BinaryOperator>(S))
              Changed |= BO->isAssignmentOp() && Names(BO->getLHS());
            else if (const auto *UO = llvm::dyn_cast<UnaryOperator>(S))
              Changed |=
                  UO->isIncrementDecrementOp() && Names(UO->getSubExpr());
            else if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S))
              Changed |= MC->getMethodDecl() &&
                         !MC->getMethodDecl()->isConst() &&
                         Names(MC->getImplicitObjectArgument());
            else if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(S))
              Changed |= OC->isAssignmentOp() && OC->getNumArgs() > 0 &&
                         Names(OC->getArg(0));
          });
        if (Changed)
          continue;
        const Stmt *Blocked =
            blockedSend(Sends, Recvs.N + Cap, Sites, LastSend);
        if (Done.count(Blocked))
          continue;
        Done.insert(Blocked);
        Done.insert(LastSend);
        std::string Member = F->getNameAsString();
        std::string Holder = VD->getNameAsString();
        BlockingFinding Fd;
        Fd.Kind = BlockingFinding::Counts;
        Fd.At = Blocked;
        Fd.Message = "a send on '" + Member +
                     "' may wait forever: one run of the code that reaches '" +
                     Holder + "' can send to its '" + Member + "' " +
                     timesText(Sends) + ", and " + takesText(Recvs.N, Cap);
        Fd.Notes.push_back({VD->getInit(),
                            "'" + Holder + "' is created here; its '" + Member +
                                "' is reached only through its methods",
                            VD->getLocation()});
        // Where the holder's code sends, in its order, then what receives.
        for (auto [S, Times] : Sends.Via) {
          std::string How = Times == Count::Any ? "any number of times"
                            : Times == 1        ? "once"
                                         : std::to_string(Times) + " times";
          Fd.Notes.push_back(
              {S, llvm::isa<LambdaExpr>(S)
                      ? "the code started here sends to it " + How
                      : "sends to it " + How + " here" +
                            (llvm::isa<CallExpr>(S) && LoopOf.count(S)
                                 ? ", in a loop"
                                 : "")});
        }
        for (const Stmt *R : Receives) {
          bool Runs = false;
          for (const CodeUnit *U : Reached)
            walkOwnCode(U->Body, [&](const Stmt *S) { Runs |= S == R; });
          if (Runs)
            Fd.Notes.push_back({R, "receives from '" + Member + "' here"});
        }
        Out.push_back(std::move(Fd));
        break;
      }
    }
  }
}

void BlockingAnalysis::Impl::joinedBodies(
    const JoinRecord &J, llvm::SmallVectorImpl<SpawnSite> &Starts,
    llvm::SmallVectorImpl<std::pair<const SpawnSite *, const CodeUnit *>>
        &Bodies,
    bool Members) {
  if (J.Async) {
    SpawnSite Async;
    Async.Start = J.Async;
    Async.Callable = asyncCallable(J.Async);
    Starts.push_back(Async);
  } else if (isPthreadJoin(J.Call)) {
    // The pthread_create calls that store their id in the joined handle:
    // before the join in its function, or, for a global or a data member,
    // anywhere in the unit's code.
    const Expr *Handle = J.Call->getArg(0);
    const CodeUnit *Site = J.SiteUnit ? J.SiteUnit : J.Unit;
    if (Site->Fn)
      Starts = findPthreadCreates(Handle, Site->Fn, J.Call->getBeginLoc(), Ctx);
    const ValueDecl *D = nullptr;
    if (const auto *Ref = llvm::dyn_cast<DeclRefExpr>(bareExpr(Handle)))
      D = Ref->getDecl();
    else if (const auto *ME = llvm::dyn_cast<MemberExpr>(bareExpr(Handle)))
      D = ME->getMemberDecl();
    const auto *V = llvm::dyn_cast_or_null<VarDecl>(D);
    if (Starts.empty() && D &&
        (llvm::isa<FieldDecl>(D) || (V && V->hasGlobalStorage())))
      for (const auto &U : Inv.units())
        if (U->Fn && U->Fn != (Site ? Site->Fn : nullptr))
          for (const SpawnSite &More :
               findPthreadCreates(Handle, U->Fn, SourceLocation(), Ctx))
            if (llvm::none_of(Starts, [&](const SpawnSite &Old) {
                  return Old.Start == More.Start;
                }))
              Starts.push_back(More);
  } else {
    const Expr *Handle =
        llvm::cast<CXXMemberCallExpr>(J.Call)->getImplicitObjectArgument();
    const CodeUnit *Site = J.SiteUnit ? J.SiteUnit : J.Unit;
    // A container's jthreads, destroyed together (`threads_.clear()`):
    // every element's start.
    if (isDestruction(J.Call) &&
        !isJoiningThread(Handle->getType()->getAsCXXRecordDecl()))
      if (const CXXRecordDecl *E = elementClass(Handle->getType());
          E && isJoiningThread(E)) {
        Starts = findElementThreadStarts(
            Handle, Site->Fn, J.Call->getBeginLoc(), ThreadTypes, Ctx);
        Handle = nullptr;
      }
    // A destroyed object's jthread member (`w_->t`): started somewhere
    // in its class's members, as `this->t` is.
    if (const auto *ME = llvm::dyn_cast_or_null<MemberExpr>(Handle);
        ME && isDestruction(J.Call) &&
        !llvm::isa<CXXThisExpr>(ME->getBase()->IgnoreParenImpCasts()))
      if (const auto *F = llvm::dyn_cast<FieldDecl>(ME->getMemberDecl())) {
        Starts = findMemberThreadStarts(F, ThreadTypes);
        Handle = nullptr;
      }
    if (Handle)
      Starts = findThreadStarts(Handle, Site->Fn, J.Call->getBeginLoc(),
                                ThreadTypes, Ctx);
    // A data member joined where it was not started (`stop()` joins what
    // `start()` started): its starts in its class's members.
    if (Members && Handle && Starts.empty())
      if (const auto *ME = llvm::dyn_cast<MemberExpr>(bareExpr(Handle)))
        if (const auto *F = llvm::dyn_cast<FieldDecl>(ME->getMemberDecl()))
          Starts = findMemberThreadStarts(F, ThreadTypes);
  }
  // What each start runs: its callable, or the lambdas of the
  // std::function it is given (a thread wrapper's `std::thread(fn_)`).
  for (const SpawnSite &Start : Starts) {
    ResolvedBody Body = resolveCallable(Start.Callable);
    if (const CodeUnit *BU = Body ? Inv.unitOf(Body.Function) : nullptr) {
      Bodies.push_back({&Start, BU});
      continue;
    }
    const ValueDecl *FO =
        Start.Callable && isFunctionObjectType(Start.Callable->getType())
            ? calledObject(Start.Callable)
            : nullptr;
    if (auto It = FO ? FunctionObjects.find(FO) : FunctionObjects.end();
        It != FunctionObjects.end())
      for (const CodeUnit *BU : It->second)
        Bodies.push_back({&Start, BU});
  }
}

bool BlockingAnalysis::Impl::onEveryPath(const CodeUnit *U, const Stmt *S) {
  const CFGBlock *BS;
  unsigned IS;
  if (!cfgPos(U, S, BS, IS))
    return false;
  const CFG &G = *Infos.find(U)->second->G;
  if (BS == &G.getEntry())
    return true;
  const CFGBlock *Entry = &G.getEntry();
  return !reachesBlock(Entry, &G.getExit(), BS);
}

namespace {
/// \p E, an initialiser, gives a zero value: 0, false, nullptr, `{}`, or a
/// class object constructed with no arguments.
bool zeroInit(const Expr *E) {
  if (!E)
    return false;
  E = E->IgnoreParenImpCasts();
  if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(E))
    return CE->getNumArgs() == 0 ||
           (CE->getNumArgs() == 1 && zeroInit(CE->getArg(0)));
  if (const auto *IL = llvm::dyn_cast<InitListExpr>(E))
    return IL->getNumInits() == 0 ||
           (IL->getNumInits() == 1 && zeroInit(IL->getInit(0)));
  if (llvm::isa<CXXNullPtrLiteralExpr, ImplicitValueInitExpr>(E))
    return true;
  if (const auto *B = llvm::dyn_cast<CXXBoolLiteralExpr>(E))
    return !B->getValue();
  if (const auto *I = llvm::dyn_cast<IntegerLiteral>(E))
    return I->getValue() == 0;
  return false;
}

/// \p E reads a data member (`n`, `q.size()`): that member.
const FieldDecl *memberRead(const Expr *E) {
  E = E ? E->IgnoreParenImpCasts() : nullptr;
  if (const auto *MC = llvm::dyn_cast_or_null<CXXMemberCallExpr>(E))
    if (MC->getNumArgs() == 0 && MC->getMethodDecl() &&
        MC->getMethodDecl()->isConst())
      E = MC->getImplicitObjectArgument()->IgnoreParenImpCasts();
  const auto *ME = llvm::dyn_cast_or_null<MemberExpr>(E);
  return ME ? llvm::dyn_cast<FieldDecl>(ME->getMemberDecl()) : nullptr;
}

/// \p E is false when every data member it reads is zero (0, false,
/// null, empty): `n > 0`, `ready`, `!q.empty()`, `a || b` of such.
bool falseAtZero(const Expr *E) {
  E = E->IgnoreParenImpCasts();
  if (const auto *BO = llvm::dyn_cast<BinaryOperator>(E)) {
    const Expr *L = BO->getLHS(), *R = BO->getRHS();
    auto Lit = [](const Expr *X, uint64_t &V) {
      X = X->IgnoreParenImpCasts();
      if (llvm::isa<CXXNullPtrLiteralExpr>(X)) {
        V = 0;
        return true;
      }
      const auto *I = llvm::dyn_cast<IntegerLiteral>(X);
      if (I)
        V = I->getValue().getZExtValue();
      return I != nullptr;
    };
    uint64_t V = 0;
    switch (BO->getOpcode()) {
    case BO_LOr:
      return falseAtZero(L) && falseAtZero(R);
    case BO_LAnd:
      return falseAtZero(L) || falseAtZero(R);
    case BO_GT:
      return memberRead(L) && Lit(R, V) && V == 0;
    case BO_LT:
      return memberRead(R) && Lit(L, V) && V == 0;
    case BO_GE:
      return memberRead(L) && Lit(R, V) && V >= 1;
    case BO_NE:
      return (memberRead(L) && Lit(R, V) && V == 0) ||
             (memberRead(R) && Lit(L, V) && V == 0);
    default:
      return false;
    }
  }
  if (const auto *UO = llvm::dyn_cast<UnaryOperator>(E);
      UO && UO->getOpcode() == UO_LNot) {
    const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(
        UO->getSubExpr()->IgnoreParenImpCasts());
    const CXXMethodDecl *M = MC ? MC->getMethodDecl() : nullptr;
    return M && M->getIdentifier() && M->getName() == "empty" && memberRead(MC);
  }
  if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(E)) {
    const CXXMethodDecl *M = MC->getMethodDecl();
    return M && M->getIdentifier() && M->getName() == "has_value" &&
           memberRead(MC);
  }
  if (const FieldDecl *F = memberRead(E))
    return F->getType()->isBooleanType() || F->getType()->isPointerType();
  return false;
}
} // namespace

bool BlockingAnalysis::Impl::waitsAsMade(
    const BlockedOp &B,
    const llvm::SmallPtrSetImpl<const CodeUnit *> &Writers) {
  const CodeUnit *Waiter = B.SiteUnit ? B.SiteUnit : B.Unit;
  std::optional<ConditionWait> W = CVs.asWait(B.Call);
  if (!W || !W->Predicate || !Waiter)
    return false;
  std::optional<WaitCondition> WC = waitCondition(*W, Waiter->Fn, Ctx);
  if (!WC || !WC->PredicateCode || WC->ReadsStopToken)
    return false;
  // The predicate: `return <expr>;`, alone.
  const Expr *Pred = nullptr;
  if (const auto *CS = llvm::dyn_cast<CompoundStmt>(WC->PredicateCode)) {
    if (CS->size() == 1)
      if (const auto *R = llvm::dyn_cast<ReturnStmt>(CS->body_front()))
        Pred = R->getRetValue();
  } else if (const auto *E = llvm::dyn_cast<Expr>(WC->PredicateCode)) {
    Pred = E;
  }
  if (!Pred || !falseAtZero(Pred) || WC->Reads.empty())
    return false;
  for (const ValueDecl *D : WC->Reads) {
    const auto *F = llvm::dyn_cast<FieldDecl>(D);
    const auto *RD =
        F ? llvm::dyn_cast<CXXRecordDecl>(F->getParent()) : nullptr;
    if (!RD)
      return false;
    // Made zero: its initialiser, or every constructor's.
    if (F->hasInClassInitializer() && !zeroInit(F->getInClassInitializer()))
      return false;
    if (!F->hasInClassInitializer() && !F->getType()->isRecordType())
      return false; // a scalar left indeterminate, or set elsewhere
    // (Of the constructors this translation unit uses.)
    for (const CXXConstructorDecl *C : RD->ctors())
      if (C->isUsed())
        for (const CXXCtorInitializer *Init : C->inits())
          if (Init->isWritten() && Init->getMember() == F &&
              !zeroInit(Init->getInit()))
            return false;
    // Changed only by the writers (and the waiter, after its wait).
    bool Other = false;
    for (const auto &UP : Inv.units()) {
      const CodeUnit *U = UP.get();
      if (U == Waiter || Writers.count(U) || Other)
        continue;
      walkOwnCode(U->Body, [&](const Stmt *S) {
        const Expr *Target = writeTarget(S);
        if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S))
          if (MC->getMethodDecl() && !MC->getMethodDecl()->isConst())
            Target = MC->getImplicitObjectArgument();
        if (Target && writtenObject(Target) == F)
          Other = true;
      });
    }
    if (Other)
      return false;
  }
  return true;
}

void BlockingAnalysis::Impl::reportJoinsFirst(
    std::vector<BlockingFinding> &Out) {
  // The waits that may be the one: surely blocking, or a predicate wait
  // (asked below whether it blocks as made). Without one, nothing to find
  // (the thread starts are looked up only then).
  if (AllJoins.empty())
    return;
  llvm::SmallVector<const BlockedOp *, 8> Candidates;
  for (const BlockedOp &B : Blocking)
    if (!B.Race && (B.Kind == OpKind::Wait ? B.HasPredicate : surelyWaits(B)))
      Candidates.push_back(&B);
  if (Candidates.empty())
    return;
  for (const JoinRecord &J : AllJoins) {
    if (J.Async || isDestruction(J.Call))
      continue; // a future's wait, a jthread's destruction: not yet
    llvm::SmallVector<SpawnSite, 2> Starts;
    llvm::SmallVector<std::pair<const SpawnSite *, const CodeUnit *>, 2> Bodies;
    joinedBodies(J, Starts, Bodies, /*Members=*/true);
    for (const auto &[StartP, BU] : Bodies) {
      auto It = Infos.find(BU);
      if (It == Infos.end() || It->second->Status != UnitInfo::Done)
        continue;
      // A wait the body cannot end without, each of whose partners runs
      // only after the join (in the joiner's code after it).
      const BlockedOp *W = nullptr;
      llvm::SmallVector<const OpRecord *, 4> Partners;
      // Per partner, where the joiner's code leads to it after the join.
      llvm::SmallVector<const Stmt *, 4> Ways;
      for (const BlockedOp *C : Candidates) {
        const BlockedOp &B = *C;
        bool Predicate = B.Kind == OpKind::Wait;
        if (B.Unit != BU || !onEveryPath(BU, siteOf(B)))
          continue;
        Partners.clear();
        if (!knownPartners(B, Partners) || Partners.empty())
          continue;
        Ways.clear();
        if (!llvm::all_of(Partners, [&](const OpRecord *R) {
              std::pair<const CodeUnit *, const Stmt *> Where;
              if (R->Unit == BU || !surelyOrderedBefore(J.Unit, J.Call, R->Unit,
                                                        R->Site, &Where))
                return false;
              Ways.push_back(Where.second);
              return true;
            }))
          continue;
        // A predicate wait blocks only if its state is not already what
        // it waits for: as made, changed only where it is notified.
        if (Predicate) {
          llvm::SmallPtrSet<const CodeUnit *, 4> Writers;
          for (const OpRecord *R : Partners)
            Writers.insert(R->Unit);
          if (!waitsAsMade(B, Writers))
            continue;
        }
        W = &B;
        break;
      }
      if (!W)
        continue;
      BlockingFinding F;
      F.Kind = BlockingFinding::JoinFirst;
      F.At = J.Call;
      F.Message =
          std::string(isPthreadJoin(J.Call) ? "pthread_join()" : "join()") +
          " waits for a thread that never finishes: " +
          std::string(opNoun(W->Kind)) + " '" + W->Object.str() +
          "' in it waits for code that runs only after this join; "
          "both wait forever";
      F.Notes.push_back({StartP->Start, "the thread is started here"});
      addChainNotes(F.Notes, W->Chain, "in the thread");
      F.Notes.push_back({W->Call, "it waits here"});
      for (size_t P = 0; P < Partners.size(); ++P) {
        const OpRecord *R = Partners[P];
        const auto *Via = llvm::dyn_cast_or_null<CallExpr>(Ways[P]);
        if (Via && Via != R->Site)
          F.Notes.push_back({Via, callNote(Via) + ", only after the join"});
        F.Notes.push_back(
            {R->Site,
             std::string(opNoun(R->Kind)) + " '" + R->Object.str() + "' here" +
                 (Via && Via != R->Site ? "" : ", only after the join")});
      }
      Out.push_back(std::move(F));
      break;
    }
  }
}

void BlockingAnalysis::Impl::reportJoins(std::vector<BlockingFinding> &Out) {
  for (const JoinRecord &J : Joins) {
    llvm::SmallVector<SpawnSite, 2> Starts;
    llvm::SmallVector<std::pair<const SpawnSite *, const CodeUnit *>, 2> Bodies;
    joinedBodies(J, Starts, Bodies);
    for (const auto &[StartP, BU] : Bodies) {
      const SpawnSite &Start = *StartP;
      auto It = Infos.find(BU);
      if (It == Infos.end() || It->second->Status != UnitInfo::Done)
        continue;
      // The body acquires a mutex the joiner holds: it may wait for it
      // and never finish.
      const Effect *Takes = nullptr;
      const HeldLock *By = nullptr;
      // A joiner that waits on a condition variable under M (for the
      // thread's "finished" or "started") lets the thread past its use of M
      // first: not judged.
      auto WaitsUnder = [&](const HeldLock &H) {
        return llvm::any_of(Ops, [&](const OpRecord &R) {
          return R.Unit == J.Unit && R.Kind == OpKind::Wait &&
                 containsObject(R.Held, H.Key);
        });
      };
      // (A wait's taking back its mutex only where nothing else takes it:
      // the first acquisition is the plainer witness.)
      for (bool Rewaits : {false, true}) {
        for (const Effect &Ef : It->second->Sum.Effects) {
          if (Ef.Kind != Effect::Acquire || Ef.Rewait != Rewaits)
            continue;
          for (const HeldLock &H : J.Held)
            if (H.Key.sameObject(Ef.Key) && !(H.Shared && Ef.Shared) &&
                !WaitsUnder(H)) {
              Takes = &Ef;
              By = &H;
              break;
            }
          if (Takes)
            break;
        }
        if (Takes)
          break;
      }
      if (!Takes)
        continue;
      BlockingFinding F;
      F.Kind = BlockingFinding::JoinUnderLock;
      F.At = J.Call;
      std::string Mu = By->Key.str();
      const char *Who = J.Async ? "task" : "thread";
      std::string Joiner;
      if (J.Async && J.Async == J.Call) {
        Joiner = "the future of this std::async call is discarded: its "
                 "destructor waits for the task at once";
      } else if (J.Async && isDestruction(J.Call)) {
        const auto *Fut =
            llvm::dyn_cast<DeclRefExpr>(llvm::cast<CXXMemberCallExpr>(J.Call)
                                            ->getImplicitObjectArgument()
                                            ->IgnoreImpCasts());
        Joiner = "destroying '" +
                 (Fut ? Fut->getDecl()->getNameAsString() : std::string("?")) +
                 "', the future of a std::async task, waits for the task";
      } else if (J.Async) {
        Joiner = "a wait for the std::async task's result waits";
      } else if (isDestruction(J.Call)) {
        // The jthread as the unit that destroys it names it.
        const UnitInfo &SI =
            *Infos.find(J.SiteUnit ? J.SiteUnit : J.Unit)->second;
        const Expr *H =
            llvm::cast<CXXMemberCallExpr>(J.Call)->getImplicitObjectArgument();
        std::string Name = keyOf(SI, H).str();
        Joiner =
            isJoiningThread(H->getType()->getAsCXXRecordDecl())
                ? "destroying the std::jthread '" + Name + "' joins its thread"
                : "destroying the std::jthreads of '" + Name +
                      "' joins their threads";
      } else {
        Joiner = isPthreadJoin(J.Call) ? "pthread_join() waits for the thread"
                                       : "join() waits for the thread";
      }
      F.Message = Joiner + " while holding '" + Mu + "', which the " + Who +
                  " acquires before it can finish: both wait forever";
      heldNotes(F.Notes, *By);
      addChainNotes(F.Notes, J.Chain, "holding '" + Mu + "'");
      F.Notes.push_back(
          {Start.Start, std::string("the ") + Who + " is started here"});
      addChainNotes(F.Notes, Takes->Chain, std::string("in the ") + Who);
      F.Notes.push_back({Takes->Site, std::string("the ") + Who +
                                          " acquires '" + Takes->Key.str() +
                                          "' here"});
      Out.push_back(std::move(F));
      break;
    }
  }
}

void BlockingAnalysis::Impl::reportCounterJoins(
    std::vector<BlockingFinding> &Out) {
  for (const BlockedOp &B : Blocking) {
    if (B.Kind != OpKind::CounterWait || !B.BlocksAfterAdd || B.Held.empty() ||
        B.Race)
      continue;
    llvm::SmallVector<const OpRecord *, 4> Partners;
    if (!partnersMaybeOn(B, Partners) || Partners.empty())
      continue;
    // The code that calls its way to the wait: a count-down there is not
    // made apart from it.
    llvm::MapVector<const CodeUnit *, const Stmt *> FromB;
    if (!ancestors(B.Unit, siteOf(B), FromB, /*CallsOnly=*/true))
      continue;
    const BlockingFinding *Made = nullptr;
    for (const OpRecord *R : Partners) {
      llvm::MapVector<const CodeUnit *, const Stmt *> Calls, All;
      std::pair<const CodeUnit *, const Stmt *> Where;
      if (!ancestors(R->Unit, R->Site, Calls, /*CallsOnly=*/true) ||
          !ancestors(R->Unit, R->Site, All) || All.size() == Calls.size() ||
          llvm::any_of(Calls,
                       [&](const auto &C) { return FromB.count(C.first); }) ||
          startsAfter(B, *R, Where) ||
          everyRunBefore(R->Unit, R->Site, B.Unit, siteOf(B)))
        continue;
      auto It = Infos.find(R->Unit);
      if (It == Infos.end() || It->second->Status != UnitInfo::Done)
        continue;
      for (const HeldLock &H : B.Held) {
        // A waiter that waits on a condition variable under M lets the
        // counting code past its use of M (as for a join).
        if (!H.Key.object() || llvm::any_of(Ops, [&](const OpRecord &W) {
              return W.Unit == B.Unit && W.Kind == OpKind::Wait &&
                     containsObject(W.Held, H.Key);
            }))
          continue;
        const Effect *Takes = nullptr;
        for (const Effect &Ef : It->second->Sum.Effects)
          if (Ef.Kind == Effect::Acquire && H.Key.sameObject(Ef.Key) &&
              !(H.Shared && Ef.Shared) &&
              mayReach(R->Unit, Ef.Chain.empty() ? Ef.Site : Ef.Chain.front(),
                       R->Site)) {
            Takes = &Ef;
            break;
          }
        if (!Takes)
          continue;
        std::string Mu = H.Key.str();
        BlockingFinding F;
        F.Kind = BlockingFinding::JoinUnderLock;
        F.At = B.Call;
        F.Message = "a wait on '" + B.Object.str() + "' while holding '" + Mu +
                    "', for code that acquires '" + Mu +
                    "' before it counts it down: both wait forever";
        heldNotes(F.Notes, H);
        addChainNotes(F.Notes, B.Chain, "holding '" + Mu + "'");
        addChainNotes(F.Notes, Takes->Chain, "in the code that counts down");
        F.Notes.push_back({Takes->Site, "it may acquire '" + Mu + "' here"});
        F.Notes.push_back(
            {R->Site, "before it counts '" + B.Object.str() + "' down here"});
        Out.push_back(std::move(F));
        Made = &Out.back();
        break;
      }
      if (Made)
        break;
    }
  }
}

bool BlockingAnalysis::Impl::releasesBelow(const CodeUnit *U,
                                           const ObjectKey &K, unsigned Depth,
                                           const CodeUnit *Except) {
  auto It = Infos.find(U);
  if (It == Infos.end())
    return false;
  // The unit itself may release what its callee returned holding; a
  // callee gives it back only by releasing it where the callee does not hold
  // it (a callee that takes and releases the mutex itself gives back
  // nothing).
  if (containsObject(Depth == 0 ? It->second->AnyReleases
                                : It->second->CallersReleased,
                     K))
    return true;
  if (Depth >= MaxCallDepth)
    return false;
  for (const auto &[Call, Callee] : It->second->Calls)
    if (Callee != Except && Callee != U &&
        releasesBelow(Callee, K, Depth + 1, Except))
      return true;
  return false;
}

bool BlockingAnalysis::Impl::releasedByCallers(
    const CodeUnit *U, const ObjectKey &K, unsigned Depth,
    llvm::SmallPtrSetImpl<const CodeUnit *> &Seen) {
  if (!Seen.insert(U).second || Depth > MaxCallDepth)
    return true; // Cannot tell: assume it is.
  for (const auto &[CallerUnit, Call] : Inv.callersOf(U->Fn)) {
    if (releasesBelow(CallerUnit, K, 0, U))
      return true;
    // The caller may return it held in turn.
    if (releasedByCallers(CallerUnit, K, Depth + 1, Seen))
      return true;
  }
  return false;
}

void BlockingAnalysis::Impl::reportLeaks(std::vector<BlockingFinding> &Out) {
  llvm::DenseSet<const Stmt *> Done;
  for (const LeakCandidate &L : Leaks) {
    UnitInfo &I = *Infos.find(L.Unit)->second;
    const ObjectKey &K = L.Held.Key;
    if (!containsObject(I.ExplicitReleases, K))
      continue; // A lock wrapper: it returns holding the lock on purpose.
    // Its callers' lock, given back: it released it without holding it.
    if (containsObject(I.CallersReleased, K))
      continue;
    if (L.Unit->Fn->hasAttr<AcquireCapabilityAttr>() ||
        L.Unit->Fn->hasAttr<TryAcquireCapabilityAttr>())
      continue;
    // A named function nobody here calls may be called elsewhere by code
    // that releases the lock next (acquire-on-success); a lambda nobody
    // calls directly runs as a callback or a thread: nobody is left to.
    if (Inv.callersOf(L.Unit->Fn).empty() && !L.Unit->Lambda)
      continue;
    llvm::SmallPtrSet<const CodeUnit *, 8> Seen;
    // Seen starts with the unit itself excluded from "its callers".
    bool Released = false;
    for (const auto &[CallerUnit, Call] : Inv.callersOf(L.Unit->Fn)) {
      if (releasesBelow(CallerUnit, K, 0, L.Unit) ||
          releasedByCallers(CallerUnit, K, 1, Seen)) {
        Released = true;
        break;
      }
    }
    // Called through a std::function: the code that calls it may release.
    if (auto It = IndirectCallers.find(L.Unit); It != IndirectCallers.end())
      for (const auto &[CallerUnit, Call] : It->second)
        if (releasesBelow(CallerUnit, K, 0, L.Unit))
          Released = true;
    if (Released)
      continue;
    // Someone else takes it: that acquisition waits forever. (The same
    // one, when its code runs again: on another thread, or in a loop.)
    const Acquisition *Blocked = nullptr;
    for (const Acquisition &A : Acquisitions)
      if (A.Key.sameObject(K) &&
          (A.Site != L.Held.Site || runsMoreThanOnce(L.Unit, 0)) &&
          !(A.Shared && L.Held.Shared)) {
        Blocked = &A;
        break;
      }
    if (!Blocked)
      continue;
    const Stmt *At = L.Return ? L.Return : L.Unit->Body;
    if (!Done.insert(L.Held.Site).second)
      continue;
    BlockingFinding F;
    F.Kind = BlockingFinding::LeakedLock;
    F.At = At;
    std::string Name = K.str();
    F.Message = "'" + Name + "' is still held when " + unitName(*L.Unit) +
                " returns here, though its other paths release it; the next "
                "acquisition of '" +
                Name + "' waits forever";
    heldNotes(F.Notes, L.Held);
    F.Notes.push_back({Blocked->Site, unitName(*Blocked->Unit) + " acquires '" +
                                          Blocked->Key.str() +
                                          "' here: it waits forever"});
    Out.push_back(std::move(F));
  }
}

bool BlockingAnalysis::Impl::mayRecurse(const ObjectKey &K) {
  if (!isRecursiveMutex(K))
    return false;
  const ValueDecl *D = K.object();
  if (!D || !D->getType()->isRecordType() ||
      !llvm::StringRef(D->getType().getCanonicalType().getAsString())
           .contains("pthread_mutex"))
    return true;
  if (auto It = DefaultPthreadMutexes.find(D);
      It != DefaultPthreadMutexes.end())
    return !It->second;
  using namespace ast_matchers;
  const SourceManager &SM = Ctx.getSourceManager();
  bool Any = false, Default = true;
  // A static initialiser: the default one, or any other (recursive).
  if (const auto *VD = llvm::dyn_cast<VarDecl>(D); VD && VD->getInit()) {
    CharSourceRange R = CharSourceRange::getTokenRange(
        SM.getExpansionRange(VD->getInit()->getSourceRange()).getAsRange());
    Default = Lexer::getSourceText(R, SM, Ctx.getLangOpts()).trim() ==
              "PTHREAD_MUTEX_INITIALIZER";
    Any = true;
  }
  // pthread_mutex_init(&m, nullptr), wherever it is made.
  if (Default)
    for (const BoundNodes &N :
         match(traverse(TK_AsIs, findAll(callExpr(callee(functionDecl(hasName(
                                                      "::pthread_mutex_init"))),
                                                  argumentCountIs(2))
                                             .bind("c"))),
               Ctx)) {
      const auto *Call = N.getNodeAs<CallExpr>("c");
      const auto *Addr =
          llvm::dyn_cast<UnaryOperator>(Call->getArg(0)->IgnoreParenImpCasts());
      if (!Addr || Addr->getOpcode() != UO_AddrOf) {
        Default = false; // Through a pointer: it may be this one.
        break;
      }
      const Expr *Obj = Addr->getSubExpr()->IgnoreParenImpCasts();
      const ValueDecl *Named = nullptr;
      if (const auto *DR = llvm::dyn_cast<DeclRefExpr>(Obj))
        Named = DR->getDecl();
      else if (const auto *ME = llvm::dyn_cast<MemberExpr>(Obj))
        Named = ME->getMemberDecl();
      else {
        Default = false;
        break;
      }
      if (Named != D)
        continue;
      Any = true;
      if (!Call->getArg(1)->IgnoreParenImpCasts()->isNullPointerConstant(
              Ctx, Expr::NPC_ValueDependentIsNotNull)) {
        Default = false;
        break;
      }
    }
  DefaultPthreadMutexes[D] = Any && Default;
  return !(Any && Default);
}

void BlockingAnalysis::Impl::reportLoopLeaks(
    std::vector<BlockingFinding> &Out) {
  llvm::DenseSet<const Stmt *> Done;
  for (const LoopLeakCandidate &L : LoopLeaks) {
    const HeldLock &H = L.Held;
    const ObjectKey &K = H.Key;
    UnitInfo &I = *Infos.find(L.Unit)->second;
    // Released on the round's other ways: holding it here is the slip.
    if (!K.exact() || mayRecurse(K) || !containsObject(I.ExplicitReleases, K) ||
        Done.count(H.Site))
      continue;
    const Stmt *Body = loopBody(L.Loop);
    // Taken by every round, so also by the next; and there is a next.
    if (!Body || !runsWith(Body, H.Site))
      continue;
    if (std::optional<uint64_t> Trips = constantTrips(L.Loop, Ctx);
        Trips && *Trips <= 1)
      continue;
    // The next round gets there without releasing it first (not so
    // `lk.unlock(); task(); lk.lock();`, which holds it round to round).
    if (!I.G)
      continue;
    bool Reaches = false;
    llvm::SmallVector<const CFGBlock *, 16> Work{L.Transition};
    llvm::DenseSet<const CFGBlock *> Seen;
    while (!Work.empty() && !Reaches) {
      const CFGBlock *B = Work.pop_back_val();
      if (!B || !Seen.insert(B).second)
        continue;
      bool Released = false;
      for (const CFGElement &E : *B) {
        if (auto SE = E.getAs<CFGStmt>(); SE && SE->getStmt() == H.Site) {
          Reaches = true;
          break;
        }
        llvm::SmallVector<LockEvent, 2> Events;
        Locks.eventsOf(E, I.Guards, Events);
        for (const LockEvent &Ev : Events)
          Released |= !Ev.Wait && Ev.Kind != LockEvent::Acquire &&
                      lockKey(I, Ev).sameObject(K);
        if (Released)
          break;
      }
      if (!Released && !Reaches)
        Work.append(B->succ_begin(), B->succ_end());
    }
    if (!Reaches)
      continue;
    Done.insert(H.Site);
    // Where this way comes round: its `continue`, else its last statement.
    const Stmt *Round = L.Back->getTerminatorStmt();
    if (!llvm::isa_and_nonnull<ContinueStmt>(Round)) {
      Round = nullptr;
      for (const CFGElement &E : llvm::reverse(*L.Back))
        if (auto SE = E.getAs<CFGStmt>()) {
          Round = SE->getStmt();
          break;
        }
    }
    std::string Name = K.str();
    BlockingFinding F;
    F.Kind = BlockingFinding::SelfDeadlock;
    F.At = H.Site;
    F.Message = "'" + Name +
                "' is acquired again by code that already holds it: a round "
                "of the loop can come back here without releasing it, and "
                "the next round waits for itself forever";
    F.Notes.push_back({H.Site, "'" + Name + "' is acquired here"});
    if (Round)
      F.Notes.push_back(
          {Round, "this way back round the loop keeps '" + Name + "' held"});
    Out.push_back(std::move(F));
  }
}

void BlockingAnalysis::Impl::reportLockOrder(
    std::vector<BlockingFinding> &Out) {
  const SourceManager &SM = Ctx.getSourceManager();
  llvm::DenseSet<std::pair<const ValueDecl *, const ValueDecl *>> Done;
  llvm::DenseSet<std::pair<const Stmt *, const Stmt *>> DoneSites;
  for (size_t A = 0; A < Edges.size(); ++A)
    for (size_t B = A + 1; B < Edges.size(); ++B) {
      const Edge &E1 = Edges[A], &E2 = Edges[B];
      auto Matches = [](const ObjectKey &P, const ObjectKey &Q) {
        return P.sameObject(Q) && !surelyDistinct(P, Q);
      };
      if (!Matches(E1.From, E2.To) || !Matches(E1.To, E2.From))
        continue;
      // A reader/writer mutex that one order holds for reading and the
      // other takes for reading lets the second in: no cycle there
      // (ros_comm#2121's fix: the callback's shared hold, and the shared
      // re-acquisition of a removal made from within a callback). Unless a
      // writer that waits holds new readers back, and one may wait for it
      // (serf#507: a third goroutine's Lock() between the two RLock()s).
      auto ReadersPass = [&](const ObjectKey &K) {
        return !writerPreferring(K) ||
               llvm::none_of(Acquisitions, [&](const Acquisition &A) {
                 return !A.Shared && A.Key.sameObject(K);
               });
      };
      if ((E1.FromHeld.Shared && E2.ToShared && ReadersPass(E1.From)) ||
          (E2.FromHeld.Shared && E1.ToShared && ReadersPass(E2.From)))
        continue;
      const ValueDecl *X = E1.From.object(), *Y = E1.To.object();
      if (X > Y)
        std::swap(X, Y);
      // (Two mutexes of one abstract object: one finding per site pair.)
      if (X == Y ? !DoneSites.insert({E1.ToSite, E2.ToSite}).second
                 : !Done.insert({X, Y}).second)
        continue;
      // Report at the later acquisition; the earlier order is the witness.
      // An acquisition inside a lock wrapper (a function that returns
      // holding what it took, and releases nothing: `mysql_mutex_lock(
      // &thd->lock)`) is the wrapper's call.
      auto SiteOf = [&](const Edge &E) -> const Stmt * {
        for (const CallExpr *C : E.ToChain) {
          const FunctionDecl *Callee = C->getDirectCallee();
          const CodeUnit *U =
              Callee ? Inv.unitOf(analysableDefinition(Callee, Ctx)) : nullptr;
          auto It = U ? Infos.find(U) : Infos.end();
          // (One that releases on the way, `unlock(); ...; lock();`, is
          // not a wrapper: the acquisition is its own.)
          if (It != Infos.end() && !It->second->Sum.ExitHeld.empty() &&
              It->second->Sum.MayRelease.empty())
            return C;
        }
        return E.ToSite;
      };
      const Edge *First = &E1, *Second = &E2;
      if (SM.isBeforeInTranslationUnit(SiteOf(E2)->getBeginLoc(),
                                       SiteOf(E1)->getBeginLoc()))
        std::swap(First, Second);
      BlockingFinding F;
      F.Kind = BlockingFinding::LockOrder;
      F.At = SiteOf(*Second);
      std::string P = Second->From.str(), Q = Second->To.str();
      std::string FP = First->From.str(), FQ = First->To.str();
      // Two mutexes written alike: name them by their class.
      if (P == Q || FP == FQ) {
        auto Qualified = [](const ObjectKey &K) {
          const ValueDecl *D = K.object();
          return D ? patternName(D) + (K.isElement() ? "[...]" : "") : K.str();
        };
        P = Qualified(Second->From);
        Q = Qualified(Second->To);
        FP = Qualified(First->From);
        FQ = Qualified(First->To);
      }
      F.Message = "lock-order inversion: '" + Q + "' is acquired while '" + P +
                  "' is held, and " + unitName(*First->Unit) + " acquires '" +
                  FQ + "' while holding '" + FP +
                  "'; two threads taking both orders wait for each other "
                  "forever";
      heldNotes(F.Notes, First->FromHeld);
      addChainNotes(F.Notes, First->ToChain,
                    "holding '" + First->From.str() + "'");
      F.Notes.push_back({First->ToSite,
                         "'" + First->To.str() +
                             (RewaitSites.contains(First->ToSite)
                                  ? "' is taken back here, by the wait, while '"
                                  : "' is acquired here while '") +
                             First->From.str() + "' is held"});
      heldNotes(F.Notes, Second->FromHeld);
      addChainNotes(F.Notes, Second->ToChain, "holding '" + P + "'");
      Out.push_back(std::move(F));
    }
}

void BlockingAnalysis::Impl::addFunctionObject(const ValueDecl *Target,
                                               const Expr *Src) {
  if (!Target || !(isFunctionObjectType(Target->getType()) ||
                   isFunctionObjectContainer(Target->getType())))
    return;
  bool Container = isFunctionObjectContainer(Target->getType());
  // What a function object is given: lambdas, through copies, std::move,
  // a parameter of a function whose call sites we see, and another
  // function object (resolved once every one is known).
  std::function<void(const ParmVarDecl *, unsigned,
                     llvm::SmallVectorImpl<const FunctionDecl *> &)>
      FromParam;
  std::function<void(const Expr *, unsigned,
                     llvm::SmallVectorImpl<const FunctionDecl *> &)>
      Sources = [&](const Expr *E, unsigned Depth,
                    llvm::SmallVectorImpl<const FunctionDecl *> &Out) {
        // Deep enough for a lambda converted to a std::function argument
        // of a constructor that moves its parameter into the member.
        if (!E || Depth > 5)
          return;
        E = bareExpr(E);
        if (const auto *LE = llvm::dyn_cast<LambdaExpr>(E)) {
          Out.push_back(LE->getCallOperator());
          return;
        }
        // A function (`&f`, `f`, a static member `&C::f`) given to a
        // pointer to functions.
        if (const auto *UO = llvm::dyn_cast<UnaryOperator>(E);
            UO && UO->getOpcode() == UO_AddrOf)
          E = bareExpr(UO->getSubExpr());
        if (const auto *FRef = llvm::dyn_cast<DeclRefExpr>(E))
          if (const auto *Fn = llvm::dyn_cast<FunctionDecl>(FRef->getDecl());
              Fn && (!llvm::isa<CXXMethodDecl>(Fn) ||
                     llvm::cast<CXXMethodDecl>(Fn)->isStatic())) {
            if (const FunctionDecl *Def = analysableDefinition(Fn, Ctx))
              Out.push_back(Def);
            return;
          }
        if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(E)) {
          if (CE->getNumArgs() >= 1)
            Sources(CE->getArg(0), Depth + 1, Out);
          return;
        }
        if (const auto *C = llvm::dyn_cast<CallExpr>(E)) {
          if (isIdentityLike(C) && C->getNumArgs() == 1) {
            Sources(C->getArg(0), Depth + 1, Out);
            return;
          }
          // `std::make_shared<std::function<void()>>(cb)`: what it holds.
          if (isStdFactory(C->getDirectCallee()) && C->getNumArgs() == 1) {
            Sources(C->getArg(0), Depth + 1, Out);
            return;
          }
          // A function of ours that returns a lambda (`Up()` returning
          // `[this] { down(); }`): what it returns.
          const CodeUnit *Callee =
              C->getDirectCallee() ? Inv.unitOf(C->getDirectCallee()) : nullptr;
          if (Callee && !Callee->Lambda)
            walkOwnCode(Callee->Body, [&](const Stmt *S) {
              if (const auto *R = llvm::dyn_cast<ReturnStmt>(S))
                Sources(R->getRetValue(), Depth + 1, Out);
            });
          return;
        }
        const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E);
        if (const auto *PVD =
                DRE ? llvm::dyn_cast<ParmVarDecl>(DRE->getDecl()) : nullptr) {
          FromParam(PVD, Depth, Out);
          return;
        }
        // Another function object, a container of them, or one of its
        // elements: whatever it is given.
        const ValueDecl *Other = elementContainer(E);
        if (!Other && DRE && llvm::isa<VarDecl>(DRE->getDecl()))
          Other = DRE->getDecl();
        else if (const auto *ME = llvm::dyn_cast<MemberExpr>(E); !Other && ME)
          Other = llvm::dyn_cast<FieldDecl>(ME->getMemberDecl());
        if (Other && Other != Target &&
            (isFunctionObjectType(Other->getType()) ||
             isFunctionObjectContainer(Other->getType())))
          FunctionAliases[Target].insert(Other);
      };
  // What a container is given: its elements, in an initializer list, a
  // pair (`m.insert({k, f})`, std::make_pair) or a constructor's arguments.
  std::function<void(const Expr *, unsigned,
                     llvm::SmallVectorImpl<const FunctionDecl *> &)>
      Elements = [&](const Expr *E, unsigned Depth,
                     llvm::SmallVectorImpl<const FunctionDecl *> &Out) {
        if (!E || Depth > 4)
          return;
        E = bareExpr(E);
        if (const auto *IL = llvm::dyn_cast<InitListExpr>(E)) {
          for (const Expr *Init : IL->inits())
            Elements(Init, Depth + 1, Out);
        } else if (const auto *SIL =
                       llvm::dyn_cast<CXXStdInitializerListExpr>(E)) {
          Elements(SIL->getSubExpr(), Depth + 1, Out);
        } else if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(E);
                   CE && !isFunctionObjectType(CE->getType())) {
          for (const Expr *Arg : CE->arguments())
            Elements(Arg, Depth + 1, Out);
        } else if (const auto *C = llvm::dyn_cast<CallExpr>(E);
                   C && C->getDirectCallee() &&
                   C->getDirectCallee()->isInStdNamespace() &&
                   C->getDirectCallee()->getIdentifier() &&
                   (C->getDirectCallee()->getName() == "make_pair" ||
                    C->getDirectCallee()->getName() == "make_tuple")) {
          for (const Expr *Arg : C->arguments())
            Elements(Arg, Depth + 1, Out);
        } else {
          Sources(E, Depth, Out);
        }
      };
  FromParam = [&](const ParmVarDecl *PVD, unsigned Depth,
                  llvm::SmallVectorImpl<const FunctionDecl *> &Out) {
    const auto *FD = llvm::dyn_cast<FunctionDecl>(PVD->getDeclContext());
    if (!FD)
      return;
    unsigned Idx = PVD->getFunctionScopeIndex();
    for (const auto &[CallerUnit, Call] : Inv.callersOf(FD))
      if (const Expr *Arg = argumentFor(Call, FD, Idx))
        (Container ? Elements : Sources)(Arg, Depth + 1, Out);
    // A constructor's: what its constructions pass (`new Thread([..]{})`,
    // `std::make_unique<Callback>(plugin, [..]{})`: a constructor of as
    // many parameters).
    const auto *Ctor = llvm::dyn_cast<CXXConstructorDecl>(FD);
    if (!Ctor)
      return;
    constructionArguments(Ctor, Idx, [&](const Expr *Arg, const CodeUnit *) {
      (Container ? Elements : Sources)(Arg, Depth + 1, Out);
    });
  };
  llvm::SmallVector<const FunctionDecl *, 2> Lambdas;
  // A parameter called through: what its callers pass.
  if (!Src) {
    if (const auto *PVD = llvm::dyn_cast<ParmVarDecl>(Target))
      FromParam(PVD, 0, Lambdas);
  } else if (Container) {
    Elements(Src, 0, Lambdas);
  } else {
    Sources(Src, 0, Lambdas);
  }
  auto &List = FunctionObjects[Target];
  for (const FunctionDecl *Fn : Lambdas)
    if (const CodeUnit *U = Inv.unitOf(Fn))
      if (!llvm::is_contained(List, U))
        List.push_back(U);
}

void BlockingAnalysis::Impl::functionObjectsOf(
    const CodeUnit &U, llvm::SmallPtrSetImpl<const CXXRecordDecl *> &Classes) {
  if (const auto *Ctor = llvm::dyn_cast<CXXConstructorDecl>(U.Fn))
    for (const CXXCtorInitializer *Init : Ctor->inits())
      if (Init->getMember() && Init->isWritten())
        addFunctionObject(Init->getMember(), Init->getInit());
  // A data member's own initialiser (`std::function<void()> f = [..]{}`).
  const auto *MD = llvm::dyn_cast<CXXMethodDecl>(U.Fn);
  const CXXRecordDecl *RD = MD && !U.Lambda ? MD->getParent() : nullptr;
  if (RD && Classes.insert(RD).second)
    for (const FieldDecl *F : RD->fields())
      if (F->hasInClassInitializer())
        addFunctionObject(F, F->getInClassInitializer());
}

void BlockingAnalysis::Impl::functionObjectsAt(const CodeUnit &U,
                                               const Stmt *S) {
  if (const auto *OC = llvm::dyn_cast<CXXOperatorCallExpr>(S)) {
    if (OC->getOperator() == OO_Equal && OC->getNumArgs() == 2) {
      // `f = ...`, or `m[k] = ...`: the container's elements.
      const ValueDecl *Target = elementContainer(OC->getArg(0));
      addFunctionObject(Target ? Target : namedObject(OC->getArg(0)),
                        OC->getArg(1));
    } else if (OC->getOperator() == OO_Call && OC->getNumArgs() >= 1 &&
               isFunctionObjectType(OC->getArg(0)->getType())) {
      if (const ValueDecl *D = calledObject(OC->getArg(0))) {
        CallsThrough[&U].push_back({OC, D});
        if (llvm::isa<ParmVarDecl>(D) && !FunctionObjects.count(D))
          addFunctionObject(D, nullptr);
      }
    }
  } else if (const auto *Call = llvm::dyn_cast<CallExpr>(S);
             Call && !llvm::isa<CXXMemberCallExpr, CXXOperatorCallExpr>(S) &&
             !Call->getDirectCallee() && Call->getCallee() &&
             Call->getCallee()
                 ->IgnoreParenImpCasts()
                 ->getType()
                 ->isFunctionPointerType()) {
    // `handler_(p)`: a call through a pointer to functions.
    if (const ValueDecl *D = calledObject(Call->getCallee())) {
      CallsThrough[&U].push_back({Call, D});
      if (llvm::isa<ParmVarDecl>(D) && !FunctionObjects.count(D))
        addFunctionObject(D, nullptr);
    }
  } else if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S)) {
    // `a.swap(b)`: each holds what the other held (`callbacks.swap(
    // impl_->callbacks)`, then the local's elements are called).
    const CXXMethodDecl *M = MC->getMethodDecl();
    if (M && M->getIdentifier() && M->getName() == "swap" &&
        MC->getNumArgs() == 1) {
      const ValueDecl *A = namedObject(MC->getImplicitObjectArgument());
      const ValueDecl *B = namedObject(MC->getArg(0));
      if (A && B && A != B &&
          (isFunctionObjectType(A->getType()) ||
           isFunctionObjectContainer(A->getType()))) {
        FunctionAliases[A].insert(B);
        FunctionAliases[B].insert(A);
      }
      return;
    }
    // `v.push_back(f)`, `m.emplace(k, f)`: elements of the container;
    // `m[k].push_back(f)`: of the registry the list is an element of.
    const Expr *Into = MC->getImplicitObjectArgument();
    if (storesElements(MC->getMethodDecl()))
      if (const ValueDecl *C = elementContainer(Into) ? elementContainer(Into)
                                                      : namedObject(Into);
          C && isFunctionObjectContainer(C->getType()))
        for (const Expr *Arg : MC->arguments())
          addFunctionObject(C, Arg);
  } else if (const auto *For = llvm::dyn_cast<CXXForRangeStmt>(S)) {
    // `for (auto &f : v)`, `for (auto &[k, f] : m)`: each element in turn.
    const ValueDecl *C = namedObject(For->getRangeInit());
    const VarDecl *LV = For->getLoopVariable();
    if (C && LV && isFunctionObjectContainer(C->getType())) {
      if (isFunctionObjectType(LV->getType()))
        FunctionAliases[LV].insert(C);
      if (const auto *DD = llvm::dyn_cast<DecompositionDecl>(LV))
        for (const BindingDecl *B : DD->bindings())
          if (isFunctionObjectType(B->getType()))
            FunctionAliases[B].insert(C);
      if (llvm::isa<ParmVarDecl>(C) && !FunctionObjects.count(C))
        addFunctionObject(C, nullptr);
    }
  } else if (const auto *DS = llvm::dyn_cast<DeclStmt>(S)) {
    for (const Decl *D : DS->decls())
      if (const auto *VD = llvm::dyn_cast<VarDecl>(D))
        if (VD->getInit())
          addFunctionObject(VD, VD->getInit());
  } else if (const auto *BO = llvm::dyn_cast<BinaryOperator>(S);
             BO && BO->getOpcode() == BO_Assign) {
    // `stream.process = output_callback;`: a C callback table's pointer
    // to functions (SDL's PipeWire stream events).
    addFunctionObject(namedObject(BO->getLHS()), BO->getRHS());
  } else if (const auto *IL = llvm::dyn_cast<InitListExpr>(S)) {
    // `return {[this] { lk_.unlock(); }};`: an aggregate's function-object
    // members hold what initialises them (kubo's Unlocker).
    const auto *RD = IL->getType()->getAsCXXRecordDecl();
    if (!RD || !RD->isAggregate() || IL->isTransparent() ||
        RD->getNumBases() != 0 || RD->isUnion())
      return;
    unsigned Index = 0;
    for (const FieldDecl *F : RD->fields()) {
      if (Index >= IL->getNumInits())
        break;
      if (isFunctionObjectType(F->getType()))
        addFunctionObject(F, IL->getInit(Index));
      ++Index;
    }
  }
}

bool BlockingAnalysis::Impl::afterSelect(
    const llvm::MapVector<const CodeUnit *, const Stmt *> &From) {
  for (const auto &[U, Site] : From) {
    auto It = Selects.find(U);
    if (It != Selects.end())
      for (const Stmt *Sel : It->second)
        if (Sel != Site && mayReach(U, Sel, Site))
          return true;
  }
  return false;
}

std::optional<ObjectKey>
BlockingAnalysis::Impl::factoryKey(const UnitInfo &I, const VarDecl *VD,
                                   unsigned Depth) const {
  const CallExpr *F = Contexts->factoryCall(VD->getInit());
  if (!F)
    return std::nullopt;
  if (const Expr *Parent = Contexts->parentOf(F)) {
    if (std::optional<ObjectKey> K = contextKey(I, Parent, Depth + 1))
      return K;
    return I.KB->keyOf(Parent);
  }
  ObjectKey K;
  K.Root = ObjectKey::Var;
  K.RootVar = VD;
  return K;
}

const FieldDecl *
BlockingAnalysis::Impl::forwardedDoneMember(const CallExpr *Call) const {
  // A method of the translation unit whose body only returns the done
  // channel of a context member of its object: `chan Dying() { return
  // dying_.done(); }` (a catacomb's, a tomb's, a worker's).
  const auto *MC = llvm::dyn_cast_or_null<CXXMemberCallExpr>(Call);
  const CXXMethodDecl *M = MC ? MC->getMethodDecl() : nullptr;
  if (!Contexts || !M || M->isVirtual())
    return nullptr;
  const Expr *Returned = accessorReturnValue(M);
  const auto *Inner =
      Returned ? llvm::dyn_cast<CallExpr>(bareExprThroughCopies(Returned))
               : nullptr;
  const Expr *Ctx = Inner ? Contexts->doneOf(Inner) : nullptr;
  const auto *ME =
      Ctx ? llvm::dyn_cast<MemberExpr>(bareExprThroughCopies(Ctx)) : nullptr;
  const auto *Member =
      ME ? llvm::dyn_cast<FieldDecl>(ME->getMemberDecl()) : nullptr;
  if (!Member || Member->getType()->isReferenceType() ||
      Member->getType()->isPointerType() ||
      !llvm::isa<CXXThisExpr>(bareExpr(ME->getBase())))
    return nullptr;
  return Member;
}

std::optional<ObjectKey>
BlockingAnalysis::Impl::forwardedDone(const UnitInfo &I, const CallExpr *Call,
                                      unsigned Depth) const {
  // Called on an object we can name: that object's member.
  const FieldDecl *Member = forwardedDoneMember(Call);
  if (!Member || Depth > 4)
    return std::nullopt;
  ObjectKey K = I.KB->keyOf(
      llvm::cast<CXXMemberCallExpr>(Call)->getImplicitObjectArgument());
  if (!K.valid() || K.isElement())
    return std::nullopt;
  K.Path.push_back(Member);
  return K;
}

std::optional<ObjectKey>
BlockingAnalysis::Impl::contextKey(const UnitInfo &I, const Expr *E,
                                   unsigned Depth) const {
  if (!Contexts || Contexts->empty() || !E || Depth > 4)
    return std::nullopt;
  E = bareExprThroughCopies(E);
  if (const auto *Call = llvm::dyn_cast<CallExpr>(E)) {
    const Expr *Ctx = Contexts->doneOf(Call);
    if (!Ctx)
      return forwardedDone(I, Call, Depth);
    if (std::optional<ObjectKey> K = contextKey(I, Ctx, Depth + 1))
      return K;
    return I.KB->keyOf(Ctx);
  }
  if (!Contexts->isContextType(E->getType()))
    return std::nullopt;
  if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(E)) {
    if (const auto *BD = llvm::dyn_cast<BindingDecl>(DRE->getDecl()))
      if (const auto *DD =
              llvm::dyn_cast_or_null<VarDecl>(BD->getDecomposedDecl()))
        return factoryKey(I, DD, Depth);
    if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl());
        VD && VD->getInit() && !llvm::isa<ParmVarDecl>(VD) &&
        !VD->getType()->isReferenceType()) {
      if (std::optional<ObjectKey> K = factoryKey(I, VD, Depth))
        return K;
      // An init-capture, or a local copy never given another value.
      if (VD->isInitCapture() ||
          (VD->hasLocalStorage() && !I.KB->isReassigned(VD)))
        return contextKey(I, VD->getInit(), Depth + 1);
    }
    return std::nullopt;
  }
  // `p.first` of `auto p = with_cancel()`.
  if (const auto *ME = llvm::dyn_cast<MemberExpr>(E);
      ME && isPairMember(ME->getMemberDecl()))
    if (const auto *DRE =
            llvm::dyn_cast<DeclRefExpr>(bareExprThroughCopies(ME->getBase())))
      if (const auto *VD = llvm::dyn_cast<VarDecl>(DRE->getDecl()))
        return factoryKey(I, VD, Depth);
  return std::nullopt;
}

std::optional<ObjectKey>
BlockingAnalysis::Impl::cancelKey(const UnitInfo &I, const CallExpr *Call,
                                  const Expr *&Callee) const {
  if (!Contexts || Contexts->empty())
    return std::nullopt;
  if (const Expr *Ctx = Contexts->cancelledBy(Call)) {
    Callee = Ctx;
    if (std::optional<ObjectKey> K = contextKey(I, Ctx))
      return K;
    return I.KB->keyOf(Ctx);
  }
  // A call of the cancel function: `cancel()`, `p.second()`.
  const VarDecl *Made = Contexts->cancelFunctionCall(
      Call, Callee, [&](const VarDecl *VD) { return !I.KB->isReassigned(VD); });
  return Made ? factoryKey(I, Made, 0) : std::nullopt;
}

ChannelOp BlockingAnalysis::Impl::caseOp(const CallExpr *Call) const {
  return Cases.caseOp(Call, Channels, !NonBlockingCases.count(Call));
}

bool BlockingAnalysis::Impl::touchesSync(const Stmt *S) const {
  if (const auto *Call = llvm::dyn_cast<CallExpr>(S)) {
    if (Channels.classify(Call) || classifyFutureOp(Call))
      return true;
    // A context's cancel, through a member or the cancel function (a
    // copy of it too: whether it is reassigned is the dataflow's
    // question).
    const Expr *Callee = nullptr;
    if (Contexts && (Contexts->cancelledBy(Call) ||
                     Contexts->cancelFunctionCall(
                         Call, Callee, [](const VarDecl *) { return true; })))
      return true;
    // A join: a caller may hold a lock the thread needs.
    if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(Call))
      if (const CXXMethodDecl *M = MC->getMethodDecl();
          M && M->getIdentifier() && M->getName() == "join" &&
          MC->getNumArgs() == 0 && ThreadTypes.contains(M->getParent()))
        return true;
    // A channel handed on: where it goes may be a partner.
    for (const Expr *Arg : Call->arguments())
      if (Channels.specForType(Arg->getType()))
        return true;
    const FunctionDecl *FD = Call->getDirectCallee();
    if (FD && FD->getIdentifier() &&
        llvm::StringRef(foldedName(FD->getName())).contains("lock"))
      return true;
    return bool(Counters.classify(llvm::dyn_cast<CXXMemberCallExpr>(Call)));
  }
  if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(S))
    return Locks.isGuardConstruction(CE);
  if (const auto *For = llvm::dyn_cast<CXXForRangeStmt>(S))
    return bool(Channels.rangeReceive(For));
  return false;
}

std::vector<BlockingFinding> BlockingAnalysis::Impl::run() {
  // Reference and pointer members are what they refer to, for the whole
  // run (and for the dump after it).
  threadleak::MemberTargets Resolve([this](const FieldDecl *F) { return memberTarget(F); });
  // One walk over every unit: which units matter (those with a lock event,
  // a channel operation, a wait or a notify, and below, those that call
  // them), what is written inside a loop, what function objects are given
  // and where they are called.
  llvm::SmallVector<const CodeUnit *, 16> Work;
  llvm::SmallPtrSet<const CXXRecordDecl *, 16> Classes;
  const IdentifierInfo *RequestStop = RequestStopId =
      &Ctx.Idents.get("request_stop");
  for (const auto &UP : Inv.units()) {
    const CodeUnit *U = UP.get();
    ++Stats.Units;
    functionObjectsOf(*U, Classes);
    bool Modelled = isModelledImplementation(*U);
    bool Touches = !U->Waits.empty() || !U->Notifies.empty();
    walkOwnCode(U->Body, [&](const Stmt *S) {
      functionObjectsAt(*U, S);
      if (!Touches && !Modelled)
        Touches = touchesSync(S);
      if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S))
        if (const CXXMethodDecl *MD = MC->getMethodDecl();
            MD && MD->getIdentifier() == RequestStop) {
          StopRequests.push_back({U, MC});
          Touches = true;
        }
      if (llvm::isa<WhileStmt, ForStmt, DoStmt>(S))
        if (const CXXMemberCallExpr *MC = stopOnlyLoop(S)) {
          StopLoops[MC] = S;
          Touches = true;
        }
      const Stmt *LoopBody = loopBody(S);
      if (LoopBody && !bodyRunsOnce(S, Ctx))
        for (const Stmt *Part : loopRepeats(S))
          walkOwnCode(Part, [&](const Stmt *In) {
            if (llvm::isa<CallExpr, LambdaExpr, ForStmt, WhileStmt, DoStmt,
                          CXXForRangeStmt>(In))
              LoopOf[In] = S; // inner loops come later and overwrite
          });
    });
    if (Touches && !Modelled) {
      info(U).Relevant = true;
      Work.push_back(U);
    }
  }
  // Function objects given other ones hold what those hold.
  for (bool Changed = true; Changed;) {
    Changed = false;
    for (const auto &[D, Others] : FunctionAliases)
      for (const ValueDecl *O : Others) {
        auto It = FunctionObjects.find(O);
        if (It == FunctionObjects.end())
          continue;
        llvm::SmallVector<const CodeUnit *, 2> Add(It->second.begin(),
                                                   It->second.end());
        auto &List = FunctionObjects[D];
        for (const CodeUnit *U : Add)
          if (!llvm::is_contained(List, U)) {
            List.push_back(U);
            Changed = true;
          }
      }
  }
  // Who calls a lambda through a std::function, or an overrider through
  // its base.
  for (const auto &[Unit, Calls] : CallsThrough)
    for (const auto &[Call, D] : Calls)
      if (auto FO = FunctionObjects.find(D); FO != FunctionObjects.end())
        for (const CodeUnit *Target : FO->second)
          IndirectCallers[Target].push_back({Unit, Call});
  for (const auto &UP : Inv.units())
    for (const CodeUnit::Dispatch &D : UP->Dispatches)
      for (const FunctionDecl *Fn : D.Targets)
        if (const CodeUnit *Target = Inv.unitOf(Fn))
          IndirectCallers[Target].push_back({UP.get(), D.Call});
  // Callers of relevant units are relevant.
  while (!Work.empty()) {
    const CodeUnit *U = Work.pop_back_val();
    llvm::SmallVector<const CodeUnit *, 4> Callers;
    for (const auto &[Caller, Call] : Inv.callersOf(U->Fn))
      Callers.push_back(Caller);
    if (auto It = IndirectCallers.find(U); It != IndirectCallers.end())
      for (const auto &[Caller, Call] : It->second)
        Callers.push_back(Caller);
    for (const CodeUnit *Caller : Callers) {
      UnitInfo &CI = info(Caller);
      if (!CI.Relevant && !isModelledImplementation(*Caller)) {
        CI.Relevant = true;
        Work.push_back(Caller);
      }
    }
  }
  // Callees before their callers, so that each summary is computed once,
  // whole, at depth 0 (a summary computed deep in a chain stops at the
  // depth limit, and would be kept so for every caller): a post-order walk
  // over the calls, in the inventory's order.
  llvm::DenseMap<const CodeUnit *, llvm::SmallVector<const CodeUnit *, 4>>
      Callees;
  for (const auto &UP : Inv.units()) {
    const CodeUnit *V = UP.get();
    for (const auto &[Caller, Call] : Inv.callersOf(V->Fn))
      if (Caller && Caller != V)
        Callees[Caller].push_back(V);
    if (auto It = IndirectCallers.find(V); It != IndirectCallers.end())
      for (const auto &[Caller, Call] : It->second)
        if (Caller && Caller != V)
          Callees[Caller].push_back(V);
  }
  llvm::DenseSet<const CodeUnit *> Visited;
  for (const auto &UP : Inv.units()) {
    if (!Visited.insert(UP.get()).second)
      continue;
    llvm::SmallVector<std::pair<const CodeUnit *, size_t>, 16> Stack{
        {UP.get(), 0}};
    while (!Stack.empty()) {
      auto &[U, Next] = Stack.back();
      auto CI = Callees.find(U);
      if (CI != Callees.end() && Next < CI->second.size()) {
        const CodeUnit *C = CI->second[Next++];
        if (Visited.insert(C).second)
          Stack.push_back({C, 0});
        continue;
      }
      auto It = Infos.find(U);
      if (It != Infos.end() && It->second->Relevant &&
          It->second->Status == UnitInfo::NotYet)
        analyse(*It->second, 0);
      Stack.pop_back();
    }
  }
  if (crosstu::Recording *Rec = crosstu::recording())
    recordAcquires(*Rec);
  std::vector<BlockingFinding> Out = std::move(Findings);
  reportLeaks(Out);
  reportLoopLeaks(Out);
  reportLockOrder(Out);
  reportRecursiveReads(Out);
  reportBlocked(Out);
  reportJoins(Out);
  reportCounterJoins(Out);
  reportJoinsFirst(Out);
  dropDeadFindings(Out);
  // One finding per location, in source order.
  const SourceManager &SM = Ctx.getSourceManager();
  llvm::stable_sort(Out,
                    [&](const BlockingFinding &L, const BlockingFinding &R) {
                      return SM.isBeforeInTranslationUnit(L.At->getBeginLoc(),
                                                          R.At->getBeginLoc());
                    });
  std::vector<BlockingFinding> Unique;
  llvm::DenseSet<const Stmt *> Seen;
  for (BlockingFinding &F : Out)
    if (F.At && Seen.insert(F.At).second) {
      externalNotes(F);
      Unique.push_back(std::move(F));
    }
  // An operation of a class read as a channel: say why it is one.
  for (BlockingFinding &F : Unique)
    if (const auto *Call = llvm::dyn_cast<CallExpr>(F.At))
      if (ChannelOp Op = Channels.classify(Call))
        if (const InferredChannel *IC = Channels.inferredFor(Op.Spec))
          if (const auto *MD = llvm::dyn_cast_or_null<CXXMethodDecl>(
                  Call->getDirectCallee()))
            F.Notes.push_back(
                {nullptr,
                 "'" + IC->Spec.Type +
                     "' is read as a channel: " + IC->reasonFor(MD),
                 patternLocation(MD)});
  return Unique;
}

void BlockingAnalysis::Impl::dropDeadFindings(
    std::vector<BlockingFinding> &Out) {
  if (Out.empty())
    return;
  llvm::DenseMap<const Stmt *, const CodeUnit *> UnitOf;
  for (const BlockingFinding &F : Out)
    UnitOf[F.At] = nullptr;
  for (const auto &U : Inv.units())
    walkOwnCode(U->Body, [&](const Stmt *S) {
      if (auto It = UnitOf.find(S); It != UnitOf.end() && !It->second)
        It->second = U.get();
    });
  // Reported where a branch cannot run: its member is never given a value
  // that takes it.
  llvm::erase_if(Out, [&](const BlockingFinding &F) {
    const CodeUnit *U = UnitOf.lookup(F.At);
    return U && cannotRun(F.At, U->Body, Ctx);
  });
  // Only in a program: its `main` is here, so a function of this file that
  // nothing calls never runs.
  if (Out.empty() || llvm::none_of(Inv.units(), [](const auto &U) {
        return U->Fn && !U->Lambda && U->Fn->isMain();
      }))
    return;
  llvm::erase_if(Out, [&](const BlockingFinding &F) {
    std::string Why;
    const CodeUnit *U = UnitOf.lookup(F.At);
    return U && deadUnit(U, 0, Why, /*Uncalled=*/true);
  });
}

void BlockingAnalysis::Impl::dump(llvm::raw_ostream &OS) {
  threadleak::MemberTargets Resolve([this](const FieldDecl *F) { return memberTarget(F); });
  const SourceManager &SM = Ctx.getSourceManager();
  auto WhereLoc = [&](SourceLocation L) {
    PresumedLoc P = SM.getPresumedLoc(SM.getExpansionLoc(L));
    if (P.isInvalid())
      return std::string("?");
    return std::to_string(P.getLine()) + ":" + std::to_string(P.getColumn());
  };
  auto Where = [&](const Stmt *S) {
    return S ? WhereLoc(S->getBeginLoc()) : std::string("?");
  };
  auto Name = [&](const CodeUnit &U) {
    return U.Lambda ? "lambda at " + Where(U.Lambda) : unitName(U);
  };
  // Units in the translation unit's order.
  std::vector<const UnitInfo *> Units;
  for (const auto &UP : Inv.units()) {
    auto It = Infos.find(UP.get());
    if (It != Infos.end() && It->second->Status == UnitInfo::Done)
      Units.push_back(It->second.get());
  }
  OS << "# threadleak model: " << Units.size() << " of " << Inv.units().size()
     << " code units analysed\n";
  if (LeftOut.first)
    OS << "# incomplete: " << Name(*LeftOut.first) << " (" << LeftOut.second
       << ") and any other unit left out may name any data member, so no "
          "question about one is asked\n";
  for (const UnitInfo *I : Units) {
    const CodeUnit &U = *I->U;
    auto Callers = Inv.callersOf(U.Fn);
    bool Indirect = IndirectCallers.count(&U) != 0;
    OS << "\nunit " << Name(U) << " (" << Where(U.Body) << ")";
    llvm::SmallVector<std::pair<const CodeUnit *, const Stmt *>, 1> Threads;
    if (!U.Lambda) {
      computeRunSites();
      if (auto TS = ThreadStarts.find(U.Fn->getCanonicalDecl());
          TS != ThreadStarts.end())
        Threads = TS->second;
    }
    if (Callers.empty() && !Indirect && !Threads.empty()) {
      OS << " [context: a thread started at";
      for (const auto &TS : Threads)
        OS << " " << Where(TS.second);
      OS << "]";
    } else if (Callers.empty() && !Indirect)
      OS << (U.Lambda ? " [context: a thread body or callback]"
                      : " [root: nothing here calls it]");
    else
      OS << " [callers: " << Callers.size()
         << (Indirect ? " + std::function" : "") << "]";
    OS << "\n";
    // The skeleton, in source order (the record pass visits blocks in
    // the CFG's order).
    auto Skel = I->Skeleton;
    llvm::stable_sort(Skel, [&](const auto &L, const auto &R) {
      return SM.isBeforeInTranslationUnit(std::get<0>(L), std::get<0>(R));
    });
    for (const auto &[At, What, Held] : Skel)
      OS << "  " << WhereLoc(At) << "  " << What << "  held " << Held << "\n";
    OS << "  summary:";
    std::vector<std::string> Said;
    for (const Effect &Ef : I->Sum.Effects) {
      std::string E = std::string(Ef.Kind == Effect::Acquire ? "acquires "
                                  : Ef.Kind == Effect::Join  ? "joins "
                                                             : "blocks on ") +
                      Ef.Key.str() + (Ef.Chain.empty() ? "" : " (via calls)");
      // What it requires of the parameters: `if lock`, `if !lock`.
      for (const auto &[P, V] : Ef.Requires)
        E += std::string(" if ") + (V ? "" : "!") + P->getNameAsString();
      if (llvm::is_contained(Said, E))
        continue;
      Said.push_back(E);
      OS << " " << E << ";";
    }
    if (!I->Sum.ExitHeld.empty()) {
      OS << " returns holding";
      for (const HeldLock &H : I->Sum.ExitHeld)
        OS << " " << H.Key.str();
      OS << ";";
    }
    if (!I->Sum.MayRelease.empty()) {
      OS << " may release";
      for (const ObjectKey &K : I->Sum.MayRelease)
        OS << " " << K.str();
      OS << ";";
    }
    OS << "\n";
  }
  // std::function targets.
  std::vector<std::string> Lines;
  for (const auto &[D, Targets] : FunctionObjects) {
    std::string L = "  " + D->getQualifiedNameAsString() + " ->";
    for (const CodeUnit *T : Targets)
      L += " " + Name(*T);
    Lines.push_back(L);
  }
  llvm::sort(Lines);
  OS << "\nfunction objects:\n";
  for (const std::string &L : Lines)
    OS << L << "\n";
  // Abstract objects and the names that reach them.
  std::map<std::string, std::set<std::string>> Objects;
  auto Add = [&](const ObjectKey &K) {
    if (const ValueDecl *D = K.object())
      Objects[D->getQualifiedNameAsString() + (K.isElement() ? "[...]" : "")]
          .insert(K.str());
  };
  for (const OpRecord &R : Ops)
    Add(R.Object);
  for (const Acquisition &A : Acquisitions)
    Add(A.Key);
  OS << "\nobjects:\n";
  for (const auto &[Obj, Names] : Objects) {
    OS << "  " << Obj << " <-";
    for (const std::string &N : Names)
      OS << " " << N;
    OS << "\n";
  }
  // Waits only a stop ends, and the sources their tokens were traced to.
  std::vector<std::pair<std::pair<unsigned, unsigned>, std::string>> Stops;
  for (const StopWaitSite &SW : StopWaits) {
    PresumedLoc P = SM.getPresumedLoc(
        SM.getExpansionLoc((SW.Loop ? SW.Loop : SW.Op.Call)->getBeginLoc()));
    TokenTrace T;
    std::string L = "  " + Where(SW.Loop ? SW.Loop : SW.Op.Call) + " " +
                    (SW.Loop ? "loop" : "wait") + " in " + Name(*SW.Op.Unit) +
                    ": ";
    if (!stopSources(SW.Token, 0, T) || T.Sources.empty()) {
      L += "token not traced (a std::jthread's, a lambda's parameter, or "
           "from code another file may run)";
    } else {
      L += "stop of";
      for (const ValueDecl *D : T.Sources)
        L += " " + sourceName(D);
    }
    Stops.push_back(
        {{P.isValid() ? P.getLine() : 0, P.isValid() ? P.getColumn() : 0}, L});
  }
  if (!Stops.empty()) {
    llvm::sort(Stops);
    OS << "\nwaits only a stop ends:\n";
    for (const auto &[At, L] : Stops)
      OS << L << "\n";
  }
  // The project's own classes read as channels.
  std::vector<const InferredChannel *> Read = Channels.inferred();
  if (Read.empty())
    return;
  OS << "\nchannels read from classes:\n";
  for (const InferredChannel *IC : Read) {
    const ChannelSpec &S = IC->Spec;
    OS << "  " << S.Type << " (" << WhereLoc(IC->Class->getLocation()) << "): ";
    if (S.Unbuffered)
      OS << "unbuffered";
    else if (S.CapacityArgument)
      OS << "capacity: constructor argument " << *S.CapacityArgument
         << (S.DefaultCapacity ? ", else " + std::to_string(*S.DefaultCapacity)
                               : std::string());
    else if (S.DefaultCapacity)
      OS << "capacity " << *S.DefaultCapacity;
    else
      OS << "capacity unknown";
    OS << "\n";
    for (const auto &[MD, Why] : IC->Reasons)
      OS << "    " << WhereLoc(MD->getLocation()) << "  "
         << channelOpName(IC->kindOf(MD)) << ": " << Why << "\n";
  }
}

BlockingAnalysis::BlockingAnalysis(ASTContext &Ctx, const SyncInventory &Inv,
                                   const LockModel &Locks,
                                   const ChannelModel &Channels,
                                   const ConditionVariableModel &CVs,
                                   const CounterModel &Counters,
                                   const NameList &ThreadTypes,
                                   unsigned MaxCallDepth)
    : P(std::make_unique<Impl>(Ctx, Inv, Locks, Channels, CVs, Counters,
                               ThreadTypes, MaxCallDepth, Stats)) {}

BlockingAnalysis::~BlockingAnalysis() = default;

std::vector<BlockingFinding> BlockingAnalysis::run() { return P->run(); }

void BlockingAnalysis::setDumping(bool On) { P->Dumping = On; }

void BlockingAnalysis::setSelectCases(const SelectCaseModel &Cases) {
  P->Cases = Cases;
}

void BlockingAnalysis::setContexts(const ContextModel *M) { P->Contexts = M; }

void BlockingAnalysis::setWriterPreferringMutexes(const NameList &Types) {
  P->WriterPreferring = Types;
}

void BlockingAnalysis::setRunOnceFunctions(const NameList &Fns) {
  P->RunOnce = Fns;
}

void BlockingAnalysis::setUnanalysedTemplates(
    std::vector<const FunctionDecl *> Fns) {
  P->UnanalysedTemplates = std::move(Fns);
}

void BlockingAnalysis::dump(llvm::raw_ostream &OS) const { P->dump(OS); }

} // namespace clang::tidy::threadleak
