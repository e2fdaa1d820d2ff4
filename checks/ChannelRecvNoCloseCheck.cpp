//===--- ChannelRecvNoCloseCheck.cpp --------------------------------------===//

#include "ChannelRecvNoCloseCheck.h"
#include "engine/StopTokenUse.h"

namespace clang::tidy::threadleak {

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
    return;
  }

  const FunctionDecl *Owner = localOwner(Use, Context);
  if (!Owner)
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
  emitPathNote(*Path, Owner, V, Missing);
}

} // namespace clang::tidy::threadleak
