//===--- JthreadIgnoresStopCheck.cpp - threadleak-jthread-ignores-stop ----===//

#include "JthreadIgnoresStopCheck.h"
#include "model/CallDepth.h"
#include "engine/BodyResolver.h"
#include "engine/PathNotes.h"
#include "engine/SpawnSites.h"
#include "engine/StmtWalk.h"
#include "engine/StopTokenUse.h"
#include "engine/Templates.h"
#include "model/UserModel.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"
#include "clang/Lex/Lexer.h"

using namespace clang::ast_matchers;

namespace clang::tidy::threadleak {

namespace {
/// Where the fix is a local rewrite that is right: a lambda with no
/// parameters, started with no other argument, whose endless loop is its
/// own `while (true)` or `for (;;)` with nothing in it that may block (a
/// stop request would not wake it): the lambda takes a std::stop_token and
/// the loop runs while no stop is requested.
void addStopTokenFixesImpl(DiagnosticBuilder &D, const CXXConstructExpr *Construct,
                           const EndlessLoop &Loop, const ASTContext &Ctx) {
  if (Construct->getNumArgs() != 1 || !Loop.CallChain.empty())
    return;
  const auto *LE = llvm::dyn_cast<LambdaExpr>(bareExprThroughCopies(Construct->getArg(0)));
  if (!LE || LE->getCallOperator() != Loop.Function ||
      LE->getCallOperator()->getNumParams() != 0 || LE->isGenericLambda())
    return;
  const SourceManager &SM = Ctx.getSourceManager();
  const LangOptions &LO = Ctx.getLangOpts();
  // The loop's condition: a literal true, or none in a for (;;).
  SourceRange CondRange;
  SourceLocation ForSemi;
  if (const auto *W = llvm::dyn_cast<WhileStmt>(Loop.Loop)) {
    const Expr *C = W->getCond()->IgnoreParenImpCasts();
    const auto *B = llvm::dyn_cast<CXXBoolLiteralExpr>(C);
    const auto *I = llvm::dyn_cast<IntegerLiteral>(C);
    if (!(B && B->getValue()) && !(I && I->getValue() == 1))
      return;
    CondRange = W->getCond()->getSourceRange();
  } else if (const auto *F = llvm::dyn_cast<ForStmt>(Loop.Loop)) {
    if (F->getInit() || F->getCond() || F->getConditionVariable())
      return;
    std::optional<Token> Semi =
        Lexer::findNextToken(F->getLParenLoc(), SM, LO);
    if (!Semi || !Semi->is(tok::semi))
      return;
    ForSemi = Semi->getEndLoc();
  } else {
    return;
  }
  // Nothing in the loop may block; the name `st` is free.
  bool Blocks = false, NameTaken = false;
  walkWithLambdas(LE->getBody(), nullptr, [&](const Stmt *S) {
    if (const auto *Call = llvm::dyn_cast<CallExpr>(S))
      if (const FunctionDecl *FD = Call->getDirectCallee())
        if (FD->getIdentifier()) {
          std::string K = foldedName(FD->getName());
          for (const char *W : {"wait", "pop", "push", "recv", "receive", "send",
                                "join", "lock", "acquire", "get", "read",
                                "accept", "select", "poll"})
            if (llvm::StringRef(K).contains(W))
              Blocks = true;
        }
    if (const auto *DS = llvm::dyn_cast<DeclStmt>(S))
      for (const Decl *Dc : DS->decls())
        if (const auto *ND = llvm::dyn_cast<NamedDecl>(Dc))
          NameTaken |= ND->getIdentifier() && ND->getName() == "st";
  });
  for (const LambdaCapture &C : LE->captures())
    if (C.capturesVariable() && C.getCapturedVar()->getName() == "st")
      NameTaken = true;
  if (Blocks || NameTaken)
    return;
  SourceLocation IntroEnd = LE->getIntroducerRange().getEnd();
  if (IntroEnd.isMacroID() || Loop.Loop->getBeginLoc().isMacroID())
    return;
  FixItHint Param;
  if (LE->hasExplicitParameters()) {
    std::optional<Token> LParen = Lexer::findNextToken(IntroEnd, SM, LO);
    if (!LParen || !LParen->is(tok::l_paren))
      return;
    Param = FixItHint::CreateInsertion(LParen->getEndLoc(), "std::stop_token st");
  } else {
    Param = FixItHint::CreateInsertion(
        Lexer::getLocForEndOfToken(IntroEnd, 0, SM, LO), "(std::stop_token st)");
  }
  D << Param;
  if (CondRange.isValid())
    D << FixItHint::CreateReplacement(CharSourceRange::getTokenRange(CondRange),
                                      "!st.stop_requested()");
  else
    D << FixItHint::CreateInsertion(ForSemi, " !st.stop_requested()");
}
} // namespace

namespace {

const Expr *stripped(const Expr *E) { return bareExprThroughCopies(E); }

bool isToken(const Expr *E, const ParmVarDecl *Token) {
  const auto *DRE = llvm::dyn_cast_or_null<DeclRefExpr>(stripped(E));
  return DRE && DRE->getDecl() == Token;
}

/// A call that runs on every turn of a loop whose body is \p S: its
/// statements and the conditions of its `if`s, `switch`es and inner loops,
/// but not their branches, nor the right of `&&`, `||`, `?:`, nor lambdas.
/// \p Loop is the inner loop whose condition holds the call, if any.
struct TurnCall {
  const CallExpr *Call;
  const Stmt *Loop;
};
void callsOnEveryTurn(const Stmt *Root, const Stmt *RootLoop,
                      llvm::SmallVectorImpl<TurnCall> &Out) {
  // In source order, on its own stack: an expression may nest 50,000 deep.
  llvm::SmallVector<std::pair<const Stmt *, const Stmt *>, 16> Work{
      {Root, RootLoop}};
  // Pushes \p Next in reverse, so that the first is visited first.
  auto Push = [&](std::initializer_list<std::pair<const Stmt *, const Stmt *>>
                      Next) {
    for (auto It = std::rbegin(Next); It != std::rend(Next); ++It)
      Work.push_back(*It);
  };
  while (!Work.empty()) {
    auto [S, Loop] = Work.pop_back_val();
    if (!S)
      continue;
    if (const auto *CS = llvm::dyn_cast<CompoundStmt>(S)) {
      for (const Stmt *Child : llvm::reverse(CS->body()))
        Work.push_back({Child, nullptr});
      continue;
    }
    if (const auto *If = llvm::dyn_cast<IfStmt>(S)) {
      Push({{If->getInit(), nullptr}, {If->getCond(), nullptr}});
      continue;
    }
    if (const auto *Sw = llvm::dyn_cast<SwitchStmt>(S)) {
      Push({{Sw->getCond(), nullptr}});
      continue;
    }
    if (const auto *W = llvm::dyn_cast<WhileStmt>(S)) {
      Push({{W->getCond(), W}});
      continue;
    }
    if (const auto *D = llvm::dyn_cast<DoStmt>(S)) {
      Push({{D->getBody(), nullptr}, {D->getCond(), D}});
      continue;
    }
    if (const auto *F = llvm::dyn_cast<ForStmt>(S)) {
      Push({{F->getInit(), nullptr}, {F->getCond(), F}});
      continue;
    }
    if (const auto *FR = llvm::dyn_cast<CXXForRangeStmt>(S)) {
      Push({{FR->getRangeInit(), nullptr}});
      continue;
    }
    if (const auto *L = llvm::dyn_cast<LabelStmt>(S)) {
      Push({{L->getSubStmt(), nullptr}});
      continue;
    }
    if (llvm::isa<LambdaExpr, ConditionalOperator, BinaryConditionalOperator,
                  CXXTryStmt>(S))
      continue;
    if (const auto *BO = llvm::dyn_cast<BinaryOperator>(S))
      if (BO->isLogicalOp()) {
        Push({{BO->getLHS(), Loop}});
        continue;
      }
    if (!llvm::isa<Expr, DeclStmt>(S))
      continue;
    if (const auto *Call = llvm::dyn_cast<CallExpr>(S))
      Out.push_back({Call, Loop});
    llvm::SmallVector<const Stmt *, 4> Children(S->child_begin(),
                                                 S->child_end());
    for (const Stmt *Child : llvm::reverse(Children))
      Work.push_back({Child, Loop});
  }
}

/// The declarations \p S names (variables, data members).
void mentionedDecls(const Stmt *S, llvm::SmallPtrSetImpl<const Decl *> &Out) {
  walkWithLambdas(S, nullptr, [&](const Stmt *N) {
    if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(N))
      Out.insert(DRE->getDecl());
    if (const auto *ME = llvm::dyn_cast<MemberExpr>(N))
      Out.insert(ME->getMemberDecl());
  });
}

} // namespace

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
  std::vector<ChannelSpec> UserChannels;
  NameList CondVarTypes = NameList::parse(defaults::ConditionVariableTypes);
  for (llvm::StringRef Method :
       llvm::split(llvm::StringRef(defaults::StopMethods), ';'))
    StopMethods.insert(Method);
  if (const ModelConfig *M = userModelFor(Context, Error)) {
    Model.StopSignalFunctions.add(M->StopSignalFunctions);
    Model.BlockingFunctions.add(M->BlockingFunctions);
    UserChannels = M->Channels;
    CondVarTypes.add(M->ConditionVariableTypes);
    for (const std::string &Method : M->StopMethods)
      StopMethods.insert(Method);
  } else if (!Error.empty()) {
    configurationDiag("%0") << Error;
  }
  Channels = std::make_unique<ChannelModel>(UserChannels);
  CondVars = std::make_unique<ConditionVariableModel>(std::move(CondVarTypes));
  UninterruptibleModel = Model;
  UninterruptibleModel.InterruptionPointsStop = false;
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
  Once.clear();
  Analysis.reset();
  UninterruptibleAnalysis.reset();
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
  if (!Body || !shouldAnalyseBody(Body.Function))
    return;
  SourceLocation Loc = Construct->getBeginLoc();
  // Another instantiation of the same template reported it.
  if (Once.seen(Loc, Ctx->getSourceManager()))
    return;
  // jthread passes its token only to a callable invocable with it first;
  // through a member pointer or std::bind the token never reaches the body.
  StopTokenInfo Token;
  if (!Body.ThroughBind && !Body.ThroughMemberPointer)
    Token = analyzeStopToken(Body.Function, *Ctx, Model.MaxCallDepth);

  // Boost interruption points are no-ops on a std::jthread; a user's
  // jthread type may be a boost::thread somebody interrupts.
  bool Interruptible =
      !isNeverInterruptible(Construct->getConstructor()->getParent());
  std::unique_ptr<ForeverAnalysis> &A =
      Interruptible ? Analysis : UninterruptibleAnalysis;
  if (!A)
    A = std::make_unique<ForeverAnalysis>(
        *Ctx, Interruptible ? Model : UninterruptibleModel);
  ForeverAnalysis &Loops = *A;

  if (std::optional<EndlessLoop> Loop = Loops.findEndlessLoop(Body.Function)) {
    Once.first(Loc, Ctx->getSourceManager());
    switch (Token.Use) {
    case TokenUse::NoToken: {
      auto D = diag(Loc, "std::jthread's callable never observes its stop "
                         "token; ~jthread() will request stop and then wait "
                         "forever in join()");
      addStopTokenFixesImpl(D, Construct, *Loop, *Ctx);
      break;
    }
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

  // Checks its token, but only between waits a stop request cannot wake.
  if (Token.Use == TokenUse::Consulted) {
    reportStopBlindWait(Construct, C, Body.Function, Token.Token, Loops);
    return;
  }
  // Takes a token, ignores it, and blocks where a stop request cannot reach.
  if (Token.Use != TokenUse::Ignored)
    return;
  const CallExpr *Wait = Loops.findUntimedBlockingCall(Body.Function);
  if (!Wait)
    return;
  Once.first(Loc, Ctx->getSourceManager());
  diag(Loc, "std::jthread's callable takes a std::stop_token but never "
            "checks it; a stop request cannot interrupt its blocking wait and "
            "~jthread() may wait forever in join()");
  noteUnusedToken(Token.Token);
  std::optional<ConditionWait> CW = CondVars->asWait(Wait);
  diag(Wait->getBeginLoc(),
       CW && CW->Timed
           ? "retries this timed wait until it succeeds, with no stop token"
           : "blocks here with no timeout and no stop token",
       DiagnosticIDs::Note);
}


bool JthreadIgnoresStopCheck::reportStopBlindWait(
    const CXXConstructExpr *Construct, const Candidate &C,
    const FunctionDecl *Body, const ParmVarDecl *Token,
    ForeverAnalysis &Loops) {
  const FunctionDecl *Def = analysableDefinition(Body, *Ctx);
  if (!Def)
    return false;
  // The token is only polled, handed to stop-aware waits, or to
  // std::stop_callbacks; any other use (a function that may register a
  // callback, a copy kept somewhere) and we stay silent.
  llvm::SmallPtrSet<const Expr *, 8> Benign;
  llvm::SmallVector<const CXXConstructExpr *, 2> Callbacks;
  bool OtherUse = false;
  walkWithLambdas(Def->getBody(), nullptr, [&](const Stmt *S) {
    // A lambda capturing the token: its body's uses are judged below.
    if (const auto *LE = llvm::dyn_cast<LambdaExpr>(S))
      for (const Expr *Init : LE->capture_inits())
        if (Init && isToken(Init, Token))
          Benign.insert(stripped(Init));
    if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S)) {
      const CXXMethodDecl *M = MC->getMethodDecl();
      if (M && M->getIdentifier() &&
          (M->getName() == "stop_requested" ||
           M->getName() == "stop_possible") &&
          isToken(MC->getImplicitObjectArgument(), Token))
        Benign.insert(stripped(MC->getImplicitObjectArgument()));
      if (std::optional<ConditionWait> W = CondVars->asWait(MC);
          W && W->StopAware)
        for (const Expr *Arg : MC->arguments())
          if (isToken(Arg, Token))
            Benign.insert(stripped(Arg));
    }
    if (const auto *CE = llvm::dyn_cast<CXXConstructExpr>(S))
      if (const CXXRecordDecl *RD = CE->getType()->getAsCXXRecordDecl();
          RD && RD->getIdentifier() && RD->getName() == "stop_callback" &&
          plainQualifiedName(RD) == "std::stop_callback" &&
          CE->getNumArgs() == 2 && isToken(CE->getArg(0), Token)) {
        Benign.insert(stripped(CE->getArg(0)));
        Callbacks.push_back(CE);
      }
    if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(S))
      if (DRE->getDecl() == Token && !Benign.contains(DRE))
        OtherUse = true;
  });
  if (OtherUse)
    return false;
  // A std::stop_callback whose callable does anything but assignments may
  // notify, close or push: it releases the wait.
  for (const CXXConstructExpr *CB : Callbacks) {
    ResolvedBody Fn = resolveCallable(CB->getArg(1));
    if (!Fn)
      return false;
    bool Calls = false;
    walkWithLambdas(Fn.Function->getBody(), nullptr, [&](const Stmt *S) {
      Calls |= llvm::isa<CallExpr, CXXConstructExpr>(S);
    });
    if (Calls)
      return false;
  }

  // Who holds the jthread, and what runs before ~jthread() joins it.
  llvm::SmallVector<const FunctionDecl *, 4> StopPath;
  const ValueDecl *Holder = C.Var ? static_cast<const ValueDecl *>(C.Var)
                                  : static_cast<const ValueDecl *>(C.Field);
  if (!Holder)
    return false;
  llvm::SmallVector<const FunctionDecl *, 8> HolderCode;
  if (C.Var) {
    const auto *Owner =
        llvm::dyn_cast_or_null<FunctionDecl>(C.Var->getParentFunctionOrMethod());
    if (!Owner || !Owner->getBody())
      return false;
    HolderCode.push_back(Owner);
    StopPath.push_back(Owner);
  } else {
    const auto *RD = llvm::dyn_cast<CXXRecordDecl>(C.Field->getParent());
    if (!RD || C.Field->getAccess() != AS_private || RD->hasFriends())
      return false;
    for (const CXXMethodDecl *M : RD->methods()) {
      if (M->isImplicit() || M->isDeleted() || M->isDefaulted())
        continue;
      const FunctionDecl *MDef = definitionWithBody(M);
      if (!MDef)
        return false; // A member we cannot read may request stop.
      HolderCode.push_back(MDef);
      if (llvm::isa<CXXDestructorDecl>(MDef) ||
          (M->getIdentifier() && StopMethods.contains(M->getName())))
        StopPath.push_back(MDef);
    }
  }
  // The holder requests stop itself (request_stop(), its stop source or
  // token), or hands the jthread elsewhere: it may wake the wait first.
  for (const FunctionDecl *Fn : HolderCode) {
    bool Managed = false;
    llvm::SmallPtrSet<const Expr *, 4> Joins;
    walkWithLambdas(Fn->getBody(), Def, [&](const Stmt *S) {
      // `worker_ = std::jthread(...)` starts it.
      if (const auto *Op = llvm::dyn_cast<CXXOperatorCallExpr>(S))
        if (Op->getOperator() == OO_Equal && Op->getNumArgs() == 2)
          Joins.insert(Op->getArg(0)->IgnoreParenImpCasts());
      if (const auto *MC = llvm::dyn_cast<CXXMemberCallExpr>(S))
        if (const CXXMethodDecl *M = MC->getMethodDecl();
            M && M->getIdentifier() &&
            (M->getName() == "join" || M->getName() == "joinable") &&
            MC->getImplicitObjectArgument())
          Joins.insert(MC->getImplicitObjectArgument()->IgnoreParenImpCasts());
      if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(S))
        Managed |= DRE->getDecl() == Holder && !Joins.contains(DRE) &&
                   !llvm::isa<FieldDecl>(Holder);
      if (const auto *ME = llvm::dyn_cast<MemberExpr>(S))
        Managed |= ME->getMemberDecl() == Holder && !Joins.contains(ME);
    });
    if (Managed)
      return false;
  }
  // What the stop path mentions, following calls into the translation
  // unit; code it calls that we cannot read may do anything.
  llvm::SmallPtrSet<const Decl *, 16> StopMentions;
  llvm::SmallVector<const CallExpr *, 8> StopCalls;
  {
    llvm::SmallVector<std::pair<const FunctionDecl *, unsigned>, 8> Work;
    llvm::SmallPtrSet<const FunctionDecl *, 8> Seen;
    for (const FunctionDecl *Fn : StopPath)
      Work.push_back({Fn, 0});
    bool Unknown = false;
    while (!Work.empty() && !Unknown) {
      auto [Fn, Depth] = Work.pop_back_val();
      if (!Seen.insert(Fn).second)
        continue;
      walkWithLambdas(Fn->getBody(), Def, [&](const Stmt *S) {
        if (const auto *DRE = llvm::dyn_cast<DeclRefExpr>(S))
          StopMentions.insert(DRE->getDecl());
        if (const auto *ME = llvm::dyn_cast<MemberExpr>(S))
          StopMentions.insert(ME->getMemberDecl());
        const auto *Call = llvm::dyn_cast<CallExpr>(S);
        if (!Call)
          return;
        StopCalls.push_back(Call);
        const FunctionDecl *Callee = Call->getDirectCallee();
        if (!Callee) {
          Unknown = true;
          return;
        }
        if (Ctx->getSourceManager().isInSystemHeader(Callee->getLocation()))
          return;
        const FunctionDecl *CalleeDef = analysableDefinition(Callee, *Ctx);
        if (!CalleeDef || mayDispatchElsewhere(Call) ||
            Depth >= Model.MaxCallDepth)
          Unknown = true;
        else
          Work.push_back({CalleeDef, Depth + 1});
      });
    }
    if (Unknown)
      return false;
  }

  for (const EndlessLoop &Loop : Loops.tokenOnlyLoops(Def, Token)) {
    if (!Loop.Loop || !llvm::isa<WhileStmt, ForStmt, DoStmt, CXXForRangeStmt>(
                          Loop.Loop))
      continue;
    llvm::SmallVector<TurnCall, 8> Turn;
    if (const auto *W = llvm::dyn_cast<WhileStmt>(Loop.Loop))
      callsOnEveryTurn(W->getBody(), nullptr, Turn);
    else if (const auto *F = llvm::dyn_cast<ForStmt>(Loop.Loop))
      callsOnEveryTurn(F->getBody(), nullptr, Turn);
    else if (const auto *D = llvm::dyn_cast<DoStmt>(Loop.Loop))
      callsOnEveryTurn(D->getBody(), nullptr, Turn);
    else
      callsOnEveryTurn(llvm::cast<CXXForRangeStmt>(Loop.Loop)->getBody(),
                       nullptr, Turn);
    for (const TurnCall &TC : Turn) {
      const CallExpr *Call = TC.Call;
      const ValueDecl *Object = nullptr;
      bool Disguised = false;
      bool Released = false;
      if (std::optional<ConditionWait> W = CondVars->asWait(Call)) {
        if (W->StopAware)
          continue;
        if (W->Timed) {
          if (!TC.Loop ||
              !Loops.isTimedWaitInDisguise(Call, TC.Loop, Def, Token))
            continue;
          Disguised = true;
        }
        Object = W->CondVar;
        if (!Object)
          continue;
        // The stop path notifies it and writes what its predicate reads
        // (or it has none): it may return.
        if (StopMentions.contains(Object)) {
          if (!W->Predicate) {
            Released = true;
          } else {
            llvm::SmallPtrSet<const Decl *, 8> Reads;
            mentionedDecls(W->Predicate, Reads);
            for (const Decl *D : Reads)
              Released |= StopMentions.contains(D);
          }
        }
      } else if (ChannelOp Op = Channels->classify(Call)) {
        if (Op.Asynchronous)
          continue;
        if (Op.Kind == ChannelOpKind::TryReceive) {
          if (!TC.Loop ||
              !Loops.isTimedWaitInDisguise(Call, TC.Loop, Def, Token))
            continue;
          Disguised = true;
        } else if (Op.Kind != ChannelOpKind::Receive) {
          continue;
        }
        Object = namedObject(Op.Channel);
        if (!Object)
          continue;
        // Closed anywhere in the holder's code (a producer that is done,
        // a shutdown()): the receive returns from then on.
        for (const FunctionDecl *Fn : HolderCode)
          walkWithLambdas(Fn->getBody(), Def, [&](const Stmt *S) {
            if (const auto *HC = llvm::dyn_cast<CallExpr>(S))
              if (ChannelOp HOp = Channels->classify(HC))
                Released |= HOp.Kind == ChannelOpKind::Close &&
                            namedObject(HOp.Channel) == Object;
          });
        // Closed on the stop path, or handed to code that may close it;
        // a send there only feeds one more turn.
        for (const CallExpr *SC : StopCalls) {
          ChannelOp SOp = Channels->classify(SC);
          if (SOp && namedObject(SOp.Channel) == Object) {
            Released |= SOp.Kind == ChannelOpKind::Close;
            continue;
          }
          for (const Expr *Arg : SC->arguments())
            Released |= namedObject(Arg) == Object;
        }
      } else {
        continue;
      }
      // Only what the holder's code owns: a local of the function that
      // holds the jthread, a data member of the class that holds it.
      // Anything else (a parameter, a global, another object's member) may
      // be released by code we do not see.
      if (C.Var) {
        const auto *VD = llvm::dyn_cast<VarDecl>(Object);
        if (!VD || !VD->hasLocalStorage() || llvm::isa<ParmVarDecl>(VD) ||
            VD->getType()->isReferenceType() ||
            VD->getParentFunctionOrMethod() !=
                C.Var->getParentFunctionOrMethod())
          continue;
      } else {
        const auto *FD = llvm::dyn_cast<FieldDecl>(Object);
        if (!FD || FD->getParent() != C.Field->getParent() ||
            FD->getAccess() != AS_private)
          continue;
      }
      if (Released)
        continue;
      Once.first(Construct->getBeginLoc(), Ctx->getSourceManager());
      diag(Construct->getBeginLoc(),
           "std::jthread's callable checks its stop token only between "
           "waits that a stop request cannot interrupt; ~jthread() may wait "
           "forever in join()");
      diag(Loop.Loop->getBeginLoc(),
           "only a stop request ends this loop, and it is checked only "
           "between waits",
           DiagnosticIDs::Note);
      diag(Call->getBeginLoc(),
           Disguised ? "retries this timed wait until it succeeds: a stop "
                       "request cannot end it, and no std::stop_callback "
                       "wakes it"
                     : "blocks here with no timeout and no stop token, and "
                       "no std::stop_callback wakes it",
           DiagnosticIDs::Note);
      return true;
    }
  }
  return false;
}

} // namespace clang::tidy::threadleak
