//===--- ChannelSendNoReceiverCheck.cpp -----------------------------------===//

#include "ChannelSendNoReceiverCheck.h"
#include "engine/CapacityOneProof.h"
#include "engine/StmtWalk.h"
#include "clang/Lex/Lexer.h"

namespace clang::tidy::threadleak {

namespace {

/// The replacement of the literal `0` that is \p Arg by `1` (the suffix, if
/// any, kept), or none: the argument is not that literal as written here.
std::optional<FixItHint> literalZeroToOne(const Expr *Arg,
                                          const ASTContext &Ctx) {
  const auto *Lit = llvm::dyn_cast_or_null<IntegerLiteral>(bareExpr(Arg));
  if (!Lit || Lit->getValue() != 0)
    return std::nullopt;
  SourceLocation Loc = Lit->getLocation();
  if (Loc.isInvalid() || Loc.isMacroID())
    return std::nullopt;
  const SourceManager &SM = Ctx.getSourceManager();
  bool Invalid = false;
  llvm::StringRef Text =
      Lexer::getSourceText(CharSourceRange::getTokenRange(Loc, Loc), SM,
                           Ctx.getLangOpts(), &Invalid);
  // `0`, `0u`, `0UL`, `0z`: the digit, then a suffix (not `00`, `0x0`).
  if (Invalid || Text.empty() || Text[0] != '0' ||
      Text.drop_front().find_first_not_of("uUlLzZ") != llvm::StringRef::npos)
    return std::nullopt;
  return FixItHint::CreateReplacement(
      CharSourceRange::getCharRange(Loc, Loc.getLocWithOffset(1)), "1");
}

} // namespace

std::optional<FixItHint> ChannelSendNoReceiverCheck::capacityOneFix(
    const SpawnedContext &Context, const BlockingChannelUse &Use,
    const FunctionDecl *Owner, ChannelFlow &Flow, ASTContext &Ctx) {
  const VarDecl *V = Use.Origin.var();
  const ChannelSpec &S = *Use.Op.Spec;
  // 1. The capacity is the literal 0 written in the channel's construction.
  if (!ChannelModel::acceptsCapacity(S, 1))
    return std::nullopt;
  std::optional<FixItHint> Fix =
      literalZeroToOne(model().capacityArgument(V->getInit(), S), Ctx);
  if (!Fix)
    return std::nullopt;
  // A unit that does not compile: what was dropped may name the channel.
  if (Ctx.getDiagnostics().hasUncompilableErrorOccurred())
    return std::nullopt;
  // Template code: another instantiation of the same text may differ.
  if (templateRole(Owner) != TemplateRole::None ||
      templateRole(Context.Body) != TemplateRole::None)
    return std::nullopt;
  // 2. One send on the channel in all the code that can reach it, and
  // 3. the sender does not synchronise after it, nor does a completion
  // handler run when it ends.
  if (!capacityOneProven(Flow, model(), Ctx, maxCallDepth(), Owner, V, Context,
                         Use))
    return std::nullopt;
  return Fix;
}

void ChannelSendNoReceiverCheck::analyse(const SpawnedContext &Context,
                                         const BlockingChannelUse &Use,
                                         ChannelFlow &Flow, ASTContext &Ctx) {
  // One result handed back: a send in a loop is a stream, whose receiver
  // decides when to stop; that is the receive check's business.
  if (Use.Op.Kind != ChannelOpKind::Send || Use.InLoop)
    return;
  const FunctionDecl *Owner = localOwner(Use, Context);
  // Given a channel made elsewhere before the start (an out-parameter).
  if (!Owner || Flow.repointedBefore(Owner, Use.Origin.var(), Context.Start))
    return;
  const VarDecl *V = Use.Origin.var();
  // One finding per context and channel: the first send tells the story.
  if (!ReportedContexts.insert({Context.Start, V}).second)
    return;
  // Only a channel that is certainly unbuffered blocks the single send.
  std::optional<uint64_t> Capacity =
      model().capacityOf(V->getInit(), *Use.Op.Spec, Ctx);
  if (!Capacity || *Capacity != 0)
    return;
  ReleaseRules Rules;
  Rules.Receive = true;
  std::optional<UnreleasedPath> Path =
      Flow.findUnreleasedPath(Owner, Context.Start, V, Context.Body, Rules);
  if (!Path)
    return;
  std::optional<FixItHint> Fix = capacityOneFix(Context, Use, Owner, Flow, Ctx);
  {
    DiagnosticBuilder D =
        diag(opLoc(Use), "%0 may block here forever: %1 is unbuffered and on "
                         "some path %2 neither receives from it nor closes it")
        << Context.Noun << V << describe(Owner);
    if (Fix)
      D << *Fix;
  }
  emitContextNotes(Context, Use, Ctx);
  emitPathNote(*Path, Owner, V, "receiving from or closing", Rules);
}

} // namespace clang::tidy::threadleak
