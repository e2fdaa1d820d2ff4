//===--- CrossTU.h - facts about functions defined in other units ---------===//
//
// A check sees one translation unit. A detached thread whose body calls
// `Scheduler::Start()`, defined in another .cpp, or a thread routine handed
// to a project's `StartThread(void (*)(void*), void*)` defined elsewhere,
// is silence to it: the body it would need is not there.
//
// Cross-TU summaries turn some of that silence into a verdict. In a first
// pass each unit records, for the functions it defines that other units can
// call, the facts a check needs and can state with certainty:
//
//   - the function loops forever with no way out (the loop analysis of
//     threadleak-detached-no-stop), with the notes that lead to the loop;
//   - the function starts a detached thread on one of its parameters;
//   - for each channel it is given as a parameter, whether every path from
//     its entry closes it (or sends to it, or receives from it for
//     certain): what the channel checks ask of a call that hands a channel
//     on;
//   - for a member function, the channel data members of its class it may
//     release: what the channel checks ask of a class whose member
//     functions are not all defined in the unit;
//   - for a stop path (a member function a condition variable's waiter
//     counts on), what it changes and notifies;
//   - the mutexes it acquires, reached from its `this`, a parameter or a
//     global (the blocking analysis's acquisitions): what
//     threadleak-blocked-forever asks of a call made while holding a lock;
//   - for a member function, the untimed waits it makes on a condition
//     variable of its own object whatever its caller passes, with what
//     each waits for: what threadleak-cv-wait-no-stop judges against the
//     stop paths of the worker that calls it.
//
// and the functions it asked about and found no body for. A second pass
// re-runs a unit that asked about a function some other unit summarised,
// with the summaries installed as a process-wide table.
//
// Both ends are process-wide and off unless a front-end installs them:
// the CLI does (in its worker processes), the clang-tidy plugin never does,
// so the plugin's results stay per translation unit.
//
// A function's identity across units is its mangled name (what the linker
// uses to tie a call to a definition): only functions with external linkage
// have one that means the same thing everywhere.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_ENGINE_CROSSTU_H
#define THREADLEAK_ENGINE_CROSSTU_H

