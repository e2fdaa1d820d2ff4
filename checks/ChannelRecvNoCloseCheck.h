//===--- ChannelRecvNoCloseCheck.h - threadleak-channel-recv-no-close -----===//

#ifndef THREADLEAK_CHANNELRECVNOCLOSECHECK_H
#define THREADLEAK_CHANNELRECVNOCLOSECHECK_H

#include "ChannelCheckBase.h"

namespace clang::tidy::threadleak {

/// Finds threads and coroutines that block receiving from a channel that,
/// on some path of their owner, nothing closes or sends to (in a select of
/// the model file's cases: no case can fire; from a Go-style context's done
/// channel: nothing cancels it); and functions
/// that receive until their own channel is closed when the only context
/// that closes it may return without doing so.
///
/// For the user-facing documentation see
/// docs/checks/threadleak-channel-recv-no-close.md
class ChannelRecvNoCloseCheck : public ChannelCheckBase {
public:
  using ChannelCheckBase::ChannelCheckBase;

private:
  void analyse(const SpawnedContext &Context, const BlockingChannelUse &Use,
               ChannelFlow &Flow, ASTContext &Ctx) override;
  /// A select of cases, or a receive from a context's done channel: on
  /// some path of the owner, nothing releases any case for good (or
  /// cancels the context).
  void analyseWatched(const SpawnedContext &Context,
                      const BlockingChannelUse &Use, ChannelFlow &Flow,
                      ASTContext &Ctx);
  /// The other way round: the function that starts the context receives
  /// until a channel of its own is closed, and only the context closes it.
  void analyseSpawn(const SpawnedContext &Context, ChannelFlow &Flow,
                    ASTContext &Ctx) override;
};

} // namespace clang::tidy::threadleak

#endif
