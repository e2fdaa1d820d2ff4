//===--- ChannelSendNoReceiverCheck.cpp -----------------------------------===//

#include "ChannelSendNoReceiverCheck.h"

namespace clang::tidy::threadleak {

void ChannelSendNoReceiverCheck::analyse(const SpawnedContext &Context,
                                         const BlockingChannelUse &Use,
                                         ChannelFlow &Flow, ASTContext &Ctx) {
  // One result handed back: a send in a loop is a stream, whose receiver
  // decides when to stop; that is the receive check's business.
  if (Use.Op.Kind != ChannelOpKind::Send || Use.InLoop)
    return;
  const FunctionDecl *Owner = localOwner(Use, Context);
  if (!Owner)
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
  diag(opLoc(Use), "%0 may block here forever: %1 is unbuffered and on some "
                   "path %2 neither receives from it nor closes it")
      << Context.Noun << V << describe(Owner);
  emitContextNotes(Context, Use, Ctx);
  emitPathNote(*Path, Owner, V, "receiving from or closing");
}

} // namespace clang::tidy::threadleak
