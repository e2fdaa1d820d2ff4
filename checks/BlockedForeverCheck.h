//===--- BlockedForeverCheck.h - threadleak-blocked-forever -----*- C++ -*-===//

#ifndef THREADLEAK_BLOCKEDFOREVERCHECK_H
#define THREADLEAK_BLOCKEDFOREVERCHECK_H

#include "clang-tidy/ClangTidyCheck.h"
#include "engine/SyncInventory.h"
#include "model/ChannelModel.h"
#include "model/ContextModel.h"
#include "model/CounterModel.h"
#include "model/LockModel.h"
#include "model/WaitModel.h"
#include <memory>
#include <vector>

namespace clang::tidy::threadleak {

/// Finds operations that can wait forever because no partner can ever
/// complete them: a mutex acquired by code that already holds it, a mutex
/// left locked on one return path, two mutexes taken in opposite orders, a
/// blocking channel operation, condition-variable wait or join made while
/// holding a mutex every partner needs, and a wait on an object nobody
/// else can reach.
///
/// For the user-facing documentation see
/// docs/checks/threadleak-blocked-forever.md
class BlockedForeverCheck : public ClangTidyCheck {
public:
  BlockedForeverCheck(StringRef Name, ClangTidyContext *Context);
  ~BlockedForeverCheck() override;
  void storeOptions(ClangTidyOptions::OptionMap &Opts) override;
  void registerMatchers(ast_matchers::MatchFinder *Finder) override;
  void check(const ast_matchers::MatchFinder::MatchResult &Result) override;
  void onEndOfTranslationUnit() override;
  bool isLanguageVersionSupported(const LangOptions &LangOpts) const override {
    return LangOpts.CPlusPlus;
  }
  /// TK_AsIs: the instantiations of templates are analysed (see
  /// engine/Templates.h for which template code is).
  std::optional<TraversalKind> getCheckTraversalKind() const override {
    return TK_AsIs;
  }

private:
  NameList CVTypes, GuardTypes, ThreadTypes, WriterPreferring, RunOnce;
  /// A Go-style select's case constructors (the model file's SelectCases).
  SelectCaseModel Cases;
  std::string CVTypesOption, GuardTypesOption, ChannelsOption,
      WriterPreferringOption;
  unsigned MaxCallDepth;
  /// Print the model (BlockingAnalysis::dump) to standard output at the end
  /// of each translation unit: what `threadleak --dump-model` shows.
  bool DumpModel;
  std::unique_ptr<ConditionVariableModel> CVs;
  std::unique_ptr<LockModel> Locks;
  std::unique_ptr<ChannelModel> Channels;
  std::unique_ptr<CounterModel> Counters;
  std::unique_ptr<ContextModel> Contexts;
  /// The names of the calls that make a TU worth analysing.
  std::vector<std::string> TriggerNames;
  InventoryCollector Code;
  /// Template patterns not analysed as written (instantiated, or with
  /// dependent code): they may name a member in a way the analysis does not
  /// resolve.
  std::vector<const FunctionDecl *> UnanalysedTemplates;
  bool Triggered = false;
  ASTContext *Ctx = nullptr;
};

} // namespace clang::tidy::threadleak

#endif
