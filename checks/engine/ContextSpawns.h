//===--- ContextSpawns.h - what a spawn runs, and with which arguments ----===//
//
// A spawn site (a thread or fiber constructed from a callable, pthread_create,
// std::async, asio::co_spawn, a user spawn function) starts a context that
// runs some function of the translation unit. The channel checks need that
// function and what its parameters stand for in the spawning function:
// `std::thread(worker, std::ref(jobs))` binds worker's parameter to `jobs`,
// `co_spawn(ex, consume(ch), detached)` binds consume's.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_ENGINE_CONTEXTSPAWNS_H
#define THREADLEAK_ENGINE_CONTEXTSPAWNS_H

#include "engine/ChannelFlow.h"
#include "model/ConcurrencyModel.h"
#include "clang/AST/Expr.h"
#include "model/ModelConfig.h"
#include "clang-tidy/ClangTidyCheck.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"

namespace clang::tidy::threadleak {

/// A context started at a spawn site.
struct SpawnedContext {
  /// The construction or call that starts the context.
  const Expr *Start = nullptr;
  /// The function the context runs.
  const FunctionDecl *Body = nullptr;
  /// The body's parameters bound to the spawn's arguments.
  ParamBindings Bindings;
  /// "thread", "fiber" or "coroutine", for diagnostics.
  llvm::StringRef Noun = "thread";

  explicit operator bool() const { return Body != nullptr; }
};

/// The context \p Start (a thread-type construction, or a call to
/// pthread_create, std::async, co_spawn or a spawn function, or of a
/// fire-and-forget coroutine) runs, if its body is visible. Without \p Flow,
/// parameters are not bound. \p DetachedCoroutineTypes: the return types
/// whose coroutines are detached whatever their promise (by default the
/// built-in list).
SpawnedContext resolveSpawn(const Expr *Start,
                            const ChannelFlow *Flow = nullptr,
                            const NameList *DetachedCoroutineTypes = nullptr);

/// The spawn sites a check starts from: constructions of the ThreadTypes
/// option's types from a callable, `emplace_back` into a container of them,
/// and calls to the SpawnFunctions option's functions (defaults below), plus
/// the model file's ThreadTypes, SpawnFunctions and DetachedSpawnFunctions;
/// and calls of fire-and-forget coroutines (the built-in
/// DetachedCoroutineTypes and the model file's).
class SpawnSiteOptions {
public:
  explicit SpawnSiteOptions(const ClangTidyCheck::OptionsView &Options);
  /// Adds the model file's lists (not written back by store()).
  void add(const ModelConfig &Model);
  /// resolveSpawn() of a site matched() returned, with these options'
  /// DetachedCoroutineTypes.
  SpawnedContext resolve(const Expr *Start,
                         const ChannelFlow *Flow = nullptr) const {
    return resolveSpawn(Start, Flow, &DetachedCoroutineTypes);
  }
  void store(const ClangTidyCheck::OptionsView &Options,
             ClangTidyOptions::OptionMap &Opts) const;
  void registerMatchers(ast_matchers::MatchFinder *Finder,
                        ast_matchers::MatchFinder::MatchCallback *Callback) const;
  /// The spawn site a match stands for, or null (an emplace into a
  /// container of something else, a copy of a handle).
  const Expr *
  matched(const ast_matchers::MatchFinder::MatchResult &Result) const;

private:
  NameList ContextTypes, SpawnFunctions;
  /// Coroutine return types whose calls start a detached context: the
  /// built-in list and the model file's (these checks have no option).
  NameList DetachedCoroutineTypes;
  /// The option values as given.
  std::string ContextTypesOption, SpawnFunctionsOption;
};

/// The completion token of a `co_spawn` call (its last written argument),
/// or null if \p Start is no co_spawn.
const Expr *coSpawnToken(const Expr *Start);

/// Built-in functions that run a callable argument concurrently.
namespace defaults {
extern const char SpawnFunctions[];
extern const char ContextTypes[];
} // namespace defaults

} // namespace clang::tidy::threadleak

#endif
