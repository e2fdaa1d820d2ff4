//===--- WaitModel.h - multi-way waits, awaited operations, cond. vars ----===//
//
// The parts of the model that the select-loop, cv-wait and coroutine
// analyses share:
//
// - multi-way waits: Asio's awaitable operator `||` (nested, flattened),
//   `make_parallel_group(...).async_wait(wait_for_one...)`, and the
//   SelectFunctions option (poll, ppoll, epoll_wait, select, ... and the
//   user's own), and a Go-style select of case objects (the model file's
//   SelectCases);
// - what makes `co_await E` throw: the I/O objects (channels, timers,
//   sockets) whose failure, closing or cancellation completes E with an
//   error, when E's completion token throws (use_awaitable, deferred) and
//   not when it returns the error as a value (as_tuple, redirect_error);
// - condition variables: which calls wait, with which predicate, whether
//   they are timed or take a std::stop_token, and which calls notify.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_MODEL_WAITMODEL_H
#define THREADLEAK_MODEL_WAITMODEL_H

#include "model/ChannelModel.h"
#include "model/ConcurrencyModel.h"
#include "model/ModelConfig.h"
#include "clang/AST/Expr.h"
#include "clang/AST/ExprCXX.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace clang::tidy::threadleak {

namespace defaults {
extern const char SelectFunctions[];
extern const char ConditionVariableTypes[];
extern const char StopMethods[];
} // namespace defaults

/// A Go-style select built from case objects, as the model file's
/// `SelectCases` declares it: `select(case_recv(a, &x), case_send(b, v),
/// case_default())`. A call with a case among its arguments is a select,
/// whatever its name: it waits until one of its cases can fire, and never
/// waits with a default case. A case constructor only describes an
/// operation; the select performs it.
class SelectCaseModel {
public:
  enum class CaseKind { None, Receive, Send, Default };

  SelectCaseModel() = default;
  /// From the model file's `SelectCases`.
  explicit SelectCaseModel(const ModelConfig::SelectCaseSpec &Spec);

  bool empty() const { return Receive.empty() && Send.empty(); }
  /// What \p E (parentheses, casts and temporaries aside) makes, if it is a
  /// call of a case constructor.
  CaseKind caseKind(const Expr *E) const;
  bool isCase(const Expr *E) const { return caseKind(E) != CaseKind::None; }
  /// Whether \p Call is a select of cases.
  bool isSelect(const CallExpr *Call) const;

  /// What a select's arguments are.
  struct Arms {
    /// Its receive and send cases, in the order written.
    llvm::SmallVector<const CallExpr *, 4> Cases;
    /// It has a default case: it never waits.
    bool Default = false;
    /// Arguments that are no case we know: each may fire.
    unsigned Others = 0;
  };
  Arms armsOf(const CallExpr *Select) const;
  /// The operation a receive or send case stands for: on its first
  /// argument, a channel \p Channels knows; none otherwise. A case of a
  /// select with a default (\p Blocks false) is a try-receive or try-send.
  ChannelOp caseOp(const CallExpr *Case, const ChannelModel &Channels,
                   bool Blocks = true) const;

private:
  NameList Receive, Send, Default;
};

/// A wait for the first of several events.
struct MultiWait {
  enum KindTy {
    /// `co_await (a || b || ...)`.
    AwaitableOr,
    /// `make_parallel_group(a, b, ...).async_wait(wait_for_one(), ...)`.
    ParallelGroup,
    /// poll, epoll_wait, select, or a user-declared select function.
    SelectCall,
    /// A select of case objects (SelectCaseModel).
    CaseSelect,
  };
  KindTy Kind = SelectCall;
  /// The `||` expression (outermost), the async_wait call, or the call.
  const Expr *Where = nullptr;
  /// Operands of `||`, operations of the group, or a select's cases other
  /// than its default; 0 when not known (a ranged group, a select over
  /// descriptors).
  unsigned Alternatives = 0;
  /// A select of cases with a default case: it never waits.
  bool HasDefault = false;
  /// The function called (SelectCall, CaseSelect), for diagnostics.
  const FunctionDecl *Callee = nullptr;
};

/// \p S as a multi-way wait, if it is one. An operand of an enclosing `||`
/// is not one by itself (only the outermost `||` is).
std::optional<MultiWait> asMultiWait(const Stmt *S,
                                     const NameList &SelectFunctions,
                                     const SelectCaseModel &Cases = {});

/// The objects whose failure (closed, cancelled, an I/O error) makes
/// `co_await E` throw. A null entry stands for an object we cannot name
/// (always one that others may reach). `a || b` throws only if both
/// operands fail, so it throws on what both throw on; `a && b` throws if
/// either fails. Returns false if E never throws on any object's failure
/// (its token returns errors as values, or E is not an asynchronous
/// operation we know).
bool awaitThrowsOn(const Expr *E,
                   llvm::SmallVectorImpl<const ValueDecl *> &Objects);

