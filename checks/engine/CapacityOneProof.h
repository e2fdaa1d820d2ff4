//===--- CapacityOneProof.h - when capacity 1 is provably right -*- C++ -*-===//
//
// The proof behind channel-send-no-receiver's capacity-1 fix-it (GFix's
// first strategy; docs/checks/threadleak-channel-send-no-receiver.md,
// "Fix-it"): giving the channel capacity 1 is right only where
//  - exactly one send can ever happen on it: every name of the channel
//    \p V, a local of \p Owner, is code we read, and one run of \p Owner
//    performs the one send of \p Use, not in a loop, in a context started
//    once;
//  - the context's start is given no other callable (a completion handler
//    runs when the sender ends, and may synchronise);
//  - after the send, the sending context does nothing that synchronises
//    with another context before it ends.
// Budget: a proof visits at most 20000 statements; over it, no proof.
//
//===----------------------------------------------------------------------===//

#ifndef THREADLEAK_ENGINE_CAPACITYONEPROOF_H
#define THREADLEAK_ENGINE_CAPACITYONEPROOF_H

#include "engine/ChannelFlow.h"
#include "engine/ContextSpawns.h"
#include "model/ChannelModel.h"

namespace clang::tidy::threadleak {

bool capacityOneProven(ChannelFlow &Flow, const ChannelModel &Model,
                       ASTContext &Ctx, unsigned MaxDepth,
                       const FunctionDecl *Owner, const VarDecl *V,
                       const SpawnedContext &Context,
                       const BlockingChannelUse &Use);

} // namespace clang::tidy::threadleak

#endif
