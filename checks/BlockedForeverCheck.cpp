//===--- BlockedForeverCheck.cpp - threadleak-blocked-forever -------------===//

#include "BlockedForeverCheck.h"
#include "engine/BlockingAnalysis.h"
#include "engine/PoolStarvation.h"
#include "engine/SyncInventory.h"
#include "engine/Templates.h"
#include "model/CallDepth.h"
#include "model/UserModel.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/StringSwitch.h"

using namespace clang::ast_matchers;

namespace clang::tidy::threadleak {

BlockedForeverCheck::BlockedForeverCheck(StringRef Name,
                                         ClangTidyContext *Context)
    : ClangTidyCheck(Name, Context),
      CVTypes(NameList::parse(Options.get("ConditionVariableTypes",
                                          defaults::ConditionVariableTypes))),
      GuardTypes(NameList::parse(
          Options.get("LockGuardTypes", defaults::LockGuardTypes))),
      ThreadTypes(NameList::parse(defaults::ThreadTypes)),
      RunOnce(NameList::parse(defaults::RunOnceSubmitFunctions)),
      WriterPreferring(NameList::parse(Options.get(
          "WriterPreferringMutexes", defaults::WriterPreferringMutexes))),
      ChannelsOption(Options.get("Channels", "").str()),
      // Summaries are computed once per unit, bottom-up: a deeper chain
      // costs little, and real lock chains run through call_once, stored
      // callbacks and accessors (hugo#5379 is six calls deep).
      MaxCallDepth(readMaxCallDepth(*this, Name, Options, 6)),
      DumpModel(llvm::StringSwitch<bool>(Options.get("DumpModel", "false"))
                    .CasesLower("true", "1", "on", true)
                    .Default(false)) {
  CVTypesOption = CVTypes.str();
  GuardTypesOption = GuardTypes.str();
  WriterPreferringOption = WriterPreferring.str();
  const ModelConfig *M = nullptr;
  std::vector<ChannelSpec> User =
      channelSpecsFor(*this, Name, ChannelsOption, Context, M);
  if (M) {
    CVTypes.add(M->ConditionVariableTypes);
    ThreadTypes.add(M->ThreadTypes);
    // The model's spawn functions start a context per call: what they are
    // handed runs once.
    RunOnce.add(M->SpawnFunctions);
    RunOnce.add(M->DetachedSpawnFunctions);
    WriterPreferring.add(M->WriterPreferringMutexes);
    Cases = SelectCaseModel(M->SelectCases);
  }
  CVs = std::make_unique<ConditionVariableModel>(CVTypes);
  Locks = std::make_unique<LockModel>(GuardTypes);
  Channels = std::make_unique<ChannelModel>(User);
  Contexts = std::make_unique<ContextModel>(M ? M->Contexts
                                              : std::vector<ContextSpec>());
  Counters = std::make_unique<CounterModel>(M ? M->WaitGroups
                                              : std::vector<CounterSpec>());
  // A TU is analysed only if it locks, waits, or uses a channel.
  llvm::StringSet<> Names;
  for (const char *N :
       {"lock", "Lock", "LOCK", "rlock", "RLock", "lock_shared", "LockShared",
        "unlock", "Unlock", "wait", "Wait", "pthread_mutex_lock", "join",
        "acquire", "arrive_and_wait", "count_down", "release", "get_future"})
    Names.insert(N);
  for (const ChannelSpec &S : Channels->specs())
    for (const auto *L : {&S.Receive, &S.Send, &S.TrySend, &S.TryReceive})
      for (const std::string &N : *L)
        Names.insert(N);
  for (const std::string &N : Counters->waitNames())
    Names.insert(N);
  for (const auto &E : Names)
    TriggerNames.push_back(E.getKey().str());
  llvm::sort(TriggerNames);
}

BlockedForeverCheck::~BlockedForeverCheck() = default;

void BlockedForeverCheck::storeOptions(ClangTidyOptions::OptionMap &Opts) {
  Options.store(Opts, "ConditionVariableTypes", CVTypesOption);
  Options.store(Opts, "LockGuardTypes", GuardTypesOption);
  Options.store(Opts, "WriterPreferringMutexes", WriterPreferringOption);
  Options.store(Opts, "Channels", ChannelsOption);
  Options.store(Opts, "MaxCallDepth", MaxCallDepth);
  Options.store(Opts, "DumpModel", DumpModel ? "true" : "false");
}

void BlockedForeverCheck::registerMatchers(MatchFinder *Finder) {
  Finder->addMatcher(
      callExpr(callee(functionDecl(hasAnyName(std::vector<StringRef>(
                   TriggerNames.begin(), TriggerNames.end())))))
          .bind("trigger"),
      this);
  // A scoped guard locks in a constructor we may not read (the stub or
  // library code): the TU locks all the same.
  Finder->addMatcher(
      cxxConstructExpr(hasType(cxxRecordDecl(hasAnyName(std::vector<StringRef>(
                           GuardTypes.names().begin(), GuardTypes.names().end())))))
          .bind("trigger"),
      this);
  Code.registerMatchers(Finder, this);
}

void BlockedForeverCheck::check(const MatchFinder::MatchResult &Result) {
  Ctx = Result.Context;
  if (Result.Nodes.getNodeAs<Expr>("trigger")) {
    Triggered = true;
    return;
  }
  // Template code: the instantiations; a pattern only where nothing
  // instantiates it and its code is not dependent. A pattern left out is
  // kept aside: it may name a member in a way only an instantiation would
  // resolve, or in an instantiation this unit does not make.
  if (const auto *FD = Result.Nodes.getNodeAs<FunctionDecl>("inventory-fn")) {
    if (!shouldAnalyseBody(FD)) {
      UnanalysedTemplates.push_back(FD);
      return;
    }
  }
  // A data member of a class template: its initialiser runs in the
  // instantiations' constructors, which walk it.
  if (const auto *FD = Result.Nodes.getNodeAs<FieldDecl>("inventory-field"))
    if (FD->getParent()->isDependentContext())
      return;
  Code.collect(Result);
}

void BlockedForeverCheck::onEndOfTranslationUnit() {
  bool Run = Triggered || DumpModel;
  Triggered = false;
  std::vector<const FunctionDecl *> Unanalysed;
  Unanalysed.swap(UnanalysedTemplates);
  if (!Run || !Ctx) {
    Code.clear();
    return;
  }
  std::unique_ptr<SyncInventory> Inv = Code.take(*Ctx, *CVs);
  BlockingAnalysis A(*Ctx, *Inv, *Locks, *Channels, *CVs, *Counters,
                     ThreadTypes, MaxCallDepth);
  A.setDumping(DumpModel);
  A.setWriterPreferringMutexes(WriterPreferring);
  A.setRunOnceFunctions(RunOnce);
  A.setSelectCases(Cases);
  if (!Contexts->empty())
    A.setContexts(Contexts.get());
  A.setUnanalysedTemplates(std::move(Unanalysed));
  std::vector<BlockingFinding> Findings = A.run();
  // The pool model caches what it read per class: one per translation unit.
  ThreadPoolModel Pools(ThreadTypes);
  PoolStarvation Starving(*Ctx, *Inv, Pools);
  std::vector<BlockingFinding> More = Starving.run();
  if (!More.empty()) {
    const SourceManager &SM = Ctx->getSourceManager();
    Findings.insert(Findings.end(), std::make_move_iterator(More.begin()),
                    std::make_move_iterator(More.end()));
    std::stable_sort(Findings.begin(), Findings.end(),
                     [&](const BlockingFinding &X, const BlockingFinding &Y) {
                       return SM.isBeforeInTranslationUnit(X.At->getBeginLoc(),
                                                           Y.At->getBeginLoc());
                     });
  }
  if (DumpModel) {
    A.dump(llvm::outs());
    Starving.dump(llvm::outs());
    llvm::outs().flush();
  }
  // One finding per template location: the instantiations of a template
  // (each with its own objects) show the same operation at the same place.
  FindingOnce Reported;
  for (const BlockingFinding &F : Findings) {
    if (!Reported.first(F.At->getBeginLoc(), Ctx->getSourceManager()))
      continue;
    diag(F.At->getBeginLoc(), "%0") << F.Message;
    for (const WitnessStep &N : F.Notes) {
      // A scope as the place of a step: where it ends (what its end
      // destroys).
      SourceLocation At = N.Loc;
      if (const auto *CS = llvm::dyn_cast_or_null<CompoundStmt>(N.At))
        At = CS->getRBracLoc();
      else if (N.At)
        At = N.At->getBeginLoc();
      if (At.isValid())
        diag(At, "%0", DiagnosticIDs::Note) << N.What;
    }
  }
}

} // namespace clang::tidy::threadleak