#include "engine/ObjectKey.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/Decl.h"
#include "llvm/Support/JSON.h"
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace clang::tidy::threadleak::crosstu {

/// A place in a file of another unit: an absolute path and a byte offset.
struct Location {
  std::string File;
  unsigned Offset = 0;
};

/// An object named from a function's `this`, one of its parameters or a
/// global, through data members, by name: an ObjectKey that means the same
/// thing in every unit that sees the function's declaration.
struct AccessPath {
  enum RootKind { This, Param, Global } Root = This;
  /// The parameter's index (Param).
  unsigned Index = 0;
  /// The global's qualified name (Global).
  std::string Name;
  std::vector<std::string> Members;

  friend bool operator==(const AccessPath &A, const AccessPath &B) {
    return A.Root == B.Root && A.Index == B.Index && A.Name == B.Name &&
           A.Members == B.Members;
  }
};

/// \p K, an exact key in the terms of \p Fn (a definition), by names;
/// nullopt if other units cannot name it (a local, a member without a
/// name, a global with internal linkage).
std::optional<AccessPath> pathOf(const ObjectKey &K, const FunctionDecl *Fn);
/// \p P in the terms of \p Callee (a declaration of this unit); an
/// invalid key if a name is not found here.
ObjectKey keyOf(const AccessPath &P, const FunctionDecl *Callee);

/// The data member (through the class's bases) or variable with static
/// storage that \p Qualified (`ns::Queue::cv_`, `ns::g_stop`) names in
/// \p Ctx's unit; null if it names nothing there.
const ValueDecl *stateNamed(llvm::StringRef Qualified, ASTContext &Ctx);

/// What a check may rely on about a function defined in another unit.
struct FunctionSummary {
  /// The loop the function cannot leave, and the calls that lead there from
  /// its body (in its own unit).
  struct Forever {
    /// Calls from the function down to the loop: where, and whom they call.
    std::vector<std::pair<Location, std::string>> Chain;
    /// "no-exit", "unchanging" or "dead-exit" (EndlessLoop::KindTy).
    std::string Kind;
    Location Loop;
    /// The condition's text (unchanging, dead-exit).
    std::string Condition;
    /// The timed wait (dead-exit).
    Location Wait;
  };
  /// The function starts a detached thread that runs its parameter Param.
  struct Start {
    unsigned Param = 0;
    /// Boost interruption points end the thread's loops (somebody may call
    /// interrupt() on it).
    bool Interruptible = false;
    std::string Noun;
    /// Where the thread is detached (or created detached), and started.
    Location Detach;
    std::optional<Location> Started;
  };

  /// What every path from the function's entry does to the channel it is
  /// given as parameter Param (ChannelFlow::paramReleasedOnAllPaths, with
  /// each of the release rules).
  struct ChannelParam {
    unsigned Param = 0;
    /// Closed on every path.
    bool Closes = false;
    /// Closed or sent to on every path (releases a single receive).
    bool ClosesOrSends = false;
    /// Closed or received from, for certain, on every path (releases a
    /// single send).
    bool ClosesOrReceives = false;

    friend bool operator==(const ChannelParam &A, const ChannelParam &B) {
      return A.Param == B.Param && A.Closes == B.Closes &&
             A.ClosesOrSends == B.ClosesOrSends &&
             A.ClosesOrReceives == B.ClosesOrReceives;
    }
  };

  /// A member function: the channel data members of its class that its
  /// body may release somewhere (ChannelFlow::memberReleaseFacts), by name,
  /// sorted, by each of the release rules.
  struct MemberFacts {
    std::vector<std::string> Closes, ClosesOrSends, ClosesOrReceives;
  };

  /// A stop path's effects on the state a condition variable's waiters
  /// test (what threadleak-cv-wait-no-stop asks of a stop path): the data
  /// members and variables with static storage it may change, by qualified
  /// name, each with the first place it does; those it notifies (or
  /// releases, for a semaphore); whether it calls code that cannot be read
  /// with access to them; whether it requests a stop.
  struct StateEffects {
    std::vector<std::pair<std::string, Location>> Writes;
    std::vector<std::string> Notifies;
    bool Unknown = false;
    bool RequestsStop = false;
  };

  /// A mutex the function acquires on some path (BlockingAnalysis: its own
  /// lock events and those of the calls it makes in its unit), whatever
  /// its caller passes, with nothing released before it there.
  struct Acquire {
    AccessPath Key;
    /// Taken for reading.
    bool Shared = false;
    /// Only where each of these `bool` parameters has the value given.
    std::vector<std::pair<unsigned, bool>> Requires;
    /// Where (the lock call, or the guard).
    Location At;
  };

  /// An untimed wait, not given a stop token, on a condition variable the
  /// function's object holds (`cv_.wait(lk, pred)` in it or in a member
  /// function it calls on `this`), on every call whatever the arguments.
  struct Wait {
    /// The condition variable and the state its predicate (or the loop
    /// around it) reads, by qualified name.
    std::string CondVar;
    std::vector<std::string> Reads;
    /// Waits for a predicate (else for the tests of the loop around it).
    bool Predicate = false;
    /// The wait, and its predicate or loop.
    Location At, Anchor;
    /// Calls from the function down to the wait: where, and whom they call.
    std::vector<std::pair<Location, std::string>> Chain;
  };

  std::string Name;
  std::optional<Forever> Loops;
  std::vector<Start> Starts;
  /// By parameter index, each parameter once.
  std::vector<ChannelParam> Channels;
  std::optional<MemberFacts> Members;
  std::optional<StateEffects> Effects;
  std::vector<Acquire> Acquires;
  std::vector<Wait> Waits;

  bool empty() const {
    return !Loops && Starts.empty() && Channels.empty() && !Members &&
           !Effects && Acquires.empty() && Waits.empty();
  }
  /// The fact about parameter \p Param, if the function has one.
  const ChannelParam *channelParam(unsigned Param) const {
    for (const ChannelParam &C : Channels)
      if (C.Param == Param)
        return &C;
    return nullptr;
  }
};

llvm::json::Value toJSON(const FunctionSummary &S);
bool fromJSON(const llvm::json::Value &V, FunctionSummary &S);

/// What a unit records in the first pass.
struct Recording {
  /// Summaries of the functions it defines, by identity; empty ones for
  /// functions it defines with no fact to state.
  std::map<std::string, FunctionSummary> Defined;
  /// Identities of the functions it looked up and found no body for.
  std::set<std::string> Asked;
  /// Those it would read too if it is analysed again, but that alone are
  /// not worth it (want()).
  std::set<std::string> Wanted;
};

/// Installed by the CLI in a worker before it analyses a unit (pass 1);
/// null otherwise.
void setRecording(Recording *R);
Recording *recording();

/// Installed by the CLI before a unit is analysed again with the summaries
/// of other units (pass 2); null otherwise.
void setProvider(const std::map<std::string, FunctionSummary> *P);

/// Either end is installed: the checks look for cross-TU facts.
bool enabled();

/// The identity of \p FD (its mangled name), or empty if \p FD has none that
/// other units share: internal linkage, templates and their instantiations,
/// inline functions, constructors and destructors, declarations in system
/// headers.
std::string identity(const FunctionDecl *FD, ASTContext &Ctx);

/// The identity of \p FD, a definition of this unit, if it is worth a
/// summary: other units can call it (a header declares it, it has an
/// identity()) and it runs where it is called (not a coroutine). Empty
/// otherwise.
std::string summaryIdentity(const FunctionDecl *FD, ASTContext &Ctx);

/// \p Callee has no body here: records that it was asked for (pass 1) and
/// returns its summary, if another unit provided one (pass 2).
const FunctionSummary *ask(const FunctionDecl *Callee, ASTContext &Ctx);

/// Like ask(), but a summary of \p Callee alone does not make the CLI
/// analyse the unit again: it is read only if something the unit asked
/// for does (a fact that refines a finding another summary makes
/// possible, such as what a stop path changes).
const FunctionSummary *want(const FunctionDecl *Callee, ASTContext &Ctx);

/// Where \p Loc is (its expansion), as a file of another unit will find it;
/// nullopt if it is in no file (a built-in, a scratch buffer).
std::optional<Location> locationOf(SourceLocation Loc,
                                   const SourceManager &SM);

/// \p L in this unit's source manager (the file is loaded if it is not part
/// of the unit); invalid if the file cannot be read or is shorter.
SourceLocation locate(const Location &L, SourceManager &SM);

} // namespace clang::tidy::threadleak::crosstu

#endif
