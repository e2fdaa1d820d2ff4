//===--- ChannelCheckBase.h - shared by the two channel checks -*- C++ -*-===//
//
// Both channel checks start from the same place: a spawn site whose body is
// visible, the blocking channel operations the spawned context performs,
// and the model (built-in channel types, the `Channels` option, the
// `.threadleak.yaml`). Each check then asks its own question of the owner.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_CHANNELCHECKBASE_H
#define THREADLEAK_CHANNELCHECKBASE_H

#include "clang-tidy/ClangTidyCheck.h"
#include "engine/ChannelFlow.h"
#include "engine/ContextSpawns.h"
#include "engine/Templates.h"
#include "model/ChannelModel.h"
#include "model/ConcurrencyModel.h"
#include "model/ContextModel.h"
#include "model/WaitModel.h"
#include "llvm/ADT/DenseSet.h"
#include <memory>

namespace clang::tidy::threadleak {

class ChannelCheckBase : public ClangTidyCheck {
public:
  ChannelCheckBase(StringRef Name, ClangTidyContext *Context);
  void storeOptions(ClangTidyOptions::OptionMap &Opts) override;
  void registerMatchers(ast_matchers::MatchFinder *Finder) override;
  void check(const ast_matchers::MatchFinder::MatchResult &Result) override;
  void onEndOfTranslationUnit() override {
    Flow.reset();
    Reported.clear();
    ReportedAt.clear();
  }
  bool isLanguageVersionSupported(const LangOptions &LangOpts) const override {
    return LangOpts.CPlusPlus;
  }
  /// Match the instantiations the unit makes too; engine/Templates.h
  /// decides which template code is analysed.
  std::optional<TraversalKind> getCheckTraversalKind() const override {
    return TK_AsIs;
  }

protected:
  /// Called once per blocking operation of a spawned context.
  virtual void analyse(const SpawnedContext &Context,
                       const BlockingChannelUse &Use, ChannelFlow &Flow,
                       ASTContext &Ctx) = 0;

  /// Called once per spawned context whose body is a lambda: for what
  /// the context does to its owner's channels.
  virtual void analyseSpawn(const SpawnedContext &, ChannelFlow &,
                            ASTContext &) {}
  /// Marks \p Use reported; false if it already was.
  bool markReported(const BlockingChannelUse &Use, ASTContext &Ctx);

  /// The notes every channel finding starts with: where the context was
  /// started, the calls that lead to the operation, the channel's creation.
  void emitContextNotes(const SpawnedContext &Context,
                        const BlockingChannelUse &Use, ASTContext &Ctx);
  /// The note at the end of an unreleased path.
  /// Calls that hand \p Channel to a function of another unit that may not
  /// release it by \p Rules (a cross-TU summary) get a note first.
  void emitPathNote(const UnreleasedPath &Path, const FunctionDecl *Owner,
                    const VarDecl *Channel, StringRef Missing,
                    ReleaseRules Rules);
  /// The same for several channels or a context: \p Missing names them
  /// ("cancelling 'ctx' or closing 'jobs'").
  void emitPathNote(const UnreleasedPath &Path, const FunctionDecl *Owner,
                    StringRef Missing);
  ChannelFlow &flow() { return *Flow; }
  /// How diagnostics name the owner: "'fetch_all'", "the enclosing lambda".
  static std::string describe(const FunctionDecl *Owner);
  /// The location of the blocking operation.
  static SourceLocation opLoc(const BlockingChannelUse &Use);
  /// Where the channel \p Use waits on is declared (none if unknown).
  static SourceLocation originLoc(const BlockingChannelUse &Use);
  /// The function that owns a local channel, if the channel is one of its
  /// locals (not a parameter, not the body's own).
  static const FunctionDecl *localOwner(const BlockingChannelUse &Use,
                                        const SpawnedContext &Context) {
    return localOwner(Use.Origin.var(), Context);
  }
  static const FunctionDecl *localOwner(const VarDecl *V,
                                        const SpawnedContext &Context);

  const ChannelModel &model() const { return *Channels; }
  unsigned maxCallDepth() const { return MaxCallDepth; }

private:
  void ensureFlow(ASTContext &Ctx);
  /// Records, for the cross-TU pass, what \p FD does to the channels it
  /// is given.
  void summarise(const FunctionDecl *FD, ASTContext &Ctx);

  SpawnSiteOptions Spawns;
  /// The option value as given (the model file's additions are not written
  /// back).
  std::string ChannelsOption;
  unsigned MaxCallDepth;
  std::unique_ptr<ChannelModel> Channels;
  /// The model file's select cases and contexts.
  SelectCaseModel Cases;
  std::unique_ptr<ContextModel> Contexts;
  std::unique_ptr<ChannelFlow> Flow;
  llvm::DenseSet<std::pair<const Stmt *, const Decl *>> Reported;
  /// The operations reported, by location: one finding per template
  /// location, whatever instantiates it.
  FindingOnce ReportedAt;
};

} // namespace clang::tidy::threadleak

#endif
