//===--- ChannelRecvNoCloseCheck.cpp --------------------------------------===//

#include "ChannelRecvNoCloseCheck.h"
#include "engine/StmtWalk.h"
#include "engine/StopTokenUse.h"

namespace clang::tidy::threadleak {

namespace {

/// What would release \p Arm, for a note: "closing or sending to 'quit'".
std::string releaseWords(const SelectArm &Arm, const ChannelFlow &Flow) {
  const VarDecl *V = Arm.Origin.var();
  if (Arm.Context)
    return "cancelling '" + Flow.contextName(V)->getNameAsString() + "'";
  std::string Verb = !Arm.Exits ? "closing"
                     : Arm.Op.Kind == ChannelOpKind::Send
                         ? "receiving from or closing"
                         : "closing or sending to";
  return Verb + " '" + V->getNameAsString() + "'";
}

} // namespace

void ChannelRecvNoCloseCheck::analyseWatched(const SpawnedContext &Context,
                                             const BlockingChannelUse &Use,
                                             ChannelFlow &Flow,
                                             ASTContext &Ctx) {
  llvm::SmallVector<SelectArm, 2> Arms = Use.arms();
  // Every channel (and context) a local of one owner, made there.
  const FunctionDecl *Owner = nullptr;
  llvm::SmallVector<Watched, 2> Ws;
  std::string Missing;
  for (unsigned I = 0; I < Arms.size(); ++I) {
    const SelectArm &A = Arms[I];
    const VarDecl *V = A.Origin.var();
    const FunctionDecl *O = localOwner(V, Context);
    if (!O || (Owner && O != Owner) ||
        (!A.Context && Flow.repointedBefore(O, V, Context.Start)))
      return;
    Owner = O;
    Watched W{V, ReleaseRules(), A.Context};
    // A case that leaves the loop is released by one operation of its
    // partner; any other only by a close.
    if (!A.Context && A.Exits)
      (A.Op.Kind == ChannelOpKind::Send ? W.Rules.Receive : W.Rules.Send) =
          true;
    Ws.push_back(W);
    // "closing 'jobs', and without closing or sending to 'quit'"
    if (I)
      Missing += I + 1 == Arms.size() ? ", and without " : ", without ";
    Missing += releaseWords(A, Flow);
  }
  // Released on no path at all is threadleak-blocked-forever's finding
  // (nothing in the unit releases it): one finding per bug.
  if (!Flow.releasedSomewhere(Owner, Ws))
    return;
  std::optional<UnreleasedPath> Path =
      Flow.findUnreleasedPath(Owner, Context.Start, Ws, Context.Body);
  if (!Path)
    return;
  if (Use.Arms.empty())
    diag(opLoc(Use), "%0 may block here forever: context %1 is not cancelled "
                     "on every path of %2")
        << Context.Noun << Flow.contextName(Use.Origin.var())
        << describe(Owner);
  else
    diag(opLoc(Use), "%0 may block here forever: on some path of %1, no case "
                     "of this select can fire")
        << Context.Noun << describe(Owner);
  emitContextNotes(Context, Use, Ctx);
  emitPathNote(*Path, Owner, Missing);
}

void ChannelRecvNoCloseCheck::analyse(const SpawnedContext &Context,
                                      const BlockingChannelUse &Use,
                                      ChannelFlow &Flow, ASTContext &Ctx) {
  if (Use.Op.Kind != ChannelOpKind::Receive)
    return;
  // A receiver that consults its std::stop_token is taken to be released by
  // request_stop() (a jthread's destructor requests stop on every path):
  // typically a std::stop_callback closes the channel.
  if (analyzeStopToken(Context.Body, Ctx, maxCallDepth()).Use == TokenUse::Consulted)
    return;
  // A select of cases, or a wait for a context's cancel.
  if (Use.Context || !Use.Arms.empty()) {
    analyseWatched(Context, Use, Flow, Ctx);
    return;
  }
  // A receive loop that only the channel can end needs a close; a single
  // receive (or one in a counted loop) is released by sends too.
  ReleaseRules Rules;
  Rules.Send = !Use.UntilClosed;
  llvm::StringRef Missing =
      Use.UntilClosed ? "closing" : "closing or sending to";

  if (const FieldDecl *F = Use.Origin.field()) {
    if (Flow.memberMayBeReleased(F, Rules))
      return;
    const auto *RD = llvm::cast<CXXRecordDecl>(F->getParent());
    diag(opLoc(Use), "%0 may block here forever: no member function of %1 "
                     "%select{closes|closes or sends to}2 %3")
        << Context.Noun << patternDecl(RD) << (Use.UntilClosed ? 0 : 1) << F;
    emitContextNotes(Context, Use, Ctx);
    // A channel the class borrows: where it is lent, by whom.
    if (const Expr *Lender = Flow.lenderOf(F)) {
      ChannelOrigin O = Flow.originOf(Lender, NoBindings);
      const Decl *Who = nullptr;
      if (const FieldDecl *LF = O.field())
        Who = patternDecl(llvm::cast<CXXRecordDecl>(LF->getParent()));
      else if (const VarDecl *V = O.var())
        Who = llvm::dyn_cast<FunctionDecl>(V->getDeclContext());
      if (const auto *ND = llvm::dyn_cast_or_null<NamedDecl>(Who))
        diag(Lender->getExprLoc(),
             "%0 is lent %1 here, and %2 never %select{closes|closes or "
             "sends to}3 it either",
             DiagnosticIDs::Note)
            << patternDecl(RD) << O.Decl << ND << (Use.UntilClosed ? 0 : 1);
    }
    return;
  }

  const FunctionDecl *Owner = localOwner(Use, Context);
  // Given a channel made elsewhere before the start (an out-parameter).
  if (!Owner || Flow.repointedBefore(Owner, Use.Origin.var(), Context.Start))
    return;
  const VarDecl *V = Use.Origin.var();
  // A counted loop (`for (i < n) q.pop(v)`) is matched by sends in a loop of
  // the owner: any send will do.
  if (Use.Counted && !Use.UntilClosed &&
      Flow.mayReleaseAnywhere(Owner, V, Rules))
    return;
  std::optional<UnreleasedPath> Path =
      Flow.findUnreleasedPath(Owner, Context.Start, V, Context.Body, Rules);
  if (!Path)
    return;
  diag(opLoc(Use), "%0 may block here forever: %1 is not "
                   "%select{closed|closed or sent to}2 on every path of %3")
      << Context.Noun << V << (Use.UntilClosed ? 0 : 1) << describe(Owner);
  emitContextNotes(Context, Use, Ctx);
  emitPathNote(*Path, Owner, V, Missing, Rules);
}

void ChannelRecvNoCloseCheck::analyseSpawn(const SpawnedContext &Context,
                                           ChannelFlow &Flow, ASTContext &Ctx) {
  // The closer: a lambda, started by the function it is written in.
  const auto *Closer = llvm::dyn_cast<CXXMethodDecl>(Context.Body);
  if (!Closer || !Closer->getParent()->isLambda() || !Closer->getBody())
    return;
  const auto *Owner =
      llvm::dyn_cast<FunctionDecl>(Closer->getParent()->getDeclContext());
  if (!Owner || !Owner->getBody())
    return;
  const SourceManager &SM = Ctx.getSourceManager();
  SourceRange LambdaRange = Closer->getBody()->getSourceRange();
  auto InLambda = [&](const Stmt *S) {
    return LambdaRange.isValid() &&
           !SM.isBeforeInTranslationUnit(S->getBeginLoc(),
                                         LambdaRange.getBegin()) &&
           !SM.isBeforeInTranslationUnit(LambdaRange.getEnd(), S->getEndLoc());
  };
  auto OwnersLocal = [&](const Expr *E) -> const VarDecl * {
    const VarDecl *V = Flow.originOf(E, NoBindings).var();
    return V && V->hasLocalStorage() && !llvm::isa<ParmVarDecl>(V) &&
                   V->getDeclContext() == Owner
               ? V
               : nullptr;
  };
  // The owner's channels it closes.
  llvm::SmallVector<const VarDecl *, 2> Closed;
  walkWithLambdas(Closer->getBody(), nullptr, [&](const Stmt *S) {
    if (const auto *Call = llvm::dyn_cast<CallExpr>(S))
      if (ChannelOp Op = model().classify(Call);
          Op.Kind == ChannelOpKind::Close)
        if (const VarDecl *V = OwnersLocal(Op.Channel);
            V && !llvm::is_contained(Closed, V))
          Closed.push_back(V);
  });
  if (Closed.empty())
    return;
  llvm::SmallVector<BlockingChannelUse, 4> Uses;
  bool UsesRead = false;
  for (const VarDecl *V : Closed) {
    // Nothing else may close it: outside the lambda, the channel is only
    // operated on, never closed nor handed to other code.
    bool Elsewhere = false;
    walkWithLambdas(Owner->getBody(), nullptr, [&](const Stmt *S) {
      if (Elsewhere || InLambda(S))
        return;
      const auto *Call = llvm::dyn_cast<CallExpr>(S);
      const auto *Construct = llvm::dyn_cast<CXXConstructExpr>(S);
      if (Call) {
        if (ChannelOp Op = model().classify(Call);
            Op && OwnersLocal(Op.Channel) == V) {
          Elsewhere = Op.Kind == ChannelOpKind::Close;
          return;
        }
        // (A lambda given to a call is walked as code: what it captures is
        // not handed on.)
        for (const Expr *Arg : Call->arguments())
          Elsewhere |=
              !llvm::isa<LambdaExpr>(bareExpr(Arg)) && OwnersLocal(Arg) == V;
      } else if (Construct && !llvm::isa<CXXTemporaryObjectExpr>(S)) {
        for (const Expr *Arg : Construct->arguments())
          Elsewhere |= OwnersLocal(Arg) == V;
      }
    });
    if (Elsewhere)
      continue;
    if (!UsesRead) {
      Flow.blockingUses(Owner, NoBindings, Uses);
      UsesRead = true;
    }
    for (const BlockingChannelUse &U : Uses) {
      // The owner's own receive loop on it, after the start.
      if (U.Op.Kind != ChannelOpKind::Receive || !U.UntilClosed ||
          U.Origin.var() != V || !U.CallChain.empty() || InLambda(U.Where) ||
          !SM.isBeforeInTranslationUnit(Context.Start->getEndLoc(),
                                        U.Where->getBeginLoc()))
        continue;
      // (An exception out of a thread's body ends the process: no leak.)
      std::optional<UnreleasedPath> Path =
          Flow.findSkippingPath(Closer, V, ReleaseRules());
      if (!Path || Path->Kind == UnreleasedPath::Throw || !markReported(U, Ctx))
        continue;
      diag(opLoc(U), "%0 may block here forever: it receives until %1 is "
                     "closed, and the %2 that closes it may return without "
                     "closing it")
          << describe(Owner) << V << Context.Noun;
      diag(Context.Start->getBeginLoc(), "%0 started here", DiagnosticIDs::Note)
          << Context.Noun;
      unsigned How = Path->Kind == UnreleasedPath::Return     ? 0
                     : Path->Kind == UnreleasedPath::CoReturn ? 1
                                                              : 2;
      diag(Path->Loc,
           "the %0 %select{returns|co_returns|ends}1 here without closing %2",
           DiagnosticIDs::Note)
          << Context.Noun << How << V;
      diag(V->getLocation(), "channel %0 created here", DiagnosticIDs::Note)
          << V;
    }
  }
}

} // namespace clang::tidy::threadleak
