//===--- ChannelSendNoReceiverCheck.h - threadleak-channel-send-no-receiver ==//

#ifndef THREADLEAK_CHANNELSENDNORECEIVERCHECK_H
#define THREADLEAK_CHANNELSENDNORECEIVERCHECK_H

#include "ChannelCheckBase.h"

namespace clang::tidy::threadleak {

/// Finds sends on unbuffered channels that block forever because, on some
/// path, the receiver gives up first (a timeout won the race, an early
/// return) without closing the channel. Where giving the channel capacity 1
/// is provably right (its capacity a literal 0, exactly one send, a sender
/// that does not synchronise after it), the warning carries that fix-it.
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
  /// The capacity-1 fix-it for the reported send \p Use, where it is
  /// provably right (docs: "Fix-it"), else none.
  std::optional<FixItHint> capacityOneFix(const SpawnedContext &Context,
                                          const BlockingChannelUse &Use,
                                          const FunctionDecl *Owner,
                                          ChannelFlow &Flow, ASTContext &Ctx);
};

} // namespace clang::tidy::threadleak

#endif
