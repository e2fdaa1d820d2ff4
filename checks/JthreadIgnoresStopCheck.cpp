//===--- JthreadIgnoresStopCheck.cpp - threadleak-jthread-ignores-stop ----===//

#include "JthreadIgnoresStopCheck.h"
#include "model/CallDepth.h"
#include "engine/BodyResolver.h"
#include "engine/PathNotes.h"
#include "engine/SpawnSites.h"
#include "engine/StopTokenUse.h"
#include "model/UserModel.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"

using namespace clang::ast_matchers;

namespace clang::tidy::threadleak {

JthreadIgnoresStopCheck::JthreadIgnoresStopCheck(StringRef Name,
                                                 ClangTidyContext *Context)
    : ClangTidyCheck(Name, Context) {
  Model.JThreadTypes =
      NameList::parse(Options.get("JThreadTypes", defaults::JThreadTypes));
  Model.StopSignalFunctions = NameList::parse(
      Options.get("StopSignalFunctions", defaults::StopSignalFunctions));
  Model.BlockingFunctions = NameList::parse(
      Options.get("BlockingFunctions", defaults::BlockingFunctions));
  Model.MaxCallDepth = readMaxCallDepth(*this, Name, Options);
  // The options as given; the model file's lists add to them.
  RawOptions = {Model.StopSignalFunctions.str(), Model.BlockingFunctions.str()};
  std::string Error;
  if (const ModelConfig *M = userModelFor(Context, Error)) {
    Model.StopSignalFunctions.add(M->StopSignalFunctions);
    Model.BlockingFunctions.add(M->BlockingFunctions);
  } else if (!Error.empty()) {
    configurationDiag("%0") << Error;
  }
}

void JthreadIgnoresStopCheck::storeOptions(ClangTidyOptions::OptionMap &Opts) {
  Options.store(Opts, "JThreadTypes", Model.JThreadTypes.str());
  Options.store(Opts, "StopSignalFunctions", RawOptions[0]);
  Options.store(Opts, "BlockingFunctions", RawOptions[1]);
  Options.store(Opts, "MaxCallDepth", Model.MaxCallDepth);
}

void JthreadIgnoresStopCheck::registerMatchers(MatchFinder *Finder) {
  if (Model.JThreadTypes.empty())
    return;
  std::vector<llvm::StringRef> Types(Model.JThreadTypes.names().begin(),
                                     Model.JThreadTypes.names().end());
  auto Start = cxxConstructExpr(
                   hasType(cxxRecordDecl(hasAnyName(Types))),
                   argumentCountAtLeast(1),
                   unless(hasDeclaration(cxxConstructorDecl(isCopyConstructor()))),
                   unless(hasDeclaration(cxxConstructorDecl(isMoveConstructor()))),
                   unless(isExpansionInSystemHeader()))
                   .bind("jthread");
  // `T(f)` is a functional cast around the construction.
  auto Started = ignoringImplicit(
      anyOf(Start, cxxFunctionalCastExpr(hasSourceExpression(ignoringImplicit(Start)))));

  // Every construction; then, top-down (no parent map), what holds it: a
  // variable, a member's default initialiser, a constructor's initialiser,
  // an assignment to a member.
  Finder->addMatcher(Start, this);
  Finder->addMatcher(varDecl(hasInitializer(Started)).bind("var"), this);
  Finder->addMatcher(fieldDecl(hasInClassInitializer(Started)).bind("field"), this);
  Finder->addMatcher(
      cxxConstructorDecl(forEachConstructorInitializer(cxxCtorInitializer(
          forField(fieldDecl().bind("field")), withInitializer(Started)))),
      this);
  Finder->addMatcher(
      cxxOperatorCallExpr(hasOverloadedOperatorName("="),
                          hasArgument(0, memberExpr(member(fieldDecl().bind("field")))),
                          hasArgument(1, Started)),
      this);
}

void JthreadIgnoresStopCheck::noteUnusedToken(const ParmVarDecl *Token) {
  if (Token->getIdentifier())
    diag(Token->getLocation(), "stop token %0 is never used",
         DiagnosticIDs::Note)
        << Token;
  else
    diag(Token->getBeginLoc(), "the std::stop_token parameter is never used",
         DiagnosticIDs::Note);
}

void JthreadIgnoresStopCheck::check(const MatchFinder::MatchResult &Result) {
  Ctx = Result.Context;
  const auto *Construct = Result.Nodes.getNodeAs<CXXConstructExpr>("jthread");
  Candidate &C = Candidates[Construct];
  if (const auto *Var = Result.Nodes.getNodeAs<VarDecl>("var"))
    C.Var = Var;
  if (const auto *Field = Result.Nodes.getNodeAs<FieldDecl>("field"))
    C.Field = Field;
}

void JthreadIgnoresStopCheck::onEndOfTranslationUnit() {
  for (const auto &[Construct, C] : Candidates)
    analyze(Construct, C);
  Candidates.clear();
  Analysis.reset();
  Ctx = nullptr;
}

void JthreadIgnoresStopCheck::analyze(const CXXConstructExpr *Construct,
                                      const Candidate &C) {
  // A detached jthread is never joined; threadleak-detached-no-stop covers it.
  if (C.Var &&
      isDetachedVariable(C.Var, llvm::dyn_cast_or_null<FunctionDecl>(
                                    C.Var->getParentFunctionOrMethod())))
    return;
  if (C.Field && isDetachedField(C.Field))
    return;

  ResolvedBody Body = resolveCallable(Construct->getArg(0));
  if (!Body)
    return;
  // jthread passes its token only to a callable invocable with it first;
  // through a member pointer or std::bind the token never reaches the body.
  StopTokenInfo Token;
  if (!Body.ThroughBind && !Body.ThroughMemberPointer)
    Token = analyzeStopToken(Body.Function, *Ctx, Model.MaxCallDepth);

  if (!Analysis)
    Analysis = std::make_unique<ForeverAnalysis>(*Ctx, Model);
  SourceLocation Loc = Construct->getBeginLoc();

  if (std::optional<EndlessLoop> Loop = Analysis->findEndlessLoop(Body.Function)) {
    switch (Token.Use) {
    case TokenUse::NoToken:
      diag(Loc, "std::jthread's callable never observes its stop token; "
                "~jthread() will request stop and then wait forever in join()");
      break;
    case TokenUse::Ignored:
      diag(Loc, "std::jthread's callable takes a std::stop_token but never "
                "checks it; ~jthread() will request stop and then wait "
                "forever in join()");
      noteUnusedToken(Token.Token);
      break;
    case TokenUse::Consulted:
      diag(Loc, "std::jthread's callable runs a loop that a stop request "
                "cannot end; ~jthread() will wait forever in join()");
      break;
    }
    emitEndlessLoopNotes(*this, *Loop, *Ctx);
    return;
  }

  // Takes a token, ignores it, and blocks where a stop request cannot reach.
  if (Token.Use != TokenUse::Ignored)
    return;
  const CallExpr *Wait = Analysis->findUntimedBlockingCall(Body.Function);
  if (!Wait)
    return;
  diag(Loc, "std::jthread's callable takes a std::stop_token but never "
            "checks it; a stop request cannot interrupt its blocking wait and "
            "~jthread() may wait forever in join()");
  noteUnusedToken(Token.Token);
  diag(Wait->getBeginLoc(), "blocks here with no timeout and no stop token",
       DiagnosticIDs::Note);
}

} // namespace clang::tidy::threadleak
