//===--- CvLostWakeupCheck.h - threadleak-cv-lost-wakeup --------*- C++ -*-===//

#ifndef THREADLEAK_CVLOSTWAKEUPCHECK_H
#define THREADLEAK_CVLOSTWAKEUPCHECK_H

#include "engine/SyncInventory.h"
#include "model/LockModel.h"
#include "model/WaitModel.h"
#include "clang-tidy/ClangTidyCheck.h"
#include <memory>
#include <vector>

namespace clang::tidy::threadleak {

class LostWakeupAnalysis;

/// Finds state that a condition-variable wait's predicate reads, changed
/// without the waiter's mutex before a notify: the notify can be lost.
///
/// A waiter checks its predicate under its mutex and then sleeps, releasing
/// the mutex atomically. A notifier that changes the predicate's state
/// without holding that mutex (even an atomic) and then notifies can do both
/// between the waiter's check and its sleep: the notify finds nobody and the
/// waiter sleeps forever. Also reported: the state changed after the notify,
/// and a notify of another condition variable than the one the waiter
/// sleeps on.
///
/// For the user-facing documentation see
/// docs/checks/threadleak-cv-lost-wakeup.md
class CvLostWakeupCheck : public ClangTidyCheck {
public:
  CvLostWakeupCheck(StringRef Name, ClangTidyContext *Context);
  ~CvLostWakeupCheck() override;
  void storeOptions(ClangTidyOptions::OptionMap &Opts) override;
  void registerMatchers(ast_matchers::MatchFinder *Finder) override;
  void check(const ast_matchers::MatchFinder::MatchResult &Result) override;
  void onEndOfTranslationUnit() override;
  bool isLanguageVersionSupported(const LangOptions &LangOpts) const override {
    return LangOpts.CPlusPlus;
  }
  /// Match the instantiations the unit makes too; engine/Templates.h
  /// decides which template code is analysed.
  std::optional<TraversalKind> getCheckTraversalKind() const override {
    return TK_AsIs;
  }

private:
  NameList CVTypes;
  NameList GuardTypes;
  std::string CVTypesOption, GuardTypesOption;
  unsigned MaxCallDepth;
  std::unique_ptr<ConditionVariableModel> CVs;
  std::unique_ptr<LockModel> Locks;
  /// The TU's code, for the inventory.
  InventoryCollector Code;
  bool SawNotify = false;
  ASTContext *Ctx = nullptr;
};

} // namespace clang::tidy::threadleak

#endif
