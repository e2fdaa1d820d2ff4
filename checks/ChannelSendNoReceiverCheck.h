//===--- ChannelSendNoReceiverCheck.h - threadleak-channel-send-no-receiver ==//

#ifndef THREADLEAK_CHANNELSENDNORECEIVERCHECK_H
#define THREADLEAK_CHANNELSENDNORECEIVERCHECK_H

#include "ChannelCheckBase.h"

namespace clang::tidy::threadleak {

/// Finds sends on unbuffered channels that block forever because, on some
/// path, the receiver gives up first (a timeout won the race, an early
/// return) without closing the channel.
///
/// For the user-facing documentation see
/// docs/checks/threadleak-channel-send-no-receiver.md
class ChannelSendNoReceiverCheck : public ChannelCheckBase {
public:
  using ChannelCheckBase::ChannelCheckBase;

  void onEndOfTranslationUnit() override {
    ChannelCheckBase::onEndOfTranslationUnit();
    ReportedContexts.clear();
  }

private:
  llvm::DenseSet<std::pair<const Expr *, const VarDecl *>> ReportedContexts;
  void analyse(const SpawnedContext &Context, const BlockingChannelUse &Use,
               ChannelFlow &Flow, ASTContext &Ctx) override;
};

} // namespace clang::tidy::threadleak

#endif
