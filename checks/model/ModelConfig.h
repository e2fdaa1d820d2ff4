//===--- ModelConfig.h - the user's part of the concurrency model ---------===//
//
// Users extend threadleak's model of concurrency APIs without recompiling:
// their own channel types, spawn functions and stop signals. They write it
// once, in a `.threadleak.yaml` found by walking up from each source file
// (or named with the CLI's --config-file, or the `threadleak.ConfigFile`
// check option), or per check in the clang-tidy option `Channels`, whose
// value is the same YAML in flow style. Both are parsed here, with LLVM's
// YAML I/O; docs/configuration.md documents the schema.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_MODEL_MODELCONFIG_H
#define THREADLEAK_MODEL_MODELCONFIG_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include <optional>
#include <string>
#include <vector>

namespace clang::tidy::threadleak {

/// One channel type: a class whose objects carry values between contexts,
/// and what its operations do to a context that uses them.
struct ChannelSpec {
  /// Fully qualified class name: "app::Chan" names every app::Chan<T>.
  std::string Type;
  /// Operations that block until a value arrives or the channel is closed.
  /// Member functions by unqualified name ("pop"), or free functions and
  /// operators whose argument is the channel ("operator>>").
  std::vector<std::string> Receive;
  /// Operations that block until a receiver takes the value (unbuffered) or
  /// there is room (full buffer).
  std::vector<std::string> Send;
  /// Non-blocking or timed sends (try_push, push_wait_for): they never block
  /// for good, and still hand a value to a receiver that waits.
  std::vector<std::string> TrySend;
  /// Non-blocking or timed receives: they never block for good, and may
  /// give up, so they release no sender.
  std::vector<std::string> TryReceive;
  /// Operations that wake every blocked receiver and sender for good.
  std::vector<std::string> Close;
  /// Operations of the Close list that wake blocked receivers but leave a
  /// blocked sender waiting (Asio's close(): a pending async_send stays
  /// pending until cancel() or reset()).
  std::vector<std::string> WakesOnlyReceivers;
  /// The constructor argument (0-based) that gives the capacity.
  std::optional<unsigned> CapacityArgument;
  /// The capacity when that argument is not written. Absent: unknown
  /// (or unbounded), so a send is never assumed to block.
  std::optional<unsigned> DefaultCapacity;
  /// Member functions whose first argument sets the capacity after the
  /// channel is made (TBB's `set_capacity`): where every such call on an
  /// object agrees, that is its capacity.
  std::vector<std::string> CapacitySetters;
  /// Every send blocks until a receiver takes it (a rendezvous channel).
  bool Unbuffered = false;
  /// A range-for over the channel receives until it is closed.
  bool RangeReceives = false;
};

/// A WaitGroup-like counter: `add(n)` raises its count, `done()` lowers
/// it, `wait()` blocks until it is zero.
struct CounterSpec {
  /// Fully qualified class name.
  std::string Type;
  /// Member functions, by unqualified name.
  std::vector<std::string> Add, Done, Wait;
};

/// A Go-style context (Go's context.Context): an object whose done channel
/// is closed, for good, when it is cancelled; a context derived from
/// another is cancelled with it.
struct ContextSpec {
  /// Fully qualified class name.
  std::string Type;
  /// Member functions, by unqualified name, that return its done channel
  /// (a channel type of the model).
  std::vector<std::string> Done;
  /// Member functions, by unqualified name, that cancel it.
  std::vector<std::string> Cancel;
  /// Functions (qualified names) that make a context and return it with
  /// the function that cancels it (`auto [ctx, cancel] = with_cancel()`),
  /// or return the context alone. A context argument is the parent.
  std::vector<std::string> WithCancel;
  /// Functions that return a new context nothing cancels but its own
  /// Cancel members (Go's context.Background()).
  std::vector<std::string> Background;
};

/// The model section of a `.threadleak.yaml`. Every list adds to the
/// built-in model and to the checks' options.
struct ModelConfig {
  std::vector<ChannelSpec> Channels;
  /// WaitGroup-like counters.
  std::vector<CounterSpec> WaitGroups;
  /// Go-style contexts.
  std::vector<ContextSpec> Contexts;
  /// Thread handle types (constructing one from a callable starts a
  /// context).
  std::vector<std::string> ThreadTypes;
  /// Functions that run their callable argument concurrently (thread
  /// pools, executors).
  std::vector<std::string> SpawnFunctions;
  /// Functions that run their callable argument on a context nobody joins.
  std::vector<std::string> DetachedSpawnFunctions;
  /// Coroutine return types whose coroutines nobody can await or join
  /// (concurrencpp's null_result): each call of such a coroutine starts a
  /// detached context.
  std::vector<std::string> DetachedCoroutineTypes;
  /// Member functions that run a coroutine in a scope object until the
  /// scope's join() (cppcoro's async_scope::spawn).
  std::vector<std::string> ScopedSpawnFunctions;
  std::vector<std::string> StopSignalFunctions;
  std::vector<std::string> BlockingFunctions;
  /// Functions that wait for the first of several events (a select over
  /// descriptors, the project's own event demultiplexer).
  std::vector<std::string> SelectFunctions;
  /// A Go-style select built from case objects (`select(case_recv(a, &x),
  /// case_send(b, v), case_default())`): the functions that make each kind
  /// of case, a channel their first argument. A select blocks until one
  /// of its cases can fire; with a default case, it never blocks.
  struct SelectCaseSpec {
    std::vector<std::string> Receive, Send, Default;
  } SelectCases;
  /// Condition variable types (waits with wait/wait_for/wait_until/
  /// timed_wait, wake-ups with notify_one/notify_all).
  std::vector<std::string> ConditionVariableTypes;
  /// Shared mutex types whose waiting writer holds back new readers.
  std::vector<std::string> WriterPreferringMutexes;
  /// Member functions, by unqualified name, that stop their object (the
  /// stop path the cv-wait check reads, next to the destructor).
  std::vector<std::string> StopMethods;
};

/// A configuration file may hold both threadleak's `Model` and clang-tidy's
/// keys (`Checks`, `CheckOptions`, ...): the CLI's --config-file takes
/// either. Splits \p Text into the two, each with the other's lines
/// blanked, so that line numbers stay true for error messages.
struct SplitConfig {
  std::string Model; ///< `Model` and any key that is not clang-tidy's
  std::string Tidy;  ///< clang-tidy's keys
  bool HasModel = false;
};
SplitConfig splitConfigText(llvm::StringRef Text);

/// Parses a whole `.threadleak.yaml`. Errors are one line:
/// "<Name>:<line>:<column>: <message>".
llvm::Expected<ModelConfig> parseModelConfig(llvm::StringRef Text,
                                             llvm::StringRef Name);

/// Parses a flow-style list of channel specs (the `Channels` check option):
/// "[{Type: app::Chan, Receive: [recv], Close: [close]}]".
llvm::Expected<std::vector<ChannelSpec>>
parseChannelSpecs(llvm::StringRef Text, llvm::StringRef Name);

/// Writes \p Specs back as a flow-style list (for --dump-config).
std::string channelSpecsToString(const std::vector<ChannelSpec> &Specs);

/// The `.threadleak.yaml` nearest to \p File: in its directory or the
/// closest parent. Empty if there is none.
std::string findModelConfigFile(llvm::StringRef File);

/// A model file as read: its model, or why it cannot be used.
struct LoadedModelConfig {
  ModelConfig Model;
  /// Empty, or one line: "<path>:<line>:<col>: <message>".
  std::string Error;
};

/// Reads and parses \p Path, once per process (the result is cached by
/// path). An unreadable or malformed file is an error.
const LoadedModelConfig &loadModelConfig(llvm::StringRef Path);

/// The check option that names the model file explicitly, overriding the
/// search; the CLI's --config-file sets it.
inline constexpr llvm::StringLiteral ModelFileOption = "threadleak.ConfigFile";

} // namespace clang::tidy::threadleak

#endif
