//===--- ChannelCheckBase.cpp ---------------------------------------------===//

#include "ChannelCheckBase.h"
#include "model/CallDepth.h"
#include "model/UserModel.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"

using namespace clang::ast_matchers;

namespace clang::tidy::threadleak {

ChannelCheckBase::ChannelCheckBase(StringRef Name, ClangTidyContext *Context)
    : ClangTidyCheck(Name, Context),
      Spawns(Options), ChannelsOption(Options.get("Channels", "").str()),
      MaxCallDepth(readMaxCallDepth(*this, Name, Options)) {
  const ModelConfig *M = nullptr;
  std::vector<ChannelSpec> User =
      channelSpecsFor(*this, Name, ChannelsOption, Context, M);
  if (M) {
    Spawns.add(*M);
    Cases = SelectCaseModel(M->SelectCases);
  }
  Channels = std::make_unique<ChannelModel>(User);
  Contexts = std::make_unique<ContextModel>(M ? M->Contexts
                                              : std::vector<ContextSpec>());
}

void ChannelCheckBase::storeOptions(ClangTidyOptions::OptionMap &Opts) {
  Spawns.store(Options, Opts);
  Options.store(Opts, "Channels", ChannelsOption);
  Options.store(Opts, "MaxCallDepth", MaxCallDepth);
}

void ChannelCheckBase::registerMatchers(MatchFinder *Finder) {
  Spawns.registerMatchers(Finder, this);
  // Cross-TU (the CLI only, see engine/CrossTU.h): what the functions of
  // this file do to the channels they are given, and member functions to
  // their class's channels.
  if (crosstu::recording())
    Finder->addMatcher(
        functionDecl(isDefinition(), isExpansionInMainFile(),
                     unless(isImplicit()),
                     anyOf(hasAnyParameter(parmVarDecl()), cxxMethodDecl()))
            .bind("summarise-channels"),
        this);
}

void ChannelCheckBase::ensureFlow(ASTContext &Ctx) {
  if (Flow)
    return;
  Flow = std::make_unique<ChannelFlow>(Ctx, *Channels, MaxCallDepth);
  Flow->setSelects(Cases.empty() ? nullptr : &Cases,
                   Contexts->empty() ? nullptr : Contexts.get());
}

void ChannelCheckBase::summarise(const FunctionDecl *FD, ASTContext &Ctx) {
  crosstu::Recording *Rec = crosstu::recording();
  if (!Rec)
    return;
  const auto *M = llvm::dyn_cast<CXXMethodDecl>(FD);
  bool Members =
      M && !M->isStatic() &&
      llvm::any_of(M->getParent()->fields(), [&](const FieldDecl *F) {
        return Channels->specForType(F->getType());
      });
  if (!Members && !llvm::any_of(FD->parameters(), [&](const ParmVarDecl *P) {
        return Channels->specForType(P->getType());
      }))
    return;
  std::string Id = crosstu::summaryIdentity(FD, Ctx);
  if (Id.empty())
    return;
  ensureFlow(Ctx);
  // Both channel checks record the same facts; the second writes them
  // again.
  crosstu::FunctionSummary &S = Rec->Defined[Id];
  S.Name = FD->getNameAsString();
  S.Channels = Flow->channelParamFacts(FD);
  if (Members)
    S.Members = Flow->memberReleaseFacts(M);
}

void ChannelCheckBase::check(const MatchFinder::MatchResult &Result) {
  ASTContext &Ctx = *Result.Context;
  if (const auto *FD =
          Result.Nodes.getNodeAs<FunctionDecl>("summarise-channels")) {
    summarise(FD, Ctx);
    return;
  }
  const Expr *Start = Spawns.matched(Result);
  if (!Start)
    return;
  ensureFlow(Ctx);
  SpawnedContext Spawned = Spawns.resolve(Start, Flow.get());
  if (!Spawned || !shouldAnalyseBody(Spawned.Body))
    return;
  llvm::SmallVector<BlockingChannelUse, 4> Uses;
  Flow->blockingUses(Spawned.Body, Spawned.Bindings, Uses);
  for (const BlockingChannelUse &U : Uses) {
    // One finding per operation and channel, however many spawns run it.
    if (Reported.contains({U.Where, U.Origin.Decl}) ||
        ReportedAt.seen(opLoc(U), Ctx.getSourceManager(),
                        originLoc(U)))
      continue;
    analyse(Spawned, U, *Flow, Ctx);
  }
  analyseSpawn(Spawned, *Flow, Ctx);
}

bool ChannelCheckBase::markReported(const BlockingChannelUse &Use,
                                    ASTContext &Ctx) {
  if (!Reported.insert({Use.Where, Use.Origin.Decl}).second)
    return false;
  return ReportedAt.first(opLoc(Use), Ctx.getSourceManager(), originLoc(Use));
}

std::string ChannelCheckBase::describe(const FunctionDecl *Owner) {
  if (const auto *M = llvm::dyn_cast<CXXMethodDecl>(Owner))
    if (M->getParent()->isLambda())
      return "the enclosing lambda";
  return "'" + patternDecl(Owner)->getQualifiedNameAsString() + "'";
}

SourceLocation ChannelCheckBase::originLoc(const BlockingChannelUse &Use) {
  return Use.Origin.Decl ? Use.Origin.Decl->getLocation() : SourceLocation();
}

SourceLocation ChannelCheckBase::opLoc(const BlockingChannelUse &Use) {
  if (Use.Op.Call)
    return Use.Op.Call->getExprLoc();
  return Use.Where->getBeginLoc();
}

const FunctionDecl *
ChannelCheckBase::localOwner(const VarDecl *V, const SpawnedContext &Context) {
  if (!V || llvm::isa<ParmVarDecl>(V) || !V->hasLocalStorage())
    return nullptr;
  const auto *Owner = llvm::dyn_cast<FunctionDecl>(V->getDeclContext());
  if (!Owner || Owner == Context.Body || !Owner->getBody())
    return nullptr;
  return Owner;
}

void ChannelCheckBase::emitContextNotes(const SpawnedContext &Context,
                                        const BlockingChannelUse &Use,
                                        ASTContext &Ctx) {
  markReported(Use, Ctx);
  diag(Context.Start->getBeginLoc(), "%0 started here", DiagnosticIDs::Note)
      << Context.Noun;
  for (const CallExpr *Call : Use.CallChain)
    if (const FunctionDecl *F = Call->getDirectCallee())
      diag(Call->getBeginLoc(), "which calls %0", DiagnosticIDs::Note)
          << patternDecl(F);
  if (Use.Context || !Use.Arms.empty()) {
    // A select's channels and contexts, each once, or the context.
    llvm::SmallPtrSet<const Decl *, 4> Seen;
    for (const SelectArm &A : Use.arms()) {
      const VarDecl *V = A.Origin.var();
      if (!V || !Seen.insert(V).second)
        continue;
      if (A.Context) {
        const NamedDecl *Name = Flow->contextName(V);
        diag(Name->getLocation(), "context %0 created here",
             DiagnosticIDs::Note)
            << Name;
      } else {
        diag(V->getLocation(), "channel %0 created here", DiagnosticIDs::Note)
            << V;
      }
    }
  } else if (const VarDecl *V = Use.Origin.var())
    diag(V->getLocation(), "channel %0 created here", DiagnosticIDs::Note)
        << V;
  else if (const FieldDecl *F = Use.Origin.field())
    diag(F->getLocation(), "channel %0 declared here", DiagnosticIDs::Note)
        << F;
}

void ChannelCheckBase::emitPathNote(const UnreleasedPath &Path,
                                    const FunctionDecl *Owner,
                                    llvm::StringRef Missing) {
  static const char *const Ways[] = {"returns", "co_returns", "throws", "ends"};
  if (Path.Kind == UnreleasedPath::ScopeEnd) {
    diag(Path.Loc, "%0 goes out of scope here, without %1", DiagnosticIDs::Note)
        << Flow->contextName(Path.Dead) << Missing;
    return;
  }
  diag(Path.Loc, "%0 %1 here without %2", DiagnosticIDs::Note)
      << describe(Owner) << Ways[Path.Kind] << Missing;
}

void ChannelCheckBase::emitPathNote(const UnreleasedPath &Path,
                                    const FunctionDecl *Owner,
                                    const VarDecl *Channel, StringRef Missing,
                                    ReleaseRules Rules) {
  // Read from another unit's summary (the CLI's cross-TU pass): the calls
  // that hand the channel to a function that may not release it.
  llvm::SmallVector<const CallExpr *, 2> Elsewhere;
  Flow->unreleasedElsewhere(Owner, Channel, Rules, Elsewhere);
  for (const CallExpr *Call : Elsewhere)
    diag(Call->getBeginLoc(),
         "%0 is defined in another translation unit, and some path of it "
         "returns without %1 %2",
         DiagnosticIDs::Note)
        << Call->getDirectCallee() << Missing << Channel;
  if (Path.Kind == UnreleasedPath::ScopeEnd) {
    diag(Path.Loc, "%0 goes out of scope here without %1 it",
         DiagnosticIDs::Note)
        << Channel << Missing;
    return;
  }
  emitPathNote(Path, Owner, (Missing + " '" + Channel->getName() + "'").str());
}

} // namespace clang::tidy::threadleak