/// `co_await E` of an Asio awaitable or deferred operation: with
/// this_coro::throw_if_cancelled (the default) it throws operation_aborted
/// once the coroutine is cancelled, whatever E's own token does with
/// errors.
bool throwsIfCancelled(const Expr *E);

/// A co_spawn completion token through which the spawner can cancel the
/// coroutine: anything but a plain asio::detached (a bound cancellation
/// slot, use_awaitable in a parent that may be cancelled, deferred in a
/// parallel group).
bool spawnerCanCancel(const Expr *Token);

/// A wait on a condition variable.
struct ConditionWait {
  /// `cv.wait(...)`, or `pthread_cond_wait(&cv, &m)`.
  const CallExpr *Call = nullptr;
  /// The condition variable: a data member or a variable.
  const ValueDecl *CondVar = nullptr;
  /// The lock argument: a unique_lock (or any lockable, for
  /// condition_variable_any), or pthread_cond_wait's mutex.
  const Expr *Lock = nullptr;
  /// The predicate argument, if any.
  const Expr *Predicate = nullptr;
  /// wait_for / wait_until / timed_wait.
  bool Timed = false;
  /// Takes a std::stop_token (condition_variable_any's stop-aware waits).
  bool StopAware = false;
};

class ConditionVariableModel {
public:
  explicit ConditionVariableModel(NameList Types) : Types(std::move(Types)) {}
  /// \p Call as a wait on a condition variable of a listed type, or a
  /// pthread_cond_wait / pthread_cond_timedwait.
  std::optional<ConditionWait> asWait(const CallExpr *Call) const;
  /// The condition variable \p Call notifies (notify_one, notify_all,
  /// pthread_cond_signal, pthread_cond_broadcast), or null.
  const ValueDecl *notified(const CallExpr *Call) const;
  bool isConditionVariable(QualType T) const;

  /// Also read a project's condition-variable wrapper (see
  /// wrapperOp()): its waits and notifies are the wrapper object's.
  void setReadWrappers(bool On) { ReadWrappers = On; }
  /// \p Call wakes one waiter: notify_one(), pthread_cond_signal(), or a
  /// wrapper's notify that makes one of them.
  bool wakesOne(const CallExpr *Call) const;
  /// The name of the member function of \p Call's class that wakes every
  /// waiter instead (notify_all, pthread_cond_broadcast, or a wrapper's
  /// own), for a fix-it; empty if there is none.
  std::string wakeAllName(const CallExpr *Call) const;

private:
  /// The object of \p MC if it is a condition variable of a listed type
  /// (the method's class, or the object's), else null.
  const Expr *onConditionVariable(const CXXMemberCallExpr *MC) const;
  /// What a member function of a project's class does to the class's own
  /// condition variable when it is all the function does: waits on it
  /// once, with no predicate, outside any loop, releasing a lock its
  /// caller hands it (ceph's `Cond::Wait(Mutex &)`, a `wait(unique_lock
  /// &)`) or the class's own mutex, which callers hold through the class's
  /// lock() (a monitor: thrift's `Monitor::wait()`), or notifies it
  /// (`Signal()`, `Broadcast()`). A function that only forwards to
  /// another member function, of its class or of a member object (a
  /// pimpl), with its own parameters or constants, is what the callee is;
  /// a constant argument decides the callee's `if (timeout == 0)`.
  struct WrapperOp {
    enum KindTy { None, Wait, Notify } Kind = None;
    /// Of a wait: the parameter the caller's lock comes in, unless
    /// LockSelf.
    unsigned LockParam = 0;
    /// Of a wait: the lock released is the wrapper object itself.
    bool LockSelf = false;
    bool Timed = false;
    /// Of a notify: wakes one waiter.
    bool One = false;
  };
  /// Parameter index -> the constant a call passes.
  using ConstArgs = std::vector<std::pair<unsigned, int64_t>>;
  const WrapperOp &wrapperOp(const CXXMethodDecl *MD) const;
  WrapperOp wrapperOp(const CXXMethodDecl *MD, const ConstArgs &Args,
                      unsigned Depth) const;
  /// wrapperOp() of \p MC's callee, given the constants \p MC passes
  /// (default arguments included).
  WrapperOp wrapperOpOf(const CXXMemberCallExpr *MC) const;
  NameList Types;
  bool ReadWrappers = false;
  mutable llvm::DenseMap<const CXXMethodDecl *, WrapperOp> Wrappers;
  /// isConditionVariable() of a class of the project's, once.
  mutable llvm::DenseMap<const CXXRecordDecl *, bool> WrapperClasses;
  /// How many wrapper readings are in progress.
  mutable unsigned Reading = 0;
  mutable std::map<std::pair<const CXXMethodDecl *, ConstArgs>, WrapperOp>
      BoundWrappers;
};

/// The variable or data member an object expression names (through
/// parentheses, implicit casts, `this->`, `*p`, smart pointers' `->`), or
/// null.
const ValueDecl *namedObject(const Expr *E);

} // namespace clang::tidy::threadleak

#endif
